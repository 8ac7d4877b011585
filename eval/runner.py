"""Run an evaluation: retrieval for every system, answers for quellen, summary per group.

The index is built with the normal ingest code (``Library.ingest``) into a collection
of its own, so an evaluation never touches the user's index and measures exactly the
code users run.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.pipeline import Assistant, build_assistant
from assistant.types import Passage, Turn
from eval import metrics
from eval.questions import Gold
from eval.suites import Case
from eval.systems import Bm25System, QuellenSystem, QuellenVariantSystem, QuickstartSystem, RetrievalSystem
from ingest.loader import load_documents

log = logging.getLogger(__name__)

K_VALUES = (1, 5, 10)
RETRIEVAL_DEPTH = 10

Progress = Callable[[str, int, int], None]


def is_relevant(passage: Passage, gold: Gold) -> bool:
    """A passage supports a gold span when it is from the same source and holds most of the quote.

    Gold without a quote (XQuAD paragraphs) means the whole document.
    """
    if passage.source != gold.source:
        return False
    if not gold.quote or gold.start < 0:
        return True
    return metrics.spans_overlap(passage.start, passage.end, gold.start, gold.end, min_chars=(len(gold.quote) + 1) // 2)


def relevance(passages: Sequence[Passage], golds: Sequence[Gold]) -> list[bool]:
    return [any(is_relevant(p, g) for g in golds) for p in passages]


def novel_relevance(passages: Sequence[Passage], golds: Sequence[Gold]) -> list[bool]:
    """Relevance where each gold span counts once: the first passage covering it gains, later ones do not.

    Several chunks of one gold paragraph would otherwise push nDCG above 1.
    """
    covered: set[int] = set()
    flags = []
    for passage in passages:
        new = {i for i, gold in enumerate(golds) if i not in covered and is_relevant(passage, gold)}
        covered |= new
        flags.append(bool(new))
    return flags


@dataclass
class EvalResult:
    suite: str
    config: dict[str, Any]
    retrieval_rows: list[dict[str, Any]] = field(default_factory=list)
    answer_rows: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def build_systems(assistant: Assistant, corpus_dir: Path, names: Sequence[str]) -> list[RetrievalSystem]:
    systems: list[RetrievalSystem] = []
    documents, _ = load_documents(corpus_dir) if set(names) - {"quellen"} else ([], [])
    for name in names:
        if name == "quellen":
            systems.append(QuellenSystem(assistant))
        elif name == "bm25":
            systems.append(Bm25System(documents, assistant.settings.chunk_size, assistant.settings.chunk_overlap))
        elif name.startswith("quellen:"):
            systems.append(QuellenVariantSystem(assistant, name))
        elif name == "llamaindex-quickstart":
            systems.append(QuickstartSystem(documents, assistant.embedder))
        else:
            raise ValueError(f"unknown retrieval system {name!r}")
    return systems


def evaluate(
    suite: str,
    cases: Sequence[Case],
    settings: Settings,
    corpus_dir: Path,
    systems: Sequence[str] = ("bm25", "llamaindex-quickstart", "quellen"),
    answers: bool = True,
    answer_limit: int | None = None,
    progress: Progress | None = None,
    backends: Sequence[str] = (),
) -> EvalResult:
    """Index ``corpus_dir`` into the eval collection, then run every case through every system.

    Answers come from each of ``backends`` (local, openai, extractive) in turn, reported
    side by side; by default from the configured one.  ``BACKEND:RECIPE`` answers with
    another question pipeline (``local:passages`` is the pipeline before evidence
    selection), so a change and its baseline are measured in one run.
    """
    eval_settings = settings.model_copy(update={"corpus_dir": corpus_dir, "collection": f"eval_{suite}"})
    assistant = build_assistant(eval_settings)
    answer_backends = list(backends) or [settings.llm_backend]
    # built before the index, so a variant with a bad setting (a missing gate file) stops the run at once
    answerers = [answer_variant(assistant, backend) for backend in answer_backends] if answers else []
    report = assistant.library.ingest()
    log.info("eval index: %s", report.summary())
    built = build_systems(assistant, corpus_dir, systems)
    result = EvalResult(
        suite=suite,
        config={
            "embedder": settings.embedder,
            "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap,
            "top_k": settings.top_k,
            "answer_backend": [answerer.answer_label for answerer in answerers] if answers else None,
            "relevance_threshold": settings.relevance_threshold,
            "systems": list(systems),
            "cases": len(cases),
            "chunks": assistant.store.count(),
        },
    )
    total = len(cases) * len(built)
    done = 0
    for system in built:
        for case in cases:
            started = time.perf_counter()
            passages = system.retrieve(case.question, RETRIEVAL_DEPTH, case.history)
            seconds = time.perf_counter() - started
            for group, golds in case.targets.items():
                if not golds:
                    continue
                rel = relevance(passages, golds)
                row: dict[str, Any] = {"system": system.name, "id": case.id, "group": group, "seconds": seconds}
                # passage length matters: a system returning whole documents "hits" trivially
                row["chars"] = metrics.mean(len(p.text) for p in passages[: settings.top_k])
                for k in K_VALUES:
                    row[f"hit@{k}"] = metrics.hit_at_k(rel, k)
                row["mrr"] = metrics.reciprocal_rank(rel)
                row["ndcg@10"] = metrics.ndcg_at_k(novel_relevance(passages, golds), 10, len(golds))
                row["ranks"] = [i for i, r in enumerate(rel, start=1) if r]
                result.retrieval_rows.append(row)
            done += 1
            if progress:
                progress(f"retrieval {system.name}", done, total)
    if answers:
        answer_cases = spread(cases, answer_limit)
        for backend, answerer in zip(answer_backends, answerers, strict=True):
            if answerer.llm_features and answerer.rewriter is not None:
                answerer.rewriter.forget()  # translations from the retrieval pass would flatter the latencies
            given: dict[str, Turn] = {}  # this backend's answers so far, for the dialogues' follow-ups
            for index, case in enumerate(answer_cases, start=1):
                result.answer_rows.append(_answer_row(answerer, case, given))
                if progress:
                    progress(f"answers {backend}", index, len(answer_cases))
    result.summary = summarise(result)
    return result


#: what may follow ``BACKEND:`` in an answer variant, and the settings each word changes
ANSWER_OPTIONS: dict[str, dict[str, Any]] = {
    "evidence": {"pipeline": "evidence"},
    "passages": {"pipeline": "passages"},
    "judge": {"answerability": "judge"},
    "search": {"answerability": "search"},
    "no-gate": {"answerability": "off"},
    "judge-first": {"judge_during_answer": False},
    "no-guard": {"instruction_guard": False},
    "no-translate": {"translate_query": False},
    "cosine-check": {"citation_check": "cosine"},
    "questions-only": {"followup_answers": False},
}
ANSWER_BACKENDS = ("local", "openai", "extractive")
#: an answer option that leaves the named stage out
DROP = "drop-"
#: an answer option that reads the answerability gate from another file (``gate=FILE``)
GATE_FILE = "gate="
#: an answer option that scores the evidence with other weights (``weights=FILE``)
WEIGHTS_FILE = "weights="
#: an answer option that checks the answer's sentences with another fitted citation check (``check=FILE``)
CHECK_FILE = "check="
#: an answer option that refuses below another passage cosine (``min-score=0.18``)
MIN_SCORE = "min-score="


def parse_answer_variant(name: str) -> tuple[dict[str, Any], list[str]]:
    """Settings and stages left out for ``BACKEND[:OPTION[+OPTION...]]``.

    ``local``, ``extractive:passages``, ``local:no-gate``; ``drop-STAGE`` leaves a stage of
    the question pipeline out (``local:drop-quote-cited``): a variant is another list of
    stages, not another flag; ``gate=FILE`` answers with another fitted gate (the one
    before a refit, say), ``weights=FILE`` scores the evidence with other weights,
    ``check=FILE`` checks the answer's sentences with another fitted citation check,
    ``min-score=0.18`` refuses below another passage cosine (the relevance threshold).
    """
    backend, _, options = name.partition(":")
    if backend not in ANSWER_BACKENDS:
        raise ValueError(f"{name!r}: the backend is one of {', '.join(ANSWER_BACKENDS)}")
    overrides: dict[str, Any] = {"llm_backend": backend}
    dropped: list[str] = []
    for option in options.split("+") if options else []:
        if option.startswith(DROP):
            dropped.append(option.removeprefix(DROP))
        elif option.startswith(GATE_FILE):
            overrides["answerability_file"] = Path(option.removeprefix(GATE_FILE))
        elif option.startswith(CHECK_FILE):
            overrides["statement_check_file"] = Path(option.removeprefix(CHECK_FILE))
        elif option.startswith(WEIGHTS_FILE):
            overrides["evidence_weights_file"] = Path(option.removeprefix(WEIGHTS_FILE))
        elif option.startswith(MIN_SCORE):
            try:
                overrides["min_score"] = float(option.removeprefix(MIN_SCORE))
            except ValueError:
                raise ValueError(f"{name!r}: {MIN_SCORE} takes a number (a cosine, e.g. 0.18)") from None
        elif option in ANSWER_OPTIONS:
            overrides.update(ANSWER_OPTIONS[option])
        else:
            raise ValueError(
                f"{name!r}: unknown option {option!r} "
                f"({', '.join(ANSWER_OPTIONS)}, {DROP}STAGE, {GATE_FILE}FILE, {WEIGHTS_FILE}FILE, "
                f"{CHECK_FILE}FILE, {MIN_SCORE}COSINE)"
            )
    return overrides, dropped


def answer_variant(assistant: Assistant, name: str) -> Assistant:
    """The assistant answering as ``name`` (see :func:`parse_answer_variant`)."""
    overrides, dropped = parse_answer_variant(name)
    variant = assistant.variant(**overrides)
    return variant.without_stages(*dropped)


def spread(cases: Sequence[Case], limit: int | None) -> list[Case]:
    """``limit`` cases spread evenly over ``cases`` (all of them without a limit)."""
    if not limit or limit >= len(cases):
        return list(cases)
    step = len(cases) / limit
    return [cases[int(i * step)] for i in range(limit)]


#: the questions the suites' usual runs answer (``--limit``); fits in bench/ leave them out
EVAL_LIMITS = {"xquad": 100, "squad2": 200}


def unseen(cases: Sequence[Case], suite: str, size: int) -> list[Case]:
    """``size`` cases spread over those the suite's usual run (:data:`EVAL_LIMITS`) does not answer.

    What bench/ fits on (the gate, the evidence weights), the evaluation then measures on
    questions the fit did not see.
    """
    answered = {case.id for case in spread(cases, EVAL_LIMITS[suite])}
    return spread([case for case in cases if case.id not in answered], size)


def dialogue_turns(case: Case, given: dict[str, Turn]) -> list[str | Turn]:
    """``case.history`` with the answers this backend gave to those turns of the dialogue (``q074.1`` for ``q074.2``).

    The chat passes the answers a user saw, so the evaluation does too; a turn not answered in
    this run (``--limit``) or a history not from the question set stays a bare question.
    """
    dialogue, _, number = case.id.rpartition(".")
    if not dialogue or not number.isdigit():
        return list(case.history)
    turns: list[str | Turn] = []
    for index, question in enumerate(case.history, start=1):
        earlier = given.get(f"{dialogue}.{index}")
        turns.append(earlier if earlier is not None and earlier.question == question else question)
    return turns


def _answer_row(assistant: Assistant, case: Case, given: dict[str, Turn]) -> dict[str, Any]:
    answer = assistant.ask(case.question, dialogue_turns(case, given))
    given[case.id] = Turn.of(case.question, answer)
    golds = [g for gs in case.targets.values() for g in gs]
    cited = [c.passage for c in answer.citations]
    supported = [any(is_relevant(p, g) for g in golds) for p in cited]
    covered = [any(is_relevant(p, g) for p in cited) for g in golds]
    return {
        "id": case.id,
        "backend": assistant.answer_label,
        "group": case.group,
        "language": case.language,
        "question": case.question,
        "answerable": case.answerable,
        "answer": answer.answer,
        "answer_language": answer.language,
        "refused": answer.refused,
        "unanswerable": answer.unanswerable,
        "unsupported": len(answer.unsupported),
        "key_facts": metrics.key_fact_score(case.key_facts, answer.answer) if case.answerable else None,
        "citation_precision": (sum(supported) / len(supported)) if supported else None,
        "citation_recall": (sum(covered) / len(covered)) if golds and not answer.refused else None,
        "citations": [c.to_json() for c in answer.citations],
        "retrieval_s": answer.timings.get("retrieval", 0.0),
        "first_text_s": answer.timings.get("first_text", answer.timings.get("total", 0.0)),
        "first_token_s": answer.timings.get("first_token", answer.timings.get("total", 0.0)),
        "prompt_tokens": answer.usage.get("prompt_tokens"),
        "split": case.meta.get("split", ""),
        "total_s": answer.timings.get("total", 0.0),
    }


def summarise(result: EvalResult) -> dict[str, Any]:
    """Means per system and group for retrieval; per group and overall for answers."""
    retrieval: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in result.retrieval_rows:
        grouped[(row["system"], row["group"])].append(row)
        if "→" not in row["group"]:  # XQuAD groups judge the same questions three ways: no total
            grouped[(row["system"], "all")].append(row)
    for (system, group), rows in sorted(grouped.items()):
        retrieval[system][group] = {
            key: metrics.mean(r[key] for r in rows) for key in ("hit@1", "hit@5", "hit@10", "mrr", "ndcg@10")
        }
        retrieval[system][group]["n"] = len(rows)
        retrieval[system][group]["mean_chars"] = metrics.mean(r["chars"] for r in rows)
        retrieval[system][group]["p50_ms"] = 1000 * metrics.percentile([r["seconds"] for r in rows], 50)
    summary: dict[str, Any] = {"retrieval": retrieval}
    if result.answer_rows:
        summary["answers"] = _answer_summary(result.answer_rows)
    return summary


def _answer_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``{backend: {group: metrics}}``: answer quality per backend and question group."""

    def block(selected: Sequence[dict[str, Any]]) -> dict[str, float]:
        answerable = [r for r in selected if r["answerable"]]
        precision, recall = metrics.precision_recall(
            [r["refused"] for r in selected], [not r["answerable"] for r in selected]
        )
        return {
            "n": len(selected),
            "key_facts": metrics.mean(r["key_facts"] for r in answerable),
            "answered_in_question_language": metrics.mean(
                float(r["answer_language"] == r["language"]) for r in selected
            ),
            "citation_precision": metrics.mean(
                r["citation_precision"] for r in answerable if r["citation_precision"] is not None
            ),
            "citation_recall": metrics.mean(
                r["citation_recall"] for r in answerable if r["citation_recall"] is not None
            ),
            "refusal_precision": precision,
            "refusal_recall": recall,
            "first_text_p50_s": metrics.percentile([r.get("first_text_s", r["first_token_s"]) for r in selected], 50),
            "first_token_p50_s": metrics.percentile([r["first_token_s"] for r in selected], 50),
            "prompt_tokens_mean": metrics.mean(r["prompt_tokens"] for r in selected if r.get("prompt_tokens")),
            "total_p50_s": metrics.percentile([r["total_s"] for r in selected], 50),
            "total_p95_s": metrics.percentile([r["total_s"] for r in selected], 95),
        }

    summary: dict[str, Any] = {}
    for backend in dict.fromkeys(r["backend"] for r in rows):
        mine = [r for r in rows if r["backend"] == backend]
        by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in mine:
            by_group[row["group"]].append(row)
        summary[backend] = {group: block(selected) for group, selected in sorted(by_group.items())}
        for split in sorted({r.get("split") for r in mine} - {"", None}):
            summary[backend][f"all ({split})"] = block([r for r in mine if r.get("split") == split])
        summary[backend]["all"] = block(mine)
    return summary
