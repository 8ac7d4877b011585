"""Saved conversations, users and scopes: the real SQLite database, real bcrypt, the real index."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from assistant.chat_store import ChatStore, open_chat_store
from assistant.config import Settings
from assistant.conversation import Conversation
from assistant.pipeline import Assistant
from assistant.types import Answer
from assistant.users import UsersFile
from tests.postgres import postgres_server
from tests.processes import quellen_command, quellen_env

QUESTION = "Wo findet der zweite Metropolkongress statt?"


@pytest.fixture(scope="module")
def answer(assistant: Assistant) -> Answer:
    return assistant.ask(QUESTION)


def test_an_answer_survives_storage_whole(answer: Answer) -> None:
    back = Answer.from_record(json.loads(json.dumps(answer.to_record())))
    assert back == answer
    assert back.citations[0].quote == answer.citations[0].quote and "Heilbronn" in back.citations[0].quote


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    """Settings for the conversations in SQLite (default) and in a private PostgreSQL server."""
    settings = Settings(state_dir=tmp_path / "state", corpus_dir=tmp_path)
    if request.param == "sqlite":
        yield "sqlite", settings
        return
    with postgres_server() as url:
        yield "postgresql", settings.model_copy(update={"database_url": url})


def test_conversations_are_kept_per_user_newest_first(
    database: tuple[str, Settings], assistant: Assistant, answer: Answer
) -> None:
    kind, own = database
    chats = open_chat_store(own)
    first, second = Conversation(), Conversation()
    chats.append("anna", first, QUESTION, answer, assistant.settings)
    chats.append("anna", first, "Und wann?", answer, assistant.settings)
    chats.append("anna", second, "Was ist EMTA?", answer, assistant.settings)
    assert first.id and first.title == QUESTION and len(first.exchanges) == 2
    listed = chats.list("anna")
    assert [c.id for c in listed] == [second.id, first.id], "the conversation continued last comes first"
    assert [c.exchanges for c in listed] == [1, 2]
    assert chats.list("ben") == [], "another user sees none of them"
    for other in (lambda: chats.load("ben", first.id), lambda: chats.rename("ben", first.id, "x")):
        with pytest.raises(KeyError):
            other()
    with pytest.raises(KeyError):
        chats.delete("ben", first.id)

    reopened = chats.load("anna", first.id)
    assert reopened.history == [QUESTION, "Und wann?"] and reopened.exchanges[0].answer == answer
    chats.rate("anna", first.id, 1, "down", "  falscher Ort ")
    chats.rename("anna", first.id, "  Metropolkongress\n Heilbronn ")
    stored = chats.stored_exchanges("anna", first.id)
    assert (stored[1].rating, stored[1].comment, stored[0].rating) == ("down", "falscher Ort", None)
    assert stored[0].settings["llm_backend"] == "extractive" and stored[0].settings["sources"] == []
    assert chats.list("anna")[1].title == "Metropolkongress Heilbronn"

    with pytest.raises(IntegrityError):  # the same place twice (a retried request) is refused, not doubled
        chats.add_exchange("anna", first.id, 1, "Und wann?", answer, {})
    chats.delete("anna", second.id)
    assert [c.id for c in chats.list("anna")] == [first.id] and chats.count_exchanges() == 2
    chats.close()

    assert ChatStore(own.conversations_url).load("anna", first.id).title == "Metropolkongress Heilbronn"
    if kind == "sqlite":
        with sqlite3.connect(own.state_dir / "conversations.db") as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_users_file_checks_passwords_with_bcrypt(tmp_path: Path) -> None:
    users = UsersFile(tmp_path / "users.json")
    users.add("anna", "richtig-geheim")
    users.add("ben.mueller", "auch-geheim-123")
    text = (tmp_path / "users.json").read_text(encoding="utf-8")
    assert "richtig-geheim" not in text and json.loads(text)["anna"].startswith("$2b$")
    assert users.check("anna", "richtig-geheim") and not users.check("anna", "falsch-falsch")
    assert not users.check("nobody", "richtig-geheim")
    assert users.names() == ["anna", "ben.mueller"]
    for name, password, message in (
        ("../x", "lang-genug-1", "user name"),
        ("carla", "kurz", "at least 8"),
        ("carla", "ä" * 40, "at most 72 bytes"),
    ):
        with pytest.raises(ValueError, match=message):
            users.add(name, password)
    users.remove("ben.mueller")
    assert users.names() == ["anna"]
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not a valid users file"):
        UsersFile(tmp_path / "broken.json").check("anna", "x")


def test_users_and_chats_from_the_command_line(settings: Settings, tmp_path: Path, answer: Answer) -> None:
    own = settings.model_copy(update={"state_dir": tmp_path / "state"})
    env = quellen_env(own)

    def quellen(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(quellen_command(*args), input=stdin, capture_output=True, text=True, env=env, timeout=300)

    added = quellen("users", "add", "pruefer", "--password-stdin", stdin="sehr-geheim-42\n")
    assert added.returncode == 0 and "pruefer" in added.stdout, added.stderr
    assert quellen("users", "list").stdout.split() == ["pruefer"]
    short = quellen("users", "add", "kurz", "--password-stdin", stdin="abc\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    assert UsersFile(own.users_path).check("pruefer", "sehr-geheim-42")

    conversation = Conversation()
    open_chat_store(own).append("pruefer", conversation, QUESTION, answer, own)
    listed = quellen("chats", "--user", "pruefer")
    assert listed.returncode == 0 and conversation.id in listed.stdout and QUESTION in listed.stdout
    exported = quellen("chats", conversation.id or "", "--user", "pruefer", "--json")
    data = json.loads(exported.stdout)
    assert data["title"] == QUESTION
    assert data["exchanges"][0]["answer"]["citations"][0]["source"] == "europaeische-metropolregion-stuttgart.txt"
    foreign = quellen("chats", conversation.id or "", "--user", "local")
    assert foreign.returncode == 2 and "no conversation" in foreign.stderr


def test_a_scope_limits_both_searches_and_is_named_in_the_answer(assistant: Assistant) -> None:
    question = "What does the Europabüro in Brussels do?"
    everywhere = {p.source for p in assistant.retrieve(question, 10)}
    for patterns, allowed in (
        (["presse*"], {"presseinformation-netzwerkkonferenz-2007.txt"}),
        (
            ["*metropol*", "ikm-*.txt"],
            {"europaeische-metropolregion-stuttgart.txt", "ikm-metropolitan-regions-germany.txt"},
        ),
    ):
        assert everywhere - allowed, "unscoped, the search finds other documents too"
        scoped = assistant.with_options(sources=patterns)
        found = scoped.retrieve(question, 10)
        assert found and {p.source for p in found} <= allowed, (patterns, {p.source for p in found})
        bm25 = scoped.variant(retrieval_mode="bm25").retrieve("Europabüro Brüssel", 10)
        assert {p.source for p in bm25} <= allowed
    scoped = assistant.with_options(sources=["presse*"], language_filter="de")
    answer = scoped.ask("Wie viele Netzwerke trafen sich 2007?")
    assert answer.scope == ["presse*"] and answer.to_json()["scope"] == ["presse*"]
    assert {c.passage.source for c in answer.citations} <= {"presseinformation-netzwerkkonferenz-2007.txt"}
    nothing = assistant.with_options(sources=["keine-solche-datei*"]).ask(QUESTION)
    assert nothing.refused and nothing.scope == ["keine-solche-datei*"] and not nothing.passages


def test_source_patterns_name_folders_and_globs() -> None:
    from assistant.scope import Scope

    names = ["berichte/2024/a.pdf", "berichte/b.md", "berichtewesen.txt", "c.txt"]
    assert Scope(sources=("berichte",)).names(names) == ["berichte/2024/a.pdf", "berichte/b.md"]
    assert Scope(sources=("berichte/",)).names(names) == ["berichte/2024/a.pdf", "berichte/b.md"]
    assert Scope(sources=("*.txt",)).names(names) == ["berichtewesen.txt", "c.txt"]
    assert Scope(sources=("c.txt", "  ")).names(names) == ["c.txt"]
    assert Scope().names(names) is None


def test_the_cli_answers_within_a_scope(settings: Settings) -> None:
    run = subprocess.run(
        quellen_command("ask", "Was ist EMTA?", "--source", "presse*", "--source", "wrs-*", "--json"),
        capture_output=True,
        text=True,
        env=quellen_env(settings),
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["scope"] == ["presse*", "wrs-*"]
    assert all(c["source"].startswith(("presse", "wrs-")) for c in data["citations"])
