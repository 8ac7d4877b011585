"""Thumbs up/down on answers, kept as JSON lines so they can become evaluation questions.

Each record holds what is needed to reproduce and judge the answer later: the question,
the earlier questions of the conversation, the answer with its citations (the public
``ask --json`` shape), the rating, the user's comment, and the settings that produced it.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from assistant.config import Settings
from assistant.conversation import LOCAL_USER, Conversation
from assistant.types import Answer

log = logging.getLogger(__name__)

Rating = Literal["up", "down"]
MAX_COMMENT_CHARS = 2000
#: settings that change an answer; recorded with every rating
CONFIG_KEYS = (
    "embedder",
    "retrieval_mode",
    "top_k",
    "language_filter",
    "sources",
    "translate_query",
    "reranker",
    "followup_rewrite",
    "llm_backend",
    "openai_model",
    "chunk_size",
    "chunk_overlap",
)

_lock = threading.Lock()


def settings_record(settings: Settings) -> dict[str, object]:
    """The settings that changed an answer, kept beside it (feedback, saved conversations)."""
    return {k: getattr(settings, k) for k in CONFIG_KEYS}


def feedback_record(
    question: str, history: list[str], answer: Answer, rating: Rating, comment: str, settings: Settings
) -> dict[str, object]:
    if rating not in ("up", "down"):
        raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "rating": rating,
        "comment": (comment or "").strip()[:MAX_COMMENT_CHARS],
        "question": question,
        "history": list(history),
        "answer": answer.to_json(),
        "refused": answer.refused,
        "backend": answer.backend,
        "config": settings_record(settings),
    }


def record_feedback(
    settings: Settings,
    conversation: Conversation,
    index: int,
    rating: Rating,
    comment: str = "",
    user: str = LOCAL_USER,
) -> None:
    """Store a thumbs up/down on the ``index``-th answer of ``conversation`` in ``settings.feedback_path``."""
    exchange = conversation.exchanges[index]
    record = feedback_record(
        exchange.question, conversation.history[:index], exchange.answer, rating, comment, settings
    )
    record["user"] = user
    append_feedback(settings.feedback_path, record)


def append_feedback(path: Path, record: dict[str, object]) -> None:
    """Append one record (one line, written whole under a lock: sessions rate concurrently)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    with _lock, path.open("a", encoding="utf-8") as out:
        out.write(line)
    log.info("feedback %s recorded in %s", record["rating"], path)


def read_feedback(path: Path) -> list[dict]:
    """All records of ``path``; a damaged line is skipped with a warning, not fatal."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            log.warning("%s:%d is not JSON; skipped", path, number)
    return records
