"""Regular files read safely: never through a symlink, never a fifo or device, never a hard-linked file.

Run directories and tweet archives come from checkouts and from other people, and the release job reads
them with a write token in its environment. A symlink named `chat_template.jinja` pointing at
/proc/self/environ, or a hard link to someone's token file, would otherwise be read (and, by publish,
uploaded). So a file is read only if it is a regular file itself: not a symlink (to a file or a directory),
not a fifo, device or socket, not a directory, and with a single link. Anything else is an UnsafeFileError
(exit 2) naming the file.

Files are opened with O_NOFOLLOW (a symlink swapped in after the check is refused too) and O_NONBLOCK (a fifo
never blocks the open). A large file keeps its identity (device, inode, size, mtime), checked again whenever
it is read and when the caller asks (`assert_unchanged`).

Used by publish (publisher.publish.files: what may be uploaded) and by the archive reader (publisher.data).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from publisher.errors import BadInputError

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


def open_checked(path: Path, identity: FileIdentity | None = None) -> int:
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
    return os.fdopen(open_checked(path), "rb")


def read_bytes(path: Path, *, limit: int, what: str | None = None) -> tuple[bytes, FileIdentity]:
    """All of `path` (at most `limit` bytes, else an error), read through one checked descriptor."""
    fd = open_checked(path)
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
    fd = open_checked(path, identity)
    with os.fdopen(fd, "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            yield chunk


def assert_unchanged(path: Path, identity: FileIdentity) -> None:
    """Right before the commit: the file on disk is still the one that was checked and hashed."""
    now = check_regular(path)
    if now != identity:
        raise UnsafeFileError(f"{path}: changed while publishing; nothing was uploaded, run publish again")
