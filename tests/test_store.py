"""The store reads large collections page by page (one ``get`` of everything fails past SQLite's limits)."""

from __future__ import annotations

import pytest

import assistant.store as store_module
from assistant.pipeline import Assistant
from assistant.store import get_all


def test_get_all_reads_every_record_across_pages(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    everything = assistant.store.chunks.get(include=["metadatas"])
    monkeypatch.setattr(store_module, "PAGE", 10)
    paged = get_all(assistant.store.chunks, ["documents", "metadatas"])
    assert len(paged["ids"]) == assistant.store.count() > 10
    assert sorted(paged["ids"]) == sorted(everything["ids"])
    assert len(set(paged["ids"])) == len(paged["ids"]), "no record twice"
    assert len(paged["documents"]) == len(paged["metadatas"]) == len(paged["ids"])


def test_sources_and_bm25_use_the_paged_read(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "PAGE", 2)
    assert len(assistant.store.list_sources()) == 5
    assert len(assistant.store.source_fingerprints()) == 5
    assistant.retriever._signature = ""  # force a BM25 rebuild through the paged read
    assistant.retriever._checked = (-1, 0.0)
    passages = assistant.retrieve("Metropolkongress Heilbronn")
    assert passages and passages[0].source == "europaeische-metropolregion-stuttgart.txt"


def test_warm_up_builds_the_bm25_index_before_the_first_question(tmp_path, corpus_copy) -> None:
    from assistant.config import Settings
    from assistant.pipeline import build_assistant

    fresh = build_assistant(Settings(corpus_dir=corpus_copy, state_dir=tmp_path / "state", llm_backend="extractive"))
    fresh.library.ingest()
    fresh = build_assistant(fresh.settings)  # a new process: nothing built yet
    assert fresh.retriever._signature == ""
    fresh.warm_up().join(timeout=120)
    assert fresh.retriever._signature, "the BM25 index was built in the background"


def test_bm25_index_is_kept_on_disk_and_loaded_by_the_next_start(
    tmp_path, corpus_copy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.config import Settings
    from assistant.pipeline import build_assistant

    settings = Settings(corpus_dir=corpus_copy, state_dir=tmp_path / "state", llm_backend="extractive")
    first = build_assistant(settings)
    first.library.ingest()
    expected = [p.chunk_id for p in first.retrieve("Metropolkongress Heilbronn", 5)]
    assert list((tmp_path / "state" / "bm25" / "quellen").iterdir()), "the index was written"

    def no_full_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the chunks were read again to rebuild BM25")

    monkeypatch.setattr("assistant.retrieval.get_all", no_full_read)
    second = build_assistant(settings)
    assert [p.chunk_id for p in second.retrieve("Metropolkongress Heilbronn", 5)] == expected
