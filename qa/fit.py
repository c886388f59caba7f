"""Refit the ranking and abstention model on the development sets: ``python -m qa.fit``.

    .venv/bin/python -m qa.fit [--shared ../shared] [--cache ~/.cache/qa-eval] [--corpora NAME,...]
                               [--features FILE.npz] [--generated DIR] [--model RANKER[/ABSTAINER[/CALIBRATION]],...]
                               [--sweep NAME=V1,...] [--write]

For each development corpus (CORPORA: the seeds, the Python tutorial, the Debian
reference, the LilyPond manual, the LaTeX guides), the index is built or refreshed
in ``CACHE/NAME``, every gold question is retrieved, and each candidate passage
gets its features (qa.ranking.RANK_FEATURES) and a label: it holds an accepted
answer, in one of the question's gold sources, as score.py matches it.
``--features`` keeps what was collected (numpy arrays) to refit in seconds.

- The ranker is a conditional logit over candidates, each question weighing
  the same whatever its number of candidates.
- The abstainer is a logistic regression over questions: did the best passage
  hold the answer? It is fitted on out-of-fold ranker scores (each corpus
  scored by a ranker fitted on the others), as a held-out corpus will be.
- The confidence is the abstainer's logit mapped by Platt scaling fitted on the
  out-of-fold confidences; the answer is given at the abstainer's even odds.

Cross-validation: each corpus is left out in turn (its index and questions unseen
by the ranker, the abstainer and the calibration); printed per fold, with the
calibration error of the pooled out-of-fold confidence and its reliability table.
``--write`` saves the model fitted on all the corpora chosen to qa/data/ranker.json.
``--model`` picks a ranker, abstainer and calibration of more capacity (boosted trees, interactions, an
isotonic map: ModelChoice); several, comma-separated, print one line of comparison each, with how the fit
does on the folders collected in FILE.npz but left out of ``--corpora`` (bench/README.md has the table).
Development folders the features hold but ``--corpora`` leaves out are then
answered by the fitted model and printed apart (what a folder nobody fitted on gets).

``--generated DIR`` adds training questions (qa.train.generate's ``PACKAGE.jsonl``,
each answered from the index ``DIR/../indexes/PACKAGE`` built with ``qa index``;
a manual without one is skipped). They are saved in the ``--features`` file marked
as generated, with the development folder their manual overlaps (qa.train.manuals),
and weigh GENERATED_RANK_WEIGHT of a human question in the ranker, GENERATED_WEIGHT
in the abstainer and the Platt map. They are fitted on, never scored: every printed fold is the human
questions'. A fold leaves out the manuals of its folder (the one they overlap, else a
share balanced over the folders), so they are scored out of fold once too (their
calibration error is printed); a manual overlapping a folder not in ``--corpora``
is never fitted on. Without the flag a features file's generated questions are left
aside; with it, those the file holds are used as they are (remove the file to collect
them again). ``--sweep GENERATED_WEIGHT=...`` (and the other FIT_SETTINGS) refits the
features collected once. Measured in bench/README.md: in the ranker they lower the
folds at any weight; in the abstainer they add 3 of 221 over five folders but nothing
end to end, so the shipped model is fitted without them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa import ranking
from qa.evaluation import calibration_table, contains
from qa.ranking import ABSTAIN_FEATURES, RANK_FEATURES, RankingModel, fit_logistic
from qa.tuning import (
    BOOST_DEPTHS,
    BOOST_LEAF_L2,
    BOOST_MAX_TREES,
    BOOST_MIN_LEAF,
    BOOST_RATE,
    BORROWED_WEIGHT,
    GENERATED_RANK_WEIGHT,
    GENERATED_WEIGHT,
)
from qa.tuning import FIT_L2 as L2

PROJECT = Path(__file__).resolve().parent.parent
CORPORA = {
    "seeds": ("questions.jsonl", None),
    "python-tutorial": ("python-tutorial.jsonl", "eval/corpora/python-tutorial"),
    "debian-reference-fr": ("debian-reference-fr.jsonl", "eval/corpora/debian-reference-fr"),
    "lilypond-fr": ("lilypond-fr.jsonl", "eval/corpora/lilypond-fr"),
    "pdf-manuals": ("pdf-manuals.jsonl", "eval/corpora/pdf-manuals"),
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
    focus_missing: np.ndarray = None  # candidates: the question's focus is not in it (Answerer.focus_missing)
    facts: dict = None  # what the abstainer reads of the question alone (ranking.QUESTION_FACTS)
    origin: str = ""  # the corpus the question was written for (another one for a borrowed question)
    # A generated training question (qa.train.generate): corpus and origin are its manual's package, never a
    # development folder; it is fitted on, never scored. ``overlaps``: the development folder its manual
    # overlaps (qa.train.manuals), left out with it.
    generated: bool = False
    overlaps: str = ""

    @property
    def borrowed(self) -> bool:
        return self.origin != self.corpus

    @property
    def weight(self) -> float:
        """What the question counts for in the abstainer and the calibration beside a human-written one."""
        return GENERATED_WEIGHT if self.generated else 1.0

    @property
    def rank_weight(self) -> float:
        """What the question counts for in the ranker beside a human-written one."""
        return GENERATED_RANK_WEIGHT if self.generated else 1.0


def collect(shared: Path, cache: Path, notice=print, corpora=None, settings=None) -> list[QuestionData]:
    """Every gold question against its own corpus, and the answerable ones against the other
    corpora too, where the documents do not answer them (borrowed questions: more examples of
    what an unanswered question looks like, for the abstainer only). ``settings`` (qa.config.Settings):
    the environment's options, read once by ``main`` (None: read here)."""
    from qa.api import Engine
    from qa.config import Settings

    settings = settings or Settings.from_env()

    corpora = list(corpora or CORPORA)
    answerers, gold = {}, {}
    for corpus in corpora:
        gold_file, folder = CORPORA[corpus]
        documents = PROJECT / "seeds" if folder is None else shared / folder
        # Features are collected with an unfitted model: no fit is read, not even a refused ranker.json.
        engine = Engine(
            index_dir=cache / corpus,
            documents=[documents],
            root=documents.parent,
            ranking_model=ranking.neutral(),
            settings=settings,
        )
        engine.prepare(notice=lambda m: notice(f"qa.fit: {m}"))
        answerers[corpus] = engine.answerer
        gold[corpus] = [
            json.loads(line) for line in open(shared / "eval" / gold_file, encoding="utf-8") if line.strip()
        ]
    out: list[QuestionData] = []
    for corpus, answerer in answerers.items():
        asked = [(corpus, q) for q in gold[corpus]]
        asked += [
            (origin, q) for origin in corpora if origin != corpus for q in gold[origin] if q.get("answerable", True)
        ]
        for origin, q in asked:
            out.append(_featurize(answerer, q, corpus, origin, answerable=origin == corpus))
        notice(f"qa.fit: {corpus}: {len(asked)} questions ({len(gold[corpus])} its own)")
    return out


