"""`qa` with the fake models, for subprocess tests (no torch, starts in a fraction of a second).

    python tests/fake_qa.py index FOLDER --index DIR

QA_TEST_TRACE=FILE appends the name of every storage step (fsync, rename,
writes, deletions) to FILE as it happens; QA_TEST_KILL_AFTER=N sends SIGKILL
to the process itself right after the N-th such step (0-based). Together
they let a test crash a build at every step.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fakes  # noqa: E402

_steps = 0


def _hook(module, name: str, label: str) -> None:
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        global _steps
        result = original(*args, **kwargs)
        trace = os.environ.get("QA_TEST_TRACE")
        if trace:
            with open(trace, "a") as handle:
                handle.write(f"{label}\n")
        if os.environ.get("QA_TEST_KILL_AFTER") == str(_steps):
            os.kill(os.getpid(), signal.SIGKILL)
        _steps += 1
        return result

    setattr(module, name, wrapper)


def main() -> int:
    if os.environ.get("QA_TEST_TRACE") or os.environ.get("QA_TEST_KILL_AFTER"):
        import shutil

        import faiss
        import numpy

        import qa.lexical
        import qa.store

        _hook(qa.store, "fsync_file", "fsync file")
        _hook(qa.store, "fsync_dir", "fsync dir")
        _hook(qa.store.os, "replace", "rename CURRENT")
        _hook(qa.store.os, "mkdir", "mkdir")
        _hook(faiss, "write_index", "write faiss")
        _hook(numpy, "save", "write npy")
        _hook(qa.store.PassageTable, "write", "write sqlite")
        _hook(qa.store.Path, "write_text", "write text")
        _hook(shutil, "rmtree", "remove generation")
    from qa.cli import main as qa_main

    return qa_main(models=fakes.MODELS)


if __name__ == "__main__":
    sys.exit(main())
