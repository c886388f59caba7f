"""Small deterministic stand-ins for the models, for fast tests without torch.

``FakeEmbedder`` has the interface of qa.embedding.SentenceTransformerEmbedder,
``FakeMultilingual`` that of qa.crosslingual.MultilingualEncoder and
``FakeSemantic`` that of qa.semantic.SemanticEncoder: words are
hashed into a few dimensions and the vector normalised, so texts sharing words
are close. ``MODELS`` (a qa.models.Models) makes them, and ``lexical_model``: pass it
to the CLI and the engine (``main(argv, models=fakes.MODELS)``, ``Engine(models=fakes.MODELS)``,
``build_index(..., models=fakes.MODELS)``); the ``fake_models`` fixture returns it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from qa.models import Models

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

    def __init__(self, name: str = "fake-hash-32", batch_size: int = 64, settings=None):
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

    def __init__(self, threads=None, cache: bool = True, settings=None):
        pass

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:
        if progress and texts:
            progress(len(texts), len(texts))
        return _hash_vectors(texts, self.dimension, "multi")


class FakeSemantic:
    """The retrieval model's interface (qa.semantic.SemanticEncoder): passages and queries hashed alike."""

    name = "fake-semantic"
    dimension = 24

    def __init__(self, settings=None):
        pass

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:
        if progress and texts:
            progress(len(texts), len(texts))
        return _hash_vectors(texts, self.dimension, "semantic")

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _hash_vectors(texts, self.dimension, "semantic")


def lexical_model():
    """A ranking model for the fake encoders, whose similarities mean little: passages ranked by how
    much of the question they cover, answered when they cover enough of it and name what it names.

    The shipped model (qa/data/ranker.json) is fitted on real models' features; its scale
    does not carry over to hashed vectors.
    """
    from qa.ranking import ABSTAIN_FEATURES, RANK_FEATURES, Logistic, RankingModel

    def logistic(features, weights: dict, bias: float) -> Logistic:
        return Logistic(
            features,
            np.zeros(len(features)),
            np.ones(len(features)),
            np.array([weights.get(f, 0.0) for f in features]),
            bias,
        )

    ranker = logistic(
        RANK_FEATURES,
        {"coverage": 4.0, "context_coverage": 1.0, "lexical": 1.0, "type_match": 1.0, "missing_names": -4.0},
        0.0,
    )
    abstainer = logistic(
        ABSTAIN_FEATURES,
        {"top_coverage": 10.0, "top_type_match": 1.0, "unknown_name": -20.0, "focus_missing": -10.0},
        -5.0,
    )
    return RankingModel(ranker, abstainer, {})


def sure_model():
    """lexical_model, its abstainer sure (0.99) of every best passage: for the tests of what the answer layer
    refuses to say from a passage however sure the abstainer is that it answers."""
    import dataclasses
    import math

    return dataclasses.replace(lexical_model(), calibration=(0.0, math.log(99)))


MODELS = Models(
    passage_embedder=FakeEmbedder,
    question_encoder=FakeEmbedder,
    multilingual_encoder=FakeMultilingual,
    semantic_encoder=FakeSemantic,
    ranking_model=lexical_model,
    default_model="fake-hash-32",
)


def answerer(loaded):
    """An Answerer over a loaded index, with the fake encoders."""
    from qa.answering import Answerer
    from qa.retrieval import Retriever

    retriever = Retriever(loaded, FakeEmbedder(loaded.manifest.model), FakeMultilingual(), FakeSemantic())
    return Answerer(loaded, retriever, lexical_model())


def _never_loaded(*args, **kwargs):
    raise AssertionError("a model was loaded where nothing may load")


# Models that must not be made: a command given them shows that it stops before loading any.
UNLOADABLE = Models(
    passage_embedder=_never_loaded,
    question_encoder=_never_loaded,
    multilingual_encoder=_never_loaded,
    semantic_encoder=_never_loaded,
    ranking_model=_never_loaded,
    default_model="fake-hash-32",
)
