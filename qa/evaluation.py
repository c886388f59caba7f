"""Score answers on a gold question file, exactly as ../shared/eval/score.py does."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from qa.errors import UsageError, loads_json
from qa.text import terminal_safe

# The longest answer ../shared/eval/score.py accepts (its own MAX_ANSWER_CHARS).
# Defined here, a module that imports nothing heavy, so that qa.quoting (which
# shapes answers to it) and qa.verification (which trims generated answers to
# it, and must stay importable without numpy or faiss) share this one number.
MAX_ANSWER_CHARS = 300


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", text))


def contains(haystack: str, needles) -> bool:
    padded = f" {normalize(haystack)} "
    return any(f" {normalize(n)} " in padded for n in needles if normalize(n))


def load_questions(path: Path) -> list[dict]:
    """The questions of a JSONL file, each checked: one clear UsageError for the first bad line."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    questions = []
    for number, raw in enumerate(data.splitlines(), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(f"{path}:{number}: not UTF-8 text (byte {exc.start + 1} of the line)") from None
        if not line.strip():
            continue
        try:
            item = loads_json(line)
        except ValueError as exc:
            raise UsageError(f"{path}:{number}: not a JSON object ({exc})") from None
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise UsageError(f'{path}:{number}: each line needs a "question" string')
        problem = _field_problem(item)
        if problem:
            raise UsageError(f"{path}:{number}: {problem}")
        questions.append(item)
    return questions


def _field_problem(item: dict) -> str:
    """What is wrong with a question's optional fields, or ""."""
    answers = item.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        return '"answers" must be a list of strings'
    if not isinstance(item.get("answerable", True), bool):
        return '"answerable" must be true or false'
    if not isinstance(item.get("id", ""), (str, int)) or isinstance(item.get("id"), bool):
        return '"id" must be a string or a number'
    if not isinstance(item.get("lang"), (str, type(None))):
        return '"lang" must be a string'
    return ""


def judge(question: dict, result: dict) -> tuple[bool, str]:
    if not question.get("answerable", True):
        ok = bool(result.get("abstained"))
        return ok, "" if ok else "answered: " + str(result.get("answer", ""))[:80]
    answer = str(result.get("answer", ""))
    cites = [str(c.get("text", "")) for c in result.get("citations", [])]
    accepted = question.get("answers", [])
    if result.get("abstained"):
        return False, "abstained"
    if len(answer) > MAX_ANSWER_CHARS:
        return False, f"answer longer than {MAX_ANSWER_CHARS} chars"
    if not contains(answer, accepted):
        return False, "wrong: " + answer[:80]
    if not any(contains(c, accepted) for c in cites):
        return False, "no citation backs the answer"
    return True, ""


def right_answer(question: dict, result: dict) -> bool | None:
    """Whether the answer shown, or when abstaining the nearest passage, holds an accepted answer: the
    event that ``confidence`` gives the probability of. None when it cannot be told (an abstention
    without its nearest passage)."""
    if not question.get("answerable", True):
        return False
    accepted = question.get("answers", [])
    if not result.get("abstained"):
        return judge(question, result)[0]
    nearest = result.get("nearest") or []
    return contains(str(nearest[0].get("text", "")), accepted) if nearest else None


def calibration_table(confidences, rights, bins: int = 10) -> tuple[float, list[dict]]:
    """Expected calibration error of ``confidences`` against ``rights`` (equal-width bins, each weighted by
    its share of the questions), and the reliability table: per bin, how many questions, their mean
    confidence and how often right. Plain Python: qa.fit and qa eval share it."""
    totals: dict[int, list[float]] = {}
    for confidence, right in zip(confidences, rights, strict=True):
        entry = totals.setdefault(min(int(float(confidence) * bins), bins - 1), [0, 0.0, 0.0])
        entry[0] += 1
        entry[1] += float(confidence)
        entry[2] += float(bool(right))
    count = sum(n for n, _, _ in totals.values())
    error, table = 0.0, []
    for b in sorted(totals):
        n, confidence, right = totals[b]
        error += abs(confidence - right) / max(count, 1)
        table.append(
            {
                "bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
                "questions": n,
                "confidence": round(confidence / n, 3),
                "right": round(right / n, 3),
            }
        )
    return error, table


def calibration_error(rows: list[dict], bins: int = 10) -> tuple[float, int]:
    """Expected calibration error of the rows' ``confidence`` against their ``right`` (see calibration_table),
    and how many questions it was measured on (those whose ``right`` is known)."""
    known = [r for r in rows if r.get("right") is not None]
    error, _ = calibration_table([r["confidence"] for r in known], [r["right"] for r in known], bins)
    return error, len(known)


def summarize(rows: list[dict]) -> dict[str, tuple[int, int]]:
    def fraction(selected):
        selected = list(selected)
        return sum(r["ok"] for r in selected), len(selected)

    return {
        "answerable": fraction(r for r in rows if r["answerable"]),
        "answerable_en": fraction(r for r in rows if r["answerable"] and r["lang"] == "en"),
        "answerable_fr": fraction(r for r in rows if r["answerable"] and r["lang"] == "fr"),
        "unanswerable": fraction(r for r in rows if not r["answerable"]),
        "all": fraction(rows),
    }


def report(rows: list[dict], summary: dict[str, tuple[int, int]]) -> str:
    # Ids come from the questions file and reasons quote answers: both shown, never acted on by the terminal.
    lines = [f"MISS {terminal_safe(str(r['id']))}: {terminal_safe(r['why'])}" for r in rows if not r["ok"]]
    lines += [f"{key:14s} {ok}/{n}" for key, (ok, n) in summary.items()]
    ok, n = summary["all"]
    lines.append(f"score {ok}/{n} = {ok / max(n, 1):.2f}")
    # Beyond what score.py prints: how far the confidence is from the rate of right answers.
    error, measured = calibration_error(rows)
    if measured:
        lines.append(f"calibration error {error:.3f} over {measured} questions (confidence against right answers)")
    return "\n".join(lines)
