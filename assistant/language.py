"""Which language (German or English) a question or a passage is written in.

lingua carries its models in the package (works offline) but is unreliable on one or
two words, so very short inputs are decided by German function words and umlauts
before lingua is asked.  quellen only ever answers in German or English; anything
else is treated as English.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.types import Language

_WORD = re.compile(r"[A-Za-zÄÖÜäöüß]+")
_GERMAN_HINTS = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "wer",
        "wie",
        "was",
        "wo",
        "wann",
        "warum",
        "welche",
        "welcher",
        "welches",
        "wieso",
        "weshalb",
        "ein",
        "eine",
        "einen",
        "dem",
        "den",
        "des",
        "mit",
        "für",
        "von",
        "zu",
        "auf",
        "im",
        "in",
        "sind",
        "hat",
        "haben",
        "wird",
        "werden",
        "gibt",
        "es",
        "und",
        "noch",
        "auch",
        "findet",
        "statt",
    ]
)
_ENGLISH_HINTS = frozenset(
    [
        "the",
        "is",
        "are",
        "was",
        "were",
        "who",
        "what",
        "where",
        "when",
        "why",
        "which",
        "how",
        "does",
        "do",
        "did",
        "of",
        "and",
        "to",
        "in",
        "on",
        "for",
        "with",
        "a",
        "an",
        "it",
        "its",
        "their",
        "there",
    ]
)


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
    if len(words) <= 3:
        german = sum(w in _GERMAN_HINTS for w in words) + sum(any(c in w for c in "äöüß") for w in words)
        english = sum(w in _ENGLISH_HINTS for w in words)
        if german != english:
            return "de" if german > english else "en"
    from lingua import Language as L

    found = _detector().detect_language_of(text)
    if found is None:
        return default
    return "de" if found == L.GERMAN else "en"
