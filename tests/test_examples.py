"""The example answers in README.md and docs/api.md are what ``quellen ask`` prints, with the packaged model.

Each example sits between ``<!-- example: NAME -->`` and ``<!-- /example -->`` in its
file.  The test runs the command in a subprocess, as a user would, against the
default corpus and compares.  After a change that alters the answers, run
``QUELLEN_WRITE_EXAMPLES=1 ./test.sh tests/test_examples.py`` to write the new output
into the README, read it, and commit it with the change.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.pipeline import Assistant
from tests.processes import quellen_command, quellen_env

README = PROJECT_ROOT / "README.md"
API = PROJECT_ROOT / "docs" / "api.md"
EXAMPLES = {
    "ask-de": (README, ["ask", "Wo findet der zweite Metropolkongress statt?"]),
    "ask-en": (README, ["ask", "Why is the Verband Region Stuttgart a member of EMTA?"]),
    "ask-de-json": (API, ["ask", "Wo findet der zweite Metropolkongress statt?", "--json"]),
}


def _block(name: str, text: str) -> re.Match[str]:
    match = re.search(rf"<!-- example: {name} -->\n```console\n(.*?)```\n<!-- /example -->", text, re.DOTALL)
    assert match, f"no example block {name!r}"
    return match


def _run(settings: Settings, args: list[str]) -> str:
    env = {**quellen_env(settings), "QUELLEN_LLM_BACKEND": "local"}
    run = subprocess.run(quellen_command(*args), capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    shown = " ".join(f'"{a}"' if " " in a else a for a in args)
    return f"$ quellen {shown}\n{run.stdout}"


@pytest.mark.llm
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_documented_example_is_what_quellen_prints(name: str, settings: Settings, assistant: Assistant) -> None:
    document, args = EXAMPLES[name]
    printed = _run(settings, args)
    text = document.read_text(encoding="utf-8")
    block = _block(name, text)
    if os.environ.get("QUELLEN_WRITE_EXAMPLES") == "1":
        document.write_text(text[: block.start(1)] + printed + text[block.end(1) :], encoding="utf-8")
        return
    assert block.group(1) == printed, (
        f"{document.name} example {name!r} differs from what quellen prints; "
        "QUELLEN_WRITE_EXAMPLES=1 ./test.sh tests/test_examples.py writes it"
    )


def test_the_examples_show_the_facts_asked_for() -> None:
    """Whatever the model writes, the documented answers name Heilbronn and the S-Bahn."""
    readme = README.read_text(encoding="utf-8")
    assert "Heilbronn" in _block("ask-de", readme).group(1).split("\n[1]")[0]
    assert "S-Bahn" in _block("ask-en", readme).group(1).split("\n[1]")[0]


@pytest.mark.llm
def test_local_llm_writes_german_numbers_from_an_english_source(llm_assistant: Assistant) -> None:
    answer = llm_assistant.ask("Wie viele Mitglieder hat die Gruppe European Innovation Policy auf LinkedIn?")
    written = answer.answer.split("\n\n", 1)[-1]  # the model's part, after the quoted English source
    assert "5.700" in written and not re.search(r"\d,\d{3}\b", written), answer.answer
