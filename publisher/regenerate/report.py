"""What a regenerate run found: one RepoResult per repo (also its journal record) and the run's Report (the
`--json` document, the counts of the summary and the exit code).

Plain data: the pipeline fills it, the journal stores its records, the command line prints it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("changed", "unchanged", "edited", "unsupported", "conflict", "failed")
FAILING = frozenset({"failed", "conflict"})


@dataclass
class RepoResult:
    repo: str
    status: str
    old_sha: str | None = None
    new_sha: str | None = None
    error: str | None = None
    pr_url: str | None = None
    files: list[str] = field(default_factory=list)
    mojibake_repaired: int = 0
    note: str | None = None
    diff: str | None = None
    journaled: bool = False

    def journal_record(self) -> dict[str, Any]:
        record = {
            "repo": self.repo, "status": self.status, "old_sha": self.old_sha, "new_sha": self.new_sha,
            "error": self.error, "pr_url": self.pr_url, "files": self.files,
            "mojibake_repaired": self.mojibake_repaired,
        }  # fmt: skip
        if self.note:
            record["note"] = self.note
        return record

    def to_json(self) -> dict[str, Any]:
        data = self.journal_record()
        if self.diff is not None:
            data["diff"] = self.diff
        return data


@dataclass
class Report:
    results: list[RepoResult]
    skipped: list[str]
    dry_run: bool
    template: str
    elapsed: float = 0.0
    rate_limited: int = 0
    retries: int = 0
    from_state: int = 0

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(r.status for r in self.results)
        return {status: found.get(status, 0) for status in STATUSES}

    @property
    def mojibake_repaired(self) -> int:
        """Repos whose card had mis-decoded names that this run repaired."""
        return sum(1 for r in self.results if r.mojibake_repaired)

    @property
    def exit_code(self) -> int:
        return 1 if any(r.status in FAILING for r in self.results) else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "template": self.template,
            "total": len(self.results) + len(self.skipped),
            "processed": len(self.results),
            "skipped_from_journal": len(self.skipped),
            "settled_from_state": self.from_state,
            "counts": self.counts,
            "mojibake_repaired": self.mojibake_repaired,
            "rate_limited": self.rate_limited,
            "retries": self.retries,
            "elapsed_seconds": round(self.elapsed, 3),
            "repos": [r.to_json() for r in self.results],
        }
