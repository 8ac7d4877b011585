"""Test scans made from text: a page image as a scanner would give it (resolution, skew, noise).

The OCR tests and ``bench/ocr.py`` render the seed texts with this, so the truth of
every scan is known exactly and no scanned file has to be kept in the repository.
"""

from __future__ import annotations

import random
import textwrap
from pathlib import Path
from typing import Any

#: an A4 page is 8.27 inches wide; text is set at 11 pt with 1 inch margins
PAGE_INCHES = (8.27, 11.69)
POINTS = 11


def _font() -> str:
    """DejaVu Serif as matplotlib ships it (umlauts and ß included; Pillow's own font has none)."""
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSerif.ttf")


def render_page(text: str, dpi: int = 300, skew: float = 0.0, noise: float = 0.0, seed: int = 0) -> Any:
    """``text`` typeset on an A4 page image at ``dpi``, rotated by ``skew`` degrees, with ``noise``
    (share of pixels flipped to black or white, as dust and speckle)."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = (int(inches * dpi) for inches in PAGE_INCHES)
    size = round(POINTS * dpi / 72)
    font = ImageFont.truetype(_font(), size)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    margin = dpi
    characters = int((width - 2 * margin) / (size * 0.6))
    y = margin
    for paragraph in text.split("\n"):
        for line in textwrap.wrap(paragraph, characters):
            if y > height - margin - size:
                break
            draw.text((margin, y), line, fill=0, font=font)
            y += int(size * 1.35)
        y += int(size * 0.8)  # space between paragraphs, as in a letter
    if skew:
        page = page.rotate(skew, expand=False, fillcolor=255, resample=Image.Resampling.BICUBIC)
    if noise:
        rng = random.Random(seed)
        pixels = page.load()
        for _ in range(int(width * height * noise)):
            pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 255))
    return page


def page_text(text: str, characters: int = 1500) -> str:
    """About one page of ``text``, cut at a paragraph or sentence end."""
    cut = text[:characters]
    end = max(cut.rfind("\n"), cut.rfind(". "))
    return cut[: end + 1].strip() if end > characters // 2 else cut.strip()


def typeset_pdf(pages: list[str], path: Any) -> Any:
    """A typed PDF (with a text layer) of ``pages``, one A4 page each: matplotlib's PDF backend
    with TrueType fonts, so pypdf and pdfium read the words back."""
    import matplotlib

    _quiet_font_subsetting()

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Serif"}), PdfPages(path) as pdf:
        for text in pages:
            figure = plt.figure(figsize=PAGE_INCHES)
            lines = [line for paragraph in text.split("\n") for line in (textwrap.wrap(paragraph, 80) or [""])]
            figure.text(0.1, 0.92, "\n".join(lines), va="top", fontsize=POINTS, linespacing=1.4)
            pdf.savefig(figure)
            plt.close(figure)
    return path


def table_pdf(before: str, rows: list[list[str]], after: str, path: Any) -> Any:
    """A typed one-page PDF: a paragraph, a ruled table (first row = headers), a paragraph."""
    import matplotlib

    _quiet_font_subsetting()

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Serif"}):
        figure = plt.figure(figsize=PAGE_INCHES)
        figure.text(0.1, 0.92, "\n".join(textwrap.wrap(before, 80)), va="top", fontsize=POINTS, linespacing=1.4)
        axes = figure.add_axes((0.1, 0.55, 0.8, 0.04 * len(rows)))
        axes.axis("off")
        table = axes.table(cellText=rows, loc="upper left", cellLoc="left")
        table.auto_set_font_size(False)
        table.set_fontsize(POINTS)
        table.scale(1, 1.6)
        figure.text(0.1, 0.45, "\n".join(textwrap.wrap(after, 80)), va="top", fontsize=POINTS, linespacing=1.4)
        figure.savefig(path, format="pdf")
        plt.close(figure)
    return path


def _quiet_font_subsetting() -> None:
    """fontTools logs every table it prunes while matplotlib embeds a font: noise in a benchmark's output."""
    import logging

    logging.getLogger("fontTools").setLevel(logging.WARNING)
