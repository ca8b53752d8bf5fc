"""Building blocks of `publisher regenerate`: journal, sharding, pacing, per-repo decisions."""
