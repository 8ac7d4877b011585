"""Numbers in answers as a German reader writes them, with the source's qualifiers kept.

The small model copies "5,700" from an English source into a German answer, where it
reads as five point seven, and drops "rund" / "more than" in front of a number; both
change the fact.  These are fixed after generation, deterministically, from the
evidence the answer was written from.
"""

from __future__ import annotations

import re

from assistant.types import Language

#: 5,700 / 1,234,567 (English thousands separators); a German decimal "2,5" has fewer digits
_ENGLISH_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})((?:,\d{3})+)(?![\d,]|\.\d)")

#: qualifiers in front of a number, per language, and how each is said in the other language
QUALIFIERS: dict[str, tuple[str, str]] = {
    # source word: (German, English)
    "rund": ("rund", "about"),
    "etwa": ("etwa", "about"),
    "ca.": ("ca.", "about"),
    "circa": ("circa", "about"),
    "ungefähr": ("ungefähr", "about"),
    "knapp": ("knapp", "almost"),
    "fast": ("fast", "almost"),
    "mehr als": ("mehr als", "more than"),
    "über": ("über", "over"),
    "weniger als": ("weniger als", "less than"),
    "bis zu": ("bis zu", "up to"),
    "about": ("rund", "about"),
    "around": ("rund", "around"),
    "approximately": ("etwa", "approximately"),
    "almost": ("fast", "almost"),
    "nearly": ("fast", "nearly"),
    "more than": ("mehr als", "more than"),
    "over": ("über", "over"),
    "less than": ("weniger als", "less than"),
    "up to": ("bis zu", "up to"),
}
_QUALIFIER = "|".join(re.escape(q) for q in sorted(QUALIFIERS, key=len, reverse=True))
_QUALIFIED_NUMBER = re.compile(rf"\b({_QUALIFIER})\s+(\d[\d.,]*)", re.IGNORECASE)


def german_numbers(text: str) -> str:
    """``text`` with English thousands separators turned German: "5,700" → "5.700"."""
    return _ENGLISH_THOUSANDS.sub(lambda m: m.group(1) + m.group(2).replace(",", "."), text)


def digits(number: str) -> str:
    """A number's digits alone ("5,700", "5.700" → "5700"), to compare numbers written either way."""
    return re.sub(r"\D", "", number)


#: a number as written ("2016", "5,700", "5.700", "0711")
_NUMBER = re.compile(r"\d(?:[\d.,]*\d)?")


def numbers_in(text: str) -> set[str]:
    """The numbers of ``text`` by their digits (:func:`digits`): "5,700" and "5.700" are one number."""
    return {digits(n) for n in _NUMBER.findall(text)}


def keep_qualifiers(answer: str, evidence: list[str], language: Language) -> str:
    """``answer`` with the qualifier the evidence puts before a number put back where it was dropped.

    "rund 5.700 Mitglieder" in the source and "5.700 Mitglieder" in the answer becomes
    "rund 5.700 Mitglieder" (in an English answer: "about 5,700").
    """
    wanted: dict[str, str] = {}
    for sentence in evidence:
        for match in _QUALIFIED_NUMBER.finditer(sentence):
            german, english = QUALIFIERS[match.group(1).lower()]
            wanted.setdefault(digits(match.group(2)), german if language == "de" else english)
    if not wanted:
        return answer

    def fix(match: re.Match[str]) -> str:
        number = match.group(0)
        found = digits(number)
        if len(found) < 2 or re.fullmatch(r"(1[5-9]|20)\d\d", number):
            return number  # a single digit or a year: too likely to be another number
        qualifier = wanted.get(found)
        # a number in bold ("over **20**", a marked quote) has its qualifier before the asterisks
        before = answer[max(0, match.start() - 16) : match.start()].lower().replace("*", "")
        if qualifier is None or re.search(rf"\b({_QUALIFIER})\s*$", before, re.IGNORECASE):
            return number
        return f"{qualifier} {number}"

    return re.sub(r"(?<![\w.,])\d[\d.,]*\d(?![\w])|(?<![\w.,])\d(?![\w.,])", fix, answer)
