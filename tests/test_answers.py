"""Answers with citations: extractive, local LLM, OpenAI-compatible endpoint, refusals."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.pick import pick_probabilities
from assistant.pipeline import Assistant, build_assistant
from assistant.prompts import PICK_QUESTION, REFUSAL
from assistant.stages import QuestionState
from assistant.types import Answer, Passage, Quote, Token
from tests.openai_stub import OpenAIStub

OFF_TOPIC_DE = "Wie hoch ist der Eiffelturm?"
OFF_TOPIC_EN = "What is the recipe for apple pie?"


def _check_citations(assistant: Assistant, answer: Answer) -> None:
    for citation in answer.citations:
        p = citation.passage
        assert assistant.library.source_text(p.source)[p.start : p.end] == p.text
        assert f"[{citation.n}]" in answer.answer


def test_extractive_answer_quotes_the_heilbronn_passage(assistant: Assistant) -> None:
    answer = assistant.ask("Wo findet der zweite Metropolkongress statt?")
    assert not answer.refused and answer.language == "de"
    assert "Heilbronn" in answer.answer
    assert any("Heilbronn" in c.passage.text for c in answer.citations)
    _check_citations(assistant, answer)


@pytest.mark.parametrize(("question", "language"), [(OFF_TOPIC_DE, "de"), (OFF_TOPIC_EN, "en")])
def test_off_topic_questions_are_refused_in_their_language(assistant: Assistant, question: str, language: str) -> None:
    answer = assistant.ask(question)
    assert answer.refused and answer.language == language
    assert answer.answer == REFUSAL[language]
    assert answer.citations == [] and answer.passages, "a refusal still shows the closest passages"


def test_stream_yields_the_quote_then_tokens_then_one_answer(assistant: Assistant) -> None:
    events = list(assistant.ask_stream("Who is on the METREX Managing Committee?"))
    assert isinstance(events[0], Quote) and isinstance(events[-1], Answer)
    assert all(isinstance(e, Token) for e in events[1:-1])
    assert "".join(e.text for e in events[:-1]).strip()


def _remote(settings: Settings, stub: OpenAIStub) -> Assistant:
    """An assistant answering through ``stub``, over the default corpus (ingested if no test did yet)."""
    remote = build_assistant(
        settings.model_copy(
            update={"llm_backend": "openai", "openai_base_url": stub.base_url, "openai_model": "stub-model"}
        )
    )
    remote.library.ensure_ingested()
    return remote


def test_openai_compatible_backend(settings: Settings, assistant: Assistant) -> None:
    reply = "Der zweite Metropolkongress findet in Heilbronn statt [1]. Erfunden [9]."
    with OpenAIStub(reply) as stub:
        remote = _remote(settings, stub)
        events = list(remote.ask_stream("Wo findet der zweite Metropolkongress statt?"))
    answer = events[-1]
    assert isinstance(answer, Answer) and not answer.refused
    assert isinstance(events[0], Quote) and "Heilbronn" in events[0].text, "the quote comes before generation"
    assert sum(isinstance(e, Token) for e in events) > 3, "tokens are streamed"
    assert "[9]" not in answer.answer, "markers to passages that do not exist are dropped"
    assert [c.n for c in answer.citations] == [1]
    _check_citations(remote, answer)
    request = next(r for r in stub.requests if r.get("stream"))
    assert request["model"] == "stub-model", "the answer is the one streamed request"
    assert request["messages"][0]["role"] == "system" and REFUSAL["de"] in request["messages"][0]["content"]
    question = request["messages"][-1]["content"]
    assert question.startswith("Question: Wo findet") and "[1]" in question and question.endswith("Answer in German.")
    assert len(question) < 2000, "the model reads a few evidence sentences, not five whole passages"


def test_an_answer_without_the_asked_place_gets_the_quote_with_the_place_marked(settings: Settings) -> None:
    """The small model answered "wo?" with the date; the evidence holding the place is added, place in bold."""
    with OpenAIStub("Der zweite Metropolkongress findet am 20. September 2022 statt [1].") as stub:
        answer = _remote(settings, stub).ask("Wo findet der zweite Metropolkongress statt?")
    assert "in **Heilbronn** statt" in answer.answer, "the quote shown first, with the place marked"
    assert "20. September 2022 statt [1]." not in answer.answer, "the answer that missed the place is dropped"


def test_a_count_answered_with_another_number_gets_the_counted_fact_quoted(settings: Settings) -> None:
    """ "How many years?" answered with the founding year holds a number, not the years: the evidence speaks."""
    question = "For how many years have metropolitan regions contributed to Germany's competitiveness, says the IKM?"
    with OpenAIStub("Since 2001 [1].") as stub:
        answer = _remote(settings, stub).ask(question)
    assert "**20** years" in answer.answer, answer.answer
    assert "Since 2001 [1]." not in answer.answer, "the answer that missed the count is dropped"


def test_the_evidence_the_answer_cites_is_quoted_beside_the_first_quote(
    settings: Settings, assistant: Assistant
) -> None:
    """The model answered from item 2; its source words stand in the answer, not only item 1's."""
    reply = "Der zweite Metropolkongress findet in Heilbronn statt [1]. Der erste fand 2019 in Stuttgart statt [2]."
    with OpenAIStub(reply) as stub:
        remote = _remote(settings, stub)
        answer = remote.ask("Wo findet der zweite Metropolkongress statt?")
        without = remote.without_stages("quote-cited").ask("Wo findet der zweite Metropolkongress statt?")
    quotes, _, text = answer.answer.partition("\n\n")
    assert quotes.startswith("Die Dokumente sagen dazu:\n- „Am 20. September 2022")
    assert "\n- „" in quotes and "22. Januar 2019 in Stuttgart" in quotes, "the cited item 2 is quoted too"
    assert "[2]" in quotes and "Stuttgart statt. [2]" in text
    _check_citations(remote, answer)
    assert "22. Januar 2019" not in without.answer.partition("\n\n")[0], "without the stage: the first quote only"
    assert "without quote-cited" in remote.without_stages("quote-cited").answer_label


