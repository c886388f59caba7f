"""The fitted ranking and abstention model: its fitting, its data file, and the shipped weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa import ranking
from qa.errors import ModelUnavailable
from qa.evaluation import calibration_error, calibration_table
from qa.fit import (
    CORPORA,
    QuestionData,
    choose_threshold,
    fit,
    fit_abstainer,
    fit_platt,
    fit_ranker,
    load_features,
    save_features,
)
from qa.ranking import ABSTAIN_FEATURES, QUESTION_FACTS, RANK_FEATURES, RankingModel, abstain_row, fit_logistic


def _question(rng, informative: str, positives: int = 1, candidates: int = 12) -> QuestionData:
    rows = rng.normal(size=(candidates, len(RANK_FEATURES)))
    labels = np.zeros(candidates, dtype=bool)
    labels[:positives] = True
    rows[labels, RANK_FEATURES.index(informative)] += 5.0
    facts = dict.fromkeys(QUESTION_FACTS, 0.0)
    return QuestionData("synthetic", True, rows, labels, np.zeros(candidates), facts, origin="synthetic")


def test_logistic_regression_learns_the_informative_feature():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(400, 3))
    labels = rows[:, 1] + 0.1 * rng.normal(size=400) > 0
    model = fit_logistic(rows, labels, ("a", "b", "c"))
    assert model.weights[1] > 2 * max(abs(model.weights[0]), abs(model.weights[2]))
    accuracy = ((model.probability(rows) >= 0.5) == labels).mean()
    assert accuracy > 0.9


def test_a_declared_sign_bounds_a_weight_and_leaves_the_others_as_fitted():
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(400, 3))
    # In this sample "b" goes with the answer the wrong way round; declared never to hurt, it weighs nothing.
    labels = rows[:, 0] - 0.5 * rows[:, 1] + 0.1 * rng.normal(size=400) > 0
    free = fit_logistic(rows, labels, ("a", "b", "c"))
    bounded = fit_logistic(rows, labels, ("a", "b", "c"), signs={"b": +1})
    assert free.weights[1] < -1.0
    assert bounded.weights[1] == pytest.approx(0.0, abs=1e-6)
    assert bounded.weights[0] > 1.0
    # Unbounded by its signs, L-BFGS-B finds Newton's optimum.
    loose = fit_logistic(rows, labels, ("a", "b", "c"), signs={"a": +1})
    np.testing.assert_allclose(loose.weights, free.weights, atol=1e-3)


def test_a_sweep_sets_a_tuning_number_where_it_was_imported_by_name():
    import qa.retrieval
    from qa import fit, tuning

    kept = tuning.TRANSLATION_CSLS
    try:
        fit._set_tuning("TRANSLATION_CSLS", 0.42)
        assert tuning.TRANSLATION_CSLS == qa.retrieval.TRANSLATION_CSLS == 0.42
    finally:
        fit._set_tuning("TRANSLATION_CSLS", kept)
    assert qa.retrieval.TRANSLATION_CSLS == kept
    with pytest.raises(SystemExit, match="no setting"):
        fit._set_tuning("NO_SUCH_SETTING", 1.0)


def test_ranker_puts_the_passage_that_holds_the_answer_first():
    rng = np.random.default_rng(1)
    ranker = fit_ranker([_question(rng, "type_match") for _ in range(60)])
    assert int(np.argmax(ranker.weights)) == RANK_FEATURES.index("type_match")
    fresh = [_question(rng, "type_match") for _ in range(40)]
    firsts = [q.labels[int(np.argmax(ranker.logit(q.rows)))] for q in fresh]
    assert sum(firsts) >= 36


def test_abstainer_ignores_answerable_questions_whose_best_passage_was_wrong():
    rng = np.random.default_rng(2)
    n = 200
    rows = rng.normal(size=(n, len(ABSTAIN_FEATURES)))
    answerable = rng.random(n) < 0.7
    right = answerable & (rng.random(n) < 0.6)
    rows[right, 0] += 2.0
    rows[~answerable, 0] -= 2.0
    # The wrong-but-answerable ones look like the right ones: were they negatives, the
    # abstainer would learn to refuse good answers.
    rows[answerable & ~right, 0] += 2.0
    data = [QuestionData("c", bool(a), np.zeros((0, len(RANK_FEATURES))), np.zeros(0, bool)) for a in answerable]
    for q in data:
        q.origin = "c"
    model = fit_abstainer(rows, right, data)
    assert model.weights[0] > 0
    assert (model.probability(rows[right]) >= 0.5).mean() > 0.8
    assert (model.probability(rows[~answerable]) < 0.5).mean() > 0.6


def test_model_round_trips_through_its_data_file():
    model = ranking.neutral()
    model.abstainer.bias = 1.5
    again = RankingModel.from_json(model.to_json())
    assert again.ranker.features == RANK_FEATURES and again.abstainer.features == ABSTAIN_FEATURES
    assert again.abstainer.bias == 1.5
    data = json.loads(model.to_json())
    data["ranker"]["features"] = data["ranker"]["features"][:-1]
    with pytest.raises(ValueError, match="refit"):
        RankingModel.from_json(json.dumps(data))


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: text.replace('"threshold"', '"threshold_"'),  # a key missing
        lambda text: json.dumps({**json.loads(text), "calibration": [1.0]}),
        lambda text: json.dumps({**json.loads(text), "threshold": 7}),
        lambda text: text.replace('"weights": [', '"weights": [NaN, ', 1),
        lambda text: "\x00\xff",
        lambda text: "[" * 100_000 + "]" * 100_000,  # json raises RecursionError, not ValueError
    ],
)
def test_a_broken_or_mismatched_model_file_is_refused_with_one_clear_error(tmp_path, damage):
    path = tmp_path / "ranker.json"
    path.write_text(damage(ranking.default_path().read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ModelUnavailable, match="cannot load the ranking model .*refit"):
        ranking.load(path)
    with pytest.raises(ModelUnavailable, match="cannot load the ranking model"):
        ranking.load(tmp_path / "missing.json")


def test_the_threshold_is_where_answering_scores_best():
    probability = np.array([0.9, 0.8, 0.6, 0.4, 0.3, 0.2])
    right = np.array([True, True, False, True, False, False])
    answerable = np.array([True, True, True, True, False, False])
    threshold = choose_threshold(probability, right, answerable)
    # Answering down to 0.4 gets three right; the two below are unanswerable and abstained.
    assert 0.3 < threshold <= 0.4


def test_calibration_error_is_zero_when_confidence_is_the_rate_of_right_answers():
    probability = np.array([0.25] * 4 + [0.75] * 4)
    right = np.array([True, False, False, False, True, True, True, False])
    error, table = calibration_table(probability, right)
    assert error == pytest.approx(0.0)
    assert [row["questions"] for row in table] == [4, 4]
    over = calibration_table(np.array([0.95] * 4), np.array([True, False, True, False]))[0]
    assert over == pytest.approx(0.45)
    rows = [{"confidence": p, "right": bool(r)} for p, r in zip(probability, right, strict=True)]
    assert calibration_error(rows + [{"confidence": 0.9, "right": None}]) == (pytest.approx(0.0), 8)


def test_platt_scaling_maps_an_overconfident_logit_to_the_rate_of_right_answers():
    rng = np.random.default_rng(5)
    logits = rng.normal(scale=4.0, size=4000)
    right = rng.random(4000) < 1.0 / (1.0 + np.exp(-logits / 4.0))  # truly a quarter as sure
    a, b = fit_platt(logits, right)
    assert a == pytest.approx(0.25, abs=0.05) and b == pytest.approx(0.0, abs=0.1)


def test_the_abstainer_row_reads_the_best_candidate_and_the_question():
    rows = np.zeros((3, len(RANK_FEATURES)))
    rows[:, RANK_FEATURES.index("semantic")] = [0.9, 0.7, 0.5]
    rows[0, RANK_FEATURES.index("type_match")] = 0.0
    row = abstain_row(np.array([3.0, 1.0, 0.0]), rows, np.array([1.0, 0.0, 0.0]), {"typed": 1.0, "unknown_name": 0.0})
    values = dict(zip(ABSTAIN_FEATURES, row, strict=True))
    assert values["top_logit"] == 3.0 and values["margin"] == 2.0
    assert values["semantic_contrast"] == pytest.approx(0.9 - 0.7)
    assert values["type_missing"] == 1.0 and values["focus_missing"] == 1.0


def test_features_round_trip_and_every_corpus_is_left_out_in_turn(tmp_path):
    rng = np.random.default_rng(11)
    data = []
    for corpus in ("a", "b", "c"):
        for i in range(12):
            q = _question(rng, "semantic")
            q.corpus = q.origin = corpus
            q.answerable = i % 4 != 0
            q.labels = q.labels & q.answerable
            data.append(q)
    path = tmp_path / "features.npz"
    save_features(data, path)
    again = load_features(path)
    assert [q.corpus for q in again] == [q.corpus for q in data]
    assert all(
        np.array_equal(a.rows, b.rows) and np.array_equal(a.labels, b.labels) for a, b in zip(again, data, strict=True)
    )
    # The questions are views of one array read once, not each a copy of every question's rows.
    assert again[0].rows.base is not None and all(q.rows.base is again[0].rows.base for q in again)
    model, folds = fit(again)
    assert set(folds) == {"a", "b", "c"}
    assert model.fitted_on["calibration"]["reliability"]
    assert 0.0 <= model.threshold <= 1.0


def test_the_shipped_model_is_fitted_on_the_current_features():
    text = ranking.default_path().read_text(encoding="utf-8")
    model = RankingModel.from_json(text)  # raises when the features changed without a refit
    fitted = list(model.fitted_on["cross_validation"])
    assert set(fitted) <= set(CORPORA) and len(fitted) >= 3
    assert model.fitted_on["command"] == f"python -m qa.fit --corpora {','.join(fitted)} --write"
    assert model.fitted_on["calibration"]["expected_calibration_error"] <= 0.1


def test_a_fit_needs_three_corpora_and_says_so_in_one_line():
    from qa.fit import main as fit_main

    with pytest.raises(SystemExit, match="three corpora or more"):
        fit_main(["--corpora", "seeds,python-tutorial"])


def test_the_engine_answers_with_the_ranking_model_it_is_given(fake_models, tmp_path):
    from qa.api import Engine

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("The lighthouse was built in 1921.\n")
    given = ranking.neutral()
    engine = Engine(index_dir=tmp_path / "idx", documents=[tmp_path / "docs"], ranking_model=given, models=fake_models)
    engine.prepare()
    assert engine._answerer.model is given  # the unfitted model of qa.fit, whatever ranker.json holds


def _saved_features(tmp_path):
    rng = np.random.default_rng(3)
    data = [_question(rng, "semantic") for _ in range(3)]
    path = tmp_path / "features.npz"
    save_features(data, path)
    return path


@pytest.mark.parametrize(
    "name, changed",
    [
        ("FEATURES_VERSION", ranking.FEATURES_VERSION + 1),  # what a feature measures changed
        ("QUESTION_FACTS", (*QUESTION_FACTS[:-1], "renamed")),  # a name changed
    ],
)
def test_features_of_another_version_are_refused_in_one_line(tmp_path, monkeypatch, name, changed):
    """Saved features are read again only by the code that computes the same features: another FEATURES_VERSION
    or other feature names is one line and a non-zero exit."""
    path = _saved_features(tmp_path)
    assert len(load_features(path)) == 3
    refused = f"qa: features in {path} were collected by another version of the features; collect them again"
    monkeypatch.setattr(ranking, name, changed)
    with pytest.raises(SystemExit) as caught:
        load_features(path)
    assert str(caught.value).startswith(refused) and "\n" not in str(caught.value)


def test_features_saved_before_their_fingerprint_are_refused_in_one_line(tmp_path):
    """A file saved before features carried a fingerprint is one line and a non-zero exit, from the command too."""
    from qa import fit as fit_module

    path = _saved_features(tmp_path)
    # Saved before the fingerprint (as /work/notes/feat/five-c.npz was): the same arrays, without it.
    with np.load(path) as saved:
        arrays = {name: saved[name] for name in saved.files if name != "fingerprint"}
    old = tmp_path / "old.npz"
    np.savez_compressed(old, **arrays)
    with pytest.raises(SystemExit) as caught:
        load_features(old)
    assert str(caught.value).startswith(f"qa: features in {old} were collected by another version")

    # Through the command: nothing is collected or fitted, the line is said and the exit is not 0.
    with pytest.raises(SystemExit) as caught:
        fit_module.main(["--features", str(old)])
    assert caught.value.code != 0 and str(caught.value).startswith(f"qa: features in {old}")


@pytest.mark.parametrize("content", [b"", b"not features\n", b"PK\x03\x04 cut short", b"\x93NUMPY"])
def test_a_features_file_that_is_not_one_is_one_line(tmp_path, content):
    path = tmp_path / "features.npz"
    path.write_bytes(content)
    with pytest.raises(SystemExit) as caught:
        load_features(path)
    message = str(caught.value)
    assert message.startswith(f"qa: cannot read the features in {path}") and "\n" not in message


def test_a_saved_array_is_not_taken_for_features(tmp_path):
    path = tmp_path / "features.npy"
    np.save(path, np.zeros(3))
    with pytest.raises(SystemExit, match="cannot read the features"):
        load_features(path)


# -- boosted trees and the isotonic calibration (python -m qa.fit --model) -----------------------------------


def _boosted_model(seed: int = 5) -> RankingModel:
    """A model whose ranker is the linear one plus boosted trees, calibrated by an isotonic map."""
    from qa.fit import fit_boosted_ranker

    rng = np.random.default_rng(seed)
    ranker = fit_boosted_ranker([_question(rng, "type_match") for _ in range(30)], depth=2, count=5, residual=True)
    model = ranking.neutral()
    model.abstainer.bias = 0.0  # its logit is 0 on a row of zeros
    return RankingModel(ranker, model.abstainer, {}, 0.4, (np.array([-2.0, 0.0, 2.0]), np.array([0.1, 0.4, 0.9])))


def test_the_numpy_trees_predict_what_scikit_learn_predicts():
    from sklearn.tree import DecisionTreeRegressor

    from qa.fit import export_trees

    rng = np.random.default_rng(7)
    rows = rng.normal(size=(300, len(RANK_FEATURES)))
    target = rows[:, 0] * rows[:, 3] + (rows[:, 5] > 0.3) + 0.1 * rng.normal(size=300)
    trees = [
        DecisionTreeRegressor(max_depth=depth, random_state=0).fit(rows, target - 0.2 * k)
        for k, depth in enumerate((1, 2, 3, 4))
    ]
    fresh = rng.normal(size=(200, len(RANK_FEATURES)))
    # Thresholds sit between two float32 values: a row on one is sent the way scikit-learn sends it.
    fresh[:5, trees[0].tree_.feature[0]] = trees[0].tree_.threshold[0]
    exported = export_trees(trees, RANK_FEATURES)
    expected = sum(tree.predict(fresh) for tree in trees)
    np.testing.assert_allclose(exported.logit(fresh), expected, rtol=1e-12, atol=1e-12)
    again = ranking.Trees.from_dict(json.loads(json.dumps(exported.to_dict())))
    np.testing.assert_array_equal(again.logit(fresh), exported.logit(fresh))


def test_boosted_trees_rank_the_passage_that_holds_the_answer_first():
    from qa.fit import fit_boosted_ranker

    rng = np.random.default_rng(2)
    ranker = fit_boosted_ranker([_question(rng, "heading") for _ in range(60)], depth=2, count=30, residual=False)
    fresh = [_question(rng, "heading") for _ in range(40)]
    assert sum(q.labels[int(np.argmax(ranker.logit(q.rows)))] for q in fresh) >= 38


def test_a_boosted_model_with_an_isotonic_calibration_round_trips_through_its_data_file(tmp_path):
    model = _boosted_model()
    path = tmp_path / "ranker.json"
    path.write_text(model.to_json(), encoding="utf-8")
    again = ranking.load(path)
    rows = np.random.default_rng(1).normal(size=(50, len(RANK_FEATURES)))
    # The regression's numbers are stored to 6 decimals (as ever), the trees' exactly.
    np.testing.assert_allclose(again.rank_logits(rows), model.rank_logits(rows), atol=1e-4)
    np.testing.assert_array_equal(again.ranker.trees.logit(rows), model.ranker.trees.logit(rows))
    abstain = np.random.default_rng(2).normal(size=(20, len(ABSTAIN_FEATURES)))
    np.testing.assert_allclose(again.answer_probabilities(abstain), model.answer_probabilities(abstain), atol=1e-6)
    assert again.answer_probability(np.full(len(ABSTAIN_FEATURES), 0.0)) == pytest.approx(0.4)


def _damaged_trees(change):
    def damage(text: str) -> str:
        data = json.loads(text)
        change(data["ranker"]["trees"])
        return json.dumps(data)

    return damage


@pytest.mark.parametrize(
    "damage",
    [
        _damaged_trees(lambda t: t["left"].__setitem__(0, 0)),  # a node its own child: the walk would not end
        _damaged_trees(lambda t: t["right"].__setitem__(0, 10_000)),  # a child outside the trees
        _damaged_trees(lambda t: t["right"].__setitem__(0, t["left"][0])),  # a node with two parents: a wrong depth
        _damaged_trees(lambda t: t["feature"].__setitem__(0, len(RANK_FEATURES))),  # a feature it does not have
        _damaged_trees(lambda t: t["value"].pop()),  # arrays of different lengths
        _damaged_trees(lambda t: t["threshold"].__setitem__(0, "NaN")),
        _damaged_trees(lambda t: t["left"].__setitem__(0, 1.5)),  # a node number that is not one
        _damaged_trees(lambda t: t["roots"].__setitem__(0, -3)),
        _damaged_trees(lambda t: t.__setitem__("features", t["features"][:-1])),
        _damaged_trees(lambda t: t.pop("value")),
        lambda text: json.dumps({**json.loads(text), "calibration": {"logits": [1.0, 0.0], "probabilities": [0, 1]}}),
        lambda text: json.dumps({**json.loads(text), "calibration": {"logits": [0.0], "probabilities": [2.0]}}),
        lambda text: json.dumps({**json.loads(text), "ranker": ["boosted"]}),
    ],
)
def test_a_broken_tree_model_file_is_refused_with_one_clear_error(tmp_path, damage):
    path = tmp_path / "ranker.json"
    path.write_text(damage(_boosted_model().to_json()), encoding="utf-8")
    with pytest.raises(ModelUnavailable, match="cannot load the ranking model .*refit") as caught:
        ranking.load(path)
    assert "\n" not in str(caught.value)


def test_a_model_choice_is_parsed_or_refused_in_one_line():
    from qa.fit import ModelChoice

    assert ModelChoice.parse("linear+trees/summary/isotonic") == ModelChoice("linear+trees", "summary", "isotonic")
    assert ModelChoice.parse("trees") == ModelChoice("trees", "linear", "platt")
    for wrong in ("forest", "linear/forest", "linear/linear/platt/more"):
        with pytest.raises(SystemExit, match="qa.fit: --model wants") as caught:
            ModelChoice.parse(wrong)
        assert "\n" not in str(caught.value)


def test_every_model_choice_runs_the_folds_and_a_boosted_one_is_written_and_read_back(tmp_path, monkeypatch, capsys):
    from qa import fit as fit_module
    from qa import fit_models
    from qa.fit import ModelChoice

    monkeypatch.setattr(fit_models, "BOOST_MAX_TREES", 3)
    rng = np.random.default_rng(4)
    data = []
    a, b, c, d = list(CORPORA)[:4]
    for corpus in (a, b, c, d):
        for i in range(10):
            q = _question(rng, "coverage")
            q.corpus = q.origin = corpus
            q.answerable = i % 4 != 0
            q.labels = q.labels & q.answerable
            data.append(q)
    for ranker in fit_module.RANKER_KINDS:
        for abstainer in fit_module.ABSTAINER_KINDS:
            choice = ModelChoice(ranker, abstainer, "isotonic" if abstainer == "linear" else "platt")
            model, folds = fit([q for q in data if q.corpus != d], [a, b, c], choice=choice)
            assert set(folds) == {a, b, c} and 0.0 <= model.threshold <= 1.0
    features = tmp_path / "features.npz"
    save_features(data, features)
    written = tmp_path / "data" / "ranker.json"
    assert (
        fit_module.main(
            ["--features", str(features), "--corpora", f"{a},{b},{c}", "--model", "linear+trees", "--write"],
            ranker_path=written,
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "folders never seen by this fit:" in out and out.count("all ") >= 8  # three folds, three in sample, d
    model = ranking.load(written)
    assert isinstance(model.ranker, ranking.BoostedRanker)
    assert "--model linear+trees/linear/platt" in model.fitted_on["command"]
    # An abstainer reading features qa does not compute when answering is not written.
    with pytest.raises(SystemExit, match="cannot be written") as caught:
        fit_module.main(
            ["--features", str(features), "--corpora", f"{a},{b},{c}", "--model", "linear/summary", "--write"],
            ranker_path=written,
        )
    assert "\n" not in str(caught.value)
