"""The check of the finished answer against its quoted sources: a wrong answer becomes a refusal (issue 14)."""

from __future__ import annotations

import pytest

from assistant.answer_check import SIGNALS, AnswerCheck, answer_text, judge_answer, load_answer_check
from assistant.answer_stages import CheckAnswer
from assistant.logistic import LogisticModel
from assistant.pipeline import Assistant
from assistant.question_pipeline import QuestionPipeline
from assistant.types import Answer

SECOND = "Am 20. September 2022 findet der zweite Metropolkongress in Heilbronn statt."


@pytest.mark.parametrize("kind", ["answer", "quote"])
def test_the_fitted_check_loads_uses_known_signals_and_was_fitted_on_development_answers(kind: str) -> None:
    """One check fitted on the local model's answers, one on extractive quotes."""
    check = load_answer_check(lambda: None, kind=kind)  # type: ignore[arg-type, return-value]
    assert check is not None, f"answer_check.json holds the {kind} check"
    model = check.model
    assert set(model.features) <= set(SIGNALS) and "qa" in model.features
    assert len(model.mean) == len(model.scale) == len(model.coef) == len(model.features)
    assert 0.0 < model.threshold < 1.0 and "dev" in model.fitted_on and "test" not in model.fitted_on
    assert model.coef[model.features.index("qa")] < 0, "the more the sources show the answer, the less it is refused"


def test_the_judge_reads_the_answer_without_markers_and_marks() -> None:
    assert answer_text("Heilbronn [1]. Brüssel (nicht belegt) [2, 3]") == "Heilbronn. Brüssel"
    assert answer_text("It is in Brussels. (not verified)") == "It is in Brussels."


@pytest.mark.llm
def test_the_model_sees_an_invented_answer_less_shown_by_its_source(llm_assistant: Assistant) -> None:
    question = "Wo findet der zweite Metropolkongress statt?"
    shown = judge_answer(llm_assistant.checker, question, "Er findet in Heilbronn statt. [1]", [SECOND])
    invented = judge_answer(llm_assistant.checker, question, "Er findet in Brüssel statt. [1]", [SECOND])
    assert shown is not None and invented is not None
    assert shown > 0.5 > invented


def _always(threshold: float, assistant: Assistant) -> AnswerCheck:
    """A check over the judgement alone that rejects every answer (threshold 0) or none (above 1)."""
    model = LogisticModel(features=["qa"], mean=[0.0], scale=[1.0], coef=[-1.0], intercept=0.0, threshold=threshold)
    return AnswerCheck(model, lambda: assistant.checker)


@pytest.mark.llm
def test_a_rejected_answer_becomes_a_refusal_that_lists_the_closest_passages(llm_assistant: Assistant) -> None:
    """The stage reads the finished answer: rejected, the refusal replaces it; kept, the answer is composed."""
    pipeline = llm_assistant.question_pipeline.inner
    assert "answer-check" in pipeline.names, "the packaged check is in the local pipeline"
    answers = []
    for threshold in (0.0, 1.01):
        stages = [
            CheckAnswer(_always(threshold, llm_assistant), "local") if s.name == "answer-check" else s
            for s in pipeline.stages
        ]
        answers.append(list(QuestionPipeline(stages).stream("Wo findet der zweite Metropolkongress statt?"))[-1])
    rejected, kept = answers
    assert isinstance(rejected, Answer) and rejected.refused and not rejected.citations
    scores = [p.score for p in rejected.passages]
    assert scores and scores == sorted(scores, reverse=True), "the closest passages are listed best first"
    assert isinstance(kept, Answer) and not kept.refused and "Heilbronn" in kept.answer and kept.citations


@pytest.mark.llm
def test_an_extractive_quote_is_judged_as_the_answer_and_a_rejected_one_refused(assistant: Assistant) -> None:
    """The extractive pipeline checks its quote; rejected, the refusal replaces it; kept, the quote stands."""
    pipeline = assistant.question_pipeline.inner
    stage = next(s for s in pipeline.stages if s.name == "answer-check")
    assert isinstance(stage, CheckAnswer) and stage.claim == "quote"
    answers = []
    for threshold in (0.0, 1.01):
        stages = [
            CheckAnswer(_always(threshold, assistant), "extractive", claim="quote") if s is stage else s
            for s in pipeline.stages
        ]
        answers.append(list(QuestionPipeline(stages).stream("Wo findet der zweite Metropolkongress statt?"))[-1])
    rejected, kept = answers
    assert isinstance(rejected, Answer) and rejected.refused and rejected.passages
    assert isinstance(kept, Answer) and not kept.refused and "Heilbronn" in kept.answer


def test_every_backend_has_the_answer_check_and_a_setting_switches_it_off(assistant: Assistant) -> None:
    """Extractive quotes get the check fitted on quotes; without the judge's model there is none."""
    assert "answer-check" in assistant.question_pipeline.names
    assert "answer-check" not in assistant.variant(answerability="search").question_pipeline.names
    remote = assistant.variant(llm_backend="openai", openai_base_url="http://127.0.0.1:9/v1", openai_model="m")
    assert "answer-check" in remote.question_pipeline.names
    unchecked = remote.variant(answer_check=False)
    assert "answer-check" not in unchecked.question_pipeline.names
    assert "no answer check" in unchecked.answer_label