def test_the_item_the_model_picks_is_quoted_beside_the_first_quote(settings: Settings) -> None:
    """Asked which source states the answer, the model named item 2: its words stand in the answer too."""
    question = "Wo findet der zweite Metropolkongress statt?"
    with OpenAIStub("Der zweite Metropolkongress findet in Heilbronn statt [1].", {PICK_QUESTION: "[2]"}) as stub:
        remote = _remote(settings, stub)
        state = [s for s in remote.question_pipeline.run(question)][-1]
        answer = remote.ask(question)
        without = remote.without_stages("pick").ask(question)
    assert isinstance(state, QuestionState) and state.picked == state.evidence[1]
    quotes = answer.answer.partition("\n\n")[0]
    assert quotes.count("\n- „") == 2, "the first quote and the picked item"
    assert " ".join(state.evidence[1].text.split())[:40] in " ".join(quotes.split())
    _check_citations(remote, answer)
    assert [c.n for c in answer.citations] == [1, 2]
    assert "\n- „" not in without.answer.partition("\n\n")[0], "without the stage: the first quote only"


def test_a_reply_naming_no_item_picks_nothing(settings: Settings) -> None:
    reply = "Der zweite Metropolkongress findet in Heilbronn statt [1]."
    with OpenAIStub(reply, {PICK_QUESTION: "Heilbronn"}) as stub:
        state = list(_remote(settings, stub).question_pipeline.run("Wo findet der zweite Metropolkongress statt?"))
    assert isinstance(state[-1], QuestionState) and len(state[-1].evidence) >= 2, "the pick was asked"
    assert any(r["messages"][-1]["content"].endswith(PICK_QUESTION) for r in stub.requests)
    assert state[-1].picked is None


def test_extractive_answers_quote_the_item_the_judge_model_picks_first(assistant: Assistant) -> None:
    """The best-scored sentence names the congress and its date; the model picks the one with the number asked."""
    question = "Wie viele Arbeitsgruppen haben den zweiten Metropolkongress inhaltlich vorbereitet?"
    answer = assistant.ask(question)
    # without the pick the answer check refuses the sentence that leads by score (it does not answer)
    without = assistant.without_stages("pick", "answer-check").ask(question)
    first = answer.answer.split("\n")[1]
    assert "sechs Arbeitsgruppen" in first, "the picked sentence is quoted first"
    assert "sechs Arbeitsgruppen" not in without.answer.split("\n")[1], "by score alone another sentence leads"
    _check_citations(assistant, answer)


@pytest.mark.llm
def test_the_local_model_picks_the_item_that_states_the_answer(llm_assistant: Assistant) -> None:
    evidence = [
        "Der Verband Region Stuttgart ist eine von elf Europäischen Metropolregionen.",
        "Der Metropolkongress wird alle zwei Jahre veranstaltet.",
        "Am 20. September 2022 findet der zweite Metropolkongress in Heilbronn statt.",
    ]
    evidence = [Passage(f"doc{n}.txt", text, 0, len(text), 0.5, "de") for n, text in enumerate(evidence)]
    question = "In welcher Stadt findet der zweite Kongress statt?"
    probabilities = pick_probabilities(llm_assistant.judge, question, evidence)
    assert probabilities is not None and len(probabilities) == 3 and abs(sum(probabilities) - 1) < 1e-6
    assert max(range(3), key=probabilities.__getitem__) == 2


def test_german_answers_get_german_numbers_and_keep_the_qualifier(settings: Settings) -> None:
    with OpenAIStub("Die Gruppe hat 5,700 Mitglieder [1].") as stub:
        answer = _remote(settings, stub).ask("Wie viele Mitglieder hat die European Innovation Policy Gruppe?")
    assert "rund 5.700 Mitglieder" in answer.answer and "5,700 Mitglieder" not in answer.answer.split("\n\n")[-1]


