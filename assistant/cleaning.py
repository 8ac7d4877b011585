"""Question cleaning: the first stage of every question, shared by the pipeline and the UI."""

from __future__ import annotations

MAX_QUESTION_CHARS = 2000


class InvalidQuestionError(ValueError):
    """A question that cannot be asked (empty, or too long); the message says why.

    ``kind`` ("empty" or "too_long") and ``length`` let a UI say it in its own language.
    """

    def __init__(self, message: str, kind: str = "empty", length: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.length = length


def clean_question(question: str) -> str:
    """Strip control characters and whitespace; refuse empty or oversized questions."""
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in question).strip()
    if not cleaned:
        raise InvalidQuestionError("The question is empty.")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise InvalidQuestionError(
            f"The question has {len(cleaned)} characters; at most {MAX_QUESTION_CHARS} are accepted.",
            kind="too_long",
            length=len(cleaned),
        )
    return cleaned
