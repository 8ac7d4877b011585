"""Text from scanned pages and images, by Tesseract (German and English together).

Archives hold scanned letters and minutes: a PDF page without a text layer and an image
file are read with Tesseract through pytesseract (a thin, kept binding; ocrmypdf would
rewrite whole PDFs, more than needed to read a page).  PDF pages are rendered with
pypdfium2 at ``OCR_DPI``.  Without Tesseract such a file is skipped with a message
naming the Debian packages to install (``scripts/setup.sh`` installs them).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
from typing import Any

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
#: German first: its umlauts and ß, English words are still read well with both models
LANGUAGES = "deu+eng"
#: render scanned PDF pages at this resolution for OCR (Tesseract reads 300 dpi best)
OCR_DPI = 300
#: a PDF page with less extractable text than this is treated as scanned
MIN_TEXT_CHARS = 20
PACKAGES = "tesseract-ocr tesseract-ocr-deu tesseract-ocr-eng"
#: Tesseract's own OpenMP threads: with 2 cores one thread reads a page 4.7x faster (7.2 -> 1.5 s,
#: bench/ocr.py --ocrmypdf; ocrmypdf sets the same); set OMP_THREAD_LIMIT to override
OCR_THREADS = "1"


class OcrUnavailableError(RuntimeError):
    """Tesseract or one of its language models is missing; the message says what to install."""


@functools.cache
def check_tesseract() -> None:
    """Raise :class:`OcrUnavailableError` unless Tesseract with German and English is installed."""
    if shutil.which("tesseract") is None:
        raise OcrUnavailableError(f"scanned pages and images need Tesseract (Debian packages: {PACKAGES})")
    import pytesseract

    have = set(pytesseract.get_languages(config=""))
    missing = {"deu", "eng"} - have
    if missing:
        raise OcrUnavailableError(
            f"Tesseract lacks the language data {', '.join(sorted(missing))} (Debian packages: {PACKAGES})"
        )


def ocr_image(image: Any) -> str:
    """The text of one page image (PIL), German and English, as paragraphs.

    Tesseract ends every printed line with a newline; a paragraph's lines are joined
    again (a word hyphenated at a line end too, when a lowercase letter follows), so the
    text splits into sentences and chunks as the typed original would.
    """
    import pytesseract

    check_tesseract()
    os.environ.setdefault("OMP_THREAD_LIMIT", OCR_THREADS)  # read by the tesseract process pytesseract starts
    text = pytesseract.image_to_string(image.convert("L"), lang=LANGUAGES, config="--psm 3")
    return unwrap("\n".join(line.rstrip() for line in text.splitlines()).strip())


_HYPHENATED = re.compile(r"(\w)-\n(?=[a-zäöüß])")
#: "Baden-\nWürttemberg": the hyphen belongs to the word
_HYPHEN_WORD = re.compile(r"(\w)-\n(?=[A-ZÄÖÜ])")
_LINE_BREAK = re.compile(r"(?<!\n)\n(?!\n)")


def unwrap(text: str) -> str:
    """Printed lines joined into paragraphs; blank lines stay paragraph breaks."""
    return _LINE_BREAK.sub(" ", _HYPHEN_WORD.sub(r"\1-", _HYPHENATED.sub(r"\1", text)))


def image_pages(path: Any) -> list[Any]:
    """The pages of an image file (a TIFF may hold several)."""
    from PIL import Image, ImageSequence

    with Image.open(path) as image:
        return [frame.copy() for frame in ImageSequence.Iterator(image)]


def render_pdf_page(path: Any, index: int, dpi: int = OCR_DPI) -> Any:
    """Page ``index`` (0-based) of a PDF as a PIL image at ``dpi``."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        return document[index].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
