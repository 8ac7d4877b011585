"""Read source files into llama-index ``Document`` objects.

The text is kept exactly as it is in the file (no newline translation, no stripping):
citation offsets point into it, and the source viewer shows it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from llama_index.core import Document

from assistant.language import detect_language

log = logging.getLogger(__name__)

#: File types read today; issue 6 adds html, pdf and docx.
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})


class UnreadableFileError(ValueError):
    """A file that cannot be ingested; the message names the file and the reason."""


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_text(path: Path) -> str:
    """Decode ``path`` as UTF-8, falling back to Latin-1 for legacy German files."""
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        raise UnreadableFileError(f"{path}: looks binary (NUL bytes), not a text document")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
        log.info("%s: not UTF-8, read as Latin-1", path)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise UnreadableFileError(f"{path}: empty document")
    return text


def source_name(path: Path, root: Path) -> str:
    """The name a document is known by: its path relative to the corpus root, with '/'."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def load_document(path: Path, root: Path) -> Document:
    """Load one file as a ``Document`` whose id is its source name."""
    text = read_text(path)
    source = source_name(path, root)
    return Document(
        id_=source,
        text=text,
        metadata={
            "source": source,
            "file_name": path.name,
            "language": detect_language(text[:4000]),
            "content_hash": content_hash(text),
        },
        excluded_embed_metadata_keys=["source", "file_name", "language", "content_hash"],
        excluded_llm_metadata_keys=["source", "file_name", "language", "content_hash"],
    )


def find_files(path: Path) -> list[Path]:
    """Every readable file below ``path`` (or ``path`` itself), in a stable order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or folder")
    return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))


def load_documents(path: Path, root: Path | None = None) -> tuple[list[Document], list[Skipped]]:
    """Load every supported file below ``path``; unsupported or broken files are reported, not fatal."""
    root = root or (path if path.is_dir() else path.parent)
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for file in find_files(path):
        if file.suffix.lower() not in TEXT_SUFFIXES:
            skipped.append(Skipped(file, f"unsupported file type {file.suffix or '(none)'}"))
            continue
        try:
            documents.append(load_document(file, root))
        except (UnreadableFileError, OSError) as error:
            skipped.append(Skipped(file, str(error)))
    for item in skipped:
        log.warning("skipped %s: %s", item.path, item.reason)
    return documents, skipped
