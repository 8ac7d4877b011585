"""A conversation: the questions asked, the answers given, and its Markdown export.

The chat UI keeps one per browser session; ``turns`` is what the assistant needs to
resolve follow-up questions, and ``to_markdown`` is the export a user can keep or share
(answers with their numbered sources and the quoted supporting sentences).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from assistant.types import Answer, Citation, Turn

#: the one user of an installation without login
LOCAL_USER = "local"

_HEADINGS = {
    "de": {"title": "Gespräch mit quellen", "question": "Frage", "answer": "Antwort", "sources": "Quellen"},
    "en": {"title": "Conversation with quellen", "question": "Question", "answer": "Answer", "sources": "Sources"},
}


def source_line(citation: Citation, language: str) -> str:
    """One source of an answer as a Markdown list item: "- [1] file.txt, chars 10–90: “the quote”"."""
    quote = " ".join(citation.quote.split())
    return f"- [{citation.n}] {citation.passage.location(language)}: “{quote}”"


@dataclass
class Exchange:
    question: str
    answer: Answer


@dataclass
class Conversation:
    exchanges: list[Exchange] = field(default_factory=list)
    #: the id under which it is saved (assistant.chat_store); None until its first exchange is stored
    id: str | None = None
    title: str = ""

    @property
    def history(self) -> list[str]:
        """Earlier user questions, oldest first (kept with feedback)."""
        return [e.question for e in self.exchanges]

    @property
    def turns(self) -> list[Turn]:
        """Earlier questions with their answers, oldest first (what ``Assistant.ask`` resolves follow-ups with)."""
        return [Turn.of(e.question, e.answer) for e in self.exchanges]

    def add(self, question: str, answer: Answer) -> None:
        self.exchanges.append(Exchange(question, answer))

    def to_json(self) -> dict[str, object]:
        """The conversation with each answer in the public ``ask --json`` shape (docs/api.md)."""
        return {
            "title": self.title or (self.exchanges[0].question if self.exchanges else ""),
            "exchanges": [{"question": e.question, "answer": e.answer.to_json()} for e in self.exchanges],
        }

    def to_markdown(self, language: str = "en") -> str:
        """The whole conversation with each answer's sources, as Markdown."""
        h = _HEADINGS.get(language, _HEADINGS["en"])
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines = [f"# {h['title']}", "", f"_{stamp}_", ""]
        for number, exchange in enumerate(self.exchanges, start=1):
            answer = exchange.answer
            lines += [f"## {number}. {h['question']}: {exchange.question}", "", answer.answer, ""]
            if answer.citations:
                lines += [f"**{h['sources']}**", ""]
                lines += [source_line(citation, language) for citation in answer.citations]
                lines.append("")
            if answer.backend:
                lines += [f"<sub>{answer.backend}</sub>", ""]
        return "\n".join(lines).rstrip() + "\n"
