"""Refit the ranking and abstention model on the development sets: ``python -m qa.fit``.

    .venv/bin/python -m qa.fit [--shared ../shared] [--cache ~/.cache/qa-eval] [--write]

For each development corpus (the seeds, the Python tutorial, the Debian
reference), the index is built or refreshed in ``CACHE/NAME``, every gold
question is retrieved, and each candidate passage gets its features
(qa.ranking.RANK_FEATURES) and a label: it holds an accepted answer, in one of
the question's gold sources, as score.py matches it.

- The ranker is a logistic regression over candidates, each question weighing
  the same whatever its number of candidates.
- The abstainer is a logistic regression over questions: did the best passage
  hold the answer? It is fitted on out-of-fold ranker scores (each corpus
  scored by a ranker fitted on the two others), as a held-out corpus will be.

Cross-validation: fit on two corpora, test on the third, for each of the
three; printed per fold. ``--write`` saves the model fitted on all three to
qa/data/ranker.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa import ranking
from qa.evaluation import contains
from qa.ranking import ABSTAIN_FEATURES, RANK_FEATURES, RankingModel, fit_logistic
from qa.tuning import BORROWED_WEIGHT
from qa.tuning import FIT_L2 as L2

PROJECT = Path(__file__).resolve().parent.parent
CORPORA = {
    "seeds": ("questions.jsonl", None),
    "python-tutorial": ("python-tutorial.jsonl", "eval/corpora/python-tutorial"),
    "debian-reference-fr": ("debian-reference-fr.jsonl", "eval/corpora/debian-reference-fr"),
}


def holds_answer(passage, answers) -> bool:
    """score.py's match: an accepted answer stands in the passage (as written, or as a reader sees it)."""
    return contains(passage.text, answers) or contains(passage.clean, answers)


@dataclass
class QuestionData:
    corpus: str  # the corpus whose index answered it
    answerable: bool
    rows: np.ndarray  # candidates x RANK_FEATURES
    labels: np.ndarray  # candidates: holds the answer
    abstain_inputs: object = None  # (answerer, retrieval, kind, scored) to recompute abstain features
    origin: str = ""  # the corpus the question was written for (another one for a borrowed question)

    @property
    def borrowed(self) -> bool:
        return self.origin != self.corpus


def collect(shared: Path, cache: Path, notice=print) -> list[QuestionData]:
    """Every gold question against its own corpus, and the answerable ones against the other
    corpora too, where the documents do not answer them (borrowed questions: more examples of
    what an unanswered question looks like, for the abstainer only)."""
    from qa.api import Engine

    answerers, gold = {}, {}
    for corpus, (gold_file, folder) in CORPORA.items():
        documents = PROJECT / "seeds" if folder is None else shared / folder
        engine = Engine(index_dir=cache / corpus, documents=[documents], root=documents.parent)
        engine.prepare(notice=lambda m: notice(f"qa.fit: {m}"))
        answerers[corpus] = engine._answerer
        answerers[corpus].model = ranking.neutral()
        gold[corpus] = [
            json.loads(line) for line in open(shared / "eval" / gold_file, encoding="utf-8") if line.strip()
        ]
    out: list[QuestionData] = []
    for corpus, answerer in answerers.items():
        asked = [(corpus, q) for q in gold[corpus]]
        asked += [
            (origin, q) for origin in CORPORA if origin != corpus for q in gold[origin] if q.get("answerable", True)
        ]
        for origin, q in asked:
            retrieval, kind, scored = answerer.featurize(q["question"])
            answerable = origin == corpus and bool(q.get("answerable", True))
            sources = set(q.get("sources", []))
            labels = np.array(
                [
                    answerable
                    and holds_answer(s.candidate.passage, q.get("answers", []))
                    and (not sources or Path(s.candidate.passage.source).name in sources)
                    for s in scored
                ],
                dtype=bool,
            )
            rows = np.vstack([s.features for s in scored]) if scored else np.zeros((0, len(RANK_FEATURES)))
            out.append(QuestionData(corpus, answerable, rows, labels, (answerer, retrieval, kind, scored), origin))
        notice(f"qa.fit: {corpus}: {len(asked)} questions ({len(gold[corpus])} its own)")
    return out


