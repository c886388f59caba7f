"""The models ``python -m qa.fit`` fits (qa.fit): the linear ranker (with interactions) and abstainer, and
the choices of more capacity ``--model`` picks (ModelChoice): listwise boosted trees, the summary
abstainer, the isotonic calibration."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa import ranking
from qa.fit_data import QuestionData, left_out
from qa.ranking import ABSTAIN_FEATURES, RANK_FEATURES, fit_logistic
from qa.tuning import BOOST_DEPTHS, BOOST_LEAF_L2, BOOST_MAX_TREES, BOOST_MIN_LEAF, BOOST_RATE, BORROWED_WEIGHT
from qa.tuning import FIT_L2 as L2


def fit_ranker(data: list[QuestionData], interactions: bool = False) -> ranking.Logistic:
    """A conditional logit: per question, a softmax over its candidates puts the mass on those holding the answer.

    Only the order within a question matters, which is what answering uses
    (the best passage); a pointwise fit spends itself on the many easy negatives.
    """
    from scipy.optimize import minimize  # fitting only: scipy comes with sentence-transformers

    expand = _with_interactions if interactions else (lambda rows: rows)
    features = RANK_FEATURES + (tuple(f"{a}*{b}" for a, b in INTERACTIONS) if interactions else ())
    groups = [
        (expand(q.rows), q.labels, q.rank_weight)
        for q in data
        if len(q.rows) and q.labels.any() and not q.labels.all() and q.rank_weight > 0
    ]
    stacked = np.vstack([rows for rows, _, _ in groups])
    mean = stacked.mean(axis=0)
    scale = stacked.std(axis=0)
    scale[scale < 1e-9] = 1.0
    standard = [((rows - mean) / scale, labels, weight) for rows, labels, weight in groups]

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        loss = 0.5 * L2 * float(w @ w)
        grad = L2 * w
        for x, positive, weight in standard:
            s = x @ w
            s = s - s.max()
            e = np.exp(s)
            p_all = e / e.sum()
            p_pos = np.where(positive, e, 0.0)
            p_pos = p_pos / p_pos.sum()
            loss -= weight * float(np.log(e[positive].sum()) - np.log(e.sum()))
            grad -= weight * (x.T @ (p_pos - p_all))
        return loss, grad

    sign = [ranking.RANK_SIGNS.get(name, 0) for name in features]
    bounds = [(0.0, None) if s > 0 else (None, 0.0) if s < 0 else (None, None) for s in sign]
    result = minimize(objective, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds)
    linear = ranking.Logistic(features, mean, scale, result.x, 0.0)
    return _Interacting(linear) if interactions else linear


def abstain_rows(
    ranker: ranking.Logistic, data: list[QuestionData], summary: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Each question's abstainer features under ``ranker`` (with SUMMARY_FEATURES after them if ``summary``),
    and whether its best passage holds the answer."""
    rows, labels = [], []
    width = len(ABSTAIN_FEATURES) + (len(SUMMARY_FEATURES) if summary else 0)
    for q in data:
        if not len(q.rows):
            rows.append(np.zeros(width))
            labels.append(False)
            continue
        logits = ranker.logit(q.rows)
        order = np.argsort(-logits, kind="stable")
        row = ranking.abstain_row(logits[order], q.rows[order], q.focus_missing[order], q.facts)
        rows.append(np.concatenate([row, candidate_summary(logits[order], q.rows[order])]) if summary else row)
        labels.append(bool(q.labels[order[0]]))
    return np.vstack(rows), np.array(labels, dtype=bool)


def fit_abstainer(
    rows: np.ndarray,
    labels: np.ndarray,
    data: list[QuestionData],
    choice: ModelChoice | None = None,
    folds_of: dict[str, str] | None = None,
) -> ranking.Logistic:
    """Answer when the best passage holds the answer; abstain when the documents do not.

    An answerable question whose best passage is wrong scores nothing either
    way, so it teaches neither side and is left out. ``folds_of`` (generated_folds): the folder a
    generated question is left out with when the trees' numbers are chosen.
    """
    answerable = np.array([q.answerable for q in data])
    weights = np.array([BORROWED_WEIGHT if q.borrowed else q.weight for q in data])
    keep = labels | ~answerable
    choice = choice or ModelChoice()
    features = ABSTAIN_FEATURES + (SUMMARY_FEATURES if choice.summary else ())
    signs = {**ranking.ABSTAIN_SIGNS, **SUMMARY_SIGNS}
    linear = fit_logistic(rows[keep], labels[keep], features, L2, weights[keep], signs)
    if not choice.abstainer.endswith("trees"):
        return linear
    # Trees fitted to what the regression misses, as many as leaving one folder out of these rows says.
    folds_of = folds_of or {}
    corpora = np.array([folds_of.get(q.corpus, q.corpus) if q.generated else q.corpus for q in data])[keep]
    x, y, w = rows[keep], labels[keep], weights[keep]
    start = linear.logit(x)
    depth, count = _choose_abstainer_boosting(x, y, w, corpora, start)
    trees = export_trees(_boost(x.astype(np.float32), start, depth, count, _pointwise_gradient(y, w)[0]), features)
    return ranking.BoostedRanker(linear, trees)


