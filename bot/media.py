"""Photos from residents: re-encoded without metadata (EXIF, GPS) and size-limited."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from PIL import Image, ImageOps

MAX_SIDE = 2048
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before Pillow's own limit


class PhotoError(ValueError):
    """The bytes are not a usable image."""


def clean_jpeg(content: bytes) -> bytes:
    """Decode, apply the orientation, drop all metadata, shrink, and encode as JPEG."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError("image too large")
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, Image.DecompressionBombError, ValueError) as exc:
        raise PhotoError(str(exc)) from exc
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    clean = Image.new("RGB", upright.size)
    clean.paste(upright)  # a fresh image carries no info/exif from the original
    buffer = io.BytesIO()
    clean.save(buffer, "JPEG", quality=85, optimize=True)
    return buffer.getvalue()


def store_photo(content: bytes, media_dir: Path) -> str:
    """Clean and write a photo under `media_dir`; return its name relative to that folder."""
    data = clean_jpeg(content)
    name = f"{secrets.token_hex(12)}.jpg"
    media_dir.mkdir(parents=True, exist_ok=True)
    (media_dir / name).write_bytes(data)
    return name


def remove_photos(names: list[str], media_dir: Path) -> None:
    """Delete photos of an abandoned draft (missing files are fine)."""
    for name in names:
        if "/" in name or name.startswith("."):
            continue
        (media_dir / name).unlink(missing_ok=True)
