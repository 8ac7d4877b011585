"""Ingest a folder: load, split, embed, write to Chroma — only what changed.

Each document is identified by its source name and a fingerprint: the hash of the file's
bytes, the chunking it was split with (so a new ``chunk_size`` re-indexes) and the version
of the text extraction.  An unchanged file is recognised before it is converted.  An unchanged
document costs no embedding work; a changed one has its chunks replaced; a document
that disappeared from the folder has its chunks removed.  A document's chunks are
written before its source record, so an interrupted run leaves at most a document
without a source record, which the next run sees as new and writes again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.config import Settings
from assistant.search_text import searchable_text
from assistant.store import SourceRecord, Store
from ingest.extract import EXTRACT_VERSION
from ingest.loader import Skipped, load_documents, source_name
from ingest.splitter import split_documents

log = logging.getLogger(__name__)

#: ``progress(source, files_done, files_total, chunks_done)``, called after each document
Progress = Callable[[str, int, int, int], None]


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        rate = f" ({self.chunks_embedded / self.seconds:.1f} chunks/s)" if self.chunks_embedded and self.seconds else ""
        text = (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; "
            f"{self.chunks_embedded} chunks embedded in {self.seconds:.1f} s{rate}"
        )
        for item in self.skipped:
            reason = item.reason if item.reason.startswith(str(item.path)) else f"{item.path}: {item.reason}"
            text += f"\n  skipped {reason}"
        return text


def ingest_path(
    settings: Settings,
    store: Store,
    embedder: BaseEmbedding,
    path: Path | None = None,
    rebuild: bool = False,
    remove_missing: bool = True,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the index in line with the documents below ``path`` (default: the corpus folder).

    ``remove_missing`` drops indexed documents that are no longer below ``path``; it only
    applies when ``path`` is the corpus folder, so ingesting one extra file never
    removes the rest.
    """
    started = time.perf_counter()
    root = settings.corpus_dir
    path = path or root
    if rebuild:
        store.reset()
    max_bytes = int(settings.max_document_mb * 1024 * 1024)
    known = store.source_fingerprints()
    chunking = f"chunks {settings.chunk_size}/{settings.chunk_overlap} extract {EXTRACT_VERSION}"

    def fingerprint(digest: str) -> str:
        return f"{digest} {chunking}"

    def unchanged(source: str, digest: str) -> bool:
        return known.get(source) == fingerprint(digest)

    below = root if _is_below(path, root) else None
    documents, skipped = load_documents(path, root=below, max_bytes=max_bytes, unchanged=unchanged)
    report = IngestReport(skipped=skipped)

    todo = []
    fingerprints = {d.metadata["source"]: fingerprint(d.metadata["file_hash"]) for d in documents}
    for document in documents:
        source = document.metadata["source"]
        if document.metadata.get("unchanged"):  # the loader compared its fingerprint already
            report.unchanged.append(source)
        else:
            (report.updated if source in known else report.added).append(source)
            todo.append(document)

    if remove_missing and path.resolve() == root.resolve():
        present = {d.metadata["source"] for d in documents} | {source_name(s.path, root) for s in skipped}
        for source in sorted(set(known) - present):
            store.delete_source(source)
            report.removed.append(source)

    for done, document in enumerate(todo, start=1):
        source = document.metadata["source"]
        chunks = split_documents([document], settings.chunk_size, settings.chunk_overlap)
        if not chunks:
            report.skipped.append(Skipped(Path(source), "no text to index"))
            continue
        vectors = embedder.get_text_embedding_batch(
            [searchable_text(c.get_content(), str(c.metadata.get("section") or "")) for c in chunks]
        )
        for chunk, vector in zip(chunks, vectors, strict=True):
            chunk.embedding = vector
        store.chunks.delete(where={"source": source})
        store.vector_store.add(chunks)
        store.put_source(
            SourceRecord(
                source=source,
                text=document.text,
                language=document.metadata["language"],
                content_hash=document.metadata["content_hash"],
                chunks=len(chunks),
                ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
                fingerprint=fingerprints[source],
                ocr_pages=str(document.metadata.get("ocr_pages") or ""),
            ),
            embedding=vectors[0],
        )
        report.chunks_embedded += len(chunks)
        if progress:
            progress(source, done, len(todo), report.chunks_embedded)
    report.seconds = time.perf_counter() - started
    log.info("ingest: %s", report.summary())
    return report


def _is_below(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False
