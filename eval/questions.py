"""The evaluation question set: loading and validating ``eval/questions/*.jsonl``.

Schema: eval/questions/README.md.  Validation runs on load, against the corpus the
questions were written from, so a quote that no longer matches its source fails loudly
instead of silently counting as a miss.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"
DEFAULT_SET = QUESTIONS_DIR / "seed.jsonl"
#: development questions only: short questions on one name or abbreviation (eval/questions/README.md)
SHORT_DEV_SET = QUESTIONS_DIR / "dev-short.jsonl"
TYPES = ("de-de", "en-en", "de-en", "en-de", "multi-doc", "unanswerable", "dialogue")
SPLITS = ("dev", "test")


class QuestionSetError(ValueError):
    """The question file is malformed or does not match the corpus."""


@dataclass(frozen=True)
class Gold:
    """A supporting span: ``quote`` occurs in ``source`` at ``start``."""

    source: str
    quote: str
    start: int = -1

    @property
    def end(self) -> int:
        return self.start + len(self.quote)


@dataclass(frozen=True)
class Turn:
    question: str
    answerable: bool
    gold: tuple[Gold, ...] = ()
    key_facts: tuple[tuple[str, ...], ...] = ()
    standalone: str | None = None
    #: earlier questions of the conversation when they are not turns of this item (feedback items)
    history: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    id: str
    type: str
    language: str
    turns: tuple[Turn, ...]
    note: str = ""
    #: set when the item is a single turn taken out of a dialogue
    tags: tuple[str, ...] = field(default=())
    #: "dev" (tune on it) or "test" (report only); empty for sets without a split (feedback)
    split: str = ""


def _source_text(path: Path) -> str:
    """The text of a corpus file as the index sees it (HTML, PDF, DOCX are extracted first)."""
    if path.suffix.lower() == ".txt":
        return path.read_text(encoding="utf-8")
    from ingest.extract import extract

    return extract(path).text


def _parse_turn(raw: dict, where: str, corpus_dir: Path | None) -> Turn:
    try:
        gold = []
        for g in raw.get("gold", []):
            start = -1
            if corpus_dir is not None:
                path = corpus_dir / g["source"]
                if not path.is_file():
                    raise QuestionSetError(f"{where}: gold source {g['source']!r} not in {corpus_dir}")
                start = _source_text(path).find(g["quote"])
                if start < 0:
                    raise QuestionSetError(f"{where}: quote not found in {g['source']}: {g['quote'][:60]!r}")
            gold.append(Gold(g["source"], g["quote"], start))
        turn = Turn(
            question=raw["question"],
            answerable=bool(raw["answerable"]),
            gold=tuple(gold),
            key_facts=tuple(tuple(forms) for forms in raw.get("key_facts", [])),
            standalone=raw.get("standalone"),
            history=tuple(raw.get("history") or ()),
        )
    except KeyError as missing:
        raise QuestionSetError(f"{where}: missing field {missing}") from None
    if turn.answerable and not turn.gold:
        raise QuestionSetError(f"{where}: answerable turn without gold passage")
    if not turn.answerable and (turn.gold or turn.key_facts):
        raise QuestionSetError(f"{where}: unanswerable turn with gold or key facts")
    return turn


def json_lines(path: Path) -> Iterator[tuple[str, Any]]:
    """("file.jsonl:N", object) for each non-empty line of a JSON-lines file; a line that is not JSON is an error."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as error:
            raise QuestionSetError(f"{where}: not JSON ({error})") from None


def load_questions(path: Path = DEFAULT_SET, corpus_dir: Path | None = None) -> list[Item]:
    """Parse and check a question file; ``corpus_dir`` enables the quote checks and offsets."""
    items: list[Item] = []
    seen: set[str] = set()
    for where, raw in json_lines(path):
        if raw.get("type") not in TYPES:
            raise QuestionSetError(f"{where}: type {raw.get('type')!r} is not one of {TYPES}")
        if raw.get("id") in seen:
            raise QuestionSetError(f"{where}: duplicate id {raw.get('id')!r}")
        seen.add(raw["id"])
        if raw.get("split", "") not in ("", *SPLITS):
            raise QuestionSetError(f"{where}: split {raw.get('split')!r} is not one of {SPLITS}")
        turns = tuple(_parse_turn(t, f"{where} turn {i}", corpus_dir) for i, t in enumerate(raw["turns"], 1))
        items.append(
            Item(raw["id"], raw["type"], raw["language"], turns, raw.get("note", ""), split=raw.get("split", ""))
        )
    if not items:
        raise QuestionSetError(f"{path}: no questions")
    return items
