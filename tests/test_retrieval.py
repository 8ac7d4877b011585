"""Retrieval with the default multilingual embedder, same-language and cross-lingual."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.pipeline import Assistant, InvalidQuestionError

HEILBRONN = "zweite Metropolkongress in Heilbronn"
S_BAHN = "S-Bahn suburban railway system"


def _rank(assistant: Assistant, question: str, needle: str, k: int = 5) -> int | None:
    for rank, passage in enumerate(assistant.retrieve(question, k), start=1):
        if needle in passage.text:
            return rank
    return None


def test_german_question_finds_german_passage(assistant: Assistant) -> None:
    rank = _rank(assistant, "Wo findet der zweite Metropolkongress statt?", HEILBRONN)
    assert rank is not None and rank <= 3


def test_english_question_finds_german_passage(assistant: Assistant) -> None:
    rank = _rank(assistant, "Where does the second Metropolitan Congress take place?", HEILBRONN)
    assert rank is not None and rank <= 5


def test_german_question_finds_english_passage(assistant: Assistant) -> None:
    rank = _rank(assistant, "Warum ist der Verband Region Stuttgart Mitglied bei EMTA?", S_BAHN)
    assert rank is not None and rank <= 5


def test_passages_point_into_their_sources(assistant: Assistant) -> None:
    for passage in assistant.retrieve("Metropolregion Stuttgart Netzwerke", 8):
        source = assistant.library.source_text(passage.source)
        assert source is not None and source[passage.start : passage.end] == passage.text


def test_scores_are_sorted_cosines(assistant: Assistant) -> None:
    # without the translated search: with it the order is the reciprocal-rank fusion, not the cosine
    scores = [p.score for p in assistant.variant(translate_query=False).retrieve("METREX Managing Committee", 5)]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= s <= 1.0 for s in scores)


@pytest.mark.parametrize("question", ["", "   ", "\x00\x01", "x" * 10_000])
def test_bad_questions_get_a_clear_error(assistant: Assistant, question: str) -> None:
    with pytest.raises(InvalidQuestionError):
        assistant.retrieve(question)


def test_sentence_transformers_model_folder_works_offline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Any local sentence-transformers folder (here the packaged all-MiniLM-L6-v2) is an embedder."""
    from assistant.config import Settings
    from assistant.embeddings import packaged_minilm_path
    from assistant.pipeline import build_assistant

    corpus = Path(__file__).resolve().parent.parent / "corpus"
    local = build_assistant(
        Settings(corpus_dir=corpus, state_dir=tmp_path, embedder=packaged_minilm_path(), llm_backend="extractive")
    )
    local.library.ingest(corpus / "european-networks-stuttgart-region.txt")
    top = local.retrieve("How many members does the European Innovation Policy LinkedIn group have?", 3)
    assert any("5,700 members" in p.text for p in top)
    assert local.status().embedder.endswith("model")


def test_a_chunk_that_does_not_name_its_subject_is_found_through_its_heading(assistant: Assistant) -> None:
    """ "The aim of the network is …" stands below the heading "METREX (…)" and never says METREX.

    Searched with its heading it is found for the question; before, it was not among the ten
    best passages.  The passage itself is the document's text, with the heading as its section.
    """
    # one phrasing (no translated search), so the score is the cosine to this question alone
    passages = assistant.variant(translate_query=False).retrieve("What is the purpose of METREX?", 5)
    found = [p for p in passages if "The aim of the network is to provide a platform" in p.text]
    assert found, [p.text[:60] for p in passages]
    passage = found[0]
    assert passage.section.startswith("METREX (The network of European Metropolitan Regions and Areas)")
    assert not passage.text.startswith("METREX")
    # its score is the cosine of its own words (the threshold and the gate are calibrated on that)
    question, words = (
        np.asarray(v)
        for v in (
            assistant.embedder.get_query_embedding("What is the purpose of METREX?"),
            assistant.embedder.get_text_embedding(passage.text),
        )
    )
    own = float(question @ words / (np.linalg.norm(question) * np.linalg.norm(words)))
    assert passage.score == pytest.approx(own, abs=1e-4)
