"""What kind of fact a question asks for (place, date, number, person, reason or purpose, benefit), and where it is.

A person who asks "wo?" must get a place.  The small answer model often answers with
what it found first (the date, when the place was asked for), so quellen checks after
generation that the answer holds a fact of the asked type, and prefers evidence
sentences that hold one.  Rules by question word are enough here: the question words
of German and English are few, and the fact patterns (a year, a number, a capitalised
name after "in") are the ones the documents write.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from assistant.lexical import query_tokens

AnswerType = Literal["place", "date", "number", "person", "reason", "benefit"]

#: question openings per type, checked in this order ("wie viele" before "wie")
_QUESTION_PATTERNS: list[tuple[AnswerType, re.Pattern[str]]] = [
    (
        "date",
        re.compile(
            r"\b(wann|in welchem jahr|welches jahr|welchem datum|welche[mns]? jahrhundert|welche[mns]? jahrzehnt|"
            r"what year|which year|what date|what century|which century|what decade|which decade|since when|"
            r"until when|in what year)\b|"
            # "when" asks only at the start, at the end or after a verb of asking: in "Who was the leader
            # when the Franks entered …?" or "How old was he when …?" it joins a clause and asks nothing
            r"^\W*(and\s+|but\s+|so\s+)?when\b|\bwhen\s*\?\s*$|\b(know|tell me|tell us|find out|say|wonder)\s+when\b",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            # "wie vielen" is the dative ("Seit wie vielen Jahren …", "Aus wie vielen Nationen …")
            r"\b(wie vielen?|wie viel|wievielen?|wieviel|wie hoch|wie groß|wie lang|wie oft|anzahl|how many|how much|"
            r"how large|how big|how long|how often|what percentage|what share|what number)\b",
            re.I,
        ),
    ),
    (
        "place",
        re.compile(
            r"\b(wo|wohin|woher|in welcher stadt|in welchem ort|an welchem ort|in welchem land|welche stadt|where|"
            r"which city|what city|in which city|which country|in which country|what place)\b",
            re.I,
        ),
    ),
    ("person", re.compile(r"\b(wer|wem|wen|wessen|who|whom|whose)\b", re.I)),
    (
        "reason",
        re.compile(
            r"\b(warum|weshalb|wieso|weswegen|aus welchem grund|wozu|why|for what reason|"
            # the purpose is a reason too: the documents state it as an aim ("Ziel des Initiativkreises ist es, …")
            r"welche[sn]? ziel\w*|welchen zweck|was will\b.+\berreichen|worum geht es|what is the (aim|goal|purpose)|"
            r"what are the (aims|goals)|purpose of|(trying|want|wants) to achieve)\b",
            re.I,
        ),
    ),
    (
        # what a membership or a network brings: the documents state it as an advantage ("The advantage of
        # EMTA for Verband Region Stuttgart is …", "Another advantage of this network is …"), not a reason
        "benefit",
        re.compile(
            r"\b(welche[nrs]? vorteil\w*|vorteile?\b.+\b(bringt|bringen|hat|haben)|was (hat|haben)\b.{0,80}\bdavon|"
            r"was (bringt|bringen)|welchen nutzen|wie profitier\w*|wovon profitier\w*|"
            r"what (are|is) (the |some )?(main )?(advantages?|benefits?)|(what|which) (advantages?|benefits?)|"
            r"how (does|do|did|can|could|would)\b.{0,80}\bbenefit|what (does|do|did)\b.{0,80}\b(gain|get out of)|"
            r"what'?s in it for)\b",
            re.I,
        ),
    ),
]

#: months; "May" and "March" only capitalised (the verb "may" and "to march" are no dates)
_MONTHS = (
    "januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember|"
    "january|february|june|july|october|december|(?-i:May|March)"
)
_NUMBER_WORDS = (
    "zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|hundert|tausend|million\\w*|"
    "milliarde\\w*|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred|thousand|"
    "billion\\w*|dozen|halb\\w*|half|einmal|zweimal|twice|once"
)
_ORDINAL_WORDS = (
    "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|"
    "fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty-first"
)
#: how the documents write a date, each an alternative of :data:`FACT_PATTERNS` ``["date"]``
_DATES = (
    # a year from 1000 to 2099, or its decade ("1740s", "1960er"); not "1.200" or "2022,5"
    r"\b(1\d{3}|20\d\d)(s|er)?\b(?![.,]\d)",
    # a day ("20.9.", "20. 9.")
    r"\b\d{1,2}\.\s?\d{1,2}\.",
    rf"\b({_MONTHS})\b",
    # a century: "14th century", "the 10th and 11th centuries", "fourteenth-century", "im 14. Jahrhundert"
    rf"\b(\d{{1,2}}(st|nd|rd|th)|{_ORDINAL_WORDS})[\s-]+centur(y|ies)\b|\b\d{{1,2}}\.\s?jahrhundert\w*",
    # a year of an era or named as a year: "800 BC", "AD 800", "800 n. Chr.", "in the year 911", "anno 911"
    # (a year from 1000 on is found by the first pattern alone, so the question's "2019" is no new date)
    r"\b\d{1,4}\s?(BC|BCE|AD|CE|v\.\s?Chr\.|n\.\s?Chr\.)(?!\w)|\b(AD|A\.D\.)\s?\d{1,4}\b|"
    r"\b(year|jahre?|anno)\s+\d{3}\b",
)
#: where the fact of each type shows in a sentence
FACT_PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    "date": re.compile("|".join(_DATES), re.I),
    # whole numbers ("5.700", "2,5"), so that a fact is one span, not one per digit
    "number": re.compile(rf"\d+(?:[.,]\d+)*|\b({_NUMBER_WORDS})\b", re.I),
    "place": re.compile(
        r"\b(in|im|nach|aus|bei|at|from|to|near|zu|zum|zur)\s+(der\s+|dem\s+|the\s+)?(?P<fact>[A-ZÄÖÜ][\w-]+)"
    ),
    "person": re.compile(
        r"\b(Dr\.|Prof\.|Herr|Frau|Mr\.?|Mrs\.?|Ms\.?|[A-ZÄÖÜ][a-zäöüß]+ [A-ZÄÖÜ][a-zäöüß]+)\s*[A-ZÄÖÜ]?"
    ),
    "reason": re.compile(
        r"\b(weil|da sie|da er|da es|um\b.+\bzu|damit|deshalb|daher|wegen|aufgrund|ziel|ziele|zweck|because|since|"
        r"due to|in order to|so that|so as to|aims?|goal|objective|purpose|to ensure|to promote|to strengthen)\b",
        re.I,
    ),
    "benefit": re.compile(r"\b(vorteil\w*|profitier\w*|zugute|dank|advantages?|benefit\w*|thanks to|gains?)\b", re.I),
}


def answer_type(question: str) -> AnswerType | None:
    """The kind of fact ``question`` asks for, or ``None`` (what/how questions, yes/no questions)."""
    for kind, pattern in _QUESTION_PATTERNS:
        if pattern.search(question):
            return kind
    return None


def fact_spans(text: str, kind: AnswerType, question: str = "") -> list[tuple[int, int]]:
    """Spans of ``text`` that hold a fact of ``kind`` and are not just words of the question.

    "Wo findet der Kongress in Heilbronn statt?" answered with "in Heilbronn" names no
    new place, so words the question already has do not count.
    """
    asked = {w.lower() for w in re.findall(r"\w+", question)}
    spans = []
    for match in FACT_PATTERNS[kind].finditer(text):
        words = [w.lower() for w in re.findall(r"\w+", match.group(0))]
        new = [w for w in words if w not in asked]
        if kind in ("place", "person"):
            # the name is the capitalised tail; it must not come from the question
            name = words[-1] if words else ""
            if name in asked:
                continue
        elif kind in ("date", "number") and not new:
            continue
        spans.append(match.span("fact") if "fact" in match.re.groupindex else match.span())
    return spans


#: the word after "wie viele" / "how many" is what is counted ("wie viele Mitglieder", "how many years")
_COUNTED = re.compile(r"\b(?:wie\s?viele?n?|how many|how much)\s+(?P<word>[\w-]+)", re.I)
#: how many words after a number its counted word may come ("some 180 *different* nations", "2,7 Millionen Einwohner")
COUNTED_WINDOW = 3


def counted_word_stems(questions: Sequence[str]) -> set[str]:
    """Stems of the word each phrasing of a count question counts ("Jahren", "years"), both languages' stemmers."""
    words = [m.group("word") for q in questions for m in _COUNTED.finditer(q)]
    return set(query_tokens(" ".join(words))) if words else set()


