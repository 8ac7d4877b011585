"""Sentence spans: German dates and abbreviations do not end a sentence; offsets are exact."""

from __future__ import annotations

import itertools
from pathlib import Path

from assistant.sentences import sentence_spans, sentences

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def test_german_dates_and_titles_stay_inside_the_sentence() -> None:
    text = "Am 20. September 2022 findet der Kongress statt. Dr. Walter Rogg sprach. Danach z.B. Kaffee."
    assert sentences(text) == [
        "Am 20. September 2022 findet der Kongress statt.",
        "Dr. Walter Rogg sprach.",
        "Danach z.B. Kaffee.",
    ]


def test_lines_and_bullets_are_separate_sentences() -> None:
    assert sentences("Ansprechpartner:\n\nHelmuth Haag\n- Tel 0711") == [
        "Ansprechpartner:",
        "Helmuth Haag",
        "- Tel 0711",
    ]


def test_spans_are_exact_slices_of_the_corpus() -> None:
    for file in CORPUS.iterdir():
        text = file.read_text(encoding="utf-8")
        spans = sentence_spans(text)
        assert spans and all(text[s:e].strip() == text[s:e] and e > s for s, e in spans)
        assert all(b[0] >= a[1] for a, b in itertools.pairwise(spans))
