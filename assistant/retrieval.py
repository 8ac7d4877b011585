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
When the question is also searched translated (``also``, see
:mod:`assistant.query_transform`), BM25 sees both languages' words and stops being
blind across languages, and full reciprocal rank fusion of dense and BM25 wins (corpus
hit@5 0.793 with one slot -> 0.866, MRR 0.577 -> 0.690; docs/evaluation.md).
Every returned passage carries its cosine similarity to the question (computed from
its stored embedding when only BM25 found it), so the refusal threshold means the same
in every mode.
"""

from __future__ import annotations

import hashlib
import logging
import math
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters, VectorStoreQuery

from assistant.embeddings import unit_rows
from assistant.lexical import TOKENS_VERSION, Bm25Index
from assistant.scope import Scope
from assistant.search_text import searchable_text
from assistant.store import Store, get_all
from assistant.types import Passage

log = logging.getLogger(__name__)

RetrievalMode = Literal["dense", "bm25", "hybrid"]
EXTERNAL_CHECK_SECONDS = 10.0
RRF_K = 60
#: with a scope, BM25 is searched this many times deeper, then cut to the finds inside the scope
SCOPED_BM25_DEPTH = 5
#: chunks read when looking a word up as text (an abbreviation's definitions: a handful)
CONTAINING_LIMIT = 200
EVERYTHING = Scope()


def _cosine(similarity: float) -> float:
    return 1.0 + math.log(similarity) if similarity > 0 else -1.0


class DenseRetriever:
    """Finds the ``k`` chunks closest to a question, in any language."""

    def __init__(self, store: Store, embedder: BaseEmbedding) -> None:
        self.store = store
        self.embedder = embedder

    def retrieve(self, question: str, k: int, scope: Scope = EVERYTHING) -> list[Passage]:
        """The ``k`` best passages, best first, among the chunks ``scope`` allows."""
        if self.store.count() == 0:
            return []
        names = scope.names(self.store.source_names())
        return self.search(self.embedder.get_query_embedding(question), k, scope.language, names)

    def search(
        self, query_embedding: list[float], k: int, language: str | None = None, sources: list[str] | None = None
    ) -> list[Passage]:
        """Like :meth:`retrieve` for an embedded question; ``sources`` (exact names) restricts it further."""
        conditions = []
        if language:
            conditions.append(MetadataFilter(key="language", value=language))
        if sources is not None:
            if not sources:
                return []
            conditions.append(MetadataFilter(key="source", value=sources, operator=FilterOperator.IN))
        filters = MetadataFilters(filters=conditions) if conditions else None
        query = VectorStoreQuery(query_embedding=query_embedding, similarity_top_k=k, filters=filters)
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
        section=str(meta.get("section") or ""),
        page=int(meta["page"]) if meta.get("page") is not None else None,
        page_end=int(meta["page_end"]) if meta.get("page_end") is not None else None,
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
        #: one rebuild at a time: a question arriving during the warm-up waits for it
        self._refresh_lock = threading.Lock()

    def warm_up(self) -> None:
        """Build the BM25 index now rather than at the first question (20 s at 61,000 chunks)."""
        if self.mode != "dense" and self.store.count():
            self._refresh_bm25()

    def _refresh_bm25(self) -> None:
        """Rebuild the BM25 index when the indexed documents changed.

        Writes through this process's store are seen at once (``store.version``); writes by
        other processes (another ingest against the same database) within
        ``EXTERNAL_CHECK_SECONDS``, so a question does not pay for reading every source record.
        """
        with self._refresh_lock:
            now = time.monotonic()
            version, checked_at = self._checked
            if version == self.store.version and now - checked_at < EXTERNAL_CHECK_SECONDS:
                return
            self._checked = (self.store.version, now)
            hashes = [TOKENS_VERSION, *sorted(self.store.source_fingerprints().items())]
            signature = hashlib.sha256(repr(hashes).encode()).hexdigest()
            if signature == self._signature:
                return
            cache = self.store.settings.state_dir / "bm25" / self.store.settings.collection
            if not self.bm25.load(cache / signature[:16]):
                records = get_all(self.store.chunks, ["documents", "metadatas"])
                self.bm25.build(
                    list(records["ids"]),
                    [
                        searchable_text(text, str((m or {}).get("section") or ""))
                        for text, m in zip(records["documents"], records["metadatas"], strict=True)
                    ],
                    [str((m or {}).get("language", "en")) for m in records["metadatas"]],
                )
                self._save_bm25(cache, signature[:16])
            self._signature = signature

    def _save_bm25(self, cache: Path, name: str) -> None:
        """Keep the built index on disk (20 s to build at 61,000 chunks), only the latest one."""
        try:
            for old in cache.glob("*"):
                shutil.rmtree(old, ignore_errors=True)
            self.bm25.save(cache / name)
        except OSError as error:  # a read-only state folder costs speed, not answers
            log.warning("could not keep the BM25 index in %s: %s", cache, error)

    def retrieve(self, question: str, k: int, scope: Scope = EVERYTHING, also: Sequence[str] = ()) -> list[Passage]:
        """The ``k`` best passages for ``question`` among the chunks ``scope`` allows, best first.

        ``also`` holds other phrasings of the same question (e.g. its translation): each is
        searched too, and a passage's score is its best cosine to any phrasing, so a
        passage in the other language ranks as high as its translated question puts it.
        """
        if self.store.count() == 0:
            return []
        names = scope.names(self.store.source_names())
        if names is not None and not names:
            return []
        phrasings = list(dict.fromkeys([question, *also]))
        embeddings = [self.embedder.get_query_embedding(text) for text in phrasings]
        depth = k if self.mode == "dense" else max(k, self.candidates)
        dense: list[Passage] = []
        if self.mode != "bm25":
            dense = _best_of([self.dense.search(e, depth, scope.language, names) for e in embeddings])[:depth]
        if self.mode == "dense":
            return self._scored_by_own_words(dense[:k], embeddings)
        self._refresh_bm25()
        # a narrow scope leaves few BM25 finds in it: look deeper, then keep those inside
        lexical_depth = depth * SCOPED_BM25_DEPTH if scope.restricts else depth
        lexical = [cid for cid, _ in self.bm25.search(" ".join(phrasings), lexical_depth)]
        known = {p.chunk_id: p for p in dense}
        outside = [cid for cid in lexical if cid not in known]
        if outside:
            records = self.store.chunks.get(ids=outside, include=["documents", "metadatas", "embeddings"])
            known.update((p.chunk_id, p) for p in _records_as_passages(records, embeddings, scope, names))
        lexical = [cid for cid in lexical if cid in known][:depth]
        if self.mode == "bm25":
            order = lexical
        elif len(phrasings) > 1:
            # with the question in both languages, BM25 matches across languages too: fuse fully
            order = reciprocal_rank_fusion([[p.chunk_id for p in dense], lexical])
        else:
            dense_ids = [p.chunk_id for p in dense]
            head = dense_ids[: max(0, min(k, self.top_k) - self.bm25_slots)]
            extra = [cid for cid in lexical if cid not in head][: self.bm25_slots]
            order = list(dict.fromkeys(head + extra + dense_ids))
        return self._scored_by_own_words([known[cid] for cid in order if cid in known][:k], embeddings)

    def containing(
        self,
        text: str,
        question: str,
        scope: Scope = EVERYTHING,
        also: Sequence[str] = (),
        limit: int = CONTAINING_LIMIT,
    ) -> list[Passage]:
        """Up to ``limit`` passages whose words contain ``text`` (case-sensitive), scored as :meth:`retrieve` scores.

        Chroma's document filter does the lookup, in the embedded store and a Chroma server
        alike; the order is the store's, not a ranking (callers filter and order them).
        """
        if not text or self.store.count() == 0:
            return []
        names = scope.names(self.store.source_names())
        if names is not None and not names:
            return []
        records = self.store.chunks.get(
            where_document={"$contains": text}, limit=limit, include=["documents", "metadatas", "embeddings"]
        )
        embeddings = [self.embedder.get_query_embedding(p) for p in dict.fromkeys([question, *also])]
        return self._scored_by_own_words(_records_as_passages(records, embeddings, scope, names), embeddings)

    def _scored_by_own_words(self, passages: list[Passage], queries: Sequence[Sequence[float]]) -> list[Passage]:
        """The passages with the cosine of their own words, not of the text they were searched by.

        A chunk is embedded with its section heading (:mod:`assistant.search_text`), which
        decides what is found; the score stays the cosine of the document's words, as the
        relevance threshold, the answerability gate and the shown scores were calibrated
        on (a long generic heading pulled a specific chunk's cosine under the threshold).
        Only chunks searched with a heading are embedded again, a handful per question.
        """
        headed = [i for i, p in enumerate(passages) if searchable_text(p.text, p.section) != p.text]
        if not headed:
            return passages
        own_words = unit_rows(self.embedder.get_text_embedding_batch([passages[i].text for i in headed]))
        cosines = (own_words @ unit_rows(queries).T).max(axis=1)
        rescored = list(passages)
        for i, cosine in zip(headed, cosines, strict=True):
            rescored[i] = replace(passages[i], score=float(cosine))
        return rescored


def _records_as_passages(
    records: Mapping[str, Any], queries: Sequence[Sequence[float]], scope: Scope, names: list[str] | None
) -> list[Passage]:
    """Chroma records (documents, metadatas, embeddings) inside ``scope``, scored by best cosine to the queries."""
    vectors = np.asarray(queries, dtype=np.float32)
    allowed = set(names) if names is not None else None
    return [
        _passage_from_record(cid, text, meta, float(np.max(vectors @ np.asarray(vector))))
        for cid, text, meta, vector in zip(
            records["ids"], records["documents"], records["metadatas"], records["embeddings"], strict=True
        )
        if scope.allows(meta or {}, allowed)
    ]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[str]:
    """Ids ordered by the sum of ``1 / (k + rank)`` over the rankings (Cormack et al., 2009)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda chunk_id: -scores[chunk_id])


def _best_of(rankings: Sequence[Sequence[Passage]]) -> list[Passage]:
    """One ranking from several: each passage once, with its best score, best first."""
    best: dict[str, Passage] = {}
    for ranking in rankings:
        for passage in ranking:
            if passage.chunk_id not in best or passage.score > best[passage.chunk_id].score:
                best[passage.chunk_id] = passage
    return sorted(best.values(), key=lambda p: p.score, reverse=True)
