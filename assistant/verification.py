"""Citation verification: every ``[n]`` must point at a passage that supports its sentence.

A small model cites the wrong passage, cites nothing, or states what no passage says.
After generation each sentence of the answer (a *statement*) is compared with the
sentences of the passages it cites:

* **support** = the best cosine between the statement and one passage sentence (or the
  whole passage, for statements that merge two sentences), with the multilingual
  embedder, so a German statement is checked against an English passage as well;
* a statement naming **numbers** (years, dates, counts) is only supported by a passage
  that contains one of them: embeddings barely tell "2019" from "2022".

Sentences that only talk about the passages ("Dies steht in Passage 2.") are dropped.
A marker whose passage does not support its statement is re-pointed to the prompt
passage that does, or removed.  A statement left without support is marked in the text
("(nicht belegt)" / "(not verified)") and listed in ``Answer.unsupported``.  With a
fitted :class:`~assistant.statement_check.StatementCheck` the decision "supported or
not" is that model's (cosine, the model's judgement, new words, missing names), which
catches sentences that merely share the evidence's words; the cosine still picks the
passage a marker points to.  Each
citation carries the span of the sentence that supports it, as offsets into the source,
so the UI can highlight it.  The threshold is measured in docs/evaluation.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.citations import MARKER
from assistant.embeddings import unit_rows
from assistant.sentences import sentence_spans
from assistant.statement_check import StatementCheck
from assistant.types import Answer, Citation, Language, Passage

#: cosine (use-multilingual) at which a passage sentence counts as supporting a statement;
#: measured on the local LLM's answers to the question set (docs/evaluation.md)
SUPPORT_THRESHOLD = 0.4
#: statements shorter than this (in words) are connective ("Ja.", "Yes:") and need no source
MIN_STATEMENT_WORDS = 4
_NUMBER = re.compile(r"\d+")
#: "This information is found in the first passage.": talk about the passages, not about the
#: question; the small model writes such sentences and they carry no fact, so they are dropped
_META = re.compile(r"\b(passages?|textstellen?)\b", re.IGNORECASE)
MAX_META_WORDS = 12

UNVERIFIED_MARK: dict[Language, str] = {"de": "(nicht belegt)", "en": "(not verified)"}


@dataclass(frozen=True)
class Statement:
    """One sentence of the answer, markers removed; ``end`` is where its markers go back in."""

    text: str
    start: int
    end: int
    cited: tuple[int, ...]


@dataclass(frozen=True)
class Support:
    score: float
    #: absolute offsets of the supporting sentence in the source document
    start: int
    end: int


def split_statements(answer: str) -> tuple[str, list[Statement]]:
    """The answer without markers, and its sentences with the passage numbers each one cites.

    A marker belongs to the sentence it follows ("… statt [1]." and "… statt. [1]" alike).
    """
    clean_parts: list[str] = []
    marks: list[tuple[int, int]] = []  # (position in clean text, passage number)
    position = 0
    last = 0
    for match in MARKER.finditer(answer):
        clean_parts.append(answer[last : match.start()])
        position += match.start() - last
        for number in re.split(r"\s*,\s*", match.group(1)):
            marks.append((position, int(number)))
        last = match.end()
    clean_parts.append(answer[last:])
    clean = "".join(clean_parts)
    spans = sentence_spans(clean)
    statements = []
    for i, (start, end) in enumerate(spans):
        following = spans[i + 1][0] if i + 1 < len(spans) else len(clean) + 1
        cited = tuple(dict.fromkeys(n for pos, n in marks if start < pos < following or (pos == start == 0)))
        statements.append(Statement(clean[start:end], start, end, cited))
    return clean, statements


def _numbers(text: str) -> set[str]:
    return set(_NUMBER.findall(text))


class CitationVerifier:
    """Checks, re-points or removes the markers of an answer; see the module docstring."""

    def __init__(
        self, embedder: BaseEmbedding, threshold: float = SUPPORT_THRESHOLD, check: StatementCheck | None = None
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.check = check

    def supports(self, statements: Sequence[str], passages: Sequence[Passage]) -> list[list[Support]]:
        """``result[i][j]``: how well passage ``j`` supports statement ``i`` (one embedding batch)."""
        spans = [sentence_spans(p.text) or [(0, len(p.text))] for p in passages]
        parts = [p.text[s:e] for p, sp in zip(passages, spans, strict=True) for s, e in sp]
        texts = [*statements, *(p.text for p in passages), *parts]
        vectors = unit_rows(self.embedder.get_text_embedding_batch(texts))
        queries = vectors[: len(statements)]
        whole = vectors[len(statements) : len(statements) + len(passages)]
        sentence_vectors = vectors[len(statements) + len(passages) :]
        result = []
        for i, statement in enumerate(statements):
            wanted = _numbers(statement)
            row, offset = [], 0
            for j, passage in enumerate(passages):
                scores = sentence_vectors[offset : offset + len(spans[j])] @ queries[i]
                best = int(np.argmax(scores))
                score = max(float(scores[best]), float(whole[j] @ queries[i]))
                if wanted and not wanted & _numbers(passage.text):
                    score = min(score, 0.0)
                s, e = spans[j][best]
                row.append(Support(score, passage.start + s, passage.start + e))
                offset += len(spans[j])
            result.append(row)
        return result

    def unsupported(self, statements: Sequence[str], passages: Sequence[Passage]) -> list[bool]:
        """For each statement: does no passage support it? (what :meth:`verify` marks as not verified)"""
        return [
            max((s.score for s in row), default=0.0) < self.threshold for row in self.supports(statements, passages)
        ]

    def verify(self, answer: Answer, passages: Sequence[Passage], question: str = "") -> Answer:
        """``answer`` with checked markers, supporting spans and its unsupported statements listed."""
        if answer.refused or not passages:
            return answer
        clean, statements = split_statements(answer.answer)
        checked = [st for st in statements if st.cited or len(st.text.split()) >= MIN_STATEMENT_WORDS]
        table = dict(zip([id(st) for st in checked], self.supports([st.text for st in checked], passages), strict=True))
        inserts: list[tuple[int, str]] = []
        spans: dict[int, Support] = {}
        unsupported: list[str] = []
        drops: list[tuple[int, int]] = []
        for statement in statements:
            if _META.search(statement.text) and len(statement.text.split()) <= MAX_META_WORDS:
                drops.append((statement.start, statement.end))
                continue
            needs_source = len(statement.text.split()) >= MIN_STATEMENT_WORDS
            if id(statement) not in table:
                continue
            supports = table[id(statement)]
            valid = [n for n in statement.cited if 1 <= n <= len(passages)]
            kept = [n for n in valid if supports[n - 1].score >= self.threshold]
            best = int(np.argmax([s.score for s in supports]))
            if not kept and needs_source and supports[best].score >= self.threshold:
                kept = [best + 1]  # re-pointed (or added) to the passage that supports it
            if needs_source and self.check is not None:
                scores = [s.score for s in supports]
                if self.check.unsupported(statement.text, question, answer.language, passages, scores):
                    kept = []
                elif not kept:
                    kept = [best + 1]
            if not needs_source and not kept:
                kept = valid  # short connective sentences keep the model's own marker
            for n in kept:
                if n not in spans or supports[n - 1].score > spans[n].score:
                    spans[n] = supports[n - 1]
            if kept:
                inserts.append((statement.end, " [" + ", ".join(str(n) for n in kept) + "]"))
            elif needs_source:
                unsupported.append(statement.text)
                inserts.append((statement.end, " " + UNVERIFIED_MARK[answer.language]))
        text = clean
        edits = [(pos, pos, insert) for pos, insert in inserts] + [(start, end, "") for start, end in drops]
        for start, end, insert in sorted(edits, reverse=True):
            text = text[:start] + insert + text[end:]
        text = re.sub(r"[ \t]{2,}", " ", text)
        order = list(dict.fromkeys(int(n) for m in MARKER.finditer(text) for n in re.split(r"\s*,\s*", m.group(1))))
        citations = [
            Citation(n=n, passage=passages[n - 1], quote_start=spans[n].start, quote_end=spans[n].end)
            for n in order
            if n in spans
        ]
        return replace(answer, answer=text.strip(), citations=citations, unsupported=unsupported)
