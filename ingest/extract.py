"""Plain text out of each supported file type, with where its sections and pages start.

The extracted text is what quellen indexes, stores as the document's text and cites
into (``text == source_text[start:end]``); so every format is reduced to one string
first, and its structure is kept as offsets into that string:

* ``sections``: (offset, heading) for headings (Markdown ``#``, HTML ``h1``-``h6``,
  Word "Heading" styles), so a chunk knows the section it belongs to;
* ``pages``: the offset where each PDF page starts, so a citation names its page.

Tables (HTML, DOCX, ruled PDF tables) become one line per row with the column headers in it
(:mod:`ingest.tables`), so a row can be found and cited on its own.

Man pages (``name.1.gz``) are rendered by the system's ``man`` when it is installed.
Scanned PDF pages and images (PNG, JPEG, TIFF) are read by Tesseract (:mod:`ingest.ocr`).

Libraries: BeautifulSoup (HTML, with lxml's parser), pypdf (PDF), python-docx
(DOCX), charset-normalizer (legacy encodings).  Navigation, headers, footers, scripts
and styles are dropped from HTML: they are boilerplate, not content.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.headings import plain_text_headings
from ingest.ocr import (
    IMAGE_SUFFIXES,
    MIN_TEXT_CHARS,
    OcrUnavailableError,
    image_pages,
    ocr_image,
    render_pdf_page,
)
from ingest.tables import pdf_pages_with_tables, table_lines

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
#: part of every document's fingerprint: bump it when extraction changes the text it
#: produces, so the next ingest converts every file again instead of keeping old text
EXTRACT_VERSION = 10
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | IMAGE_SUFFIXES | {".pdf", ".docx"}
#: larger files are refused before reading: a collection of documents, not a data dump
MAX_FILE_BYTES = 200 * 1024 * 1024

#: man pages as Debian ships them: ``name.SECTION.gz`` (ls.1.gz, apt.conf.5.gz)
_MAN_PAGE = re.compile(r"\.[1-9][a-z]*\.gz$", re.IGNORECASE)
_MAN_HEADING = re.compile(r"^([A-ZÄÖÜ][A-ZÄÖÜ0-9 ,/-]{1,40})$", re.MULTILINE)
_OVERSTRIKE = re.compile(r".\x08")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
_BOILERPLATE_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "svg")
_BLOCK_TAGS = frozenset(
    "p div section article main li dt dd pre blockquote table tr h1 h2 h3 h4 h5 h6 figcaption td th".split()
)


class UnreadableFileError(ValueError):
    """A file that cannot be ingested; the message names the file and the reason."""


@dataclass
class Extracted:
    """A document's text and its structure as offsets into that text."""

    text: str
    sections: list[tuple[int, str]] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    #: 1-based pages whose text Tesseract read (scanned PDF pages, images)
    ocr_pages: list[int] = field(default_factory=list)

    def section_at(self, offset: int) -> str:
        """Heading of the section containing ``offset`` ("" before the first heading)."""
        current = ""
        for start, heading in self.sections:
            if start > offset:
                break
            current = heading
        return current

    def page_at(self, offset: int) -> int | None:
        """1-based page containing ``offset`` (PDF), else ``None``."""
        if not self.pages:
            return None
        page = 1
        for number, start in enumerate(self.pages, start=1):
            if start > offset:
                break
            page = number
        return page


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES or bool(_MAN_PAGE.search(path.name))


