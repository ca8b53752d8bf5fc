"""One PNG encoder for every picture: pixels only, so the same picture is always the same bytes.

Pillow writes no text chunk unless asked, but an image that went through `Image.open` carries `info` (text,
ICC profile, dpi) that `save` would copy; encoding a fresh RGB copy with no `pnginfo` leaves none of it.
matplotlib's own writer adds a `Software` text chunk, which is why the curve is encoded here too.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Everything a pixels-only PNG may hold; text (tEXt/zTXt/iTXt), time (tIME), Exif or ICC would be extra.
PIXEL_CHUNKS = frozenset({"IHDR", "PLTE", "IDAT", "IEND"})


def encode_png(image: Any) -> bytes:
    """A PIL image -> PNG bytes with nothing but IHDR, IDAT and IEND (fixed compression level)."""
    clean = image.convert("RGB")
    clean.info.clear()
    buffer = io.BytesIO()
    clean.save(buffer, format="PNG", compress_level=9)
    return buffer.getvalue()


def png_chunks(data: bytes) -> list[tuple[str, bytes]]:
    """The chunks of a PNG file as (type, payload), CRCs checked; ValueError if it is not a valid PNG."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file (bad signature)")
    chunks, offset = [], len(PNG_SIGNATURE)
    while offset < len(data):
        if offset + 12 > len(data):
            raise ValueError("truncated PNG chunk")
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        payload = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        if len(payload) != length or zlib.crc32(kind + payload) != crc:
            raise ValueError(f"corrupt PNG chunk {kind!r}")
        chunks.append((kind.decode("latin-1"), payload))
        offset += 12 + length
    if not chunks or chunks[0][0] != "IHDR" or chunks[-1][0] != "IEND":
        raise ValueError("a PNG must start with IHDR and end with IEND")
    return chunks


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk."""
    ihdr = png_chunks(data)[0][1]
    return struct.unpack(">II", ihdr[:8])
