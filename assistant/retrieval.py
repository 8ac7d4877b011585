"""Dense retrieval of passages from the Chroma store.

Queries go through llama-index's ``ChromaVectorStore``.  It reports similarity as
``exp(-distance)``; the collection uses cosine distance (``1 - cos``), so the cosine
similarity is recovered as ``1 + ln(similarity)``.  Cosine is what quellen shows as
``score`` and what the refusal threshold ``min_score`` is measured in.
"""

from __future__ import annotations

import math

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters, VectorStoreQuery

from assistant.store import Store
from assistant.types import Passage


def _cosine(similarity: float) -> float:
    return 1.0 + math.log(similarity) if similarity > 0 else -1.0


class DenseRetriever:
    """Finds the ``k`` chunks closest to a question, in any language."""

    def __init__(self, store: Store, embedder: BaseEmbedding) -> None:
        self.store = store
        self.embedder = embedder

    def retrieve(self, question: str, k: int, language: str | None = None) -> list[Passage]:
        """The ``k`` best passages, best first; ``language`` ("de"/"en") restricts the chunks searched."""
        if self.store.count() == 0:
            return []
        filters = None
        if language:
            filters = MetadataFilters(filters=[MetadataFilter(key="language", value=language)])
        query = VectorStoreQuery(
            query_embedding=self.embedder.get_query_embedding(question),
            similarity_top_k=k,
            filters=filters,
        )
        result = self.store.vector_store.query(query)
        passages = []
        for node, similarity in zip(result.nodes or [], result.similarities or [], strict=False):
            meta = node.metadata
            passages.append(
                Passage(
                    source=str(meta["source"]),
                    text=node.get_content(),
                    start=int(meta["start"]),
                    end=int(meta["end"]),
                    score=_cosine(float(similarity)),
                    language=str(meta.get("language", "")),
                    chunk_id=node.node_id,
                )
            )
        return sorted(passages, key=lambda p: p.score, reverse=True)
