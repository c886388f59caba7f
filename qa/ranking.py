"""Ranking and abstention as one declared, fitted model.

Two logistic regressions over a handful of features, fitted on the development
sets (``python -m qa.fit``, which also prints the cross-validation folds: each
corpus left out of the fit in turn):

- the *ranker* scores each retrieved passage: how likely it holds the answer;
- the *abstainer* decides, from the best passage's features and the ranker's
  margin, whether the documents answer the question at all.

Their weights live in ``qa/data/ranker.json`` with the calibration of the
abstainer's confidence (Platt scaling) and the threshold; nothing here is set by hand.
Features are standardised with the means and scales stored beside the
weights, so the weights are comparable with each other.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from qa.errors import ModelUnavailable, loads_json

# What the ranker sees of one passage (qa.answering computes them).
RANK_FEATURES = (
    "semantic",  # the retrieval model's similarity of the passage in its context
    "paragraph",  # ... of its whole paragraph
    "dense",  # the sentence-transformers model's similarity
    "multilingual",  # the multilingual sentence encoder's similarity
    "semantic_gap",  # semantic minus the best semantic among the candidates
    "paragraph_gap",
    "lexical",  # BM25 relative to the best candidate's
    "coverage",  # share of the question's weighted words the passage matches (across languages)
    "context_coverage",  # ... with its paragraph or section
    "missing_names",  # share of the question's weight in names the passage lacks
    "type_match",  # the passage holds the kind of thing asked for (a date for "when")
    "span_pull",  # ... next to the words of the question (their weight, less with distance)
    "heading",  # the passage is a heading (it stands for its section)
    "row",  # a table row
    "code",  # a code block with its introduction
    "crosslingual",  # the passage is not in the question's language (similarities run lower across languages)
    "question",  # the passage is itself a question (a FAQ's or an article's own)
)
# The direction a feature may push, where it is known before any fitting: a passage more similar
# to the question, covering more of it, holding the kind of thing asked, is never worse; one lacking
# the names the question asks about is never better. A fit on two corpora otherwise picks up what
# merely happens to go with the answer there (measured: with free signs, the ranker fitted on the
# technical corpora weighs missing names positively and finds the answer first for 8 of 30 seed
# questions). Features not listed may go either way.
RANK_SIGNS = {
    "semantic": +1,
    "paragraph": +1,
    "dense": +1,
    "multilingual": +1,
    "lexical": +1,
    "coverage": +1,
    "context_coverage": +1,
    "type_match": +1,
    "span_pull": +1,
    "missing_names": -1,
}

# What the abstainer sees of a question and its best passage.
ABSTAIN_FEATURES = (
    "top_logit",  # the ranker's score of the best passage
    "margin",  # ... minus the second best's
    "top_semantic",
    "semantic_contrast",  # the best passage's semantic similarity above the candidates' mean (corpus-free)
    "top_coverage",
    "top_context_coverage",
    "top_missing_names",
    "top_type_match",
    "typed",  # the question asks for a kind of thing (date, number, name, command…)
    "type_missing",  # ... and the best passage holds none
    "unknown_name",  # the question names something no document mentions
    "focus_missing",  # what the question counts or asks the role of is not in the passage nor its paragraph
    "top_crosslingual",  # the best passage is not in the question's language
    "top_row",  # the best passage is a table row (terse: its similarities run lower)
    "top_code",  # ... a code block with its introduction
)

# The abstainer's known directions, as RANK_SIGNS: a best passage more similar to the question,
# covering more of it, standing further above the others, is never a reason to abstain; a
# question naming what no document mentions, asking for a kind of thing the passage lacks, or
# about something the passage does not speak of, never a reason to answer. Measured: free, the
# fit gave "focus_missing" a positive weight (an unanswerable "which command partitions a new
# disk" answered by a row lacking "disk").
ABSTAIN_SIGNS = {
    "top_logit": +1,
    "margin": +1,
    "top_semantic": +1,
    "semantic_contrast": +1,
    "top_coverage": +1,
    "top_context_coverage": +1,
    "top_type_match": +1,
    "top_missing_names": -1,
    "type_missing": -1,
    "unknown_name": -1,
    "focus_missing": -1,
}

# What the abstainer reads of the question alone (qa.answering.Answerer.question_facts).
QUESTION_FACTS = ("typed", "unknown_name")

# The version of what RANK_FEATURES and QUESTION_FACTS measure. Bump it with any change to how one is computed
# (qa.answering) that keeps its name: features that qa.fit saved (--features FILE.npz) under another version
# are refused, since a fit on them would weigh numbers today's code no longer gives. A change of the names
# themselves is caught by the fingerprint without a bump.
FEATURES_VERSION = 1


def features_fingerprint() -> str:
    """What features saved by qa.fit must carry to be read again: FEATURES_VERSION and a hash of the feature names."""
    names = json.dumps([list(RANK_FEATURES), list(QUESTION_FACTS)]).encode()
    return f"{FEATURES_VERSION}:{hashlib.sha256(names).hexdigest()[:16]}"


def abstain_row(scores: np.ndarray, rows: np.ndarray, focus_missing: np.ndarray, facts: dict[str, float]) -> np.ndarray:
    """ABSTAIN_FEATURES of a question whose candidates are ranked best first: their ranker scores,
    their RANK_FEATURES rows, whether each lacks the question's focus (were it the best), and the
    question's own facts (QUESTION_FACTS). Numbers only, so that a fit can replay it under any ranker."""
    best = rows[0]
    second = scores[1] if len(scores) > 1 else scores[0] - 10.0
    f = {name: best[i] for i, name in enumerate(RANK_FEATURES)}
    semantic, crosslingual = RANK_FEATURES.index("semantic"), RANK_FEATURES.index("crosslingual")
    # The candidates' mean semantic similarity, among those in the best passage's language
    # (similarities run lower across languages: a French passage is set against French ones).
    alike = rows[rows[:, crosslingual] == best[crosslingual], semantic]
    values = {
        "top_logit": scores[0],
        "margin": scores[0] - second,
        "top_semantic": f["semantic"],
        "semantic_contrast": f["semantic"] - float(np.mean(alike)),
        "top_coverage": f["coverage"],
        "top_context_coverage": f["context_coverage"],
        "top_missing_names": f["missing_names"],
        "top_type_match": f["type_match"],
        "typed": facts["typed"],
        "type_missing": float(bool(facts["typed"]) and not f["type_match"]),
        "unknown_name": facts["unknown_name"],
        "focus_missing": focus_missing[0],
        "top_crosslingual": f["crosslingual"],
        "top_row": f["row"],
        "top_code": f["code"],
    }
    return np.array([values[name] for name in ABSTAIN_FEATURES], dtype=np.float64)


