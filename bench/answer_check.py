"""Probes judgements read after the answer: do they tell answers to unanswerable questions apart? (issue 14)

For every corpus question (development and test halves) the local pipeline runs as the
product runs it (the answerability gate included); for each answer given, these signals
are read and saved beside the gate's probability and the citation check's verdict:

* ``qa_quotes``: the model's probability of "yes", the quoted sentences (the first quote
  and those of the cited evidence) show that the answer to the question is correct
  (:func:`assistant.answer_check.judge_answer`, in the citation check's context),
* ``qa_evidence``: the same with the five evidence items as sources.

It prints each signal's ROC AUC per half (among the answered questions) and, for
logistic regressions over the check's signals (:data:`assistant.answer_check.SIGNALS`)
fitted on the development half (scikit-learn), refusal precision and recall over *all*
questions of each half when the answers the combination rejects become refusals; the
threshold is the lowest that refuses at most ``--allowed`` (5 %) of the answered
answerable development questions.  ``--fit NAME`` writes that combination to
``assistant/answer_check.json``, which the pipeline's ``answer-check`` stage reads.

``--backend extractive`` reads extractive quotes instead: the judged answer is the quoted
sentence itself, and ``--fit`` writes the ``"quote"`` check (the local one stays).
``--gate-open`` lets the gate refuse nothing, so every question is answered and judged,
and reports the gate's refusals decided offline at several thresholds with the check
refitted on what each lets through.

    .venv/bin/python bench/answer_check.py --save answers.json     # ~25 min on 2 cores
    .venv/bin/python bench/answer_check.py --load answers.json --fit "qa + gate"
    .venv/bin/python bench/answer_check.py --backend extractive --save quotes.json   # ~15 min
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import tempfile
from collections.abc import Iterator, Sequence
from copy import copy
from pathlib import Path

import numpy as np

from assistant.answer_check import MODEL_FILE, judge_answer, log_odds
from assistant.answer_stages import quoted_sources
from assistant.config import Settings
from assistant.logistic import LogisticModel, fit_logistic, load_models, save_models, threshold_for
from assistant.pipeline import Assistant, build_assistant
from assistant.question_pipeline import QuestionPipeline
from assistant.stages import AnswerabilityGate, QuestionState
from assistant.types import StreamEvent
from eval.questions import DEFAULT_SET
from eval.suites import Case, corpus_cases

log = logging.getLogger("bench.answer_check")

#: the share of the answered answerable development questions the check may refuse
ALLOWED = 0.05


class Capture:
    """Keeps the model's answer text and the quoted sources as they are before the answer is composed."""

    name = "capture"

    def __init__(self) -> None:
        self.seen: dict = {}

    def run(self, state: QuestionState) -> Iterator[StreamEvent]:
        answer = state.answer
        self.seen = {
            "text": answer.answer if answer is not None else "",
            "quotes": quoted_sources(state),
            "evidence": [e.text for e in state.evidence],
        }
        yield from ()


def open_gate(gate: AnswerabilityGate) -> AnswerabilityGate:
    """A copy of ``gate`` that reads its probability and refuses nothing (thresholds at infinity)."""
    opened = copy(gate)
    opened.model = copy(gate.model)
    opened.model.threshold = math.inf
    if gate.fallback is not None:
        opened.fallback = copy(gate.fallback)
        opened.fallback.threshold = math.inf
    return opened


def check_kind(rows: Sequence[dict]) -> str:
    """Which check of ``assistant/answer_check.json`` the rows are for: ``"quote"`` (extractive) or ``"answer"``."""
    return "quote" if rows[0].get("backend") == "extractive" else "answer"


