"""The document library: the corpus folder and its index, kept in step.

Ingest, uploads, removal and reading a document back are one job, apart from answering
questions: the Assistant holds one :class:`Library` and every variant of it (eval
columns, a session's settings) shares that same object, so two sessions' uploads take
the same lock and never interleave their writes to the index.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.config import Settings
from assistant.store import SourceRecord, Store
from ingest.pipeline import IngestReport, Progress, ingest_path
from ingest.upload import UploadError, store_upload

log = logging.getLogger(__name__)


class Library:
    """The documents a collection answers from: add, update, remove, list and read them."""

    def __init__(self, settings: Settings, store: Store, embedder: BaseEmbedding) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        #: one ingest at a time: uploads from two sessions must not interleave their writes
        self._lock = threading.Lock()

    def ingest(self, path: Path | None = None, rebuild: bool = False, progress: Progress | None = None) -> IngestReport:
        """Bring the index in line with ``path`` (default: the corpus folder); one ingest at a time."""
        with self._lock:
            return ingest_path(self.settings, self.store, self.embedder, path, rebuild=rebuild, progress=progress)

    def ensure_ingested(self) -> IngestReport | None:
        """Ingest the corpus folder when the index is empty (first start)."""
        if self.store.count() > 0:
            return None
        log.info("index is empty: ingesting %s", self.settings.corpus_dir)
        return self.ingest()

    def add_files(
        self, files: Sequence[tuple[Path, str]], progress: Progress | None = None
    ) -> tuple[IngestReport, list[UploadError]]:
        """Copy uploaded ``(path, original name)`` files into the corpus folder and ingest them.

        Returns the combined report and one error per refused file (bad name, type or
        size; ``str()`` is the English message); refused files do not stop the others.
        """
        stored: list[Path] = []
        refused: list[UploadError] = []
        limit = int(self.settings.max_upload_mb * 1024 * 1024)
        for path, name in files:
            try:
                stored.append(store_upload(path, name, self.settings.corpus_dir, limit))
            except UploadError as error:
                refused.append(error)
        report = IngestReport()
        with self._lock:
            for done, path in enumerate(stored, start=1):
                one = ingest_path(self.settings, self.store, self.embedder, path)
                for name in ("added", "updated", "unchanged", "skipped"):
                    getattr(report, name).extend(getattr(one, name))
                report.chunks_embedded += one.chunks_embedded
                report.seconds += one.seconds
                if progress:
                    progress(path.name, done, len(stored), report.chunks_embedded)
        return report, refused

    def remove_document(self, source: str) -> Path | None:
        """Take ``source`` out of the index and its file out of the corpus folder.

        The file is moved to ``state_dir/removed/`` rather than deleted (nothing is lost);
        the path it was moved to is returned, or ``None`` when it was not in the folder.
        """
        if source not in {r.source for r in self.store.list_sources()}:
            raise KeyError(f"{source!r} is not in the index")
        file = self.source_file(source)
        moved: Path | None = None
        with self._lock:
            if file is not None:
                stamp = time.strftime("%Y%m%d-%H%M%S")
                moved = self.settings.removed_dir / stamp / source
                moved.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(file, moved)
            self.store.delete_source(source)
        log.info("removed %s from the index%s", source, f" (file kept in {moved})" if moved else "")
        return moved

    def documents(self) -> list[SourceRecord]:
        return self.store.list_sources()

    def source_file(self, source: str) -> Path | None:
        """The document's file in the corpus folder, when it is there (the page view of a PDF reads it)."""
        corpus = self.settings.corpus_dir.resolve()
        file = (corpus / source).resolve()
        return file if file.is_file() and file.is_relative_to(corpus) else None

    def source_text(self, source: str) -> str | None:
        """Full text of an indexed document, as it was ingested (citation offsets point into it)."""
        return self.store.source_text(source)
