"""Refit the ranking and abstention model on the development sets: ``python -m qa.fit``.

    .venv/bin/python -m qa.fit [--shared ../shared] [--cache ~/.cache/qa-eval] [--corpora NAME,...]
                               [--features FILE.npz] [--generated DIR] [--sweep NAME=V1,...] [--write]

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
from qa.tuning import BORROWED_WEIGHT, GENERATED_RANK_WEIGHT, GENERATED_WEIGHT
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


def fit_ranker(data: list[QuestionData]) -> ranking.Logistic:
    """A conditional logit: per question, a softmax over its candidates puts the mass on those holding the answer.

    Only the order within a question matters, which is what answering uses
    (the best passage); a pointwise fit spends itself on the many easy negatives.
    """
    from scipy.optimize import minimize  # fitting only: scipy comes with sentence-transformers

    groups = [
        (q.rows, q.labels, q.rank_weight)
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

    sign = [ranking.RANK_SIGNS.get(name, 0) for name in RANK_FEATURES]
    bounds = [(0.0, None) if s > 0 else (None, 0.0) if s < 0 else (None, None) for s in sign]
    result = minimize(objective, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds)
    return ranking.Logistic(RANK_FEATURES, mean, scale, result.x, 0.0)


def abstain_rows(ranker: ranking.Logistic, data: list[QuestionData]) -> tuple[np.ndarray, np.ndarray]:
    """Each question's abstainer features under ``ranker``, and whether its best passage holds the answer."""
    rows, labels = [], []
    for q in data:
        if not len(q.rows):
            rows.append(np.zeros(len(ABSTAIN_FEATURES)))
            labels.append(False)
            continue
        logits = ranker.logit(q.rows)
        order = np.argsort(-logits, kind="stable")
        rows.append(ranking.abstain_row(logits[order], q.rows[order], q.focus_missing[order], q.facts))
        labels.append(bool(q.labels[order[0]]))
    return np.vstack(rows), np.array(labels, dtype=bool)


def evaluate(model: RankingModel, data: list[QuestionData]) -> dict:
    rows, labels = abstain_rows(model.ranker, data)
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


def fit_abstainer(rows: np.ndarray, labels: np.ndarray, data: list[QuestionData]) -> ranking.Logistic:
    """Answer when the best passage holds the answer; abstain when the documents do not.

    An answerable question whose best passage is wrong scores nothing either
    way, so it teaches neither side and is left out.
    """
    answerable = np.array([q.answerable for q in data])
    weights = np.array([BORROWED_WEIGHT if q.borrowed else q.weight for q in data])
    keep = labels | ~answerable
    return fit_logistic(rows[keep], labels[keep], ABSTAIN_FEATURES, L2, weights[keep], ranking.ABSTAIN_SIGNS)


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


def _fold_abstainer(train: list[QuestionData], corpora: list[str], held_out: str, fit_ranker_fn, folds_of=None):
    """The abstainer of one fold, fitted on its training corpora scored by out-of-fold rankers,
    and the threshold that would score best on them (reported beside the abstainer's own even odds)."""
    folds_of = folds_of or {}
    inner_rows, inner_labels, inner_data = [], [], []
    for inner in corpora:
        if inner == held_out:
            continue
        inner_train = [q for q in train if not _left_out(q, inner, folds_of)]
        inner_test = [q for q in train if _scored_in(q, inner, folds_of)]
        rows, labels = abstain_rows(fit_ranker_fn(inner_train), inner_test)
        inner_rows.append(rows)
        inner_labels.append(labels)
        inner_data += inner_test
    rows, labels = np.vstack(inner_rows), np.concatenate(inner_labels)
    abstainer = fit_abstainer(rows, labels, inner_data)
    own = np.array([not q.borrowed and not q.generated for q in inner_data])
    answerable = np.array([q.answerable for q in inner_data])
    threshold = choose_threshold(abstainer.probability(rows)[own], labels[own], answerable[own])
    return abstainer, threshold


