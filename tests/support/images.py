"""Images for upload tests, made in the test: ``huge_png(width, height)`` is a decompression bomb."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(width: int, height: int) -> bytes:
    """A valid greyscale PNG of ``width`` × ``height`` black pixels, written without ever holding them: every
    row compresses to almost nothing, so 8,000 × 8,000 (64 megapixels, 64 MB once decoded) is about 60 KB."""
    squeeze = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte 0, then one byte per pixel
    body = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale, no interlace
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")
