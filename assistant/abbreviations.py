"""Questions that ask what an abbreviation is ("Was ist die EMRS?"), and the sentences that define it.

Such a question is short and all its meaning sits in one token, so its embedding finds
little: on the development questions "What is the WRS?" and "Was ist die EMRS?" found
their defining passages at rank 9, and "What does MKRO stand for?" was refused.  A
document defines an abbreviation the same few ways in both languages: "Long Name
(ABBR)", "ABBR (Long Name)", "ABBR Long Name" in a heading, "ABBR is a …" (an
apposition, "ERRIN, the …", was tried and dropped: "in ERRIN, the Stuttgart Region has
…" is none).  quellen looks those up as text
(:meth:`assistant.retrieval.HybridRetriever.containing`) and puts them first in the
evidence (:class:`assistant.stages.DefineAbbreviation`).
"""

from __future__ import annotations

import re

#: a token with at least two capitals: "EMRS", "IMeG", "BBSR" (not "Thomas")
_TOKEN = r"(?P<abbr>[A-ZÄÖÜ][A-Za-zÄÖÜäöü0-9&-]{1,11})"
#: a word as :func:`abbreviations_in` reads it: letters, digits, "&" and "-" ("EU-Projekte", "R&D")
_WORD = re.compile(r"[\w&-]+")
_ARTICLE = r"(?:(?:the|an?|der|die|das|den|ein|eine)\s+)?"
#: whole questions that ask for the abbreviation's meaning and nothing else; the question
#: words ignore case, the abbreviation does not
_QUESTIONS = [
    re.compile(form)
    for form in (
        rf"(?i:(?:what|who)\s+(?:is|are|was|were)\s+{_ARTICLE}){_TOKEN}",
        rf"(?i:what\s+(?:does|do)\s+{_ARTICLE}){_TOKEN}\s+(?i:stand\s+for|mean)",
        rf"(?i:what\s+is\s+meant\s+by\s+{_ARTICLE}){_TOKEN}",
        rf"(?i:(?:was|wer)\s+(?:ist|sind|war|waren)\s+{_ARTICLE}){_TOKEN}",
        rf"(?i:wofür\s+steht\s+{_ARTICLE}){_TOKEN}",
        rf"(?i:was\s+(?:bedeutet|heißt|meint)\s+{_ARTICLE}){_TOKEN}",
        rf"(?i:was\s+(?:ist|sind)\s+mit\s+{_ARTICLE}){_TOKEN}\s+(?i:gemeint)",
    )
]


def is_abbreviation(word: str) -> bool:
    """Written with two capitals or more ("ERRIN", "IMeG", "XLIX"; not "Thomas", not a German noun)."""
    return sum(c.isupper() for c in word) >= 2


def abbreviations_in(text: str) -> set[str]:
    """The abbreviations of ``text`` (:func:`is_abbreviation`), lower-cased.

    Such a word names one thing; unlike a capitalised German noun it is no common word,
    so a sentence holding it speaks of what the question names.
    """
    return {w.lower() for w in _WORD.findall(text) if is_abbreviation(w)}


def asked_abbreviation(question: str) -> str | None:
    """The abbreviation a definition question asks about ("Was ist die EMRS?" → "EMRS"), else None."""
    text = " ".join(question.split()).rstrip(" ?.!")
    for pattern in _QUESTIONS:
        match = pattern.fullmatch(text)
        if match and is_abbreviation(match["abbr"]):
            return match["abbr"]
    return None


def definition_pattern(abbreviation: str) -> re.Pattern[str]:
    """Where a text defines ``abbreviation``, in the ways documents do it in German and English."""
    a = re.escape(abbreviation)
    return re.compile(
        rf"\(\s*{a}\s*\)"  # Long Name (ABBR)
        rf"|\b{a}\s*\(\s*[A-ZÄÖÜ][^)]{{3,}}\)"  # ABBR (Long Name)
        rf"|\b{a}\s+(?:is|are|ist|sind)\s+(?:the|an?|der|die|das|ein|eine)\s"  # ABBR is a network of …
    )


def defining_order(text: str, abbreviation: str) -> int | None:
    """How well ``text`` defines the abbreviation: 0 names it in full, 1 says what it is, None not at all.

    The full name comes first ("What does MKRO stand for?"); a sentence saying what it is
    ("The BBSR is the relevant departmental research institution …") second.
    """
    match = definition_pattern(abbreviation).search(text)
    if match is not None:
        return 0 if "(" in match.group(0) else 1
    return 0 if spelled_out_after(text, abbreviation) else None


#: small words a full name skips in its initials ("European Regions Research and Innovation Network")
_SKIPPED = {"and", "of", "for", "the", "in", "on", "und", "für", "der", "die", "das", "des", "im", "am"}


def spelled_out_after(text: str, abbreviation: str) -> bool:
    """True when the words after the abbreviation begin with its letters, as in a heading.

    "ERRIN European Regions Research and Innovation Network in Brussels" says what ERRIN
    stands for without brackets; the initials (small words skipped) must spell it.
    """
    match = re.search(rf"\b{re.escape(abbreviation)}\b\s+(.+)", text)
    if match is None:
        return False
    initials = "".join(w[0] for w in re.findall(r"[\wÄÖÜäöü-]+", match.group(1))[:12] if w.lower() not in _SKIPPED)
    return initials.upper().startswith(abbreviation.upper())
