"""Reliability: oversized and odd input, a killed ingest, many sessions at once, login.

What was tried and what held is summarised in docs/reliability.md.
"""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.pipeline import build_assistant
from ingest.loader import load_documents
from ingest.splitter import split_documents
from tests.processes import quellen_command, quellen_env
from ui.serving import serving

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _settings(tmp_path: Path, corpus: Path, **extra: object) -> Settings:
    return Settings(corpus_dir=corpus, state_dir=tmp_path / "state", llm_backend="extractive", **extra)


def test_oversized_and_odd_files_are_named_and_nothing_indexed_is_lost(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    local = build_assistant(_settings(tmp_path, corpus))
    first = local.library.ingest()
    before = {d.source: d.chunks for d in local.library.documents()}
    assert len(first.added) == 5

    with (corpus / "riesig.txt").open("w", encoding="utf-8") as big:  # 50 MB of text
        line = "Dies ist eine sehr lange Zeile über europäische Netzwerke und Regionen. " * 10 + "\n"
        for _ in range(50 * 1024 * 1024 // len(line.encode()) + 1):
            big.write(line)
    (corpus / "steuerzeichen.txt").write_text(
        "Die Region\x07 Stuttgart\x1b[31m arbeitet\x00 im Netzwerk Alpenbogen mit.\r\nZweite Zeile\x0c. "
        + "Eine ganz normale Zeile Text über die Zusammenarbeit der Regionen. " * 4,
        encoding="utf-8",
    )
    (corpus / "bild.txt").write_bytes(bytes(range(256)) * 64)  # binary with a text extension
    (corpus / "unicode.txt").write_bytes("Notizen aus Windows: Netzwerk Donauraum.".encode("utf-16"))
    (corpus / "kaputt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF")
    (corpus / "leer.md").write_bytes(b"")
    (corpus / "europaeische-metropolregion-stuttgart.txt").touch()  # unchanged content, new mtime

    report = local.library.ingest()
    reasons = {item.path.name: item.reason for item in report.skipped}
    assert "riesig.txt" in reasons["riesig.txt"] and "max_document_mb" in reasons["riesig.txt"]
    assert "binary" in reasons["bild.txt"]
    assert "kaputt.pdf" in reasons and "leer.md" in reasons
    assert report.removed == [] and len(report.unchanged) == 5
    assert report.added == ["steuerzeichen.txt", "unicode.txt"], f"the rest of the work goes on: {report.summary()}"
    after = {d.source: d.chunks for d in local.library.documents()}
    assert {k: after[k] for k in before} == before, "nothing already indexed is lost"
    assert local.retrieve("Netzwerk Alpenbogen")[0].source == "steuerzeichen.txt"
    assert "\x07" not in local.library.source_text("steuerzeichen.txt"), "control characters are not shown"
    assert local.library.source_text("unicode.txt") == "Notizen aus Windows: Netzwerk Donauraum."


def _ingest_process(settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        quellen_command("ingest"), env=quellen_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _consistent(settings: Settings) -> tuple[int, int]:
    """Every document with a source record has exactly its chunks; (documents, chunks)."""
    store = build_assistant(settings).store
    records = store.list_sources()
    for record in records:
        got = store.chunks.get(where={"source": record.source}, include=["documents", "metadatas"])
        assert len(got["ids"]) == record.chunks, (
            f"{record.source}: {len(got['ids'])} chunks, record says {record.chunks}"
        )
        assert len(set(got["ids"])) == len(got["ids"])
    return len(records), store.count()


def _records(database: Path) -> int:
    """Rows Chroma has written so far, read without Chroma (another process is writing)."""
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as connection:
            return int(connection.execute("SELECT count(*) FROM embeddings").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_killed_ingest_resumes_with_no_duplicate_and_no_missing_chunk(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rng = random.Random(8)
    words = " ".join(f.read_text(encoding="utf-8") for f in sorted(CORPUS.glob("*.txt"))).split()
    for i in range(40):
        start = rng.randrange(0, len(words) - 600)
        (corpus / f"dokument-{i:02d}.txt").write_text(
            f"Dokument {i}. " + " ".join(words[start : start + 500]), encoding="utf-8"
        )
    settings = _settings(tmp_path, corpus)
    database = settings.chroma_path / "chroma.sqlite3"
    kills, partial = 0, []
    for _ in range(4):
        process = _ingest_process(settings)
        target = rng.randrange(20, 450)  # kill after this many records were written
        deadline = time.monotonic() + 300
        while process.poll() is None and time.monotonic() < deadline and _records(database) < target:
            time.sleep(0.02)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
        partial.append(_consistent(settings)[0])
    assert kills >= 2, "the ingest was killed while it ran"
    assert any(0 < n < 40 for n in partial), f"some kill landed mid-way (documents indexed: {partial})"
    final = _ingest_process(settings)
    _, err = final.communicate(timeout=600)
    assert final.returncode == 0, err.decode()[-2000:]

    documents, skipped = load_documents(corpus)
    expected = split_documents(documents, settings.chunk_size, settings.chunk_overlap)
    count, chunks = _consistent(settings)
    assert not skipped and count == 40
    assert chunks == len(expected), "no duplicate and no missing chunk"
    store = build_assistant(settings).store
    stored = store.chunks.get(include=["documents", "metadatas"])
    got = {
        (m["source"], m["start"], m["end"], text)
        for m, text in zip(stored["metadatas"], stored["documents"], strict=True)
    }
    want = {(c.metadata["source"], c.metadata["start"], c.metadata["end"], c.get_content()) for c in expected}
    assert got == want, "every chunk's content and offsets are the ones a clean ingest makes"


@pytest.mark.slow
def test_twenty_concurrent_sessions_get_their_own_answers_while_ingesting(tmp_path: Path) -> None:
    from assistant.chat_store import open_chat_store
    from bench.concurrency import DIALOGUES, ingest_later, run_alone, run_sessions

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    local = build_assistant(_settings(tmp_path, corpus))
    local.library.ensure_ingested()
    with serving(local) as url:
        baseline = run_alone(url)
        loaded = run_sessions(url, 20, during=ingest_later(local, tmp_path))
    assert not baseline.errors and not loaded.errors, loaded.errors[:3]
    assert loaded.turns == 40
    stored = open_chat_store(local.settings)
    assert stored.count_exchanges() == baseline.turns + loaded.turns, "every answer stored once, none lost"
    assert len(stored.list("local")) == len(DIALOGUES) + 20, "one conversation per dialogue session"
    assert not loaded.differing(baseline), loaded.differing(baseline)
    assert "neu-waehrend-chat.txt" in {d.source for d in local.library.documents()}
    assert any("Heilbronn" in a for a in baseline.answers[(0, 1)]), "the follow-up used its own history"


def test_login_is_required_when_auth_is_set(tmp_path: Path, assistant) -> None:
    from gradio_client import Client

    secured = assistant.variant(auth="pruefer:geheim-123")
    with serving(secured) as url:
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises different errors per version
            Client(url, verbose=False).predict("Was ist EMTA?", [], api_name="/chat")
        chat, *_ = Client(url, auth=("pruefer", "geheim-123"), verbose=False).predict(
            "Was ist EMTA?", [], api_name="/chat"
        )
        assert "EMTA" in str(chat[-1]["content"])


@pytest.mark.slow
@pytest.mark.llm
def test_a_server_killed_during_an_answer_loses_only_that_exchange(tmp_path: Path) -> None:
    """SIGKILL while the local model writes the second answer: the first exchange stays, the database reads."""

    from assistant.chat_store import ChatStore
    from ui.serving import free_port

    settings = _settings(tmp_path, CORPUS)
    port = free_port()
    env = {**quellen_env(settings), "QUELLEN_LLM_BACKEND": "local"}
    log_file = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        quellen_command("chat", "--port", str(port)), env=env, stdout=log_file, stderr=subprocess.STDOUT
    )
    try:
        client = _client_when_up(f"http://127.0.0.1:{port}/", server)
        chat, *_ = client.predict("Was ist EMTA?", [], api_name="/chat")
        assert "EMTA" in str(chat[-1]["content"])
        job = client.submit("Wo findet der zweite Metropolkongress statt?", chat, api_name="/chat")
        deadline = time.monotonic() + 120
        while len(job.outputs()) < 2 and time.monotonic() < deadline:  # the question is shown: answering
            time.sleep(0.05)
        assert not job.done(), "killed while answering"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
        log_file.close()
    database = settings.state_dir / "conversations.db"
    with sqlite3.connect(database) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert raw.execute("SELECT count(*) FROM exchanges").fetchone()[0] == 1
    chats = ChatStore(f"sqlite:///{database}")
    (saved,) = chats.list("local")
    assert chats.load("local", saved.id).history == ["Was ist EMTA?"]


def _client_when_up(url: str, server: subprocess.Popen, seconds: float = 300) -> object:
    from gradio_client import Client

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server stopped"
        try:
            return Client(url, verbose=False)
        except Exception:  # not listening yet
            time.sleep(1)
    raise TimeoutError(f"{url} did not come up")
