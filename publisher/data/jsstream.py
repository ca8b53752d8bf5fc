"""Turn an X archive `.js` file (`window.YTD.tweets.part0 = [ ... ]`) into a JSON byte stream for ijson.

The archive's tweet files reach 100 MB each, so they are never read whole: this wrapper skips the JS
prefix (everything up to the first `=` before the first `[`/`{`), drops a UTF-8 BOM and a trailing `;`,
and counts the bytes it has passed on, so parse errors can name a position.

Archives come from other people, so the stream is bounded before ijson sees it (JsonGuard): nesting deeper
than MAX_DEPTH (a tweet nests about 7 levels; ijson's cost grows with the square of the depth, so 200,000
`[` in a 17 kB zip took 24 GB), and strings longer than MAX_STRING_BYTES (a tweet's text is at most 25,000
characters), are a DataError naming the byte. Small files read whole are capped at MAX_SMALL_FILE_BYTES.
"""

from __future__ import annotations

import io
from itertools import accumulate
from typing import BinaryIO

from publisher.errors import DataError

_BOM = b"\xef\xbb\xbf"
_HOLDBACK = 64  # bytes kept back so a trailing ";" can be dropped once the end is known
MAX_DEPTH = 32
MAX_STRING_BYTES = 1024 * 1024
# account.js, profile.js, manifest.js, protected-history.js, note-tweet.js: read whole, so capped. A real
# account.js is under 1 kB; note-tweet.js holds the long posts (25,000 characters each) of a prolific account.
MAX_SMALL_FILE_BYTES = 64 * 1024 * 1024

_NOT_QUOTES_OR_BRACKETS = bytes(b for b in range(256) if b not in b'"[]{}')
_DELTA = {0x5B: 1, 0x7B: 1, 0x5D: -1, 0x7D: -1}


def _unescape_blank(data: bytes) -> bytes:
    """`data` with escaped backslashes and escaped quotes replaced by two dots (lengths kept), in C-speed
    passes: backslash pairs first, left to right, as a JSON decoder reads them."""
    if b"\\\\" in data:
        data = data.replace(b"\\\\", b"..")
    return data.replace(b'\\"', b"..") if b'\\"' in data else data


class JsonDepthError(DataError):
    """The JSON nests too deeply or holds a string too long for a real archive file."""


class JsonGuard:
    """Follows the nesting depth and string lengths of a JSON byte stream fed in pieces, with C-speed bytes
    operations only (replace, split, translate, accumulate), and raises JsonDepthError."""

    def __init__(self, label: str, max_depth: int = MAX_DEPTH, max_string: int = MAX_STRING_BYTES) -> None:
        self.label = label
        self.max_depth = max_depth
        self.max_string = max_string
        self.depth = 0
        self.offset = 0  # bytes fed so far
        self.in_string = False
        self.escape = False  # the last piece ended inside a string with a lone backslash
        self.string_bytes = 0

    def feed(self, piece: bytes) -> None:
        pos = self._finish_string(piece, 0) if self.in_string else 0
        if not self.in_string and pos < len(piece):
            # Escaped backslashes, then escaped quotes, blanked (same length): every '"' left delimits a string.
            blanked = _unescape_blank(piece[pos:])
            parts = blanked.translate(None, _NOT_QUOTES_OR_BRACKETS).split(b'"')
            self._count(b"".join(parts[0::2]), pos, piece)
            if len(parts) % 2 == 0:  # an odd number of quotes: the piece ends inside a string
                self.in_string, self.string_bytes = True, 0
                self._track_open_string(blanked[blanked.rfind(b'"') + 1 :], len(piece))
        self.offset += len(piece)

    def _finish_string(self, piece: bytes, start: int) -> int:
        """Skip the rest of the string the stream is inside; where it ends (or the piece's end)."""
        if self.escape:
            start, self.escape = start + 1, False
        rest = _unescape_blank(piece[start:])
        close = rest.find(b'"')
        if close >= 0:
            self.in_string = False
            return start + close + 1
        self._track_open_string(rest, len(piece))
        return len(piece)

    def _track_open_string(self, blanked_tail: bytes, piece_length: int) -> None:
        """The piece ends inside a string: remember a lone final backslash, and bound the string's length."""
        self.escape = blanked_tail.endswith(b"\\")
        self.string_bytes += len(blanked_tail)
        if self.string_bytes > self.max_string:
            raise JsonDepthError(
                f"{self.label}: a string longer than {self.max_string} bytes near byte "
                f"{self.offset + piece_length}; not a real archive file"
            )

    def _count(self, brackets: bytes, pos: int, piece: bytes) -> None:
        opens = brackets.count(b"[") + brackets.count(b"{")
        if self.depth + opens > self.max_depth:
            deepest = max(accumulate(map(_DELTA.__getitem__, brackets), initial=self.depth))
            if deepest > self.max_depth:
                raise JsonDepthError(
                    f"{self.label}: JSON nested deeper than {self.max_depth} levels (in bytes "
                    f"{self.offset + pos}-{self.offset + len(piece)}); no tweet nests that deep"
                )
        self.depth += 2 * opens - len(brackets)


class JSPayloadReader(io.RawIOBase):
    """A read-only binary stream of the JSON inside a `window.X = ...;` file (or of plain JSON)."""

    def __init__(self, raw: BinaryIO, chunk_size: int = 1 << 16, label: str = "archive file") -> None:
        self._raw = raw
        self._guard = JsonGuard(label)
        self._chunk_size = chunk_size
        self._buffer = b""
        self._eof = False
        self._started = False
        self.position = 0  # bytes of the underlying file consumed so far (for error messages)
        self.prefix_length = 0

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        chunk = self._raw.read(self._chunk_size)
        if not chunk:
            self._eof = True
            self._buffer = self._buffer.rstrip()
            self._buffer = self._buffer[:-1].rstrip() if self._buffer.endswith(b";") else self._buffer
            return
        self.position += len(chunk)
        self._buffer += chunk

    def _skip_prefix(self) -> None:
        while not self._eof and len(self._buffer) < 4096:
            self._fill()
        if self._buffer.startswith(_BOM):
            self._buffer = self._buffer[len(_BOM) :]
        starts = [i for i in (self._buffer.find(b"["), self._buffer.find(b"{")) if i >= 0]
        first = min(starts) if starts else len(self._buffer)
        equals = self._buffer.rfind(b"=", 0, first)
        if equals >= 0:
            self.prefix_length = equals + 1
            self._buffer = self._buffer[equals + 1 :]
        self._started = True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._started:
            self._skip_prefix()
        while not self._eof and len(self._buffer) <= _HOLDBACK + len(target):
            self._fill()
        available = len(self._buffer) if self._eof else max(0, len(self._buffer) - _HOLDBACK)
        n = min(len(target), available)
        self._guard.feed(self._buffer[:n])
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def read_small_js(raw: bytes, label: str = "archive file") -> object:
    """Parse a small archive file (account.js, profile.js, manifest.js) in one go (the caller caps its size
    at MAX_SMALL_FILE_BYTES); nesting beyond JsonGuard's bound is a JsonDepthError."""
    import json

    reader = JSPayloadReader(io.BytesIO(raw), label=label)
    return json.loads(reader.read().decode("utf-8"))
