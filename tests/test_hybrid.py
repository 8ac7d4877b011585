"""BM25 and hybrid retrieval modes over the real index."""

from __future__ import annotations

import pytest

from assistant.lexical import query_tokens, tokens
from assistant.pipeline import Assistant
from assistant.retrieval import HybridRetriever


def test_german_stemming_meets_inflected_forms() -> None:
    assert tokens("des Kongresses", "de")[-1] == tokens("Kongress", "de")[0]
    assert set(tokens("networks", "en")) <= set(query_tokens("Welche networks gibt es?"))


@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_modes_find_the_passage_with_exact_offsets(assistant: Assistant, mode: str) -> None:
    retriever = HybridRetriever(assistant.store, assistant.embedder, mode)  # type: ignore[arg-type]
    passages = retriever.retrieve("Wo fand der erste Metropolkongress statt?", 5)
    assert any("22. Januar 2019" in p.text for p in passages)
    for p in passages:
        assert assistant.source_text(p.source)[p.start : p.end] == p.text
        assert -1.0 <= p.score <= 1.0, "scores stay cosines whatever the mode"


def test_bm25_follows_ingest(assistant: Assistant, tmp_path) -> None:  # type: ignore[no-untyped-def]
    retriever = HybridRetriever(assistant.store, assistant.embedder, "bm25")
    assert not any("Zeppelinhafen" in p.text for p in retriever.retrieve("Zeppelinhafen", 5))
    extra = assistant.settings.corpus_dir / "zeppelin.txt"
    extra.write_text("Der neue Zeppelinhafen der Region liegt am Neckar und wurde 2030 eröffnet.", encoding="utf-8")
    try:
        assistant.ingest(extra)
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
