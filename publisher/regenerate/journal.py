"""A JSON-lines journal that makes a bulk run resumable after a crash or `kill -9`.

Each line is one record: {"repo", "status", "old_sha", "new_sha", "error", ...}. Every append is flushed and
fsync'ed before the caller moves on, so a record on disk means the step really happened. A line torn by a
kill is ignored on load. Before a commit the runner writes a `committing` intent; a re-run that finds an
intent without an outcome re-reads the repo and recognises its own commit instead of making a second one.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

from publisher._util import fs
from publisher.errors import BadInputError

DONE_STATUSES = frozenset({"changed", "unchanged", "edited", "unsupported"})
"""Outcomes a re-run skips. `failed` and `conflict` are retried; `committing` is an unfinished intent."""
INTENT = "committing"


class Journal:
    """Append-only, fsync'ed record of what happened to each repo; the last record per repo wins."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._last: dict[str, dict[str, Any]] = {}
        self._commit_times: list[float] = []
        self.torn_lines = 0
        self._load()
        self._handle: BinaryIO | None = None

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise BadInputError(f"{self.path}: cannot read journal: {exc.strerror}") from exc
        lines = raw.split(b"\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                # a line torn by a kill (a crash mid-write); the step it described is redone
                self.torn_lines += 1
                continue
            if not isinstance(record, dict) or not isinstance(record.get("repo"), str):
                raise BadInputError(f"{self.path}:{number}: journal record without a 'repo' field")
            self._last[record["repo"]] = record
            if record.get("status") == "changed" and isinstance(record.get("time"), (int, float)):
                self._commit_times.append(float(record["time"]))

    def last(self, repo_id: str) -> dict[str, Any] | None:
        """The latest record for `repo_id`, or None."""
        return self._last.get(repo_id)

    def is_done(self, repo_id: str) -> bool:
        record = self._last.get(repo_id)
        return record is not None and record.get("status") in DONE_STATUSES

    def pending_intent(self, repo_id: str) -> dict[str, Any] | None:
        """The `committing` record left by a run that died between deciding and journaling the commit."""
        record = self._last.get(repo_id)
        return record if record and record.get("status") == INTENT else None

    def commit_times(self) -> list[float]:
        """Wall-clock times of journaled commits, so a resumed run keeps honouring the hourly commit cap."""
        return list(self._commit_times)

    def records(self) -> dict[str, dict[str, Any]]:
        return dict(self._last)

    def append(self, record: dict[str, Any]) -> None:
        """Write one record durably (flush + fsync) before returning."""
        record = {**record, "time": record.get("time", time.time())}
        with self._lock:
            fs.append_jsonl(self._open(), record, durable=True)
            self._last[record["repo"]] = record
            if record.get("status") == "changed":
                self._commit_times.append(record["time"])

    def _open(self) -> BinaryIO:
        if self._handle is None:
            self._handle = fs.open_jsonl(self.path)  # kept open for the whole run; a torn last line isolated
        return self._handle

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None
