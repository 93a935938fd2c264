"""Small images made on the fly for photo tests."""

from __future__ import annotations

import io

from PIL import Image


def jpeg(width: int = 640, height: int = 480, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG")
    return buffer.getvalue()
