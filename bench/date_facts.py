"""Does the date pattern find the dates that answer "when" questions? Before and after, in one run.

The answer-type check (:mod:`assistant.answer_type`) needs a date in the answer to a
"when" question; when the answer holds none it says "The documents give no date for
this." and the gate's ``type_found`` signal reads 0.  Until the twenty-third round the
pattern knew only the years 1500 to 2099, days and months, so SQuAD 2.0's history
articles ("written in 1303", "in the 1740s", "the 10th century") had no dates; and any
"when" made a date question, also one that joins a clause ("Who was the leader when the
Franks entered …?", "How old was he when …?").

For every answerable question of SQuAD 2.0 and XQuAD (both languages) this reads the
gold answer texts: of the questions that ask for a date, the share whose gold answer the
pattern finds a date in (higher is better); of the other questions, the share whose
gold answer it takes for a date (lower is better: "1,200 workers" is no date).  The
baseline column is the question rule and the pattern as they were before, kept here
only for this comparison.

    .venv/bin/python bench/date_facts.py --squad2 ../shared/data/squad2-dev-half --xquad ../shared/data/xquad \
        --affected affected.txt
    quellen eval --suite squad2 --data ../shared/data/squad2-dev-half --ids affected.txt --limit 140 --answers 140 …
"""

from __future__ import annotations

import argparse
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from assistant.answer_type import FACT_PATTERNS, asked_types, question_parts
from eval.suites import Case, squad2_cases, xquad_cases

log = logging.getLogger(__name__)

#: what asked for a date before the twenty-third round: "when" anywhere, also where it joins a clause
BEFORE_QUESTION = re.compile(
    r"\b(wann|seit wann|bis wann|in welchem jahr|welches jahr|welchem datum|when|what year|which year|"
    r"what date|since when|in what year)\b",
    re.I,
)
#: the date pattern before the twenty-third round (years 1500-2099, days, months; "may" and "march" in any case)
BEFORE = re.compile(
    r"\b(1[5-9]\d\d|20\d\d)\b|\b\d{1,2}\.\s?\d{1,2}\.|\b(januar|jänner|februar|märz|april|mai|juni|juli|august|"
    r"september|oktober|november|dezember|january|february|march|may|june|july|october|december)\b",
    re.I,
)


def asks_before(question: str) -> bool:
    """Whether a part of ``question`` asked for a date by the rule before (the date rule came first)."""
    return any(BEFORE_QUESTION.search(part) for part in question_parts(question))


def asks_now(question: str) -> bool:
    return "date" in asked_types(question)


RULES: dict[str, tuple[Callable[[str], bool], re.Pattern[str]]] = {
    "before": (asks_before, BEFORE),
    "now": (asks_now, FACT_PATTERNS["date"]),
}


def shares(cases: Iterable[Case]) -> dict[str, dict[str, float | int]]:
    """Per rule: dates found in the gold answers of date questions, and taken in those of the others."""
    answerable = [case for case in cases if case.answerable and case.key_facts]
    result: dict[str, dict[str, float | int]] = {}
    for name, (asks_date, pattern) in RULES.items():
        asks, other = [], []
        for case in answerable:
            (asks if asks_date(case.question) else other).append(case.key_facts[0])
        result[name] = {
            "date questions": len(asks),
            "found": _share(asks, pattern),
            "other questions": len(other),
            "taken for a date": _share(other, pattern),
        }
    return result


def _share(answers: Sequence[tuple[str, ...]], pattern: re.Pattern[str]) -> float:
    """Share of questions with a gold answer text the pattern matches."""
    return sum(any(pattern.search(text) for text in texts) for texts in answers) / max(len(answers), 1)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad2", type=Path, help="SQuAD 2.0 folder")
    parser.add_argument("--xquad", type=Path, help="XQuAD folder (both languages)")
    parser.add_argument(
        "--affected",
        type=Path,
        metavar="FILE",
        help="write the ids of the SQuAD 2.0 questions that asked for a date before or ask for one now "
        "(for quellen eval --ids FILE)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sets: dict[str, list[Case]] = {}
    if args.squad2:
        sets["SQuAD 2.0 (en)"] = squad2_cases(args.squad2)
    if args.xquad:
        xquad = xquad_cases(args.xquad)
        for language in ("de", "en"):
            sets[f"XQuAD ({language})"] = [case for case in xquad if case.language == language]
    if args.affected and args.squad2:
        affected = [case.id for case in sets["SQuAD 2.0 (en)"] if asks_before(case.question) or asks_now(case.question)]
        args.affected.write_text("\n".join(affected) + "\n", encoding="utf-8")
        log.info("%d affected questions written to %s", len(affected), args.affected)
    log.info("| set | date questions before / now | dates found before / now | others taken for a date before / now |")
    log.info("| --- | --- | --- | --- |")
    for name, cases in sets.items():
        got = shares(cases)
        before, now = got["before"], got["now"]
        log.info(
            "| %s | %d / %d | %.3f / %.3f | %.3f / %.3f |",
            name,
            before["date questions"],
            now["date questions"],
            before["found"],
            now["found"],
            before["taken for a date"],
            now["taken for a date"],
        )


if __name__ == "__main__":
    main()
