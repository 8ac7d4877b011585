"""Gradio chat for quellen.  No retrieval or answering logic here: it calls the Assistant API.

Every answer is followed by its numbered sources (document and passage).  Passage text
is HTML-escaped before display: documents are data and must never inject markup.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.pipeline import Assistant, InvalidQuestionError
from assistant.types import Answer, Citation, Passage, Token

log = logging.getLogger(__name__)

EXAMPLES = [
    "Wo findet der zweite Metropolkongress statt?",
    "Why is the Verband Region Stuttgart a member of EMTA?",
    "Wer sitzt im Managing Committee von METREX?",
    "What does the Europabüro in Brussels do?",
]

_SOURCES_HEADING = {"de": "Quellen", "en": "Sources"}
_CLOSEST_HEADING = {"de": "Nächstliegende Textstellen", "en": "Closest passages"}

Message = dict[str, Any]


def _quote(passage: Passage, limit: int = 600) -> str:
    text = " ".join(passage.text.split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    return html.escape(text)


def _highlighted(citation: Citation, limit: int = 600) -> str:
    """The cited passage, escaped, with its supporting sentence marked."""
    p = citation.passage
    if citation.quote_start is None or citation.quote_end is None:
        return _quote(p, limit)
    start, end = citation.quote_start - p.start, citation.quote_end - p.start
    before, quote, after = (" ".join(part.split()) for part in (p.text[:start], p.text[start:end], p.text[end:]))
    room = max(0, limit - len(quote)) // 2
    before = ("… " + before[-room:].split(" ", 1)[-1]) if len(before) > room else before
    after = (after[:room].rsplit(" ", 1)[0] + " …") if len(after) > room else after
    return f"{html.escape(before)} <mark>{html.escape(quote)}</mark> {html.escape(after)}".strip()


def _text(content: Any) -> str:
    """Plain text of a chat message: Gradio gives a string or a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, list | tuple):
        return " ".join(_text(part) for part in content).strip()
    return ""


def render_answer(answer: Answer) -> str:
    """Answer text followed by its numbered sources, as Markdown."""
    parts = [html.escape(answer.answer)]
    if answer.citations:
        parts.append(f"\n\n**{_SOURCES_HEADING[answer.language]}**")
        for citation in answer.citations:
            p = citation.passage
            where = f"`{html.escape(p.source)}` (Zeichen {p.start}–{p.end})"
            parts.append(f"\n\n**[{citation.n}]** {where}\n> {_highlighted(citation)}")
    elif answer.refused and answer.passages:
        parts.append(f"\n\n*{_CLOSEST_HEADING[answer.language]}:*")
        for p in answer.passages[:3]:
            parts.append(f"\n\n`{html.escape(p.source)}` ({p.score:.2f})\n> {_quote(p, 300)}")
    return "".join(parts)


def build_ui(assistant: Assistant) -> gr.Blocks:
    """The chat page; ``assistant`` does all the work."""

    def respond(message: str, history: list[Message]) -> Iterator[tuple[list[Message], str]]:
        history = list(history or [])
        earlier = [_text(m.get("content")) for m in history if m.get("role") == "user"]
        history.append({"role": "user", "content": message})
        history.append({"role": "assistant", "content": "…"})
        yield history, ""
        try:
            streamed = ""
            for event in assistant.ask_stream(message, earlier):
                if isinstance(event, Token):
                    streamed += event.text
                    history[-1] = {"role": "assistant", "content": html.escape(streamed)}
                else:
                    history[-1] = {"role": "assistant", "content": render_answer(event)}
                yield history, ""
        except InvalidQuestionError as error:
            history[-1] = {"role": "assistant", "content": f"⚠️ {html.escape(str(error))}"}
            yield history, ""

    def status() -> str:
        return assistant.status().line()

    with gr.Blocks(title="quellen") as demo:
        gr.Markdown("## quellen — Antworten mit Quellen · answers with sources")
        status_line = gr.Markdown(status())
        chatbot = gr.Chatbot(label="Chat", height=520, sanitize_html=True)
        with gr.Row():
            question = gr.Textbox(
                placeholder="Frage auf Deutsch oder Englisch … / Ask in German or English …",
                show_label=False,
                scale=8,
                max_length=4000,
            )
            send = gr.Button("Fragen / Ask", variant="primary", scale=1)
        gr.Examples(EXAMPLES, inputs=question, label="Beispiele / Examples")
        clear = gr.Button("Neuer Chat / New chat", size="sm")

        question.submit(respond, [question, chatbot], [chatbot, question], api_name="chat")
        send.click(respond, [question, chatbot], [chatbot, question], api_name=False)
        clear.click(lambda: ([], ""), None, [chatbot, question], api_name=False)
        demo.load(status, None, status_line, api_name=False)
    return demo


def launch(assistant: Assistant, prevent_thread_lock: bool = False) -> gr.Blocks:
    """Serve the UI on the configured host and port (127.0.0.1 by default; never a share link)."""
    demo = build_ui(assistant)
    demo.queue(default_concurrency_limit=4)
    demo.launch(
        server_name=assistant.settings.host,
        server_port=assistant.settings.port,
        share=False,
        prevent_thread_lock=prevent_thread_lock,
        show_error=True,
    )
    return demo
