"""The answerability gate: the documents' near misses and off-topic questions are refused (issue 14)."""

from __future__ import annotations

import pytest

from assistant.answerability import JUDGE_SIGNALS, SEARCH_SIGNALS, AnswerabilityModel, load_models, search_signals
from assistant.pipeline import Assistant
from assistant.stages import QuestionState
from assistant.types import Answer, Passage, Token
from tests.openai_stub import OpenAIStub

OFF_TOPIC = {
    "de": "Wer hat die Fußball-Weltmeisterschaft 2022 gewonnen?",
    "en": "Who won the 2022 football World Cup?",
}

#: the corpus describes the first and the second Metropolkongress, not a third
NEAR_MISS = {
    "de": "Wo findet der dritte Metropolkongress statt?",
    "en": "Where does the third Metropolkongress take place?",
}


def _sentence(text: str, language: str = "de") -> Passage:
    return Passage(text=text, source="s.txt", start=0, end=len(text), score=0.6, language=language)


def test_the_fitted_models_load_and_use_known_signals() -> None:
    models = load_models()
    assert set(models) == {"judge", "search"}
    for model in models.values():
        assert set(model.features) <= set(SEARCH_SIGNALS) | set(JUDGE_SIGNALS)
        assert len(model.mean) == len(model.scale) == len(model.coef) == len(model.features)
        assert 0.0 < model.threshold < 1.0 and "dev" in model.fitted_on and "test" not in model.fitted_on
    assert models["judge"].needs_judge and not models["search"].needs_judge


def test_a_missing_ordinal_lowers_the_names_signal() -> None:
    evidence = [_sentence("Am 20. September 2022 findet der zweite Metropolkongress in Heilbronn statt.")]
    asked_second = search_signals("Wo findet der zweite Metropolkongress statt?", "de", evidence, evidence)
    asked_third = search_signals("Wo findet der dritte Metropolkongress statt?", "de", evidence, evidence)
    assert asked_second["names_nums"] == 1.0 and asked_third["names_nums"] < 1.0
    assert asked_second["type_found"] == 1.0  # "wo" asks for a place, and "in Heilbronn" is one


def test_a_count_question_needs_a_count_of_the_asked_thing_in_a_language_it_was_asked_in() -> None:
    """ "Wie viele Mitglieder hat EMTA?" is not answered by a year or a phone number, but by "over 50 members"."""
    question, translation = "Wie viele Mitglieder hat EMTA?", "How many members does EMTA have?"
    other_numbers = [_sentence("Verband Region Stuttgart joined EMTA in 2001 (Tel. 0711 227 59-0).", "en")]
    counted = [_sentence("It comprises over 50 members from all over Europe.", "en")]
    missing = search_signals(question, "de", other_numbers, other_numbers, [translation])
    found = search_signals(question, "de", counted, counted, [translation])
    assert missing["type_found"] == 1.0 and missing["count_found"] == 0.0
    assert found["count_found"] == 1.0
    # without the translation the English evidence cannot be read for "Mitglieder": any number counts there
    assert search_signals(question, "de", other_numbers, other_numbers)["count_found"] == 1.0
    german_year = [_sentence("EMTA wurde 2001 gegründet und hat ihren Sitz in Paris.", "de")]
    assert search_signals(question, "de", german_year, german_year)["count_found"] == 0.0, "German is read"
    assert search_signals("Wo ist EMTA?", "de", counted, counted)["count_found"] == 1.0, "no count asked"


def test_the_asked_fact_and_the_questions_names_must_meet_in_one_item() -> None:
    """A date in one sentence and the asked congress in another answer nothing; in one sentence they do."""
    first = _sentence("Der erste Metropolkongress fand am 22. Januar 2019 in Stuttgart statt.")
    second = _sentence("Der zweite Metropolkongress wird vorbereitet.")
    asked = "Wann findet der zweite Metropolkongress statt?"
    apart = search_signals(asked, "de", [first, second], [first, second])
    assert apart["names_nums"] == 1.0 and apart["type_found"] == 1.0, "anywhere in the evidence, both are there"
    assert apart["fact_marks"] < 1.0, "the only date is in the sentence on the first congress"
    together = [_sentence("Der zweite Metropolkongress findet am 20. September 2022 in Heilbronn statt.")]
    assert search_signals(asked, "de", together, together)["fact_marks"] == 1.0
    no_date = [_sentence("The Verband Region Stuttgart is an associate member of EMTA.", "en")]
    joined = search_signals("When did the Verband Region Stuttgart join EMTA?", "en", no_date, no_date)
    assert joined["fact_marks"] == 0.0, "no date beside EMTA"
    # a translation's names are read in its own words: "Covenant of Mayors" for "Konvent der Bürgermeister"
    covenant = [_sentence("The Covenant of Mayors is an initiative to help achieve the EU's climate objectives.", "en")]
    german = search_signals("Was ist der Konvent der Bürgermeister?", "de", covenant, covenant)["fact_marks"]
    both = search_signals(
        "Was ist der Konvent der Bürgermeister?", "de", covenant, covenant, ["What is the Covenant of Mayors?"]
    )["fact_marks"]
    assert german < both == 1.0
    # a translation that lost the name does not make up for it (off-topic: nothing holds "Apfelkuchen")
    cake = search_signals(
        "Wie backe ich einen Apfelkuchen?", "de", covenant, covenant, ["How do I bake an apple cake?"]
    )
    assert cake["fact_marks"] == 0.0


