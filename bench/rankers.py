"""Which ranker finds the answer-holding passage best on folders it was not fitted on.

    .venv/bin/python bench/rankers.py [--features FILE.npz]

Reads the candidates' features that ``python -m qa.fit --features FILE.npz`` collected (every gold
question of the development folders against its folder's index), and for each kind of ranker runs
the same leave-one-folder-out procedure as qa.fit (ranker, abstainer and threshold fitted without
the folder), printing per folder the answer-holding passage ranked first (top1), the end-to-end
score as qa.fit counts it (all), the pooled expected calibration error of the confidence, and what
the ranker costs per question (the ranking of one question's candidates, median).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from qa.fit import fit, fit_ranker, fold_sum, load_features
from qa.ranking import RANK_FEATURES


class Trees:
    """Gradient-boosted trees over the same features (scikit-learn, pointwise: does the passage hold
    the answer), scored by their log-odds so the abstainer reads them as it reads the linear ranker's."""

    def __init__(self, model):
        self.model = model
        self.features = RANK_FEATURES

    def logit(self, rows: np.ndarray) -> np.ndarray:
        return self.model.decision_function(np.atleast_2d(rows))


def fit_trees(data, **options):
    from sklearn.ensemble import HistGradientBoostingClassifier

    groups = [q for q in data if len(q.rows) and q.labels.any() and not q.labels.all()]
    rows = np.vstack([q.rows for q in groups])
    labels = np.concatenate([q.labels for q in groups])
    # Each question weighs the same whatever its number of candidates, as in the linear fit.
    weights = np.concatenate([np.full(len(q.rows), 1.0 / len(q.rows)) for q in groups])
    model = HistGradientBoostingClassifier(random_state=0, **options)
    model.fit(rows, labels, sample_weight=weights * len(groups))
    return Trees(model)


def per_question_cost(ranker, data) -> float:
    times = []
    for q in data[:200]:
        if not len(q.rows):
            continue
        start = time.perf_counter()
        ranker.logit(q.rows)
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, default=Path.home() / ".cache" / "qa-eval" / "fit-features.npz")
    parser.add_argument("--corpora", help="leave out in turn only these folders (default: every folder collected)")
    args = parser.parse_args(argv)
    data = load_features(args.features)
    if args.corpora:
        chosen = args.corpora.split(",")
        data = [q for q in data if q.corpus in chosen and q.origin in chosen]
    kinds = {
        "linear (shipped)": fit_ranker,
        "trees, depth 3, 100": lambda d: fit_trees(d, max_depth=3, max_iter=100, learning_rate=0.1),
        "trees, depth 2, 50": lambda d: fit_trees(d, max_depth=2, max_iter=50, learning_rate=0.1),
    }
    for name, fit_fn in kinds.items():
        model, folds = fit(data, fit_ranker_fn=fit_fn)
        top = "  ".join(f"{c} {f['top1']}/{f['all']}" for c, f in folds.items())
        right, asked = fold_sum(folds)
        error = model.fitted_on["calibration"]["expected_calibration_error"]
        print(f"{name:28s} {top}  sum {right}/{asked}  ECE {error:.3f}  {per_question_cost(model.ranker, data):.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
