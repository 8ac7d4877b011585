"""How well do search signals tell answerable from unanswerable questions? (issue 14, step 2's start)

For every question of the corpus set (development and test halves) and a sample of
SQuAD 2.0 (even and odd positions of a fixed spread), the extractive question pipeline
runs up to the evidence (no gate, no answer), and six signals are read:

* ``pass_cos``: the best passage cosine (what the relevance gate uses today),
* ``ev_best`` / ``ev_top3``: the best evidence sentence's score, the mean of the top 3,
* ``coverage``: the share of the question's content words (stemmed) in the top 3 items,
* ``names_nums``: the share of the question's names, numbers and ordinals ("dritte")
  that occur in the evidence,
* ``type_found``: the asked fact type (a date for "wann") occurs in the evidence.

With ``--judge`` the local model's pipeline runs instead (translation included) and two
more signals are read: ``judge_max``, the model's probability of "yes" that an evidence
sentence answers the question (the best of the top 3), and ``judge_joint``, the same for
the top 3 together in one prompt.

It prints each signal's ROC AUC (low value → unanswerable), the refusal precision and
recall of today's cosine gate, and a logistic regression (scikit-learn) fitted on the
development parts and scored on the test parts.

    .venv/bin/python bench/answerability.py --squad2 ../shared/data/squad2-dev-half --sample 600
    .venv/bin/python bench/answerability.py --judge          # corpus set only: ~10 min on 2 cores
"""

from __future__ import annotations

import argparse
import logging
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.answer_type import asked_types, fact_spans
from assistant.config import Settings
from assistant.lexical import tokens
from assistant.pipeline import Assistant, build_assistant
from assistant.question_pipeline import build_question_pipeline
from assistant.rerank import LlmJudgeReranker, ask_yes_no
from assistant.stages import QuestionState
from eval.questions import DEFAULT_SET
from eval.runner import spread
from eval.suites import Case, corpus_cases, squad2_cases, squad2_documents

log = logging.getLogger("bench.answerability")

SIGNALS = ["pass_cos", "ev_best", "ev_top3", "coverage", "names_nums", "type_found"]
JUDGE_SIGNALS = ["judge_max", "judge_joint"]
_JOINT_SYSTEM = (
    "You check whether sentences from documents answer a question. The sentences may be in German or English. "
    "Reply with yes or no only."
)
_ORDINAL = re.compile(
    r"\b(erste[rnms]?|zweite[rnms]?|dritte[rnms]?|vierte[rnms]?|first|second|third|fourth|fifth)\b", re.I
)


def marks(question: str) -> list[str]:
    """Names (capitalised words after the first), numbers and ordinals of a question."""
    words = re.findall(r"[\w-]+", question)
    found = [w for i, w in enumerate(words) if (i > 0 and w[:1].isupper()) or any(c.isdigit() for c in w)]
    return list(dict.fromkeys(found + _ORDINAL.findall(question)))


def signals(state: QuestionState, language: str) -> list[float]:
    passages, evidence, question = state.passages, state.evidence, state.query
    content = {t for t in tokens(question, language) if len(t) >= 4}
    held: set[str] = set()
    for item in evidence[:3]:
        held |= set(tokens(item.text, item.language))
    text = " ".join(e.text for e in evidence).lower()
    names = marks(question)
    kinds = asked_types(question)
    return [
        max((p.score for p in passages), default=0.0),
        evidence[0].score if evidence else 0.0,
        float(np.mean([e.score for e in evidence[:3]])) if evidence else 0.0,
        len(content & held) / len(content) if content else 1.0,
        sum(n.lower() in text for n in names) / len(names) if names else 1.0,
        float(all(any(fact_spans(e.text, k, question) for e in evidence) for k in kinds)) if kinds else 1.0,
    ]


