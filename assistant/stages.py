"""The stages a question passes through, each a small component with one job.

A stage reads and fills a :class:`QuestionState` and may send stream events (the quote,
answer tokens).  :mod:`assistant.question_pipeline` lists them in order; a variant of
the pipeline is a different list, not a flag threaded through the code.  A stage that
gives the final answer early (a refusal) sets ``state.done`` and the rest are skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from llama_index.core.llms import LLM

from assistant.abbreviations import asked_abbreviation, defining_order
from assistant.answer_type import AnswerType
from assistant.answerability import AnswerabilityModel, read_signals
from assistant.answering import Answerer, quote_text, refusal
from assistant.evidence import EvidenceSelector
from assistant.instruction_guard import InstructionGuard
from assistant.language import detect_language
from assistant.prompts import EXTRACTIVE_INTRO
from assistant.query_transform import OTHER_LANGUAGE, QueryRewriter
from assistant.rerank import LlmJudgeReranker
from assistant.retrieval import HybridRetriever
from assistant.scope import Scope
from assistant.types import Answer, Citation, Language, Passage, Quote, StreamEvent, Turn
from assistant.verification import CitationVerifier

log = logging.getLogger(__name__)

Standalone = Callable[[str, Sequence[Turn]], str]


@dataclass
class QuestionState:
    """Everything known about one question so far; each stage adds its part."""

    question: str
    #: the conversation's earlier turns, oldest first
    history: tuple[Turn, ...] = ()
    language: Language = "en"
    #: the question to search and answer with (a follow-up made standalone)
    query: str = ""
    #: other phrasings searched as well (the translation)
    phrasings: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    #: the numbered evidence the answer is written from (sentences, or whole passages)
    evidence: list[Passage] = field(default_factory=list)
    quote: Citation | None = None
    #: fact types to mark in bold in the quote (the answer missed them; the quote holds them)
    quote_marks: list[AnswerType] = field(default_factory=list)
    #: the evidence item the model says states the answer (assistant.pick)
    picked: Passage | None = None
    #: the evidence items the verified answer cites, quoted beside the first quote
    cited_quotes: list[Citation] = field(default_factory=list)
    answer: Answer | None = None
    #: stages that decided they were not needed for this question
    skipped: list[str] = field(default_factory=list)
    #: passages found but withheld from answering: they address an AI assistant
    withheld: list[Passage] = field(default_factory=list)
    #: the answerability gate's probability that the evidence does not answer
    unanswerable: float | None = None
    #: the answerability judgement left for the answer's first token (see :class:`AnswerabilityGate`);
    #: returns whether the question is answered
    judge_during_answer: Callable[[], bool] | None = None
    #: the answerer refused and the quoted evidence stands in for its answer
    fell_back: bool = False
    #: the source patterns the search was limited to (empty: every document)
    scope: tuple[str, ...] = ()
    done: bool = False
    timings: dict[str, float] = field(default_factory=dict)


class Stage(Protocol):
    """One step of the question pipeline; ``run`` fills ``state`` and yields any stream events."""

    name: str

    def run(self, state: QuestionState) -> Iterator[StreamEvent]: ...


class DetectLanguage:
    name = "language"

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        state.language = detect_language(state.question)
        state.query = state.query or state.question
        yield from ()


class ResolveFollowUp:
    """A follow-up ("Und wo findet der zweite statt?") becomes a standalone question."""

    name = "follow-up"

    def __init__(self, standalone: Standalone) -> None:
        self.standalone = standalone

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        state.query = self.standalone(state.question, state.history)
        yield from ()


class Translate:
    """Adds the question in the other language as a second phrasing (cross-lingual search).

    After a first search, ``skip_at`` saves the ~1 s generation when the evidence found
    is already strong: on the development questions, no question whose best evidence
    scored 0.7 or more gained from the translation (docs/evaluation.md).
    """

    name = "translate"

    def __init__(self, rewriter: QueryRewriter, skip_at: float | None = None) -> None:
        self.rewriter = rewriter
        self.skip_at = skip_at

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        if self.skip_at is not None and state.evidence and state.evidence[0].score >= self.skip_at:
            state.skipped.append(self.name)
            return
        translated = self.rewriter.translate(state.query, OTHER_LANGUAGE[detect_language(state.query)])
        if translated != state.query and translated not in state.phrasings:
            state.phrasings.append(translated)
        yield from ()


def skipped_after(stage: Retrieve | SelectEvidence, state: QuestionState) -> bool:
    """True (and ``stage`` recorded as skipped) when the stage it runs ``after`` was skipped."""
    if stage.after is not None and stage.after in state.skipped:
        state.skipped.append(stage.name)
        return True
    return False


class Retrieve:
    """Hybrid (or dense, or BM25) search with every phrasing known so far.

    ``after`` names a stage whose skipping leaves nothing new to search with (the search
    again after ``translate``): then this one is skipped too, rather than repeated.
    """

    def __init__(
        self,
        retriever: HybridRetriever,
        k: int,
        scope: Scope,
        name: str = "retrieve",
        after: str | None = None,
    ) -> None:
        self.retriever = retriever
        self.k = k
        self.scope = scope
        self.name = name
        self.after = after

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        if skipped_after(self, state):
            return
        state.passages = self.retriever.retrieve(state.query, self.k, self.scope, also=state.phrasings)
        state.scope = self.scope.sources
        yield from ()


class WithholdInstructions:
    """Passages that address an AI assistant (orders, roles, dictated answers) never reach the answer.

    They leave ``state.passages`` for ``state.withheld``, so neither the gates, the
    evidence, the quote nor the LLM see them; the answer lists them for the reader.
    """

    def __init__(self, guard: InstructionGuard, name: str = "withhold") -> None:
        self.guard = guard
        self.name = name

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        state.passages, withheld = self.guard.split(state.passages)
        known = {(p.source, p.start) for p in state.withheld}
        state.withheld += [p for p in withheld if (p.source, p.start) not in known]
        yield from ()


class Rerank:
    name = "rerank"

    def __init__(self, reranker: LlmJudgeReranker, k: int) -> None:
        self.reranker = reranker
        self.k = k

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        state.passages = self.reranker.rerank(state.query, state.passages)[: self.k]
        yield from ()


class RelevanceGate:
    """No passage above the relevance threshold: refuse, in the question's language.

    The gate decides and drops nothing: a passage under the threshold may still hold the
    answer (an English passage for an English question scored 0.13 beside a German one
    at 0.23), and the evidence selection ranks its sentences anyway.  Keeping them raised
    key facts on the development questions from 0.68 to 0.73 (local LLM).

    A gate with ``second_chance`` (the first search, when a translated search follows)
    does not refuse: it leaves no passages, so no quote is shown and the translation is
    not skipped, and the answerability gate after the translated search decides.  A
    German question on English documents ("Welches Ziel verfolgt der Konvent der
    Bürgermeister?") often finds its passage only with the translation.  Without an
    answerability gate, a gate without ``second_chance`` after the translated search
    refuses (docs/evaluation.md, ninth round: a chunk's cosine under the threshold
    refused answerable questions whose sentence the fitted gate accepts).
    """

    def __init__(self, threshold: float, backend: str, name: str = "gate", second_chance: bool = False) -> None:
        self.threshold = threshold
        self.backend = backend
        self.name = name
        self.second_chance = second_chance

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        relevant = any(p.score >= self.threshold for p in state.passages)
        if not relevant and self.second_chance:
            state.passages = []
        elif not relevant:
            state.answer = refusal(state.language, state.passages, self.backend)
            state.done = True
        yield from ()


class AnswerabilityGate:
    """Refuses when the evidence does not state the answer (see assistant.answerability).

    Passing the relevance gate only says the documents speak of the topic; this gate
    asks whether the evidence holds the answer, from signals combined by a model fitted
    on the development questions.  A refusal lists the closest passages, best first.
    When the judge gives no judgement (an endpoint replying neither yes nor no), the
    ``fallback`` model over the search signals decides instead of a made-up value.
    """

    name = "answerable"

    def __init__(
        self,
        model: AnswerabilityModel,
        judge: Callable[[], LLM] | None,
        backend: str,
        fallback: AnswerabilityModel | None = None,
        during_answer: bool = False,
    ) -> None:
        self.model = model
        #: gives the judge model, loaded on the first question (not when the pipeline is built)
        self.judge = judge
        self.backend = backend
        self.fallback = fallback
        #: leave the judgement to the answer's first token (:class:`Generate` asks it): the
        #: judge is the local answer model, whose yes/no line otherwise delays that token by
        #: ~0.4 s; asked after it, the line costs the same and the answer starts without it
        self.during_answer = during_answer

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        judge = self.judge() if self.judge is not None else None
        if self.during_answer and judge is not None:
            state.judge_during_answer = lambda: self.decide(state, judge)
        else:
            self.decide(state, judge)
        yield from ()

    def decide(self, state: QuestionState, judge: LLM | None) -> bool:
        """Judge, and refuse (``state.done``) when the evidence does not answer; ``True`` when it does."""
        state.judge_during_answer = None
        values = read_signals(
            self.model.features, state.query, state.language, state.passages, state.evidence, judge, state.phrasings
        )
        model = self.model
        if any(v is None for v in values.values()) and self.fallback is not None:
            model = self.fallback
            values = read_signals(
                model.features, state.query, state.language, state.passages, state.evidence, None, state.phrasings
            )
        state.unanswerable = model.unanswerable(values)
        log.info(
            "answerability: %s -> %.3f (refused at %.3f)",
            ", ".join(f"{k} {v:.3f}" for k, v in values.items() if v is not None),
            state.unanswerable,
            model.threshold,
        )
        if state.unanswerable >= model.threshold:
            state.answer = refusal(state.language, state.passages, self.backend)
            state.done = True
        return not state.done


class SelectEvidence:
    """The few best sentences of the passages (see assistant.evidence).

    Run again after the translated search, it replaces the evidence, and the quote when
    one was shown: the first quote comes from the untranslated search and is provisional,
    so the final answer quotes the best sentence found with both phrasings.
    """

    def __init__(self, selector: EvidenceSelector, name: str = "evidence", after: str | None = None) -> None:
        self.selector = selector
        self.name = name
        #: a stage whose skipping leaves the passages as they were (see Retrieve)
        self.after = after

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        if skipped_after(self, state):
            return
        state.evidence = self.selector.select(state.query, state.phrasings, state.passages)
        if state.quote is not None and state.evidence:
            best = state.evidence[0]
            state.quote = Citation.of_whole(1, best)
        yield from ()


class DefineAbbreviation:
    """For "Was ist die EMRS?", the sentences that define the abbreviation come first in the evidence.

    The defining sentences are looked up as text in every document (not only the passages
    found) and ordered full name first (see assistant.abbreviations); their passages join the
    passages, so a refusal lists them and the gate reads them.  Run again after the
    translated search's evidence, it puts them first again (and in the shown quote).
    """

    def __init__(
        self, retriever: HybridRetriever, selector: EvidenceSelector, scope: Scope, name: str = "define"
    ) -> None:
        self.retriever = retriever
        self.selector = selector
        self.scope = scope
        self.name = name

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        abbreviation = asked_abbreviation(state.query)
        if abbreviation is None:
            return
        found = self.retriever.containing(abbreviation, state.query, self.scope, also=state.phrasings)
        defining = [
            (order, c)
            for c in self.selector.candidates(found)
            if (order := defining_order(c.text, abbreviation)) is not None
        ]
        if not defining:
            return
        items = self.selector.items(state.query, state.phrasings, [c for _, c in defining])
        ranked = sorted(zip(defining, items, strict=True), key=lambda pair: (pair[0][0], -pair[1].score))
        chosen = [item for _, item in ranked[:DEFINITIONS]]
        rest = [e for e in state.evidence if not any(_overlaps(e, d) for d in chosen)]
        state.evidence = [*chosen, *rest][: max(len(state.evidence), len(chosen))]
        known = {p.chunk_id for p in state.passages}
        used = {item.chunk_id for item in chosen}
        state.passages = [*(p for p in found if p.chunk_id in used and p.chunk_id not in known), *state.passages]
        if state.quote is not None:
            state.quote = Citation.of_whole(1, state.evidence[0])
        yield from ()


#: defining sentences put first in the evidence: the full name and what it is
DEFINITIONS = 2


def _overlaps(a: Passage, b: Passage) -> bool:
    return a.source == b.source and a.start < b.end and b.start < a.end


class PassagesAsEvidence:
    """The retrieved passages themselves are the evidence (the pipeline before issue 13)."""

    name = "passages"

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        state.evidence = list(state.passages)
        yield from ()


class ShowQuote:
    """Sends the best evidence sentence at once, before any generation.

    A second ShowQuote after the translated search (``name="quote-late"``) sends one only
    when the first search found nothing to quote.
    """

    def __init__(self, name: str = "quote") -> None:
        self.name = name

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        if not state.evidence or state.quote is not None:
            return
        best = state.evidence[0]
        state.quote = Citation.of_whole(1, best)
        yield Quote(state.quote, quote_intro(state.quote, state.language))


def quote_intro(quote: Citation, language: Language) -> str:
    return f"{EXTRACTIVE_INTRO[language]}\n{quote_text(quote.passage, quote.n, language)}"


class Generate:
    """The answerer (LLM or quoter) writes from the evidence; its tokens stream out.

    With a ``fallback`` (the quoter), a refusal by the answerer is replaced by the
    quoted evidence: past the relevance gate, the small model refused answerable
    questions far more often than unanswerable ones (docs/evaluation.md), so the source
    sentences serve the reader better than "nothing found".
    """

    name = "answer"

    def __init__(self, answerer: Answerer, fallback: Answerer | None = None) -> None:
        self.answerer = answerer
        self.fallback = fallback

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        judge = state.judge_during_answer
        options = {"after_first_token": judge} if judge is not None else {}
        for event in self.answerer.stream(state.query, state.language, state.evidence, **options):
            if isinstance(event, Answer):
                if not state.done:  # the answerability judgement refused: its refusal stands
                    state.answer = event
            else:
                yield event
        if state.judge_during_answer is not None:  # no token came to ask it after
            state.judge_during_answer()
        if state.done:
            return
        if state.answer is not None and state.answer.refused and self.fallback is not None and state.evidence:
            refused = state.answer
            for event in self.fallback.stream(state.query, state.language, state.evidence):
                if isinstance(event, Answer):
                    state.answer = replace(event, backend=refused.backend, timings=refused.timings)
            state.fell_back = True
        if state.answer is not None and state.answer.refused:
            state.answer.passages = sorted(state.passages, key=lambda p: -p.score)


class Verify:
    """Every ``[n]`` checked against its evidence; unsupported statements marked."""

    name = "verify"

    def __init__(self, verifier: CitationVerifier) -> None:
        self.verifier = verifier

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        if state.answer is not None and not state.answer.refused and not state.fell_back:  # quotes need no check
            state.answer = self.verifier.verify(state.answer, state.evidence, state.query)
        yield from ()
