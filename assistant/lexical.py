"""Language-aware BM25 over the indexed chunks (bm25s + Snowball stemmers from PyStemmer).

Chunks are stemmed with the stemmer of their own language (detected at ingest), so
"Kongresses" and "Kongress" meet.  German compounds are also split into their parts
(wordninja-pp's German word-frequency model), so "Kongress" finds "Metropolkongress" and
"Förderung" finds "Wirtschaftsförderung"; the whole word stays a token too, so exact
compound matches still score highest.  A question is stemmed with both stemmers because its
words may match chunks of either language (names, acronyms, loan words).  The index is
built from the chunks stored in Chroma (the retriever rebuilds it when the documents'
fingerprints change), so it needs no storage of its own and follows every ingest.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"\w+", re.UNICODE)
_STEMMER_NAMES = {"de": "german", "en": "english"}


#: German words shorter than this are rarely compounds; splitting them only adds noise
MIN_COMPOUND_CHARS = 8
#: compound parts shorter than this ("e", "s", "in") are fragments, not words
MIN_PART_CHARS = 4


@lru_cache(maxsize=65536)
def compound_parts(word: str) -> tuple[str, ...]:
    """The parts of a lower-cased German compound, or ``()`` when it is not one.

    wordninja splits by word frequency, so known words ("bahnhof", "kongress") stay
    whole and only genuine compounds come apart.  Linking "s" stays on the first part
    ("wirtschafts"), which the Snowball stemmer then removes.
    """
    if len(word) < MIN_COMPOUND_CHARS or not word.isalpha():
        return ()
    import wordninja

    parts = [p for p in wordninja.split(word, lang="de") if len(p) >= MIN_PART_CHARS]
    return tuple(parts) if len(parts) > 1 else ()


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Any:
    import Stemmer

    return Stemmer.Stemmer(_STEMMER_NAMES.get(language, "english"))


def tokens(text: str, language: str) -> list[str]:
    """Lower-cased, stemmed word tokens of ``text`` in ``language``."""
    words = [w.lower() for w in _TOKEN.findall(text)]
    if language == "de":
        words = [part for w in words for part in (w, *compound_parts(w))]
    return list(_stemmer(language).stemWords(words))


def query_tokens(text: str) -> list[str]:
    """Tokens of a question: stemmed as German and as English, deduplicated."""
    return list(dict.fromkeys(tokens(text, "de") + tokens(text, "en")))


#: part of the name of a BM25 index kept on disk: bump it when ``tokens`` changes
TOKENS_VERSION = 1


class Bm25Index:
    """BM25 over (id, text, language) records; ``search`` returns (id, score) best first."""

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._index: bm25s.BM25 | None = None
        self._vocabulary: set[str] = set()
        self._lock = threading.Lock()

    def build(self, ids: list[str], texts: list[str], languages: list[str]) -> None:
        corpus = [tokens(t, lang) or ["<empty>"] for t, lang in zip(texts, languages, strict=True)]
        index = bm25s.BM25()
        if corpus:
            index.index(corpus, show_progress=False)
        with self._lock:
            self._ids = list(ids)
            self._index = index if corpus else None
            self._vocabulary = {token for doc in corpus for token in doc}

    def save(self, folder: Path) -> None:
        """Write the index to ``folder`` (written to a temporary folder, then renamed: a reader never sees half)."""
        with self._lock:
            if self._index is None:
                return
            partial = folder.with_name(folder.name + ".part")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            self._index.save(str(partial), show_progress=False)
            (partial / "quellen.json").write_text(
                json.dumps({"ids": self._ids, "vocabulary": sorted(self._vocabulary)}), encoding="utf-8"
            )
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)

    def load(self, folder: Path) -> bool:
        """Read an index written by :meth:`save`; False when there is none or it is unreadable."""
        try:
            meta = json.loads((folder / "quellen.json").read_text(encoding="utf-8"))
            index = bm25s.BM25.load(str(folder), show_progress=False)
        except (OSError, ValueError, KeyError) as error:
            log.info("no usable BM25 index in %s (%s)", folder, error)
            return False
        with self._lock:
            self._ids = list(meta["ids"])
            self._vocabulary = set(meta["vocabulary"])
            self._index = index
        return True

    def search(self, question: str, k: int) -> list[tuple[str, float]]:
        with self._lock:
            if self._index is None or not self._ids:
                return []
            query = [t for t in query_tokens(question) if t in self._vocabulary]
            if not query:
                return []
            documents, scores = self._index.retrieve([query], k=min(k, len(self._ids)), show_progress=False)
            return [
                (self._ids[int(d)], float(s))
                for d, s in zip(np.asarray(documents)[0], np.asarray(scores)[0], strict=True)
                if s > 0
            ]
