"""The fonts of the PDFs (the station poster, the lägesbild): Noto Sans and Noto Sans Arabic
(bot/assets/fonts, SIL OFL 1.1); Arabic is shaped right to left by HarfBuzz."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "assets" / "fonts"
#: Languages written in Noto Sans Arabic.
ARABIC = frozenset({"ar", "fa", "ur"})


def add_fonts(pdf: FPDF) -> None:
    """ "Sans" (regular and bold) and "Arab" (regular), each the other's fallback; text
    shaping on."""
    pdf.add_font("Sans", "", str(FONTS / "NotoSans-Regular.ttf"))
    pdf.add_font("Sans", "B", str(FONTS / "NotoSans-Bold.ttf"))
    pdf.add_font("Arab", "", str(FONTS / "NotoSansArabic-Regular.ttf"))
    pdf.set_fallback_fonts(["Sans", "Arab"])
    pdf.set_text_shaping(True)


def font_for(lang: str) -> str:
    """The font a text in `lang` is set in."""
    return "Arab" if lang in ARABIC else "Sans"
