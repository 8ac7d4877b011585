"""Turn a question and its evidence into a cited answer, streamed.

Two answerers share one output type (:class:`~assistant.types.Answer`):

* :class:`LlmAnswerer` prompts an LLM (local or OpenAI-compatible) with the numbered
  evidence (sentences, :func:`evidence_messages`; or whole passages,
  :func:`passage_messages`, the pipeline before issue 13) and streams its tokens;
  markers are then checked and citations attached.
* :class:`EvidenceQuoter` needs no LLM: it quotes the best evidence sentences (chosen by
  :mod:`assistant.evidence`), each with its marker.  :class:`ExtractiveAnswerer`, which
  picked sentences by cosine alone, stays for the baseline pipeline.

Both refuse, in the question's language, when retrieval found nothing relevant.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from assistant.citations import attach_citations
from assistant.prompts import (
    EVIDENCE_EXAMPLES,
    EVIDENCE_SYSTEM,
    EXTRACTIVE_INTRO,
    JUDGE_QUESTION,
    REFUSAL,
    SYSTEM,
    evidence_prompt,
    evidence_question_prompt,
    user_prompt,
)
from assistant.sentences import sentence_spans, sentences
from assistant.types import Answer, Citation, Language, Passage, StreamEvent, Token


class Answerer(Protocol):
    name: str

    def stream(self, question: str, language: Language, passages: Sequence[Passage]) -> Iterator[StreamEvent]:
        """Yield ``Token``s while answering, then exactly one final ``Answer``."""
        ...


def refusal(language: Language, passages: Sequence[Passage], backend: str) -> Answer:
    """ "Nothing in the documents", with the closest passages listed best first (the reader checks them)."""
    closest = sorted(passages, key=lambda p: -p.score)
    return Answer(answer=REFUSAL[language], language=language, refused=True, passages=closest, backend=backend)


def is_refusal(text: str) -> bool:
    normalised = text.strip().lower()
    return any(sentence.lower().rstrip(".") in normalised for sentence in REFUSAL.values())


Messages = Callable[[str, Language, Sequence[Passage]], list[ChatMessage]]


def passage_messages(question: str, language: Language, passages: Sequence[Passage]) -> list[ChatMessage]:
    """Whole numbered passages under a per-language system prompt (the pipeline before issue 13)."""
    return [
        ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM[language]),
        ChatMessage(role=MessageRole.USER, content=user_prompt(question, passages, language)),
    ]


def evidence_messages(question: str, language: Language, evidence: Sequence[Passage]) -> list[ChatMessage]:
    """Numbered evidence sentences after a fixed system prompt and worked examples.

    Everything before the question is the same for every question and language, so the
    local model keeps it evaluated and reads only the new question and sentences.
    """
    prompt = evidence_prompt(question, evidence, language)
    return [*_evidence_prefix(), ChatMessage(role=MessageRole.USER, content=prompt)]


def evidence_judge_messages(question: str, evidence: Sequence[Passage]) -> list[ChatMessage]:
    """The evidence prompt asking "do these sources state the answer?" (the answerability judge).

    The same fixed part and the same question and sentences as :func:`evidence_messages`,
    so in the answer model's context the judgement and the answer after it share nearly
    every evaluated token.
    """
    return evidence_question_messages(question, evidence, JUDGE_QUESTION)


def evidence_question_messages(question: str, evidence: Sequence[Passage], last_line: str) -> list[ChatMessage]:
    """The evidence prompt with ``last_line`` asked instead of an answer (the judge, the pick: assistant.pick)."""
    content = evidence_question_prompt(question, evidence, last_line)
    return [*_evidence_prefix(), ChatMessage(role=MessageRole.USER, content=content)]


def _evidence_prefix() -> list[ChatMessage]:
    messages = [ChatMessage(role=MessageRole.SYSTEM, content=EVIDENCE_SYSTEM)]
    for user, assistant in EVIDENCE_EXAMPLES:
        messages.append(ChatMessage(role=MessageRole.USER, content=user))
        messages.append(ChatMessage(role=MessageRole.ASSISTANT, content=assistant))
    return messages


class LlmAnswerer:
    """Grounded answers from an LLM, with inline ``[n]`` markers (checked afterwards by the ``verify`` stage)."""

    def __init__(self, llm: LLM, name: str, messages: Messages = evidence_messages) -> None:
        self.llm = llm
        self.name = name
        self.messages = messages

    def stream(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        after_first_token: Callable[[], bool] | None = None,
    ) -> Iterator[StreamEvent]:
        """Tokens, then the answer; ``after_first_token`` goes to the local model (see ``LlamaCppChat.stream_chat``)."""
        started = time.perf_counter()
        messages = self.messages(question, language, passages)
        text = ""
        first_token: float | None = None
        options = {"after_first_token": after_first_token} if after_first_token is not None else {}
        for response in self.llm.stream_chat(messages, **options):
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
        answer.timings.update(timings)
        answer.usage = dict(getattr(self.llm, "last_usage", {}) or {})
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


def quote_text(passage: Passage, n: int, language: Language) -> str:
    """One evidence sentence as the answer shows it: in quotation marks, with its marker."""
    opening, closing = ("„", "“") if language == "de" else ("“", "”")
    return f"{opening}{' '.join(passage.text.split())}{closing} [{n}]"


class EvidenceQuoter:
    """Quotes the best evidence sentences (already chosen and scored); no LLM needed.

    The first evidence item is always quoted; the next ones only while they score within
    ``margin`` of it, so a second sentence appears when it is nearly as good (the second
    part of a question), not as filler.
    """

    name = "extractive"

    def __init__(self, max_quotes: int = 2, margin: float = 0.15) -> None:
        self.max_quotes = max_quotes
        self.margin = margin

    def stream(self, question: str, language: Language, evidence: Sequence[Passage]) -> Iterator[StreamEvent]:
        if not evidence:
            yield refusal(language, evidence, self.name)
            return
        chosen = [n for n, p in enumerate(evidence, start=1) if p.score >= evidence[0].score - self.margin]
        chosen = chosen[: self.max_quotes]
        text = (
            EXTRACTIVE_INTRO[language]
            + "\n"
            + "\n".join(f"- {quote_text(evidence[n - 1], n, language)}" for n in chosen)
        )
        yield Token(text)
        citations = [Citation.of_whole(n, evidence[n - 1]) for n in chosen]
        yield Answer(text, language, citations, passages=list(evidence), backend=self.name)