def fit_platt(logits: np.ndarray, right: np.ndarray, weights=None) -> tuple[float, float]:
    """Platt scaling: (a, b) such that sigmoid(a * logit + b) is the probability of being right."""
    fitted = fit_logistic(logits[:, None], right, ("logit",), l2=1e-3, sample_weight=weights)
    # fit_logistic standardises: fold its mean and scale back into a and b.
    a = float(fitted.weights[0] / fitted.scale[0])
    return a, float(fitted.bias - a * fitted.mean[0])


# -- model choices (--model): a ranker, an abstainer and a calibration of more capacity than the linear ones --


@dataclass(frozen=True)
class ModelChoice:
    """``--model RANKER[/ABSTAINER[/CALIBRATION]]``; each part's kinds are in RANKER_KINDS and so on."""

    ranker: str = "linear"
    abstainer: str = "linear"
    calibration: str = "platt"

    @property
    def summary(self) -> bool:
        """The abstainer also reads SUMMARY_FEATURES (how the candidates' scores spread)."""
        return self.abstainer.startswith("summary")

    @property
    def name(self) -> str:
        return f"{self.ranker}/{self.abstainer}/{self.calibration}"

    @classmethod
    def parse(cls, text: str) -> ModelChoice:
        parts = text.split("/")
        kinds = (RANKER_KINDS, ABSTAINER_KINDS, CALIBRATION_KINDS)
        if len(parts) > 3 or any(p not in k for p, k in zip(parts, kinds, strict=False)):
            raise SystemExit(
                f"qa.fit: --model wants RANKER[/ABSTAINER[/CALIBRATION]] among {'|'.join(RANKER_KINDS)}"
                f" / {'|'.join(ABSTAINER_KINDS)} / {'|'.join(CALIBRATION_KINDS)}; got {text!r}"
            )
        return cls(*parts)


RANKER_KINDS = {
    "linear": "the conditional logit over RANK_FEATURES",
    "interactions": "the same with INTERACTIONS: the strongest features times the kind of passage",
    "trees": "gradient-boosted trees, listwise (a softmax over each question's candidates), from nothing",
    "linear+trees": "the conditional logit, then boosted trees fitted to what it misses",
}
ABSTAINER_KINDS = {
    "linear": "the logistic regression over ABSTAIN_FEATURES",
    "summary": "the same with SUMMARY_FEATURES (entropy of the candidates' softmax, agreement of the signals)",
    "linear+trees": "the logistic regression, then boosted trees fitted to what it misses",
    "summary+trees": "summary, then boosted trees",
}
CALIBRATION_KINDS = {"platt": "Platt scaling of the abstainer's logit", "isotonic": "isotonic regression"}

# Products of the ranker's strongest features with the kind of passage (a heading, a table row, a code block,
# another language, a question): what counts differs with the kind.
INTERACTIONS = tuple(
    (a, b)
    for a in ("type_match", "paragraph_gap", "context_coverage", "paragraph")
    for b in ("heading", "row", "code", "crosslingual", "question")
)


def _with_interactions(rows: np.ndarray) -> np.ndarray:
    index = {name: i for i, name in enumerate(RANK_FEATURES)}
    rows = np.atleast_2d(rows)
    products = [rows[:, index[a]] * rows[:, index[b]] for a, b in INTERACTIONS]
    return np.hstack([rows, np.column_stack(products)])


@dataclass
class _Interacting:
    linear: ranking.Logistic

    @property
    def features(self) -> tuple[str, ...]:
        return self.linear.features

    def logit(self, rows: np.ndarray) -> np.ndarray:
        return self.linear.logit(_with_interactions(rows))


# What the abstainer may read of all the candidates' scores besides the best's and the margin.
SUMMARY_FEATURES = (
    "entropy",  # of the softmax of the ranker's scores: the mass spread over many candidates
    "lexical_agrees",  # the best passage is also BM25's best among the candidates
    "dense_agrees",  # ... and the sentence encoder's
    "semantic_agrees",  # ... and the retrieval model's
)
SUMMARY_SIGNS = {"entropy": -1, "lexical_agrees": +1, "dense_agrees": +1, "semantic_agrees": +1}