def test_the_judgement_is_asked_in_the_answer_prompt() -> None:
    """Judge and answer share every message but the last line, so the answer reuses the judged prompt."""
    from assistant.answering import evidence_judge_messages, evidence_messages

    evidence = [_sentence("Am 20. September 2022 findet der zweite Metropolkongress in Heilbronn statt.")]
    question = "Wo findet der zweite Metropolkongress statt?"
    judged, answered = evidence_judge_messages(question, evidence), evidence_messages(question, "de", evidence)
    assert judged[:-1] == answered[:-1] and len(judged) == len(answered)
    judged_lines, answered_lines = judged[-1].content.splitlines(), answered[-1].content.splitlines()
    assert judged_lines[:-1] == answered_lines[:-1] and "Heilbronn" in judged[-1].content
    assert judged_lines[-1].endswith("Reply yes or no.") and answered_lines[-1].endswith("Answer in German.")


def test_the_model_refuses_above_its_threshold() -> None:
    model = AnswerabilityModel(
        features=["judge_joint"], mean=[0.5], scale=[0.25], coef=[-2.0], intercept=0.0, threshold=0.5
    )
    assert model.unanswerable({"judge_joint": 0.05}) > 0.9 > 0.1 > model.unanswerable({"judge_joint": 0.95})


@pytest.mark.llm
@pytest.mark.parametrize("language", ["de", "en"])
def test_an_off_topic_question_is_refused_by_the_local_and_the_extractive_backend(
    assistant: Assistant, language: str
) -> None:
    for backend in ("local", "extractive"):
        answer = assistant.variant(llm_backend=backend).ask(OFF_TOPIC[language])
        assert answer.refused, f"{backend} answered {answer.answer!r}"
        assert answer.language == language
        scores = [p.score for p in answer.passages]
        assert scores == sorted(scores, reverse=True), "the closest passages are listed best first"


@pytest.mark.llm
def test_a_near_miss_looks_less_answerable_than_the_question_the_documents_answer(assistant: Assistant) -> None:
    """The gate's probability for "the dritte Metropolkongress" is above that for "the zweite" (which they name).

    Read with the judgement before the answer, so the pipeline can stop before answering.
    """
    local = assistant.variant(llm_backend="local", judge_during_answer=False)

    def unanswerable(question: str) -> float:
        state = next(s for s in local.question_pipeline.without("answer").run(question) if isinstance(s, QuestionState))
        assert state.unanswerable is not None, "the answerability gate ran"
        return state.unanswerable

    assert unanswerable(NEAR_MISS["de"]) > unanswerable("Wo findet der zweite Metropolkongress statt?")


@pytest.mark.llm
@pytest.mark.parametrize("question", [NEAR_MISS["de"], "Wo findet der zweite Metropolkongress statt?"])
def test_the_local_model_judges_after_the_answers_first_token_and_decides_as_before(
    assistant: Assistant, question: str
) -> None:
    """The judgement asked after the first token gives the judgement asked before it, and the same answer.

    The near miss is refused (the token shown is replaced by the refusal), the question
    the documents answer is answered, word for word as with the judgement first.
    """
    during = assistant.variant(llm_backend="local")
    first = during.variant(judge_during_answer=False)
    gates = [s for s in during.question_pipeline.inner.stages if s.name == "answerable"]
    assert [g.during_answer for g in gates] == [True]
    events = list(during.ask_stream(question))
    answer = events[-1]
    assert isinstance(answer, Answer) and any(isinstance(e, Token) for e in events[:-1]), "a token came first"
    before = first.ask(question)
    assert answer.refused == before.refused and answer.refused == (question == NEAR_MISS["de"])
    assert answer.unanswerable == pytest.approx(before.unanswerable, abs=0.02)
    assert answer.answer == before.answer
    unanswered = during.question_pipeline.without("answer").run(question)
    state = next(s for s in unanswered if isinstance(s, QuestionState))
    assert state.unanswerable is not None, "judged at the end when no answer stage asked it"


