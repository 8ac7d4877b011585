"""``quellen eval``: run a suite, print a compact table, save the report; or compare two runs."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import get_args

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from assistant.answer_type import AnswerType
from assistant.config import Settings
from eval.jobs import SYSTEMS, EvalRequest, run_suite
from eval.questions import DEFAULT_SET
from eval.report import compare, retrieval_table
from eval.runner import EvalResult, parse_answer_variant
from eval.systems import parse_variant

log = logging.getLogger(__name__)


def system_name(value: str) -> str:
    """argparse type for ``--systems``: a baseline or a ``quellen:MODE[+FEATURE...]`` variant."""
    if value in SYSTEMS:
        return value
    try:
        parse_variant(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc}; baselines: {', '.join(SYSTEMS)}") from None
    return value


def backend_name(value: str) -> str:
    """argparse type for ``--backends``: local, openai or extractive, optionally with ``:OPTION[+OPTION]``."""
    try:
        parse_answer_variant(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--suite", choices=["corpus", "xquad", "squad2"], default="corpus")
    parser.add_argument(
        "--data", type=Path, help="XQuAD folder (xquad*.de.json, xquad*.en.json) or SQuAD 2.0 folder (one .json)"
    )
    parser.add_argument("--questions", type=Path, default=DEFAULT_SET, help="question set (corpus suite)")
    parser.add_argument(
        "--from-feedback",
        type=Path,
        nargs="?",
        const=Path("-"),
        metavar="FILE",
        help="evaluate on questions made from users' ratings (default file: STATE_DIR/feedback.jsonl); "
        "thumbs-down answers are written to a review file",
    )
    parser.add_argument(
        "--split",
        choices=["dev", "test"],
        help="corpus suite: only the development part (tune on it) or the test part (report on it)",
    )
    parser.add_argument(
        "--asks",
        choices=list(get_args(AnswerType)),
        help="only the questions that ask for this kind of fact (a 'when' question asks for a date), "
        "e.g. to measure a change to how that kind is found and checked",
    )
    parser.add_argument("--ids", type=Path, metavar="FILE", help="only the cases whose ids FILE lists, one per line")
    parser.add_argument("--limit", type=int, help="only N cases, spread evenly over the set (quick runs)")
    parser.add_argument(
        "--answers",
        type=int,
        default=None,
        help="answer N cases spread over the set (default: all; xquad, squad2: 100)",
    )
    parser.add_argument("--no-answers", action="store_true", help="retrieval metrics only")
    parser.add_argument(
        "--backends",
        nargs="+",
        type=backend_name,
        default=[],
        help="answer with each of these backends, side by side (default: the configured one); BACKEND:OPTION "
        "changes the question pipeline: passages (the pipeline before evidence selection), no-gate / search / "
        "judge (the answerability gate off, from search signals, with the model's judgement), no-guard (passages "
        "addressing an AI not withheld), no-translate (no translated search), cosine-check (the citation check "
        "before the fitted one), drop-STAGE (that stage of the question pipeline left out, e.g. drop-quote-cited); "
        "join with +",
    )
    parser.add_argument(
        "--systems",
        nargs="+",
        default=list(SYSTEMS),
        type=system_name,
        help="retrieval systems side by side: bm25, llamaindex-quickstart, quellen (the configured pipeline), "
        "or quellen:MODE[+FEATURE...] with MODE dense|bm25|hybrid and FEATURE rerank|translate|llmfollowup "
        "(e.g. quellen:hybrid+translate+rerank)",
    )
    parser.add_argument("--out", type=Path, help="folder for reports (default: the reports_dir setting)")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"), help="diff two saved runs")


def print_summary(result: EvalResult, console: Console) -> None:
    for key in ("hit@5", "mrr"):
        header, rows = retrieval_table(result.summary, key)
        table = Table(title=f"{result.suite}: retrieval {key}")
        for column in header:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    for backend, answers in result.summary.get("answers", {}).items():
        table = Table(title=f"answers ({backend})")
        columns = (
            "group",
            "n",
            "key facts",
            "cit. prec.",
            "cit. rec.",
            "refusal P/R",
            "first text / token / total p50 s",
        )
        for column in columns:
            table.add_column(column, overflow="fold")
        for group, v in answers.items():
            table.add_row(
                group,
                str(v["n"]),
                f"{v['key_facts']:.2f}",
                f"{v['citation_precision']:.2f}",
                f"{v['citation_recall']:.2f}",
                f"{v['refusal_precision']:.2f}/{v['refusal_recall']:.2f}",
                f"{v.get('first_text_p50_s', 0.0):.1f} / {v['first_token_p50_s']:.1f} / {v['total_p50_s']:.1f}",
            )
        console.print(table)


def run(args: argparse.Namespace, settings: Settings) -> int:
    console = Console(stderr=False)
    if args.compare:
        sys.stdout.write(compare(*args.compare))
        return 0
    feedback = None
    if args.from_feedback:
        feedback = settings.feedback_path if args.from_feedback == Path("-") else args.from_feedback
    request = EvalRequest(
        suite=args.suite,
        data=args.data,
        questions=args.questions,
        from_feedback=feedback,
        split=args.split,
        asks=args.asks,
        ids=args.ids,
        limit=args.limit,
        answers=args.answers,
        no_answers=args.no_answers,
        backends=list(args.backends),
        systems=list(args.systems),
        out=args.out or settings.reports_dir,
    )
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    ) as bar:
        task = bar.add_task("indexing", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        result, folder = run_suite(request, settings, progress, note=console.print)
    print_summary(result, console)
    console.print(f"report: {folder / 'report.md'}")
    return 0
