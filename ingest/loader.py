"""Read source files into llama-index ``Document`` objects.

Text files are kept exactly as they are (no newline translation, no stripping): citation
offsets point into the text, and the source viewer shows it.  HTML, PDF and DOCX are
reduced to plain text by :mod:`ingest.extract`; that text is then the document's text.
Section headings and PDF page starts travel in the metadata (as JSON, excluded from
embedding) until the splitter turns them into each chunk's ``section`` and ``page``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from llama_index.core import Document

from assistant.language import detect_language
from ingest.extract import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, UnreadableFileError, extract, is_supported

log = logging.getLogger(__name__)

__all__ = ["SUPPORTED_SUFFIXES", "UnreadableFileError", "load_document", "load_documents"]
#: metadata keys that carry structure to the splitter; never embedded, never stored per chunk
STRUCTURE_KEYS = ("sections_json", "pages_json", "ocr_pages")
_HIDDEN = ["source", "file_name", "language", "content_hash", "file_hash", *STRUCTURE_KEYS]


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


#: threads that read and convert files (man, lxml and pypdf spend much of their time outside the GIL)
LOAD_THREADS = max(2, min(4, os.cpu_count() or 2))


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes: recognises an unchanged file without converting it."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_name(path: Path, root: Path) -> str:
    """The name a document is known by: its path relative to the corpus root, with '/'."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def load_document(path: Path, root: Path, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """Load one file as a ``Document`` whose id is its source name."""
    extracted = extract(path, max_bytes)
    text = extracted.text
    source = source_name(path, root)
    return Document(
        id_=source,
        text=text,
        metadata={
            "source": source,
            "file_name": path.name,
            "language": detect_language(text[:4000]),
            "content_hash": content_hash(text),
            "sections_json": json.dumps(extracted.sections, ensure_ascii=False),
            "pages_json": json.dumps(extracted.pages),
            "ocr_pages": ",".join(str(n) for n in extracted.ocr_pages),
        },
        excluded_embed_metadata_keys=list(_HIDDEN),
        excluded_llm_metadata_keys=list(_HIDDEN),
    )


def find_files(path: Path) -> list[Path]:
    """Every readable file below ``path`` (or ``path`` itself), in a stable order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or folder")
    return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))


def load_documents(
    path: Path,
    root: Path | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    unchanged: Callable[[str, str], bool] | None = None,
) -> tuple[list[Document], list[Skipped]]:
    """Load every supported file below ``path``; unsupported or broken files are reported, not fatal.

    Files are read by a few threads: rendering a man page waits on a ``man`` process and
    lxml parses outside the GIL, so loading 1,000+ files is no longer one file at a time.
    The result keeps the files' order.  Each document's metadata carries ``file_hash``;
    when ``unchanged(source, file_hash)`` is true the file is not converted at all and
    comes back as a document without text and with ``unchanged`` set (an unchanged
    re-ingest of 1,156 Debian files took 57 s converting them all again).
    """
    root = root or (path if path.is_dir() else path.parent)
    documents: list[Document] = []
    skipped: list[Skipped] = []
    files = []
    for file in find_files(path):
        if is_supported(file):
            files.append(file)
        else:
            skipped.append(Skipped(file, f"unsupported file type {file.suffix or '(none)'}"))

    def load(file: Path) -> Document | Skipped:
        try:
            source, digest = source_name(file, root), file_hash(file)
            if unchanged is not None and unchanged(source, digest):
                return Document(
                    id_=source, text="", metadata={"source": source, "file_hash": digest, "unchanged": True}
                )
            document = load_document(file, root, max_bytes)
            document.metadata["file_hash"] = digest
            return document
        except (UnreadableFileError, OSError) as error:
            return Skipped(file, str(error))

    with ThreadPoolExecutor(max_workers=LOAD_THREADS) as pool:
        for result in pool.map(load, files):
            (skipped if isinstance(result, Skipped) else documents).append(result)
    for item in skipped:
        log.warning("skipped %s: %s", item.path, item.reason)
    return documents, skipped
