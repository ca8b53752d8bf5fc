"""What the local hub reports: the request log (one JSON object per request, kept in memory and optionally
appended to a JSON-lines file), and one-time warnings about oddities on disk."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

_warned: set[str] = set()


def warn_once(message: str) -> None:
    """One stderr line per distinct oddity on disk (a listing must not print it on every request)."""
    if message not in _warned:
        _warned.add(message)
        print(f"local hub: {message}", file=sys.stderr)


class RequestLog:
    def __init__(self, path: str | Path | None = None, keep: int = 100_000) -> None:
        self._lock = threading.Condition()
        self._in_flight = 0
        self.peak_in_flight = 0
        """Most requests handled at once since the last clear(): lets tests check a client's concurrency."""
        self._entries: list[dict[str, Any]] = []
        self._keep = keep
        self._file = open(path, "a", encoding="utf-8", buffering=1) if path else None  # noqa: SIM115

    def begin(self) -> None:
        """A request started; `entries()` waits for it, so a client that got its answer sees it logged."""
        with self._lock:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)

    def abandon(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._lock.notify_all()

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._in_flight -= 1
            self._lock.notify_all()
            self._entries.append(entry)
            if len(self._entries) > self._keep:
                del self._entries[: len(self._entries) - self._keep]
            if self._file is not None:
                self._file.write(json.dumps(entry) + "\n")

    def entries(self, wait_s: float = 2.0) -> list[dict[str, Any]]:
        """The log so far, after the requests in flight finish (at most `wait_s`)."""
        with self._lock:
            self._lock.wait_for(lambda: self._in_flight <= 0, timeout=wait_s)
            return list(self._entries)

    def clear(self, wait_s: float = 2.0) -> None:
        """Forget the log, after the requests in flight finish: a client may hold its answer before the
        handler logs it, and that late entry must not leak into the next reader's log."""
        with self._lock:
            self._lock.wait_for(lambda: self._in_flight <= 0, timeout=wait_s)
            self._entries.clear()
            self.peak_in_flight = 0

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
