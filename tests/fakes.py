"""Small deterministic stand-ins for the models, for fast tests without torch.

``FakeEmbedder`` has the interface of qa.embedding.SentenceTransformerEmbedder
and ``FakeMultilingual`` that of qa.crosslingual.MultilingualEncoder: words are
hashed into a few dimensions and the vector normalised, so texts sharing words
are close. ``install(monkeypatch)`` makes the CLI and the engine use them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+")


def _hash_vectors(texts: Sequence[str], dimension: int, salt: str) -> np.ndarray:
    out = np.zeros((len(texts), dimension), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(f"{salt}:{word}".encode(), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "little") % dimension
            out[row, index] += 1.0 if digest[4] & 1 else -1.0
        if not out[row].any():
            out[row, 0] = 1.0
    return out / np.linalg.norm(out, axis=1, keepdims=True)


class FakeEmbedder:
    """``fake-hash-N``: N-dimension word hashing (N defaults to 32)."""

    def __init__(self, name: str = "fake-hash-32", batch_size: int = 64):
        if not name.startswith("fake-hash"):
            name = "fake-hash-32"
        self.name = name
        tail = name.rsplit("-", 1)[-1]
        self._dimension = int(tail) if tail.isdigit() else 32

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:
        if progress and texts:
            progress(len(texts), len(texts))
        return _hash_vectors(texts, self._dimension, "dense")


class FakeMultilingual:
    name = "fake-multilingual"
    dimension = 16

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:
        if progress and texts:
            progress(len(texts), len(texts))
        return _hash_vectors(texts, self.dimension, "multi")


def install(patch) -> None:
    """Route every model the CLI/engine would load to the fakes.

    ``patch(module, name, value)``: pytest's ``monkeypatch.setattr`` or plain ``setattr``.
    """
    import qa.crosslingual
    import qa.embedding
    import qa.indexing

    patch(qa.embedding, "SentenceTransformerEmbedder", FakeEmbedder)
    patch(qa.embedding, "question_encoder", FakeEmbedder)
    patch(qa.embedding, "model_name", lambda: "fake-hash-32")
    patch(qa.crosslingual, "MultilingualEncoder", FakeMultilingual)
    patch(qa.indexing, "MultilingualEncoder", FakeMultilingual)


def answerer(loaded):
    """An Answerer over a loaded index, with the fake encoders."""
    from qa.answering import Answerer
    from qa.retrieval import Retriever

    return Answerer(loaded, Retriever(loaded, FakeEmbedder(loaded.manifest.model), FakeMultilingual()))
