"""A cited PDF page as an image, the supporting sentence's boxes highlighted.

The text view shows what was indexed; a reader checking a funding table or a signed
letter also wants the page as printed.  pypdfium2 renders the page and finds the
sentence in the page's own text layer (its character boxes); words are searched one
run at a time, so a sentence broken over lines or columns is still boxed.  A page read
by OCR has no text layer: it is shown without boxes.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

log = logging.getLogger(__name__)

#: rendering resolution of the page view (a page is ~1,100 px wide at 130 dpi)
VIEW_DPI = 130
HIGHLIGHT = (255, 216, 77, 110)


def _boxes(page: object, quote: str) -> list[tuple[float, float, float, float]]:
    """Rectangles (PDF points, origin bottom left) covering ``quote`` on ``page``."""
    textpage = page.get_textpage()  # type: ignore[attr-defined]
    try:
        found: list[tuple[float, float, float, float]] = []
        words = quote.split()
        # the sentence as printed may be hyphenated or broken differently: search runs of 4 words
        for start in range(0, len(words), 4):
            run = " ".join(words[start : start + 4])
            searcher = textpage.search(run, match_case=True)
            hit = searcher.get_next()
            searcher.close()
            if hit is None:
                continue
            index, count = hit
            for n in range(textpage.count_rects(index, count)):
                found.append(textpage.get_rect(n))
        return found
    finally:
        textpage.close()


def quote_page(pdf: Path, first: int, last: int, quote: str) -> int:
    """The page from ``first`` to ``last + 1`` (1-based) that shows most of ``quote``; ``first`` if none.

    A passage may run over a page break, and an evidence sentence may reach past its
    chunk's last page: the page the reader needs is the one holding most of the quote.
    """
    import pypdfium2 as pdfium

    if not quote:
        return first
    try:
        document = pdfium.PdfDocument(str(pdf))
    except (pdfium.PdfiumError, OSError):
        return first
    try:
        pages = range(first, min(last + 1, len(document)) + 1)
        covered = {number: len(_boxes(document[number - 1], quote)) for number in pages}
        best = max(covered, key=lambda number: (covered[number], -number), default=first)
        return best if covered.get(best) else first
    finally:
        document.close()


def page_png(pdf: Path, page_number: int, quote: str = "", dpi: int = VIEW_DPI) -> bytes | None:
    """Page ``page_number`` (1-based) of ``pdf`` as PNG bytes with ``quote`` highlighted; None when unreadable."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    try:
        document = pdfium.PdfDocument(str(pdf))
    except (pdfium.PdfiumError, OSError) as error:
        log.info("no page view of %s: %s", pdf.name, error)
        return None
    try:
        if not 1 <= page_number <= len(document):
            return None
        page = document[page_number - 1]
        scale = dpi / 72
        image = page.render(scale=scale).to_pil().convert("RGBA")
        boxes = _boxes(page, quote) if quote else []
        if boxes:
            height = page.get_height()
            overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(overlay)
            for left, bottom, right, top in boxes:
                draw.rectangle(
                    [left * scale - 2, (height - top) * scale - 2, right * scale + 2, (height - bottom) * scale + 2],
                    fill=HIGHLIGHT,
                )
            image = Image.alpha_composite(image, overlay)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()
    finally:
        document.close()
