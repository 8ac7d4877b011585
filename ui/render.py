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
_SCOPE_LINE = {"de": "Gesucht nur in:", "en": "Searched only in:"}
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


def closest(answer: Answer, limit: int = 3) -> list[Passage]:
    """The passages a refusal lists, best first (the list, its numbers and the viewer use this order)."""
    return sorted(answer.passages, key=lambda p: p.score, reverse=True)[:limit]


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
        for n, p in enumerate(closest(answer), start=1):
            location = html.escape(p.location(answer.language))
            parts.append(f"\n\n**({n})** `{location}`\n> {quote(p, 300)}")
    if answer.scope:
        listed = ", ".join(f"`{html.escape(pattern)}`" for pattern in answer.scope)
        parts.append(f"\n\n*{_SCOPE_LINE[answer.language]}* {listed}")
    if answer.withheld:
        listed = ", ".join(f"`{html.escape(p.location(answer.language))}`" for p in answer.withheld)
        parts.append(f"\n\n*{_WITHHELD_HEADING[answer.language]}:* {listed}")
    return "".join(parts)


def citation_choices(answer: Answer) -> list[tuple[str, str]]:
    """(label, value) pairs for the citation list: cited passages, or the closest ones on a refusal."""
    if answer.citations:
        return [(f"[{c.n}] {c.passage.location(answer.language)}", str(c.n)) for c in answer.citations]
    return [(f"({i}) {p.location(answer.language)}", f"p{i}") for i, p in enumerate(closest(answer), start=1)]


def pick(answer: Answer, value: str) -> Citation | None:
    """The citation (or closest passage, as a citation without quote) a choice value names."""
    if value.startswith("p"):
        index, passages = int(value[1:]) - 1, closest(answer)
        return Citation(index + 1, passages[index]) if 0 <= index < len(passages) else None
    return next((c for c in answer.citations if str(c.n) == value), None)


def source_html(text: str, citation: Citation, language: str, shortened_note: str = "") -> str:
    """The whole source document, escaped, the passage shaded and its supporting sentence marked.

    A passage without a supporting sentence (one of a refusal's closest passages) is
    shaded only, and labelled "(n)" as in the list: nothing in it was quoted.
    Very long documents are cut to a window around the passage (``VIEWER_WINDOW``).
    """
    p = citation.passage
    quoted = citation.quote_start is not None and citation.quote_end is not None
    q_start = citation.quote_start if citation.quote_start is not None else p.start
    q_end = citation.quote_end if citation.quote_end is not None else p.start
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

    marked = f'<mark class="quellen-quote">{esc(q_start, q_end)}</mark>' if quoted else ""
    body = (
        f'{esc(lo, p.start)}<span class="quellen-passage">{esc(p.start, q_start)}'
        f"{marked}{esc(q_end, p.end)}</span>{esc(p.end, hi)}"
    )
    label = f"[{citation.n}]" if quoted else f"({citation.n})"
    head = f'<div class="quellen-source-head"><strong>{label}</strong> {html.escape(p.location(language))}</div>'
    return f'{head}{note}<div class="quellen-source-text" lang="{html.escape(p.language or language)}">{body}</div>'


def page_html(png: bytes | None, label: str) -> str:
    """The rendered PDF page as an inline image ("" when there is none)."""
    if not png:
        return ""
    import base64

    data = base64.b64encode(png).decode("ascii")
    return (
        f'<div class="quellen-page-head">{html.escape(label)}</div>'
        f'<img class="quellen-page" alt="{html.escape(label)}" src="data:image/png;base64,{data}">'
    )


CSS = """
#source-viewer .quellen-source-text { white-space: pre-wrap; max-height: 560px; overflow-y: auto;
  font-size: 0.92em; line-height: 1.45; padding: 0.5em; border: 1px solid var(--border-color-primary); }
#source-viewer .quellen-passage { background: rgba(255, 230, 120, 0.25); }
#source-viewer mark.quellen-quote { background: #ffd84d; color: #000; padding: 0 1px; }
#source-viewer .quellen-source-head { margin-bottom: 0.4em; }
#source-viewer .quellen-note { font-size: 0.85em; opacity: 0.8; margin-bottom: 0.3em; }
#page-view img.quellen-page { width: 100%; border: 1px solid var(--border-color-primary); }
#page-view .quellen-page-head { font-size: 0.9em; margin: 0.4em 0; }
"""

#: run in the browser when a question is sent: follow the new answer even after the reader scrolled up
SCROLL_CHAT_JS = """
() => { const chat = document.querySelector('#chat');
  if (!chat) return;
  for (const box of chat.querySelectorAll('*')) {
    if (box.scrollHeight > box.clientHeight + 4 && getComputedStyle(box).overflowY.match(/auto|scroll/)) {
      box.scrollTo(0, box.scrollHeight);
    }
  }
}
"""

#: run in the browser after the viewer changed: bring the marked sentence into view
SCROLL_TO_QUOTE_JS = """
() => { setTimeout(() => {
  const mark = document.querySelector('#source-viewer mark.quellen-quote')
    || document.querySelector('#source-viewer .quellen-passage');
  if (mark) mark.scrollIntoView({block: 'center', behavior: 'instant'});
}, 80); }
"""