DATA_FILE = "ranker.json"


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, its argument clipped so that no exp overflows."""
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50.0, 50.0)))


@dataclass
class Logistic:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logit(self, rows: np.ndarray) -> np.ndarray:
        rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
        return ((rows - self.mean) / self.scale) @ self.weights + self.bias

    def probability(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(rows)))

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "mean": [round(float(x), 6) for x in self.mean],
            "scale": [round(float(x), 6) for x in self.scale],
            "weights": [round(float(x), 6) for x in self.weights],
            "bias": round(float(self.bias), 6),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Logistic:
        return cls(
            tuple(data["features"]),
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["scale"], dtype=np.float64),
            np.asarray(data["weights"], dtype=np.float64),
            float(data["bias"]),
        )


def fit_logistic(
    rows: np.ndarray,
    labels: np.ndarray,
    features: tuple[str, ...],
    l2: float = 1.0,
    sample_weight=None,
    signs: dict[str, int] | None = None,
) -> Logistic:
    """L2-regularised logistic regression (numpy; a few dozen features at most).

    ``signs`` bounds the weight of a feature to one direction (+1 or -1), as
    RANK_SIGNS and ABSTAIN_SIGNS declare; the others are free. Unbounded, it is
    solved by Newton's method; bounded, by L-BFGS-B (scipy, at fitting time only).
    """
    x = np.asarray(rows, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    w_sample = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    mean = x.mean(axis=0) if len(x) else np.zeros(x.shape[1])
    scale = x.std(axis=0) if len(x) else np.ones(x.shape[1])
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # the bias is not shrunk
    if signs:
        from scipy.optimize import minimize

        def objective(b: np.ndarray) -> tuple[float, np.ndarray]:
            t = z @ b
            loss = float(w_sample @ (np.logaddexp(0.0, t) - y * t)) + 0.5 * float(penalty @ (b * b))
            p = 1.0 / (1.0 + np.exp(-t))
            return loss, z.T @ (w_sample * (p - y)) + penalty * b

        direction = [signs.get(name, 0) for name in features] + [0]
        bounds = [(0.0, None) if d > 0 else (None, 0.0) if d < 0 else (None, None) for d in direction]
        beta = minimize(objective, beta, jac=True, method="L-BFGS-B", bounds=bounds).x
        return Logistic(features, mean, scale, beta[:-1], float(beta[-1]))
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        gradient = z.T @ (w_sample * (p - y)) + penalty * beta
        hessian = (z * (w_sample * p * (1 - p))[:, None]).T @ z + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return Logistic(features, mean, scale, beta[:-1], float(beta[-1]))


@dataclass
class Trees:
    """Regression trees whose leaf values add up to a logit (gradient boosting, fitted by qa.fit), evaluated
    here in numpy: each node splits on ``rows[:, feature] <= threshold`` (compared in float32, as scikit-learn
    compares), left and right are node numbers (-1 at a leaf, whose ``value`` is the shrunk leaf value), and
    ``roots`` holds the first node of each tree. All trees are walked at once, one level a step."""

    features: tuple[str, ...]
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    roots: np.ndarray

    def __post_init__(self) -> None:
        self.depth = self._check()

    def _check(self) -> int:
        """The deepest path; ValueError when the arrays are not trees over ``features``."""
        nodes = len(self.feature)
        if {len(self.threshold), len(self.left), len(self.right), len(self.value)} != {nodes}:
            raise ValueError("the trees' arrays differ in length")
        if not (np.isfinite(self.threshold).all() and np.isfinite(self.value).all()):
            raise ValueError("the trees hold a number that is not finite")
        inner = self.feature >= 0
        if (self.feature >= len(self.features)).any() or (self.feature < -1).any():
            raise ValueError("a tree splits on a feature it does not have")
        index = np.arange(nodes)
        # Children come after their parent: the walk ends, whatever the file says.
        for child in (self.left, self.right):
            if (inner & ((child <= index) | (child >= nodes))).any() or (~inner & (child != -1)).any():
                raise ValueError("a tree's node points outside the tree")
        if len(self.roots) and ((self.roots < 0) | (self.roots >= nodes)).any():
            raise ValueError("a tree's root is outside the trees")
        children = np.concatenate([self.left[inner], self.right[inner]])
        if len(children) and np.bincount(children, minlength=nodes).max() > 1:
            raise ValueError("a tree's node has two parents")  # its depth, and so the walk, would be wrong
        depth = np.zeros(nodes, dtype=np.int64)
        for i in range(nodes):
            if inner[i]:
                depth[self.left[i]] = depth[self.right[i]] = depth[i] + 1
        return int(depth.max()) if nodes else 0

    def logit(self, rows: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(rows, dtype=np.float64)).astype(np.float32)
        if not len(self.roots):
            return np.zeros(len(x))
        node = np.repeat(self.roots[None, :], len(x), axis=0)
        for _ in range(self.depth):
            split = self.feature[node]
            inner = split >= 0
            seen = np.take_along_axis(x, np.where(inner, split, 0), axis=1)
            step = np.where(seen <= self.threshold[node], self.left[node], self.right[node])
            node = np.where(inner, step, node)
        return self.value[node].sum(axis=1)

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "feature": self.feature.tolist(),
            "threshold": [float(x) for x in self.threshold],  # exact: a split sits between two float32 values
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "value": [float(x) for x in self.value],
            "roots": self.roots.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Trees:
        def integers(name: str) -> np.ndarray:
            values = np.asarray(data[name])
            if values.size and values.dtype.kind != "i":
                raise ValueError(f"the trees' {name} are not whole numbers")
            return values.astype(np.int64).reshape(-1)

        return cls(
            tuple(data["features"]),
            integers("feature"),
            np.asarray(data["threshold"], dtype=np.float64).reshape(-1),
            integers("left"),
            integers("right"),
            np.asarray(data["value"], dtype=np.float64).reshape(-1),
            integers("roots"),
        )


@dataclass
class BoostedRanker:
    """The linear ranker plus trees fitted to what it misses (its logit is where boosting starts)."""

    linear: Logistic
    trees: Trees

    @property
    def features(self) -> tuple[str, ...]:
        return self.linear.features

    def logit(self, rows: np.ndarray) -> np.ndarray:
        return self.linear.logit(rows) + self.trees.logit(rows)

    def probability(self, rows: np.ndarray) -> np.ndarray:
        return sigmoid(self.logit(rows))

    def to_dict(self) -> dict:
        return {"kind": "boosted", "linear": self.linear.to_dict(), "trees": self.trees.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> BoostedRanker:
        return cls(Logistic.from_dict(data["linear"]), Trees.from_dict(data["trees"]))


@dataclass
class RankingModel:
    ranker: Logistic
    abstainer: Logistic
    fitted_on: dict  # what it was fitted on, and its cross-validation figures
    # The confidence from which an answer is given: chosen on the folds by qa.fit (choose_threshold).
    threshold: float = 0.5
    # Platt scaling (a, b) of the abstainer's logit into the probability that the answer is right,
    # fitted by qa.fit on out-of-fold confidences; or an isotonic map, two arrays (logits, probabilities).
    calibration: tuple = (1.0, 0.0)

    def rank_logits(self, rows: np.ndarray) -> np.ndarray:
        return self.ranker.logit(rows)

    def answer_probability(self, row: np.ndarray) -> float:
        """The probability that the best passage holds the answer (calibrated: see ``calibration``)."""
        return float(self.answer_probabilities(row)[0])

    def answer_probabilities(self, rows: np.ndarray) -> np.ndarray:
        if np.ndim(self.calibration[0]):  # isotonic: the points (logits, probabilities), interpolated
            return np.interp(self.abstainer.logit(rows), self.calibration[0], self.calibration[1])
        a, b = self.calibration
        return sigmoid(a * self.abstainer.logit(rows) + b)

    def to_json(self) -> str:
        return json.dumps(
            {
                "ranker": self.ranker.to_dict(),
                "abstainer": self.abstainer.to_dict(),
                "threshold": round(float(self.threshold), 6),
                "calibration": (
                    {"logits": self.calibration[0].tolist(), "probabilities": self.calibration[1].tolist()}
                    if np.ndim(self.calibration[0])
                    else [round(float(x), 6) for x in self.calibration]
                ),
                "fitted_on": self.fitted_on,
            },
            indent=1,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> RankingModel:
        """The model a data file holds; ValueError when it is not one fitted on today's features."""
        try:
            data = loads_json(text)
            model = cls(
                _part_from_dict(data["ranker"]),
                _part_from_dict(data["abstainer"]),
                data["fitted_on"],
                float(data["threshold"]),
                _calibration_from_json(data["calibration"]),
            )
            if len(model.calibration) != 2:
                raise ValueError("calibration needs two numbers")
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a ranking model ({type(exc).__name__}: {exc})") from None
        if model.ranker.features != RANK_FEATURES or model.abstainer.features != ABSTAIN_FEATURES:
            raise ValueError("the ranking model was fitted on other features: refit it with `python -m qa.fit`")
        for part in (model.ranker, model.abstainer):
            logistic = getattr(part, "linear", part)
            if getattr(part, "trees", logistic).features != logistic.features:
                raise ValueError("the ranking model's trees read other features: refit it with `python -m qa.fit`")
            sizes = {len(logistic.features), len(logistic.mean), len(logistic.scale), len(logistic.weights)}
            if len(sizes) != 1 or not all(
                np.isfinite(a).all() for a in (logistic.mean, logistic.scale, logistic.weights)
            ):
                raise ValueError("the ranking model's weights are damaged: refit it with `python -m qa.fit --write`")
        if not 0.0 <= model.threshold <= 1.0 or not np.isfinite(model.calibration).all():
            raise ValueError("the ranking model's threshold is not a probability: refit it with `python -m qa.fit`")
        return model


