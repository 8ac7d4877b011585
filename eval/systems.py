"""The retrieval pipelines compared side by side in one evaluation run.

* ``quellen``: the product's own pipeline, built by ``build_assistant`` (what users get);
* ``bm25``: llama-index's ``BM25Retriever`` (bm25s, default English stemming) over the
  same chunks as quellen: the lexical baseline;
* ``quellen:MODE[+FEATURE...]`` (``quellen:dense``, ``quellen:hybrid+translate+rerank``):
  quellen's retrieval in one mode with optional LLM features, over the same index, to
  choose the default by measurement;
* ``llamaindex-quickstart``: ``VectorStoreIndex.from_documents`` with llama-index's
  default splitter (1,024 tokens, 20 overlap) and the same embedder, in memory: what
  the five-line tutorial gives.

All return :class:`~assistant.types.Passage` objects with offsets into the source, so
one relevance rule judges them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from llama_index.core import Document, VectorStoreIndex
from llama_index.core.schema import NodeWithScore

from assistant.pipeline import Assistant
from assistant.types import Passage
from ingest.splitter import split_documents


class RetrievalSystem(Protocol):
    """``history`` holds the earlier questions of a dialogue; systems without conversation support ignore it."""

    name: str

    def retrieve(self, question: str, k: int, history: Sequence[str] = ()) -> list[Passage]: ...


def _passage(hit: NodeWithScore) -> Passage:
    node = hit.node
    meta = node.metadata
    start = meta.get("start", node.start_char_idx)  # type: ignore[attr-defined]
    end = meta.get("end", node.end_char_idx)  # type: ignore[attr-defined]
    return Passage(
        source=str(meta["source"]),
        text=node.get_content(),
        start=int(start if start is not None else -1),
        end=int(end if end is not None else -1),
        score=float(hit.score or 0.0),
        language=str(meta.get("language", "")),
        chunk_id=node.node_id,
    )


class QuellenSystem:
    name = "quellen"

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def retrieve(self, question: str, k: int, history: Sequence[str] = ()) -> list[Passage]:
        return self.assistant.retrieve(question, k, history)


#: ``quellen:MODE+FEATURE...`` feature flags and the settings each one turns on
VARIANT_FEATURES: dict[str, dict[str, object]] = {
    "rerank": {"reranker": "llm"},
    "translate": {"translate_query": True},
    "llmfollowup": {"followup_rewrite": "llm"},
}
#: what every ``quellen:`` variant starts from: no LLM in retrieval, rule-based follow-ups
VARIANT_BASE: dict[str, object] = {"reranker": "none", "translate_query": False, "followup_rewrite": "rules"}


def parse_variant(name: str) -> dict[str, object]:
    """Settings for a system name like ``quellen:hybrid+translate+rerank``; ValueError names what is wrong."""
    if not name.startswith("quellen:"):
        raise ValueError(f"not a quellen variant: {name!r}")
    mode, *features = name.split(":", 1)[1].split("+")
    if mode not in ("dense", "bm25", "hybrid"):
        raise ValueError(f"unknown retrieval mode {mode!r} in {name!r} (dense, bm25, hybrid)")
    overrides: dict[str, object] = {**VARIANT_BASE, "retrieval_mode": mode}
    for feature in features:
        if feature not in VARIANT_FEATURES:
            raise ValueError(f"unknown feature {feature!r} in {name!r} ({', '.join(VARIANT_FEATURES)})")
        overrides.update(VARIANT_FEATURES[feature])
    return overrides


class QuellenVariantSystem:
    """quellen's own retrieval with some settings changed (``quellen:hybrid+rerank``), over the same index.

    Built with :meth:`Assistant.variant`, so it is the product's code path, not a copy.
    """

    def __init__(self, assistant: Assistant, name: str) -> None:
        self.name = name
        self.assistant = assistant.variant(**parse_variant(name))

    def retrieve(self, question: str, k: int, history: Sequence[str] = ()) -> list[Passage]:
        return self.assistant.retrieve(question, k, history)


class Bm25System:
    name = "bm25"

    def __init__(self, documents: Sequence[Document], chunk_size: int, chunk_overlap: int) -> None:
        from llama_index.retrievers.bm25 import BM25Retriever

        self.nodes = split_documents(documents, chunk_size, chunk_overlap)
        self.retriever = BM25Retriever.from_defaults(nodes=self.nodes, similarity_top_k=10)

    def retrieve(self, question: str, k: int, history: Sequence[str] = ()) -> list[Passage]:
        self.retriever.similarity_top_k = min(k, len(self.nodes))
        return [_passage(hit) for hit in self.retriever.retrieve(question)]


class QuickstartSystem:
    name = "llamaindex-quickstart"

    def __init__(self, documents: Sequence[Document], embedder: object) -> None:
        self.index = VectorStoreIndex.from_documents(list(documents), embed_model=embedder)

    def retrieve(self, question: str, k: int, history: Sequence[str] = ()) -> list[Passage]:
        return [_passage(hit) for hit in self.index.as_retriever(similarity_top_k=k).retrieve(question)]
