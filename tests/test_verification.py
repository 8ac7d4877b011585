"""Citation verification on real passages with the real multilingual embedder."""

from __future__ import annotations

import pytest

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
    assert assistant.source_text(citation.passage.source)[citation.quote_start : citation.quote_end] == citation.quote
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
            assistant.source_text(citation.passage.source)[citation.quote_start : citation.quote_end] == citation.quote
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