def _part_from_dict(data: dict) -> Logistic | BoostedRanker:
    """The ranker or the abstainer a data file holds: a regression, or one with boosted trees after it."""
    boosted = isinstance(data, dict) and data.get("kind") == "boosted"
    return BoostedRanker.from_dict(data) if boosted else Logistic.from_dict(data)


def _calibration_from_json(data) -> tuple:
    """Platt's [a, b], or an isotonic map {"logits": [...], "probabilities": [...]} (rising logits)."""
    if isinstance(data, dict):
        logits = np.asarray(data["logits"], dtype=np.float64).reshape(-1)
        probabilities = np.asarray(data["probabilities"], dtype=np.float64).reshape(-1)
        if (
            len(logits) != len(probabilities)
            or not len(logits)
            or (np.diff(logits) < 0).any()
            or not ((probabilities >= 0) & (probabilities <= 1)).all()
        ):
            raise ValueError("the isotonic calibration is not a rising map of logits to probabilities")
        return logits, probabilities
    return tuple(float(x) for x in data)


def default_path() -> Path:
    return Path(str(resources.files("qa") / "data" / DATA_FILE))


_loaded: RankingModel | None = None


def load(path: Path | None = None) -> RankingModel:
    """The fitted model shipped with the package (or the one at ``path``).

    A missing, damaged or outdated data file is refused with ModelUnavailable: answering with an
    unfitted model would give answers and confidences that mean nothing.
    """
    global _loaded
    if path is not None:
        return _read(Path(path))
    if _loaded is None:
        _loaded = _read(default_path())
    return _loaded


def _read(path: Path) -> RankingModel:
    try:
        return RankingModel.from_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ModelUnavailable(
            f"cannot load the ranking model {path}: {reason}; reinstall qa, or refit it with `python -m qa.fit --write`"
        ) from None


def neutral() -> RankingModel:
    """Before any fit: rank by the retrieval model alone and answer whenever something was found.

    Used only to collect the features the first fit needs.
    """
    rank_weights = np.zeros(len(RANK_FEATURES))
    rank_weights[RANK_FEATURES.index("semantic")] = 1.0
    abstain_weights = np.zeros(len(ABSTAIN_FEATURES))
    return RankingModel(
        Logistic(RANK_FEATURES, np.zeros(len(RANK_FEATURES)), np.ones(len(RANK_FEATURES)), rank_weights, 0.0),
        Logistic(
            ABSTAIN_FEATURES, np.zeros(len(ABSTAIN_FEATURES)), np.ones(len(ABSTAIN_FEATURES)), abstain_weights, math.inf
        ),
        {},
    )
