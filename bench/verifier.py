"""How well does the citation check catch invented sentences? (issue 14, step 3)

Runs the verifier's sentence decision (:meth:`CitationVerifier.unsupported`: no evidence
sentence reaches the support cosine, or a number of the sentence is missing from the
evidence) over the labelled set ``eval/questions/verifier.jsonl`` and prints, per split
and language, the share of *unsupported* sentences it flags (recall, target ≥ 0.8) and
the share of *supported* ones it flags wrongly (false alarms, target ≤ 0.1), for a
range of support thresholds.

With ``--signals`` it also reads candidate signals for a better check and fits a
logistic regression (scikit-learn) on the development half, threshold at ≤ 10 % false
alarms there: ``cos`` (today's best support cosine), ``judge`` (the local model's
probability of "yes, the sources state everything the statement says" for the three
best-supporting evidence sentences; one prompt per sentence), ``new_words`` (share of the
sentence's content words in neither the evidence nor the question) and
``missing_names`` (capitalised words and numbers after the first word whose first five
letters occur nowhere in the evidence), ``unmatched_names`` (the same where capitals
mark names: not a German sentence's nouns beside English evidence);
assistant/statement_check.py reads them.  The
flags of the whole check as the product runs it (``citation_check = "fitted"``) are
the combination with the best development AUC, written by ``--fit``; "cos" alone at 0.4
is the check before.  ``judge_one`` asks the same question with the one best-supporting
evidence item as the only source.

    .venv/bin/python bench/verifier.py
    .venv/bin/python bench/verifier.py --signals      # ~5 min on 2 cores (160 model prompts)
    .venv/bin/python bench/verifier.py --signals --fit   # and write assistant/statement_check.json
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

import numpy as np
from llama_index.core.llms import LLM

from assistant.config import Settings
from assistant.embeddings import load_embedder
from assistant.llm import judge_llm
from assistant.logistic import LogisticModel, fit_logistic, load_models, save_models, threshold_for
from assistant.statement_check import JUDGE_SOURCES, MODEL_FILE, SIGNALS, statement_signals
from assistant.verification import SUPPORT_THRESHOLD, CitationVerifier
from eval.verifier_set import VERIFIER_SET, LabelledSentence, load_verifier_set

log = logging.getLogger("bench.verifier")


def flags(verifier: CitationVerifier, items: Sequence[LabelledSentence]) -> list[bool]:
    """The verifier's verdict "unsupported" for each labelled sentence, against its own evidence."""
    return [verifier.unsupported([item.sentence], item.evidence)[0] for item in items]


def scores(items: Sequence[LabelledSentence], flagged: Sequence[bool]) -> str:
    """Recall on unsupported sentences and false-alarm rate on supported ones."""
    bad = [f for item, f in zip(items, flagged, strict=True) if item.unsupported]
    good = [f for item, f in zip(items, flagged, strict=True) if not item.unsupported]
    recall = sum(bad) / len(bad) if bad else 0.0
    false_alarms = sum(good) / len(good) if good else 0.0
    return f"{recall:.2f} of {len(bad)} / {false_alarms:.2f} of {len(good)}"


def signals(verifier: CitationVerifier, llm: LLM, item: LabelledSentence) -> list[float]:
    """The signals of one labelled sentence (assistant.statement_check), in the order of ``SIGNALS``."""
    support = [s.score for s in verifier.supports([item.sentence], item.evidence)[0]]
    values = statement_signals(item.sentence, item.question, item.language, item.evidence, support, llm)
    return [values[name] for name in SIGNALS]