def _featurize(answerer, question: dict, corpus: str, origin: str, answerable: bool, **marks) -> QuestionData:
    """One question retrieved and featurized by ``answerer``; a candidate is labelled when it holds an accepted
    answer, in one of the question's sources for a development question. A generated one's answer counts in
    any file of its manual, as score.py counts it: a manual ships the same text as HTML, text and PDF, and
    the copy the question was not made from is as right (labelled wrong, it taught a third of the best
    passages to be wrong)."""
    retrieval, kind, scored = answerer.featurize(question["question"])
    answerable = answerable and bool(question.get("answerable", True))
    any_source = marks.get("generated", False)
    labels = np.array(
        [
            answerable
            and holds_answer(s.candidate.passage, question.get("answers", []))
            and (any_source or _cited(s.candidate.passage.source, question))
            for s in scored
        ],
        dtype=bool,
    )
    rows = np.vstack([s.features for s in scored]) if scored else np.zeros((0, len(RANK_FEATURES)))
    focus_missing = answerer.focus_missing(retrieval, kind, scored)
    facts = answerer.question_facts(retrieval, kind)
    return QuestionData(corpus, answerable, rows, labels, focus_missing, facts, origin, **marks)


def _cited(source: str, question: dict) -> bool:
    """Whether the file ``source`` (as an index names it) is one of the question's sources (all, if it names none):
    the shorter of the two paths ends the other."""
    parts = Path(source).parts
    cited = [Path(s).parts for s in question.get("sources", [])]
    return not cited or any(parts[-len(c) :] == c[-len(parts) :] for c in cited)


