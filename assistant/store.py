"""The Chroma vector store: embedded on disk by default, a Chroma server by configuration.

Two collections per index:

* ``<collection>``: one record per chunk (text, embedding, metadata with source and
  offsets), written and queried through llama-index's ``ChromaVectorStore``;
* ``<collection>__sources``: one record per document with its full text, so citations
  can be shown in context and checked against their offsets even when the file on disk
  has changed since or lives on another machine (server mode).

Embeddings are always computed by quellen and passed in: Chroma's default embedder
would try to download a model.  The collection records which embedder made it, and
mixing embedders is refused, because vectors from two models are not comparable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import chromadb
from llama_index.vector_stores.chroma import ChromaVectorStore

from assistant.config import Settings

log = logging.getLogger(__name__)


class EmbedderMismatchError(RuntimeError):
    """The collection was built with another embedder than the configured one."""


@dataclass(frozen=True)
class SourceRecord:
    source: str
    text: str
    language: str
    content_hash: str
    chunks: int
    ingested_at: str
    #: content hash plus the chunking it was split with: either changing means re-indexing
    fingerprint: str = ""
    #: pages read by OCR ("1,3"; "1" for an image), empty when the text came from the file
    ocr_pages: str = ""


def make_client(settings: Settings) -> Any:
    """A Chroma client: ``HttpClient`` when ``chroma_url`` is set, else ``PersistentClient``."""
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise ValueError(f"chroma_url {settings.chroma_url!r} is not a URL like http://127.0.0.1:8000")
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


#: records per ``get`` call: one call for everything fails on large collections with
#: SQLite's "too many SQL variables" (found by bench/scale.py at ~30,000 chunks)
PAGE = 5000


def get_all(collection: Any, include: list[str]) -> dict[str, list]:
    """Every record of ``collection`` (ids plus ``include`` fields), read page by page."""
    merged: dict[str, list] = {"ids": [], **{field: [] for field in include}}
    offset = 0
    while True:
        page = collection.get(include=include, limit=PAGE, offset=offset)
        ids = list(page.get("ids") or [])
        merged["ids"].extend(ids)
        for field in include:
            merged[field].extend(list(page.get(field) or []))
        if len(ids) < PAGE:
            return merged
        offset += PAGE


class Store:
    """Chunks and sources of one index, in one Chroma database."""

    def __init__(self, settings: Settings, embedder_name: str) -> None:
        self.settings = settings
        self.embedder_name = embedder_name
        self.client = make_client(settings)
        self.chunks = self._collection(settings.collection)
        self.sources = self._collection(f"{settings.collection}__sources")
        self.vector_store = ChromaVectorStore(chroma_collection=self.chunks)
        #: bumped by every write through this object: lets in-process caches (BM25) notice changes cheaply
        self.version = 0

    def _collection(self, name: str) -> Any:
        collection = self.client.get_or_create_collection(
            name=name,
            embedding_function=None,
            metadata={"hnsw:space": "cosine", "embedder": self.embedder_name},
        )
        made_by = (collection.metadata or {}).get("embedder")
        if made_by and made_by != self.embedder_name:
            raise EmbedderMismatchError(
                f"collection {name!r} was built with embedder {made_by!r}, but {self.embedder_name!r} "
                f"is configured. Use the same embedder, another collection, or `quellen ingest --rebuild`."
            )
        return collection

    # --- whole index ---
    def count(self) -> int:
        return int(self.chunks.count())

    def reset(self) -> None:
        """Drop both collections and create them empty (``ingest --rebuild``)."""
        for name in (self.settings.collection, f"{self.settings.collection}__sources"):
            try:
                self.client.delete_collection(name)
            except Exception:
                log.debug("collection %s did not exist", name)
        self.chunks = self._collection(self.settings.collection)
        self.sources = self._collection(f"{self.settings.collection}__sources")
        self.vector_store = ChromaVectorStore(chroma_collection=self.chunks)
        self.version += 1

    # --- sources ---
    def source_fingerprints(self) -> dict[str, str]:
        """Source name -> fingerprint (file hash, chunking, extraction version) of every indexed document."""
        result = get_all(self.sources, ["metadatas"])
        return {
            str(m["source"]): str(m.get("fingerprint") or m["content_hash"])
            for m in result["metadatas"]
            if m is not None
        }

    def source_names(self) -> list[str]:
        """Names of the indexed documents (ids only: cheap enough to read per scoped question)."""
        return sorted(str(i) for i in get_all(self.sources, [])["ids"])

    def list_sources(self) -> list[SourceRecord]:
        result = get_all(self.sources, ["metadatas"])
        records = [
            SourceRecord(
                source=str(m["source"]),
                text="",
                language=str(m.get("language", "")),
                content_hash=str(m.get("content_hash", "")),
                chunks=int(m.get("chunks", 0)),
                ingested_at=str(m.get("ingested_at", "")),
                ocr_pages=str(m.get("ocr_pages") or ""),
            )
            for m in result["metadatas"]
            if m is not None
        ]
        return sorted(records, key=lambda r: r.source)

    def source_text(self, source: str) -> str | None:
        result = self.sources.get(ids=[source], include=["documents"])
        documents = result.get("documents") or []
        return documents[0] if documents else None

    def put_source(self, record: SourceRecord, embedding: list[float]) -> None:
        self.version += 1
        self.sources.upsert(
            ids=[record.source],
            documents=[record.text],
            embeddings=[embedding],
            metadatas=[
                {
                    "source": record.source,
                    "language": record.language,
                    "content_hash": record.content_hash,
                    "fingerprint": record.fingerprint or record.content_hash,
                    "chunks": record.chunks,
                    "ingested_at": record.ingested_at,
                    "ocr_pages": record.ocr_pages,
                }
            ],
        )

    def delete_source(self, source: str) -> None:
        """Remove a document and all its chunks."""
        self.version += 1
        self.chunks.delete(where={"source": source})
        self.sources.delete(ids=[source])
