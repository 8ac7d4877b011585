"""The stages after generation: they shape the final answer the reader sees.

::

    answer → verify → check → quote-benefit → numbers → quote-cited → answer-check → compose → renumber

The model's answer is checked for the asked-for fact (the evidence holding it is quoted
when the answer lacks it), a question on what something brings is shown the sentences
naming an advantage, German answers get German numbers, the evidence sentences the
verified answer rests on are quoted beside the first quote, and the citations are
numbered in reading order; an answer its quoted sources do not show is refused after all
(:mod:`assistant.answer_check`).  Each is a stage of its own, so an evaluation variant drops
one (``quellen eval --backends local:drop-quote-cited``) instead of setting a flag.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Literal

from assistant.answer_check import AnswerCheck
from assistant.answer_type import AnswerType, asked_types, counted_spans, counted_word_stems, fact_spans
from assistant.answering import quote_text, refusal
from assistant.citations import renumber_markers
from assistant.numbers import digits, german_numbers, keep_qualifiers
from assistant.prompts import EXTRACTIVE_INTRO
from assistant.stages import QuestionState
from assistant.types import Citation, Language, Passage, StreamEvent

log = logging.getLogger(__name__)

#: the types whose facts a pattern finds reliably; "who" and "why" answers are checked by verification only
CHECKED_TYPES: tuple[AnswerType, ...] = ("place", "date", "number")


class CheckAnswerType:
    """The answer must hold the asked-for fact; otherwise the evidence that holds it speaks instead.

    For each asked type (a place for "wo", a date for "wann", a number for "wie viele")
    that the model's answer lacks, the best evidence sentence holding such a fact is
    quoted with the fact in bold (the quote shown first, when it holds it).  When the
    answer holds none of the asked facts, the model's text is dropped: the marked quote
    is the answer.  When no evidence holds one, the answer says which part the documents
    leave open.
    """

    name = "check"

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        answer = state.answer
        if answer is None or answer.refused:
            return
        asked = [kind for kind in asked_types(state.question) if kind in CHECKED_TYPES]
        holds = _FactCheck(state)
        missing = [kind for kind in asked if not holds.answer(_without_markers(answer.answer), kind)]
        if not missing:
            return
        text = answer.answer if len(missing) < len(asked) or state.quote is None else ""
        citations = [c for c in answer.citations if f"[{c.n}]" in text]
        open_parts: list[str] = []
        for kind in missing:
            found = next((n for n, e in enumerate(state.evidence, 1) if holds.evidence(e.text, kind)), None)
            if found is None:
                text += f"\n{MISSING_PART[state.language][kind]}"
                open_parts.append(kind)
            elif state.quote is not None and state.quote.passage == state.evidence[found - 1]:
                state.quote_marks.append(kind)
            else:
                text = _with_marked_quote(text, citations, state, found, kind)
        state.answer = replace(answer, answer=text.strip(), citations=citations, open_parts=open_parts)
        yield from ()


class _FactCheck:
    """Whether a text holds the asked fact; for a count, the count of the asked thing where the evidence has one.

    "Seit wie vielen Jahren …?" answered "seit 2001" holds a number but not the number of
    years ("for over 20 years"): when an evidence item counts the asked word, the answer
    must count it too or name one of those numbers.  Without such an item any number does.
    """

    def __init__(self, state: QuestionState) -> None:
        self.question = state.query
        self.counted = counted_word_stems([state.question, state.query, *state.phrasings])
        self.counts = {
            digits(e.text[start:end])
            for e in state.evidence
            for start, end in counted_spans(e.text, self.counted, self.question)
        } - {""}

    def evidence(self, text: str, kind: AnswerType) -> bool:
        if kind != "number" or not self.counts:
            return bool(fact_spans(text, kind, self.question))
        return bool(counted_spans(text, self.counted, self.question))

    def answer(self, text: str, kind: AnswerType) -> bool:
        """As :meth:`evidence`, or a number the evidence counts the asked thing with ("20" for "over 20 years")."""
        return self.evidence(text, kind) or (
            kind == "number" and any(digits(text[s:e]) in self.counts for s, e in fact_spans(text, kind, self.question))
        )


MISSING_PART: dict[Language, dict[AnswerType, str]] = {
    "de": {
        "place": "Einen Ort nennen die Dokumente dazu nicht.",
        "date": "Ein Datum nennen die Dokumente dazu nicht.",
        "number": "Eine Zahl nennen die Dokumente dazu nicht.",
        "person": "Eine Person nennen die Dokumente dazu nicht.",
        "reason": "Einen Grund nennen die Dokumente dazu nicht.",
    },
    "en": {
        "place": "The documents name no place for this.",
        "date": "The documents give no date for this.",
        "number": "The documents give no number for this.",
        "person": "The documents name no person for this.",
        "reason": "The documents give no reason for this.",
    },
}


#: how many evidence sentences naming an advantage are quoted besides the first quote
MAX_BENEFIT_QUOTES = 2


class QuoteBenefits:
    """A question on what something brings is shown the source sentences that name an advantage.

    "Und was hat der Verband Region Stuttgart davon?" is answered by "The advantage of EMTA
    for Verband Region Stuttgart is …", which the evidence held fourth while the first quote
    was the sentence on the membership itself; "Welche Vorteile bringt die Mitgliedschaft?"
    wants each advantage the documents list.  The model writes an advantage in its own words
    ("Daten erhalten"), so no pattern can check its text as :class:`CheckAnswerType` checks a
    place or a date: the evidence items naming one (``FACT_PATTERNS["benefit"]``: advantage,
    benefit, Vorteil, profitieren, thanks to) are quoted after the answer with that word in
    bold, up to :data:`MAX_BENEFIT_QUOTES`, and the first quote gets the word marked when it
    names one.  The model's text stays.  When no item names one, nothing is said: a benefit
    may be stated without such a word.
    """

    name = "quote-benefit"

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        answer, quote = state.answer, state.quote
        if answer is None or answer.refused or quote is None or "benefit" not in asked_types(state.question):
            return
        if fact_spans(quote.passage.text, "benefit", state.query):
            state.quote_marks.append("benefit")
        text, citations, added = answer.answer, list(answer.citations), 0
        for n, evidence in enumerate(state.evidence, 1):
            if added == MAX_BENEFIT_QUOTES:
                break
            if evidence == quote.passage or _quotes(answer.answer, evidence):
                continue  # the first quote, or quoted in the answer already (the extractive answer's quotes)
            if not fact_spans(evidence.text, "benefit", state.query):
                continue
            text = _with_marked_quote(text, citations, state, n, "benefit")
            added += 1
        state.answer = replace(answer, answer=text.strip(), citations=citations)
        yield from ()


def _with_marked_quote(text: str, citations: list[Citation], state: QuestionState, n: int, kind: AnswerType) -> str:
    """``text`` with evidence item ``n`` quoted after it, its facts of ``kind`` in bold; its citation added once."""
    evidence = state.evidence[n - 1]
    if all(c.n != n for c in citations):
        citations.append(Citation.of_whole(n, evidence))
    return text + "\n" + marked_quote(evidence, n, [kind], state.query, state.language)


def _quotes(answer: str, passage: Passage) -> bool:
    """True when ``answer`` quotes ``passage`` already (its markers and bold marks aside)."""
    return " ".join(passage.text.split()) in _without_markers(answer).replace("**", "")


def _without_markers(text: str) -> str:
    return re.sub(r"\[\d+(?:,\s*\d+)*\]", " ", text)


def marked_quote(evidence: Passage, n: int, kinds: Sequence[AnswerType], question: str, language: Language) -> str:
    """The evidence sentence quoted with its facts of ``kinds`` in bold."""
    text = " ".join(evidence.text.split())
    spans = merged(span for kind in kinds for span in fact_spans(text, kind, question))
    for start, end in reversed(spans):
        text = f"{text[:start]}**{text[start:end]}**{text[end:]}"
    return quote_text(replace(evidence, text=text), n, language)


def merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans joined, in text order: a date that is also a number is bolded once."""
    joined: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