def collect_generated(folder: Path, notice=print, settings=None) -> list[QuestionData]:
    """The generated questions of ``folder`` (qa.train.generate: PACKAGE.jsonl), each against its manual's
    index, ``FOLDER/../indexes/PACKAGE`` (built with ``qa index``; a manual without one is skipped and said).
    Each is marked generated, with the development folder its manual overlaps (qa.train.manuals)."""
    from qa.api import Engine
    from qa.config import Settings
    from qa.errors import QAError
    from qa.store import IndexStore
    from qa.train.manuals import manual

    settings = settings or Settings.from_env()
    files = sorted(Path(folder).glob("*.jsonl"))
    if not files:
        raise SystemExit(f"qa: no generated questions (PACKAGE.jsonl) in {folder}")
    out: list[QuestionData] = []
    for path in files:
        package = path.stem
        try:
            overlaps = manual(package).folder or ""  # refuses a held-out manual: it must stay unseen
        except QAError as exc:
            raise SystemExit(f"qa: {path}: {exc.message}") from None
        index_dir = Path(folder).parent / "indexes" / package
        if not (index_dir / "CURRENT").exists():
            notice(f"qa.fit: {package}: skipped, no index in {index_dir} (build it with qa index)")
            continue
        try:
            questions = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SystemExit(f"qa: cannot read the generated questions in {path}: {exc}") from None
        if not all(isinstance(q, dict) and isinstance(q.get("question"), str) for q in questions):
            raise SystemExit(f'qa: {path}: every line must be a question object, with its text in "question"')
        # The index is answered from as built (its own folders: a restricted build stays restricted), unfitted.
        engine = Engine(index_dir=index_dir, ranking_model=ranking.neutral(), settings=settings)
        engine.prepare(notice=lambda m: notice(f"qa.fit: {m}"))
        # An index of part of the manual cannot answer a question on a file it left out: no example of anything.
        indexed = IndexStore(index_dir).read_manifest().files
        inside = [q for q in questions if not q.get("answerable", True) or any(_cited(f, q) for f in indexed)]
        if len(inside) < len(questions):
            notice(f"qa.fit: {package}: {len(questions) - len(inside)} questions on files not in its index left out")
        questions = inside
        out += [
            _featurize(engine.answerer, q, package, package, True, generated=True, overlaps=overlaps) for q in questions
        ]
        notice(f"qa.fit: {package}: {len(questions)} generated questions" + (f" (overlap {overlaps})" * bool(overlaps)))
    return out


def save_features(data: list[QuestionData], path: Path) -> None:
    """The collected features as plain arrays (numpy's .npz, no pickle): a fit replays them in seconds."""
    sizes = np.array([len(q.rows) for q in data])
    np.savez_compressed(
        path,
        corpus=np.array([q.corpus for q in data]),
        origin=np.array([q.origin for q in data]),
        answerable=np.array([q.answerable for q in data]),
        sizes=sizes,
        rows=np.vstack([q.rows for q in data]),
        labels=np.concatenate([q.labels for q in data]),
        focus_missing=np.concatenate([q.focus_missing for q in data]),
        facts=np.array([[q.facts[name] for name in ranking.QUESTION_FACTS] for q in data]),
        generated=np.array([q.generated for q in data], dtype=bool),
        overlaps=np.array([q.overlaps for q in data]),
        rank_features=np.array(RANK_FEATURES),
        fingerprint=np.array(ranking.features_fingerprint()),
    )


def load_features(path: Path) -> list[QuestionData]:
    """The features ``save_features`` wrote, if today's code computes the same (SystemExit, one line, otherwise:
    a file without the fingerprint of ranking.features_fingerprint is refused too)."""
    collect_again = f"collect them again (remove {path}: --features then collects them into it)"
    try:
        saved = np.load(path, allow_pickle=False)
        if not isinstance(saved, np.lib.npyio.NpzFile):  # one array (.npy), not the arrays of save_features
            raise ValueError
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not features saved by qa.fit"
        raise SystemExit(f"qa: cannot read the features in {path} ({reason}): {collect_again}") from None
    with saved:
        fingerprint = str(saved["fingerprint"]) if "fingerprint" in saved.files else None
        if fingerprint != ranking.features_fingerprint():
            raise SystemExit(
                f"qa: features in {path} were collected by another version of the features; {collect_again}"
            )
        # Each array read once: an item of the file is decompressed anew at each access, and every question's
        # slice of it would keep a whole copy alive (gigabytes for a thousand questions).
        arrays = {name: saved[name] for name in saved.files}
    ends = np.cumsum(arrays["sizes"])
    starts = ends - arrays["sizes"]
    # Features saved before generated questions existed hold human-written questions only.
    generated = arrays.get("generated", np.zeros(len(ends), dtype=bool))
    overlaps = arrays.get("overlaps", np.full(len(ends), ""))
    return [
        QuestionData(
            str(arrays["corpus"][i]),
            bool(arrays["answerable"][i]),
            arrays["rows"][a:b],
            arrays["labels"][a:b],
            arrays["focus_missing"][a:b],
            dict(zip(ranking.QUESTION_FACTS, map(float, arrays["facts"][i]), strict=True)),
            str(arrays["origin"][i]),
            bool(generated[i]),
            str(overlaps[i]),
        )
        for i, (a, b) in enumerate(zip(starts, ends, strict=True))
    ]


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


