"""Photos from residents: re-encoded without metadata (EXIF, GPS) and size-limited.

A small file can describe a huge image (a 166 KiB PNG of 6300×6300 pixels decodes to 160 MB),
so the size is checked before a single pixel is decoded, a JPEG is decoded at 1/2, 1/4 or 1/8
of its size when that is enough, and the shrinking works a strip at a time: the decoded image
is the only full-size buffer, and one photo stays under 64 MB of memory.
"""

from __future__ import annotations

import errno
import io
import math
import os
import secrets
import tempfile
from pathlib import Path

from PIL import Image

MAX_SIDE = 2048
#: Larger images are refused before decoding (6000×4000 is a 24-megapixel camera).
MAX_PIXELS = 24_000_000
#: What decoding may take: a JPEG is decoded smaller until it fits, anything else is refused.
DECODE_BUDGET = 32 * 2**20
#: The formats a resident's photo may have (Telegram photos are JPEG; files may be PNG).
FORMATS = ("JPEG", "PNG", "WEBP")
#: Output rows resized per step: the buffers of one step stay small beside the decoded image.
STRIP = 32

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ORIENTATION = 0x0112


class PhotoError(ValueError):
    """The bytes are not a usable image."""


class PhotoTooLarge(PhotoError):
    """The image has too many pixels to decode within the memory a photo may take."""


def decode_cost(image: Image.Image, scale: int = 1) -> int:
    """Bytes that decoding the opened (not yet loaded) `image` at 1/`scale` size takes."""
    width, height = image.size
    pixels = math.ceil(width / scale) * math.ceil(height / scale)
    if image.format == "JPEG":
        cost = pixels * 4  # Pillow keeps RGB as 4 bytes a pixel
        if image.info.get("progressive") or image.info.get("progression"):
            # libjpeg keeps every DCT coefficient (2 bytes) of the full-size image.
            layers = getattr(image, "layer", None) or [("", 1, 1, 0)] * len(image.getbands())
            h_max = max(layer[1] for layer in layers)
            v_max = max(layer[2] for layer in layers)
            share = sum(layer[1] * layer[2] for layer in layers) / (h_max * v_max)
            cost += math.ceil(2 * width * height * share)
        return cost
    if image.format == "WEBP":
        return pixels * 16  # libwebp's canvas, its bytes, and Pillow's image (measured)
    return pixels * (1 if image.mode in ("1", "L", "P") else 4)


def decode_scale(image: Image.Image) -> int:
    """How much smaller to decode the opened `image`, or PhotoError if it is too big."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise PhotoTooLarge(f"image too large ({width}×{height})")
    scales = (1, 2, 4, 8) if image.format == "JPEG" else (1,)
    # The smallest decode that still fills MAX_SIDE, or smaller if that does not fit.
    usable = [s for s in scales if max(width, height) / s >= MAX_SIDE] or [1]
    for scale in scales:
        if scale >= usable[-1] and decode_cost(image, scale) <= DECODE_BUDGET:
            return scale
    raise PhotoTooLarge(f"image too large to decode ({width}×{height})")


def clean_jpeg(content: bytes) -> bytes:
    """Decode (small), shrink, apply the orientation, drop all metadata, encode as JPEG."""
    try:
        image = Image.open(io.BytesIO(content), formats=FORMATS)
        try:
            scale = decode_scale(image)
            if scale > 1:
                image.draft("RGB", (max(1, image.width // scale), max(1, image.height // scale)))
            image.load()
            orientation = image.getexif().get(_ORIENTATION, 1)
            clean = _shrink(image)
        finally:
            image.close()  # frees the decoded pixels before encoding (leaving `with` does not)
    except PhotoTooLarge:
        raise
    except (OSError, Image.DecompressionBombError, ValueError) as exc:
        raise PhotoError(str(exc)) from exc
    if orientation in _TRANSPOSE:
        clean = clean.transpose(_TRANSPOSE[orientation])
    buffer = io.BytesIO()
    clean.save(buffer, "JPEG", quality=85, optimize=True)
    return buffer.getvalue()


def _shrink(image: Image.Image) -> Image.Image:
    """The loaded `image` fitted into MAX_SIDE × MAX_SIDE, as a fresh RGB image (no info, no
    EXIF), resized a strip at a time with a margin for the filter's reach."""
    width, height = image.size
    ratio = max(width / MAX_SIDE, height / MAX_SIDE, 1.0)
    size = (max(1, round(width / ratio)), max(1, round(height / ratio)))
    clean = Image.new("RGB", size)
    step = height / size[1]
    margin = math.ceil(2 * step) + 2  # bicubic reaches two output pixels either side
    for top in range(0, size[1], STRIP):
        rows = min(STRIP, size[1] - top)
        y0, y1 = top * step, (top + rows) * step
        first, last = max(0, math.floor(y0) - margin), min(height, math.ceil(y1) + margin)
        part = image.crop((0, first, width, last)).convert("RGB")
        box = (0.0, y0 - first, float(width), y1 - first)
        clean.paste(part.resize((size[0], rows), Image.Resampling.BICUBIC, box=box), (0, top))
    return clean


class DanglingLink(FileNotFoundError):
    """`link` (the media folder or a folder above it) is a symbolic link to `target`, which
    does not exist: the folder is not made there (the target may be a disk not mounted)."""

    def __init__(self, link: Path, target: Path) -> None:
        super().__init__(errno.ENOENT, os.strerror(errno.ENOENT), str(target))
        self.link, self.target = link, target


def dangling_link(path: Path) -> DanglingLink | None:
    """The symbolic link to nothing at `path` or the nearest folder above it that is there
    (as a name), if it is one."""
    for part in (path, *path.parents):
        if part.is_symlink():
            return None if part.exists() else DanglingLink(part, part.resolve())
        if part.exists():
            return None
    return None


def check_writable(media_dir: Path) -> None:
    """Create `media_dir` if missing and write (and drop) an anonymous file in it, as a photo
    would be written: OSError when that cannot be done (DanglingLink for a link to nothing),
    so that a bot stops at start-up, not at a resident's first photo."""
    dangling = dangling_link(media_dir)
    if dangling is not None:
        raise dangling
    if media_dir.exists() and not media_dir.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(media_dir))
    media_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=media_dir):
        pass


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
