"""Typed values that cross module boundaries: passages, answers, stream events.

The JSON shapes produced here are quellen's public contract (see docs/api.md):
``retrieve --json`` prints a list of :meth:`Passage.to_json` and ``ask --json`` prints
:meth:`Answer.to_json`.  Change them only by adding keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

Language = Literal["de", "en"]

_CHARS = {"de": "Zeichen", "en": "chars"}
_PAGE = {"de": "S.", "en": "p."}


@dataclass(frozen=True)
class Passage:
    """A chunk of a source document, located by character offsets into the source text.

    ``text == source_text[start:end]`` always holds: citations depend on it.
    """

    source: str
    text: str
    start: int
    end: int
    score: float
    language: str = ""
    chunk_id: str = ""
    #: heading of the section the middle of the passage is in (HTML, DOCX, Markdown), if known
    section: str = ""
    #: PDF pages the passage starts and ends on, if known
    page: int | None = None
    page_end: int | None = None

    def location(self, language: str = "en") -> str:
        """Where the passage is, for a reader: "file.html, Section, p. 3, chars 120–410" (or in German)."""
        parts = [self.source]
        if self.section:
            parts.append(self.section)
        if self.page is not None:
            parts.append(f"{_PAGE.get(language, 'p.')} {self.page}")
        parts.append(f"{_CHARS.get(language, 'chars')} {self.start}–{self.end}")
        return ", ".join(parts)

    def to_json(self, n: int) -> dict[str, object]:
        data: dict[str, object] = {
            "n": n,
            "source": self.source,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "score": round(float(self.score), 4),
        }
        if self.section:
            data["section"] = self.section
        if self.page is not None:
            data["page"] = self.page
            data["page_end"] = self.page_end if self.page_end is not None else self.page
        return data


@dataclass(frozen=True)
class Citation:
    """A passage the answer refers to with the inline marker ``[n]``.

    ``quote_start``/``quote_end`` locate the sentence inside the passage that supports
    the citing statement, as offsets into the source (set by citation verification).
    """

    n: int
    passage: Passage
    quote_start: int | None = None
    quote_end: int | None = None

    @classmethod
    def of_whole(cls, n: int, passage: Passage) -> Citation:
        """A citation quoting all of ``passage``: an evidence item is one sentence (or a few) already."""
        return cls(n, passage, quote_start=passage.start, quote_end=passage.end)

    @property
    def quote(self) -> str:
        """The supporting sentence (the whole passage when it is not known)."""
        if self.quote_start is None or self.quote_end is None:
            return self.passage.text
        return self.passage.text[self.quote_start - self.passage.start : self.quote_end - self.passage.start]

    def to_json(self) -> dict[str, object]:
        data = self.passage.to_json(self.n)
        if self.quote_start is not None:
            data["quote"] = {"start": self.quote_start, "end": self.quote_end, "text": self.quote}
        return data


@dataclass
class Answer:
    """What the assistant says to one question, with the passages it rests on."""

    answer: str
    language: Language
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    #: passages retrieved (cited or not); shown as "closest passages" on a refusal
    passages: list[Passage] = field(default_factory=list)
    backend: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    #: statements of the answer that no passage supports (marked in the text as well)
    unsupported: list[str] = field(default_factory=list)
    #: token counts of the generation, where the backend reports them (prompt_tokens, completion_tokens)
    usage: dict[str, int] = field(default_factory=dict)
    #: the best evidence sentence, shown first (its words are the source's own); also in ``answer``
    quote: Citation | None = None
    #: asked-for parts no evidence holds ("place", "date", …): the answer is only partly an answer and says so
    open_parts: list[str] = field(default_factory=list)
    #: passages found but not used: they address an AI assistant (assistant.instruction_guard)
    withheld: list[Passage] = field(default_factory=list)
    #: the source patterns the question was limited to (empty: every document)
    scope: list[str] = field(default_factory=list)
    #: the answerability gate's probability that the evidence does not answer (None: no gate decided)
    unanswerable: float | None = None

    def to_json(self) -> dict[str, object]:
        """The public ``ask --json`` shape."""
        data: dict[str, object] = {
            "answer": self.answer,
            "language": self.language,
            "citations": [c.to_json() for c in self.citations],
            "unsupported": list(self.unsupported),
        }
        if self.open_parts:
            data["open_parts"] = list(self.open_parts)
        if self.withheld:
            data["withheld"] = [{"source": p.source, "start": p.start, "end": p.end} for p in self.withheld]
        if self.scope:
            data["scope"] = list(self.scope)
        if self.quote is not None:
            data["evidence"] = {
                "n": self.quote.n,
                "source": self.quote.passage.source,
                "start": self.quote.passage.start,
                "end": self.quote.passage.end,
                "text": self.quote.passage.text,
            }
        return data

    def to_record(self) -> dict[str, object]:
        """Everything, losslessly, for storage (saved conversations); :meth:`from_record` reads it back."""
        return asdict(self)

    @classmethod
    def from_record(cls, data: dict) -> Answer:
        """The answer :meth:`to_record` wrote: citations still point into their sources."""

        def citation(c: dict | None) -> Citation | None:
            if c is None:
                return None
            return Citation(c["n"], Passage(**c["passage"]), c.get("quote_start"), c.get("quote_end"))

        return cls(
            answer=data["answer"],
            language=data["language"],
            citations=[c for c in map(citation, data.get("citations", [])) if c is not None],
            refused=bool(data.get("refused", False)),
            passages=[Passage(**p) for p in data.get("passages", [])],
            backend=data.get("backend", ""),
            timings=dict(data.get("timings", {})),
            unsupported=list(data.get("unsupported", [])),
            usage=dict(data.get("usage", {})),
            quote=citation(data.get("quote")),
            open_parts=list(data.get("open_parts", [])),
            withheld=[Passage(**p) for p in data.get("withheld", [])],
            scope=list(data.get("scope", [])),
            unanswerable=data.get("unanswerable"),
        )

    def to_debug_json(self) -> dict[str, object]:
        """Everything, for eval details and logs."""
        data = self.to_json()
        data.update(
            refused=self.refused,
            backend=self.backend,
            timings=self.timings,
            passages=[asdict(p) for p in self.passages],
        )
        return data


@dataclass(frozen=True)
class Token:
    """A piece of answer text as it is generated (streaming)."""

    text: str


@dataclass(frozen=True)
class Quote:
    """The best evidence sentence with its citation, sent before the answer is generated.

    It arrives within a fraction of a second, so a reader has the source's own words
    while the model writes; ``text`` is how it reads in the answer ("> „…“ [1]").
    """

    citation: Citation
    text: str


StreamEvent = Quote | Token | Answer


@dataclass(frozen=True)
class Turn:
    """An earlier exchange of a conversation: the question and the answer it got ("" when unknown).

    A follow-up often refers to what the answer named, not the question: "On which network's
    committee does Thomas Kiwitt sit?" → "… METREX …" → "How many regions does that network
    bring together?".  Only the answer holds "METREX".
    """

    question: str
    answer: str = ""
    #: the next question is the rest of this one ("…, und wer war 2007 ihr Geschäftsführer?"):
    #: it leans on this one however it is worded (assistant.parts)
    joined: bool = False

    @classmethod
    def of(cls, question: str, answer: Answer, joined: bool = False) -> Turn:
        """The turn of an asked question; a refusal names nothing, so it counts as no answer."""
        return cls(question, "" if answer.refused else answer.answer, joined)


def as_turns(history: Sequence[str | Turn]) -> tuple[Turn, ...]:
    """``history`` (earlier turns, oldest first) as turns; a plain string is a question whose answer is not known."""
    return tuple(item if isinstance(item, Turn) else Turn(item) for item in history)