def evaluate(model: RankingModel, data: list[QuestionData], summary: bool = False) -> dict:
    rows, labels = abstain_rows(model.ranker, data, summary)
    answers = model.answer_probabilities(rows) >= model.threshold
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


def choose_threshold(probability: np.ndarray, right: np.ndarray, answerable: np.ndarray) -> float:
    """The confidence above which answering scores best on these questions: a right answer and a
    right abstention count one each (score.py's rule). Ties go to the threshold nearest 0.5."""
    cuts = np.unique(np.concatenate([[0.0, 1.0], probability]))
    candidates = np.concatenate([(cuts[:-1] + cuts[1:]) / 2, [0.5]])

    def score(t: float) -> tuple[int, float]:
        answers = probability >= t
        return int((answers & right).sum() + (~answers & ~answerable).sum()), -abs(t - 0.5)

    return float(max(candidates, key=score))


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
        part = [q for q in train if not _left_out(q, inner, folds_of)]
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


def generated_folds(data: list[QuestionData], corpora: list[str]) -> dict[str, str]:
    """The development folder each manual of generated questions is left out with: the one it overlaps, else
    the one with the fewest generated questions so far (largest manuals first). Each generated question is then
    scored out of fold once, as the folder's own are, and each fold still fits on most of them."""
    sizes = Counter(q.corpus for q in data if q.generated)
    folds = {q.corpus: q.overlaps for q in data if q.generated and q.overlaps in corpora}
    load = {c: sum(sizes[p] for p, folder in folds.items() if folder == c) for c in corpora}
    for package in sorted(sizes, key=lambda p: (-sizes[p], p)):
        if package not in folds:
            folds[package] = min(corpora, key=load.__getitem__)
            load[folds[package]] += sizes[package]
    return folds


def _left_out(q: QuestionData, held_out: str, folds_of: dict[str, str]) -> bool:
    """Whether the fold holding ``held_out`` out leaves ``q`` out of its fit: asked of that folder's index,
    written for it, or generated on a manual left out with it (generated_folds)."""
    if q.generated:
        return folds_of[q.corpus] == held_out
    return q.corpus == held_out or q.origin == held_out


def _scored_in(q: QuestionData, held_out: str, folds_of: dict[str, str]) -> bool:
    """Whether ``q`` is scored by the fold holding ``held_out`` out (asked of its index, or generated there)."""
    return folds_of[q.corpus] == held_out if q.generated else q.corpus == held_out


def _fold_abstainer(
    train: list[QuestionData], corpora: list[str], held_out: str, fit_ranker_fn, choice=None, folds_of=None
):
    """The abstainer of one fold, fitted on its training corpora scored by out-of-fold rankers,
    and the threshold that would score best on them (reported beside the abstainer's own even odds)."""
    folds_of = folds_of or {}
    choice = choice or ModelChoice()
    inner_rows, inner_labels, inner_data = [], [], []
    for inner in corpora:
        if inner == held_out:
            continue
        inner_train = [q for q in train if not _left_out(q, inner, folds_of)]
        inner_test = [q for q in train if _scored_in(q, inner, folds_of)]
        rows, labels = abstain_rows(fit_ranker_fn(inner_train), inner_test, choice.summary)
        inner_rows.append(rows)
        inner_labels.append(labels)
        inner_data += inner_test
    rows, labels = np.vstack(inner_rows), np.concatenate(inner_labels)
    abstainer = fit_abstainer(rows, labels, inner_data, choice, folds_of)
    own = np.array([not q.borrowed and not q.generated for q in inner_data])
    answerable = np.array([q.answerable for q in inner_data])
    threshold = choose_threshold(abstainer.probability(rows)[own], labels[own], answerable[own])
    return abstainer, threshold


