"""BM25 and hybrid retrieval modes over the real index."""

from __future__ import annotations

import pytest

from assistant.lexical import Bm25Index, compound_parts, query_tokens, tokens
from assistant.pipeline import Assistant
from assistant.retrieval import HybridRetriever


def test_german_stemming_meets_inflected_forms() -> None:
    assert tokens("des Kongresses", "de")[-1] == tokens("Kongress", "de")[0]
    assert set(tokens("networks", "en")) <= set(query_tokens("Welche networks gibt es?"))


def test_german_compounds_are_split_into_their_parts() -> None:
    assert compound_parts("metropolkongress") == ("metropol", "kongress")
    assert compound_parts("kongress") == (), "known words stay whole"
    assert compound_parts("stuttgart") == ()
    compound = tokens("Wirtschaftsförderung", "de")
    assert tokens("Förderung", "de")[0] in compound and tokens("Wirtschaftsförderung", "de")[0] == compound[0]
    assert tokens("Metropolkongress", "en") == ["metropolkongress"], "English words are not split"


def test_bm25_finds_a_compound_by_its_part() -> None:
    index = Bm25Index()
    index.build(
        ["a", "b", "c"],
        ["Der Metropolkongress tagt in Heilbronn.", "Die Region hat viele Netzwerke.", "Ein Verband der Regionen."],
        ["de", "de", "de"],
    )
    assert index.search("Wann tagt der Kongress?", 3)[0][0] == "a"


@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_modes_find_the_passage_with_exact_offsets(assistant: Assistant, mode: str) -> None:
    retriever = HybridRetriever(assistant.store, assistant.embedder, mode)  # type: ignore[arg-type]
    passages = retriever.retrieve("Wo fand der erste Metropolkongress statt?", 5)
    assert any("22. Januar 2019" in p.text for p in passages)
    for p in passages:
        assert assistant.library.source_text(p.source)[p.start : p.end] == p.text
        assert -1.0 <= p.score <= 1.0, "scores stay cosines whatever the mode"


def test_bm25_follows_ingest(assistant: Assistant, tmp_path) -> None:  # type: ignore[no-untyped-def]
    retriever = HybridRetriever(assistant.store, assistant.embedder, "bm25")
    assert not any("Zeppelinhafen" in p.text for p in retriever.retrieve("Zeppelinhafen", 5))
    extra = assistant.settings.corpus_dir / "zeppelin.txt"
    extra.write_text("Der neue Zeppelinhafen der Region liegt am Neckar und wurde 2030 eröffnet.", encoding="utf-8")
    try:
        assistant.library.ingest(extra)
        assert any("Zeppelinhafen" in p.text for p in retriever.retrieve("Zeppelinhafen", 5))
    finally:
        extra.unlink()
        assistant.store.delete_source("zeppelin.txt")


@pytest.mark.parametrize("language", ["de", "en"])
def test_language_filter_keeps_to_one_language(assistant: Assistant, language: str) -> None:
    filtered = assistant.settings.model_copy(update={"language_filter": language})
    from assistant.pipeline import Assistant as Built

    only = Built(filtered, assistant.embedder, assistant.store)
    passages = only.retrieve("Metropolregion Stuttgart Netzwerke METREX", 8)
    assert passages and {p.language for p in passages} == {language}