class PolishNumbers:
    """German answers get German number formats; qualifiers the source has ("rund") are kept."""

    name = "numbers"

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        answer = state.answer
        if answer is None or answer.refused:
            return
        text = keep_qualifiers(answer.answer, [e.text for e in state.evidence], state.language)
        if state.language == "de":
            text = german_numbers(text)
        state.answer = replace(answer, answer=text)
        yield from ()


#: how many evidence sentences the answer cites are quoted besides the first quote
MAX_CITED_QUOTES = 2


class QuoteCitedEvidence:
    """The evidence sentences the verified answer cites are quoted too, not only the first one.

    The quote shown at once is the best-scored evidence sentence, but the model often
    answers from another item (item 1 held the key facts of 0.57 of the corpus questions,
    the five items together 0.85; docs/evaluation.md).  After verification the answer's
    markers point at the items that support its statements, so quoting those puts the
    source words of what the answer says in front of the reader, in the answer itself.
    The item the model picked as stating the answer (``state.picked``, assistant.pick)
    comes first.
    """

    name = "quote-cited"

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        answer, quote = state.answer, state.quote
        if answer is None or answer.refused or quote is None or state.fell_back:
            return
        for citation in [*_picked(state), *answer.citations]:
            if len(state.cited_quotes) >= MAX_CITED_QUOTES:
                break
            passage = citation.passage
            quoted = passage == quote.passage or any(c.passage == passage for c in state.cited_quotes)
            if quoted or passage not in state.evidence or _quotes(answer.answer, passage):
                continue  # the first quote, or quoted already (in the answer, the asked-for fact marked)
            state.cited_quotes.append(citation)
        yield from ()


