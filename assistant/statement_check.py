"""Does the evidence state what an answer sentence says?  Signals combined by a fitted model.

The support cosine alone (:mod:`assistant.verification`) lets most invented sentences
through: a sentence that recombines the evidence's own words ("Dieser Kongress ist Teil
des Verband Region Stuttgart, der …") is close to it in embedding space.  On the
labelled sentences of ``eval/questions/verifier.jsonl`` it flags 0.21 (dev) / 0.31
(test) of the unsupported ones.  Four signals together do better:

* ``cos``: the best support cosine of the sentence (today's check),
* ``judge``: the model's probability of "yes" when asked whether the three
  best-supporting evidence sentences state everything the sentence says,
* ``new_words``: the share of the sentence's content words in neither the evidence nor
  the question (an invented fact brings words of its own),
* ``missing_names``: capitalised words and numbers of the sentence whose first five
  letters occur nowhere in the evidence (against evidence all in the other language,
  only numbers and abbreviations: :func:`is_name`).

They are combined by a logistic regression fitted on the development half only, its
threshold chosen for at most 10 % false alarms there (``bench/verifier.py --signals
--fit`` writes ``statement_check.json`` beside this module; docs/evaluation.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from llama_index.core.llms import LLM

from assistant.abbreviations import is_abbreviation
from assistant.lexical import tokens
from assistant.logistic import LogisticModel, load_models
from assistant.rerank import ask_yes_no
from assistant.types import Passage

MODEL_FILE = Path(__file__).with_name("statement_check.json")
SIGNALS = ["cos", "judge", "new_words", "missing_names"]
#: how many of the best-supporting evidence items the judge reads
JUDGED = 3
#: tokens of the judge's own context: three whole passages (the ``passages`` pipeline) and a sentence fit
CHECK_CONTEXT = 2048
_SYSTEM = (
    "You check whether a statement is supported by source sentences. The sources may be in German or English. "
    "Reply with yes or no only."
)


def judge_statement(llm: LLM, statement: str, sources: Sequence[str]) -> float:
    """The model's probability of "yes": ``sources`` state everything ``statement`` says."""
    listed = "\n".join(f"- {s.strip()}" for s in sources)
    return ask_yes_no(
        llm,
        _SYSTEM,
        f"Sources:\n{listed}\n\nStatement: {statement}\n\nDo the sources state everything the statement says? "
        "Reply yes or no.",
    )


def best_supporting(support: Sequence[float], count: int = JUDGED) -> list[int]:
    """Indices of the ``count`` evidence items that support a sentence best (``support[j]``: its cosine to item j)."""
    return sorted(range(len(support)), key=lambda j: -support[j])[:count]


def statement_signals(
    statement: str,
    question: str,
    language: str,
    evidence: Sequence[Passage],
    support: Sequence[float],
    judge: LLM | None,
) -> dict[str, float]:
    """The signals of one answer sentence; ``support[j]`` is its support cosine to ``evidence[j]``.

    ``judge`` is only asked when given (it costs one prompt of ~100 tokens).
    """
    best = best_supporting(support)
    judged = judge_statement(judge, statement, [evidence[j].text for j in best]) if judge and evidence else 0.0
    held = {t for e in evidence for t in tokens(e.text, e.language or "en")}
    asked = set(tokens(question, language))
    words = [t for t in tokens(statement, language) if len(t) >= 4]
    new = [t for t in words if t not in held and t not in asked]
    text = " ".join(e.text for e in evidence).lower()
    across = not any((e.language or "en") == language for e in evidence)
    names = [
        w
        for i, w in enumerate(re.findall(r"[\w-]+", statement))
        if i > 0 and is_name(w, across) and w.lower()[:5] not in text
    ]
    return {
        "cos": max(support, default=0.0),
        "judge": judged,
        "new_words": len(new) / max(len(words), 1),
        "missing_names": float(len(names)),
    }


def is_name(word: str, across: bool = False) -> bool:
    """A word the evidence must hold as written: a number, an abbreviation, or (same language) a capitalised word.

    ``across``: the evidence is all in the other language.  Then only numbers and
    abbreviations ("USA", "EFRE", "2021") keep their spelling; a capitalised word is
    translated ("Asien" for "Asia", "Beobachter" for "observers": German capitalises every
    noun), so it cannot be looked up (cross-lingual supported sentences were flagged
    for it: 3 of 6 in the verifier set's test half).
    """
    if any(c.isdigit() for c in word) or is_abbreviation(word):
        return True
    return not across and word[:1].isupper()


class StatementCheck:
    """Flags answer sentences the evidence does not state (probability at or above the fitted threshold)."""

    def __init__(self, model: LogisticModel, judge: Callable[[], LLM] | None) -> None:
        self.model = model
        #: gives the judge model on first use (not when the pipeline is built)
        self.judge = judge

    def unsupported(
        self, statement: str, question: str, language: str, evidence: Sequence[Passage], support: Sequence[float]
    ) -> bool:
        needs_judge = "judge" in self.model.features and self.judge is not None
        judge = self.judge() if needs_judge and self.judge is not None else None
        values = statement_signals(statement, question, language, evidence, support, judge)
        return self.model.probability(values) >= self.model.threshold


def load_check(judge: Callable[[], LLM] | None, path: Path = MODEL_FILE) -> StatementCheck | None:
    """The fitted check, or ``None`` when it was not fitted (the cosine check alone then)."""
    if not path.exists():
        return None
    return StatementCheck(load_models(path, LogisticModel)["check"], judge)
