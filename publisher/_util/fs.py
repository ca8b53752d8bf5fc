"""THE one atomic writer, and the one JSON-lines appender (standard library only, layer 0).

Atomic: the bytes go to a temp file in the target's own directory (same filesystem, so the rename is atomic),
are flushed and fsync'ed, get the permissions a plain `open()` would give (mkstemp makes 0600), and then
`os.replace` puts them over the target. A reader sees the old file or the new one, never half of one; a crash
leaves at most a `.NAME.*.tmp` beside it, removed on any error we see. Used for card.json, README.md from
`render -o`, the run directory's JSON, the hash cache, the local hub's server.json and regenerate's state
header.

JSON lines: regenerate's journal and state are append-only files kept open for a run. `open_jsonl` isolates a
torn last line (a crash mid-record) with a newline so the next record still parses; `append_jsonl` writes one
record as one line, flushed, and fsync'ed when the caller needs it on disk before moving on (the journal).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def default_permissions(path: str | os.PathLike[str]) -> None:
    """Give a file or dir made by mkstemp/mkdtemp (0600/0700) the permissions a plain open/mkdir would."""
    os.chmod(path, (0o777 if Path(path).is_dir() else 0o666) & ~_umask())


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace `path` with `data` atomically (temp file in the same directory, fsync, rename)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        default_permissions(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Replace `path` with UTF-8 `text` atomically; newlines are written as given (no translation)."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], value: Any) -> None:
    """Replace `path` with `value` as JSON atomically: two-space indent, non-ASCII kept, final newline."""
    write_text(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def open_jsonl(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a JSON-lines file for appending (created with its folder); a torn last line gets its newline."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = open(target, "ab")  # noqa: SIM115 - the caller keeps it open for the whole run
    if handle.tell() and not _ends_with_newline(target):
        handle.write(b"\n")  # isolate a torn last line so the next record parses
    return handle


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def append_jsonl(handle: BinaryIO, record: dict[str, Any], *, durable: bool) -> None:
    """Append `record` as one JSON line and flush it; durable=True also fsyncs it before returning."""
    handle.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
    handle.flush()
    if durable:
        os.fsync(handle.fileno())
