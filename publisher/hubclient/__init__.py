"""The client side of the Hub: targets, retries, pacing, single calls (ops) and bulk sessions (bulk)."""
