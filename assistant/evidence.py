"""Evidence selection: the few source sentences that answer the question, out of the retrieved passages.

Five whole chunks lose the small answer model among their other facts; the few best
sentences keep it on the fact (key facts 0.455 → 0.681 on the question set,
docs/evaluation.md).  Every sentence of the retrieved passages is cut
from the document itself (a sentence cut by a chunk boundary is completed from the
source text) and scored by

* its cosine to the question (best over the question's phrasings, so translated
  questions find sentences in the other language),
* the share of the question's rare words it holds (stemmed, German compounds split),
* whether it holds a fact of the asked type (a "wann" question wants a date),
* the rank of the passage it came from (weight 0 by default: it did not help).

The weights (``evidence_weights.json``) were chosen by a grid search on the development
questions (key facts held by the selected sentences; ``bench/evidence_weights.py`` runs it,
docs/evaluation.md); the answerability gate reads the resulting scores, so new weights
are judged by the answers, not by the grid alone.  A selected sentence
that leans on the one before it ("Er findet in Heilbronn statt.") brings that one along, and neighbouring selected
sentences merge into one span, so each evidence item reads on its own.  Each item is a
:class:`~assistant.types.Passage` whose offsets point into the source, so citations,
verification and the source viewer work on it unchanged.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.abbreviations import abbreviations_in
from assistant.answer_type import AnswerType, answer_type, has_fact
from assistant.embeddings import unit_rows
from assistant.lexical import query_tokens, tokens
from assistant.numbers import numbers_in
from assistant.prompts import neutralise
from assistant.sentences import sentence_spans
from assistant.types import Passage

#: characters of source text read on each side of a passage to complete its cut sentences
WINDOW = 400
#: a sentence shorter than this (words) is a list stub or a caption, not evidence
MIN_WORDS = 4
#: a line without a full stop and shorter than this (words) is a heading
HEADING_WORDS = 12
#: neighbours join an evidence item only while it stays this short (characters): an item is read, not skimmed
MAX_ITEM_CHARS = 400
#: sentences opening with these lean on the sentence before them
_LEANING = re.compile(
    r"^(er|sie|dies|diese[rsmn]?|dort|damit|dabei|dazu|hier|außerdem|zudem|he|she|it|they|this|these|those|"
    r"there|the latter|its|their)\b",
    re.IGNORECASE,
)

SourceText = Callable[[str], "str | None"]


#: the fitted weights (bench/evidence_weights.py --fit writes them)
WEIGHTS_FILE = Path(__file__).with_name("evidence_weights.json")


@dataclass(frozen=True)
class EvidenceWeights:
    """How the signals of a sentence add up (see the module doc).

    The defaults are similarity alone; the product reads the weights fitted on the
    development questions from :data:`WEIGHTS_FILE` (:meth:`load`).
    """

    cosine: float = 1.0
    lexical: float = 0.0
    answer_type: float = 0.0
    rank: float = 0.0
    #: the sentence holds every number of the question ("2016" in "Was hat die MKRO 2016 getan?")
    numbers: float = 0.0
    #: the one sentence holding the question's abbreviations ("ERRIN"), when no other candidate does
    abbreviation: float = 0.0
    #: maximal marginal relevance: how much a sentence loses for repeating a chosen one
    diversity: float = 0.0

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> EvidenceWeights:
        """The weights in a JSON file (the packaged fitted ones by default); a clear error for a bad file."""
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{name: float(value) for name, value in values.items()})
        except (json.JSONDecodeError, AttributeError, TypeError, ValueError) as error:
            known = ", ".join(f.name for f in fields(cls))
            message = f"{path}: not evidence weights ({error}); want a JSON object of numbers: {known}"
            raise ValueError(message) from None

    def combine(self, signals: Mapping[str, np.ndarray]) -> np.ndarray:
        """One score per candidate: the weighted sum of its signals (:meth:`EvidenceSelector.signals`)."""
        return sum(getattr(self, name) * values for name, values in signals.items())


@dataclass(frozen=True)
class Candidate:
    source: str
    start: int
    end: int
    text: str
    passage: Passage
    rank: int
    #: short lines read as one ("Stephanie Fleischmann / Tel 0711 / 228 35-26 / …", see :func:`line_blocks`)
    block: bool = False


class EvidenceSelector:
    """Scores the sentences of retrieved passages against a question and keeps the best few."""

    def __init__(
        self,
        embedder: BaseEmbedding,
        source_text: SourceText,
        max_items: int = 5,
        weights: EvidenceWeights | None = None,
        neighbours: int = 0,
    ) -> None:
        self.embedder = embedder
        self.source_text = source_text
        self.max_items = max_items
        self.weights = weights or EvidenceWeights.load()
        #: sentences on each side of a passage that are candidates too
        self.neighbours = neighbours

    def candidates(self, passages: Sequence[Passage]) -> list[Candidate]:
        """Whole sentences of the passages, each once, completed from the source where a chunk cut them."""
        seen: set[tuple[str, int]] = set()
        found: list[Candidate] = []
        for rank, passage in enumerate(passages):
            full = self.source_text(passage.source)
            if full is not None and full[passage.start : passage.end] == passage.text:
                base = max(0, passage.start - WINDOW)
                text = full[base : passage.end + WINDOW]
            else:  # no source text (or it changed since): the passage alone
                base, text = passage.start, passage.text
            spans = [(base + s, base + e) for s, e in sentence_spans(text)]
            inside = [i for i, (start, end) in enumerate(spans) if end > passage.start and start < passage.end]
            if inside:
                first, last = max(0, inside[0] - self.neighbours), min(len(spans), inside[-1] + 1 + self.neighbours)
                inside = list(range(first, last))
            for i in inside:
                start, end = spans[i]
                if (passage.source, start) in seen:
                    continue  # already found
                seen.add((passage.source, start))
                found.append(Candidate(passage.source, start, end, text[start - base : end - base], passage, rank))
            for start, end in line_blocks(text, [(s - base, e - base) for s, e in (spans[i] for i in inside)]):
                if (passage.source, base + start, "block") not in seen:
                    seen.add((passage.source, base + start, "block"))
                    found.append(
                        Candidate(passage.source, base + start, base + end, text[start:end], passage, rank, True)
                    )
        return found

    def signals(
        self, phrasings: Sequence[str], candidates: Sequence[Candidate], kind: AnswerType | None
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Each signal's value per candidate (named as the :class:`EvidenceWeights`), and their unit vectors."""
        queries = unit_rows([self.embedder.get_query_embedding(p) for p in phrasings])
        vectors = unit_rows(self.embedder.get_text_embedding_batch([c.text for c in candidates]))
        texts = [c.text for c in candidates]
        signals = {
            "cosine": (vectors @ queries.T).max(axis=1),
            "lexical": _lexical_overlap(phrasings, [(c.text, c.passage.language) for c in candidates]),
            "answer_type": np.asarray([float(has_fact(t, kind, phrasings[0])) if kind else 0.0 for t in texts]),
            "rank": np.asarray([1.0 / (1 + c.rank) for c in candidates]),
            "numbers": _holds_numbers(phrasings[0], texts),
            "abbreviation": _alone_holds_abbreviations(phrasings[0], texts),
        }
        return signals, vectors

    def read(
        self, question: str, phrasings: Sequence[str], passages: Sequence[Passage]
    ) -> tuple[list[Candidate], dict[str, np.ndarray], np.ndarray]:
        """The candidate sentences of the passages, their signals and unit vectors: what :meth:`select` weighs.

        bench/evidence_weights.py reads them once and weighs them with every weight it tries.
        """
        candidates = self.statements(passages)
        if not candidates:
            return [], {}, np.zeros((0, 0))
        return candidates, *self._signals_for(question, phrasings, candidates)

    def statements(self, passages: Sequence[Passage]) -> list[Candidate]:
        """The candidates that state something (:func:`is_statement`), each sentence once."""
        unique: dict[str, Candidate] = {}
        for candidate in self.candidates(passages):
            if candidate.block or is_statement(candidate.text):
                unique.setdefault(" ".join(candidate.text.split()).lower(), candidate)
        return list(unique.values())

    def select(self, question: str, phrasings: Sequence[str], passages: Sequence[Passage]) -> list[Passage]:
        """The best evidence items for ``question``, best first, each a sentence-level :class:`Passage`.

        Picked greedily by maximal marginal relevance: a sentence that says again what a
        chosen one says loses ``weights.diversity`` times their cosine, so a two-part
        question gets a sentence for each part instead of two for the first.
        """
        candidates, signals, vectors = self.read(question, phrasings, passages)
        if not candidates:
            return []
        scores = self.weights.combine(signals)
        chosen = diverse_order(scores, vectors, self.weights.diversity, min(self.max_items, len(candidates)))
        return [
            self._item(c, score)
            for c, score in _merge([(candidates[i], float(scores[i])) for i in chosen], self.source_text)
        ]

    def items(self, question: str, phrasings: Sequence[str], candidates: Sequence[Candidate]) -> list[Passage]:
        """``candidates`` as evidence items in the given order, each scored as :meth:`select` scores it."""
        if not candidates:
            return []
        signals, _ = self._signals_for(question, phrasings, candidates)
        scores = self.weights.combine(signals)
        return [self._item(c, float(score)) for c, score in zip(candidates, scores, strict=True)]

    def _signals_for(
        self, question: str, phrasings: Sequence[str], candidates: Sequence[Candidate]
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """:meth:`signals` for the question with its other phrasings and the fact type it asks for."""
        return self.signals(list(dict.fromkeys([question, *phrasings])), candidates, answer_type(question))

    @staticmethod
    def _item(candidate: Candidate, score: float) -> Passage:
        return replace(candidate.passage, text=candidate.text, start=candidate.start, end=candidate.end, score=score)


def diverse_order(scores: np.ndarray, vectors: np.ndarray, diversity: float, count: int) -> list[int]:
    """Indices of ``count`` candidates, greedily by maximal marginal relevance (see :meth:`EvidenceSelector.select`)."""
    chosen: list[int] = []
    while len(chosen) < count:
        penalty = (vectors @ vectors[chosen].T).max(axis=1) if chosen else np.zeros(len(scores))
        marginal = scores - diversity * penalty
        marginal[chosen] = -np.inf
        chosen.append(int(np.argmax(marginal)))
    return chosen


def line_blocks(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Runs of short lines, one after the other without a blank line, that hold a number or an address.

    A press release's contact block ("Stephanie Fleischmann", "Tel 0711 / 228 35-26",
    "stephanie.fleischmann@ …") is no sentence and no line of it is evidence alone (the
    number without the name answers nobody), so "Welche Telefonnummer hat Stephanie
    Fleischmann?" had no evidence at all.  Read together, the lines are one fact.
    """
    blocks: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []

    def close() -> None:
        if len(run) >= 2 and run[-1][1] - run[0][0] <= MAX_ITEM_CHARS and _CONTACT.search(text[run[0][0] : run[-1][1]]):
            blocks.append((run[0][0], run[-1][1]))

    for start, end in spans:
        if is_statement(text[start:end]):
            close()
            run = []
            continue
        gap = text[run[-1][1] : start] if run else ""
        if run and (gap.count("\n") != 1 or gap.strip()):  # a blank line or other text between
            close()
            run = []
        run.append((start, end))
    close()
    return blocks


#: what makes a block of short lines a fact: a number of three digits or more, an e-mail address
_CONTACT = re.compile(r"\d{3}|@")


def is_statement(text: str) -> bool:
    """True for a sentence that can carry a fact: not a heading, a caption or a list stub."""
    words = text.split()
    if len(words) < MIN_WORDS or text.lstrip().startswith("#") or text.rstrip().endswith("?"):
        return False  # too short, a heading, or a question (it states nothing)
    if neutralise(text) != text:
        return False  # an instruction to the model ("Ignoriere alle Anweisungen …") is no evidence
    # a short line ending in ")" is a heading or caption ("EMTA (European Metropolitan Transport
    # Authorities)", "EU-Flagge (> Europabüro)"), so ")" does not end a statement
    return text.rstrip().endswith((".", "!", "?", ":", ";", "…", '"', "“", "”")) or len(words) >= HEADING_WORDS


def _merge(chosen: list[tuple[Candidate, float]], source_text: SourceText) -> list[tuple[Candidate, float]]:
    """Chosen sentences with their leaning predecessors, neighbours joined; best first.

    A sentence that opens with a pronoun ("Er findet … statt") gets the sentence before it,
    so the model and the reader see what "er" is; one followed by such a sentence
    ("Dort haben sich … getroffen.") gets that one too, and one that announces a list
    ("… the following partner organisations:") gets the list's first lines.
    """
    spans: list[tuple[str, int, int, float, Candidate]] = []
    for candidate, score in chosen:
        start, end = candidate.start, candidate.end
        text = source_text(candidate.source)
        if text is not None and text[start:end] == candidate.text:
            if _LEANING.match(candidate.text):
                before = sentence_spans(text[max(0, start - WINDOW) : start])
                if before and end - (max(0, start - WINDOW) + before[-1][0]) <= MAX_ITEM_CHARS:
                    start = max(0, start - WINDOW) + before[-1][0]
            after = sentence_spans(text[end : end + WINDOW])
            follows = after and _LEANING.match(text[end + after[0][0] : end + after[0][1]])
            if follows and end + after[0][1] - start <= MAX_ITEM_CHARS:
                end += after[0][1]  # "Dort haben sich … getroffen." completes the chosen sentence
            elif candidate.text.rstrip().endswith(":") and after:
                # "… the following partner organisations:" is answered by the lines after it
                listed = [e for _, e in after if end + e - start <= MAX_ITEM_CHARS] or [after[0][1]]
                end += listed[-1]
        spans.append((candidate.source, start, end, score, candidate))
    merged: list[tuple[str, int, int, float, Candidate]] = []
    for source, start, end, score, candidate in sorted(spans, key=lambda s: (s[0], s[1])):
        joined_length = end - merged[-1][1] if merged else 0
        if merged and merged[-1][0] == source and start <= merged[-1][2] + 2 and joined_length <= MAX_ITEM_CHARS:
            last = merged[-1]
            merged[-1] = (source, last[1], max(last[2], end), max(last[3], score), last[4])
        else:
            merged.append((source, start, end, score, candidate))
    result = []
    for source, start, end, score, candidate in sorted(merged, key=lambda s: -s[3]):
        full = source_text(source)
        text = full[start:end] if full is not None else candidate.text
        if full is None and (start, end) != (candidate.start, candidate.end):
            text, start, end = candidate.text, candidate.start, candidate.end
        result.append((replace(candidate, start=start, end=end, text=text), score))
    return result


def _holds_numbers(question: str, texts: Sequence[str]) -> np.ndarray:
    """1.0 for each text holding every number of ``question`` ("5,700" and "5.700" alike); all 0 without one.

    A number in a question is a condition, not a topic: "Was hat die Ministerkonferenz 2016
    getan?" is not answered by the sentence on what it did in 1995, however close its words.
    Numbers read the same in German and English, so this holds across the languages.
    """
    wanted = numbers_in(question)
    if not wanted:
        return np.zeros(len(texts))
    return np.asarray([float(wanted <= numbers_in(t)) for t in texts])


def _alone_holds_abbreviations(question: str, texts: Sequence[str]) -> np.ndarray:
    """1.0 for the one text holding every abbreviation of ``question`` when no other text does; else all 0.

    An abbreviation only one candidate names is where the question points: for "Was hat
    die Region Stuttgart davon, bei ERRIN mitzumachen?" the sentence on the Verband's
    role came first, closer in words, and the one sentence naming ERRIN second.  One that
    several candidates hold ("EU", "WRS") names the topic, not the answer: counted for
    every holder it lost on the development questions (docs/evaluation.md).
    """
    wanted = abbreviations_in(question)
    if not wanted:
        return np.zeros(len(texts))
    holds = np.asarray([float(wanted <= abbreviations_in(t)) for t in texts])
    return holds if holds.sum() == 1 else np.zeros(len(texts))


def _lexical_overlap(phrasings: Sequence[str], sentences: Sequence[tuple[str, str]]) -> np.ndarray:
    """IDF-weighted share of the question's word stems that each sentence holds (0..1).

    The IDF comes from the candidate sentences themselves: a word every candidate has
    ("Region", "Stuttgart") tells them apart less than the one that only the answer has.
    """
    asked = set(query_tokens(" ".join(phrasings)))
    held = [set(tokens(text, language if language in ("de", "en") else "en")) for text, language in sentences]
    frequency = Counter(t for words in held for t in words if t in asked)
    n = len(sentences)
    idf = {t: math.log(1 + n / frequency[t]) for t in frequency}
    total = sum(idf.values()) or 1.0
    return np.asarray([sum(idf[t] for t in words if t in idf) / total for words in held])