def read(assistant: Assistant, cases: Sequence[Case], split: str, gate_open: bool = False) -> list[dict]:
    """One row per case: the gate's probability, refused, flagged statements and the judgements.

    ``gate_open``: the gate reads its probability but refuses nothing, so every question
    is answered and judged (the gate's refusals are then decided offline, :func:`open_report`).
    """
    pipeline = assistant.question_pipeline.inner.without("answer-check")  # the signals it reads, not its verdict
    quoted = assistant.llm is None  # an extractive answer claims its quote
    stages = list(pipeline.stages)
    at = next(i for i, s in enumerate(stages) if isinstance(s, AnswerabilityGate))
    threshold = stages[at].model.threshold
    if gate_open:  # a copy: the assistant's own gate (shared by later calls) keeps its threshold
        stages[at] = open_gate(stages[at])
    capture = Capture()
    stages.insert(pipeline.names.index("compose"), capture)
    probe = QuestionPipeline(stages)
    rows = []
    for case in cases:
        capture.seen = {}
        state = next(s for s in probe.run(case.question, case.history) if isinstance(s, QuestionState))
        answer = state.answer
        row = {
            "id": case.id,
            "split": split,
            "unanswerable": not case.answerable,
            "gate": state.unanswerable,
            "gate_at": threshold,
            "gate_open": gate_open,
            "backend": "extractive" if quoted else "local",
            "refused": bool(answer is not None and answer.refused),
            "flag": float(bool(answer is not None and answer.unsupported)),
            "question": state.query,
            **capture.seen,
        }
        if not row["refused"] and capture.seen and not state.fell_back and state.quote is not None:
            claim = state.quote.passage.text if quoted else row["text"]
            row["qa_quotes"] = judge_answer(assistant.checker, state.query, claim, row["quotes"])
            row["qa_evidence"] = judge_answer(assistant.checker, state.query, claim, row["evidence"])
        rows.append(row)
        log.info("%s %s gate %.3f %s", case.id, row["unanswerable"], row["gate"] or 0, row.get("qa_quotes"))
    return rows


def signal_rows(rows: Sequence[dict], names: Sequence[str]) -> np.ndarray:
    """The product's signals (:data:`assistant.answer_check.SIGNALS`) of judged rows, ``qa`` as log-odds."""
    return np.asarray([[log_odds(r["qa_quotes"]) if n == "qa" else r[n] for n in names] for r in rows])


def refusals(rows: Sequence[dict], rejected: Sequence[bool]) -> str:
    """Refusal precision / recall over all rows when the rejected answers are refused too."""
    refused = [r["refused"] or x for r, x in zip(rows, rejected, strict=True)]
    hits = sum(f and r["unanswerable"] for f, r in zip(refused, rows, strict=True))
    wrong = sum(f and not r["unanswerable"] for f, r in zip(refused, rows, strict=True))
    total = sum(r["unanswerable"] for r in rows)
    return f"P {hits / max(hits + wrong, 1):.2f} R {hits / total:.2f} (answerable refused: {wrong})"


def fit(rows: Sequence[dict], names: Sequence[str], allowed: float) -> LogisticModel:
    """A logistic regression over ``names`` on the judged development rows; threshold for ``allowed`` false refusals."""
    dev = [r for r in rows if r["split"] == "dev" and r.get("qa_quotes") is not None]
    y = np.asarray([r["unanswerable"] for r in dev])
    x = signal_rows(dev, names)
    fitted_on = f"corpus dev: {len(y)} answers, {int(y.sum())} to unanswerable questions"
    model = fit_logistic(x, y, names, LogisticModel, fitted_on)
    model.threshold = threshold_for(model.probabilities(x), ~y, allowed)
    return model


def report(rows: Sequence[dict], allowed: float) -> dict[str, LogisticModel]:
    """AUC per signal and, per combination fitted on dev, refusals over all questions of each half."""
    from sklearn.metrics import roc_auc_score

    judged = [r for r in rows if r.get("qa_quotes") is not None]
    print("| signal (answered questions) | AUC dev | AUC test |\n| --- | --- | --- |")
    for name, sign in (("gate", 1), ("flag", 1), ("qa_quotes", -1), ("qa_evidence", -1)):
        cells = []
        for split in ("dev", "test"):
            part = [r for r in judged if r["split"] == split and r.get(name) is not None]
            labels = [r["unanswerable"] for r in part]
            auc = roc_auc_score(labels, [sign * r[name] for r in part]) if len(set(labels)) > 1 else None
            cells.append("–" if auc is None else f"{auc:.2f}")
        print(f"| {name} | {' | '.join(cells)} |")
    print(f"\nThreshold: at most {allowed:.0%} of the answered answerable development questions refused.\n")
    print("| signals | threshold | dev: refusal P / R | test |\n| --- | --- | --- | --- |")
    print(
        f"| without the check | – | {refusals(dev_of(rows), [False] * len(dev_of(rows)))} | "
        f"{refusals(test_of(rows), [False] * len(test_of(rows)))} |"
    )
    models = {}
    for names in (("qa",), ("qa", "flag"), ("qa", "gate"), ("qa", "gate", "flag")):
        if "flag" in names and len({r["flag"] for r in rows}) < 2:
            continue  # quotes are not checked sentence by sentence: nothing flagged
        model = fit(rows, names, allowed)
        cells = []
        for part in (dev_of(rows), test_of(rows)):
            rejected = [
                r.get("qa_quotes") is not None and model.probabilities(signal_rows([r], names))[0] >= model.threshold
                for r in part
            ]
            cells.append(refusals(part, rejected))
        print(f"| {' + '.join(names)} | {model.threshold:.3f} | {' | '.join(cells)} |")
        models[" + ".join(names)] = model
    return models


