"""Which language (German or English) a question or a passage is written in.

lingua carries its models in the package (works offline) but is unreliable on one or
two words, so short inputs (questions) are decided by function words of each language
when those point clearly one way, and only otherwise by lingua.  quellen only ever
answers in German or English; anything else is treated as English.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.types import Language

_WORD = re.compile(r"[A-Za-zÄÖÜäöüß]+")
# Function words that occur in one language only (names like "Verband Region Stuttgart"
# in an English question must not make it German).
_GERMAN_HINTS = frozenset(
    """der die das und ist nicht wer wie was wo wann warum welche welcher welches wieso weshalb
    ein eine einen dem den des mit für von zu auf im sind hat haben wird werden gibt es noch
    auch findet statt seit wurde wurden bei über nach sich sie""".split()
)
_ENGLISH_HINTS = frozenset(
    """the is are was were who what where when why which how does do did of and to on for
    with it its their there has have been from by about since that this""".split()
)
#: Up to this many words, function words decide when they clearly point one way.
_SHORT_TEXT_WORDS = 25


@lru_cache(maxsize=1)
def _detector():  # type: ignore[no-untyped-def]
    from lingua import Language as L
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(L.GERMAN, L.ENGLISH).build()


def detect_language(text: str, default: Language = "en") -> Language:
    """Return ``"de"`` or ``"en"`` for ``text``; ``default`` when there is nothing to go on."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return default
    if len(words) <= _SHORT_TEXT_WORDS:
        german = sum(w in _GERMAN_HINTS for w in words) + sum(any(c in w for c in "äöüß") for w in words)
        english = sum(w in _ENGLISH_HINTS for w in words)
        if german != english:
            return "de" if german > english else "en"
    from lingua import Language as L

    found = _detector().detect_language_of(text)
    if found is None:
        return default
    return "de" if found == L.GERMAN else "en"
