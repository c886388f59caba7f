"""Answer quality on the three development sets must not fall below the floors measured for issue 10.

The corpora are indexed here with the real models (a few minutes on two cores),
then answered and scored exactly as ../shared/eval/score.py scores them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.evaluation import judge, load_questions, summarize
from qa.reader import unwrapped

PROJECT = Path(__file__).resolve().parent.parent
EVAL = PROJECT.parent / "shared" / "eval"

# corpus -> (gold file, folder of documents or None for seeds/, floors).
# Floors: (all, answerable English, answerable French, unanswerable). Each is issue 10's floor (all:
# 34, 36, 40; each language 75 %; unanswerable 5/6, 8/10) or one below what `qa eval` measured when
# the ranking model was last refitted (README, "Quality"), whichever is higher: the retrieval model's
# threads may order near-ties differently from one run to another. Where the floor is what
# was measured (seeds 34, Debian French 12/15), few questions stand near a decision (answer
# probability 0.5 ± 0.06, or the two best passages within 0.05 in logit): none of the seeds, one of
# the fifteen French Debian questions (0.046 apart); measured 2026-11-30.
CORPORA = {
    "seeds": ("questions.jsonl", None, (34, 19, 7, 5)),
    "python-tutorial": ("python-tutorial.jsonl", "corpora/python-tutorial", (41, 21, 9, 9)),
    "debian-reference-fr": ("debian-reference-fr.jsonl", "corpora/debian-reference-fr", (40, 19, 12, 8)),
}

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not EVAL.exists(), reason="../shared/eval is not beside the project"),
]


@pytest.fixture(scope="module", params=list(CORPORA))
def scored(request, tmp_path_factory):
    from qa.api import Engine

    gold_file, folder, floors = CORPORA[request.param]
    if folder is None:
        engine = Engine()
    else:
        documents = EVAL / folder
        engine = Engine(index_dir=tmp_path_factory.mktemp(request.param), documents=[documents], root=documents.parent)
    rows, answers = [], {}
    for item in load_questions(EVAL / gold_file):
        answer = engine.answer(item["question"])
        answers[item["id"]] = answer
        ok, why = judge(item, answer.to_dict())
        rows.append({"id": item["id"], "lang": item["lang"], "answerable": item["answerable"], "ok": ok, "why": why})
    return request.param, rows, summarize(rows), answers, floors


def test_scores_stay_above_the_floors(scored):
    corpus, rows, summary, _, (overall, english, french, unanswerable) = scored
    misses = [f"{r['id']}: {r['why']}" for r in rows if not r["ok"]]
    assert summary["all"][0] >= overall, (corpus, summary, misses)
    assert summary["answerable_en"][0] >= english, (corpus, summary, misses)
    assert summary["answerable_fr"][0] >= french, (corpus, summary, misses)
    assert summary["unanswerable"][0] >= unanswerable, (corpus, summary, misses)


def test_answers_lead_with_the_short_answer_and_are_backed(scored):
    _, _, _, answers, _ = scored
    for answer in answers.values():
        if answer.abstained:
            assert answer.answer == "" and not answer.citations
            continue
        assert len(answer.answer) <= 300
        if answer.short_answer:
            assert answer.answer.startswith(answer.short_answer)
            # A list's labels ("A ; B ; C") are each backed by one of its cited items.
            for part in answer.short_answer.split(" ; "):
                assert any(part in unwrapped(c.text) or part in c.text for c in answer.citations), (
                    answer.question,
                    part,
                )
