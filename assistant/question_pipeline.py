"""The path of a question, assembled in one place as a list of stages.

::

    (parts) → clean → language → follow-up → retrieve → withhold → gate → evidence → quote
          → translate → retrieve → withhold → (rerank) → gate → evidence → answerable
          → answer → verify → pick → check → quote-benefit → numbers → quote-cited → answer-check
          → compose → renumber

A question that joins several runs the whole list once per part (:mod:`assistant.parts`).
The quote (the best evidence sentence) goes out after the first, untranslated search,
well under a second after the question; the translation, the second search, the
answerability gate and the answer follow.  Without an answer LLM (extractive) the
answerability gate decides and the judge's model picks the item to quote (``pick``)
before the quote is shown, the answer is quoted from the evidence and nothing needs
verifying; the judge's model, loaded for the gate anyway, still translates the question
(key facts 0.60 → 0.69 on the development questions).  ``recipe="passages"`` is the
pipeline before evidence selection (translate → retrieve → gate → five whole passages to
the answerer → verify), kept as the baseline the evaluation compares against.

:func:`build_question_pipeline` is the only place that decides the list; the
:class:`~assistant.pipeline.Assistant` supplies the components (retriever, LLM, …).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Literal

from assistant.answer_check import MODEL_FILE as ANSWER_CHECK_FILE
from assistant.answer_check import load_answer_check
from assistant.answer_stages import (
    CheckAnswer,
    CheckAnswerType,
    ComposeAnswer,
    PolishNumbers,
    QuoteBenefits,
    QuoteCitedEvidence,
    RenumberCitations,
)
from assistant.answerability import MODEL_FILE, load_models
from assistant.answering import EvidenceQuoter, ExtractiveAnswerer, LlmAnswerer, evidence_messages, passage_messages
from assistant.cleaning import clean_question
from assistant.evidence import WEIGHTS_FILE, EvidenceSelector, EvidenceWeights
from assistant.instruction_guard import load_guard
from assistant.llm import LlamaCppChat
from assistant.parts import PartwisePipeline
from assistant.pick import PickedFirst, PickEvidence
from assistant.scope import scope_of
from assistant.stages import (
    AnswerabilityGate,
    DefineAbbreviation,
    DetectLanguage,
    Generate,
    PassagesAsEvidence,
    QuestionState,
    RelevanceGate,
    Rerank,
    ResolveFollowUp,
    Retrieve,
    SelectEvidence,
    ShowQuote,
    Stage,
    Translate,
    Verify,
    WithholdInstructions,
)
from assistant.statement_check import MODEL_FILE as CHECK_FILE
from assistant.statement_check import load_check
from assistant.types import Answer, Passage, Quote, StreamEvent, Token, Turn, as_turns
from assistant.verification import CitationVerifier

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from assistant.pipeline import Assistant

Recipe = Literal["evidence", "passages"]


class QuestionPipeline:
    """Runs the stages in order for one question; each stage's seconds land in ``Answer.timings``."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = list(stages)

    @property
    def names(self) -> list[str]:
        return [stage.name for stage in self.stages]

    def without(self, *names: str) -> QuestionPipeline:
        """The same pipeline with the named stages left out (eval variants, experiments)."""
        return QuestionPipeline([s for s in self.stages if s.name not in names])

    def run(self, question: str, history: Sequence[str | Turn] = ()) -> Iterator[StreamEvent | QuestionState]:
        """Stream events as the stages send them; the final state last."""
        started = time.perf_counter()
        state = QuestionState(question=clean_question(question), history=as_turns(history))
        first_text: float | None = None
        first_token: float | None = None
        for stage in self.stages:
            stage_started = time.perf_counter()
            for event in stage.run(state):
                now = time.perf_counter() - started
                if first_text is None and isinstance(event, Quote | Token):
                    first_text = now
                if first_token is None and isinstance(event, Token):
                    first_token = now
                yield event
            seconds = time.perf_counter() - stage_started
            state.timings[stage.name] = state.timings.get(stage.name, 0.0) + seconds
            if state.done:
                break
        if state.judge_during_answer is not None:  # left to an answer stage this pipeline does not have
            state.judge_during_answer()
        total = time.perf_counter() - started
        state.timings["retrieval"] = sum(v for k, v in state.timings.items() if k.startswith("retrieve"))
        state.timings["first_text"] = first_text if first_text is not None else total
        state.timings["first_token"] = first_token if first_token is not None else total
        state.timings["total"] = total
        yield state

    def stream(self, question: str, history: Sequence[str | Turn] = ()) -> Iterator[StreamEvent]:
        """Quote and tokens as they come, then exactly one final :class:`Answer`."""
        for item in self.run(question, history):
            if isinstance(item, QuestionState):
                answer = item.answer
                assert answer is not None, "every pipeline ends with an answer"
                answer.timings.update(item.timings)
                answer.withheld = list(item.withheld)
                answer.scope = list(item.scope)
                answer.unanswerable = item.unanswerable
                yield answer
            else:
                yield item

    def passages(self, question: str, history: Sequence[str | Turn] = ()) -> list[Passage]:
        """Run the (search-only) stages and return the passages found."""
        state = next(item for item in self.run(question, history) if isinstance(item, QuestionState))
        return state.passages


