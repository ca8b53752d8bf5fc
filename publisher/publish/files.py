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
from pathlib import Path
from typing import Any

from publisher._util.regular_files import (
    FileIdentity,
    UnsafeFileError,
    assert_unchanged,
    check_regular,
    iter_chunks,
    open_checked,
    open_regular,
    read_bytes,
)
from publisher.errors import BadInputError

__all__ = [  # the run directory's file rules, in one place for publish (the checks live in _util)
    "FileIdentity",
    "UnsafeFileError",
    "assert_unchanged",
    "check_regular",
    "iter_chunks",
    "open_regular",
    "read_bytes",
]

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
