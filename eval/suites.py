"""Evaluation suites: turn a question source into cases with gold targets per group.

A case is one question (one dialogue turn is one case).  Its ``targets`` map a report
group to the gold spans that count as relevant in that group: the corpus suite has one
group per case (the question type, e.g. ``de-en``); XQuAD ranks each question once and
judges it three ways (same-language copy, other-language copy, either copy); SQuAD 2.0
asks answerable and unanswerable questions over the same paragraphs (refusals).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.questions import Gold, load_questions


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    language: str
    answerable: bool
    targets: dict[str, tuple[Gold, ...]]
    key_facts: tuple[tuple[str, ...], ...] = ()
    #: the question rewritten to stand alone (dialogue follow-ups), for reference
    standalone: str | None = None
    #: earlier user questions of the dialogue, oldest first
    history: tuple[str, ...] = ()
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def group(self) -> str:
        """The group the answer metrics of this case are reported in."""
        return next(iter(self.targets))


def corpus_cases(questions_file: Path, corpus_dir: Path, split: str | None = None) -> list[Case]:
    """Cases of the question set; dialogue turns are reported as ``dialogue-t1``/``dialogue-t2``.

    ``split`` ("dev" or "test") keeps only that part: changes are tuned on dev and
    reported on test, so a gain that only fits the tuned questions shows up.
    """
    cases = []
    for item in load_questions(questions_file, corpus_dir):
        if split and item.split != split:
            continue
        for index, turn in enumerate(item.turns, start=1):
            group = f"dialogue-t{index}" if item.type == "dialogue" else item.type
            if not turn.answerable:
                group = "unanswerable" if item.type != "dialogue" else group
            cases.append(
                Case(
                    id=f"{item.id}" if len(item.turns) == 1 else f"{item.id}.{index}",
                    question=turn.question,
                    language=item.language,
                    answerable=turn.answerable,
                    targets={group: turn.gold},
                    key_facts=turn.key_facts,
                    standalone=turn.standalone,
                    history=turn.history or tuple(t.question for t in item.turns[: index - 1]),
                    meta={"type": item.type, "split": item.split},
                )
            )
    return cases


def xquad_documents(data_dir: Path, target: Path) -> int:
    """Write every XQuAD paragraph of both languages as its own file below ``target``.

    Names are ``de/a{article}-p{paragraph}.txt``; the German and English files of one
    paragraph share the name, which is how cross-lingual hits are recognised.
    """
    return sum(_write_paragraphs(_xquad_data(data_dir, language), target / language) for language in ("de", "en"))


def _xquad_data(data_dir: Path, language: str) -> dict[str, Any]:
    return _squad_layout(data_dir, f"xquad*.{language}.json", "XQuAD in SQuAD v1.1 layout")


def _squad_layout(data_dir: Path, pattern: str, what: str) -> dict[str, Any]:
    """The first file of ``data_dir`` matching ``pattern``, read as SQuAD-layout JSON."""
    candidates = sorted(data_dir.glob(pattern))
    if not candidates:
        raise FileNotFoundError(f"{data_dir}: no {pattern} ({what})")
    return json.loads(candidates[0].read_text(encoding="utf-8"))


def _paragraphs(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every paragraph with its document name ``a{article}-p{paragraph}.txt``."""
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            yield f"a{a:02d}-p{p:02d}.txt", paragraph


def _write_paragraphs(data: dict[str, Any], folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, paragraph in _paragraphs(data):
        (folder / name).write_text(paragraph["context"], encoding="utf-8")
        count += 1
    return count


def xquad_cases(data_dir: Path) -> list[Case]:
    """One case per question and language; groups DE→DE, DE→EN, DE→any (and EN→…)."""
    cases = []
    for language, other in (("de", "en"), ("en", "de")):
        upper, upper_other = language.upper(), other.upper()
        for name, paragraph in _paragraphs(_xquad_data(data_dir, language)):
            same = Gold(f"{language}/{name}", "")
            cross = Gold(f"{other}/{name}", "")
            for qa in paragraph["qas"]:
                cases.append(
                    Case(
                        id=f"{qa['id']}-{language}",
                        question=qa["question"],
                        language=language,
                        answerable=True,
                        targets={
                            f"{upper}→{upper}": (same,),
                            f"{upper}→{upper_other}": (cross,),
                            f"{upper}→any": (same, cross),
                        },
                        key_facts=(_answer_texts(qa),),
                    )
                )
    return cases


def _answer_texts(qa: dict[str, Any]) -> tuple[str, ...]:
    """The gold answer strings of a question, each once (they are its key fact's forms)."""
    return tuple(dict.fromkeys(answer["text"] for answer in qa["answers"]))


def squad2_documents(data_dir: Path, target: Path) -> int:
    """Write every SQuAD 2.0 paragraph as its own file ``en/a{article}-p{paragraph}.txt`` below ``target``."""
    return _write_paragraphs(_squad2_data(data_dir), target / "en")


def squad2_cases(data_dir: Path) -> list[Case]:
    """Answerable and unanswerable questions in a fixed shuffled order, so ``--limit`` takes both kinds.

    An answerable question is reported in ``en-en`` (its paragraph is the gold, its
    answer texts the key facts); an unanswerable one (written against the same
    paragraph, which does not answer it) in ``unanswerable``, where only a refusal is right.
    The order is shuffled once with a fixed seed: every run and every ``--limit`` asks
    the same questions, and an evenly spread sample holds about as many of each kind as
    the set does.
    """
    cases: list[Case] = []
    for name, paragraph in _paragraphs(_squad2_data(data_dir)):
        gold = Gold(f"en/{name}", "")
        for qa in paragraph["qas"]:
            if qa.get("is_impossible"):
                cases.append(Case(qa["id"], qa["question"], "en", False, {"unanswerable": ()}))
            else:
                cases.append(Case(qa["id"], qa["question"], "en", True, {"en-en": (gold,)}, (_answer_texts(qa),)))
    random.Random(0).shuffle(cases)
    return cases


def _squad2_data(data_dir: Path) -> dict[str, Any]:
    return _squad_layout(data_dir, "*.json", "SQuAD 2.0 JSON")