def fit_ranker(data: list[QuestionData]) -> ranking.Logistic:
    """A conditional logit: per question, a softmax over its candidates puts the mass on those holding the answer.

    Only the order within a question matters, which is what answering uses
    (the best passage); a pointwise fit spends itself on the many easy negatives.
    """
    from scipy.optimize import minimize  # fitting only: scipy comes with sentence-transformers

    groups = [(q.rows, q.labels) for q in data if len(q.rows) and q.labels.any() and not q.labels.all()]
    stacked = np.vstack([rows for rows, _ in groups])
    mean = stacked.mean(axis=0)
    scale = stacked.std(axis=0)
    scale[scale < 1e-9] = 1.0
    standard = [((rows - mean) / scale, labels) for rows, labels in groups]

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        loss = 0.5 * L2 * float(w @ w)
        grad = L2 * w
        for x, positive in standard:
            s = x @ w
            s = s - s.max()
            e = np.exp(s)
            p_all = e / e.sum()
            p_pos = np.where(positive, e, 0.0)
            p_pos = p_pos / p_pos.sum()
            loss -= float(np.log(e[positive].sum()) - np.log(e.sum()))
            grad -= x.T @ (p_pos - p_all)
        return loss, grad

    sign = [ranking.RANK_SIGNS.get(name, 0) for name in RANK_FEATURES]
    bounds = [(0.0, None) if s > 0 else (None, 0.0) if s < 0 else (None, None) for s in sign]
    result = minimize(objective, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds)
    return ranking.Logistic(RANK_FEATURES, mean, scale, result.x, 0.0)


def abstain_rows(ranker: ranking.Logistic, data: list[QuestionData]) -> tuple[np.ndarray, np.ndarray]:
    """Each question's abstainer features under ``ranker``, and whether its best passage holds the answer."""
    model = RankingModel(ranker, ranking.neutral().abstainer, {})
    rows, labels = [], []
    for q in data:
        answerer, retrieval, kind, scored = q.abstain_inputs
        if not scored:
            rows.append(np.zeros(len(ABSTAIN_FEATURES)))
            labels.append(False)
            continue
        logits = model.rank_logits(q.rows)
        order = np.argsort(-logits, kind="stable")
        for s, logit in zip(scored, logits, strict=True):
            s.score = float(logit)
        ranked = [scored[i] for i in order]
        rows.append(answerer.abstain_features(retrieval, kind, ranked))
        labels.append(bool(q.labels[order[0]]))
    return np.vstack(rows), np.array(labels, dtype=bool)


def evaluate(model: RankingModel, data: list[QuestionData]) -> dict:
    rows, labels = abstain_rows(model.ranker, data)
    answers = model.abstainer.probability(rows) >= 0.5
    answerable = np.array([q.answerable for q in data])
    correct = np.where(answerable, answers & labels, ~answers)
    reachable = sum(1 for q in data if q.labels.any())
    return {
        "reachable": f"{reachable}/{int(answerable.sum())}",
        "top1": f"{int(labels[answerable].sum())}/{int(answerable.sum())}",
        "answered_right": f"{int((answers & labels)[answerable].sum())}/{int(answerable.sum())}",
        "abstained_right": f"{int((~answers)[~answerable].sum())}/{int((~answerable).sum())}",
        "all": f"{int(correct.sum())}/{len(data)}",
    }


def fit_abstainer(rows: np.ndarray, labels: np.ndarray, data: list[QuestionData]) -> ranking.Logistic:
    """Answer when the best passage holds the answer; abstain when the documents do not.

    An answerable question whose best passage is wrong scores nothing either
    way, so it teaches neither side and is left out.
    """
    answerable = np.array([q.answerable for q in data])
    weights = np.array([BORROWED_WEIGHT if q.borrowed else 1.0 for q in data])
    keep = labels | ~answerable
    return fit_logistic(rows[keep], labels[keep], ABSTAIN_FEATURES, L2, weights[keep], ranking.ABSTAIN_SIGNS)


