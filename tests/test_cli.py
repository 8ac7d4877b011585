"""The ``quellen`` command as a user runs it: a real subprocess, JSON contract checked."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.pipeline import Assistant
from assistant.prompts import REFUSAL
from tests.processes import quellen_command, quellen_env


def _quellen(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        quellen_command(*args), capture_output=True, text=True, env=quellen_env(settings), timeout=300
    )


def test_ask_json_follows_the_contract(settings: Settings, assistant: Assistant) -> None:
    run = _quellen(settings, "ask", "Wo findet der zweite Metropolkongress statt?", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    # the contract: these keys keep their meaning; keys may only be added (docs/api.md)
    assert set(data) >= {"answer", "language", "citations"} and data["language"] == "de"
    assert data["citations"], "an answer cites its passages"
    for citation in data["citations"]:
        assert set(citation) >= {"n", "source", "text", "start", "end", "score"}
        source = (Path(settings.corpus_dir) / citation["source"]).read_text(encoding="utf-8")
        assert source[citation["start"] : citation["end"]] == citation["text"]
        quote = citation["quote"]
        assert source[quote["start"] : quote["end"]] == quote["text"] and quote["text"] in citation["text"]
    assert data["unsupported"] == []
    assert any("Heilbronn" in c["text"] for c in data["citations"])


def test_retrieve_json_lists_passages(settings: Settings, assistant: Assistant) -> None:
    run = _quellen(settings, "retrieve", "Why is the Verband Region Stuttgart a member of EMTA?", "-k", "3", "--json")
    assert run.returncode == 0, run.stderr
    passages = json.loads(run.stdout)
    assert [p["n"] for p in passages] == [1, 2, 3]
    assert any("S-Bahn" in p["text"] for p in passages)


def test_empty_question_is_a_clear_error(settings: Settings, assistant: Assistant) -> None:
    run = _quellen(settings, "ask", "   ")
    assert run.returncode == 2 and "question is empty" in run.stderr


def test_eval_xquad_without_data_is_a_clear_error(settings: Settings) -> None:
    run = _quellen(settings, "eval", "--suite", "xquad")
    assert run.returncode == 2 and "--data" in run.stderr


def test_eval_compare_of_missing_runs_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    run = _quellen(settings, "eval", "--compare", str(tmp_path / "a"), str(tmp_path / "b"))
    assert run.returncode == 2 and "results.json" in run.stderr


def test_first_question_on_a_fresh_clone_ingests_the_corpus(settings: Settings, tmp_path: Path) -> None:
    fresh = settings.model_copy(update={"state_dir": tmp_path / "fresh"})
    run = _quellen(fresh, "retrieve", "Wo findet der zweite Metropolkongress statt?", "--json")
    assert run.returncode == 0, run.stderr
    assert "index was empty" in run.stderr and "5 added" in run.stderr
    assert any("Heilbronn" in p["text"] for p in json.loads(run.stdout))


@pytest.mark.llm
def test_a_streamed_answer_the_gate_refuses_ends_with_the_refusal(settings: Settings, assistant: Assistant) -> None:
    """``ask --stream`` shows the quote and the model's first token before the judgement; a refusal then says so."""
    env = {**quellen_env(settings), "QUELLEN_LLM_BACKEND": "local"}
    run = subprocess.run(
        quellen_command("ask", "Wo findet der dritte Metropolkongress statt?", "--stream"),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    streamed, _, after = run.stdout.partition(REFUSAL["de"])
    assert "Die Dokumente sagen dazu" in streamed, "the quote went out first"
    assert after.lstrip().startswith("Closest passages:"), run.stdout
