"""Generated training questions in qa.fit (--generated): fitted on, left out with the folder their manual
overlaps, never scored."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from qa import fit as fit_module
from qa.fit import QuestionData, collect_generated, fit, generated_folds, load_features, save_features
from qa.fit_data import _featurize
from qa.ranking import QUESTION_FACTS, RANK_FEATURES

FOLDERS = ("seeds", "python-tutorial", "debian-reference-fr")


def _question(rng, corpus: str, answerable: bool = True, **marks) -> QuestionData:
    rows = rng.normal(size=(8, len(RANK_FEATURES)))
    labels = np.zeros(8, dtype=bool)
    labels[0] = answerable
    rows[0, RANK_FEATURES.index("semantic")] += 4.0
    facts = dict.fromkeys(QUESTION_FACTS, 0.0)
    return QuestionData(corpus, answerable, rows, labels, np.zeros(8), facts, origin=corpus, **marks)


def _data(seed: int = 3) -> list[QuestionData]:
    """Twelve human questions a folder, and generated ones on two manuals: one overlapping the Debian
    reference, one overlapping nothing."""
    rng = np.random.default_rng(seed)
    data = [_question(rng, folder, answerable=i % 4 != 0) for folder in FOLDERS for i in range(12)]
    data += [
        _question(rng, "debian-reference-en", i % 5 != 0, generated=True, overlaps="debian-reference-fr")
        for i in range(30)
    ]
    data += [_question(rng, "bash-doc", i % 5 != 0, generated=True) for i in range(40)]
    return data


def test_a_held_out_folder_leaves_out_the_generated_questions_of_its_manuals():
    data = _data()
    folds_of = generated_folds(data, list(FOLDERS))
    assert folds_of["debian-reference-en"] == "debian-reference-fr"  # the folder it overlaps
    assert folds_of["bash-doc"] in FOLDERS
    fitted_on: list[list[QuestionData]] = []

    def spy(train):
        fitted_on.append(train)
        return fit_module.fit_ranker(train)

    fit(data, list(FOLDERS), fit_ranker_fn=spy)
    for train in fitted_on:
        for folder in FOLDERS:
            if not any(q.corpus == folder for q in train):  # that folder is held out of this fit
                assert not [q for q in train if q.generated and folds_of[q.corpus] == folder]
    # They are fitted on all the same: where their folder is not held out, and in the final fit.
    assert any(q.corpus == "debian-reference-en" for q in fitted_on[0])  # the seeds held out
    assert sum(q.generated for q in fitted_on[-1]) == 70


def test_generated_questions_never_count_in_the_fold_scores(capsys):
    data = _data()
    model, folds = fit(data, list(FOLDERS))
    for figures in folds.values():
        assert figures["all"].endswith("/12")  # the folder's twelve human questions, nothing else
    assert model.fitted_on["corpora"] == dict.fromkeys(FOLDERS, 12)
    assert model.fitted_on["generated_questions"] == {"bash-doc": 40, "debian-reference-en": 30}
    assert 0.0 <= model.fitted_on["calibration"]["generated_expected_calibration_error"] <= 1.0
    fit_module.print_report(model, folds)
    printed = capsys.readouterr().out
    sums = [line.split() for line in printed.splitlines() if line.strip().startswith("sum")]
    assert sums[0][-1].endswith("/36")
    assert "70 generated questions" in printed


def test_a_manual_overlapping_a_folder_left_out_of_the_fit_is_never_fitted_on():
    data = _data()
    fitted_on: list[list[QuestionData]] = []

    def spy(train):
        fitted_on.append(train)
        return fit_module.fit_ranker(train)

    # Fitting on three folders, the Debian reference unseen: its manual must stay unseen too.
    rng = np.random.default_rng(5)
    data += [_question(rng, "pdf-manuals") for _ in range(12)]
    corpora = ["seeds", "python-tutorial", "pdf-manuals"]
    model, _ = fit([q for q in data if q.generated or q.corpus in corpora], corpora, fit_ranker_fn=spy)
    assert not any(q.corpus == "debian-reference-en" for train in fitted_on for q in train)
    assert model.fitted_on["generated_questions"] == {"bash-doc": 40}


def _cli(tmp_path, capsys, *extra: str) -> str:
    assert fit_module.main(["--features", str(tmp_path / "features.npz"), "--corpora", ",".join(FOLDERS), *extra]) == 0
    return capsys.readouterr().out


def test_without_the_flag_saved_generated_questions_are_left_aside(tmp_path, capsys):
    data = _data()
    save_features([q for q in data if not q.generated], tmp_path / "features.npz")
    gold_only = _cli(tmp_path, capsys)
    save_features(data, tmp_path / "features.npz")
    assert _cli(tmp_path, capsys) == gold_only  # default off: today's fit
    with_generated = _cli(tmp_path, capsys, "--generated", str(tmp_path))
    assert "70 generated questions" in with_generated
    sums = [line for line in with_generated.splitlines() if line.strip().startswith("sum")]
    assert sums and sums[0].split()[-1].endswith("/36")


def test_generated_marks_survive_the_features_file_read_once(tmp_path):
    data = _data()
    save_features(data, tmp_path / "features.npz")
    again = load_features(tmp_path / "features.npz")
    assert [(q.corpus, q.generated, q.overlaps) for q in again] == [(q.corpus, q.generated, q.overlaps) for q in data]
    # One array for all the questions, not one copy of it per question.
    assert again[0].rows.base is again[-1].rows.base


def test_features_saved_before_generated_questions_load_as_human_ones(tmp_path):
    data = [q for q in _data() if not q.generated]
    save_features(data, tmp_path / "old.npz")
    with np.load(tmp_path / "old.npz") as saved:
        arrays = {k: saved[k] for k in saved.files if k not in ("generated", "overlaps")}
    np.savez_compressed(tmp_path / "old.npz", **arrays)
    assert not any(q.generated or q.overlaps for q in load_features(tmp_path / "old.npz"))


def test_a_held_out_manual_is_refused_in_one_line(tmp_path):
    (tmp_path / "questions").mkdir()
    (tmp_path / "questions" / "debian-faq.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"^qa: .*held out"):
        collect_generated(tmp_path / "questions")


def test_a_manual_without_an_index_is_skipped_and_said(tmp_path):
    (tmp_path / "questions").mkdir()
    (tmp_path / "questions" / "apt-doc.jsonl").write_text(json.dumps({"question": "q?"}) + "\n", encoding="utf-8")
    said = []
    assert collect_generated(tmp_path / "questions", notice=said.append) == []
    assert any("apt-doc" in m and "no index" in m for m in said)


def test_a_generated_answer_counts_in_any_copy_a_gold_one_in_its_source_only():
    def candidate(source: str, text: str):
        passage = SimpleNamespace(source=source, text=text, clean=text)
        return SimpleNamespace(candidate=SimpleNamespace(passage=passage), features=np.zeros(len(RANK_FEATURES)))

    scored = [
        candidate("apt-doc/root/usr/share/doc/apt/a.md", "EDSP: External Dependency Solver Protocol"),
        candidate("apt-doc/root/usr/share/doc/apt/b.md", "EDSP: External Dependency Solver Protocol"),
        candidate("apt-doc/root/usr/share/doc/apt/a.md", "something else"),
    ]
    answerer = SimpleNamespace(
        featurize=lambda question: (None, None, scored),
        focus_missing=lambda *args: np.zeros(len(scored)),
        question_facts=lambda *args: dict.fromkeys(QUESTION_FACTS, 0.0),
    )
    question = {
        "question": "What is EDSP short for?",
        "answers": ["External Dependency Solver Protocol"],
        "sources": ["root/usr/share/doc/apt/a.md"],
    }
    q = _featurize(answerer, question, "apt-doc", "apt-doc", True, generated=True)
    assert q.labels.tolist() == [True, True, False]  # b.md: the same text in another format of the manual
    gold = _featurize(answerer, {**question, "sources": ["a.md"]}, "seeds", "seeds", True)
    assert gold.labels.tolist() == [True, False, False] and not gold.generated


def test_generated_questions_are_featurized_against_their_manuals_index(fake_models, tmp_path):
    from qa.api import Engine

    manual = tmp_path / "manuals" / "maint-guide" / "root" / "doc"
    manual.mkdir(parents=True)
    (manual / "a.txt").write_text("The lighthouse was built in 1921 by the harbour board.\n", encoding="utf-8")
    (manual / "b.txt").write_text("The ferry crosses the bay twice a day in summer.\n", encoding="utf-8")
    # An index of part of the manual (a.txt only), as a restricted build leaves it.
    Engine(index_dir=tmp_path / "indexes" / "maint-guide", documents=[manual / "a.txt"], models=fake_models).prepare()
    (tmp_path / "questions").mkdir()
    asked = [
        {"question": "When was the lighthouse built?", "answers": ["1921"], "sources": ["root/doc/a.txt"]},
        {"question": "How often does the ferry cross?", "answers": ["twice a day"], "sources": ["root/doc/b.txt"]},
        {"question": "Who painted the lighthouse?", "answerable": False, "answers": [], "sources": []},
    ]
    (tmp_path / "questions" / "maint-guide.jsonl").write_text(
        "".join(json.dumps(q) + "\n" for q in asked), encoding="utf-8"
    )
    said = []
    data = collect_generated(tmp_path / "questions", notice=said.append, models=fake_models)
    assert any("1 questions on files not in its index left out" in m for m in said)  # b.txt is not indexed
    assert [(q.corpus, q.generated, q.answerable) for q in data] == [
        ("maint-guide", True, True),
        ("maint-guide", True, False),
    ]
    assert data[0].labels.any() and not data[1].labels.any()


def test_a_generated_line_that_is_no_question_is_one_line(tmp_path):
    (tmp_path / "questions").mkdir()
    (tmp_path / "questions" / "apt-doc.jsonl").write_text("[1, 2]\n", encoding="utf-8")
    (tmp_path / "indexes" / "apt-doc").mkdir(parents=True)
    (tmp_path / "indexes" / "apt-doc" / "CURRENT").write_text("x", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"^qa: .*apt-doc.jsonl: every line must be a question object"):
        collect_generated(tmp_path / "questions")


def test_a_folder_in_the_features_but_not_fitted_on_is_answered_by_the_fitted_model(tmp_path, capsys):
    rng = np.random.default_rng(7)
    unseen = [_question(rng, "pdf-manuals", answerable=i % 4 != 0) for i in range(8)]
    save_features(_data() + unseen, tmp_path / "features.npz")
    printed = _cli(tmp_path, capsys, "--generated", str(tmp_path))
    after = printed.split("folders never seen by this fit:")[1]
    assert "pdf-manuals" in after and "all " in after and "/8" in after
    cross_validation = printed.split("in sample:")[0]
    assert "pdf-manuals" not in cross_validation  # neither fitted on nor a fold


def test_a_sweep_of_a_fit_setting_refits_with_each_value_when_run_as_a_module(tmp_path):
    import os
    import subprocess
    import sys

    save_features(_data(), tmp_path / "features.npz")
    done = subprocess.run(
        [sys.executable, "-m", "qa.fit", "--features", str(tmp_path / "features.npz"), "--corpora", ",".join(FOLDERS)]
        + ["--generated", str(tmp_path), "--sweep", "GENERATED_WEIGHT=0,1"],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["GENERATED_WEIGHT=0", "GENERATED_WEIGHT=1"]
    # Set in the module that fits (__main__ here), each value gives its own fit.
    assert lines[0].split(": ", 1)[1] != lines[1].split(": ", 1)[1]


def test_the_boosted_ranker_weighs_generated_questions_as_the_linear_one(monkeypatch):
    import sys

    from qa.fit import fit_boosted_ranker

    data = _data()
    human = [q for q in data if not q.generated]
    module = sys.modules[QuestionData.__module__]  # where rank_weight reads the setting
    monkeypatch.setattr(module, "GENERATED_RANK_WEIGHT", 0.0)
    alone = fit_boosted_ranker(human, 2, 5, residual=True)
    left_out = fit_boosted_ranker(data, 2, 5, residual=True)  # weight 0: left out, as fit_ranker leaves them
    assert np.array_equal(alone.trees.value, left_out.trees.value)
    assert np.array_equal(alone.linear.weights, left_out.linear.weights)
    monkeypatch.setattr(module, "GENERATED_RANK_WEIGHT", 0.5)
    weighed = fit_boosted_ranker(data, 2, 5, residual=True)
    assert not np.array_equal(alone.trees.value, weighed.trees.value)


def test_a_model_choice_of_more_capacity_fits_with_generated_questions_out_of_fold():
    from qa.fit import ModelChoice

    data = _data()
    model, folds = fit(data, list(FOLDERS), choice=ModelChoice("linear+trees", "summary+trees", "isotonic"))
    assert set(folds) == set(FOLDERS)  # the generated questions are never a fold
    assert sum(model.fitted_on["generated_questions"].values()) == 70
    assert 0.0 <= model.fitted_on["calibration"]["generated_expected_calibration_error"] <= 1.0
    assert sum(int(f["all"].split("/")[1]) for f in folds.values()) == 36  # the human questions alone scored
