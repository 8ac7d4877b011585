"""Turn a question and its retrieved passages into a cited answer, streamed.

Two answerers share one output type (:class:`~assistant.types.Answer`):

* :class:`LlmAnswerer` prompts an LLM (local or OpenAI-compatible) with the numbered
  passages and streams its tokens; markers are then checked and citations attached.
* :class:`ExtractiveAnswerer` needs no LLM: it picks the passage sentences closest to
  the question (same embedder as retrieval) and quotes them, each with its marker.

Both refuse, in the question's language, when retrieval found nothing relevant.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Protocol

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from assistant.citations import attach_citations
from assistant.prompts import EXTRACTIVE_INTRO, REFUSAL, SYSTEM, user_prompt
from assistant.sentences import sentence_spans, sentences
from assistant.types import Answer, Citation, Language, Passage, StreamEvent, Token
from assistant.verification import CitationVerifier


class Answerer(Protocol):
    name: str

    def stream(self, question: str, language: Language, passages: Sequence[Passage]) -> Iterator[StreamEvent]:
        """Yield ``Token``s while answering, then exactly one final ``Answer``."""
        ...


def refusal(language: Language, passages: Sequence[Passage], backend: str) -> Answer:
    return Answer(answer=REFUSAL[language], language=language, refused=True, passages=list(passages), backend=backend)


def is_refusal(text: str) -> bool:
    normalised = text.strip().lower()
    return any(sentence.lower().rstrip(".") in normalised for sentence in REFUSAL.values())


class LlmAnswerer:
    """Grounded answers from an LLM, with inline ``[n]`` markers."""

    def __init__(self, llm: LLM, name: str, verifier: CitationVerifier | None = None) -> None:
        self.llm = llm
        self.name = name
        self.verifier = verifier

    def stream(self, question: str, language: Language, passages: Sequence[Passage]) -> Iterator[StreamEvent]:
        started = time.perf_counter()
        messages = [
            ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM[language]),
            ChatMessage(role=MessageRole.USER, content=user_prompt(question, passages, language)),
        ]
        text = ""
        first_token: float | None = None
        for response in self.llm.stream_chat(messages):
            delta = response.delta or ""
            if delta and first_token is None:
                first_token = time.perf_counter() - started
            text += delta
            yield Token(delta)
        timings = {"first_token": first_token or 0.0, "generation": time.perf_counter() - started}
        if is_refusal(text) or not text.strip():
            answer = refusal(language, passages, self.name)
        else:
            cleaned, citations = attach_citations(text, passages)
            answer = Answer(cleaned, language, citations, passages=list(passages), backend=self.name)
            if self.verifier is not None:
                verify_started = time.perf_counter()
                answer = self.verifier.verify(answer, passages)
                timings["verification"] = time.perf_counter() - verify_started
        answer.timings.update(timings)
        yield answer


def quotable_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences worth quoting: at least five words (headings and contact lines are not answers)."""
    return [(s, e) for s, e in sentence_spans(text) if len(text[s:e].split()) >= 5]


class ExtractiveAnswerer:
    """Quotes the passage sentences most similar to the question; no LLM needed."""

    name = "extractive"

    def __init__(self, embedder: BaseEmbedding, max_sentences: int = 2, min_score: float = 0.2) -> None:
        self.embedder = embedder
        self.max_sentences = max_sentences
        self.min_score = min_score

    def stream(self, question: str, language: Language, passages: Sequence[Passage]) -> Iterator[StreamEvent]:
        started = time.perf_counter()
        candidates = [(n, span) for n, p in enumerate(passages, start=1) for span in quotable_spans(p.text)]
        if not candidates:
            yield refusal(language, passages, self.name)
            return
        query = np.asarray(self.embedder.get_query_embedding(question))
        last = sentences(question)[-1] if question.strip() else question
        if last != question.strip():
            # A follow-up arrives with the earlier question prepended: the context helps to
            # find passages, but the sentences quoted must answer the latest question most.
            query = (query + np.asarray(self.embedder.get_query_embedding(last))) / 2
        texts = [passages[n - 1].text[s:e] for n, (s, e) in candidates]
        vectors = np.asarray(self.embedder.get_text_embedding_batch(texts))
        scores = vectors @ query
        order = [i for i in np.argsort(-scores) if scores[i] >= self.min_score][: self.max_sentences]
        if not order:
            yield refusal(language, passages, self.name)
            return
        # Quote in document order within the chosen set, so the text reads naturally.
        chosen = sorted(order, key=lambda i: i)
        lines = [f"{texts[i]} [{candidates[i][0]}]" for i in chosen]
        text = EXTRACTIVE_INTRO[language] + "\n" + "\n".join(f"- {line}" for line in lines)
        yield Token(text)
        citations: list[Citation] = []
        for i in chosen:  # the quoted sentence is the supporting span; one citation per passage
            n, (s, e) = candidates[i]
            if all(c.n != n for c in citations):
                start = passages[n - 1].start
                citations.append(Citation(n=n, passage=passages[n - 1], quote_start=start + s, quote_end=start + e))
        answer = Answer(text, language, citations, passages=list(passages), backend=self.name)
        answer.timings["generation"] = time.perf_counter() - started
        yield answer
