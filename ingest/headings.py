"""Headings of plain text: the short lines that name what the next paragraph is about.

Text copied from web pages keeps its headings only as short lines of their own ("METREX
(The network of European Metropolitan Regions and Areas)" above "The aim of the network
is …").  A chunk cut below such a line no longer names its subject, so neither the
embedding nor BM25 can find it for "What is the purpose of METREX?".  Knowing the
heading lets the chunk be searched together with it (:mod:`assistant.search_text`).

No kept library finds headings in plain text (llama-index's Markdown parser and
``unstructured``'s ``partition_text`` want Markdown or whole documents' layout), so the
rule is written here and kept conservative:

* Markdown ``#`` lines are headings.
* Otherwise a heading is a short line (at most 12 words, 100 characters) that does not
  end like a sentence or a list item (``.``, ``,``, ``;``, ``!``, ``?``; a colon only
  after at most five words, "Partners and cooperations:") and is not a bullet, and
  whose run of short lines is followed by a body line (a longer line or one that ends a
  sentence).  Lines mostly of digits ("Tel 0711 / 228 35-26") are no headings, and a
  web or mail address on its own line is passed over.
* Consecutive heading lines (a title, an image caption) form one heading, joined with
  " – ", so the subject is kept wherever in the run it stands; a line repeating an
  earlier heading (a link back to it) is left out.
"""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_EMPHASIS = re.compile(r"[*_`]+")
_BULLET = re.compile(r"^\s*(?:[-*•·–—>]|\d+[.)])\s")
_SENTENCE_END = re.compile(r"[.,;!?…]['\"”“»«)]*$")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
#: a web or mail address on a line of its own ("eu.region-stuttgart.de", "name@"): neither
_ADDRESS = re.compile(r"^\S*[./@]\S*$")

MAX_WORDS = 12
MAX_CHARS = 100
#: a line ending in a colon is a heading only if this short ("Statements and papers:")
MAX_COLON_WORDS = 5
#: heading lines joined into one heading at most
MAX_RUN = 3


def _clean(line: str) -> str:
    return " ".join(_EMPHASIS.sub("", line).split())


def _kind(line: str) -> str:
    """ "short" (may be a heading), "body" (a paragraph line, which ends a heading's run) or ""."""
    text = _clean(line)
    words = len(text.split())
    if text.endswith(":") and words > MAX_COLON_WORDS:  # "The IKM works with the following partners:"
        return "body"
    if words > MAX_WORDS or len(text) > MAX_CHARS or _SENTENCE_END.search(text):
        return "body"
    if not words or _BULLET.match(line) or text.startswith("("):
        return ""
    letters = len(_LETTER.findall(text))
    if letters * 2 < len(text.replace(" ", "")):  # "Tel 0711 / 228 35-26"
        return ""
    return "short"


def plain_text_headings(text: str) -> list[tuple[int, str]]:
    """(offset, heading) for each heading of ``text``, in order; offsets are line starts."""
    headings: list[tuple[int, str]] = []
    run: list[tuple[int, str]] = []
    seen: set[str] = set()
    offset = 0
    for raw in text.splitlines(keepends=True):
        line = raw.strip()
        start, offset = offset, offset + len(raw)
        if not line or _ADDRESS.match(line):
            continue
        markdown = _MARKDOWN.match(line)
        if markdown:
            run = []
            headings.append((start, _clean(markdown.group(1))))
            continue
        kind = _kind(line)
        if kind == "short":
            run.append((start, _clean(line)))
        else:
            # a line repeating an earlier heading is a link back to it ("METREX (…)" once
            # more below the METREX paragraph), not the heading of what follows
            fresh = [(o, h) for o, h in run if h not in seen][-MAX_RUN:]
            if fresh and kind == "body":
                headings.append((fresh[0][0], " – ".join(dict.fromkeys(h for _, h in fresh))))
                seen.update(h for _, h in fresh)
            run = []
    return headings
