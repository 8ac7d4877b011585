"""Inline citation markers ``[n]``: finding them, dropping bad ones, attaching missing ones.

An answer's markers refer to the numbered passages that were in the prompt.  Markers
pointing to a passage that does not exist are removed; when the model wrote no marker
at all, the passage sharing the most content words with the answer is cited, so no
answer goes out without a source to check.  (Verifying each marker against its
passage's content is the next step, tracked separately.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.types import Citation, Passage

MARKER = re.compile(r"\s?\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]")
_WORD = re.compile(r"\w{4,}", re.UNICODE)


def cited_numbers(text: str) -> list[int]:
    """Passage numbers referenced in ``text``, in order of first appearance."""
    seen: list[int] = []
    for match in MARKER.finditer(text):
        for number in re.split(r"\s*,\s*", match.group(1)):
            n = int(number)
            if n not in seen:
                seen.append(n)
    return seen


def renumber_markers(text: str, new: dict[int, int]) -> str:
    """``text`` with each marker's numbers replaced by ``new[n]``; a marker with an unknown number stays as it is."""

    def renumbered(marker: re.Match[str]) -> str:
        numbers = [int(n) for n in re.split(r"\s*,\s*", marker.group(1))]
        if not all(n in new for n in numbers):
            return marker.group(0)
        lead = marker.group(0)[: marker.group(0).index("[")]  # the space before it stays
        return f"{lead}[{', '.join(str(new[n]) for n in numbers)}]"

    return MARKER.sub(renumbered, text)


def drop_invalid_markers(text: str, count: int) -> str:
    """Remove markers whose numbers are not in ``1..count``."""

    def keep(match: re.Match[str]) -> str:
        numbers = [n for n in re.split(r"\s*,\s*", match.group(1)) if 1 <= int(n) <= count]
        return f" [{', '.join(numbers)}]" if numbers else ""

    return MARKER.sub(keep, text)


def content_overlap(a: str, b: str) -> float:
    """Share of ``a``'s content words (4+ letters) that occur in ``b``."""
    words_a = {w.lower() for w in _WORD.findall(a)}
    if not words_a:
        return 0.0
    words_b = {w.lower() for w in _WORD.findall(b)}
    return len(words_a & words_b) / len(words_a)


def attach_citations(text: str, passages: Sequence[Passage]) -> tuple[str, list[Citation]]:
    """Clean the markers of ``text`` and return it with the citations it makes."""
    text = drop_invalid_markers(text, len(passages)).strip()
    numbers = cited_numbers(text)
    if not numbers and passages:
        best = max(range(len(passages)), key=lambda i: content_overlap(text, passages[i].text))
        numbers = [best + 1]
        text = f"{text} [{best + 1}]"
    return text, [Citation(n=n, passage=passages[n - 1]) for n in numbers]
