"""Metric functions: pure, small, and tested against hand-computed cases.

Retrieval metrics take the relevance of each ranked result (best first) as booleans:
``hit_at_k``, reciprocal rank and nDCG@k with binary gains, the standard definitions
(nDCG: DCG = sum(rel_i / log2(i + 1)) over ranks i = 1..k, divided by the DCG of the
ideal ranking of ``n_relevant`` relevant items).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence


def hit_at_k(relevant: Sequence[bool], k: int) -> float:
    """1.0 when any of the first ``k`` results is relevant."""
    return 1.0 if any(relevant[:k]) else 0.0


def reciprocal_rank(relevant: Sequence[bool]) -> float:
    """1 / rank of the first relevant result, 0.0 when there is none."""
    for rank, is_relevant in enumerate(relevant, start=1):
        if is_relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(relevant: Sequence[bool], k: int, n_relevant: int) -> float:
    """Binary-gain nDCG@k; ``n_relevant`` is how many relevant items exist in the collection."""
    dcg = sum(1.0 / math.log2(rank + 1) for rank, rel in enumerate(relevant[:k], start=1) if rel)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, n_relevant) + 1))
    return dcg / ideal if ideal > 0 else 0.0


def spans_overlap(a_start: int, a_end: int, b_start: int, b_end: int, min_chars: int = 1) -> bool:
    """True when two character spans share at least ``min_chars`` characters."""
    return min(a_end, b_end) - max(a_start, b_start) >= min_chars


def fact_found(forms: Iterable[str], text: str) -> bool:
    """A key fact is present when any of its surface forms occurs (case-insensitive).

    A form is matched as written, so a stem finds its words ("biotechnolog"), but a form
    that starts or ends with a digit does not match inside a longer number: "50" is not
    in "more than 500" (an answer with the wrong number scored as right before).
    """
    lowered = text.lower()
    return any(_number_bounded(form.lower()).search(lowered) for form in forms)


def _number_bounded(form: str) -> re.Pattern[str]:
    before = r"(?<!\d)" if form[:1].isdigit() else ""
    after = r"(?!\d)" if form[-1:].isdigit() else ""
    return re.compile(before + re.escape(form) + after)


def key_fact_score(key_facts: Sequence[Sequence[str]], text: str) -> float:
    """Share of the key facts found in ``text`` (1.0 when there are none to find)."""
    if not key_facts:
        return 1.0
    return sum(fact_found(forms, text) for forms in key_facts) / len(key_facts)


def precision_recall(predicted: Sequence[bool], actual: Sequence[bool]) -> tuple[float, float]:
    """Precision and recall of the positive class; 1.0 where the denominator is zero."""
    true_positive = sum(p and a for p, a in zip(predicted, actual, strict=True))
    predicted_positive = sum(predicted)
    actual_positive = sum(actual)
    precision = true_positive / predicted_positive if predicted_positive else 1.0
    recall = true_positive / actual_positive if actual_positive else 1.0
    return precision, recall


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.fmean(values) if values else 0.0