def fitted_check(verifier: CitationVerifier, items: Sequence[LabelledSentence], write: bool) -> None:
    """Fit the signals on the dev half, print recall / false alarms per part; ``write``: store the full model."""
    from sklearn.metrics import roc_auc_score

    llm = judge_llm(Settings(), None)  # the packaged model, as the check runs it
    x = np.asarray([signals(verifier, llm, item) for item in items])
    y = np.asarray([item.unsupported for item in items])
    dev = np.asarray([item.split == "dev" for item in items])
    print("\n| signals | AUC dev | AUC test | dev: flagged unsupported / supported | test |")
    print("| --- | --- | --- | --- | --- |")

    def row(label: str, model: LogisticModel) -> float:
        """Print the model's row (AUC, flags at its threshold, per half); return its development AUC."""
        p = model.probabilities(x[:, [SIGNALS.index(n) for n in model.features]])
        flagged = p >= model.threshold
        cells = [
            scores([i for i, m in zip(items, part, strict=True) if m], list(flagged[part])) for part in (dev, ~dev)
        ]
        aucs = [roc_auc_score(y[part], p[part]) for part in (dev, ~dev)]
        print(f"| {label} | {aucs[0]:.2f} | {aucs[1]:.2f} | {cells[0]} | {cells[1]} |")
        return float(aucs[0])

    if MODEL_FILE.exists():  # the check the product runs, as packaged (before a --fit replaces it)
        packaged = load_models(MODEL_FILE, LogisticModel)["check"]
        row(f"packaged: {' + '.join(packaged.features)}", packaged)
    chosen: LogisticModel | None = None
    chosen_auc = 0.0
    for names in (
        ["cos"],
        ["judge"],
        ["new_words"],
        ["missing_names"],
        ["unmatched_names"],
        ["judge", "new_words", "missing_names"],
        ["judge", "new_words", "unmatched_names"],
        ["cos", "judge", "new_words", "unmatched_names"],
        ["cos", "judge", "new_words", "missing_names", "unmatched_names"],
        ["judge_one"],
        ["judge_one", "new_words", "missing_names"],
        ["judge_one", "new_words", "unmatched_names"],
        ["cos", "judge_one", "new_words", "unmatched_names"],
        ["cos", "judge_one", "new_words", "missing_names", "unmatched_names"],
        ["judge", "judge_one", "new_words", "missing_names"],
        ["judge", "judge_one", "new_words", "unmatched_names"],
    ):
        columns = [SIGNALS.index(n) for n in names]
        fitted_on = f"{VERIFIER_SET.name} dev: {int(dev.sum())} sentences, {int(y[dev].sum())} unsupported"
        model = fit_logistic(x[dev][:, columns], y[dev], names, LogisticModel, fitted_on)
        model.threshold = threshold_for(model.probabilities(x[dev][:, columns]), ~y[dev], 0.1)
        # one judge prompt per answer sentence at most: two would add seconds to every answer
        one_prompt = sum(name in JUDGE_SOURCES for name in names) <= 1
        dev_auc = row(" + ".join(names) + ("" if one_prompt else " (bench only: two prompts)"), model)
        if one_prompt and (chosen is None or dev_auc > chosen_auc):  # chosen on the development half only
            chosen, chosen_auc = model, dev_auc
    if write and chosen is not None:
        save_models(MODEL_FILE, {"check": chosen})
        print(f"\nwrote {MODEL_FILE.name}: {' + '.join(chosen.features)}, threshold {chosen.threshold}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.3, SUPPORT_THRESHOLD, 0.5, 0.6, 0.7])
    parser.add_argument("--signals", action="store_true", help="candidate signals for a better check, fitted on dev")
    parser.add_argument("--fit", action="store_true", help="with --signals: write the combination best on dev (AUC)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings()
    embedder = load_embedder(settings.embedder, settings.embed_threads, settings.embed_batch_threads)
    items = load_verifier_set(VERIFIER_SET)
    parts = {
        f"{split} {language}": [i for i in items if i.split == split and i.language == language]
        for split in ("dev", "test")
        for language in ("de", "en")
    }
    parts |= {split: [i for i in items if i.split == split] for split in ("dev", "test")}
    print("flagged: share of unsupported sentences / share of supported sentences (n)\n")
    print("| support cosine | " + " | ".join(parts) + " |")
    print("| --- " * (len(parts) + 1) + "|")
    for threshold in args.thresholds:
        verifier = CitationVerifier(embedder, threshold)
        verdicts = dict(zip([i.id for i in items], flags(verifier, items), strict=True))
        row = [scores(part, [verdicts[i.id] for i in part]) for part in parts.values()]
        mark = " (today)" if threshold == SUPPORT_THRESHOLD else ""
        print(f"| {threshold}{mark} | " + " | ".join(row) + " |")
    if args.signals:
        fitted_check(CitationVerifier(embedder), items, args.fit)


if __name__ == "__main__":
    main()