def fit(data: list[QuestionData], corpora=None, fit_ranker_fn=None, choice=None) -> tuple[RankingModel, dict]:
    """Leave one corpus out in turn (its index and questions unseen by the ranker, the abstainer and
    the threshold), then fit on all. The out-of-fold confidences give the calibration figures.
    ``choice`` (ModelChoice, --model): which kind of ranker, abstainer and calibration; a choice's own
    numbers (how many trees, how deep) are chosen on each fold's training folders alone.

    Generated questions are fitted on, never scored: each fold leaves out those of the manuals
    generated_folds puts with its folder, and they are calibrated out of fold as the folder's own are."""
    corpora = list(corpora or dict.fromkeys(q.corpus for q in data if not q.generated))
    choice = choice or ModelChoice()
    # A manual overlapping a folder left out of the fit would leak into that folder's score: never fitted on.
    data = [q for q in data if not q.generated or not q.overlaps or q.overlaps in corpora]
    folds_of = generated_folds(data, corpora)

    def ranker_fitter(train: list[QuestionData]):
        return fit_ranker_fn or choose_ranker(choice, train, folds_of)

    folds = {}
    own = [q for q in data if not q.borrowed and not q.generated]
    out_of_fold_rows, out_of_fold_labels, out_of_fold_data = [], [], []
    pooled_logit, pooled_right = [], []
    generated_logit, generated_right = [], []
    with_chosen: dict[str, str] = {}
    for held_out in corpora:
        # Nothing of the held-out corpus is seen: neither its index nor its questions.
        train = [q for q in data if not _left_out(q, held_out, folds_of)]
        fold_ranker_fn = ranker_fitter(train)
        ranker = fold_ranker_fn(train)
        abstainer, chosen = _fold_abstainer(train, corpora, held_out, fold_ranker_fn, choice, folds_of)
        test = [q for q in own if q.corpus == held_out]
        folds[held_out] = evaluate(RankingModel(ranker, abstainer, {}, 0.5), test, choice.summary)
        with_chosen[held_out] = evaluate(RankingModel(ranker, abstainer, {}, chosen), test, choice.summary)["all"]
        rows, labels = abstain_rows(ranker, test, choice.summary)
        pooled_logit.append(abstainer.logit(rows))
        pooled_right.append(labels)
        held = [q for q in data if _scored_in(q, held_out, folds_of)]
        rows, labels = abstain_rows(ranker, held, choice.summary)
        out_of_fold_rows.append(rows)
        out_of_fold_labels.append(labels)
        out_of_fold_data += held
        generated = np.array([q.generated for q in held], dtype=bool)
        generated_logit.append(abstainer.logit(rows[generated]) if generated.any() else np.zeros(0))
        generated_right.append(labels[generated])
    right = np.concatenate(pooled_right)
    raw_error, _ = calibration_table(ranking.sigmoid(np.concatenate(pooled_logit)), right)

    # The abstainer is fitted on its training folders, where it is surer than on a folder it never
    # saw: its out-of-fold confidence is mapped to a probability by Platt scaling, judged out of fold
    # too (each folder's map fitted on the other folders' out-of-fold confidences).
    # Generated questions count in each map (at GENERATED_WEIGHT) but the error printed is the human ones'.
    def calibration_on(folds: list[int]):
        return fit_calibration(
            choice,
            np.concatenate([pooled_logit[i] for i in folds] + [generated_logit[i] for i in folds]),
            np.concatenate([pooled_right[i] for i in folds] + [generated_right[i] for i in folds]),
            np.concatenate(
                [np.ones(len(pooled_logit[i])) for i in folds]
                + [np.full(len(generated_logit[i]), GENERATED_WEIGHT) for i in folds]
            ),
        )

    calibrated, calibrated_generated = [], []
    for k in range(len(corpora)):
        mapping = calibration_on([i for i in range(len(corpora)) if i != k])
        calibrated.append(calibrate(mapping, pooled_logit[k]))
        calibrated_generated.append(calibrate(mapping, generated_logit[k]))
    probability = np.concatenate(calibrated)
    error, table = calibration_table(probability, right)
    final_fitter = ranker_fitter(data)
    ranker = final_fitter(data)
    abstainer = fit_abstainer(
        np.vstack(out_of_fold_rows), np.concatenate(out_of_fold_labels), out_of_fold_data, choice, folds_of
    )
    platt = calibration_on(list(range(len(corpora))))
    # Answer at the abstainer's even odds (its logit 0), as calibrated. A threshold chosen on each fold's
    # training folders to maximise the score does no better on the folder left out (measured on the five
    # development folders: 139 of 221 against 140), so the fit keeps the model's own decision point and
    # reports the other (``threshold_chosen_on_folds``).
    threshold = float(calibrate(platt, np.zeros(1))[0])
    fitted_on = {
        "command": "python -m qa.fit "
        + ("" if set(corpora) == set(CORPORA) else f"--corpora {','.join(corpora)} ")
        + ("" if choice == ModelChoice() else f"--model {choice.name} ")
        + "--write",
        "corpora": {c: sum(1 for q in own if q.corpus == c) for c in corpora},
        "borrowed_questions": sum(1 for q in data if q.borrowed),
        **({"ranker_chosen_on_folds": final_fitter.chosen} if hasattr(final_fitter, "chosen") else {}),
        "cross_validation": folds,
        "threshold_chosen_on_folds": with_chosen,
        "calibration": {
            "expected_calibration_error": round(error, 4),
            "before_scaling": round(raw_error, 4),
            "reliability": table,
        },
    }
    if generated_count := Counter(q.corpus for q in data if q.generated):
        fitted_on["command"] = fitted_on["command"].replace("--write", "--generated QUESTIONS --write")
        fitted_on["generated_questions"] = dict(sorted(generated_count.items()))
        fitted_on["generated_weight"] = {"ranker": GENERATED_RANK_WEIGHT, "abstainer": GENERATED_WEIGHT}
        generated_error, _ = calibration_table(np.concatenate(calibrated_generated), np.concatenate(generated_right))
        fitted_on["calibration"]["generated_expected_calibration_error"] = round(generated_error, 4)
    model = RankingModel(ranker, abstainer, fitted_on, threshold, platt)
    fitted_on["in_sample"] = {c: evaluate(model, [q for q in own if q.corpus == c], choice.summary) for c in corpora}
    return model, folds


