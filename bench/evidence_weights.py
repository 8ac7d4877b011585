"""Fits the evidence weights: how the sentence signals add up to the order the answer reads.

The answer model answers mostly from the first evidence item, and the quote shown at once
is that item, so what counts is whether the first (and the first two) items hold the
asked-for fact.  For every answerable question of the corpus set and an XQuAD sample
(questions the xquad suite's usual run does not answer; even positions dev, odd test)
the question pipeline runs up to the evidence with the default (local) backend, and each
candidate sentence's signals are read once (:meth:`assistant.evidence.EvidenceSelector.signals`).
Every weight combination of a grid then orders the candidates as the selector does
(weighted sum, maximal marginal relevance) and is scored by the key facts the first
1 / 2 / 5 items hold (sentences as found; the selector's merging of neighbours is left
out).  The combination with the best mean of kf@1 and kf@2 over the development sets
(corpus dev and XQuAD dev, each counting half) wins; the test sets are printed, never
used to choose.  ``--fit`` writes it to ``assistant/evidence_weights.json``, which the
pipeline reads (``--out FILE`` elsewhere: setting ``evidence_weights_file``).

The grid's winner is a candidate, not a decision: the answers decide, with the weights
before as the baseline column (``quellen eval --backends local:weights=BEFORE.json local``).
The answerability gate reads the evidence scores (``ev_best``, ``ev_top3``) and the
translation is skipped above ``translate_skip_score``, both fitted on the scores of the
packaged weights: new weights shift what they decide (docs/evaluation.md, eighth round:
a winner of this grid refused five more answerable questions and lost key facts).

    .venv/bin/python bench/evidence_weights.py --xquad ../shared/data/xquad --xquad-sample 300 \\
        --save signals.npz --out candidate.json --fit
    .venv/bin/python bench/evidence_weights.py --load signals.npz     # the grid again, in seconds
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.evidence import WEIGHTS_FILE, EvidenceSelector, EvidenceWeights, diverse_order
from assistant.pipeline import Assistant, build_assistant
from assistant.question_pipeline import QuestionPipeline
from assistant.stages import QuestionState
from eval import metrics
from eval.questions import DEFAULT_SET
from eval.runner import unseen
from eval.suites import Case, corpus_cases, xquad_cases, xquad_documents

log = logging.getLogger("bench.evidence_weights")

#: the grid searched (cosine stays 1: only the ratios matter; the passage rank did not help before)
GRID = {
    "lexical": (0.0, 0.15, 0.3, 0.5, 0.8),
    "answer_type": (0.0, 0.1, 0.2),
    "diversity": (0.0, 0.2, 0.4, 0.6),
    "numbers": (0.0, 0.1, 0.2, 0.4),
    "abbreviation": (0.0, 0.1, 0.2),
}
#: evidence items whose key facts are scored
DEPTHS = (1, 2, 5)
#: the items the answer model and the quote read first: what the weights are chosen for
CHOSEN_BY = (1, 2)


@dataclass
class Question:
    """One answerable question's candidate sentences with their signals, and its key facts."""

    key_facts: list[list[str]]
    texts: list[str]
    signals: dict[str, np.ndarray]
    vectors: np.ndarray


def read(assistant: Assistant, cases: Sequence[Case]) -> list[Question]:
    """The candidates of each case's final evidence selection, the pipeline run up to it (no relevance gate)."""
    pipeline = assistant.question_pipeline.without("gate-first", "gate")
    inner = getattr(pipeline, "inner", pipeline)  # the part-by-part wrapper: these questions are read whole
    last = max(i for i, name in enumerate(inner.names) if name.startswith("evidence"))
    until = QuestionPipeline(inner.stages[: last + 1])
    selector: EvidenceSelector = inner.stages[last].selector  # the pipeline's own, with its settings
    questions = []
    for case in cases:
        state = next(s for s in until.run(case.question, case.history) if isinstance(s, QuestionState))
        candidates, signals, vectors = selector.read(state.query, state.phrasings, state.passages)
        questions.append(Question(case.key_facts, [c.text for c in candidates], signals, vectors))
    return questions


def key_facts(questions: Sequence[Question], weights: EvidenceWeights) -> np.ndarray:
    """Mean key facts held by the first 1 / 2 / 5 items the weights choose."""
    rows = []
    for q in questions:
        if not q.texts:
            rows.append([0.0] * len(DEPTHS))
            continue
        order = diverse_order(weights.combine(q.signals), q.vectors, weights.diversity, min(max(DEPTHS), len(q.texts)))
        texts = [q.texts[i] for i in order]
        rows.append([metrics.key_fact_score(q.key_facts, "\n".join(texts[:k])) for k in DEPTHS])
    return np.asarray(rows).mean(axis=0)


