"""A fitted logistic regression over named signals, stored as JSON and applied with numpy.

The answerability gate, the instruction guard and the citation check each combine a few
measured signals into one probability.  scikit-learn fits them (``fit_logistic``, called
by the benches on development data only); the stored means, scales and coefficients are
applied here with numpy, so answering a question does not need scikit-learn.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np


@dataclass
class LogisticModel:
    """The probability of the positive class from named signals, and the threshold chosen for it."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    #: act (refuse, withhold, flag) at this probability or above, chosen on development data
    threshold: float
    #: what it was fitted on and how it scored there (for the record)
    fitted_on: str = ""

    def probability(self, values: Mapping[str, float]) -> float:
        x = (np.asarray([values[n] for n in self.features]) - np.asarray(self.mean)) / np.asarray(self.scale)
        z = float(np.dot(x, self.coef) + self.intercept)
        return 1.0 / (1.0 + math.exp(-z))

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Probabilities for the rows of ``x`` (columns in the order of ``features``)."""
        z = ((x - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


Model = TypeVar("Model", bound=LogisticModel)


def load_models(path: Path, kind: type[Model]) -> dict[str, Model]:
    """The named models stored in ``path``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: kind(**fields) for name, fields in data.items()}


def save_models(path: Path, models: Mapping[str, LogisticModel]) -> None:
    path.write_text(json.dumps({k: asdict(m) for k, m in models.items()}, indent=2) + "\n", encoding="utf-8")


def fit_logistic(
    x: np.ndarray, y: np.ndarray, features: Sequence[str], kind: type[Model], fitted_on: str, **options: object
) -> Model:
    """A balanced logistic regression (scikit-learn) on standardised ``x``; threshold 0.5 until the caller picks one."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    regression = LogisticRegression(class_weight="balanced", **options).fit((x - scaler.mean_) / scale, y)
    return kind(
        features=list(features),
        mean=scaler.mean_.tolist(),
        scale=scale.tolist(),
        coef=regression.coef_[0].tolist(),
        intercept=float(regression.intercept_[0]),
        threshold=0.5,
        fitted_on=fitted_on,
    )


def threshold_for(p: np.ndarray, negative: np.ndarray, allowed_share: float) -> float:
    """The lowest threshold at which at most ``allowed_share`` of the ``negative`` rows reach it."""
    allowed = allowed_share * negative.sum()
    return round(float(min(t for t in np.unique(p) if (negative & (p >= t)).sum() <= allowed)), 3)
