"""The printed PDF page beside the text, the supporting sentence highlighted (issue 16)."""

from __future__ import annotations

import io
from pathlib import Path

from assistant.page_view import page_png, quote_page
from bench.scans import render_page, typeset_pdf

PAGES = [
    "Der Haushalt 2022 betrug 135.500 Euro. Das Netzwerk Alpenraum hat zwölf Mitglieder.",
    "Seite zwei: Die Sitzung fand in Innsbruck statt. Weitere Angaben folgen im Anhang.",
]


def _highlighted(png: bytes) -> int:
    """Pixels in the highlight colour (yellow over white paper)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(1 for r, g, b in image.getdata() if r > 240 and 215 < g < 240 and 150 < b < 200)


def test_the_cited_sentence_is_highlighted_on_its_page(tmp_path: Path) -> None:
    pdf = typeset_pdf(PAGES, tmp_path / "haushalt.pdf")
    marked = page_png(pdf, 2, "Die Sitzung fand in Innsbruck statt.")
    plain = page_png(pdf, 2)
    assert marked is not None and plain is not None
    assert _highlighted(marked) > 2000 and _highlighted(plain) == 0
    assert _highlighted(page_png(pdf, 1, "Die Sitzung fand in Innsbruck statt.") or b"") == 0, "not on page 1"
    assert page_png(pdf, 3) is None and page_png(tmp_path / "nothing.pdf", 1) is None
    assert quote_page(pdf, 1, 2, "Die Sitzung fand in Innsbruck statt.") == 2
    assert quote_page(pdf, 1, 2, "Der Haushalt 2022 betrug 135.500 Euro.") == 1
    assert quote_page(pdf, 1, 2, "Nirgends gedruckt.") == 1


def test_a_scanned_page_is_shown_without_boxes(tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    render_page(PAGES[1], dpi=100).convert("RGB").save(scan, resolution=100)
    png = page_png(scan, 1, "Die Sitzung fand in Innsbruck statt.")
    assert png is not None and _highlighted(png) == 0