def counted_spans(text: str, counted: set[str], question: str = "") -> list[tuple[int, int]]:
    """Number spans of ``text`` followed within :data:`COUNTED_WINDOW` words by a counted word.

    "Seit wie vielen Jahren …?" is answered by "for over 20 years", not by "since 2001":
    both hold a number, only one counts what was asked.
    """
    if not counted:
        return []
    spans = []
    for start, end in fact_spans(text, "number", question):
        following = re.findall(r"[\w-]+", text[end : end + 80])[:COUNTED_WINDOW]
        if counted & set(query_tokens(" ".join(following))):
            spans.append((start, end))
    return spans


def has_fact(text: str, kind: AnswerType | None, question: str = "") -> bool:
    """True when ``text`` holds a fact of the asked ``kind`` (always true when no kind was asked)."""
    return kind is None or bool(fact_spans(text, kind, question))


#: where a question joins its parts ("Wie viele …, und wo …?")
_PARTS = re.compile(r",?\s+\b(und|and|sowie|as well as)\b\s+", re.IGNORECASE)
_QUESTION_WORDS = (
    r"wer|wen|wem|wessen|was|wo|wohin|woher|womit|wofür|wann|wie|welche[rsmn]?|warum|weshalb|wieso|"
    r"who|whom|whose|what|where|when|which|how|why"
)
#: a part that opens (or holds) one of these asks something of its own
_ASKS = re.compile(rf"\b({_QUESTION_WORDS}|gab|gibt|is|are|was|were|did|does|do)\b", re.IGNORECASE)
#: a question word ("wer", "which"), not a verb: "mammals are there" asks nothing by itself
QUESTION_WORD = re.compile(rf"\b({_QUESTION_WORDS})\b", re.IGNORECASE)


def question_parts(question: str) -> list[str]:
    """The questions a question joins ("Wer …, und wo …?" → two); one part when it asks one thing.

    "Wirtschaft und Innovation" joins two words, not two questions: a part counts only
    when it opens with a question of its own (a question word or a verb that opens a
    question within its first three words: "und mit wem …", "und gab es …").
    """
    pieces = [p for p in _PARTS.split(question) if p.lower() not in ("und", "and", "sowie", "as well as")]
    if len(pieces) < 2 or not all(_ASKS.search(" ".join(p.split()[:3])) for p in pieces):
        return [question]
    return pieces


def asked_types(question: str) -> list[AnswerType]:
    """The fact types a question asks for, one per part ("how many …, and where?" → number, place)."""
    kinds = [answer_type(part) for part in question_parts(question)]
    return list(dict.fromkeys(k for k in kinds if k is not None))