def _set_tuning(name: str, value: float) -> None:
    """Set a number of qa.tuning, in every qa module that imported it by name too (this one included when it
    runs as ``python -m qa.fit``, where it is ``__main__``: the fit's own numbers are read from there)."""
    from qa import tuning

    if not hasattr(tuning, name):
        raise SystemExit(f"qa.fit: qa.tuning has no setting {name}")
    for module_name, module in list(sys.modules.items()):
        if (module_name in ("qa", __name__) or module_name.startswith("qa.")) and hasattr(module, name):
            setattr(module, name, type(getattr(tuning, name))(value))


# Settings read by the fit alone, not by retrieval: a sweep of one refits the features collected once.
FIT_SETTINGS = ("GENERATED_WEIGHT", "GENERATED_RANK_WEIGHT", "BORROWED_WEIGHT")


def sweep(spec: str, shared: Path, cache: Path, settings=None, data=None, corpora=None, choice=None) -> int:
    """The folds for each value of one setting: how a set number of qa.tuning is chosen on all
    three corpora at once (``--sweep TRANSLATION_CSLS=0.05,0.1,0.15,0.2``). ``data``: the questions
    to refit for each value (a setting of FIT_SETTINGS), instead of collecting them again."""
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
            if data is None:
                model, folds = fit(collect(shared, cache, notice=lambda m: None, settings=settings), choice=choice)
            else:
                model, folds = fit(data, corpora, choice=choice)
            right = sum(int(f["all"].split("/")[0]) for f in folds.values())
            asked = sum(int(f["all"].split("/")[1]) for f in folds.values())
            calibration = model.fitted_on["calibration"]
            generated = calibration.get("generated_expected_calibration_error")
            print(
                f"{name}={value:g}: "
                + "  ".join(f"{c} {f['all']}" for c, f in folds.items())
                + f"  sum {right}/{asked}  calibration error {calibration['expected_calibration_error']:.3f}"
                + ("" if generated is None else f" (generated {generated:.3f})")
            )
    finally:
        if kept is not None:
            _set_tuning(name, kept)
    return 0


