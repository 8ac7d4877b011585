"""The model picks the evidence item that states the answer.

The evidence is ranked by similarity to the question, and the first item often speaks
of the asked-about thing without stating the asked fact ("Am 20. September 2022 findet
der zweite Metropolkongress in Heilbronn statt." for "Um welches Oberthema ging es?"):
on the corpus questions the first item held the key facts of 0.58 of the answerable
ones, the five together 0.86.  The answer model reads all five anyway; asked in the
answer prompt itself which numbered source states the answer (one decoding step over
the digits, the rest of the prompt already evaluated), its choice held them in 0.63
(development half 0.635 → 0.667, test half 0.521 → 0.596; docs/evaluation.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence

from llama_index.core.llms import LLM

from assistant.answering import evidence_question_messages
from assistant.llm import option_probabilities
from assistant.prompts import PICK_QUESTION
from assistant.stages import QuestionState
from assistant.types import Passage, StreamEvent

log = logging.getLogger(__name__)


def pick_probabilities(llm: LLM, question: str, evidence: Sequence[Passage]) -> list[float] | None:
    """For each evidence item, the model's probability that it is the one stating the answer.

    ``None`` when the model names no item (an endpoint that replies with something else).
    """
    options = [str(n) for n in range(1, min(len(evidence), 9) + 1)]
    return option_probabilities(llm, evidence_question_messages(question, evidence, PICK_QUESTION), options)


class PickEvidence:
    """Records the evidence item the model says states the answer (``state.picked``).

    The order of the evidence stays: with an answer LLM the picked item is quoted beside
    the first quote (:class:`~assistant.answer_stages.QuoteCitedEvidence`); without one,
    :class:`PickedFirst` moves it to the front, where the quote and the extractive answer
    take it from.  Not asked when there is one item only, when the answer is a refusal,
    or when the answerer refused and the quoted evidence stands in for its answer
    (``state.fell_back``: the quotes are the answer).
    """

    name = "pick"

    def __init__(self, model: Callable[[], LLM]) -> None:
        #: gives the model that picks, loaded on the first question
        self.model = model

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        refused = state.answer is not None and state.answer.refused
        if len(state.evidence) < 2 or refused or state.fell_back:
            state.skipped.append(self.name)
            return
        probabilities = pick_probabilities(self.model(), state.query, state.evidence)
        if probabilities is None:
            log.info("pick: the model named no evidence item")
            return
        best = max(range(len(probabilities)), key=lambda i: (probabilities[i], -i))
        log.info("pick: item %d (p %.2f; item 1 p %.2f)", best + 1, probabilities[best], probabilities[0])
        state.picked = state.evidence[best]
        yield from ()


class PickedFirst:
    """Moves the picked evidence item (``state.picked``) to the front of the evidence; nothing picked, nothing moves."""

    name = "picked-first"

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        if state.picked is not None and state.picked in state.evidence and state.evidence[0] != state.picked:
            state.evidence.insert(0, state.evidence.pop(state.evidence.index(state.picked)))
        yield from ()
