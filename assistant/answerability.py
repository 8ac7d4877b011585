"""Does the evidence answer the question? Measured signals combined by a fitted model.

Similarity alone does not tell a question the documents answer from a near miss on
their own topics ("Wo findet der *dritte* Metropolkongress statt?" finds the passage on
the second one with the same cosine): over the corpus questions and SQuAD 2.0 the
passage cosine separates answerable from unanswerable questions barely better than
chance (ROC AUC ≈ 0.56, docs/evaluation.md).  What separates them is whether the
evidence *states* the answer, and the model judges that best: one decoding step for
the probability of "yes" (:func:`assistant.llm.yes_probability`).  The search signals
(names, numbers and ordinals of the question found in the evidence, the asked fact
type, word coverage) add to it.

The combination is a logistic regression fitted on the development questions only
(``bench/answerability.py --fit`` writes ``answerability.json`` beside this module,
scikit-learn does the fitting, :mod:`assistant.logistic` applies it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from llama_index.core.llms import LLM

from assistant.answer_type import asked_types, counted_spans, counted_word_stems, fact_spans
from assistant.answering import evidence_judge_messages
from assistant.language import detect_language
from assistant.lexical import tokens
from assistant.llm import yes_probability
from assistant.logistic import LogisticModel
from assistant.logistic import load_models as load_logistic
from assistant.rerank import ask_yes_no
from assistant.types import Passage

MODEL_FILE = Path(__file__).with_name("answerability.json")

_ORDINAL = re.compile(
    r"\b(erste[rnms]?|zweite[rnms]?|dritte[rnms]?|vierte[rnms]?|fünfte[rnms]?|first|second|third|fourth|fifth)\b",
    re.I,
)
_JUDGE_SYSTEM = (
    "You check whether sentences from documents answer a question. The sentences may be in German or English. "
    "Reply with yes or no only."
)
#: how many of the best evidence items the signals look at
TOP = 3


def marks(question: str) -> list[str]:
    """Names (capitalised words after the first), numbers and ordinals of a question: what the evidence must hold."""
    words = re.findall(r"[\w-]+", question)
    # "I" is no name (and as a substring it is found in every text)
    found = [
        w for i, w in enumerate(words) if (i > 0 and w[:1].isupper() and len(w) > 1) or any(c.isdigit() for c in w)
    ]
    return list(dict.fromkeys(found + _ORDINAL.findall(question)))


def judge_joint(llm: LLM, question: str, evidence: Sequence[Passage]) -> float:
    """The model's probability of "yes": the best evidence items, listed together, state the answer."""
    listed = "\n".join(f"- {e.text.strip()}" for e in evidence[:TOP])
    return ask_yes_no(
        llm,
        _JUDGE_SYSTEM,
        f"Question: {question}\n\nSentences:\n{listed}\n\nDo these sentences state the answer to the question? "
        "Reply yes or no.",
    )


def judge_evidence(llm: LLM, question: str, evidence: Sequence[Passage]) -> float | None:
    """The model's probability of "yes": the evidence prompt's sentences state the answer.

    Asked in the answer prompt itself (its system prompt, worked examples, question and
    all evidence items; only the last line differs), so with the answer model as judge
    llama.cpp has evaluated nearly all of it already for the answer that follows.
    ``None`` when an endpoint replies neither yes nor no (it did not judge).
    """
    return yes_probability(llm, evidence_judge_messages(question, evidence), undecided=None)


def search_signals(
    question: str,
    language: str,
    passages: Sequence[Passage],
    evidence: Sequence[Passage],
    phrasings: Sequence[str] = (),
) -> dict:
    """Signals read from the search and the evidence alone (no model call).

    ``count_found``: a count question ("How many members does EMTA have?") is answered by
    a number of the counted thing ("over 50 members"), in the question's words or its
    translation's; any other number in the evidence ("in 2001", "Tel. 0711 …") is not one.
    In a language none of the phrasings is in (the translation was skipped: "Jahren"
    cannot meet "20 years") the counted word cannot be read, so any number counts there.
    """
    content = {t for t in tokens(question, language) if len(t) >= 4}
    held: set[str] = set()
    for item in evidence[:TOP]:
        held |= set(tokens(item.text, item.language))
    text = " ".join(e.text for e in evidence).lower()
    names = marks(question)
    kinds = asked_types(question)
    counted = counted_word_stems([question, *phrasings]) if "number" in kinds else set()
    # which asked fact types each item holds: read once, for type_found and fact_marks
    holds = [[bool(fact_spans(e.text, k, question)) for k in kinds] for e in evidence]
    return {
        "pass_cos": max((p.score for p in passages), default=0.0),
        "ev_best": evidence[0].score if evidence else 0.0,
        "ev_top3": float(np.mean([e.score for e in evidence[:TOP]])) if evidence else 0.0,
        "coverage": len(content & held) / len(content) if content else 1.0,
        "names_nums": sum(n.lower() in text for n in names) / len(names) if names else 1.0,
        "type_found": float(all(any(row[i] for row in holds) for i in range(len(kinds)))),
        "count_found": _count_found(question, language, phrasings, evidence, counted) if counted else 1.0,
        "fact_marks": fact_marks(question, phrasings, [e for e, row in zip(evidence, holds, strict=True) if all(row)]),
    }


