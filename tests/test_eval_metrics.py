"""Metric functions against cases computed by hand."""

from __future__ import annotations

import math

import pytest

from assistant.types import Passage
from eval import metrics
from eval.questions import Gold
from eval.runner import is_relevant


def test_hit_at_k() -> None:
    ranked = [False, False, True, False]
    assert metrics.hit_at_k(ranked, 1) == 0.0
    assert metrics.hit_at_k(ranked, 2) == 0.0
    assert metrics.hit_at_k(ranked, 3) == 1.0
    assert metrics.hit_at_k([], 5) == 0.0


def test_reciprocal_rank() -> None:
    assert metrics.reciprocal_rank([False, True, True]) == 0.5
    assert metrics.reciprocal_rank([True]) == 1.0
    assert metrics.reciprocal_rank([False, False]) == 0.0


def test_ndcg_by_hand() -> None:
    # one relevant item at rank 3: DCG = 1/log2(4) = 0.5, ideal = 1/log2(2) = 1
    assert metrics.ndcg_at_k([False, False, True], 10, 1) == pytest.approx(0.5)
    # two relevant items at ranks 1 and 3, two exist: DCG = 1 + 0.5, IDCG = 1 + 1/log2(3)
    assert metrics.ndcg_at_k([True, False, True], 10, 2) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    # relevant item beyond k does not count
    assert metrics.ndcg_at_k([False, True], 1, 1) == 0.0
    assert metrics.ndcg_at_k([True, True], 10, 2) == pytest.approx(1.0)


def test_key_facts_match_any_surface_form_case_insensitively() -> None:
    facts = [["Heilbronn"], ["20. September 2022", "September 20, 2022"]]
    assert metrics.key_fact_score(facts, "Er findet am September 20, 2022 in HEILBRONN statt.") == 1.0
    assert metrics.key_fact_score(facts, "Er findet in Heilbronn statt.") == 0.5
    assert metrics.key_fact_score(facts, "Keine Ahnung.") == 0.0
    assert metrics.key_fact_score([], "anything") == 1.0


def test_precision_recall_of_refusals() -> None:
    refused = [True, True, False, False, True]
    unanswerable = [True, False, False, True, True]
    precision, recall = metrics.precision_recall(refused, unanswerable)
    assert precision == pytest.approx(2 / 3) and recall == pytest.approx(2 / 3)
    assert metrics.precision_recall([False, False], [False, False]) == (1.0, 1.0)


def test_percentile_interpolates() -> None:
    assert metrics.percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert metrics.percentile([10], 95) == 10
    assert metrics.percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)
    assert metrics.percentile([], 50) == 0.0


def test_relevance_needs_most_of_the_quote() -> None:
    gold = Gold("a.txt", "x" * 40, start=100)
    passage = Passage("a.txt", "", start=0, end=120, score=0.0)  # holds 20 of 40 characters
    assert is_relevant(passage, gold)
    assert not is_relevant(Passage("a.txt", "", start=0, end=119, score=0.0), gold)
    assert not is_relevant(Passage("b.txt", "", start=0, end=500, score=0.0), gold)
    assert is_relevant(Passage("de/p1.txt", "", 0, 5, 0.0), Gold("de/p1.txt", ""))


def test_ndcg_counts_each_gold_once_even_when_several_chunks_hold_it() -> None:
    from eval.runner import novel_relevance

    gold = Gold("de/p1.txt", "")
    chunks = [Passage("de/p1.txt", "", 0, 300, 0.0), Passage("de/p1.txt", "", 240, 540, 0.0)]
    flags = novel_relevance(chunks, [gold])
    assert flags == [True, False]
    assert metrics.ndcg_at_k(flags, 10, 1) == pytest.approx(1.0)
