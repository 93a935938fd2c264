"""Photos: a small file that describes a huge image costs little memory; shrinking is exact."""

from __future__ import annotations

import io
import math
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.media import DECODE_BUDGET, MAX_SIDE, PhotoError, _shrink, clean_jpeg
from tests.people import Person, to_description

#: The most one photo may take while it is cleaned.
PEAK_LIMIT = 64_000_000

#: Cleans the file given as argument in a fresh process and prints the peak memory it took
#: (resident set, so Pillow's C allocations count) and the outcome.
MEASURE = r"""
import re, sys
from pathlib import Path
from bot.media import PhotoError, clean_jpeg

def status(key):
    return int(re.search(key + r":\s+(\d+) kB", Path("/proc/self/status").read_text())[1]) * 1024

content = Path(sys.argv[1]).read_bytes()
try:
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts from here
except OSError:
    pass  # then the peak includes start-up, and the measure is only stricter
before = status("VmRSS")
try:
    outcome = "ok %d" % len(clean_jpeg(content))
except PhotoError:
    outcome = "refused"
print(status("VmHWM") - before, outcome)
"""


def png(width: int, height: int) -> bytes:
    """An RGB PNG of any size, written a row at a time: a few KB for millions of pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\0" + bytes(range(256)) * (width * 3 // 256) + b"\x80" * (width * 3 % 256)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def jpeg(width: int, height: int, **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 200)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def peak(content: bytes, folder: Path) -> tuple[int, str]:
    path = folder / "photo"
    path.write_bytes(content)
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    used, outcome = done.stdout.split(" ", 1)
    return int(used), outcome.strip()


#: The largest square that may be decoded whole at 4 bytes a pixel.
LARGEST = math.isqrt(DECODE_BUDGET // 4)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    ("name", "make", "outcome"),
    [
        # The case: 166 KiB of PNG, 6300×6300 pixels, 455 MiB before.
        ("6300x6300 png", lambda: png(6300, 6300), "refused"),
        ("largest png decoded whole", lambda: png(LARGEST, LARGEST), "ok"),
        ("largest jpeg decoded whole", lambda: jpeg(LARGEST, LARGEST, subsampling=0), "ok"),
        ("24-megapixel camera jpeg", lambda: jpeg(6000, 4000), "ok"),
        ("24-megapixel progressive jpeg", lambda: jpeg(6000, 4000, progressive=True), "refused"),
    ],
)
def test_one_photo_takes_at_most_64_mb(
    name: str, make: object, outcome: str, tmp_path: Path
) -> None:
    assert callable(make)
    used, result = peak(make(), tmp_path)
    assert used <= PEAK_LIMIT, f"{name}: {used / 2**20:.1f} MiB"
    assert result.split()[0] == outcome, name


def test_huge_images_are_refused_before_decoding() -> None:
    with pytest.raises(PhotoError, match="too large"):
        clean_jpeg(png(6300, 6300))
    with pytest.raises(PhotoError):
        clean_jpeg(b"GIF89a" + b"\0" * 100)  # only JPEG, PNG and WebP are read


def test_shrinking_in_strips_is_a_plain_resize() -> None:
    """A strip at a time gives the pixels of one resize of the whole image: no seams."""
    source = Image.effect_noise((3000, 2100), 100).convert("RGB")
    clean = _shrink(source)
    assert clean.size == (MAX_SIDE, 1434)
    whole = source.resize(clean.size, Image.Resampling.BICUBIC)
    for band in ImageChops.difference(clean, whole).split():
        assert sum(band.histogram()[2:]) == 0  # no pixel differs by more than rounding


def test_orientation_is_applied_and_then_dropped() -> None:
    image = Image.new("RGB", (800, 600), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, 100, 100))  # a blue corner, top left as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: rotate 90° clockwise to show it
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    with Image.open(io.BytesIO(clean_jpeg(buffer.getvalue()))) as clean:
        assert clean.size == (600, 800)
        assert clean.getexif() == {}
        corner = clean.convert("RGB").getpixel((590, 10))  # now top right
        assert isinstance(corner, tuple)
        assert corner[2] > 150 > corner[0]  # blue, not red


async def test_a_too_large_file_gets_a_clear_answer(live_bot: Emulator, catalogs: Catalogs) -> None:
    """The resident hears that the photo is too large, and how to send it, not "try again"."""
    person = Person(live_bot.world, 5550101, catalogs)
    await to_description(person, "Jakobsberg", "Belysning", "Vid trappan")
    await person.say("Lamporna är trasiga.")
    person._mark = person.mark()
    live_bot.world.send_document(person.id, png(6300, 6300), "big.png", "image/png")
    await person.settle()
    assert person.last_text() == person.t("photos.too_large")