def judge_signals(assistant: Assistant, state: QuestionState) -> list[float]:
    """The model's yes-probability that the evidence answers: best single item of the top 3, and the 3 together."""
    evidence = state.evidence[:3]
    if not evidence or assistant.llm is None:
        return [0.0, 0.0]
    judge = LlmJudgeReranker(assistant.llm)
    listed = "\n".join(f"- {e.text.strip()}" for e in evidence)
    joint = ask_yes_no(
        assistant.llm,
        _JOINT_SYSTEM,
        f"Question: {state.query}\n\nSentences:\n{listed}\n\n"
        "Do these sentences state the answer to the question? Reply yes or no.",
    )
    return [max(judge.judge(state.query, e) for e in evidence), joint]


def read(assistant: Assistant, cases: Sequence[Case], judge: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Signals and "unanswerable" labels of ``cases``."""
    pipeline = build_question_pipeline(assistant).without(
        "gate-first", "gate", "quote", "quote-late", "answer", "verify", "check", "numbers", "compose"
    )
    rows, labels = [], []
    for case in cases:
        state = next(s for s in pipeline.run(case.question, case.history) if isinstance(s, QuestionState))
        rows.append(signals(state, case.language) + (judge_signals(assistant, state) if judge else []))
        labels.append(not case.answerable)
    return np.asarray(rows), np.asarray(labels)


def refusal_scores(unanswerable: np.ndarray, refused: np.ndarray) -> str:
    hits = int((unanswerable & refused).sum())
    precision = hits / refused.sum() if refused.sum() else 0.0
    recall = hits / unanswerable.sum() if unanswerable.sum() else 0.0
    return f"P {precision:.2f} R {recall:.2f} (answerable refused: {int((~unanswerable & refused).sum())})"


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad2", type=Path, help="SQuAD 2.0 folder (e.g. ../shared/data/squad2-dev-half)")
    parser.add_argument("--sample", type=int, default=600, help="SQuAD 2.0 questions (half dev, half test)")
    parser.add_argument("--judge", action="store_true", help="the local model's pipeline, with its yes/no judge")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    data: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    with tempfile.TemporaryDirectory(prefix="quellen-answerability-") as tmp:
        backend = "local" if args.judge else "extractive"
        assistant = build_assistant(Settings(state_dir=Path(tmp) / "corpus", llm_backend=backend))
        assistant.ensure_ingested()
        threshold = assistant.settings.relevance_threshold
        for split in ("dev", "test"):
            data[f"corpus {split}"] = read(assistant, corpus_cases(DEFAULT_SET, corpus, split), args.judge)
        if args.squad2:
            documents = Path(tmp) / "squad2-docs"
            squad2_documents(args.squad2, documents)
            squad = build_assistant(
                Settings(
                    state_dir=Path(tmp) / "squad2",
                    corpus_dir=documents,
                    llm_backend=backend,
                    collection="squad2",
                )
            )
            squad.ensure_ingested()
            sample = spread(squad2_cases(args.squad2), args.sample)
            data["squad2 dev"] = read(squad, sample[0::2], args.judge)
            data["squad2 test"] = read(squad, sample[1::2], args.judge)
    names = SIGNALS + (JUDGE_SIGNALS if args.judge else [])
    print(f"| set | n | unanswerable | {' | '.join(names)} | cosine gate {threshold} |")
    print("| --- " * (len(names) + 4) + "|")
    for name, (x, y) in data.items():
        aucs = " | ".join(f"{roc_auc_score(y, -x[:, j]):.2f}" for j in range(len(names)))
        print(f"| {name} | {len(y)} | {int(y.sum())} | {aucs} | {refusal_scores(y, x[:, 0] < threshold)} |")
    train = [k for k in data if k.endswith("dev")]
    x = np.vstack([data[k][0] for k in train])
    y = np.concatenate([data[k][1] for k in train])
    model = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced")).fit(x, y)
    print(f"\nlogistic regression fitted on {' + '.join(train)}:")
    print("coefficients: " + ", ".join(f"{n} {c:+.2f}" for n, c in zip(names, model[-1].coef_[0], strict=True)))
    for name, (xt, yt) in data.items():
        p = model.predict_proba(xt)[:, 1]
        cuts = "; ".join(f"refuse at ≥ {t}: {refusal_scores(yt, p >= t)}" for t in (0.5, 0.7))
        print(f"- {name}: AUC {roc_auc_score(yt, p):.2f}; {cuts}")


if __name__ == "__main__":
    main()
