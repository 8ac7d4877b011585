"""The Gradio app starts on 127.0.0.1 and answers through gradio_client."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from gradio_client import Client

from assistant.pipeline import Assistant
from ui.app import launch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def running_app(assistant: Assistant) -> Iterator[str]:
    assistant.settings.port = _free_port()
    demo = launch(assistant, prevent_thread_lock=True)
    try:
        yield f"http://127.0.0.1:{assistant.settings.port}/"
    finally:
        demo.close()


def test_chat_answers_with_numbered_sources(running_app: str) -> None:
    client = Client(running_app, verbose=False)
    history, cleared = client.predict("Wo findet der zweite Metropolkongress statt?", [], api_name="/chat")
    assert cleared == ""
    answer = history[-1]
    assert answer["role"] == "assistant"
    text = answer["content"] if isinstance(answer["content"], str) else str(answer["content"])
    assert "Heilbronn" in text and "**Quellen**" in text and "[1]" in text
    marked = text.split("<mark>", 1)[1].split("</mark>", 1)[0]
    assert "Heilbronn" in marked, "the cited sentence is marked"


def test_documents_are_escaped_around_the_marked_sentence() -> None:
    from assistant.types import Citation, Passage
    from ui.app import _highlighted

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
    assert "Search: hybrid" in line and "translation" not in line, "extractive mode uses no LLM in search"


def test_followup_in_the_chat_uses_the_conversation(running_app: str) -> None:
    client = Client(running_app, verbose=False)
    history, _ = client.predict("Wann fand der erste Metropolkongress statt?", [], api_name="/chat")
    history, _ = client.predict("Und wo findet der zweite statt?", history, api_name="/chat")
    text = history[-1]["content"] if isinstance(history[-1]["content"], str) else str(history[-1]["content"])
    assert "Heilbronn" in text


def test_message_text_from_every_gradio_shape() -> None:
    from ui.app import _text

    assert _text("Hallo") == "Hallo"
    assert _text([{"type": "text", "text": "Hallo"}]) == "Hallo"
    assert _text({"text": "Hallo"}) == "Hallo"
    assert _text(None) == ""
