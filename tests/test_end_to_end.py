"""The real default models on the seeds, through the `qa` command as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qa.documents import decode, lines_of

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = ROOT.parent / "shared" / "eval"
QA = [sys.executable, "-m", "qa.cli"]
HEADLINE = "When was DeepSeek launched?"

pytestmark = pytest.mark.model


def run_qa(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env.pop("QA_MODEL", None)
    return subprocess.run([*QA, *args], input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)


@pytest.fixture(scope="session")
def seeds_index():
    """The default index of seeds/, built (or refreshed) once for the session."""
    from qa.api import Engine

    engine = Engine()
    engine.prepare()
    return engine


def assert_verbatim(citation: dict) -> None:
    text = decode((ROOT / citation["source"]).read_bytes())
    assert citation["text"] in lines_of(text, citation["start_line"], citation["end_line"])


def test_headline_question_answered_with_its_line(seeds_index):
    result = run_qa("ask", HEADLINE)
    assert result.returncode == 0, result.stderr
    first_line = result.stdout.splitlines()[0]
    assert first_line.startswith("11 janvier 2025")
    assert "[1] seeds/000_aae807d8bfaf3f60.txt:2" in result.stdout
    assert "ayant été lancée le 11 janvier 2025" in result.stdout


def test_json_contract(seeds_index):
    result = run_qa("ask", "--json", HEADLINE)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    answer = json.loads(lines[0])
    assert answer["question"] == HEADLINE
    assert answer["abstained"] is False
    assert "11 janvier 2025" in answer["answer"] and len(answer["answer"]) <= 300
    first = answer["citations"][0]
    assert first["n"] == 1 and first["source"] == "seeds/000_aae807d8bfaf3f60.txt"
    assert first["start_line"] == first["end_line"] == 2
    assert "11 janvier 2025" in first["text"] and isinstance(first["score"], float)
    for citation in answer["citations"]:
        assert_verbatim(citation)


def test_questions_from_stdin_one_object_per_line(seeds_index):
    questions = [HEADLINE, "Quand DeepSeek a-t-il été lancé ?", "What is the capital of France?"]
    result = run_qa("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [a["question"] for a in answers] == questions
    assert "11 janvier 2025" in answers[1]["answer"]
    assert answers[2]["abstained"] is True and answers[2]["answer"] == "" and answers[2]["citations"] == []


def test_unanswerable_question_says_so(seeds_index):
    result = run_qa("ask", "Who is the CEO of DeepSeek?")
    assert result.returncode == 0
    assert "don't say" in result.stdout


def test_a_quantity_answers_with_what_the_question_counts(seeds_index):
    """Two sentences quoted together hold "21 jours" and "22,15 millions d'utilisateurs": "how many
    daily users" is answered with the users."""
    result = run_qa("ask", "--json", "How many daily users does DeepSeek have?")
    answer = json.loads(result.stdout)
    assert not answer["abstained"] and "22,15 millions" in answer["short_answer"], answer


@pytest.mark.skipif(not (SHARED_EVAL / "questions.jsonl").exists(), reason="../shared/eval is not beside the project")
def test_eval_prints_the_same_scores_as_the_shared_scorer(seeds_index, tmp_path):
    questions = SHARED_EVAL / "questions.jsonl"
    ours = run_qa("eval", str(questions))
    assert ours.returncode == 0, ours.stderr
    texts = [
        json.loads(line)["question"] for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    answers = run_qa("ask", "--json", "-", stdin="\n".join(texts) + "\n")
    results = tmp_path / "results.jsonl"
    results.write_text(answers.stdout, encoding="utf-8")
    theirs = subprocess.run(
        [sys.executable, str(SHARED_EVAL / "score.py"), str(questions), str(results)], capture_output=True, text=True
    )
    # qa eval prints what score.py prints, then the calibration error of the confidence.
    *scored, calibration = ours.stdout.strip().splitlines()
    assert "\n".join(scored) == theirs.stdout.strip()
    assert re.fullmatch(
        r"calibration error 0\.\d{3} over 3[0-6] questions \(confidence against right answers\)", calibration
    )


def test_each_answer_names_its_question_exactly_as_asked(seeds_index):
    asked = "Quand DeepSeek a-t-il été lancé\u202f?"  # French typography: a narrow no-break space
    result = run_qa("ask", "--json", "-", stdin=asked + "\r\n")
    answer = json.loads(result.stdout)
    assert answer["question"] == asked
    assert answer["searched_question"] == "Quand DeepSeek a-t-il été lancé ?"
    assert "11 janvier 2025" in answer["answer"]
