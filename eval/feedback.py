"""Turn users' ratings (``state_dir/feedback.jsonl``) into evaluation questions.

A thumbs-up on an answer says its citations support it: the question becomes an item
whose gold quotes are the cited supporting sentences (a thumbs-up on a refusal becomes
an unanswerable item).  A thumbs-down says something was wrong but not what is right,
so those are written to a review file with the user's comment, for a person to label.
Follow-ups keep the earlier questions of their conversation as ``history``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from assistant.feedback import read_feedback
from assistant.language import detect_language

log = logging.getLogger(__name__)


def _latest(records: list[dict]) -> list[dict]:
    """One record per rated answer: a later rating or comment on the same answer replaces the earlier."""
    latest: dict[tuple, dict] = {}
    for record in records:
        key = (record.get("question"), tuple(record.get("history") or ()), record.get("answer", {}).get("answer"))
        latest[key] = record
    return list(latest.values())


def _item(number: int, record: dict) -> dict | None:
    question = str(record.get("question") or "").strip()
    answer = record.get("answer") or {}
    if not question:
        return None
    language = detect_language(question)
    turn: dict[str, object] = {"question": question}
    if record.get("history"):
        turn["history"] = list(record["history"])
    if record.get("refused"):
        turn.update(answerable=False)
        kind = "unanswerable"
    else:
        gold = []
        for citation in answer.get("citations") or []:
            quote = (citation.get("quote") or {}).get("text") or citation.get("text")
            if quote and citation.get("source"):
                gold.append({"source": citation["source"], "quote": quote})
        if not gold:
            return None
        turn.update(answerable=True, gold=gold)
        sources = {g["source"] for g in gold}
        kind = "multi-doc" if len(sources) > 1 else f"{language}-{detect_language(gold[0]['quote'])}"
    note = f"from feedback {record.get('time', '')}" + (f": {record['comment']}" if record.get("comment") else "")
    return {"id": f"fb{number:04d}", "type": kind, "language": language, "turns": [turn], "note": note}


def feedback_to_questions(feedback: Path, questions_out: Path, review_out: Path) -> tuple[int, int]:
    """Write the question set (thumbs-up) and the review list (thumbs-down); their sizes."""
    if not feedback.is_file():
        raise FileNotFoundError(f"{feedback}: no feedback file (ratings in the chat UI write it)")
    records = _latest(read_feedback(feedback))
    items, review = [], []
    for record in records:
        if record.get("rating") == "up":
            item = _item(len(items) + 1, record)
            if item is not None:
                items.append(item)
        else:
            review.append({k: record.get(k) for k in ("time", "question", "history", "answer", "comment", "config")})
    questions_out.parent.mkdir(parents=True, exist_ok=True)
    questions_out.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    review_out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in review), encoding="utf-8")
    log.info("feedback: %d questions -> %s, %d to review -> %s", len(items), questions_out, len(review), review_out)
    return len(items), len(review)
