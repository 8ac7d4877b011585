"""A question that joins several is answered one part at a time, each part with its own evidence.

"Which German metropolitan regions are members of METREX, and who from the Stuttgart region
sits on its Managing Committee?" gets one search and five evidence sentences for both
parts; the small model answers the first part and drops the second (key facts 0.33).
Asked one after the other, each part gets the evidence for its own fact, and the second
part is a follow-up of the first ("its Managing Committee"), rewritten with the first
part's answer like any follow-up in a conversation, also when it does not read like one
("Why is the Verband a member of EMTA?" after "Who was director of the Verband Region
Stuttgart …": asked alone, the gate refused it).  The answer shows each part under its
own question, so a part the documents do not answer says so by itself.

The question pipeline itself is unchanged: :class:`PartwisePipeline` runs it once per part
and joins the answers (citations renumbered, a passage cited by both parts keeping one
number).  ``drop-parts`` in the evaluation, or :meth:`PartwisePipeline.without`, is the
pipeline answering the question whole.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.answer_type import QUESTION_WORD, question_parts
from assistant.citations import renumber_markers
from assistant.cleaning import clean_question
from assistant.stages import QuestionState
from assistant.types import Answer, Citation, Passage, StreamEvent, Token, Turn, as_turns

if TYPE_CHECKING:
    from assistant.question_pipeline import QuestionPipeline

#: a part with fewer words ("Wann", "why?") is no question of its own: the question stays whole
MIN_PART_WORDS = 4
#: each part has a question word among its first words ("seit wann …", "under which plan …")
QUESTION_WORD_WITHIN = 2
#: between the answers to two parts
_SEPARATOR = "\n\n"


def answerable_parts(question: str) -> list[str]:
    """The parts of ``question`` to answer one by one, each as a question; ``[question]`` when it asks one thing.

    Stricter than :func:`~assistant.answer_type.question_parts` (which checks answer types):
    each part must open with a question word, so "How many species of bird and mammals are
    there …?" stays one question.
    """
    parts = question_parts(question)
    if len(parts) < 2 or any(not _asks_by_itself(part) for part in parts):
        return [question]
    return [_as_question(part) for part in parts]


def _asks_by_itself(part: str) -> bool:
    words = part.split()
    return len(words) >= MIN_PART_WORDS and bool(QUESTION_WORD.search(" ".join(words[:QUESTION_WORD_WITHIN])))


def _as_question(part: str) -> str:
    part = part.strip().rstrip(",;")
    part = part[:1].upper() + part[1:]
    return part if part.endswith("?") else part + "?"


class PartwisePipeline:
    """The question pipeline, run once per part of a question that joins several (see the module doc)."""

    name = "parts"

    def __init__(self, inner: QuestionPipeline) -> None:
        self.inner = inner

    @property
    def names(self) -> list[str]:
        return [self.name, *self.inner.names]

    def without(self, *names: str) -> QuestionPipeline | PartwisePipeline:
        """The same pipeline with the named stages left out; without ``parts`` every question is answered whole."""
        inner = self.inner.without(*names)
        return inner if self.name in names else PartwisePipeline(inner)

    def run(self, question: str, history: Sequence[str | Turn] = ()) -> Iterator[StreamEvent | QuestionState]:
        """The stages' events and final state for the question as asked (benchmarks read the state of one run)."""
        return self.inner.run(question, history)

    def passages(self, question: str, history: Sequence[str | Turn] = ()) -> list[Passage]:
        return self.inner.passages(question, history)

    def stream(self, question: str, history: Sequence[str | Turn] = ()) -> Iterator[StreamEvent]:
        """Quote and tokens of each part as they come, each part under its question; then one joined :class:`Answer`."""
        started = time.perf_counter()
        parts = answerable_parts(clean_question(question))
        if len(parts) == 1:
            yield from self.inner.stream(question, history)
            return
        turns = list(as_turns(history))
        answers: list[Answer] = []
        for index, part in enumerate(parts):
            yield Token(f"{_SEPARATOR if index else ''}**{part}**\n\n")
            for event in self.inner.stream(part, turns):
                if isinstance(event, Answer):
                    answers.append(event)
                else:
                    yield event
            turns.append(Turn.of(part, answers[-1], joined=True))
        joined = joined_answer(parts, answers)
        joined.timings["total"] = time.perf_counter() - started
        yield joined


def joined_answer(parts: Sequence[str], answers: Sequence[Answer]) -> Answer:
    """One answer from the answers to the parts: each under its part's question, citations numbered once.

    A passage cited by two parts keeps one number; timings add up, except the first text
    and first token, which the first part's answer sets.  When no part is answered, the
    answer is the first part's refusal, with the closest passages of all parts.
    """
    numbers: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []
    texts: list[str] = []
    for part, answer in zip(parts, answers, strict=True):
        new: dict[int, int] = {}
        for citation in answer.citations:
            key = _span(citation.passage)
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                citations.append(replace(citation, n=numbers[key]))
            new[citation.n] = numbers[key]
        texts.append(f"**{part}**\n\n{renumber_markers(answer.answer, new)}")
    first = answers[0]
    passages = _unique([p for a in answers for p in a.passages])
    timings: dict[str, float] = {}
    for answer in answers:
        for key, seconds in answer.timings.items():
            timings[key] = timings.get(key, 0.0) + seconds
    timings.update({k: first.timings[k] for k in ("first_text", "first_token") if k in first.timings})
    if all(a.refused for a in answers):
        return replace(first, passages=passages, timings=timings)
    quote = first.quote
    if quote is not None:
        key = _span(quote.passage)
        quote = replace(quote, n=numbers[key]) if key in numbers else None
    return replace(
        first,
        answer=_SEPARATOR.join(texts),
        citations=citations,
        passages=passages,
        timings=timings,
        unsupported=[s for a in answers for s in a.unsupported],
        usage={k: sum(a.usage.get(k, 0) for a in answers) for k in {k for a in answers for k in a.usage}},
        quote=quote,
        open_parts=list(dict.fromkeys(p for a in answers for p in a.open_parts)),
        withheld=_unique([p for a in answers for p in a.withheld]),
    )


def _span(passage: Passage) -> tuple[str, int, int]:
    """Where a passage is: the same sentence found by two parts differs in its score, not its span."""
    return passage.source, passage.start, passage.end


def _unique(passages: Sequence[Passage]) -> list[Passage]:
    """Each span once, where it first appears."""
    kept: dict[tuple[str, int, int], Passage] = {}
    for passage in passages:
        kept.setdefault(_span(passage), passage)
    return list(kept.values())