def _picked(state: QuestionState) -> list[Citation]:
    """The item the model picked as stating the answer (assistant.pick), numbered as the answer read it.

    Not when its number is taken by another passage (the first quote comes from the
    search before the translation, whose items are numbered on their own).
    """
    picked, answer, quote = state.picked, state.answer, state.quote
    if picked is None or answer is None or quote is None or picked not in state.evidence:
        return []
    n = state.evidence.index(picked) + 1
    if any(c.n == n and c.passage != picked for c in [quote, *answer.citations]):
        return []
    return [Citation.of_whole(n, picked)]


class CheckAnswer:
    """An answer whose quoted sources do not show it is refused, with the closest passages listed.

    The judgement reads the finished answer (after the citation check and the quotes of
    the cited evidence), so it costs one short prompt after the last token; the streamed
    text is provisional and the refusal replaces it, as the answerability gate's does.
    An extractive answer is its quote: what it claims is the quoted sentence itself
    (``claim="quote"``), judged as an answer to the question by a check fitted on quotes.
    """

    name = "answer-check"

    def __init__(self, check: AnswerCheck, backend: str, claim: Literal["answer", "quote"] = "answer") -> None:
        self.check = check
        self.backend = backend
        self.claim = claim

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        answer = state.answer
        if answer is None or answer.refused or state.fell_back or state.quote is None:
            return
        sources = quoted_sources(state)
        known = {"gate": state.unanswerable, "flag": float(bool(answer.unsupported))}
        claimed = state.quote.passage.text if self.claim == "quote" else answer.answer
        probability = self.check.probability(state.query, claimed, sources, known)
        log.info("answer check: %s (refused at %.3f)", probability, self.check.model.threshold)
        if probability is not None and probability >= self.check.model.threshold:
            state.answer = refusal(state.language, state.passages, self.backend)
            state.done = True
        yield from ()


def quoted_sources(state: QuestionState) -> list[str]:
    """The sentences the answer is shown with: the first quote and the cited evidence's quotes."""
    return [c.passage.text for c in ([state.quote] if state.quote else []) + state.cited_quotes]


class ComposeAnswer:
    """The quote shown first stays at the top of the final answer, with its citation.

    With quotes of the cited evidence (:class:`QuoteCitedEvidence`) the quotes are listed
    one per line, the first quote first.
    """

    name = "compose"

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        answer, quote = state.answer, state.quote
        if answer is None or answer.refused or quote is None:
            return
        citations = list(answer.citations)
        if all(c.n != quote.n for c in citations):
            citations.insert(0, quote)
        citations += [c for c in state.cited_quotes if all(c.n != known.n for known in citations)]
        text = answer.answer
        if not text.startswith(EXTRACTIVE_INTRO[state.language]):  # the quoter's text already opens with it
            shown = [marked_quote(quote.passage, quote.n, state.quote_marks, state.query, state.language)]
            shown += [quote_text(c.passage, c.n, state.language) for c in state.cited_quotes]
            quotes = shown[0] if len(shown) == 1 else "\n".join(f"- {q}" for q in shown)
            text = f"{EXTRACTIVE_INTRO[state.language]}\n{quotes}\n\n{text}".strip()
        state.answer = replace(answer, answer=text, citations=citations, quote=quote, passages=list(state.passages))
        yield from ()


_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


class RenumberCitations:
    """Citations numbered 1, 2, 3 in the order the answer first cites them: no gaps like [1], [4].

    The evidence items are numbered as the answerer read them; a reader of the answer
    only sees the cited ones and would look for the missing numbers.
    """

    name = "renumber"

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        answer = state.answer
        if answer is None or not answer.citations:
            return
        order: list[int] = []
        for marker in _MARKER.finditer(answer.answer):
            order += [int(n) for n in re.split(r"\s*,\s*", marker.group(1)) if int(n) not in order]
        cited = {c.n for c in answer.citations}
        order = [n for n in order if n in cited] + sorted(cited - set(order))
        new = {old: position for position, old in enumerate(order, start=1)}
        if all(old == n for old, n in new.items()):
            return
        citations = sorted((replace(c, n=new[c.n]) for c in answer.citations), key=lambda c: c.n)
        quote = replace(answer.quote, n=new[answer.quote.n]) if answer.quote and answer.quote.n in new else answer.quote
        state.answer = replace(answer, answer=renumber_markers(answer.answer, new), citations=citations, quote=quote)
        yield from ()