def extract(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Extracted:
    """The text and structure of ``path``; :class:`UnreadableFileError` says why not.

    Files over ``max_bytes`` are refused before reading (the ``max_document_mb`` setting).
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise UnreadableFileError(
            f"{path}: {size / 2**20:.1f} MB is over the limit of {max_bytes / 2**20:.1f} MB per document "
            f"(setting max_document_mb)"
        )
    suffix = path.suffix.lower()
    if _MAN_PAGE.search(path.name):
        result = _man(path)
    elif suffix in TEXT_SUFFIXES:
        text = decode(path.read_bytes(), path)
        if suffix in (".txt", ".text"):
            sections = plain_text_headings(text)
        else:
            sections = [(m.start(), m.group(2)) for m in _MD_HEADING.finditer(text)]
        result = Extracted(text, sections)
    elif suffix in HTML_SUFFIXES:
        result = _html(decode(path.read_bytes(), path))
    elif suffix == ".pdf":
        result = _pdf(path)
    elif suffix == ".docx":
        result = _docx(path)
    elif suffix in IMAGE_SUFFIXES:
        result = _image(path)
    else:
        raise UnreadableFileError(f"{path}: unsupported file type {suffix or '(none)'}")
    if not result.text.strip():
        raise UnreadableFileError(f"{path}: empty document (no text)")
    return result


def decode(raw: bytes, path: Path) -> str:
    """UTF-8, else the encoding charset-normalizer finds (legacy German files), else Latin-1."""
    if raw[:2] == b"\x1f\x8b":
        raise UnreadableFileError(f"{path}: gzip-compressed; unpack it first")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):  # UTF-16/32 text (Windows "Unicode" files) is full of NUL bytes
            return _control_free(raw[len(bom) :].decode(encoding, errors="replace"))
    head = raw[:8192]
    controls = sum(head.count(bytes([c])) for c in _BINARY_BYTES)
    if head.count(b"\x00") > max(2, len(head) // 100) or controls > max(8, len(head) // 20):
        raise UnreadableFileError(f"{path}: looks binary (NUL bytes), not a text document")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        encoding = best.encoding if best is not None else "latin-1"
        text = raw.decode(encoding, errors="replace")
        log.info("%s: not UTF-8, read as %s", path, encoding)
    return _control_free(text[1:] if text.startswith("\ufeff") else text)


#: bytes text files hardly contain (tab, line breaks, form feed and escape excluded)
_BINARY_BYTES = [*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)]
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
#: control characters become spaces (form feed a line break): one for one, so nothing shifts
_CONTROLS = {c: " " for c in [*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F]} | {0x0C: "\n"}


def _control_free(text: str) -> str:
    return text.translate(_CONTROLS)


def _html(markup: str) -> Extracted:
    from bs4 import BeautifulSoup, NavigableString, Tag, XMLParsedAsHTMLWarning

    # lxml's C parser: html.parser took 16 % of the ingest time (bench/scale.py --profile).
    # XHTML files (the Debian Reference) are read as HTML on purpose: bs4's warning is noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(markup, "lxml")
    for tag in soup.find_all(_BOILERPLATE_TAGS):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": ["navigation", "banner", "contentinfo"]}):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks: list[str] = []
    sections: list[tuple[int, str]] = []
    offset = 0
    current: list[str] = []

    def flush() -> None:
        nonlocal offset
        line = " ".join(" ".join(current).split())
        current.clear()
        if line:
            blocks.append(line)
            offset += len(line) + 2

    def table(node: Tag) -> None:
        """A table's rows as lines with their column headers (ingest/tables.py)."""
        flush()
        caption = node.find("caption")
        rows = [
            [cell.get_text(" ") for cell in row.find_all(["th", "td"], recursive=False)]
            for row in node.find_all("tr")
            if row.find_parent("table") is node
        ]
        heading = sections[-1][1] if sections else ""
        for line in table_lines(rows, caption.get_text(" ") if caption else "", heading):
            current.append(line)
            flush()

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:  # not comments, CDATA, doctype
                    current.append(str(child))
            elif isinstance(child, Tag):
                if child.name == "table":
                    table(child)
                elif child.name == "br":
                    flush()
                elif child.name in _BLOCK_TAGS:
                    flush()
                    if child.name in ("h1", "h2", "h3", "h4", "h5", "h6"):
                        heading = " ".join(child.get_text(" ").split())
                        if heading:
                            sections.append((offset, heading))
                    walk(child)
                    flush()
                else:
                    walk(child)

    walk(root)  # type: ignore[arg-type]
    flush()
    return Extracted("\n\n".join(blocks), sections)


def _man(path: Path) -> Extracted:
    """A man page rendered to plain text by the system's ``man`` (groff); section names as headings."""
    man = shutil.which("man")
    if man is None:
        raise UnreadableFileError(f"{path}: man pages need the 'man' command (Debian package man-db)")
    env = {**os.environ, "MANWIDTH": "100", "LANG": "C.UTF-8", "MANPAGER": "cat", "PAGER": "cat"}
    try:
        run = subprocess.run([man, "-l", str(path)], capture_output=True, env=env, timeout=60, check=False)
    except subprocess.TimeoutExpired as error:
        raise UnreadableFileError(f"{path}: man took too long to render it") from error
    if run.returncode != 0 or not run.stdout.strip():
        message = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise UnreadableFileError(f"{path}: man could not render it ({message[0]})")
    text = _OVERSTRIKE.sub("", run.stdout.decode("utf-8", "replace"))
    return Extracted(text, [(m.start(), m.group(1).strip()) for m in _MAN_HEADING.finditer(text)])


def _pdf(path: Path) -> Extracted:
    """The text layer page by page; a page without one is read by OCR (ingest/ocr.py)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise UnreadableFileError(f"{path}: encrypted PDF")
        pages_text = [(page.extract_text() or "").strip() for page in reader.pages]
    except UnreadableFileError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise UnreadableFileError(f"{path}: broken PDF ({error})") from error
    try:
        for index, text in pdf_pages_with_tables(path).items():
            pages_text[index] = text
    except Exception as error:  # pdfplumber failing on an odd PDF costs the tables, not the document
        log.warning("%s: tables not read (%s); the page text stays as pypdf reads it", path, error)
    scanned = [i for i, page in enumerate(pages_text) if len(page) < MIN_TEXT_CHARS]
    ocr_pages: list[int] = []
    for index in scanned:
        try:
            read = ocr_image(render_pdf_page(path, index))
        except OcrUnavailableError as error:
            if len(scanned) == len(pages_text):
                raise UnreadableFileError(f"{path}: PDF without a text layer (scanned); {error}") from error
            log.warning("%s: page %d has no text layer and is left out: %s", path, index + 1, error)
            break
        if read:
            pages_text[index] = read
            ocr_pages.append(index + 1)
    text, starts = _paged(pages_text)
    if not text.strip():
        raise UnreadableFileError(f"{path}: PDF without any readable text (not even by OCR)")
    return Extracted(text, pages=starts, ocr_pages=ocr_pages)


def _image(path: Path) -> Extracted:
    """A scanned page (PNG, JPEG, TIFF; a TIFF may hold several pages), read by OCR."""
    try:
        pages = image_pages(path)
    except (OSError, ValueError) as error:
        raise UnreadableFileError(f"{path}: not a readable image ({error})") from error
    try:
        pages_text = [ocr_image(page) for page in pages]
    except OcrUnavailableError as error:
        raise UnreadableFileError(f"{path}: {error}") from error
    text, starts = _paged(pages_text)
    numbers = [n for n, page in enumerate(pages_text, start=1) if page]
    return Extracted(text, pages=starts if len(pages) > 1 else [], ocr_pages=numbers)


def _paged(pages_text: list[str]) -> tuple[str, list[int]]:
    """Pages joined by a blank line, and the offset where each starts."""
    text, starts = "", []
    for page in pages_text:
        starts.append(len(text))
        text += page + "\n\n"
    return text.rstrip("\n") + "\n", starts


def _docx(path: Path) -> Extracted:
    import zipfile

    from docx import Document as WordDocument
    from docx.opc.exceptions import OpcError

    try:
        word = WordDocument(str(path))
    except (zipfile.BadZipFile, OpcError, KeyError, ValueError) as error:
        raise UnreadableFileError(f"{path}: broken DOCX ({error})") from error
    from docx.table import Table

    parts: list[str] = []
    sections: list[tuple[int, str]] = []
    offset = 0
    for block in word.iter_inner_content():  # paragraphs and tables in document order
        if isinstance(block, Table):
            lines = table_lines(_docx_rows(block), heading=sections[-1][1] if sections else "")
        else:
            line = block.text.strip()
            if not line:
                continue
            style = (block.style.name if block.style is not None else "") or ""
            if style.lower().startswith(("heading", "überschrift", "title", "titel")):
                sections.append((offset, line))
            lines = [line]
        for line in lines:
            parts.append(line)
            offset += len(line) + 2
    return Extracted("\n\n".join(parts), sections)


def _docx_rows(table: Any) -> list[list[str]]:
    """Cell texts per row; a merged cell (Word repeats it per spanned column) counts once."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(cell.text)
        rows.append(cells)
    return rows
