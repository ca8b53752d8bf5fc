"""The files of a run directory that `publish` may upload, read so that the bytes checked are the bytes sent.

Run directories come from checkouts and from other people, and the release job publishes one with a write
token in its environment. A symlink named `chat_template.jinja` pointing at /proc/self/environ, or a hard
link to someone's token file, would otherwise be uploaded to a public repo. So a file is uploaded only if it
is a regular file of the run directory itself: not a symlink (to a file or a directory), not a fifo, device
or socket, not a directory, and with a single link (a hard link may share a file from outside). Anything else
is an UnsafeFileError (exit 2) naming the file, raised before any network request.

Files are opened with O_NOFOLLOW (a symlink swapped in after the check is refused too) and O_NONBLOCK (a fifo
never blocks the open). Small files are read once into memory: their hash and the bytes sent are the same
bytes. Large files (the weights) keep their identity (device, inode, size, mtime), checked again whenever they
are read and right before the commit; their sha256 is checked by the Hub's LFS upload.

Every format read here has bounds: JSON files by size and nesting depth (the decoder's recursion limit), safetensors headers by the
safetensors library's own checks (header length, JSON, offsets covering the file exactly).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from publisher.errors import BadInputError

# Files up to this size are read into memory once (the Hub stores files above 10 MB as LFS objects).
INLINE_BYTES = 10 * 1024 * 1024
MAX_JSON_BYTES = 16 * 1024 * 1024
# tokenizer.json of the largest vocabularies (Gemma: 33 MB) fits; 100x the GPT-2 tokenizer.
MAX_TOKENIZER_JSON_BYTES = 128 * 1024 * 1024
# vocab.txt, merges.txt, chat_template.jinja: text the tokenizer reads (GPT-2's merges.txt is 456 kB).
MAX_TEXT_BYTES = 64 * 1024 * 1024
# The largest models on the Hub have about 200 shards.
MAX_SHARDS = 1024
READ_CHUNK = 8 * 1024 * 1024


class UnsafeFileError(BadInputError):
    """A file of the run directory that must not be uploaded: a symlink, a non-regular file, a hard link."""


@dataclass(frozen=True)
class FileIdentity:
    """What a file was when it was checked; a different identity later means it changed or was swapped."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileIdentity:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _refusal(path: Path, st: os.stat_result) -> str | None:
    """Why `path` (lstat result `st`) may not be uploaded, or None."""
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return (
            f"is a symlink (to {os.readlink(path)!r}); only regular files of the run directory are uploaded"
        )
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a fifo, socket or device); only regular files are uploaded"
    if st.st_nlink > 1:
        return (
            f"has {st.st_nlink} hard links; a hard link may share a file from outside the run directory, "
            "so it is not uploaded (replace it with a copy: cp --no-preserve=links)"
        )
    return None


def check_regular(path: Path) -> FileIdentity | None:
    """The identity of `path` if it is an uploadable regular file, None if it does not exist; else refused."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnsafeFileError(f"{path}: cannot be read ({exc.strerror})") from None
    reason = _refusal(path, st)
    if reason:
        raise UnsafeFileError(f"{path}: {reason}; nothing was uploaded")
    return FileIdentity.of(st)


def _open_checked(path: Path, identity: FileIdentity | None = None) -> int:
    """A read-only descriptor on the regular file `path` itself (never through a symlink, never blocking)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if Path(path).is_symlink():
            raise UnsafeFileError(
                f"{path}: is a symlink; only regular files of the run directory are uploaded"
            ) from None
        raise UnsafeFileError(f"{path}: cannot be read ({exc.strerror})") from None
    st = os.fstat(fd)
    reason = _refusal(path, st)
    if reason is None and identity is not None and FileIdentity.of(st) != identity:
        reason = "changed while publishing (size, time or inode differ from when it was checked); run publish again"
    if reason:
        os.close(fd)
        raise UnsafeFileError(f"{path}: {reason}; nothing was uploaded")
    return fd


def open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading if it is a regular, singly linked file itself (never through a symlink)."""
    return os.fdopen(_open_checked(path), "rb")


def read_bytes(path: Path, *, limit: int, what: str | None = None) -> tuple[bytes, FileIdentity]:
    """All of `path` (at most `limit` bytes, else an error), read through one checked descriptor."""
    fd = _open_checked(path)
    with os.fdopen(fd, "rb") as handle:
        identity = FileIdentity.of(os.fstat(handle.fileno()))
        if identity.size > limit:
            raise BadInputError(
                f"{path}: {what or 'file'} is {identity.size} bytes, more than the {limit} allowed"
            )
        data = handle.read(limit + 1)
    if len(data) != identity.size:
        raise UnsafeFileError(f"{path}: changed while it was read; run publish again")
    return data, identity


def iter_chunks(path: Path, identity: FileIdentity) -> Iterator[bytes]:
    """The content of a large checked file, refused if it is no longer the file that was checked."""
    fd = _open_checked(path, identity)
    with os.fdopen(fd, "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            yield chunk


def assert_unchanged(path: Path, identity: FileIdentity) -> None:
    """Right before the commit: the file on disk is still the one that was checked and hashed."""
    now = check_regular(path)
    if now != identity:
        raise UnsafeFileError(f"{path}: changed while publishing; nothing was uploaded, run publish again")


def parse_json_bytes(data: bytes, source: Path | str, what: str) -> Any:
    """JSON from bytes, size already bounded by the caller; nesting is bounded by the decoder (Python's
    recursion limit, about 1000 levels: a RecursionError, reported as input too deeply nested)."""
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{source}: {what} is not UTF-8 ({exc})") from None
    except RecursionError:
        raise BadInputError(f"{source}: {what} is nested too deeply to be a real file; refused") from None
    except ValueError as exc:
        raise BadInputError(f"{source}: {what} is not valid JSON ({exc})") from None


def read_json(path: Path, what: str, *, limit: int = MAX_JSON_BYTES) -> tuple[Any, bytes, FileIdentity]:
    """Parsed JSON, its bytes and the file's identity; missing, too large, too deep or invalid is refused."""
    if check_regular(path) is None:
        raise BadInputError(f"{path}: {what} is missing")
    data, identity = read_bytes(path, limit=limit, what=what)
    return parse_json_bytes(data, path, what), data, identity


def check_text(path: Path, data: bytes, what: str) -> None:
    """A text file the tokenizer reads (vocab, merges, chat template) must be UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path}: {what} is not UTF-8 text ({exc})") from None


def safetensors_metadata(path: Path) -> dict[str, Any]:
    """The header of a safetensors file, validated by the safetensors library itself (the loader's rules:
    header length within 100 MB, a JSON object, every tensor's offsets inside the data, the data covered
    exactly with nothing left over), then read (bounded) for the shapes and dtypes."""
    from safetensors import SafetensorError, safe_open

    if check_regular(path) is None:
        raise BadInputError(f"{path}: missing")
    try:
        with safe_open(str(path), framework="np"):
            pass
    except (SafetensorError, OSError, ValueError) as exc:
        raise BadInputError(
            f"{path}: not a valid safetensors file (truncated, padded or corrupt: {exc})"
        ) from None
    fd = _open_checked(path)
    with os.fdopen(fd, "rb") as handle:
        header_len = int.from_bytes(handle.read(8), "little")
        raw = handle.read(header_len)
    header = parse_json_bytes(raw, path, "the safetensors header")
    if not isinstance(header, dict):
        raise BadInputError(f"{path}: the safetensors header is not a JSON object")
    return header
