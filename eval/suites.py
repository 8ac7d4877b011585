"""Evaluation suites: turn a question source into cases with gold targets per group.

A case is one question (one dialogue turn is one case).  Its ``targets`` map a report
group to the gold spans that count as relevant in that group: the corpus suite has one
group per case (the question type, e.g. ``de-en``); XQuAD ranks each question once and
judges it three ways (same-language copy, other-language copy, either copy).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

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
    count = 0
    for language in ("de", "en"):
        data = json.loads(_xquad_file(data_dir, language).read_text(encoding="utf-8"))
        folder = target / language
        folder.mkdir(parents=True, exist_ok=True)
        for a, article in enumerate(data["data"]):
            for p, paragraph in enumerate(article["paragraphs"]):
                (folder / f"a{a:02d}-p{p:02d}.txt").write_text(paragraph["context"], encoding="utf-8")
                count += 1
    return count


def _xquad_file(data_dir: Path, language: str) -> Path:
    candidates = sorted(data_dir.glob(f"xquad*.{language}.json"))
    if not candidates:
        raise FileNotFoundError(f"{data_dir}: no xquad*.{language}.json (XQuAD in SQuAD v1.1 layout)")
    return candidates[0]


def xquad_cases(data_dir: Path) -> list[Case]:
    """One case per question and language; groups DE→DE, DE→EN, DE→any (and EN→…)."""
    cases = []
    for language, other in (("de", "en"), ("en", "de")):
        data = json.loads(_xquad_file(data_dir, language).read_text(encoding="utf-8"))
        upper, upper_other = language.upper(), other.upper()
        for a, article in enumerate(data["data"]):
            for p, paragraph in enumerate(article["paragraphs"]):
                name = f"a{a:02d}-p{p:02d}.txt"
                same = Gold(f"{language}/{name}", "")
                cross = Gold(f"{other}/{name}", "")
                for qa in paragraph["qas"]:
                    answers = tuple(dict.fromkeys(ans["text"] for ans in qa["answers"]))
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
                            key_facts=(answers,),
                        )
                    )
    return cases