def candidate_summary(scores: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """SUMMARY_FEATURES of a question whose candidates (scores, RANK_FEATURES rows) are ranked best first."""
    p = np.exp(scores - scores.max())
    p /= p.sum()
    entropy = float(-(p * np.log(np.maximum(p, 1e-300))).sum())

    def agrees(name: str) -> float:
        column = rows[:, RANK_FEATURES.index(name)]
        return float(column[0] >= column.max())

    return np.array([entropy, agrees("lexical"), agrees("dense"), agrees("semantic")])


def _listwise(data: list[QuestionData], start_ranker=None):
    """The candidates of the questions that teach ranking, stacked: rows (float32, as the trees compare),
    each row's question number, labels, the start scores (``start_ranker``'s logits, else 0) and each row's
    weight: its question's rank_weight, as fit_ranker weighs it (a question of weight 0 is left out)."""
    usable = [q for q in data if len(q.rows) and q.labels.any() and not q.labels.all() and q.rank_weight > 0]
    rows = np.vstack([q.rows for q in usable]).astype(np.float32)
    group = np.concatenate([np.full(len(q.rows), i) for i, q in enumerate(usable)])
    labels = np.concatenate([q.labels for q in usable]).astype(np.float64)
    start = np.concatenate([start_ranker.logit(q.rows) for q in usable]) if start_ranker else np.zeros(len(rows))
    weights = np.concatenate([np.full(len(q.rows), q.rank_weight) for q in usable])
    return rows, group, labels, start, weights


def _listwise_gradient(group: np.ndarray, labels: np.ndarray, weights: np.ndarray):
    """Newton's gradient and hessian of the conditional logit (a softmax per question) at given scores,
    each question's loss weighted by its rows' ``weights``."""
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    target = labels / np.add.reduceat(labels, starts)[group]

    def gradient(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e = np.exp(scores - np.maximum.reduceat(scores, starts)[group])
        p = e / np.add.reduceat(e, starts)[group]
        return weights * (p - target), np.maximum(weights * p * (1 - p), 1e-6)

    def loss(scores: np.ndarray) -> float:
        e = np.exp(scores - np.maximum.reduceat(scores, starts)[group])
        per_question = -np.log(np.add.reduceat(e * labels, starts) / np.add.reduceat(e, starts))
        return float((weights[starts] * per_question).sum())

    return gradient, loss


def _pointwise_gradient(labels: np.ndarray, weights: np.ndarray):
    """The same for a weighted logistic loss (the abstainer)."""
    y = labels.astype(np.float64)

    def gradient(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = ranking.sigmoid(scores)
        return weights * (p - y), np.maximum(weights * p * (1 - p), 1e-6)

    def loss(scores: np.ndarray) -> float:
        return float(weights @ (np.logaddexp(0.0, scores) - y * scores))

    return gradient, loss


def _boost(rows: np.ndarray, start: np.ndarray, depth: int, count: int, gradient) -> list:
    """``count`` regression trees of ``depth``, each a Newton step of the loss from ``start`` (scikit-learn's
    DecisionTreeRegressor, its leaves shrunk by BOOST_LEAF_L2 and BOOST_RATE); the fitted trees, in order."""
    from sklearn.tree import DecisionTreeRegressor  # fitting only: scikit-learn comes with sentence-transformers

    scores, trees = start.astype(np.float64).copy(), []
    for _ in range(count):
        g, h = gradient(scores)
        tree = DecisionTreeRegressor(max_depth=depth, min_samples_leaf=BOOST_MIN_LEAF, random_state=0)
        tree.fit(rows, -g / h, sample_weight=h)
        weight = tree.tree_.weighted_n_node_samples
        # sum(-g) / (sum(h) + l2) at each node: the leaf's Newton step, shrunk towards 0 when little backs it.
        tree.tree_.value[:, 0, 0] *= BOOST_RATE * weight / (weight + BOOST_LEAF_L2)
        scores += tree.predict(rows)
        trees.append(tree)
    return trees


def export_trees(trees: list, features: tuple[str, ...]) -> ranking.Trees:
    """scikit-learn's fitted regression trees as the arrays ranking.Trees evaluates (no pickle)."""
    feature, threshold, left, right, value, roots = [], [], [], [], [], []
    offset = 0
    for tree in trees:
        t = tree.tree_
        leaf = t.children_left == -1
        roots.append(offset)
        feature.append(np.where(leaf, -1, t.feature))
        threshold.append(np.where(leaf, 0.0, t.threshold))
        left.append(np.where(leaf, -1, t.children_left + offset))
        right.append(np.where(leaf, -1, t.children_right + offset))
        value.append(np.where(leaf, t.value[:, 0, 0], 0.0))
        offset += t.node_count
    if not trees:
        empty = np.zeros(0, dtype=np.int64)
        return ranking.Trees(features, empty, np.zeros(0), empty, empty, np.zeros(0), empty)
    return ranking.Trees(
        features,
        np.concatenate(feature).astype(np.int64),
        np.concatenate(threshold),
        np.concatenate(left).astype(np.int64),
        np.concatenate(right).astype(np.int64),
        np.concatenate(value),
        np.array(roots, dtype=np.int64),
    )


def _choose_boosting(folds, depth_choices=BOOST_DEPTHS) -> tuple[int, int]:
    """How deep and how many trees, by the loss summed over ``folds`` (each: training rows, start scores,
    gradient; held-out rows, start scores, loss), the fewest trees among the equally good."""
    best = None
    for depth in depth_choices:
        curve = np.zeros(BOOST_MAX_TREES + 1)
        for rows, start, gradient, held_rows, held_start, loss in folds:
            scores = held_start.astype(np.float64).copy()
            curve[0] += loss(scores)
            for k, tree in enumerate(_boost(rows, start, depth, BOOST_MAX_TREES, gradient), start=1):
                scores += tree.predict(held_rows)
                curve[k] += loss(scores)
        count = int(np.argmin(np.round(curve, 6)))
        if best is None or curve[count] < best[0] - 1e-6:
            best = (float(curve[count]), depth, count)
    return best[1], best[2]


def fit_boosted_ranker(data: list[QuestionData], depth: int, count: int, residual: bool):
    """Listwise boosted trees over RANK_FEATURES, on the linear ranker's logit when ``residual``."""
    linear = fit_ranker(data) if residual else None
    rows, group, labels, start, weights = _listwise(data, linear)
    gradient = _listwise_gradient(group, labels, weights)[0]
    trees = export_trees(_boost(rows, start, depth, count, gradient), RANK_FEATURES)
    zero = np.zeros(len(RANK_FEATURES))
    base = linear or ranking.Logistic(RANK_FEATURES, zero, np.ones(len(RANK_FEATURES)), zero, 0.0)
    return ranking.BoostedRanker(base, trees)


def choose_ranker(choice: ModelChoice, train: list[QuestionData], folds_of=None):
    """The ranker fitter of ``choice``, its numbers (the trees' depth and count) chosen by leaving each of
    the ``train`` folders out in turn (with the generated questions ``folds_of`` puts with it; the loss is
    the folder's own questions'): nothing else is looked at."""
    if choice.ranker == "linear":
        return fit_ranker
    if choice.ranker == "interactions":
        return lambda data: fit_ranker(data, interactions=True)
    residual = choice.ranker == "linear+trees"
    folds = []
    folds_of = folds_of or {}
    for inner in dict.fromkeys(q.corpus for q in train if not q.generated):
        part = [q for q in train if not left_out(q, inner, folds_of)]
        linear = fit_ranker(part) if residual else None
        rows, group, labels, start, weights = _listwise(part, linear)
        held = [q for q in train if q.corpus == inner and not q.generated]
        held_rows, held_group, held_labels, held_start, held_weights = _listwise(held, linear)
        gradient = _listwise_gradient(group, labels, weights)[0]
        loss = _listwise_gradient(held_group, held_labels, held_weights)[1]
        folds.append((rows, start, gradient, held_rows, held_start, loss))
    depth, count = _choose_boosting(folds)

    def fitter(data: list[QuestionData]):
        return fit_boosted_ranker(data, depth, count, residual)

    fitter.chosen = {"depth": depth, "trees": count}
    return fitter


def _choose_abstainer_boosting(rows, labels, weights, corpora, start) -> tuple[int, int]:
    folds = []
    for inner in dict.fromkeys(corpora):
        part, held = corpora != inner, corpora == inner
        gradient = _pointwise_gradient(labels[part], weights[part])[0]
        loss = _pointwise_gradient(labels[held], weights[held])[1]
        folds.append(
            (rows[part].astype(np.float32), start[part], gradient, rows[held].astype(np.float32), start[held], loss)
        )
    return _choose_boosting(folds, depth_choices=(1, 2))


def fit_calibration(choice: ModelChoice, logits: np.ndarray, right: np.ndarray, weights=None):
    """The map of the abstainer's logit to the probability of being right: Platt's (a, b), or the isotonic
    regression's points (logits, probabilities), interpolated between them."""
    if choice.calibration == "platt":
        return fit_platt(logits, right, weights)
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    iso.fit(logits, right.astype(np.float64), sample_weight=weights)
    return (np.asarray(iso.X_thresholds_, dtype=np.float64), np.asarray(iso.y_thresholds_, dtype=np.float64))


def calibrate(mapping, logits: np.ndarray) -> np.ndarray:
    if np.ndim(mapping[0]) == 0:
        return ranking.sigmoid(mapping[0] * np.asarray(logits) + mapping[1])
    return np.interp(logits, mapping[0], mapping[1])
