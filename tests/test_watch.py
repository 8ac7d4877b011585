"""The watched corpus folder: a file written, changed and deleted is found, re-found and gone."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from watchfiles import Change

from assistant.config import Settings
from assistant.pipeline import build_assistant
from ingest.watch import DocumentFilter, watch_in_background

#: a bound, not a speed goal: the change is seen in ~1-2 s alone, much later on a loaded 2-core machine
WAIT = 120.0


def _until(condition: Callable[[], bool], seconds: float = WAIT) -> float:
    """Seconds until ``condition`` held; fails after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


def test_a_watched_folder_follows_new_changed_and_deleted_files(tmp_path: Path, corpus_copy: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "start.txt").write_text((corpus_copy / "european-networks-stuttgart-region.txt").read_text())
    assistant = build_assistant(Settings(corpus_dir=corpus, state_dir=tmp_path / "state", llm_backend="extractive"))
    assistant.library.ensure_ingested()
    thread, stop = watch_in_background(corpus, assistant.library.ingest)
    try:

        def sources() -> set[str]:
            return {d.source for d in assistant.library.documents()}

        def probe() -> bool:  # watchfiles gives no "ready" signal: touch a file until it is seen
            (corpus / "probe.txt").write_text(f"Probe {time.monotonic()}: the watcher is listening.")
            time.sleep(1.0)
            return "probe.txt" in sources()

        _until(probe, 60)
        (corpus / "probe.txt").unlink()
        _until(lambda: "probe.txt" not in sources())

        def found(word: str) -> bool:
            return any(word in p.text for p in assistant.variant(retrieval_mode="bm25").retrieve(word, 3))

        note = corpus / "berichte" / "alpenraum.txt"
        note.parent.mkdir()
        note.write_text("Das Netzwerk Alpenraum hat zwölf Mitgliedsregionen und ein Sekretariat in Innsbruck.")
        added = _until(lambda: "berichte/alpenraum.txt" in sources() and found("Innsbruck"))
        note.write_text("Das Netzwerk Alpenraum hat vierzehn Mitgliedsregionen und ein Sekretariat in Bozen.")
        changed = _until(lambda: found("Bozen") and not found("Innsbruck"))
        (corpus / ".entwurf.txt.part").write_text("Halb geschrieben: Lugano.")  # hidden/partial: ignored
        note.unlink()
        deleted = _until(lambda: "berichte/alpenraum.txt" not in sources() and not found("Bozen"))
        assert sources() == {"start.txt"} and not found("Lugano")
        assert max(added, changed, deleted) < 15, (added, changed, deleted)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive(), "the watcher stops when asked"


def test_only_documents_and_new_folders_are_watched(tmp_path: Path) -> None:
    keep = DocumentFilter()
    folder = tmp_path / "berichte"
    folder.mkdir()
    assert keep(Change.added, str(folder)), "a new folder's files may be written before it is watched"
    assert not keep(Change.modified, str(folder))
    assert keep(Change.added, "/c/bericht.pdf") and keep(Change.modified, "/c/a/b.docx")
    assert keep(Change.deleted, "/c/whatever.pdf")
    for ignored in ("/c/.hidden.txt", "/c/.bericht.pdf.part", "/c/notiz.txt~", "/c/bild.exe", "/c/.git/index"):
        assert not keep(Change.added, ignored), ignored
