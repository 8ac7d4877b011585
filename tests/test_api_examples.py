"""The curl examples in docs/api.md are what ``quellen serve`` answers (extractive answers, the seed corpus).

Each block is run as written (the port replaced by the test server's) and compared with
the document, times and ids aside.  ``QUELLEN_WRITE_EXAMPLES=1 ./test.sh
tests/test_api_examples.py`` writes the blocks anew after a change of the API.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.pipeline import build_assistant
from ui.serving import serving_api

API = PROJECT_ROOT / "docs" / "api.md"
DOCUMENTED = "http://127.0.0.1:8000"
JSON = "| python3 -m json.tool --no-ensure-ascii"
#: run in this order: the upload and the removal change the index
EXAMPLES = [
    ("api-status", f"curl -s {DOCUMENTED}/api/status {JSON}"),
    (
        "api-retrieve",
        f"curl -s {DOCUMENTED}/api/retrieve -H 'Content-Type: application/json' "
        f'-d \'{{"question": "Was ist EMTA?", "k": 2}}\' {JSON}',
    ),
    (
        "api-ask",
        f"curl -s {DOCUMENTED}/api/ask -H 'Content-Type: application/json' "
        f'-d \'{{"question": "Wo findet der zweite Metropolkongress statt?", "sources": ["europaeische-*"]}}\' '
        f"{JSON}",
    ),
    (
        "api-ask-stream",
        f"curl -sN {DOCUMENTED}/api/ask -H 'Accept: text/event-stream' -H 'Content-Type: application/json' "
        f'-d \'{{"question": "Was ist EMTA?"}}\'',
    ),
    ("api-documents", f"curl -s {DOCUMENTED}/api/documents {JSON}"),
    ("api-models", f"curl -s {DOCUMENTED}/v1/models {JSON}"),
    (
        "api-chat",
        f"curl -s {DOCUMENTED}/v1/chat/completions -H 'Content-Type: application/json' "
        f'-d \'{{"model": "quellen", "messages": [{{"role": "user", "content": '
        f'"Why is the Verband Region Stuttgart a member of EMTA?"}}]}}\' {JSON}',
    ),
    ("api-upload", f"curl -s {DOCUMENTED}/api/documents -F files=@alpenraum.txt {JSON}"),
    ("api-delete", f"curl -s -X DELETE {DOCUMENTED}/api/documents/alpenraum.txt {JSON}"),
    ("api-bad", f"curl -s {DOCUMENTED}/api/ask -H 'Content-Type: application/json' -d '{{\"question\": \" \"}}'"),
]
_VOLATILE = [
    (re.compile(r'"(ingested_at|created)": ("[^"]*"|\d+)'), r'"\1": "…"'),
    (re.compile(r'"id": "chatcmpl-\w+"'), '"id": "chatcmpl-…"'),
    (re.compile(r'"seconds": [\d.]+'), '"seconds": …'),
]


def _block(name: str, text: str) -> re.Match[str]:
    match = re.search(rf"<!-- example: {name} -->\n```console\n(.*?)```\n<!-- /example -->", text, re.DOTALL)
    assert match, f"no example block {name!r} in docs/api.md"
    return match


def _steady(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


@pytest.mark.skipif(shutil.which("curl") is None and not os.environ.get("CI"), reason="curl is not installed")
def test_documented_api_examples_are_what_the_server_answers(tmp_path: Path, corpus_copy: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    (tmp_path / "alpenraum.txt").write_text(
        "Das Netzwerk Alpenraum hat zwölf Mitgliedsregionen und ein Sekretariat in Innsbruck.\n", encoding="utf-8"
    )
    assistant = build_assistant(Settings(corpus_dir=corpus, state_dir=tmp_path / "state", llm_backend="extractive"))
    assistant.library.ensure_ingested()
    text = API.read_text(encoding="utf-8")
    with serving_api(assistant) as url:
        for name, command in EXAMPLES:
            run = subprocess.run(
                ["bash", "-c", command.replace(DOCUMENTED, url)],
                capture_output=True,
                text=True,
                cwd=tmp_path,
                timeout=300,
            )
            assert run.returncode == 0, run.stderr
            printed = f"$ {command}\n{run.stdout.rstrip()}\n"
            block = _block(name, text)
            if os.environ.get("QUELLEN_WRITE_EXAMPLES") == "1":
                text = text[: block.start(1)] + _steady(printed) + text[block.end(1) :]
                continue
            assert _steady(block.group(1)) == _steady(printed), (
                f"docs/api.md example {name!r} differs from what quellen serve answers; "
                "QUELLEN_WRITE_EXAMPLES=1 ./test.sh tests/test_api_examples.py writes it"
            )
    if os.environ.get("QUELLEN_WRITE_EXAMPLES") == "1":
        API.write_text(text, encoding="utf-8")
