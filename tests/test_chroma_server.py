"""Server mode: a real Chroma server (``chroma run``) on 127.0.0.1, ingest and ask against it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.pipeline import build_assistant
from ui.serving import free_port


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("w")
    process = subprocess.Popen(
        [chroma, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chroma server did not start: {(data / 'server.log').read_text()}") from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_ingest_and_ask_against_a_chroma_server(chroma_server: str, corpus_copy: Path, tmp_path: Path) -> None:
    settings = Settings(
        corpus_dir=corpus_copy, state_dir=tmp_path / "unused", chroma_url=chroma_server, llm_backend="extractive"
    )
    assistant = build_assistant(settings)
    report = assistant.library.ingest()
    assert len(report.added) == 5 and report.chunks_embedded == assistant.store.count() > 0
    assert not (tmp_path / "unused" / "chroma").exists(), "nothing written to the embedded store"
    again = build_assistant(settings).library.ingest()
    assert len(again.unchanged) == 5 and again.chunks_embedded == 0, "the server keeps the index"
    answer = assistant.ask("Wo findet der zweite Metropolkongress statt?")
    assert not answer.refused and any("Heilbronn" in c.passage.text for c in answer.citations)
    citation = answer.citations[0]
    source = assistant.library.source_text(citation.passage.source)
    assert source is not None and source[citation.passage.start : citation.passage.end] == citation.passage.text
    assert chroma_server in assistant.status().line()
