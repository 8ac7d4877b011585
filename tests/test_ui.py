"""The Gradio app starts on 127.0.0.1 and answers through gradio_client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client

from assistant.pipeline import Assistant
from assistant.types import Answer
from ui.serving import serving


@pytest.fixture
def running_app(assistant: Assistant) -> Iterator[str]:
    with serving(assistant) as url:
        yield url


def test_chat_answers_with_numbered_sources(running_app: str) -> None:
    client = Client(running_app, verbose=False)
    history, cleared, citations, notice, chats, export, export_json = client.predict(
        "Wo findet der zweite Metropolkongress statt?", [], api_name="/chat"
    )
    assert cleared == "" and notice == ""
    answer = history[-1]
    assert answer["role"] == "assistant"
    text = _content(answer)
    assert "Heilbronn" in text and "**Quellen**" in text and "[1]" in text
    marked = text.split("<mark>", 1)[1].split("</mark>", 1)[0]
    assert "Heilbronn" in marked, "the cited sentence is marked"
    labels = [label for label, _ in citations["choices"]]
    assert labels[0].startswith("[1] europaeische-metropolregion-stuttgart.txt")
    markdown = Path(export).read_text(encoding="utf-8")
    assert "Wo findet der zweite Metropolkongress statt?" in markdown and "Heilbronn" in markdown
    data = json.loads(Path(export_json).read_text(encoding="utf-8"))
    assert data["exchanges"][0]["answer"]["citations"][0]["quote"]["text"] in markdown, "public citation shape"
    assert chats["value"] in {value for _, value in chats["choices"]}, "the conversation was saved and is listed"


def test_empty_and_oversized_questions_get_a_small_message_and_lose_nothing(running_app: str) -> None:
    client = Client(running_app, verbose=False)
    for bad, expected in (("   \x00 ", "Please type a question."), ("x" * 5000, "5000 characters; at most 2000")):
        history, kept, _, notice, *_ = client.predict(bad, [], api_name="/chat")
        assert expected in notice and kept == bad and history == []


def _content(message: dict) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def test_documents_are_escaped_around_the_marked_sentence() -> None:
    from assistant.types import Citation, Passage
    from ui.render import highlighted as _highlighted

    text = "<script>alert(1)</script> Vorher. Der Kongress ist in Heilbronn. Nachher <b>fett</b>."
    start = text.index("Der")
    end = text.index("Nachher") - 1
    passage = Passage("x.txt", text, 100, 100 + len(text), 0.5)
    shown = _highlighted(Citation(1, passage, 100 + start, 100 + end))
    assert "<script>" not in shown and "<b>" not in shown
    assert "<mark>Der Kongress ist in Heilbronn.</mark>" in shown


def test_status_line_names_models_and_chunks(assistant: Assistant) -> None:
    line = assistant.status().line()
    assert "use-multilingual" in line and f"{assistant.store.count()} chunks" in line
    assert "Search: hybrid + translation" in line, "extractive answers: the judge's model translates"
    assert "translation" not in assistant.variant(answerability="off").status().line(), "no judge, no model"


def test_followup_in_the_chat_uses_the_conversation(running_app: str) -> None:
    client = Client(running_app, verbose=False)
    history, *_ = client.predict("Wann fand der erste Metropolkongress statt?", [], api_name="/chat")
    history, *_ = client.predict("Und wo findet der zweite statt?", history, api_name="/chat")
    assert "Heilbronn" in _content(history[-1])
    history, *_ = client.predict("Was ist METREX?", [], api_name="/chat")
    history, *_ = client.predict("Und wie viele Mitglieder hat es?", history, api_name="/chat")
    assert "50" in _content(history[-1]), "over 50 members: 'es' is METREX"
    other = Client(running_app, verbose=False)  # a second session has its own conversation
    history, *_ = other.predict("Und wie viele Mitglieder hat es?", [], api_name="/chat")
    answer = _content(history[-1]).split("**Quellen**")[0].split("Nächstliegende Textstellen")[0]
    assert "50" not in answer, "without the first session's METREX the question has no answer (a refusal)"


def test_message_text_from_every_gradio_shape() -> None:
    from ui.render import message_text as _text

    assert _text("Hallo") == "Hallo"
    assert _text([{"type": "text", "text": "Hallo"}]) == "Hallo"
    assert _text({"text": "Hallo"}) == "Hallo"
    assert _text(None) == ""


def test_a_failing_backend_is_reported_and_the_session_goes_on(assistant: Assistant) -> None:
    """An unreachable OpenAI-compatible endpoint: a clear error, no half answer, the next question works."""
    broken = assistant.variant(openai_base_url="http://127.0.0.1:9/v1", openai_model="nothing-here")
    with serving(broken) as url:
        client = Client(url, verbose=False)
        chat, kept, _, notice, *_ = client.predict("Was ist EMTA?", [], "openai", api_name="/chat")
        assert "answer backend failed" in notice and kept == "Was ist EMTA?" and chat == []
        chat, _, citations, *_ = client.predict("Was ist EMTA?", [], "extractive", api_name="/chat")
        assert len(chat) == 2 and "EMTA" in _content(chat[-1])
        assert citations["choices"], "the answer's citations are listed"


def test_no_answer_bubble_before_there_is_answer_text(running_app: str) -> None:
    """The first update shows the question alone: no "…" bubble that could be rated (issue 15)."""
    client = Client(running_app, verbose=False)
    job = client.submit("Was ist EMTA?", [], api_name="/chat")
    job.result(timeout=120)
    first = job.outputs()[0][0]
    assert [m["role"] for m in first] == ["user"]
    assert all(m["role"] == "user" or _content(m).strip() != "…" for out in job.outputs() for m in out[0])


def test_what_the_page_says_is_in_the_readers_language(assistant: Assistant, tmp_path: Path) -> None:
    from ingest.pipeline import IngestReport
    from ingest.upload import store_upload
    from ui.views import documents_table, local_time, refused_upload, status_line, upload_summary

    empty = tmp_path / "leer.txt"
    empty.write_bytes(b"")
    big = tmp_path / "gross.txt"
    big.write_bytes(b"x" * 2_500_000)
    errors = []
    for path in (empty, big, tmp_path / "bild.exe"):
        try:
            store_upload(path if path.exists() else empty, path.name, tmp_path / "corpus", 1_000_000)
        except ValueError as error:
            errors.append(error)
    shown = [refused_upload(e, "de") for e in errors]
    assert shown[:2] == [
        "Abgelehnt: „leer.txt“ ist leer.",
        "Abgelehnt: „gross.txt“ ist 2,5 MB groß, erlaubt sind 1,0 MB.",
    ]
    assert shown[2].startswith("Abgelehnt: „bild.exe“ hat keinen unterstützten Dateityp")
    report = IngestReport(chunks_embedded=12, seconds=3.25)
    assert upload_summary(report, "de") == [
        "0 neu, 0 aktualisiert, 0 unverändert, 0 übersprungen · 12 Textabschnitte in 3,2 s"
    ]
    line = status_line(assistant, "de")
    assert line.startswith("5 Dokumente, ") and "Antworten: wörtliche Zitate" in line and "/" not in line
    assert "Answers: quotes only" in status_line(assistant, "en")
    assert local_time("2026-11-24T21:15:00+00:00", "de", "Europe/Berlin") == "24.11.2026, 22:15"
    table = documents_table(assistant.library.documents(), "de", "Europe/Berlin")
    assert table["headers"][:4] == ["Dokument", "Sprache", "Textabschnitte", "Aufgenommen"]
    assert {row[4] for row in table["data"]} == {""}, "no document of the corpus was read by OCR"
    assert {row[1] for row in table["data"]} == {"Deutsch", "Englisch"}


def test_a_refusal_lists_its_closest_passages_best_first() -> None:
    from assistant.types import Passage
    from ui.render import citation_choices, closest, pick

    passages = [Passage(f"{n}.txt", "Text.", 0, 5, score) for n, score in (("a", 0.1), ("b", 0.3), ("c", 0.2))]
    refusal = Answer("Dazu steht nichts in den Dokumenten.", "de", refused=True, passages=passages)
    assert [p.source for p in closest(refusal)] == ["b.txt", "c.txt", "a.txt"]
    assert [label[:7] for label, _ in citation_choices(refusal)] == ["(1) b.t", "(2) c.t", "(3) a.t"]
    chosen = pick(refusal, "p1")
    assert chosen is not None and chosen.passage.source == "b.txt" and chosen.quote_start is None
