"""Fits and measures the answerability gate (issue 14): which signals tell answerable from unanswerable?

For every question of the corpus set (development and test halves, and the short
development questions of ``eval/questions/dev-short.jsonl``) and a sample of
SQuAD 2.0 (even and odd positions of a fixed spread), the question pipeline runs up to
the evidence (no gate, no answer) and the signals of :mod:`assistant.answerability` are
read: the passage cosine (today's relevance gate), evidence scores, content-word
coverage, the question's names/numbers/ordinals found in the evidence, the asked fact
type found; with ``--judge`` the local model's pipeline runs (translation included) and
the model's yes-probability that the top evidence states the answer is read as well.

It prints each signal's ROC AUC (low value → unanswerable), the cosine gate's refusal
precision and recall, and two logistic regressions (scikit-learn) fitted on the
development parts only: "search" (no model call) and, with ``--judge``, "judge"; for
each its precision/recall curve on every part.  ``--fit`` writes them to
``assistant/answerability.json``, which the pipeline's gate reads.

``--xquad`` adds answerable XQuAD questions in both languages (German questions are
the ones a gate fitted on English SQuAD 2.0 refuses most).  Neither sample holds a
question the suites answer in their usual runs (xquad ``--limit 100``, squad2
``--limit 200``), so those runs measure the gate on questions it was not fitted on.

``--save`` keeps the signals read, ``--load`` refits from them without running the
pipeline again; ``--out FILE`` writes the fit elsewhere (a gate fitted on questions
about your own documents: setting ``answerability_file``).  Into an existing file
``--fit`` writes only the models ``--refit`` names (default: the judge model): the
search-only model, the fallback when an endpoint does not judge, was not better refitted
with XQuAD (docs/evaluation.md).

    .venv/bin/python bench/answerability.py --squad2 ../shared/data/squad2-dev-half --sample 600
    .venv/bin/python bench/answerability.py --judge --squad2 ../shared/data/squad2-dev-half --sample 160 \
        --xquad ../shared/data/xquad --xquad-sample 80 --save signals.json --fit
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.answerability import (
    MODEL_FILE,
    SEARCH_SIGNALS,
    AnswerabilityModel,
    load_models,
    read_signals,
)
from assistant.answering import evidence_messages
from assistant.config import Settings
from assistant.llm import prefill
from assistant.logistic import fit_logistic, save_models, threshold_for
from assistant.pipeline import Assistant, build_assistant
from assistant.question_pipeline import build_question_pipeline
from assistant.stages import QuestionState
from eval.questions import DEFAULT_SET, SHORT_DEV_SET
from eval.runner import unseen
from eval.suites import Case, corpus_cases, squad2_cases, squad2_documents, xquad_cases, xquad_documents

log = logging.getLogger("bench.answerability")

#: the judge signals the fitted "judge" model uses (each costs one prompt evaluation per question)
JUDGE_FEATURES = ["judge_evidence"]
#: judge signals read for comparison only: the one the gate used before (in a context of its own)
COMPARED = ["judge_joint"]
#: the share of answerable development questions the fitted gate may refuse
FALSE_REFUSALS = 0.10


def read(assistant: Assistant, cases: Sequence[Case], judge: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Signals (:data:`NAMES` order) and "unanswerable" labels of ``cases``, the pipeline run up to the evidence."""
    pipeline = build_question_pipeline(assistant).without(
        "gate-first", "gate", "answerable", "quote", "quote-late", "answer", "verify", "check", "numbers", "compose"
    )
    names = SEARCH_SIGNALS + (JUDGE_FEATURES if judge else [])
    rows, labels = [], []
    for case in cases:
        state = next(s for s in pipeline.run(case.question, case.history) if isinstance(s, QuestionState))
        if judge and assistant.settings.judge_during_answer:
            # as the pipeline asks it: after the answer prompt (the judgement's value moves with
            # the order of evaluation, median 0.018 in the gate's probability; docs/evaluation.md)
            prefill(assistant.judge, evidence_messages(state.query, state.language, state.evidence))
        values = read_signals(
            names,
            state.query,
            state.language,
            state.passages,
            state.evidence,
            assistant.judge if judge else None,
            state.phrasings,
        )
        if judge:  # in the rewrite context, as the gate asked it before: the answer context keeps its prefix
            rewrite = assistant.rewriter.llm if assistant.rewriter is not None else assistant.judge
            values.update(read_signals(COMPARED, state.query, state.language, state.passages, state.evidence, rewrite))
        rows.append([values[n] for n in names + (COMPARED if judge else [])])
        labels.append(not case.answerable)
    return np.asarray(rows), np.asarray(labels)


