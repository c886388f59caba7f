"""How the answer's passages are chosen around the best one (qa.quoting.Quoter)."""

from __future__ import annotations

from qa.answering import Scored
from qa.documents import Passage
from qa.quoting import Quoter
from qa.retrieval import Candidate


def _scored(pid: int, text: str, score: float, paragraph_line: int = 10) -> Scored:
    passage = Passage("manual.txt", pid, pid, 100 * pid, 100 * pid + len(text), text, paragraph_line, 20)
    return Scored(Candidate(pid, passage, score), score, 0.0, [])


def test_the_best_sentence_is_quoted_with_its_neighbour_that_ranks_close_behind():
    """One sentence names the subject, the next answers: the neighbour is quoted with the best when it
    ranks among the first three, not only second, in reading order; a sentence of another paragraph,
    or one ranked far behind, is not."""
    quoter = Quoter(index=None)  # the method reads no index
    best = _scored(5, "Padding aligns the dynamics on one line at a distance from the staff.", 10.0)
    other = _scored(40, "Padding is measured in staff spaces.", 9.0, paragraph_line=30)
    answer = _scored(6, "It is a property of the line spanner, not of the dynamic text.", 8.0)
    far = _scored(4, "Dynamics are printed below the staff.", 1.0)
    assert quoter.with_runner_up([best, other, answer], [best.candidate.passage]) == [
        best.candidate.passage,
        answer.candidate.passage,
    ]
    assert quoter.with_runner_up([best, other, _scored(41, "x.", 7.0), far], [best.candidate.passage]) == [
        best.candidate.passage
    ]