def fit(data: list[QuestionData], corpora=None, fit_ranker_fn=None) -> tuple[RankingModel, dict]:
    """Leave one corpus out in turn (its index and questions unseen by the ranker, the abstainer and
    the threshold), then fit on all. The out-of-fold confidences give the calibration figures.

    Generated questions are fitted on, never scored: each fold leaves out those of the manuals
    generated_folds puts with its folder, and they are calibrated out of fold as the folder's own are."""
    corpora = list(corpora or dict.fromkeys(q.corpus for q in data if not q.generated))
    fit_ranker_fn = fit_ranker_fn or fit_ranker
    # A manual overlapping a folder left out of the fit would leak into that folder's score: never fitted on.
    data = [q for q in data if not q.generated or not q.overlaps or q.overlaps in corpora]
    folds_of = generated_folds(data, corpora)
    folds = {}
    own = [q for q in data if not q.borrowed and not q.generated]
    out_of_fold_rows, out_of_fold_labels, out_of_fold_data = [], [], []
    pooled_logit, pooled_right = [], []
    generated_logit, generated_right = [], []
    with_chosen: dict[str, str] = {}
    for held_out in corpora:
        # Nothing of the held-out corpus is seen: neither its index nor its questions.
        train = [q for q in data if not _left_out(q, held_out, folds_of)]
        ranker = fit_ranker_fn(train)
        abstainer, chosen = _fold_abstainer(train, corpora, held_out, fit_ranker_fn, folds_of)
        test = [q for q in own if q.corpus == held_out]
        folds[held_out] = evaluate(RankingModel(ranker, abstainer, {}, 0.5), test)
        with_chosen[held_out] = evaluate(RankingModel(ranker, abstainer, {}, chosen), test)["all"]
        rows, labels = abstain_rows(ranker, test)
        pooled_logit.append(abstainer.logit(rows))
        pooled_right.append(labels)
        held = [q for q in data if _scored_in(q, held_out, folds_of)]
        rows, labels = abstain_rows(ranker, held)
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
    def platt_on(folds: list[int]) -> tuple[float, float]:
        return fit_platt(
            np.concatenate([pooled_logit[i] for i in folds] + [generated_logit[i] for i in folds]),
            np.concatenate([pooled_right[i] for i in folds] + [generated_right[i] for i in folds]),
            np.concatenate(
                [np.ones(len(pooled_logit[i])) for i in folds]
                + [np.full(len(generated_logit[i]), GENERATED_WEIGHT) for i in folds]
            ),
        )

    calibrated, calibrated_generated = [], []
    for k in range(len(corpora)):
        scale = platt_on([i for i in range(len(corpora)) if i != k])
        calibrated.append(ranking.sigmoid(scale[0] * pooled_logit[k] + scale[1]))
        calibrated_generated.append(ranking.sigmoid(scale[0] * generated_logit[k] + scale[1]))
    probability = np.concatenate(calibrated)
    error, table = calibration_table(probability, right)
    ranker = fit_ranker_fn(data)
    abstainer = fit_abstainer(np.vstack(out_of_fold_rows), np.concatenate(out_of_fold_labels), out_of_fold_data)
    platt = platt_on(list(range(len(corpora))))
    # Answer at the abstainer's even odds (its logit 0), as calibrated. A threshold chosen on each fold's
    # training folders to maximise the score does no better on the folder left out (measured on the five
    # development folders: 139 of 221 against 140), so the fit keeps the model's own decision point and
    # reports the other (``threshold_chosen_on_folds``).
    threshold = float(ranking.sigmoid(np.array(platt[1])))
    fitted_on = {
        "command": "python -m qa.fit "
        + ("" if set(corpora) == set(CORPORA) else f"--corpora {','.join(corpora)} ")
        + "--write",
        "corpora": {c: sum(1 for q in own if q.corpus == c) for c in corpora},
        "borrowed_questions": sum(1 for q in data if q.borrowed),
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
    fitted_on["in_sample"] = {c: evaluate(model, [q for q in own if q.corpus == c]) for c in corpora}
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


def sweep(spec: str, shared: Path, cache: Path, settings=None, data=None, corpora=None) -> int:
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
                model, folds = fit(collect(shared, cache, notice=lambda m: None, settings=settings))
            else:
                model, folds = fit(data, corpora)
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
    for name, logistic in (("ranker", model.ranker), ("abstainer", model.abstainer)):
        print(
            f"{name}: " + ", ".join(f"{f} {w:+.2f}" for f, w in zip(logistic.features, logistic.weights, strict=True))
        )


def print_unseen(model: RankingModel, data: list[QuestionData]) -> None:
    """The fitted model on development folders it was not fitted on (in the features, not in --corpora):
    what a new user's folder gets from the model that ships."""
    corpora = list(dict.fromkeys(q.corpus for q in data))
    if not corpora:
        return
    print("folders not fitted on, answered by the model fitted:")
    for corpus in corpora:
        figures = evaluate(model, [q for q in data if q.corpus == corpus])
        print(f"  {corpus:22s} " + "  ".join(f"{k} {v}" for k, v in figures.items()))
    rows, labels = abstain_rows(model.ranker, data)
    error, _ = calibration_table(model.answer_probabilities(rows), labels)
    print(f"  calibration error of their confidence {error:.3f} ({len(data)} questions)")


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
        return sweep(args.sweep, args.shared, args.cache, settings, data, corpora)
    model, folds = fit(data, corpora)
    print_report(model, folds)
    print_unseen(model, [q for q in collected if not q.generated and not q.borrowed and q.corpus not in corpora])
    if args.write:
        path = ranking.default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(model.to_json() + "\n", encoding="utf-8")
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