def print_report(model: RankingModel, folds: dict) -> None:
    print("cross-validation (each corpus left out of the fit in turn):")
    for corpus, figures in folds.items():
        print(f"  {corpus:22s} " + "  ".join(f"{k} {v}" for k, v in figures.items()))
    right = sum(int(f["all"].split("/")[0]) for f in folds.values())
    asked = sum(int(f["all"].split("/")[1]) for f in folds.values())
    print(f"  {'sum':22s} all {right}/{asked}")
    print("in sample:")
    for corpus, figures in model.fitted_on["in_sample"].items():
        print(f"  {corpus:22s} " + "  ".join(f"{k} {v}" for k, v in figures.items()))
    calibration = model.fitted_on["calibration"]
    print(
        f"calibration of the out-of-fold confidence: expected calibration error"
        f" {calibration['expected_calibration_error']:.3f}; threshold {model.threshold:.3f}"
    )
    if "generated_questions" in model.fitted_on:
        weights = model.fitted_on["generated_weight"]
        print(
            f"  fitted with {sum(model.fitted_on['generated_questions'].values())} generated questions"
            f" (weighing {weights['ranker']:g} in the ranker, {weights['abstainer']:g} in the abstainer), never"
            f" scored; their out-of-fold calibration error {calibration['generated_expected_calibration_error']:.3f}"
        )
    print("  confidence   questions  mean confidence  right")
    for row in calibration["reliability"]:
        print(f"  {row['bin']:12s} {row['questions']:9d}  {row['confidence']:15.3f}  {row['right']:.3f}")
    for name, part in (("ranker", model.ranker), ("abstainer", model.abstainer)):
        logistic = getattr(part, "linear", part)
        trees = getattr(part, "trees", None)
        print(
            f"{name}: "
            + ", ".join(f"{f} {w:+.2f}" for f, w in zip(logistic.features, logistic.weights, strict=True))
            + (f"; then {len(trees.roots)} trees of depth {trees.depth} at most" if trees is not None else "")
        )


def unseen_report(model: RankingModel, unseen: list[QuestionData], summary: bool = False) -> dict:
    """How the model does on folders it never saw (their own questions): the figures of ``evaluate``
    and the calibration error of its confidence there."""
    figures = {}
    for corpus in dict.fromkeys(q.corpus for q in unseen):
        questions = [q for q in unseen if q.corpus == corpus]
        figures[corpus] = evaluate(model, questions, summary)
    if unseen:
        rows, right = abstain_rows(model.ranker, unseen, summary)
        figures["expected_calibration_error"] = round(calibration_table(model.answer_probabilities(rows), right)[0], 4)
    return figures


def cost_per_question(model: RankingModel, data: list[QuestionData], summary: bool = False) -> float:
    """Milliseconds to rank one question's candidates and judge its best (median over the questions)."""
    import time

    times = []
    for q in [q for q in data if len(q.rows)][:200]:
        began = time.perf_counter()
        logits = model.rank_logits(q.rows)
        order = np.argsort(-logits, kind="stable")
        row = ranking.abstain_row(logits[order], q.rows[order], q.focus_missing[order], q.facts)
        if summary:
            row = np.concatenate([row, candidate_summary(logits[order], q.rows[order])])
        model.answer_probability(row)
        times.append(time.perf_counter() - began)
    return float(np.median(times)) * 1000


