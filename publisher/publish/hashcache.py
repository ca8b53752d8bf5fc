"""A cache of file hashes, so a card-only re-publish does not re-read hundreds of MB of unchanged weights.

`publish` compares every local file with the Hub's oid (sha256 for LFS files, git blob sha1 for regular ones).
For a large file that means reading it whole. The cache remembers each hash under the file's identity
(resolved path, size, mtime_ns, inode): an entry is used only if all four still match the file on disk, so a
rewritten file (new mtime or new inode, as an atomic save gives) is hashed again. Small files are not cached
(hashing them costs less than a cache entry).

The cache is one JSON file, `file-hashes.json` in publisher's cache directory (PUBLISHER_CACHE, else
$XDG_CACHE_HOME/publisher, else ~/.cache/publisher); it is bounded (entries and bytes), written atomically,
and ignored when unreadable.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from publisher._util import fs

CACHE_FILE = "file-hashes.json"
MIN_SIZE = 1024 * 1024
MAX_ENTRIES = 10_000
MAX_FILE_BYTES = 8 * 1024 * 1024


def _identity(path: Path) -> tuple[str, dict[str, int]] | None:
    try:
        resolved = path.resolve()
        st = resolved.stat()
    except OSError:
        return None
    return str(resolved), {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino}


class HashCache:
    """{resolved path: {size, mtime_ns, ino, sha256?, git_oid?}}; `get` answers only for an identical file."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, Any]] = self._load()
        self._dirty = False

    @classmethod
    def default(cls) -> HashCache:
        from publisher.settings import Settings

        return cls(Path(Settings.from_env().cache_dir) / CACHE_FILE)

    def _load(self) -> dict[str, dict[str, Any]]:
        if self.path is None:
            return {}
        try:
            if self.path.stat().st_size > MAX_FILE_BYTES:
                return {}
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        entries = data.get("files") if isinstance(data, dict) else None
        return {k: v for k, v in entries.items() if isinstance(v, dict)} if isinstance(entries, dict) else {}

    def get(self, path: Path, kind: str) -> str | None:
        """The cached `kind` hash ("sha256" or "git_oid") of `path`, if the file is the one that was hashed."""
        found = _identity(path)
        if found is None:
            return None
        key, stamp = found
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or any(entry.get(k) != v for k, v in stamp.items()):
            return None
        value = entry.get(kind)
        return value if isinstance(value, str) else None

    def put(self, path: Path, kind: str, value: str, *, stamp_before: dict[str, int] | None = None) -> None:
        """Remember `value`; `stamp_before` (the identity taken before hashing) guards against a file that
        changed while it was read: then nothing is cached."""
        found = _identity(path)
        if (
            found is None
            or found[1]["size"] < MIN_SIZE
            or (stamp_before is not None and stamp_before != found[1])
        ):
            return
        key, stamp = found
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or any(entry.get(k) != v for k, v in stamp.items()):
                entry = dict(stamp)
            self._entries.pop(key, None)
            self._entries[key] = {**entry, kind: value}  # most recent last: the oldest are dropped first
            while len(self._entries) > MAX_ENTRIES:
                self._entries.pop(next(iter(self._entries)))
            self._dirty = True

    def save(self) -> None:
        """Write the cache atomically (publisher._util.fs); a failure only costs a re-hash next time."""
        if self.path is None or not self._dirty:
            return
        with self._lock:
            data = json.dumps({"files": self._entries}).encode("utf-8")
            self._dirty = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fs.write_bytes(self.path, data)
        except OSError:
            pass


def identity_stamp(path: Path) -> dict[str, int] | None:
    found = _identity(path)
    return found[1] if found else None
