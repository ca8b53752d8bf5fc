"""`publisher regenerate`: the pipeline and its building blocks (journal, sharding, state, per-repo decisions)."""
