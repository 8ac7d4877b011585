"""Is the finished answer correct according to its quoted sources?  A judgement after the answer.

The answerability gate decides before the answer, from the question and the evidence;
on near misses ("Wann findet der *dritte* Metropolkongress statt?") the model's yes/no
there separates little better than chance (ROC AUC ≈ 0.7), because the evidence is
about the very topic.  Once the model has answered, its answer names the one fact it
claims ("Der dritte Metropolkongress findet am 22. Januar 2019 in Stuttgart statt."),
and whether the quoted sources show *that* is an easier question for the model.
Signals:

* ``qa``: the log-odds of the model's "yes" when asked whether the quoted sentences (the
  first quote and those of the cited evidence) show that the answer to the question is
  correct (:func:`judge_answer`; one short prompt in the citation check's context),
* ``gate``: the answerability gate's probability that the evidence does not answer,
* ``flag``: 1 when the citation check marked a statement of the answer as unsupported.

A logistic regression over them is fitted on the development questions only
(``bench/answer_check.py --fit`` writes ``answer_check.json`` beside this module;
docs/evaluation.md, nineteenth round).  An answer it rejects becomes a refusal that
lists the closest passages (:class:`assistant.answer_stages.CheckAnswer`).

Extractive answers are their quote.  The same question, with the quoted sentence as the
answer and as the source, asks whether that sentence answers the question correctly; a
second regression (``"quote"``), fitted on extractive quotes of the development
questions, reads it with the gate's probability (docs/evaluation.md, twentieth round).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from assistant.citations import MARKER
from assistant.llm import yes_probability
from assistant.logistic import LogisticModel, load_models
from assistant.verification import UNVERIFIED_MARK

MODEL_FILE = Path(__file__).with_name("answer_check.json")
SIGNALS = ["qa", "gate", "flag"]
_SYSTEM = "You check answers to questions. Reply with yes or no only."
#: log-odds are read within these bounds (a probability of exactly 0 or 1 has none)
_CLIP = 1e-4


def answer_text(answer: str) -> str:
    """The answer's words without citation markers and the citation check's marks (the judge reads its own)."""
    for mark in UNVERIFIED_MARK.values():
        answer = answer.replace(f" {mark}", "").replace(mark, "")
    return MARKER.sub("", answer).strip()


def judge_answer(llm: LLM, question: str, answer: str, sources: Sequence[str]) -> float | None:
    """The model's probability of "yes": ``sources`` show that ``answer`` answers ``question`` correctly.

    ``None`` when an endpoint replies neither yes nor no (it did not judge).
    """
    listed = "\n".join(f"- {s.strip()}" for s in sources)
    messages = [
        ChatMessage(role=MessageRole.SYSTEM, content=_SYSTEM),
        ChatMessage(
            role=MessageRole.USER,
            content=f"Sources:\n{listed}\n\nQuestion: {question}\n\nAnswer: {answer_text(answer)}\n\n"
            "Do the sources show that this answer to the question is correct? Reply yes or no.",
        ),
    ]
    return yes_probability(llm, messages, undecided=None)


def log_odds(p: float) -> float:
    p = min(max(p, _CLIP), 1.0 - _CLIP)
    return math.log(p / (1.0 - p))


class AnswerCheck:
    """Rejects answers whose sources do not show them (probability at or above the fitted threshold)."""

    def __init__(self, model: LogisticModel, judge: Callable[[], LLM]) -> None:
        self.model = model
        #: gives the judge model on first use (not when the pipeline is built)
        self.judge = judge

    def probability(
        self, question: str, answer: str, sources: Sequence[str], known: Mapping[str, float | None]
    ) -> float | None:
        """The probability that the answer is not shown by its sources; ``None`` when a signal is missing.

        ``known``: the signals read before (``gate``, ``flag``); without the gate's value
        (the gate off) or the judge's (an endpoint that does not judge) there is nothing
        the model was fitted on, so the answer stands.
        """
        values = dict(known)
        if any(values.get(name) is None for name in self.model.features if name != "qa"):
            return None  # before the judge's prompt: its value could not be used
        if "qa" in self.model.features:
            p = judge_answer(self.judge(), question, answer, sources)
            if p is None:
                return None
            values["qa"] = log_odds(p)
        return self.model.probability({name: float(values[name]) for name in self.model.features})  # type: ignore[arg-type]


def load_answer_check(judge: Callable[[], LLM], path: Path = MODEL_FILE, kind: str = "answer") -> AnswerCheck | None:
    """The fitted check of ``kind`` ("answer": an LLM's answers; "quote": extractive quotes), ``None`` if not fitted."""
    if not path.exists():
        return None
    model = load_models(path, LogisticModel).get(kind)
    return AnswerCheck(model, judge) if model is not None else None
