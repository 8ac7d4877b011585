"""Follow-up questions: make a question that leans on the conversation searchable on its own.

"Und wo findet der zweite statt?" finds nothing by itself.  Without an LLM, quellen
decides whether a question is a follow-up (short, opens with "und"/"and", or refers
back with a pronoun or "the second …") and, if so, searches with the previous question
prepended: the earlier question carries the entities the follow-up omits.  Measured on
the question set's dialogues (see docs/evaluation.md); a question that names its own
subject is searched as it is, so a change of topic is not dragged into the old one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.types import Turn

_WORD = re.compile(r"\w+", re.UNICODE)
_OPENERS = frozenset({"und", "and", "also", "auch", "aber", "but", "then", "dann"})
_REFERRING = frozenset(
    # "es", "sie", "erste"/"first" are left out: too common in questions that stand alone
    """it its they them their there this that these those he she his her him
    ihr ihre ihren ihrem ihrer er ihn ihm sein seine seinen seinem seiner dessen deren dort
    dies diese dieser dieses diesem diesen damit dafür dabei davon daran darin
    zweite zweiten dritte dritten second third latter former""".split()
)
MAX_FOLLOWUP_WORDS = 9


#: "das" as a pronoun ("Wann war das?", "…, und was bedeutet das?"), not as an article
_PRONOUN_DAS = re.compile(r"\b(war|ist|sind|wurde|wird|hat|bedeutet|heißt)\s+das\b(?!\s+[A-ZÄÖÜ])|\bdas\s*[?,.!]")


def is_followup(question: str) -> bool:
    """True when ``question`` probably depends on the previous turn."""
    words = [w.lower() for w in _WORD.findall(question)]
    if not words:
        return False
    if words[0] in _OPENERS or (len(words) <= MAX_FOLLOWUP_WORDS and _PRONOUN_DAS.search(question)):
        return True
    return len(words) <= MAX_FOLLOWUP_WORDS and any(w in _REFERRING for w in words)


def leans_on(question: str, history: Sequence[Turn]) -> bool:
    """True when ``question`` needs the conversation: it reads as a follow-up, or is the rest of the last question."""
    return bool(history) and (history[-1].joined or is_followup(question))


def standalone_query(question: str, history: Sequence[str], depth: int = 3, joined: bool = False) -> str:
    """The text to search with: the question, preceded by the previous turn's search text when it is a follow-up.

    ``history`` holds the earlier user questions, oldest first.  Chains of follow-ups
    resolve through up to ``depth`` turns; ``joined``: the question is the rest of the last one.
    """
    if not history or depth == 0 or not (joined or is_followup(question)):
        return question
    return f"{standalone_query(history[-1], history[:-1], depth - 1)} {question}"


def adds_context(rewritten: str, question: str, history: Sequence[str]) -> bool:
    """True when a rewritten follow-up names something from the conversation that the question did not.

    The small model often returns "Wann war das?" unchanged or with the wrong referent;
    a rewrite that brings in no word of the earlier questions has resolved nothing.
    """
    asked = {w.lower() for w in _WORD.findall(question)}
    earlier = {w.lower() for q in history for w in _WORD.findall(q) if len(w) >= 4}
    added = {w.lower() for w in _WORD.findall(rewritten)} - asked
    return bool(added & earlier)
