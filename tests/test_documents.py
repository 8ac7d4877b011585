"""Uploads, removal, per-session options, feedback and export: the Assistant API the UI calls."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.conversation import Conversation
from assistant.feedback import record_feedback
from assistant.pipeline import Assistant, build_assistant
from ingest.upload import UploadError, safe_filename


@pytest.fixture(scope="module")
def own(corpus_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """An assistant whose index these tests may change."""
    corpus = tmp_path_factory.mktemp("docs-corpus")
    for file in corpus_copy.iterdir():
        shutil.copy(file, corpus / file.name)
    settings = Settings(
        corpus_dir=corpus, state_dir=tmp_path_factory.mktemp("docs-state"), llm_backend="extractive", max_upload_mb=1
    )
    built = build_assistant(settings)
    built.library.ensure_ingested()
    return built


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/etc/cron.d/evil.md", "evil.md"),
        ("C:\\Users\\x\\Bericht 2024.docx", "Bericht 2024.docx"),
        ("Übersicht; rm -rf $HOME.txt", "Übersicht_ rm -rf _HOME.txt"),
        ("a\x00b\nc.html", "ab_c.html"),
        ("ls.1.gz", "ls.1.gz"),
    ],
)
def test_upload_names_are_made_safe(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


@pytest.mark.parametrize("name", ["../../etc/passwd", ".bashrc", "..", "", "notes.exe", "/"])
def test_unusable_upload_names_are_refused(name: str) -> None:
    with pytest.raises(UploadError):
        safe_filename(name)


def test_upload_is_indexed_and_bad_files_are_named(own: Assistant, tmp_path: Path) -> None:
    good = tmp_path / "upload1"
    good.write_text("Der Zweckverband Flughafen Musterstadt wurde 1999 gegründet.", encoding="utf-8")
    big = tmp_path / "upload2"
    big.write_bytes(b"x" * (2 * 1024 * 1024))
    empty = tmp_path / "upload3"
    empty.write_bytes(b"")
    before = own.store.count()
    seen: list[tuple[str, int, int]] = []
    report, refused = own.library.add_files(
        [(good, "../../flughafen.txt"), (big, "gross.txt"), (empty, "leer.txt"), (good, "virus.exe")],
        progress=lambda name, done, total, chunks: seen.append((name, done, total)),
    )
    assert report.added == ["flughafen.txt"]
    assert (own.settings.corpus_dir / "flughafen.txt").is_file()
    assert not (own.settings.corpus_dir.parent / "flughafen.txt").exists()
    assert own.store.count() == before + report.chunks_embedded
    messages = [str(r) for r in refused]
    assert len(refused) == 3 and any("gross.txt" in m and "limit" in m for m in messages)
    assert any("leer.txt" in m and "empty" in m for m in messages)
    assert {r.kind for r in refused} == {"too_large", "empty", "file_type"}
    assert seen == [("flughafen.txt", 1, 1)]
    passages = own.retrieve("Wann wurde der Zweckverband Flughafen Musterstadt gegründet?")
    assert passages[0].source == "flughafen.txt"


def test_removed_document_leaves_index_and_folder_but_is_kept(own: Assistant) -> None:
    source = "presseinformation-netzwerkkonferenz-2007.txt"
    chunks = next(d.chunks for d in own.library.documents() if d.source == source)
    before = own.store.count()
    moved = own.library.remove_document(source)
    assert moved is not None and moved.is_file() and own.settings.removed_dir in moved.parents
    assert not (own.settings.corpus_dir / source).exists()
    assert own.store.count() == before - chunks
    assert source not in {d.source for d in own.library.documents()}
    assert own.library.ingest().added == [], "a re-ingest does not bring it back"
    with pytest.raises(KeyError):
        own.library.remove_document(source)


def test_session_options_apply_without_rebuilding(own: Assistant) -> None:
    english = own.with_options(language_filter="en", top_k=3)
    assert english is own.with_options(top_k=3, language_filter="en"), "built once per combination"
    assert english.library is own.library, "one library, so uploads of every session take one lock"
    assert own.with_options(top_k=own.settings.top_k) is own
    passages = english.retrieve("Metropolkongress Heilbronn")
    assert len(passages) == 3 and all(p.language == "en" for p in passages)
    assert own.settings.language_filter is None, "the shared assistant is unchanged"
    with pytest.raises(ValueError, match="session option"):
        own.with_options(chroma_url="http://elsewhere:8000")
    assert "extractive" in own.answer_backends() and "local" in own.answer_backends()


def test_feedback_becomes_eval_questions(own: Assistant, tmp_path: Path) -> None:
    from eval.feedback import feedback_to_questions
    from eval.suites import corpus_cases

    conversation = Conversation()
    for question in ("Wann fand der erste Metropolkongress statt?", "Und wo findet der zweite statt?"):
        conversation.add(question, own.ask(question, conversation.history))
    refusal = "Wie hoch ist der Eintrittspreis für den dritten Metropolkongress?"
    conversation.add(refusal, own.ask(refusal, conversation.history))
    record_feedback(own.settings, conversation, 0, "up")
    record_feedback(own.settings, conversation, 1, "down", "falscher Ort")
    record_feedback(own.settings, conversation, 1, "up", "doch richtig")  # a later rating replaces the earlier
    record_feedback(own.settings, conversation, 2, "up" if conversation.exchanges[2].answer.refused else "down")
    lines = own.settings.feedback_path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[1])
    assert record["rating"] == "down" and record["comment"] == "falscher Ort"
    assert record["history"] == ["Wann fand der erste Metropolkongress statt?"]
    assert record["config"]["llm_backend"] == "extractive" and record["answer"]["citations"]

    questions, review = tmp_path / "q.jsonl", tmp_path / "r.jsonl"
    made, to_review = feedback_to_questions(own.settings.feedback_path, questions, review)
    assert made + to_review == 3
    cases = corpus_cases(questions, own.settings.corpus_dir)
    follow_up = next(c for c in cases if c.question.startswith("Und wo"))
    assert follow_up.history == ("Wann fand der erste Metropolkongress statt?",)
    assert follow_up.answerable and follow_up.targets


def test_conversation_exports_as_markdown(own: Assistant) -> None:
    conversation = Conversation()
    question = "Wo findet der zweite Metropolkongress statt?"
    conversation.add(question, own.ask(question))
    markdown = conversation.to_markdown("de")
    assert markdown.startswith("# Gespräch mit quellen")
    assert f"## 1. Frage: {question}" in markdown and "**Quellen**" in markdown
    assert "- [1] europaeische-metropolregion-stuttgart.txt" in markdown and "Heilbronn" in markdown


def test_eval_from_feedback_runs_on_the_rated_answers(own: Assistant, tmp_path: Path) -> None:
    """``quellen eval --from-feedback FILE`` as a user runs it (after the feedback test wrote the file)."""
    import subprocess

    from tests.processes import quellen_command, quellen_env

    assert own.settings.feedback_path.is_file()
    out = tmp_path / "reports"
    run = subprocess.run(
        quellen_command(
            "eval",
            "--from-feedback",
            str(own.settings.feedback_path),
            "--no-answers",
            "--systems",
            "bm25",
            "--out",
            str(out),
        ),
        capture_output=True,
        text=True,
        env=quellen_env(own.settings),
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "feedback: " in run.stdout and (out / "feedback-questions.jsonl").is_file()
    assert list(out.glob("*/report.md")), "a report was written"
