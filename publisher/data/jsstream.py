"""Turn an X archive `.js` file (`window.YTD.tweets.part0 = [ ... ]`) into a JSON byte stream for ijson.

The archive's tweet files reach 100 MB each, so they are never read whole: this wrapper skips the JS
prefix (everything up to the first `=` before the first `[`/`{`), drops a UTF-8 BOM and a trailing `;`,
and counts the bytes it has passed on, so parse errors can name a position.
"""

from __future__ import annotations

import io
from typing import BinaryIO

_BOM = b"\xef\xbb\xbf"
_HOLDBACK = 64  # bytes kept back so a trailing ";" can be dropped once the end is known


class JSPayloadReader(io.RawIOBase):
    """A read-only binary stream of the JSON inside a `window.X = ...;` file (or of plain JSON)."""

    def __init__(self, raw: BinaryIO, chunk_size: int = 1 << 16) -> None:
        self._raw = raw
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
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def read_small_js(raw: bytes) -> object:
    """Parse a small archive file (account.js, profile.js, manifest.js) in one go."""
    import json

    reader = JSPayloadReader(io.BytesIO(raw))
    return json.loads(reader.read().decode("utf-8"))