def fact_marks(question: str, phrasings: Sequence[str], holding: Sequence[Passage]) -> float:
    """The most of the question's names, numbers and ordinals that one evidence item holds beside the asked fact.

    A near miss has both parts, but in different sentences: "Wann findet der *dritte*
    Metropolkongress statt?" meets a date in the sentence on the first congress and
    "dritte" nowhere, "When did the Verband join EMTA?" meets EMTA in a sentence without a
    date.  The share of :func:`marks` found anywhere in the evidence (``names_nums``) and a
    date found anywhere (``type_found``) both pass; read in the one item that holds the
    asked fact, they do not.  Each phrasing is read with its own marks (a translation's
    names meet the evidence in its language); a phrasing without any is not read.  A
    question that asks for no fact type ("Was ist METREX?") reads every item.
    ``holding`` are the evidence items that hold a fact of every asked type (all items when
    none is asked; :func:`search_signals` reads the types once for this and ``type_found``).
    Measured in docs/evaluation.md (thirteenth round): the best search signal of the gate.
    """
    texts = [item.text.lower() for item in holding]
    if not texts:
        return 0.0
    # a phrasing without names says nothing about them: the translation of "Wie hoch ist die
    # Zugspitze?" came back as "What is the maximum altitude?", which must not pass for an answer
    wanted = [ms for ms in ([m.lower() for m in marks(p)] for p in dict.fromkeys([question, *phrasings])) if ms]
    if not wanted:
        return 1.0
    return max(sum(mark in text for mark in ms) / len(ms) for ms in wanted for text in texts)


def _count_found(
    question: str, language: str, phrasings: Sequence[str], evidence: Sequence[Passage], counted: set[str]
) -> float:
    """1.0 when an evidence item counts the asked thing (see :func:`search_signals`)."""
    readable = {language, *(detect_language(p, language) for p in phrasings)}
    return float(
        any(
            counted_spans(e.text, counted, question)
            if (e.language or language) in readable
            else fact_spans(e.text, "number", question)
            for e in evidence
        )
    )


#: the signals that need the judge model, and how each is read
JUDGE_SIGNALS: dict[str, Callable[[LLM, str, Sequence[Passage]], float | None]] = {
    "judge_joint": judge_joint,
    "judge_evidence": judge_evidence,
}
SEARCH_SIGNALS = [
    "pass_cos",
    "ev_best",
    "ev_top3",
    "coverage",
    "names_nums",
    "type_found",
    "count_found",
    "fact_marks",
]


def read_signals(
    names: Sequence[str],
    question: str,
    language: str,
    passages: Sequence[Passage],
    evidence: Sequence[Passage],
    judge: LLM | None,
    phrasings: Sequence[str] = (),
) -> dict[str, float | None]:
    """The named signals (the judge's only when asked for: each costs one prompt evaluation).

    A judge signal is ``None`` when the judge did not judge (see :func:`judge_evidence`).
    ``phrasings`` are the question's other phrasings (its translation).
    """
    values = search_signals(question, language, passages, evidence, phrasings)
    for name in names:
        if name in JUDGE_SIGNALS:
            if judge is None:
                raise ValueError(f"the signal {name} needs a judge model")
            values[name] = JUDGE_SIGNALS[name](judge, question, evidence) if evidence else 0.0
    return {name: values[name] for name in names}


class AnswerabilityModel(LogisticModel):
    """A logistic regression over named signals: the probability that the evidence does *not* answer."""

    @property
    def needs_judge(self) -> bool:
        return any(name in JUDGE_SIGNALS for name in self.features)

    def unanswerable(self, values: Mapping[str, float]) -> float:
        return self.probability(values)


def load_models(path: Path = MODEL_FILE) -> dict[str, AnswerabilityModel]:
    """The fitted models by name ("judge": with the model's yes/no signals, "search": without)."""
    return load_logistic(path, AnswerabilityModel)
