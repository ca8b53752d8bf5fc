"""Which repos a run handles: `--shard K/N` (a stable hash split) and `--match GLOB`.

The shard of a repo depends only on its id, so N CI jobs given K = 1..N cover every repo exactly once,
whatever order or subset the listing returns.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re

from publisher.errors import BadInputError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """'K/N' -> (K, N) with 1 <= K <= N; anything else is a usage error."""
    found = _SHARD.match(text or "")
    if not found:
        raise BadInputError(f"--shard: expected K/N such as 1/4, got {text!r}")
    k, n = int(found.group(1)), int(found.group(2))
    if n < 1 or not 1 <= k <= n:
        raise BadInputError(f"--shard: K must be between 1 and N (N >= 1), got {text!r}")
    return k, n


def shard_of(repo_id: str, n: int) -> int:
    """The 1-based shard of `repo_id` among `n` (sha256 of the id, so stable across machines and runs)."""
    digest = hashlib.sha256(repo_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n + 1


def in_shard(repo_id: str, shard: tuple[int, int] | None) -> bool:
    return shard is None or shard_of(repo_id, shard[1]) == shard[0]


def matches(repo_id: str, pattern: str | None) -> bool:
    """`--match` applies to the full id ('org/name'); a pattern without '/' applies to the name alone."""
    if not pattern:
        return True
    if "/" in pattern:
        return fnmatch.fnmatchcase(repo_id, pattern)
    return fnmatch.fnmatchcase(repo_id.rsplit("/", 1)[-1], pattern)


def select(
    repo_ids: list[str], *, pattern: str | None = None, shard: tuple[int, int] | None = None
) -> list[str]:
    """The repos of this run, in input order, without duplicates."""
    seen: set[str] = set()
    chosen: list[str] = []
    for repo_id in repo_ids:
        if repo_id in seen or not matches(repo_id, pattern) or not in_shard(repo_id, shard):
            continue
        seen.add(repo_id)
        chosen.append(repo_id)
    return chosen
