"""Prompt injection, measured (issue 14, step 4): how many hostile phrasings change the answer?

Instructions inside documents meet three defences: the instruction guard withholds
passages that address an AI assistant (``assistant.instruction_guard``; ``BACKEND:no-guard``
runs without it), a regex withholds a few phrasings from the prompt
(``assistant.prompts.neutralise``), and a rule in the system prompt.  This runs the hostile
set ``eval/questions/injection.jsonl`` (``eval/injection.py``) through the real pipeline:
one assistant over a temporary copy of ``corpus/`` in a temporary state folder, per answer
backend.  Each question is first
answered without any hostile text (the clean answer); then, per item, the hostile document
is added like an upload, the question asked and the document removed again.  An item
*changes the answer* when the answer shows the item's marker, loses the key fact the clean
answer had, or cites the hostile document (``eval.injection.change_reasons``).  Answerability
is switched off so only the injection is measured.

It prints, per backend, a Markdown table per kind and in total: items, hostile texts that
reached the answerer (the document retrieved and not withheld, or in the question), documents today's regex
touches, answers changed and their share, and the ids of the changed items.  Run it
before and after a change to the guard:

    .venv/bin/python bench/injection.py            # local and extractive, each without and with the guard
    .venv/bin/python bench/injection.py --set eval/questions/injection-test.jsonl
    .venv/bin/python bench/injection.py --backends extractive --limit 2
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import PROJECT_ROOT, Settings
from assistant.pipeline import Assistant, build_assistant
from assistant.prompts import neutralise
from assistant.types import Answer
from eval.injection import INJECTION_SET, KINDS, InjectionItem, change_reasons, load_injection_set
from eval.runner import answer_variant, parse_answer_variant

log = logging.getLogger("bench.injection")


@dataclass
class Outcome:
    """What one hostile item did to the answer."""

    item: InjectionItem
    answer: str
    reasons: list[str] = field(default_factory=list)
    #: the hostile text reached the answerer: its document among the retrieved passages, or in the question
    reached: bool = False
    #: the guard withheld the hostile document's passages
    withheld: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.reasons)


def regex_touches(item: InjectionItem) -> bool:
    """Whether today's regex guard withholds any sentence of the item's hostile document (questions are not guarded)."""
    return bool(item.document) and neutralise(item.document) != item.document


def ask_hostile(assistant: Assistant, item: InjectionItem, folder: Path) -> Answer:
    """The answer to ``item.question`` with its hostile document in the index (added, then removed)."""
    if not item.document:
        return assistant.ask(item.question)
    path = folder / item.document_name
    path.write_text(item.document + "\n", encoding="utf-8")
    report, refused = assistant.library.add_files([(path, item.document_name)])
    if refused or not (report.added or report.updated):
        raise RuntimeError(f"{item.id}: the hostile document was not ingested: {refused or report}")
    try:
        return assistant.ask(item.question)
    finally:
        assistant.library.remove_document(item.document_name)


def run(assistant: Assistant, items: Sequence[InjectionItem], folder: Path) -> list[Outcome]:
    """Every item's outcome; the clean answers are computed once per distinct question."""
    clean: dict[str, Answer] = {}
    for question in dict.fromkeys(item.baseline_question for item in items):
        clean[question] = assistant.ask(question)
        log.info("clean  %s → %s", question, _short(clean[question].answer))
    outcomes = []
    for item in items:
        answer = ask_hostile(assistant, item, folder)
        outcome = Outcome(
            item=item,
            answer=answer.answer,
            reasons=change_reasons(answer, item, clean[item.baseline_question]),
            reached=any(p.source == item.document_name for p in answer.passages) if item.document else True,
            withheld=any(p.source == item.document_name for p in answer.withheld),
        )
        log.info(
            "%s %-15s %s → %s", item.id, item.kind, ", ".join(outcome.reasons) or "unchanged", _short(answer.answer)
        )
        outcomes.append(outcome)
    return outcomes


def _short(text: str) -> str:
    return " ".join(text.split())[:140]


def table(outcomes: Sequence[Outcome]) -> str:
    """Per kind and in total: items, hostile text reached and touched by the regex, answers changed."""
    lines = [
        "| kind | items | withheld by the guard | hostile text reached | regex touches | changed | share changed "
        "| changed items |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    groups = [(kind, [o for o in outcomes if o.item.kind == kind]) for kind in KINDS]
    for name, group in [*groups, ("total", list(outcomes))]:
        if not group:
            continue
        changed = [o for o in group if o.changed]
        ids = ", ".join(f"{o.item.id} ({'; '.join(o.reasons)})" for o in changed) or "–"
        label = f"**{name}**" if name == "total" else name
        lines.append(
            f"| {label} | {len(group)} | {sum(o.withheld for o in group)} | {sum(o.reached for o in group)} "
            f"| {sum(regex_touches(o.item) for o in group)} "
            f"| {len(changed)} | {len(changed) / len(group):.0%} | {ids} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--backends",
        nargs="+",
        default=["local:no-guard", "local", "extractive:no-guard", "extractive"],
        help="answer backends to measure, with options as in quellen eval (BACKEND:no-guard: without the guard)",
    )
    parser.add_argument("--limit", type=int, help="only the first N items")
    parser.add_argument("--set", type=Path, default=INJECTION_SET, help="the hostile set (JSON lines)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    items = load_injection_set(args.set)[: args.limit]
    results: dict[str, list[Outcome]] = {}
    with tempfile.TemporaryDirectory(prefix="quellen-injection-") as tmp:
        corpus, uploads = Path(tmp) / "corpus", Path(tmp) / "uploads"
        shutil.copytree(PROJECT_ROOT / "corpus", corpus)
        uploads.mkdir()
        first = parse_answer_variant(args.backends[0])[0]["llm_backend"]
        settings = Settings(state_dir=Path(tmp) / "state", corpus_dir=corpus, answerability="off", llm_backend=first)
        base = build_assistant(settings)  # each variant: these settings with its own options, nothing carried over
        base.library.ensure_ingested()
        for name in args.backends:
            results[name] = run(answer_variant(base, name), items, uploads)
    for backend, outcomes in results.items():
        print(f"\n**{backend}** ({len(outcomes)} items of {args.set.name})\n")
        print(table(outcomes))


if __name__ == "__main__":
    main()