def build_question_pipeline(assistant: Assistant, recipe: Recipe | None = None) -> QuestionPipeline | PartwisePipeline:
    """The stages for ``assistant``'s settings: the one place where the question path is decided."""
    settings = assistant.settings
    recipe = recipe or settings.pipeline
    k = settings.top_k
    llm = assistant.llm if assistant.llm_features else None
    rewriter = assistant.rewriter if assistant.llm_features else None
    stages: list[Stage] = [DetectLanguage(), ResolveFollowUp(assistant.standalone)]
    translate: list[Stage] = [Translate(rewriter)] if rewriter is not None and settings.translate_query else []
    rerank: list[Stage] = [Rerank(assistant.reranker, k)] if llm is not None and assistant.reranker else []
    depth = max(k, settings.rerank_candidates) if rerank else k
    retrieve = Retrieve(assistant.retriever, depth, scope_of(settings))
    withhold: list[Stage] = [WithholdInstructions(load_guard())] if settings.instruction_guard else []
    gate = RelevanceGate(settings.relevance_threshold, assistant.answerer_name)
    verify: list[Stage] = [Verify(citation_verifier(assistant))] if llm is not None else []
    if recipe == "passages":
        answerer = (
            LlmAnswerer(llm, assistant.answerer_name, messages=passage_messages)
            if llm is not None
            else ExtractiveAnswerer(assistant.embedder, min_score=settings.relevance_threshold)
        )
        return QuestionPipeline(
            [*stages, *translate, retrieve, *withhold, *rerank, gate, PassagesAsEvidence(), Generate(answerer), *verify]
        )
    selector = EvidenceSelector(
        assistant.embedder,
        assistant.library.source_text,
        max_items=settings.evidence_sentences,
        weights=EvidenceWeights.load(settings.evidence_weights_file or WEIGHTS_FILE),
        neighbours=settings.evidence_neighbours,
    )
    quoter = EvidenceQuoter()
    answerable = answerability_gate(assistant, llm)
    searches_again = bool(translate or rerank)
    if searches_again:  # the answerability gate after the translated search decides
        gate = RelevanceGate(settings.relevance_threshold, assistant.answerer_name, "gate-first", second_chance=True)
    define = DefineAbbreviation(assistant.retriever, selector, scope_of(settings))
    stages += [retrieve, *withhold, gate, SelectEvidence(selector), define]
    if llm is not None:  # the quote at once; without an LLM the quote is the answer and waits for the judge
        stages.append(ShowQuote())
    if searches_again:
        if translate and settings.translate_skip_score is not None:
            translate = [Translate(rewriter, skip_at=settings.translate_skip_score)]
        # when the translation is skipped, the search and the evidence stand as they are (unless reranked)
        again = Retrieve(assistant.retriever, depth, scope_of(settings), name="retrieve-translated", after="translate")
        # the fitted answerability gate decides after the translated search (a chunk's cosine
        # under the threshold refused questions whose sentence answers them); without it, the threshold
        final_gate = [] if answerable else [RelevanceGate(settings.relevance_threshold, assistant.answerer_name)]
        reselect = SelectEvidence(selector, name="evidence-translated", after=None if rerank else "retrieve-translated")
        withhold_again = [WithholdInstructions(load_guard(), "withhold-translated")] if withhold else []
        define_again = DefineAbbreviation(assistant.retriever, selector, scope_of(settings), "define-translated")
        stages += [*translate, again, *withhold_again, *rerank, *final_gate, reselect, define_again]
    stages += answerable
    if llm is None:  # the judge's model picks the item to quote; after the gate, its prompt is evaluated
        pick: list[Stage] = [PickEvidence(lambda: assistant.judge), PickedFirst()] if assistant.llm_features else []
        stages += [*pick, ShowQuote(), Generate(quoter)]
    else:  # the answer model picks after answering (the answer prompt stays as it was, its first token as early)
        answerer = LlmAnswerer(llm, assistant.answerer_name, messages=evidence_messages)
        late = [ShowQuote("quote-late")] if searches_again else []
        stages += [*late, Generate(answerer, fallback=quoter), *verify, PickEvidence(lambda: assistant.judge)]
    quote_cited: list[Stage] = [QuoteCitedEvidence()] if llm is not None else []  # quotes answer for themselves
    checked = answer_check(assistant, quoted=llm is None)
    finish = [CheckAnswerType(), QuoteBenefits(), PolishNumbers(), *quote_cited, *checked]
    finish += [ComposeAnswer(), RenumberCitations()]
    return PartwisePipeline(QuestionPipeline([*stages, *finish]))