def read_all(args: argparse.Namespace) -> dict[str, list[Question]]:
    """The candidates of every set, the pipeline run on fresh indexes."""
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    data: dict[str, list[Question]] = {}
    with tempfile.TemporaryDirectory(prefix="quellen-evidence-") as tmp:
        common = {"answerability": "off"}
        assistant = build_assistant(Settings(state_dir=Path(tmp) / "corpus", **common))
        assistant.library.ensure_ingested()
        for split in ("dev", "test"):
            cases = [c for c in corpus_cases(DEFAULT_SET, corpus, split) if c.answerable]
            data[f"corpus {split}"] = read(assistant, cases)
        if args.xquad:
            documents = Path(tmp) / "xquad-docs"
            xquad_documents(args.xquad, documents)
            other = build_assistant(
                Settings(state_dir=Path(tmp) / "xquad", corpus_dir=documents, collection="xquad", **common)
            )
            other.library.ensure_ingested()
            sample = [c for c in unseen(xquad_cases(args.xquad), "xquad", args.xquad_sample) if c.answerable]
            data["xquad dev"], data["xquad test"] = read(other, sample[0::2]), read(other, sample[1::2])
    return data


def save(data: dict[str, list[Question]], path: Path) -> None:
    """Every set's candidates, signals and vectors in one ``.npz`` (reading them costs ~25 min, weighing seconds)."""
    arrays: dict[str, np.ndarray] = {}
    index = []
    for name, questions in data.items():
        for q in questions:
            key = f"{len(index)}"
            index.append({"set": name, "key_facts": q.key_facts, "texts": q.texts, "signals": list(q.signals)})
            arrays[f"{key}.vectors"] = q.vectors
            for signal, values in q.signals.items():
                arrays[f"{key}.{signal}"] = values
    np.savez_compressed(path, index=np.asarray(json.dumps(index)), **arrays)


def load(path: Path) -> dict[str, list[Question]]:
    """What :func:`save` wrote."""
    data: dict[str, list[Question]] = {}
    with np.load(path) as stored:
        for key, entry in enumerate(json.loads(str(stored["index"]))):
            signals = {name: stored[f"{key}.{name}"] for name in entry["signals"]}
            question = Question(entry["key_facts"], entry["texts"], signals, stored[f"{key}.vectors"])
            data.setdefault(entry["set"], []).append(question)
    return data


def objective(results: dict[str, np.ndarray]) -> float:
    """The mean of kf@1 and kf@2 over the development sets, each set counting the same."""
    columns = [DEPTHS.index(k) for k in CHOSEN_BY]
    return float(np.mean([results[name][columns].mean() for name in results if name.endswith("dev")]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--xquad", type=Path, help="XQuAD folder (e.g. ../shared/data/xquad)")
    parser.add_argument("--xquad-sample", type=int, default=300, help="XQuAD questions (half dev, half test)")
    parser.add_argument("--fit", action="store_true", help="write the best weights (to --out)")
    parser.add_argument(
        "--out", type=Path, default=WEIGHTS_FILE, help=f"where --fit writes (default the packaged {WEIGHTS_FILE.name})"
    )
    parser.add_argument("--top", type=int, default=10, help="grid rows printed besides the packaged weights")
    parser.add_argument("--save", type=Path, help="write the candidates and signals read to this .npz file")
    parser.add_argument("--load", type=Path, help="weigh candidates saved earlier (no pipeline run)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    data = load(args.load) if args.load else read_all(args)
    if args.save:
        save(data, args.save)
    packaged = EvidenceWeights.load()
    grid = [EvidenceWeights(**dict(zip(GRID, values, strict=True))) for values in itertools.product(*GRID.values())]
    scored = []
    for weights in [packaged, *grid]:
        results = {name: key_facts(questions, weights) for name, questions in data.items()}
        scored.append((objective(results), weights, results))
    best = max(scored[1:], key=lambda row: row[0])
    sets = " | ".join(f"{name} ({len(q)}) kf@{'/'.join(map(str, DEPTHS))}" for name, q in data.items())
    print(f"| weights | dev objective | {sets} |")
    print("| --- " * (len(data) + 2) + "|")
    shown = [("packaged", scored[0]), ("best", best)]
    shown += [("", row) for row in sorted(scored[1:], key=lambda r: -r[0])[: args.top] if row is not best]
    for label, (value, weights, results) in shown:
        named = ", ".join(f"{k} {v:g}" for k, v in asdict(weights).items() if k not in ("cosine", "rank"))
        cells = " | ".join("/".join(f"{x:.3f}" for x in results[name]) for name in data)
        print(f"| {label} {named} | {value:.3f} | {cells} |")
    if args.fit:
        args.out.write_text(json.dumps(asdict(best[1])) + "\n", encoding="utf-8")
        print(f"written: {args.out}")


if __name__ == "__main__":
    main()
