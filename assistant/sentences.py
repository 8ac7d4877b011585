"""Sentence spans in German and English text, with character offsets.

Used to quote supporting sentences (extractive answers) and, later, to point at the
sentence inside a passage that supports a statement.  A plain split at ". " breaks
German dates and ordinals ("Am 20. September") and abbreviations ("Dr. Walter Rogg"),
so a period after a number or a known abbreviation does not end a sentence.
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”“»)]*\s+|\n\s*\n|\n(?=[-•*#])|\n")
_ABBREVIATIONS = frozenset(
    "dr prof nr str bzw ca vgl usw evtl ggf inkl z.b d.h u.a s.o mr mrs ms st no vs etc e.g i.e approx jan feb "
    "mär apr aug sept okt nov dez".split()
)


def _ends_mid_sentence(text: str) -> bool:
    """True when the text before a candidate boundary ends in a number or abbreviation period."""
    stripped = text.rstrip()
    if not stripped.endswith("."):
        return False
    last = stripped[:-1].rsplit(None, 1)[-1] if stripped[:-1].strip() else ""
    return last.isdigit() or last.lower().strip('(„"') in _ABBREVIATIONS or len(last) == 1


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, whitespace trimmed; ``text[start:end]`` is the sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if "\n" not in match.group(0) and _ends_mid_sentence(text[start : match.start()]):
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    result = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            result.append((s, e))
    return result


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]