def test_a_model_refusal_past_the_relevance_gate_quotes_the_evidence(settings: Settings) -> None:
    """The small model refused answerable questions far more often than unanswerable ones: the sources speak."""
    with OpenAIStub(REFUSAL["en"]) as stub:
        answer = _remote(settings, stub).ask("Who founded the European Innovation Policy group?")
    assert not answer.refused and REFUSAL["en"] not in answer.answer
    assert answer.answer.startswith("The documents say:") and answer.citations
    assert "(not verified)" not in answer.answer, "quoted source sentences are not checked like statements"


@pytest.mark.llm
def test_local_llm_answers_german_question_with_heilbronn_citation(llm_assistant: Assistant) -> None:
    answer = llm_assistant.ask("Wo findet der zweite Metropolkongress statt?")
    assert not answer.refused and answer.language == "de"
    assert any("Heilbronn" in c.passage.text for c in answer.citations)
    _check_citations(llm_assistant, answer)


@pytest.mark.llm
def test_local_llm_answers_english_question_from_emta_passage(llm_assistant: Assistant) -> None:
    answer = llm_assistant.ask("Why is the Verband Region Stuttgart a member of EMTA?")
    assert not answer.refused and answer.language == "en"
    assert any("S-Bahn" in c.passage.text for c in answer.citations)
    assert "S-Bahn" in answer.answer or "railway" in answer.answer.lower()
    _check_citations(llm_assistant, answer)


def test_strong_first_evidence_skips_the_translation_and_the_second_search(settings: Settings) -> None:
    with OpenAIStub("Der zweite Metropolkongress findet in Heilbronn statt [1].") as stub:
        remote = _remote(settings, stub)
        state = [s for s in remote.question_pipeline.run("Wo findet der zweite Metropolkongress statt?")][-1]
    assert isinstance(state, QuestionState)
    assert state.skipped == ["translate", "retrieve-translated", "evidence-translated"]
    assert state.phrasings == [] and "Heilbronn" in state.evidence[0].text
    asked = [str(r["messages"][-1]["content"]) for r in stub.requests]
    assert len(asked) == 5, "the answerability judge, the answer, the check of its one statement, the pick, the answer"
    assert "Reply yes or no" in asked[0] and asked[1].endswith("Answer in German.") and "Statement:" in asked[2]
    assert asked[3].endswith(PICK_QUESTION)
    assert "Do the sources show that this answer to the question is correct?" in asked[4]


@pytest.mark.llm
def test_the_start_s_warm_up_evaluates_the_fixed_prompt_parts_before_the_first_question(settings: Settings) -> None:
    """The chat's warm-up leaves the answer prompt's worked examples and the translation prompt evaluated.

    Without it the first question of a session waited for them (~10 s more on 2 cores,
    bench/answer_latency.py); with it the answer context already holds the fixed part
    that every evidence prompt opens with.
    """
    from assistant.answering import evidence_messages

    fresh = build_assistant(settings.model_copy(update={"llm_backend": "local"}))
    fresh.rewriter.llm._llama.reset()  # the rewrite context is the process's (earlier tests used it): cold again
    assert fresh.llm._llama.n_tokens == 0 and fresh.rewriter.llm._llama.n_tokens == 0
    fresh.warm_up().join(timeout=300)
    fixed = evidence_messages("", "de", [])[:-1]  # system prompt and worked examples
    fixed_tokens = fresh.llm._llama.tokenize(
        "".join(f"<|im_start|>{m.role.value}\n{m.content}<|im_end|>\n" for m in fixed).encode(), special=True
    )
    held = list(fresh.llm._llama.input_ids[: len(fixed_tokens)])
    assert fresh.llm._llama.n_tokens > len(fixed_tokens) and held == fixed_tokens
    assert fresh.rewriter.llm._llama.n_tokens > 20, "the translation prompt's system part is evaluated"


@pytest.mark.llm
def test_assistants_in_one_process_share_their_rewrite_and_check_contexts(
    settings: Settings, assistant: Assistant, llm_assistant: Assistant
) -> None:
    """A second assistant over the same model file loads no second rewrite or check context.

    Each llama.cpp instance holds its own ~0.7 GB of weights repacked for the CPU, so
    every assistant, UI backend and evaluation column that loaded its own grew the
    process by ~1.4 GB (docs/architecture.md).
    """
    again = build_assistant(settings.model_copy(update={"llm_backend": "local"}))
    assert again.rewriter.llm is llm_assistant.rewriter.llm and again.checker is llm_assistant.checker
    assert len({id(again.llm), id(again.rewriter.llm), id(again.checker)}) == 3, "the roles keep contexts apart"
    quotes = build_assistant(settings)  # extractive: the contexts over the judge's model
    assert quotes.judge is assistant.judge and quotes.checker is assistant.checker
    assert quotes.rewriter.llm is assistant.rewriter.llm and quotes.checker is not quotes.rewriter.llm
