"""LLM features of retrieval: follow-ups rewritten, questions translated, candidates reranked.

Marked ``llm`` where they run the packaged local model; the OpenAI-compatible path and
the fall-backs run against the local stub server.
"""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.language import detect_language
from assistant.pipeline import Assistant, build_assistant
from assistant.query_transform import QueryRewriter
from assistant.rerank import LlmJudgeReranker
from assistant.types import Passage
from eval.runner import ANSWER_OPTIONS, answer_variant, parse_answer_variant
from eval.systems import parse_variant
from tests.openai_stub import OpenAIStub

HEILBRONN = "Am 20. September 2022 findet der zweite Metropolkongress in Heilbronn statt."
FIRST = "Der erste Metropolkongress fand am 22. Januar 2019 in Stuttgart statt."
EMTA = "The Verband Region Stuttgart is a member of EMTA because it is responsible for the S-Bahn."


def _passage(text: str, n: int) -> Passage:
    return Passage(source=f"s{n}.txt", text=text, start=0, end=len(text), score=0.5, language="de", chunk_id=str(n))


@pytest.mark.llm
def test_local_llm_translates_and_rewrites_followups(llm_assistant: Assistant) -> None:
    rewriter = llm_assistant.rewriter
    assert rewriter is not None
    english = rewriter.translate("Wo findet der zweite Metropolkongress statt?", "en")
    assert detect_language(english) == "en" and "congress" in english.lower()
    standalone = rewriter.standalone("Und wo findet der zweite statt?", ["Wann fand der erste Metropolkongress statt?"])
    assert "metropolkongress" in standalone.lower()
    assert rewriter.standalone("Wer leitet METREX?", []) == "Wer leitet METREX?", "no history: unchanged"


@pytest.mark.llm
def test_local_llm_judge_puts_the_answering_passage_first(llm_assistant: Assistant) -> None:
    assert llm_assistant.llm is not None
    reranker = LlmJudgeReranker(llm_assistant.llm, candidates=3)
    question = "Wo findet der zweite Metropolkongress statt?"
    ranked = reranker.rerank(question, [_passage(EMTA, 1), _passage(FIRST, 2), _passage(HEILBRONN, 3)])
    assert ranked[0].text == HEILBRONN
    assert reranker.judge(question, _passage(HEILBRONN, 3)) > reranker.judge(question, _passage(EMTA, 1))


@pytest.mark.llm
def test_translated_and_reranked_retrieval_keeps_exact_offsets(llm_assistant: Assistant) -> None:
    full = llm_assistant.variant(translate_query=True, reranker="llm", rerank_candidates=6)
    passages = full.retrieve("Where does the second Metropolkongress take place?", 5)
    assert any("Heilbronn" in p.text for p in passages[:3])
    for p in passages:
        assert full.library.source_text(p.source)[p.start : p.end] == p.text


def test_openai_judge_and_rewriter_work_without_logprobs(settings: Settings) -> None:
    with OpenAIStub("Yes") as stub:
        remote = build_assistant(
            settings.model_copy(update={"llm_backend": "openai", "openai_base_url": stub.base_url, "openai_model": "m"})
        )
        assert remote.llm is not None
        assert LlmJudgeReranker(remote.llm).judge("Q?", _passage(HEILBRONN, 1)) == 1.0
        assert stub.requests[-1]["max_tokens"] == 1
    with OpenAIStub("") as stub:
        rewriter = QueryRewriter(
            build_assistant(remote.settings.model_copy(update={"openai_base_url": stub.base_url})).llm
        )  # type: ignore[arg-type]
        assert rewriter.translate("Wo tagt der Kongress?", "en") == "Wo tagt der Kongress?", "empty reply: fallback"


def test_unreachable_endpoint_falls_back_to_the_question(settings: Settings) -> None:
    remote = build_assistant(
        settings.model_copy(
            update={"llm_backend": "openai", "openai_base_url": "http://127.0.0.1:9/v1", "openai_model": "m"}
        )
    )
    assert remote.rewriter is not None
    assert remote.rewriter.translate("Wo tagt der Kongress?", "en") == "Wo tagt der Kongress?"


def test_extractive_mode_never_uses_an_llm(assistant: Assistant) -> None:
    variant = assistant.variant(translate_query=True, reranker="llm", followup_rewrite="llm")
    assert variant.llm is None and variant.reranker is None
    passages = variant.retrieve("Und wo findet der zweite statt?", 5, ["Wann fand der erste Metropolkongress statt?"])
    assert any("Heilbronn" in p.text for p in passages), "rules resolve the follow-up"


def test_eval_variant_names_are_parsed_and_checked() -> None:
    assert parse_variant("quellen:hybrid+translate+rerank") == {
        "reranker": "llm",
        "translate_query": True,
        "followup_rewrite": "rules",
        "retrieval_mode": "hybrid",
    }
    with pytest.raises(ValueError, match="unknown feature 'fast'"):
        parse_variant("quellen:dense+fast")
    with pytest.raises(ValueError, match="unknown retrieval mode"):
        parse_variant("quellen:sparse")


def test_every_answer_option_gets_a_column_of_its_own(assistant: Assistant) -> None:
    """Two eval columns with one label would be merged into one row of the report."""
    defaults = Settings.model_fields
    changing = [o for o, values in ANSWER_OPTIONS.items() if any(defaults[k].default != v for k, v in values.items())]
    labels = [answer_variant(assistant, f"extractive:{option}").answer_label for option in changing]
    labels.append(answer_variant(assistant, "extractive:min-score=0.18").answer_label)
    assert len(set(labels)) == len(labels) and assistant.answer_label not in labels, labels
    assert parse_answer_variant("local:min-score=0.18")[0]["min_score"] == 0.18
    with pytest.raises(ValueError, match="takes a number"):
        parse_answer_variant("local:min-score=low")
