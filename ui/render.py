"""HTML and Markdown for the chat: answers with their sources, and the source viewer.

Every piece of document text is HTML-escaped here before display: documents are data
and must never inject markup or script.  Offsets come from the assistant (citations
point into the source text by character offsets), nothing is searched for again here.
"""

from __future__ import annotations

import html
from typing import Any

from assistant.types import Answer, Citation, Passage

_SOURCES_HEADING = {"de": "Quellen", "en": "Sources"}
_CLOSEST_HEADING = {"de": "Nächstliegende Textstellen", "en": "Closest passages"}
_WITHHELD_HEADING = {
    "de": "Nicht verwendet, weil sie sich an einen KI-Assistenten richten",
    "en": "Not used because they address an AI assistant",
}
#: the viewer shows at most this many characters of a document, around the passage
VIEWER_WINDOW = 60_000


def quote(passage: Passage, limit: int = 600) -> str:
    text = " ".join(passage.text.split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    return html.escape(text)


def highlighted(citation: Citation, limit: int = 600) -> str:
    """The cited passage, escaped, with its supporting sentence marked."""
    p = citation.passage
    if citation.quote_start is None or citation.quote_end is None:
        return quote(p, limit)
    start, end = citation.quote_start - p.start, citation.quote_end - p.start
    before, cited, after = (" ".join(part.split()) for part in (p.text[:start], p.text[start:end], p.text[end:]))
    room = max(0, limit - len(cited)) // 2
    before = ("… " + before[-room:].split(" ", 1)[-1]) if len(before) > room else before
    after = (after[:room].rsplit(" ", 1)[0] + " …") if len(after) > room else after
    return f"{html.escape(before)} <mark>{html.escape(cited)}</mark> {html.escape(after)}".strip()


def message_text(content: Any) -> str:
    """Plain text of a chat message: Gradio gives a string or a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, list | tuple):
        return " ".join(message_text(part) for part in content).strip()
    return ""


def render_answer(answer: Answer) -> str:
    """Answer text followed by its numbered sources, as Markdown."""
    parts = [html.escape(answer.answer)]
    if answer.citations:
        parts.append(f"\n\n**{_SOURCES_HEADING[answer.language]}**")
        for citation in answer.citations:
            location = html.escape(citation.passage.location(answer.language))
            parts.append(f"\n\n**[{citation.n}]** `{location}`\n> {highlighted(citation)}")
    elif answer.refused and answer.passages:
        parts.append(f"\n\n*{_CLOSEST_HEADING[answer.language]}:*")
        for p in answer.passages[:3]:
            parts.append(f"\n\n`{html.escape(p.source)}` ({p.score:.2f})\n> {quote(p, 300)}")
    if answer.withheld:
        listed = ", ".join(f"`{html.escape(p.location(answer.language))}`" for p in answer.withheld)
        parts.append(f"\n\n*{_WITHHELD_HEADING[answer.language]}:* {listed}")
    return "".join(parts)


def citation_choices(answer: Answer) -> list[tuple[str, str]]:
    """(label, value) pairs for the citation list: cited passages, or the closest ones on a refusal."""
    if answer.citations:
        return [(f"[{c.n}] {c.passage.location(answer.language)}", str(c.n)) for c in answer.citations]
    return [(f"({i}) {p.location(answer.language)}", f"p{i}") for i, p in enumerate(answer.passages[:3], start=1)]


def pick(answer: Answer, value: str) -> Citation | None:
    """The citation (or closest passage, as a citation without quote) a choice value names."""
    if value.startswith("p"):
        index = int(value[1:]) - 1
        return Citation(index + 1, answer.passages[index]) if 0 <= index < len(answer.passages) else None
    return next((c for c in answer.citations if str(c.n) == value), None)


def source_html(text: str, citation: Citation, language: str, shortened_note: str = "") -> str:
    """The whole source document, escaped, the passage shaded and its supporting sentence marked.

    Very long documents are cut to a window around the passage (``VIEWER_WINDOW``).
    """
    p = citation.passage
    q_start = citation.quote_start if citation.quote_start is not None else p.start
    q_end = citation.quote_end if citation.quote_end is not None else p.end
    lo, hi = 0, len(text)
    note = ""
    if len(text) > VIEWER_WINDOW:
        lo = max(0, p.start - VIEWER_WINDOW // 2)
        hi = min(len(text), lo + VIEWER_WINDOW)
        note = (
            f'<div class="quellen-note">{html.escape(shortened_note.format(start=lo, end=hi, total=len(text)))}</div>'
        )

    def esc(a: int, b: int) -> str:
        return html.escape(text[max(a, lo) : min(b, hi)])

    body = (
        f'{esc(lo, p.start)}<span class="quellen-passage">{esc(p.start, q_start)}'
        f'<mark class="quellen-quote">{esc(q_start, q_end)}</mark>{esc(q_end, p.end)}</span>{esc(p.end, hi)}'
    )
    head = f'<div class="quellen-source-head"><strong>[{citation.n}]</strong> {html.escape(p.location(language))}</div>'
    return f'{head}{note}<div class="quellen-source-text" lang="{html.escape(p.language or language)}">{body}</div>'


CSS = """
#source-viewer .quellen-source-text { white-space: pre-wrap; max-height: 560px; overflow-y: auto;
  font-size: 0.92em; line-height: 1.45; padding: 0.5em; border: 1px solid var(--border-color-primary); }
#source-viewer .quellen-passage { background: rgba(255, 230, 120, 0.25); }
#source-viewer mark.quellen-quote { background: #ffd84d; color: #000; padding: 0 1px; }
#source-viewer .quellen-source-head { margin-bottom: 0.4em; }
#source-viewer .quellen-note { font-size: 0.85em; opacity: 0.8; margin-bottom: 0.3em; }
"""

#: run in the browser after the viewer changed: bring the marked sentence into view
SCROLL_TO_QUOTE_JS = """
() => { setTimeout(() => {
  const mark = document.querySelector('#source-viewer mark.quellen-quote');
  if (mark) mark.scrollIntoView({block: 'center', behavior: 'instant'});
}, 80); }
"""
