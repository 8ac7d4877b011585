"""Citation verification on real passages with the real multilingual embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.pipeline import Assistant
from assistant.types import Answer, Passage
from assistant.verification import CitationVerifier, split_statements


@pytest.fixture(scope="module")
def passages(assistant: Assistant) -> list[Passage]:
    heilbronn = next(p for p in assistant.retrieve("zweiter Metropolkongress Heilbronn", 10) if "Heilbronn" in p.text)
    emta = next(p for p in assistant.retrieve("EMTA S-Bahn member", 10) if "EMTA" in p.text)
    return [heilbronn, emta]


@pytest.fixture(scope="module")
def verifier(assistant: Assistant) -> CitationVerifier:
    return CitationVerifier(assistant.embedder)


def _answer(text: str, language: str = "de") -> Answer:
    return Answer(answer=text, language=language)  # type: ignore[arg-type]


def test_statements_take_the_markers_that_follow_them() -> None:
    clean, statements = split_statements("Erstens gilt dies [1]. Zweitens gilt das. [2, 3]\nDrittens jenes.")
    assert clean == "Erstens gilt dies. Zweitens gilt das.\nDrittens jenes."
    assert [s.cited for s in statements] == [(1,), (2, 3), ()]


def test_a_marker_to_the_wrong_passage_is_repointed(
    assistant: Assistant, verifier: CitationVerifier, passages: list[Passage]
) -> None:
    answer = verifier.verify(
        _answer("Der zweite Metropolkongress findet am 20. September 2022 in Heilbronn statt [2]."), passages
    )
    assert [c.n for c in answer.citations] == [1] and answer.answer.endswith("[1]")
    citation = answer.citations[0]
    assert "Heilbronn" in citation.quote
    assert (
        assistant.library.source_text(citation.passage.source)[citation.quote_start : citation.quote_end]
        == citation.quote
    )
    assert not answer.unsupported


def test_an_invented_statement_is_marked_and_loses_its_marker(
    verifier: CitationVerifier, passages: list[Passage]
) -> None:
    text = (
        "Der zweite Metropolkongress findet in Heilbronn statt [1]. Die LinkedIn-Gruppe hat genau 4711 Mitglieder [1]."
    )
    answer = verifier.verify(_answer(text), passages)
    assert answer.unsupported == ["Die LinkedIn-Gruppe hat genau 4711 Mitglieder."]
    assert "4711 Mitglieder. (nicht belegt)" in answer.answer and answer.answer.count("[1]") == 1


def test_an_english_statement_is_supported_by_a_german_passage(
    verifier: CitationVerifier, passages: list[Passage]
) -> None:
    answer = verifier.verify(
        _answer("The second metropolitan congress takes place in Heilbronn on 20 September 2022 [1].", "en"), passages
    )
    assert [c.n for c in answer.citations] == [1] and not answer.unsupported


def test_sentences_about_the_passages_are_dropped(verifier: CitationVerifier, passages: list[Passage]) -> None:
    text = "Der zweite Metropolkongress findet in Heilbronn statt [1]. Dies steht in Passage 1."
    answer = verifier.verify(_answer(text), passages)
    assert "Passage" not in answer.answer and answer.answer.endswith("[1]")


def test_a_statement_without_marker_gets_the_supporting_passage(
    verifier: CitationVerifier, passages: list[Passage]
) -> None:
    answer = verifier.verify(
        _answer("Die Region ist Mitglied von EMTA, weil sie für die S-Bahn zuständig ist."), passages
    )
    assert [c.n for c in answer.citations] == [2]


def test_extractive_citations_carry_the_quoted_sentence(assistant: Assistant) -> None:
    answer = assistant.ask("Wo findet der zweite Metropolkongress statt?")
    assert answer.citations
    for citation in answer.citations:
        assert citation.quote_start is not None and citation.quote in answer.answer
        assert (
            assistant.library.source_text(citation.passage.source)[citation.quote_start : citation.quote_end]
            == citation.quote
        )
    assert answer.to_json()["citations"][0]["quote"]["text"] == answer.citations[0].quote  # type: ignore[index]


def test_the_labelled_verifier_set_is_large_and_split() -> None:
    """Issue 14: ≥ 150 labelled sentences of real answers, both labels in both languages and halves."""
    from eval.verifier_set import load_verifier_set

    items = load_verifier_set()
    assert len(items) >= 150 and len({i.id for i in items}) == len(items)
    for split in ("dev", "test"):
        for language in ("de", "en"):
            part = [i for i in items if i.split == split and i.language == language]
            assert {i.label for i in part} == {"supported", "unsupported"}, (split, language)
    assert all(all(1 <= n <= len(i.evidence) for n in i.cited) for i in items), "citations point into the evidence"


def test_a_statement_check_decides_and_the_cosine_still_points(
    verifier: CitationVerifier, passages: list[Passage]
) -> None:
    """With a check, its verdict decides: a sentence close to the evidence in words but naming what it
    never says is marked; a supported one keeps the marker the cosine chose."""
    from assistant.logistic import LogisticModel
    from assistant.statement_check import StatementCheck

    names_only = LogisticModel(["missing_names"], [0.0], [1.0], [4.0], -2.0, threshold=0.5)
    checked = CitationVerifier(verifier.embedder, check=StatementCheck(names_only, judge=None))
    invented = "Der zweite Metropolkongress findet in Heilbronn statt und wird von der Stadt Ulm bezahlt."
    text = f"Der zweite Metropolkongress findet am 20. September 2022 in Heilbronn statt [2]. {invented} [1]"
    question = "Wo findet der zweite Metropolkongress statt?"
    assert not verifier.verify(_answer(text), passages, question).unsupported, "the cosine alone lets it pass"
    answer = checked.verify(_answer(text), passages, question)
    assert answer.unsupported == [invented]
    assert answer.answer.count("[1]") == 1 and "bezahlt. (nicht belegt)" in answer.answer


def test_names_across_languages_are_numbers_and_abbreviations_only() -> None:
    """A German sentence over English evidence translates its nouns; only numbers and abbreviations must match."""
    from assistant.statement_check import statement_signals

    evidence = [Passage("metrex.txt", "Observers come from the USA and Asia.", 0, 36, 0.6, language="en")]
    question = "Woher kommen die Beobachter im Netzwerk METREX?"

    def missing(sentence: str, items: list[Passage] = evidence, signal: str = "unmatched_names") -> float:
        return statement_signals(sentence, question, "de", items, [0.6] * len(items), None)[signal]

    for signal in ("missing_names", "unmatched_names"):
        assert missing("Die Beobachter im Netzwerk kommen aus der USA und Asien.", signal=signal) == 0.0
        assert missing("Die Beobachter kommen seit 2019 aus der USA und der EU.", signal=signal) == 2.0  # 2019, EU
    german = [*evidence, Passage("de.txt", "Beobachter kommen aus Übersee.", 0, 30, 0.5, language="de")]
    # the check before: beside one German item every German noun had to be in the evidence
    assert missing("Die Beobachter kommen aus Asien.", german, "missing_names") == 1.0
    # now a German sentence's nouns count only against all-German evidence ("Asien" may translate "Asia")
    assert missing("Die Beobachter kommen aus Asien.", german) == 0.0
    assert missing("Die Beobachter kommen aus Asien.", german[1:]) == 1.0, "all German: 'Asien' must be there"
    # an English sentence's capitals are names: "Ulm" must be in English evidence
    english = statement_signals("Observers come from Ulm.", "Where?", "en", evidence, [0.6], None)
    assert english["unmatched_names"] == 1.0


def test_capitals_are_names_where_the_language_marks_names_with_them() -> None:
    from assistant.statement_check import capitals_are_names

    assert capitals_are_names("en", ["de", "en"]) and not capitals_are_names("en", ["de"])
    assert capitals_are_names("de", ["de", "de"]) and not capitals_are_names("de", ["de", "en"])


def test_the_check_asks_the_judge_only_for_the_signals_its_model_uses() -> None:
    """A model without judge signals runs no prompt (``wanted``); the judge signals need a judge model."""
    from assistant.statement_check import statement_signals

    evidence = [Passage("a.txt", "Der Kongress findet in Heilbronn statt.", 0, 38, 0.6, language="de")]
    values = statement_signals("Er findet in Heilbronn statt.", "Wo?", "de", evidence, [0.7], None, ["cos"])
    assert "judge" not in values and "judge_one" not in values and values["cos"] == 0.7


@pytest.mark.llm
def test_the_fitted_check_runs_in_the_pipeline_with_the_local_model(
    llm_assistant: Assistant, passages: list[Passage]
) -> None:
    """The product's check (statement_check.json and the model's judgement, in a context of its own)."""
    from assistant.question_pipeline import citation_verifier

    checked = citation_verifier(llm_assistant)
    assert checked.check is not None and {"judge", "judge_one"} & set(checked.check.model.features)
    question = "Wo findet der zweite Metropolkongress statt?"
    supported = "Der zweite Metropolkongress findet am 20. September 2022 in Heilbronn statt [1]."
    invented = "Die Stadt Ulm und das Land Bayern bezahlen den Kongress gemeinsam mit 4711 Euro."
    answer = checked.verify(_answer(f"{supported} {invented} [1]"), passages, question)
    assert answer.unsupported == [invented] and [c.n for c in answer.citations] == [1]
    assert checked.verify(_answer(supported), passages, question).unsupported == []
    assert llm_assistant.checker is not llm_assistant.llm, "the answer context keeps its evaluated prompt"
    cosine_only = citation_verifier(llm_assistant.variant(citation_check="cosine"))
    assert cosine_only.check is None


def test_a_check_fitted_elsewhere_is_used_and_named(assistant: Assistant, tmp_path: Path) -> None:
    """``statement_check_file`` (eval: ``local:check=FILE``) checks with FILE's model; the answer label says so."""
    from assistant.logistic import LogisticModel, save_models
    from assistant.question_pipeline import citation_verifier
    from eval.runner import parse_answer_variant

    path = tmp_path / "names-only.json"
    save_models(path, {"check": LogisticModel(["missing_names"], [0.0], [1.0], [4.0], -2.0, threshold=0.5)})
    overrides, dropped = parse_answer_variant(f"local:check={path}")
    assert overrides == {"llm_backend": "local", "statement_check_file": path} and dropped == []
    variant = assistant.variant(statement_check_file=path)
    check = citation_verifier(variant).check
    assert check is not None and check.model.features == ["missing_names"]
    assert variant.answer_label.endswith("[check names-only]")
    with pytest.raises(ValueError, match="statement_check_file: no such file"):
        Settings(statement_check_file=tmp_path / "none.json")
