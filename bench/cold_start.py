"""Cold and warm question latency, ours against the naive path, from one run.

    .venv/bin/python bench/cold_start.py [--runs 10] [--naive-runs 3]

- cold: a fresh ``qa ask "When was DeepSeek launched?"`` process, index built,
  model files already prepared in the cache (the normal case from the second
  question on);
- first: the same with an empty cache folder (the one run that prepares it);
- naive: the same command with sentence-transformers loaded to embed the
  question and the multilingual encoder loaded from its package files, as
  before the torch-free path;
- warm: per question inside one process (what ``qa ask --json -`` and the chat
  pay), over the shared questions, and the whole ``qa ask --json -`` run;
- warm with a busy core: the same while another process keeps one core busy
  (a laptop compiling, a browser), the case where encoders that wait on each
  other by spinning lose most.

Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QA = ROOT / ".venv" / "bin" / "qa"
PYTHON = ROOT / ".venv" / "bin" / "python"
QUESTION = "When was DeepSeek launched?"
SHARED_QUESTIONS = ROOT.parent / "shared" / "eval" / "questions.jsonl"

NAIVE = """
import sys
from qa.cli import main
from qa.crosslingual import MultilingualEncoder
from qa.embedding import SentenceTransformerEmbedder
from qa.models import Models
# The naive path: sentence-transformers (torch) embeds the question, and the
# multilingual encoder reads its own package files (pure-Python tokenizer,
# compressed weights) with numpy's default threads.
naive = Models(
    question_encoder=lambda name, settings=None: SentenceTransformerEmbedder(name, settings=settings, bfloat16=False),
    multilingual_encoder=lambda settings=None: MultilingualEncoder(threads=2, cache=False, settings=settings),
)
sys.exit(main(["ask", sys.argv[1]], models=naive))
"""


def _env(**extra) -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env.update(extra)
    return env


def _timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _questions() -> list[str]:
    if not SHARED_QUESTIONS.exists():
        return [QUESTION, "Quand DeepSeek a-t-il été lancé ?"]
    return [json.loads(line)["question"] for line in SHARED_QUESTIONS.read_text(encoding="utf-8").splitlines() if line]


def warm_latencies(rounds: int) -> list[float]:
    """Seconds per question inside one engine, after a first question."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from qa.api import Engine

    engine = Engine()
    engine.prepare()
    questions = _questions()
    engine.answer(questions[0])
    out = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            engine.answer(question)
            out.append(time.perf_counter() - started)
    return out


def warm_latencies_with_a_busy_core(rounds: int) -> list[float]:
    """``warm_latencies`` while another process spins on one core."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        return warm_latencies(rounds)
    finally:
        busy.kill()
        busy.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="cold runs of our path (default 10)")
    parser.add_argument("--naive-runs", type=int, default=3, help="runs of the naive path (default 3)")
    parser.add_argument("--warm-rounds", type=int, default=3, help="passes over the shared questions (default 3)")
    args = parser.parse_args()

    env = _env()
    ask = [str(QA), "ask", QUESTION]
    subprocess.run(ask, env=env, check=True, capture_output=True)  # index built, cache prepared
    cold = [_timed(ask, env) for _ in range(args.runs)]
    with tempfile.TemporaryDirectory(prefix="qa-cache-") as empty:
        first = _timed(ask, _env(QA_CACHE_DIR=empty))
    naive = [_timed([str(PYTHON), "-c", NAIVE, QUESTION], env) for _ in range(args.naive_runs)]

    questions = _questions()
    started = time.perf_counter()
    subprocess.run(
        [str(QA), "ask", "--json", "-"],
        input="\n".join(questions) + "\n",
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    batch = time.perf_counter() - started
    warm = warm_latencies(args.warm_rounds)
    busy = warm_latencies_with_a_busy_core(args.warm_rounds)

    figures = {
        "cold_p50_s": round(statistics.median(cold), 3),
        "cold_min_s": round(min(cold), 3),
        "cold_max_s": round(max(cold), 3),
        "first_run_s": round(first, 3),
        "naive_p50_s": round(statistics.median(naive), 3),
        "cold_speedup": round(statistics.median(naive) / statistics.median(cold), 1),
        "warm_p50_ms": round(statistics.median(warm) * 1e3, 1),
        "warm_p95_ms": round(sorted(warm)[int(0.95 * (len(warm) - 1))] * 1e3, 1),
        "warm_busy_core_p50_ms": round(statistics.median(busy) * 1e3, 1),
        "ask_json_stdin_s": round(batch, 2),
        "ask_json_stdin_questions": len(questions),
        "runs": args.runs,
        "naive_runs": args.naive_runs,
    }
    print(
        f"cold `qa ask` (median of {args.runs}):      {figures['cold_p50_s']:.3f} s  (min {figures['cold_min_s']:.3f})"
    )
    print(f"first run, empty cache:             {figures['first_run_s']:.3f} s")
    print(
        f"naive, sentence-transformers (median of {args.naive_runs}): {figures['naive_p50_s']:.3f} s"
        f"  -> ours is {figures['cold_speedup']}x faster"
    )
    print(f"warm, per question (median, p95):   {figures['warm_p50_ms']} ms, {figures['warm_p95_ms']} ms")
    print(f"warm, one core busy elsewhere:      {figures['warm_busy_core_p50_ms']} ms (median)")
    print(f"`qa ask --json -`, {len(questions)} questions:   {batch:.2f} s in all")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
