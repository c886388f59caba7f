"""Crashes during a rebuild: SIGKILL at every storage step and at random moments, and Ctrl-C.

Each run is a real `qa index` process (tests/fake_qa.py: the CLI with the fake
models) rebuilding an index whose documents changed. After every kill the index
must load and answer, cite text exactly as in the version it indexed, and the
next start must clean what the killed build left behind.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import fakes
import pytest

from qa.indexing import build_index
from qa.store import IndexStore

ROOT = Path(__file__).resolve().parent.parent
FAKE_QA = ROOT / "tests" / "fake_qa.py"
RANDOM_KILLS = 24
SEED = int(os.environ.get("QA_CRASH_SEED", "20250211"))


def _document(version: int, n: int) -> str:
    lines = []
    for i in range(300):
        lines.append(f"Sentence {i} of file {n} says the tower {i} was painted in {1900 + (i * 7 + version) % 100}. ")
        if i % 5 == 4:
            lines.append("\n")
    return "".join(lines)


class Crashable:
    """A folder of documents and its index, rebuilt again and again by `qa index` processes."""

    def __init__(self, base: Path):
        self.base = base
        self.docs = base / "docs"
        self.docs.mkdir()
        self.store = IndexStore(base / "idx")
        self.versions: dict[str, str] = {}
        self.version = 0
        self.write_version()
        build_index(
            [self.docs], self.store, fakes.FakeEmbedder(), fakes.FakeMultilingual(), root=base, models=fakes.MODELS
        )

    def write_version(self) -> None:
        """Change one file (the others stay, so the rebuild also reuses vectors)."""
        self.version += 1
        for n in range(3):
            text = _document(self.version if n == 1 else 0, n)
            (self.docs / f"f{n}.txt").write_text(text)
            self.versions[hashlib.sha256(text.encode()).hexdigest()] = text

    def start(self, env: dict) -> subprocess.Popen:
        self.write_version()
        return subprocess.Popen(
            [sys.executable, str(FAKE_QA), "index", "docs", "--index", "idx"],
            cwd=self.base,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def check(self) -> str:
        """The index loads and answers with exact citations; leftovers are gone after the start."""
        loaded = self.store.load()  # cleans leftovers of the killed build
        assert self.store.leftovers() == []
        manifest = loaded.manifest
        answerer = fakes.answerer(loaded)
        question = "When was tower 12 of file 1 painted?"
        answer = answerer.answer(question, top_k=3)
        found = answerer.retriever.search(question).candidates[:3]
        assert found and all("painted" in c.passage.text for c in found)
        for c in answer.citations + [c.passage for c in found]:
            text = self.versions[manifest.files[c.source]["sha256"]]
            assert text[c.start_char : c.end_char] == c.text
        loaded.passages.close()
        generations = sorted(p.name for p in self.store.folder.glob("gen-*"))
        assert generations == [loaded.folder.name]
        return loaded.folder.name


@pytest.fixture
def crashable(tmp_path, fake_models):
    return Crashable(tmp_path)


def _steps(crashable: Crashable, tmp_path: Path) -> list[str]:
    trace = tmp_path / "trace"
    proc = crashable.start({"QA_TEST_TRACE": str(trace)})
    assert proc.wait(60) == 0, proc.stderr.read()
    proc.stderr.close()
    crashable.check()
    return trace.read_text().splitlines()


def test_sigkill_after_every_storage_step(crashable, tmp_path):
    steps = _steps(crashable, tmp_path)
    assert {"write faiss", "write sqlite", "fsync file", "fsync dir", "rename CURRENT"} <= set(steps)
    switched = []
    for i, step in enumerate(steps):
        before = crashable.check()
        proc = crashable.start({"QA_TEST_KILL_AFTER": str(i)})
        code = proc.wait(60)
        err = proc.stderr.read()
        proc.stderr.close()
        assert code == -signal.SIGKILL, (i, step, code, err)
        after = crashable.check()
        switched.append(after != before)
        # the switch is the rename of CURRENT: before it the old index is live, after it the new one
        assert switched[-1] == (i >= steps.index("rename CURRENT")), (i, step)


def _wait_for(trace: Path, proc: subprocess.Popen, line: str | None = None) -> None:
    """Until the build wrote its first step (or ``line``) to the trace, or ended."""
    while proc.poll() is None:
        if trace.exists() and (line is None or line in trace.read_text()):
            return
        time.sleep(0.001)


def test_sigkill_at_random_moments(crashable, tmp_path):
    rng = random.Random(SEED)
    # How long a build takes from its first step (taking the lock) to the switch.
    # Even runs are killed during the writes (from the first write to just past the
    # switch), odd runs at any moment of the process's life.
    trace = tmp_path / "calibrate"
    spawned = time.monotonic()
    proc = crashable.start({"QA_TEST_TRACE": str(trace)})
    _wait_for(trace, proc)
    started = time.monotonic()
    _wait_for(trace, proc, "rename CURRENT")
    duration = time.monotonic() - started
    assert proc.wait(60) == 0
    lifetime = time.monotonic() - spawned
    proc.stderr.close()
    crashable.check()
    outcomes = {"killed": 0, "finished": 0, "old live": 0, "new live": 0}
    steps_reached = []
    for run in range(RANDOM_KILLS):
        before = crashable.check()
        trace = tmp_path / f"trace-{run}"
        proc = crashable.start({"QA_TEST_TRACE": str(trace)})
        if run % 2 == 0:
            _wait_for(trace, proc)
            time.sleep(rng.uniform(0, duration * 1.3))
        else:
            time.sleep(rng.uniform(0, lifetime))
        proc.send_signal(signal.SIGKILL)
        code = proc.wait(60)
        proc.stderr.close()
        steps_reached.append(len(trace.read_text().splitlines()) if trace.exists() else 0)
        outcomes["killed" if code == -signal.SIGKILL else "finished"] += 1
        assert code in (0, -signal.SIGKILL)
        after = crashable.check()
        outcomes["new live" if after != before else "old live"] += 1
    print(f"seed {SEED}, writes {duration:.3f} s of {lifetime:.2f} s: {outcomes}, steps reached: {steps_reached}")
    assert outcomes["killed"] >= RANDOM_KILLS // 2, outcomes


def test_ctrl_c_during_a_build(crashable, tmp_path):
    rng = random.Random(SEED + 1)
    for run in range(5):
        trace = tmp_path / f"trace-{run}"
        proc = crashable.start({"QA_TEST_TRACE": str(trace)})
        _wait_for(trace, proc)
        time.sleep(rng.uniform(0, 0.2))
        proc.send_signal(signal.SIGINT)
        code = proc.wait(60)
        err = proc.stderr.read()
        proc.stderr.close()
        # 130: interrupted and reported; -SIGINT: the signal came as the process was exiting
        assert code in (0, 130, -signal.SIGINT), (code, err)
        assert "Traceback" not in err
        if code == 130:
            assert err.rstrip().endswith("qa: interrupted")
            # interrupted before the switch: nothing left behind even before the next start
            assert crashable.store.leftovers() == [] or crashable.store.is_live(crashable.store.live_generation())
        crashable.check()


def test_readers_always_find_a_whole_index_while_builds_run(crashable):
    """`qa ask` started during rebuilds loads either the old or the new generation, never a broken one."""
    loads = 0
    for _ in range(4):
        proc = crashable.start({})
        while proc.poll() is None:
            loaded = crashable.store.load()
            assert loaded.passages.rows() == loaded.manifest.passage_count
            loaded.passages.close()
            loads += 1
        assert proc.wait(60) == 0, proc.stderr.read()
        proc.stderr.close()
    crashable.check()
    assert loads >= 4