def comparison_line(choice: ModelChoice, data, corpora, unseen) -> str:
    """One line of the comparison of model choices (``--model A,B,...``)."""
    model, folds = fit(data, corpora, choice=choice)
    right = sum(int(f["all"].split("/")[0]) for f in folds.values())
    asked = sum(int(f["all"].split("/")[1]) for f in folds.values())
    top = sum(int(f["top1"].split("/")[0]) for f in folds.values())
    line = f"{choice.name:34s} folds " + " ".join(f["all"] for f in folds.values()) + f"  sum {right}/{asked}"
    line += f"  top1 {top}  ECE {model.fitted_on['calibration']['expected_calibration_error']:.3f}"
    if unseen:
        far = unseen_report(model, unseen, choice.summary)
        line += "  unseen " + " ".join(f["all"] for c, f in far.items() if isinstance(f, dict))
        line += f" (top1 {' '.join(f['top1'] for f in far.values() if isinstance(f, dict))},"
        line += f" ECE {far['expected_calibration_error']:.3f})"
    return line + f"  {cost_per_question(model, data, choice.summary):.2f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.fit", description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=PROJECT.parent / "shared")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "qa-eval")
    parser.add_argument("--write", action="store_true", help="save the model to qa/data/ranker.json")
    parser.add_argument(
        "--corpora",
        metavar="NAME,...",
        help=f"fit on these development corpora only (default: all of {', '.join(CORPORA)})",
    )
    parser.add_argument(
        "--features",
        type=Path,
        metavar="FILE.npz",
        help="read the collected features from FILE if it exists, else collect them and save them there",
    )
    parser.add_argument(
        "--model",
        default="linear",
        metavar="RANKER[/ABSTAINER[/CALIBRATION]],...",
        help="which kind of ranker, abstainer and calibration (default linear/linear/platt); several, comma-separated,"
        " print one line of comparison each and write nothing. Rankers: "
        + ", ".join(RANKER_KINDS)
        + "; abstainers: "
        + ", ".join(ABSTAINER_KINDS)
        + "; calibrations: "
        + ", ".join(CALIBRATION_KINDS),
    )
    parser.add_argument(
        "--sweep",
        metavar="NAME=V1,V2,...",
        help="refit with each value of a setting of qa.tuning in turn and print the folds (writes nothing)",
    )
    parser.add_argument(
        "--generated",
        type=Path,
        metavar="DIR",
        help="fit on the generated questions of DIR too (python -m qa.train.generate: PACKAGE.jsonl, each"
        " answered from the index DIR/../indexes/PACKAGE); the folds score the development questions only",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # for huggingface_hub, before it loads: not an option of qa
    from qa.config import Settings
    from qa.errors import UsageError

    try:
        settings = Settings.from_env()  # qa's own options, read once
    except UsageError as exc:
        raise SystemExit(f"qa.fit: {exc.message}") from None
    corpora = [c.strip() for c in args.corpora.split(",")] if args.corpora else list(CORPORA)
    if len(set(corpora)) < 3:
        # Each fold's abstainer is fitted on the others scored out of fold: two folders at least beside it.
        raise SystemExit(f"qa.fit: --corpora needs three corpora or more, not {len(set(corpora))}")
    if unknown := [c for c in corpora if c not in CORPORA]:
        raise SystemExit(f"qa.fit: unknown corpus {unknown[0]!r}; known: {', '.join(CORPORA)}")
    choices = [ModelChoice.parse(text.strip()) for text in args.model.split(",")]
    if len(choices) > 1 and args.write:
        raise SystemExit("qa.fit: --write saves one model; --model names several")
    if args.sweep and args.sweep.partition("=")[0] not in FIT_SETTINGS:
        return sweep(args.sweep, args.shared, args.cache, settings)
    if args.generated is not None and not args.generated.is_dir():
        raise SystemExit(f"qa.fit: --generated {args.generated}: no such folder")
    saved = bool(args.features and args.features.exists())
    if saved:
        collected = load_features(args.features)
    else:
        collected = collect(
            args.shared, args.cache, notice=lambda m: print(m, file=sys.stderr), corpora=corpora, settings=settings
        )
    if args.generated and not any(q.generated for q in collected):
        # Collected once beside the development questions, in the same file (marked: never scored).
        collected += collect_generated(args.generated, notice=lambda m: print(m, file=sys.stderr), settings=settings)
        saved = False
    if args.features and not saved:
        save_features(collected, args.features)
    # Without --generated, generated questions a features file holds are left aside: the fit is today's.
    data = [
        q
        for q in collected
        if (q.generated and args.generated) or (not q.generated and q.corpus in corpora and q.origin in corpora)
    ]
    if args.sweep:
        return sweep(args.sweep, args.shared, args.cache, settings, data, corpora, choices[0])
    # The folders collected but left out of this fit: how it does on folders it never saw.
    unseen = [q for q in collected if not q.generated and not q.borrowed and q.corpus not in corpora]
    if len(choices) > 1:
        for choice in choices:
            print(comparison_line(choice, data, corpora, unseen), flush=True)
        return 0
    model, folds = fit(data, corpora, choice=choices[0])
    print_report(model, folds)
    if unseen:
        print("folders never seen by this fit:")
        for corpus, figures in unseen_report(model, unseen, choices[0].summary).items():
            if isinstance(figures, dict):
                print(f"  {corpus:22s} " + "  ".join(f"{k} {v}" for k, v in figures.items()))
            else:
                print(f"  calibration error there {figures:.3f}")
    if args.write:
        text = model.to_json()
        try:
            RankingModel.from_json(text)  # what qa reads back: an abstainer of other features is not
        except ValueError as exc:
            raise SystemExit(f"qa.fit: --model {choices[0].name} cannot be written: {exc}") from None
        path = ranking.default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
