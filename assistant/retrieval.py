"""Retrieval of passages from the Chroma store: dense, BM25, or both fused.

Queries go through llama-index's ``ChromaVectorStore``.  It reports similarity as
``exp(-distance)``; the collection uses cosine distance (``1 - cos``), so the cosine
similarity is recovered as ``1 + ln(similarity)``.  Cosine is what quellen shows as
``score`` and what the refusal threshold ``min_score`` is measured in.

Hybrid retrieval takes the dense ranking and gives its last ``bm25_slots`` places of
the top k to the best BM25 passages the dense ranking missed.  Reciprocal rank fusion
was measured first and rejected: it raised same-language hit@5 but pushed the
cross-lingual passages out (corpus de-en/en-de hit@5 0.625 -> 0.375), while one BM25
slot raised both (corpus all 0.744 -> 0.768, XQuAD either-copy 0.956 -> 0.980).
Every returned passage carries its cosine similarity to the question (computed from
its stored embedding when only BM25 found it), so the refusal threshold means the same
in every mode.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Literal

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters, VectorStoreQuery

from assistant.lexical import Bm25Index
from assistant.store import Store
from assistant.types import Passage

RetrievalMode = Literal["dense", "bm25", "hybrid"]
EXTERNAL_CHECK_SECONDS = 10.0


def _cosine(similarity: float) -> float:
    return 1.0 + math.log(similarity) if similarity > 0 else -1.0


class DenseRetriever:
    """Finds the ``k`` chunks closest to a question, in any language."""

    def __init__(self, store: Store, embedder: BaseEmbedding) -> None:
        self.store = store
        self.embedder = embedder

    def retrieve(
        self, question: str, k: int, language: str | None = None, query_embedding: list[float] | None = None
    ) -> list[Passage]:
        """The ``k`` best passages, best first; ``language`` ("de"/"en") restricts the chunks searched."""
        if self.store.count() == 0:
            return []
        filters = None
        if language:
            filters = MetadataFilters(filters=[MetadataFilter(key="language", value=language)])
        query = VectorStoreQuery(
            query_embedding=query_embedding or self.embedder.get_query_embedding(question),
            similarity_top_k=k,
            filters=filters,
        )
        result = self.store.vector_store.query(query)
        passages = [
            _passage_from_record(node.node_id, node.get_content(), node.metadata, _cosine(float(similarity)))
            for node, similarity in zip(result.nodes or [], result.similarities or [], strict=False)
        ]
        return sorted(passages, key=lambda p: p.score, reverse=True)


def _passage_from_record(chunk_id: str, text: str, meta: dict, cosine: float) -> Passage:
    return Passage(
        source=str(meta["source"]),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        score=cosine,
        language=str(meta.get("language", "")),
        chunk_id=chunk_id,
    )


class HybridRetriever:
    """Dense, BM25, or dense with ``bm25_slots`` places for BM25 finds; ``mode`` picks which."""

    def __init__(
        self,
        store: Store,
        embedder: BaseEmbedding,
        mode: RetrievalMode = "hybrid",
        candidates: int = 20,
        bm25_slots: int = 1,
        top_k: int = 5,
    ) -> None:
        self.bm25_slots = bm25_slots
        #: the BM25 finds go to the last places of the top ``top_k`` (what the answerer reads),
        #: also when a caller asks for a deeper ranking
        self.top_k = top_k
        self.store = store
        self.embedder = embedder
        self.mode = mode
        self.candidates = candidates
        self.dense = DenseRetriever(store, embedder)
        self.bm25 = Bm25Index()
        self._signature = ""
        self._checked: tuple[int, float] = (-1, 0.0)

    def _refresh_bm25(self) -> None:
        """Rebuild the BM25 index when the indexed documents changed.

        Writes through this process's store are seen at once (``store.version``); writes by
        other processes (another ingest against the same database) within
        ``EXTERNAL_CHECK_SECONDS``, so a question does not pay for reading every source record.
        """
        now = time.monotonic()
        version, checked_at = self._checked
        if version == self.store.version and now - checked_at < EXTERNAL_CHECK_SECONDS:
            return
        self._checked = (self.store.version, now)
        hashes = sorted(self.store.source_fingerprints().items())
        signature = hashlib.sha256(repr(hashes).encode()).hexdigest()
        if signature == self._signature:
            return
        records = self.store.chunks.get(include=["documents", "metadatas"])
        metas = records.get("metadatas") or []
        self.bm25.build(
            list(records["ids"]),
            list(records.get("documents") or []),
            [str((m or {}).get("language", "en")) for m in metas],
        )
        self._signature = signature

    def retrieve(self, question: str, k: int, language: str | None = None) -> list[Passage]:
        if self.store.count() == 0:
            return []
        query = self.embedder.get_query_embedding(question)
        if self.mode == "dense":
            return self.dense.retrieve(question, k, language, query_embedding=query)
        depth = max(k, self.candidates)
        dense = [] if self.mode == "bm25" else self.dense.retrieve(question, depth, language, query_embedding=query)
        self._refresh_bm25()
        lexical = self.bm25.search(question, depth)
        if self.mode == "bm25":
            order = [chunk_id for chunk_id, _ in lexical]
        else:
            dense_ids = [p.chunk_id for p in dense]
            head = dense_ids[: max(0, min(k, self.top_k) - self.bm25_slots)]
            extra = [cid for cid, _ in lexical if cid not in head][: self.bm25_slots]
            order = list(dict.fromkeys(head + extra + dense_ids))
        known = {p.chunk_id: p for p in dense}
        missing = [cid for cid in order if cid not in known]
        if missing:
            records = self.store.chunks.get(ids=missing, include=["documents", "metadatas", "embeddings"])
            q = np.asarray(query, dtype=np.float32)
            for cid, text, meta, vector in zip(
                records["ids"], records["documents"], records["metadatas"], records["embeddings"], strict=True
            ):
                if language and meta.get("language") != language:
                    continue
                known[cid] = _passage_from_record(cid, text, meta, float(np.asarray(vector) @ q))
        return [known[cid] for cid in order if cid in known][:k]