def refusal_scores(unanswerable: np.ndarray, refused: np.ndarray) -> str:
    """Refusal precision and recall, and how many answerable questions were refused."""
    hits = int((unanswerable & refused).sum())
    precision = hits / refused.sum() if refused.sum() else 0.0
    recall = hits / unanswerable.sum() if unanswerable.sum() else 0.0
    return f"P {precision:.2f} R {recall:.2f} (answerable refused: {int((~unanswerable & refused).sum())})"


def xquad_sample(data_dir: Path, size: int) -> dict[str, list[Case]]:
    """``size`` unseen XQuAD questions (half German, half English), by language and half.

    Split by language, so the tables show what the gate does to German questions on
    their own.
    """
    sample = unseen(xquad_cases(data_dir), "xquad", size)
    return {
        f"xquad {language} {split}": [c for c in part if c.language == language]
        for split, part in (("dev", sample[0::2]), ("test", sample[1::2]))
        for language in ("de", "en")
    }


def save_signals(path: Path, names: Sequence[str], data: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """The signals read, so that a refit does not run the pipeline again."""
    sets = {name: {"x": x.tolist(), "unanswerable": y.tolist()} for name, (x, y) in data.items()}
    path.write_text(json.dumps({"names": list(names), "sets": sets}), encoding="utf-8")


def load_signals(path: Path) -> tuple[list[str], dict[str, tuple[np.ndarray, np.ndarray]]]:
    stored = json.loads(path.read_text(encoding="utf-8"))
    sets = {
        name: (np.asarray(s["x"], dtype=float), np.asarray(s["unanswerable"], dtype=bool))
        for name, s in stored["sets"].items()
    }
    return stored["names"], sets


def auc(y: np.ndarray, score: np.ndarray) -> str:
    """ROC AUC of ``score`` for "unanswerable", or "–" for a set of one kind only (XQuAD: all answerable)."""
    from sklearn.metrics import roc_auc_score

    return f"{roc_auc_score(y, score):.2f}" if 0 < y.sum() < len(y) else "–"


def fit(
    data: dict[str, tuple[np.ndarray, np.ndarray]],
    names: Sequence[str],
    features: Sequence[str],
    false_refusals: float = FALSE_REFUSALS,
) -> AnswerabilityModel:
    """A logistic regression (scikit-learn) over ``features``, fitted on the development sets only.

    The threshold is the lowest that refuses at most :data:`FALSE_REFUSALS` of the
    answerable development questions: every answerable question refused loses its
    answer, and at the threshold with the best F1 the gate refused a third of them.
    """
    columns = [list(names).index(f) for f in features]
    train = [k for k in data if k.endswith("dev")]
    x = np.vstack([data[k][0][:, columns] for k in train])
    y = np.concatenate([data[k][1] for k in train])
    fitted_on = f"{' + '.join(train)}: {len(y)} questions, {int(y.sum())} unanswerable"
    model = fit_logistic(x, y, features, AnswerabilityModel, fitted_on)
    model.threshold = threshold_for(model.probabilities(x), ~y, false_refusals)
    return model


def read_all(args: argparse.Namespace) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Signals of every set, the pipeline run on fresh indexes."""
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    data: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    with tempfile.TemporaryDirectory(prefix="quellen-answerability-") as tmp:
        common = {"llm_backend": "local" if args.judge else "extractive", "answerability": "off"}
        assistant = build_assistant(Settings(state_dir=Path(tmp) / "corpus", **common))
        assistant.library.ensure_ingested()
        for split in ("dev", "test"):
            cases = [c for questions in (DEFAULT_SET, SHORT_DEV_SET) for c in corpus_cases(questions, corpus, split)]
            data[f"corpus {split}"] = read(assistant, cases, args.judge)
        for suite, folder, write_documents in (
            ("squad2", args.squad2, squad2_documents),
            ("xquad", args.xquad, xquad_documents),
        ):
            if not folder:
                continue
            documents = Path(tmp) / f"{suite}-docs"
            write_documents(folder, documents)
            other = build_assistant(
                Settings(state_dir=Path(tmp) / suite, corpus_dir=documents, collection=suite, **common)
            )
            other.library.ensure_ingested()
            if suite == "squad2":
                sample = unseen(squad2_cases(folder), "squad2", args.sample)
                sets = {"squad2 dev": sample[0::2], "squad2 test": sample[1::2]}
            else:
                sets = xquad_sample(folder, args.xquad_sample)
            for name, cases in sets.items():
                data[name] = read(other, cases, args.judge)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad2", type=Path, help="SQuAD 2.0 folder (e.g. ../shared/data/squad2-dev-half)")
    parser.add_argument("--sample", type=int, default=600, help="SQuAD 2.0 questions (half dev, half test)")
    parser.add_argument("--xquad", type=Path, help="XQuAD folder (e.g. ../shared/data/xquad): answerable questions")
    parser.add_argument("--xquad-sample", type=int, default=80, help="XQuAD questions (half dev, half test)")
    parser.add_argument("--judge", action="store_true", help="the local model's pipeline, with its yes/no judge")
    parser.add_argument(
        "--false-refusals",
        type=float,
        default=FALSE_REFUSALS,
        help="share of answerable development questions the fitted gate may refuse",
    )
    parser.add_argument("--save", type=Path, help="write the signals read to this JSON file")
    parser.add_argument("--load", type=Path, help="refit from signals saved earlier (no pipeline run)")
    parser.add_argument("--fit", action="store_true", help="write the fitted models (to --out)")
    parser.add_argument(
        "--out", type=Path, default=MODEL_FILE, help=f"where --fit writes (default the packaged {MODEL_FILE.name})"
    )
    parser.add_argument(
        "--refit",
        nargs="+",
        choices=["judge", "search"],
        default=["judge"],
        help="the models --fit replaces in an existing --out file (the others stay as they are)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    threshold = Settings().relevance_threshold
    if args.load:
        names, data = load_signals(args.load)
    else:
        names = SEARCH_SIGNALS + (JUDGE_FEATURES + COMPARED if args.judge else [])
        data = read_all(args)
        if args.save:
            save_signals(args.save, names, data)
    judged = all(f in names for f in JUDGE_FEATURES)
    print(f"| set | n | unanswerable | {' | '.join(names)} | cosine gate {threshold} |")
    print("| --- " * (len(names) + 4) + "|")
    for name, (x, y) in data.items():
        aucs = " | ".join(auc(y, -x[:, j]) for j in range(len(names)))
        print(f"| {name} | {len(y)} | {int(y.sum())} | {aucs} | {refusal_scores(y, x[:, 0] < threshold)} |")
    models = {"search": fit(data, names, SEARCH_SIGNALS, args.false_refusals)}
    if judged:
        models["judge"] = fit(data, names, SEARCH_SIGNALS + JUDGE_FEATURES, args.false_refusals)
        models["judge (before)"] = fit(data, names, SEARCH_SIGNALS + COMPARED, args.false_refusals)
    for kind, model in models.items():
        columns = [names.index(f) for f in model.features]
        weights = ", ".join(f"{n} {c:+.2f}" for n, c in zip(model.features, model.coef, strict=True))
        print(f"\n**{kind}** model ({model.fitted_on}; {weights}), refusing at ≥ {model.threshold}:\n")
        cuts = (0.3, 0.4, 0.5, 0.6, 0.7)
        print("| set | AUC | at the threshold | " + " | ".join(f"≥ {t}" for t in cuts) + " |")
        print("| --- " * (len(cuts) + 3) + "|")
        for name, (x, y) in data.items():
            p = model.probabilities(x[:, columns])
            curve = " | ".join(refusal_scores(y, p >= t) for t in cuts)
            at = refusal_scores(y, p >= model.threshold)
            print(f"| {name} | {auc(y, p)} | {at} | {curve} |")
    if args.fit:
        fitted = {name: model for name, model in models.items() if name in ("search", "judge")}
        if args.out.is_file():  # replace only the chosen ones: a refit is not better by itself
            stored = load_models(args.out)
            fitted = {**stored, **{name: fitted[name] for name in args.refit if name in fitted}}
        save_models(args.out, fitted)
        print(f"\nwritten: {', '.join(sorted(fitted))} to {args.out.name}")


if __name__ == "__main__":
    main()