def fit(data: list[QuestionData]) -> tuple[RankingModel, dict]:
    folds = {}
    own = [q for q in data if not q.borrowed]
    out_of_fold_rows, out_of_fold_labels, out_of_fold_data = [], [], []
    for held_out in CORPORA:
        # Nothing of the held-out corpus is seen: neither its index nor its questions.
        train = [q for q in data if q.corpus != held_out and q.origin != held_out]
        ranker = fit_ranker(train)
        # The abstainer of a fold learns from its training corpora, scored by out-of-fold rankers.
        inner_rows, inner_labels, inner_data = [], [], []
        for inner in CORPORA:
            if inner == held_out:
                continue
            inner_train = [q for q in train if q.corpus != inner and q.origin != inner]
            inner_test = [q for q in train if q.corpus == inner]
            rows, labels = abstain_rows(fit_ranker(inner_train), inner_test)
            inner_rows.append(rows)
            inner_labels.append(labels)
            inner_data += inner_test
        abstainer = fit_abstainer(np.vstack(inner_rows), np.concatenate(inner_labels), inner_data)
        test = [q for q in own if q.corpus == held_out]
        folds[held_out] = evaluate(RankingModel(ranker, abstainer, {}), test)
        held = [q for q in data if q.corpus == held_out]
        rows, labels = abstain_rows(ranker, held)
        out_of_fold_rows.append(rows)
        out_of_fold_labels.append(labels)
        out_of_fold_data += held
    ranker = fit_ranker(data)
    abstainer = fit_abstainer(np.vstack(out_of_fold_rows), np.concatenate(out_of_fold_labels), out_of_fold_data)
    fitted_on = {
        "command": "python -m qa.fit --write",
        "corpora": {c: sum(1 for q in own if q.corpus == c) for c in CORPORA},
        "borrowed_questions": sum(1 for q in data if q.borrowed),
        "cross_validation": folds,
    }
    model = RankingModel(ranker, abstainer, fitted_on)
    fitted_on["in_sample"] = {c: evaluate(model, [q for q in own if q.corpus == c]) for c in CORPORA}
    return model, folds


def _set_tuning(name: str, value: float) -> None:
    """Set a number of qa.tuning, in every qa module that imported it by name too."""
    from qa import tuning

    if not hasattr(tuning, name):
        raise SystemExit(f"qa.fit: qa.tuning has no setting {name}")
    for module_name, module in list(sys.modules.items()):
        if (module_name == "qa" or module_name.startswith("qa.")) and hasattr(module, name):
            setattr(module, name, type(getattr(tuning, name))(value))


def sweep(spec: str, shared: Path, cache: Path) -> int:
    """The folds for each value of one setting: how a set number of qa.tuning is chosen on all
    three corpora at once (``--sweep TRANSLATION_CSLS=0.05,0.1,0.15,0.2``)."""
    name, _, values = spec.partition("=")
    try:
        candidates = [float(v) for v in values.split(",") if v.strip()]
    except ValueError:
        raise SystemExit(f"qa.fit: --sweep wants NAME=V1,V2,...; got {spec!r}") from None
    if not candidates:
        raise SystemExit(f"qa.fit: --sweep wants NAME=V1,V2,...; got {spec!r}")
    from qa import tuning

    kept = getattr(tuning, name, None)
    try:
        for value in candidates:
            _set_tuning(name, value)
            _, folds = fit(collect(shared, cache, notice=lambda m: None))
            right = sum(int(f["all"].split("/")[0]) for f in folds.values())
            asked = sum(int(f["all"].split("/")[1]) for f in folds.values())
            print(
                f"{name}={value:g}: "
                + "  ".join(f"{c} {f['all']}" for c, f in folds.items())
                + f"  sum {right}/{asked}"
            )
    finally:
        if kept is not None:
            _set_tuning(name, kept)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.fit", description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=PROJECT.parent / "shared")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "qa-eval")
    parser.add_argument("--write", action="store_true", help="save the model to qa/data/ranker.json")
    parser.add_argument(
        "--sweep",
        metavar="NAME=V1,V2,...",
        help="refit with each value of a setting of qa.tuning in turn and print the folds (writes nothing)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.sweep:
        return sweep(args.sweep, args.shared, args.cache)
    data = collect(args.shared, args.cache, notice=lambda m: print(m, file=sys.stderr))
    model, folds = fit(data)
    print("cross-validation (fit on two corpora, test on the third):")
    for corpus, figures in folds.items():
        print(f"  {corpus:22s} " + "  ".join(f"{k} {v}" for k, v in figures.items()))
    print("in sample:")
    for corpus, figures in model.fitted_on["in_sample"].items():
        print(f"  {corpus:22s} " + "  ".join(f"{k} {v}" for k, v in figures.items()))
    for name, logistic in (("ranker", model.ranker), ("abstainer", model.abstainer)):
        print(
            f"{name}: " + ", ".join(f"{f} {w:+.2f}" for f, w in zip(logistic.features, logistic.weights, strict=True))
        )
    if args.write:
        path = ranking.default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(model.to_json() + "\n", encoding="utf-8")
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
