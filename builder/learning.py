"""Small learned models: fitted with scikit-learn by `make train`, shipped and applied as JSON.

A model is a logistic regression over sparse named features (`{"cue_before": 1.0, "word=قال": 1.0}`).
Fitting uses scikit-learn; applying it is a dot product over the shipped weights, so a build never
imports scikit-learn and nothing is unpickled. The weights are rounded and written with sorted
keys, so the same training data gives the same bytes on every run.

Cross-validation swaps the shipped models for fold-fitted ones with `using({...})`; every caller
reads the active model through `model(name)`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources as importlib_resources


Features = Mapping[str, float]
WEIGHT_DIGITS = 6


@dataclass(frozen=True)
class LinearModel:
    """A fitted logistic regression: bias + weights of named features."""

    name: str
    version: str
    bias: float
    weights: Mapping[str, float]
    meta: Mapping[str, object] = field(default_factory=dict)

    def score(self, features: Features) -> float:
        weights = self.weights.get
        # A list, not a generator: the same products summed in the same order, a third faster.
        return self.bias + sum([weights(key, 0.0) * value for key, value in features.items()])

    def probability(self, features: Features) -> float:
        return sigmoid(self.score(features))

    def to_json(self) -> str:
        return json.dumps(
            {"name": self.name, "version": self.version, "bias": self.bias, "meta": dict(self.meta),
             "weights": dict(sorted(self.weights.items()))},
            ensure_ascii=False, indent=0, sort_keys=False,
        ) + "\n"

    @classmethod
    def from_json(cls, data: str) -> LinearModel:
        node = json.loads(data)
        return cls(node["name"], node["version"], float(node["bias"]), dict(node["weights"]), node.get("meta", {}))


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def fit_logistic(name: str, version: str, examples: Iterable[tuple[Features, int]], *, c: float = 1.0,
                 balanced: bool = False, meta: Mapping[str, object] | None = None) -> LinearModel:
    """Fit a logistic regression on (features, 0/1 label) pairs; deterministic (liblinear, fixed seed)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    rows, labels = [], []
    for features, label in examples:
        rows.append(dict(features))
        labels.append(int(label))
    if len(set(labels)) < 2:
        raise ValueError(f"{name}: training needs both labels, got {sorted(set(labels))} over {len(labels)} examples")
    vectorizer = DictVectorizer(sort=True)
    matrix = vectorizer.fit_transform(rows).tocsr()
    # liblinear (pure C, deterministic) takes 32-bit sparse indices only.
    matrix.indices = matrix.indices.astype("int32")
    matrix.indptr = matrix.indptr.astype("int32")
    fitted = LogisticRegression(C=c, solver="liblinear", random_state=0, max_iter=1000,
                                class_weight="balanced" if balanced else None).fit(matrix, labels)
    weights = {
        key: round(float(weight), WEIGHT_DIGITS)
        for key, weight in zip(vectorizer.get_feature_names_out(), fitted.coef_[0])
        if round(float(weight), WEIGHT_DIGITS) != 0.0
    }
    info = {"examples": len(labels), "positives": sum(labels), "c": c, **(meta or {})}
    return LinearModel(name, version, round(float(fitted.intercept_[0]), WEIGHT_DIGITS), weights, info)


# --- the active models -------------------------------------------------------------------------

_overrides: dict[str, LinearModel] = {}


def model_path(name: str):
    return importlib_resources.files("builder") / "resources" / "models" / f"{name}.json"


@cache
def _shipped(name: str) -> LinearModel:
    path = model_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"model {name!r} is missing: {path} (run `make train`)")
    return LinearModel.from_json(path.read_text(encoding="utf-8"))


def model(name: str) -> LinearModel:
    """The model in use under that name: a fold's model during cross-validation, else the shipped one."""
    found = _overrides.get(name)
    return found if found is not None else _shipped(name)


@contextmanager
def using(models: Mapping[str, LinearModel]) -> Iterator[None]:
    """Apply these models instead of the shipped ones inside the block (cross-validation)."""
    saved = dict(_overrides)
    _overrides.update(models)
    try:
        yield
    finally:
        _overrides.clear()
        _overrides.update(saved)


def versions() -> dict[str, str]:
    """Version of every shipped model, for the manifest and the card."""
    folder = importlib_resources.files("builder") / "resources" / "models"
    if not folder.is_dir():
        return {}
    return {entry.name[:-5]: _shipped(entry.name[:-5]).version
            for entry in sorted(folder.iterdir(), key=lambda e: e.name) if entry.name.endswith(".json")}
