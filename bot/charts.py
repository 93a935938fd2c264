"""A PNG bar chart of cases per week per category, drawn with Pillow, for a lägesbild."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 675  # 16:9, pastes well into a slide or a Word page
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 260, 70, 80
# Colour-blind safe (Okabe–Ito), then a few more.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#999999",
    "#8C564B",
    "#17BECF",
    "#BCBD22",
)


#: Fonts with Swedish (and Finnish) letters, looked up in the system font directories.
#: Pillow's built-in font has no å, ä or ö; the Docker image installs fonts-dejavu-core.
FONT_FILES = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "NotoSans-Regular.ttf")


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A system font that has å, ä and ö if there is one, else Pillow's built-in font."""
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def week_label(week: str) -> str:
    """'2026-v43' -> 'v43' (the subtitle gives the dates)."""
    return week.rsplit("-", 1)[-1]


def _nice_step(top: int) -> int:
    """A round tick step giving about five gridlines."""
    if top <= 5:
        return 1
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return int(factor * magnitude)
    return int(10 * magnitude)


def weekly_chart(
    title: str,
    subtitle: str,
    weeks: Sequence[str],
    series: Mapping[str, Sequence[int]],
    labels: Mapping[str, str],
    empty_text: str,
) -> bytes:
    """Stacked bars, one per week, one colour per category; `labels` names the categories."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    big, normal, small = font(26), font(16), font(13)
    draw.text((MARGIN_LEFT, 18), title, fill="black", font=big)
    draw.text((MARGIN_LEFT, 50), subtitle, fill="#444444", font=small)
    left, top = MARGIN_LEFT, MARGIN_TOP + 20
    right, bottom = WIDTH - MARGIN_RIGHT, HEIGHT - MARGIN_BOTTOM
    totals = [sum(values[i] for values in series.values()) for i in range(len(weeks))]
    if not weeks or not any(totals):
        draw.text((left, (top + bottom) // 2), empty_text, fill="#444444", font=normal)
        return _png(image)

    step = _nice_step(max(totals))
    ceiling = step * math.ceil(max(totals) / step)
    scale = (bottom - top) / ceiling
    for tick in range(0, ceiling + 1, step):
        y = bottom - tick * scale
        draw.line((left, y, right, y), fill="#DDDDDD")
        draw.text((left - 8, y), str(tick), fill="black", font=small, anchor="rm")
    draw.line((left, top, left, bottom), fill="black")
    draw.line((left, bottom, right, bottom), fill="black")

    slot = (right - left) / len(weeks)
    bar = max(2.0, slot * 0.7)
    label_every = max(1, math.ceil(len(weeks) / 16))
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(series)}
    for i, week in enumerate(weeks):
        x0 = left + i * slot + (slot - bar) / 2
        y = float(bottom)
        for category, values in series.items():
            if values[i]:
                height = values[i] * scale
                draw.rectangle((x0, y - height, x0 + bar, y), fill=colours[category])
                y -= height
        if i % label_every == 0:
            draw.text(
                (x0 + bar / 2, bottom + 8), week_label(week), fill="black", font=small, anchor="ma"
            )

    y = top
    for category in series:
        draw.rectangle((right + 20, y + 2, right + 36, y + 18), fill=colours[category])
        label = labels.get(category, category)
        while len(label) > 4 and draw.textlength(label, font=normal) > MARGIN_RIGHT - 50:
            label = label[:-2] + "…"
        draw.text((right + 44, y), label, fill="black", font=normal)
        y += 26
    return _png(image)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
