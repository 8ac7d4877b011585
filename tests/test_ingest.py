"""Ingest: offsets that citations rely on, incremental re-ingest, bad files, embedder mixing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.pipeline import Assistant, build_assistant
from assistant.store import EmbedderMismatchError
from ingest.loader import load_documents
from ingest.splitter import split_documents

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def test_corpus_is_the_five_seed_texts_unchanged() -> None:
    seeds = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("shared/seeds not beside the checkout")
    ours = sorted(p.read_bytes() for p in CORPUS.iterdir())
    theirs = sorted(p.read_bytes() for p in seeds.iterdir())
    assert ours == theirs


def test_every_chunk_is_an_exact_slice_of_its_source() -> None:
    documents, skipped = load_documents(CORPUS)
    assert len(documents) == 5 and not skipped
    by_source = {d.metadata["source"]: d.text for d in documents}
    chunks = split_documents(documents, chunk_size=300, chunk_overlap=60)
    assert len(chunks) > 20
    for chunk in chunks:
        meta = chunk.metadata
        assert by_source[meta["source"]][meta["start"] : meta["end"]] == chunk.get_content()
        assert meta["language"] in {"de", "en"}


def test_documents_get_their_language() -> None:
    documents, _ = load_documents(CORPUS)
    languages = {d.metadata["source"]: d.metadata["language"] for d in documents}
    assert languages["europaeische-metropolregion-stuttgart.txt"] == "de"
    assert languages["european-networks-stuttgart-region.txt"] == "en"
    assert sorted(languages.values()) == ["de", "de", "de", "en", "en"]


def test_incremental_ingest_embeds_only_what_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    assistant = build_assistant(Settings(corpus_dir=corpus, state_dir=tmp_path / "state", llm_backend="extractive"))

    calls: list[tuple[str, int, int, int]] = []
    first = assistant.library.ingest(progress=lambda *args: calls.append(args))
    assert len(first.added) == 5 and first.chunks_embedded == assistant.store.count()
    assert [c[1:3] for c in calls] == [(n, 5) for n in range(1, 6)] and calls[-1][3] == first.chunks_embedded
    assert "chunks/s" in first.summary()

    embedded: list[int] = []
    real_batch = assistant.embedder.get_text_embedding_batch

    def counting_batch(texts: list[str], **kwargs: object) -> list[list[float]]:
        embedded.append(len(texts))
        return real_batch(texts, **kwargs)  # type: ignore[arg-type]

    def no_conversion(*args: object) -> None:
        raise AssertionError("an unchanged file is converted again")

    object.__setattr__(assistant.embedder, "get_text_embedding_batch", counting_batch)
    try:
        with monkeypatch.context() as patched:
            patched.setattr("ingest.loader.extract", no_conversion)
            again = assistant.library.ingest()
    finally:
        object.__delattr__(assistant.embedder, "get_text_embedding_batch")
    assert again.chunks_embedded == 0 and len(again.unchanged) == 5 and not again.skipped
    assert embedded == [], "an unchanged folder computes no embedding at all"

    edited = corpus / "presseinformation-netzwerkkonferenz-2007.txt"
    edited.write_text(
        edited.read_text(encoding="utf-8") + "\n\nNachtrag: Die Konferenz fand im Haus der Wirtschaft statt."
    )
    after_edit = assistant.library.ingest()
    assert after_edit.updated == ["presseinformation-netzwerkkonferenz-2007.txt"]
    assert 0 < after_edit.chunks_embedded < first.chunks_embedded
    assert "Haus der Wirtschaft" in assistant.library.source_text("presseinformation-netzwerkkonferenz-2007.txt")

    (corpus / "ikm-metropolitan-regions-germany.txt").unlink()
    after_delete = assistant.library.ingest()
    assert after_delete.removed == ["ikm-metropolitan-regions-germany.txt"]
    assert all(p.source != "ikm-metropolitan-regions-germany.txt" for p in assistant.retrieve("IKM since 2001", 10))
    assert assistant.library.source_text("ikm-metropolitan-regions-germany.txt") is None


def test_bad_files_are_reported_and_lose_nothing(tmp_path: Path, assistant: Assistant) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "empty.txt").write_text("   \n")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    (corpus / "picture.png").write_bytes(b"\x89PNG\r\n")
    (corpus / "latin1.txt").write_bytes("Größere Übersicht über die Förderprogramme.".encode("latin-1"))
    local = build_assistant(Settings(corpus_dir=corpus, state_dir=tmp_path / "state", llm_backend="extractive"))
    report = local.library.ingest()
    reasons = {item.path.name: item.reason for item in report.skipped}
    assert set(reasons) == {"empty.txt", "binary.txt", "picture.png"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["binary.txt"]
    assert "latin1.txt" in report.added
    assert "Größere Übersicht" in local.library.source_text("latin1.txt")
    assert len(report.added) == 6


def test_a_collection_refuses_a_second_embedder(tmp_path: Path) -> None:
    state = tmp_path / "state"
    use = build_assistant(Settings(corpus_dir=CORPUS, state_dir=state, llm_backend="extractive"))
    use.library.ingest(CORPUS / "europaeische-metropolregion-stuttgart.txt")
    with pytest.raises(EmbedderMismatchError, match="use-multilingual"):
        build_assistant(Settings(corpus_dir=CORPUS, state_dir=state, embedder="e5-small-nano"))


def test_every_setting_is_documented() -> None:
    documented = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"`QUELLEN_{name.upper()}`" not in documented]
    assert not missing, f"document these settings in docs/configuration.md: {missing}"


def test_new_chunking_reindexes_unchanged_files(tmp_path: Path) -> None:
    settings = Settings(corpus_dir=CORPUS, state_dir=tmp_path / "state", llm_backend="extractive")
    first = build_assistant(settings)
    first.library.ingest()
    chunks_300 = first.store.count()
    bigger = build_assistant(settings.model_copy(update={"chunk_size": 800, "chunk_overlap": 100}))
    report = bigger.library.ingest()
    assert len(report.updated) == 5 and 0 < bigger.store.count() < chunks_300
    assert bigger.library.ingest().chunks_embedded == 0
