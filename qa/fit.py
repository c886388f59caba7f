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
import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from qa import ranking
from qa.evaluation import calibration_table
from qa.fit_data import (
    CORPORA,
    PROJECT,
    QuestionData,
    collect,
    collect_generated,
    generated_folds,
    holds_answer,
    left_out,
    load_features,
    save_features,
    scored_in,
)
from qa.fit_models import (
    ABSTAINER_KINDS,
    CALIBRATION_KINDS,
    RANKER_KINDS,
    ModelChoice,
    abstain_rows,
    calibrate,
    candidate_summary,
    choose_ranker,
    export_trees,
    fit_abstainer,
    fit_boosted_ranker,
    fit_calibration,
    fit_platt,
    fit_ranker,
)
from qa.ranking import RankingModel
from qa.tuning import GENERATED_RANK_WEIGHT, GENERATED_WEIGHT

# What the tests and bench import from qa.fit, wherever it lives (qa.fit_data, qa.fit_models).
__all__ = [
    "ABSTAINER_KINDS",
    "CALIBRATION_KINDS",
    "CORPORA",
    "RANKER_KINDS",
    "ModelChoice",
    "QuestionData",
    "collect",
    "collect_generated",
    "export_trees",
    "fit",
    "fit_abstainer",
    "fit_boosted_ranker",
    "fold_sum",
    "fit_platt",
    "fit_ranker",
    "generated_folds",
    "holds_answer",
    "load_features",
    "main",
    "save_features",
]


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


def choose_threshold(probability: np.ndarray, right: np.ndarray, answerable: np.ndarray) -> float:
    """The confidence above which answering scores best on these questions: a right answer and a
    right abstention count one each (score.py's rule). Ties go to the threshold nearest 0.5."""
    cuts = np.unique(np.concatenate([[0.0, 1.0], probability]))
    candidates = np.concatenate([(cuts[:-1] + cuts[1:]) / 2, [0.5]])

    def score(t: float) -> tuple[int, float]:
        answers = probability >= t
        return int((answers & right).sum() + (~answers & ~answerable).sum()), -abs(t - 0.5)

    return float(max(candidates, key=score))


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
        inner_train = [q for q in train if not left_out(q, inner, folds_of)]
        inner_test = [q for q in train if scored_in(q, inner, folds_of)]
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
        train = [q for q in data if not left_out(q, held_out, folds_of)]
        fold_ranker_fn = ranker_fitter(train)
        ranker = fold_ranker_fn(train)
        abstainer, chosen = _fold_abstainer(train, corpora, held_out, fold_ranker_fn, choice, folds_of)
        test = [q for q in own if q.corpus == held_out]
        folds[held_out] = evaluate(RankingModel(ranker, abstainer, {}, 0.5), test, choice.summary)
        with_chosen[held_out] = evaluate(RankingModel(ranker, abstainer, {}, chosen), test, choice.summary)["all"]
        rows, labels = abstain_rows(ranker, test, choice.summary)
        pooled_logit.append(abstainer.logit(rows))
        pooled_right.append(labels)
        held = [q for q in data if scored_in(q, held_out, folds_of)]
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
            right, asked = fold_sum(folds)
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


def fold_sum(folds: dict, figure: str = "all") -> tuple[int, int]:
    """(right, asked) of one figure ("all", "top1") summed over the folds, whose figures read "right/asked"."""
    pairs = [f[figure].split("/") for f in folds.values()]
    return sum(int(right) for right, _ in pairs), sum(int(asked) for _, asked in pairs)


def print_report(model: RankingModel, folds: dict) -> None:
    print("cross-validation (each corpus left out of the fit in turn):")
    for corpus, figures in folds.items():
        print(f"  {corpus:22s} " + "  ".join(f"{k} {v}" for k, v in figures.items()))
    right, asked = fold_sum(folds)
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
    right, asked = fold_sum(folds)
    top, _ = fold_sum(folds, "top1")
    line = f"{choice.name:34s} folds " + " ".join(f["all"] for f in folds.values()) + f"  sum {right}/{asked}"
    line += f"  top1 {top}  ECE {model.fitted_on['calibration']['expected_calibration_error']:.3f}"
    if unseen:
        far = unseen_report(model, unseen, choice.summary)
        line += "  unseen " + " ".join(f["all"] for c, f in far.items() if isinstance(f, dict))
        line += f" (top1 {' '.join(f['top1'] for f in far.values() if isinstance(f, dict))},"
        line += f" ECE {far['expected_calibration_error']:.3f})"
    return line + f"  {cost_per_question(model, data, choice.summary):.2f} ms"


def main(argv: list[str] | None = None, ranker_path: Path | None = None) -> int:
    """``python -m qa.fit``; ``ranker_path``: where ``--write`` saves the model (default: the package's
    qa/data/ranker.json, ``ranking.default_path()``)."""
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
        path = ranker_path or ranking.default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
