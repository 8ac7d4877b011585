"""The labelled citation-check set (``eval/questions/verifier.jsonl``): answer sentences, supported or not.

Issue 14, step 3: sentences from real answers of the local model (the question pipeline
run without the citation check, on the corpus questions and a SQuAD 2.0 sample), each
with the evidence the model was given and a label read from that evidence: *supported*
when the evidence states what the sentence says, *unsupported* when the sentence adds
or changes a fact (an invented name, date, number or relation).  ``bench/verifier.py``
measures how many unsupported sentences the verifier flags and how many supported ones
it flags wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.types import Passage
from eval.questions import QUESTIONS_DIR, QuestionSetError, json_lines

VERIFIER_SET = QUESTIONS_DIR / "verifier.jsonl"
LABELS = ("supported", "unsupported")


@dataclass(frozen=True)
class LabelledSentence:
    """One sentence of a model answer, the evidence it was written from, and whether that evidence supports it."""

    id: str
    split: str
    language: str
    question: str
    sentence: str
    #: evidence numbers the sentence cites (1-based into ``evidence``)
    cited: tuple[int, ...]
    evidence: tuple[Passage, ...]
    label: str

    @property
    def unsupported(self) -> bool:
        return self.label == "unsupported"


def load_verifier_set(path: Path = VERIFIER_SET) -> list[LabelledSentence]:
    """The labelled sentences; a broken line is named in the error."""
    items = []
    for where, raw in json_lines(path):
        try:
            evidence = tuple(
                Passage(
                    source=e["source"], text=e["text"], start=0, end=len(e["text"]), score=0.0, language=e["language"]
                )
                for e in raw["evidence"]
            )
            item = LabelledSentence(
                id=raw["id"],
                split=raw["split"],
                language=raw["language"],
                question=raw["question"],
                sentence=raw["sentence"],
                cited=tuple(raw["cited"]),
                evidence=evidence,
                label=raw["label"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise QuestionSetError(f"{where}: {exc}") from None
        if item.label not in LABELS or item.split not in ("dev", "test"):
            raise QuestionSetError(f"{where}: label {item.label!r}, split {item.split!r}")
        items.append(item)
    return items