@pytest.mark.parametrize("language", ["de", "en"])
def test_an_openai_compatible_endpoint_judges_by_its_reply(assistant: Assistant, language: str) -> None:
    """An endpoint without log-probabilities: its "no" to the judge's question refuses (past the relevance gate).

    The stub gives every request the same reply, the translation included, so the reply
    names the congress for the translated search to find it.
    """
    with OpenAIStub(reply="No third Metropolkongress is described.") as stub:
        endpoint = assistant.variant(llm_backend="openai", openai_base_url=stub.base_url, openai_model="stub")
        answer = endpoint.ask(NEAR_MISS[language])
    assert answer.refused and answer.language == language
    judged = [r for r in stub.requests if "Reply yes or no" in str(r.get("messages", ""))]
    assert judged, "the endpoint was asked whether the evidence answers"


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_question_answered_only_in_part_says_which_part_is_open(language: str) -> None:
    from assistant.answer_stages import MISSING_PART, CheckAnswerType
    from assistant.types import Answer, Citation

    sentence = "Am 20. September 2022 findet der zweite Metropolkongress statt."
    evidence = Passage("kongress.txt", sentence, 0, len(sentence), 0.7, "de")
    question = {
        "de": "Wann und wo findet der zweite Metropolkongress statt?",
        "en": "When and where does the second Metropolkongress take place?",
    }[language]
    told = {"de": "Er findet am 20. September 2022 statt [1].", "en": "It takes place on 20 September 2022 [1]."}
    state = QuestionState(question=question, language=language, query=question, evidence=[evidence])
    state.answer = Answer(told[language], language, [Citation(1, evidence)], passages=[evidence])
    list(CheckAnswerType().run(state))
    assert state.answer.open_parts == ["place"]
    assert state.answer.answer.startswith(told[language]), "the answered part stays"
    assert state.answer.answer.endswith(MISSING_PART[language]["place"])
    assert state.answer.to_json()["open_parts"] == ["place"]
    state.answer = Answer(told[language] + " It is in Heilbronn [1].", language, [Citation(1, evidence)])
    list(CheckAnswerType().run(state))
    assert state.answer.open_parts == [], "a place in the answer closes the part"


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_benefit_question_shows_the_sentences_naming_an_advantage(language: str) -> None:
    """The model writes a benefit in its own words; the quotes must show the source sentences stating it.

    The quote shown first (the membership sentence) names no advantage; the second and third
    items do and are quoted with the advantage in bold, the model's text kept; the fourth
    names none.  A question asking for no benefit gets nothing added.
    """
    from assistant.answer_stages import QuoteBenefits
    from assistant.types import Answer, Citation

    texts = [
        "Verband Region Stuttgart is an associate member of EMTA, the European network of transport authorities.",
        "The advantage of EMTA for Verband Region Stuttgart is that it can use this network to obtain data.",
        "Another advantage of this network is that its members are informed at an early stage.",
        "POLIS is a network of European cities and regions.",
    ]
    evidence = [Passage("networks.txt", t, i * 200, i * 200 + len(t), 0.5, "en") for i, t in enumerate(texts)]
    question = {"de": "Und was hat der Verband Region Stuttgart davon?", "en": "What are the benefits for the Verband?"}
    told = {"de": "Der Verband erhält Verkehrsdaten [2].", "en": "It obtains transport data [2]."}
    state = QuestionState(question=question[language], language=language, query=question[language], evidence=evidence)
    state.quote = Citation(1, evidence[0])
    state.answer = Answer(told[language], language, [Citation(2, evidence[1])], passages=evidence)
    list(QuoteBenefits().run(state))
    assert state.answer.answer.startswith(told[language]), "the model's text stays"
    assert "The **advantage** of EMTA" in state.answer.answer
    assert "Another **advantage** of this network" in state.answer.answer
    assert "POLIS" not in state.answer.answer
    assert [c.n for c in state.answer.citations] == [2, 3]
    plain = QuestionState(question="Was ist EMTA?", language="de", query="Was ist EMTA?", evidence=evidence)
    plain.quote = Citation(1, evidence[0])
    plain.answer = Answer("EMTA ist ein Netzwerk [1].", "de", [Citation(1, evidence[0])], passages=evidence)
    list(QuoteBenefits().run(plain))
    assert plain.answer.answer == "EMTA ist ein Netzwerk [1]."
