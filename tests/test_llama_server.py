"""The OpenAI-compatible answer backend against a real server: llama.cpp's own, serving the packaged model.

``llama_cpp.server`` (llama-cpp-python's server, the same llama.cpp build; its extra's
packages are in the dev dependencies) runs the packaged GGUF on 127.0.0.1; quellen with
``llm_backend = "openai"`` answers through it as through vLLM or Ollama.  The stub in
tests/openai_stub.py stays for fault cases.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.model_files import ensure_model
from assistant.pipeline import Assistant
from ui.serving import free_port

pytestmark = [pytest.mark.llm, pytest.mark.slow]
ALIAS = "qwen2.5-1.5b-packaged"


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = ensure_model(Settings().models_dir)
    port = free_port()
    log = (tmp_path_factory.mktemp("llama-server") / "server.log").open("w")
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", ALIAS,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2", "--verbose", "false",
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert server.poll() is None, Path(log.name).read_text()[-2000:]
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise TimeoutError("llama_cpp.server did not come up")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_answers_come_through_a_real_openai_compatible_server(llama_server: str, assistant: Assistant) -> None:
    served = assistant.variant(llm_backend="openai", openai_base_url=llama_server, openai_model=ALIAS)
    answer = served.ask("Wo findet der zweite Metropolkongress statt?")
    assert "Heilbronn" in answer.answer and not answer.refused
    assert answer.citations[0].passage.source == "europaeische-metropolregion-stuttgart.txt"
    assert ALIAS in answer.backend
    english = served.ask("Why is the Verband Region Stuttgart a member of EMTA?")
    assert "S-Bahn" in english.answer and english.language == "en"