def citation_verifier(assistant: Assistant) -> CitationVerifier:
    """The citation check the settings ask for: the fitted statement check, or the cosine alone."""
    settings = assistant.settings
    fitted = settings.statement_check_file or CHECK_FILE
    check = load_check(lambda: assistant.checker, fitted) if settings.citation_check == "fitted" else None
    return CitationVerifier(assistant.embedder, check=check)


def answer_check(assistant: Assistant, quoted: bool = False) -> list[Stage]:
    """The judgement of the finished answer against its quoted sources (none when switched off or not fitted).

    ``quoted``: the answer is the quote (extractive), judged by the check fitted on quotes.
    """
    if not assistant.settings.answer_check or (quoted and not assistant.llm_features):
        return []
    kind = "quote" if quoted else "answer"
    check = load_answer_check(lambda: assistant.checker, ANSWER_CHECK_FILE, kind)
    return [CheckAnswer(check, assistant.answerer_name, claim=kind)] if check is not None else []


def answerability_gate(assistant: Assistant, llm: LLM | None = None) -> list[Stage]:
    """The answerability gate the settings ask for (none when ``answerability="off"``).

    With the local answer model ``llm`` as judge, the judgement waits for the answer's
    first token (``judge_during_answer``): the answer prompt is evaluated first, so the
    judge's yes/no line no longer delays the answer.
    """
    settings = assistant.settings
    mode = settings.answerability
    if mode == "off":
        return []
    models = load_models(settings.answerability_file or MODEL_FILE)
    model = models[mode]
    judge = (lambda: assistant.judge) if model.needs_judge else None
    fallback = models["search"] if model.needs_judge else None
    during = settings.judge_during_answer and model.needs_judge and isinstance(llm, LlamaCppChat)
    return [AnswerabilityGate(model, judge, assistant.answerer_name, fallback, during_answer=during)]


def build_search_pipeline(assistant: Assistant, k: int) -> QuestionPipeline:
    """Only the search stages (language, follow-up, translation, retrieval, rerank) for ``retrieve``."""
    settings = assistant.settings
    llm = assistant.llm if assistant.llm_features else None
    rerank = llm is not None and assistant.reranker is not None
    stages: list[Stage] = [DetectLanguage(), ResolveFollowUp(assistant.standalone)]
    if assistant.llm_features and settings.translate_query and assistant.rewriter is not None:
        stages.append(Translate(assistant.rewriter))
    depth = max(k, settings.rerank_candidates) if rerank else k
    stages.append(Retrieve(assistant.retriever, depth, scope_of(settings)))
    if rerank:
        stages.append(Rerank(assistant.reranker, k))
    return QuestionPipeline(stages)


__all__ = ["Answer", "QuestionPipeline", "build_question_pipeline", "build_search_pipeline"]