def open_report(rows: Sequence[dict], allowed: float) -> None:
    """Rows read with the gate open: the gate's refusals decided offline at several thresholds, the check refitted.

    At the shipped gate threshold with the shipped check this is the product's decision;
    a higher gate threshold leaves more to the check, which reads the answer.
    """
    shipped = load_models(MODEL_FILE, LogisticModel)[check_kind(rows)]
    names = shipped.features

    def gated(at: float) -> list[dict]:
        return [dict(r, refused=r["refused"] or (r["gate"] is not None and r["gate"] >= at)) for r in rows]

    def rejected(part: Sequence[dict], model: LogisticModel) -> list[bool]:
        return [
            not r["refused"]
            and r.get("qa_quotes") is not None
            and model.probabilities(signal_rows([r], model.features))[0] >= model.threshold
            for r in part
        ]

    shipped_at = rows[0]["gate_at"]
    print("| gate refuses at | check | dev: refusal P / R | test |\n| --- | --- | --- | --- |")
    view = gated(shipped_at)
    cells = [refusals(p, [False] * len(p)) for p in (dev_of(view), test_of(view))]
    print(f"| ≥ {shipped_at:.3f} (shipped) | none | {' | '.join(cells)} |")
    cells = [refusals(p, rejected(p, shipped)) for p in (dev_of(view), test_of(view))]
    check = f"shipped ({' + '.join(names)}, {shipped.threshold:.3f})"
    print(f"| ≥ {shipped_at:.3f} (shipped) | {check} | {' | '.join(cells)} |")
    for gate_at in (shipped_at, 0.75, 0.8, 0.85, 0.9, math.inf):
        view = gated(gate_at)
        for combo in (("qa",), ("qa", "gate")):
            model = fit([r for r in view if not r["refused"]], combo, allowed)
            cells = [refusals(p, rejected(p, model)) for p in (dev_of(view), test_of(view))]
            print(f"| ≥ {gate_at:.3f} | refitted ({' + '.join(combo)}, {model.threshold:.3f}) | {' | '.join(cells)} |")


def dev_of(rows: Sequence[dict]) -> list[dict]:
    return [r for r in rows if r["split"] == "dev"]


def test_of(rows: Sequence[dict]) -> list[dict]:
    return [r for r in rows if r["split"] == "test"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--save", type=Path, help="write the rows read here")
    parser.add_argument("--load", type=Path, help="report on rows read before")
    parser.add_argument("--allowed", type=float, default=ALLOWED, help="share of answerable dev answers refused")
    parser.add_argument("--backend", choices=["local", "extractive"], default="local", help="whose answers")
    parser.add_argument("--gate-open", action="store_true", help="answer and judge every question (the gate offline)")
    parser.add_argument("--fit", default=None, help="write this combination (e.g. 'qa + gate + flag')")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    if args.load:
        rows = json.loads(args.load.read_text(encoding="utf-8"))
    else:
        corpus = Path(__file__).resolve().parent.parent / "corpus"
        with tempfile.TemporaryDirectory(prefix="quellen-answer-check-") as tmp:
            assistant = build_assistant(Settings(state_dir=Path(tmp), llm_backend=args.backend))
            assistant.library.ensure_ingested()
            assistant.warm_up()
            rows = []
            for split in ("dev", "test"):
                rows += read(assistant, corpus_cases(DEFAULT_SET, corpus, split), split, args.gate_open)
        if args.save:
            args.save.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    if rows and rows[0].get("gate_open"):
        open_report(rows, args.allowed)
        return
    models = report(rows, args.allowed)
    if args.fit:  # the other backend's check stays as it was
        kept = load_models(MODEL_FILE, LogisticModel) if MODEL_FILE.exists() else {}
        save_models(MODEL_FILE, {**kept, check_kind(rows): models[args.fit]})
        print(f"\nwritten: {args.fit}, threshold {models[args.fit].threshold:.3f}")


if __name__ == "__main__":
    main()
