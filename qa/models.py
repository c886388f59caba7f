"""The models the engine encodes and ranks with, made by one collaborator passed in: ``Models``.

The entry point (``qa.cli.main``) creates it once and passes it down: to ``qa.api.Engine(models=...)``,
``qa.indexing.build_index(models=...)`` and the index commands; ``qa.fit``'s ``collect`` takes one too (tests
pass theirs; ``python -m qa.fit`` leaves each engine to make the real ones). ``Models()`` makes the real ones; tests pass
``tests/fakes.py``'s ``MODELS``, small deterministic stand-ins, instead of patching modules.

Each field is a factory, called only when a model is needed: importing this module imports nothing of qa (nor
numpy, nor torch), and each factory imports its model's module only when called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.crosslingual import MultilingualEncoder
    from qa.embedding import Embedder
    from qa.ranking import RankingModel
    from qa.semantic import SemanticEncoder

# The dense (sentence-transformers) model used when none is asked for (--model, QA_MODEL) and no index names one.
# Here rather than in qa.embedding (which imports it), so that the CLI makes its Models without importing numpy.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def _passage_embedder(name: str, settings: Settings | None = None) -> Embedder:
    from qa.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(name, settings=settings)


def _question_encoder(name: str, settings: Settings | None = None) -> Embedder:
    from qa.embedding import question_encoder

    return question_encoder(name, settings)


def _multilingual_encoder(settings: Settings | None = None) -> MultilingualEncoder:
    from qa.crosslingual import MultilingualEncoder

    return MultilingualEncoder(settings=settings)


def _semantic_encoder(settings: Settings | None = None) -> SemanticEncoder:
    from qa.semantic import SemanticEncoder

    return SemanticEncoder(settings=settings)


def _ranking_model() -> RankingModel:
    from qa import ranking

    return ranking.load()


@dataclass(frozen=True)
class Models:
    """How to make each model; ``settings`` (qa.config.Settings) says where models and prepared weights are
    found (None: the environment's)."""

    # name, settings= -> the dense passage embedder of that sentence-transformers model (loads torch when used)
    passage_embedder: Callable[..., Embedder] = _passage_embedder
    # name, settings= -> the fastest encoder reproducing that model's vectors for a question (no torch for BERT)
    question_encoder: Callable[..., Embedder] = _question_encoder
    # settings= -> the multilingual encoder (USE): passages, and the vocabulary for cross-lingual matching
    multilingual_encoder: Callable[..., MultilingualEncoder] = _multilingual_encoder
    # settings= -> the retrieval model (e5): passages in context, paragraphs and questions
    semantic_encoder: Callable[..., SemanticEncoder] = _semantic_encoder
    # () -> the fitted ranking and abstention model shipped with the package (qa/data/ranker.json)
    ranking_model: Callable[[], RankingModel] = _ranking_model
    # The dense model used when none is asked for (--model, QA_MODEL) and no index names one.
    default_model: str = DEFAULT_MODEL

    def semantic_model_name(self) -> str:
        """The name an index records of the retrieval model these models encode with (no model loads)."""
        return self.semantic_encoder().name
