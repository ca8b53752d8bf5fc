"""The files of a run directory that `publish` may upload, read so that the bytes checked are the bytes sent,
and `LocalFile`, a file to publish with its oids (sha256 for LFS, the git blob sha1 otherwise), hashed lazily.

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

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher._util.regular_files import (
    READ_CHUNK,
    FileIdentity,
    check_regular,
    iter_chunks,
    open_checked,
    read_bytes,
)
from publisher.errors import BadInputError

if TYPE_CHECKING:
    from publisher.hubclient.ops import RemoteFile


# Files up to this size are read into memory once (the Hub stores files above 10 MB as LFS objects).
INLINE_BYTES = 10 * 1024 * 1024
MAX_JSON_BYTES = 16 * 1024 * 1024
# tokenizer.json of the largest vocabularies (Gemma: 33 MB) fits; 100x the GPT-2 tokenizer.
MAX_TOKENIZER_JSON_BYTES = 128 * 1024 * 1024
# vocab.txt, merges.txt, chat_template.jinja: text the tokenizer reads (GPT-2's merges.txt is 456 kB).
MAX_TEXT_BYTES = 64 * 1024 * 1024
# The largest models on the Hub have about 200 shards.
MAX_SHARDS = 1024


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
    fd = open_checked(path)
    with os.fdopen(fd, "rb") as handle:
        header_len = int.from_bytes(handle.read(8), "little")
        raw = handle.read(header_len)
    header = parse_json_bytes(raw, path, "the safetensors header")
    if not isinstance(header, dict):
        raise BadInputError(f"{path}: the safetensors header is not a JSON object")
    return header


# ---------------------------------------------------------------------------------------------------------
# A file to publish, and its oids


@dataclass
class LocalFile:
    """A file to publish: from disk (`source`) or generated in memory (`data`). Hashes are computed lazily."""

    path: str
    source: Path | None = None
    data: bytes | None = None
    identity: FileIdentity | None = (
        None  # a run file as checked (publisher.publish.files); re-checked on read
    )
    _sha256: str | None = field(default=None, repr=False)
    _git_oid: str | None = field(default=None, repr=False)
    cache: Any = field(default=None, repr=False, compare=False)
    """A publisher.publish.hashcache.HashCache: a file unchanged since it was last hashed is not read again."""

    @property
    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        if self.identity is not None:
            return self.identity.size
        return self.source.stat().st_size  # type: ignore[union-attr]

    def _chunks(self) -> Iterator[bytes]:
        if self.data is not None:
            yield self.data
            return
        if self.identity is not None:
            yield from iter_chunks(self.source, self.identity)  # type: ignore[arg-type]
            return
        with open(self.source, "rb") as handle:  # type: ignore[arg-type]
            while chunk := handle.read(READ_CHUNK):
                yield chunk

    @property
    def sha256(self) -> str:
        """The content sha256: the oid the Hub keeps for an LFS file."""
        if self._sha256 is None:
            self._sha256 = self._hash("sha256", hashlib.sha256())
        return self._sha256

    @property
    def git_oid(self) -> str:
        """The git blob sha1 (`blob <size>\\0` + content): the oid the Hub keeps for a regular file."""
        if self._git_oid is None:
            digest = hashlib.sha1(f"blob {self.size}\0".encode())  # noqa: S324 - git's object id, not security
            self._git_oid = self._hash("git_oid", digest)
        return self._git_oid

    def _hash(self, kind: str, digest: Any) -> str:
        """Hash the content, or take the hash from the cache when the file is the one hashed last time."""
        cached = self.source is not None and self.cache is not None
        if cached:
            from publisher.publish.hashcache import identity_stamp

            hit = self.cache.get(self.source, kind)
            if hit is not None:
                return hit
            before = identity_stamp(self.source)  # type: ignore[arg-type]
        for chunk in self._chunks():
            digest.update(chunk)
        value = digest.hexdigest()
        if cached:
            self.cache.put(self.source, kind, value, stamp_before=before)
        return value

    def matches(self, remote: RemoteFile) -> bool:
        """True if the Hub already has exactly this content at this path."""
        if remote.size != self.size:
            return False
        if remote.lfs_sha256:
            return remote.lfs_sha256 == self.sha256
        return remote.git_oid == self.git_oid

    def operation(self) -> Any:
        """The huggingface_hub CommitOperationAdd, reusing a sha256 already computed for the plan."""
        from huggingface_hub import CommitOperationAdd

        content = self.data if self.data is not None else str(self.source)
        op = CommitOperationAdd(path_in_repo=self.path, path_or_fileobj=content)
        if self._sha256 is not None and self.data is None:
            op.upload_info.sha256 = bytes.fromhex(self._sha256)
        return op
