"""The fitted ranking and abstention model: its fitting, its data file, and the shipped weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa import ranking
from qa.fit import QuestionData, fit_abstainer, fit_ranker
from qa.ranking import ABSTAIN_FEATURES, RANK_FEATURES, RankingModel, fit_logistic


def _question(rng, informative: str, positives: int = 1, candidates: int = 12) -> QuestionData:
    rows = rng.normal(size=(candidates, len(RANK_FEATURES)))
    labels = np.zeros(candidates, dtype=bool)
    labels[:positives] = True
    rows[labels, RANK_FEATURES.index(informative)] += 5.0
    return QuestionData("synthetic", True, rows, labels, origin="synthetic")


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


def test_the_shipped_model_is_fitted_on_the_current_features():
    text = ranking.default_path().read_text(encoding="utf-8")
    model = RankingModel.from_json(text)  # raises when the features changed without a refit
    assert model.fitted_on["command"] == "python -m qa.fit --write"
    assert set(model.fitted_on["cross_validation"]) == {"seeds", "python-tutorial", "debian-reference-fr"}
