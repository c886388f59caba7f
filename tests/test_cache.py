"""The cache of prepared weights (QA_CACHE_DIR): content hashes checked once per process, damage rebuilt.

A tiny random BERT (tests/tinybert.py) goes through the real NumpyBertEncoder:
its prepared weights are cached, then damaged the ways a disk, a person or a
tool can damage them (an array rotated, random bytes, entries swapped, a key
missing, a file cut short or gone). Each time the next process (here: the
in-process memo cleared) must rebuild the entry from the model with one
notice, and answer with the vectors of the intact model.
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
from tinybert import make_tiny_bert

import qa.embedding
from qa.config import Settings
from qa.embedding import NumpyBertEncoder, cached_arrays
from qa.errors import ModelUnavailable

TEXTS = ["when was deepseek launched ?", "quand lancée janvier 2025 ?"]


@pytest.fixture
def cache(tmp_path):
    """A cache folder of the test's own (what qa.embedding has checked is remembered by folder)."""
    return tmp_path / "cache"


def bert_encoder(model, cache):
    """The question encoder of ``model``, its prepared weights kept in ``cache`` (Settings.cache_dir)."""
    return NumpyBertEncoder(str(model), Settings(cache_dir=cache))


@pytest.fixture
def notices(monkeypatch):
    received: list[str] = []
    previous = qa.embedding.set_cache_notice(received.append)
    yield received
    qa.embedding.set_cache_notice(previous)


@pytest.fixture
def model(tmp_path):
    return make_tiny_bert(tmp_path / "tiny")


def new_process():
    """What a new process knows of the cache: nothing checked yet."""
    qa.embedding._checked.clear()


def entry_of(cache, kind="bert"):
    (entry,) = cache.glob(f"{kind}-*")
    return entry


def description(entry):
    return json.loads((entry / "arrays.json").read_text())


def write_description(entry, data):
    (entry / "arrays.json").write_text(json.dumps(data))


def span(entry, name):
    for item in description(entry)["arrays"]:
        if item[0] == name:
            _, dtype, shape, offset = item[:4]
            return offset, math.prod(shape) * np.dtype(dtype).itemsize
    raise KeyError(name)


def rewrite_bytes(entry, name, change):
    data = bytearray((entry / "arrays.bin").read_bytes())
    offset, length = span(entry, name)
    data[offset : offset + length] = change(bytes(data[offset : offset + length]))
    (entry / "arrays.bin").write_bytes(bytes(data))


def rotate(entry, name):
    def roll(raw):
        return np.roll(np.frombuffer(raw, dtype=np.float32), 1).tobytes()

    rewrite_bytes(entry, name, roll)


def random_bytes(entry, name):
    rng = np.random.default_rng(1)
    rewrite_bytes(entry, name, lambda raw: rng.integers(0, 256, len(raw), dtype=np.uint8).tobytes())


def swap_bytes(entry, first, second):
    data = bytearray((entry / "arrays.bin").read_bytes())
    (a, n), (b, m) = span(entry, first), span(entry, second)
    assert n == m
    data[a : a + n], data[b : b + m] = data[b : b + m], data[a : a + n]
    (entry / "arrays.bin").write_bytes(bytes(data))


def swap_names(entry, first, second, rehash=False):
    data = description(entry)
    for item in data["arrays"]:
        if item[0] in (first, second):
            item[0] = second if item[0] == first else first
    if rehash:  # a careful forger: the description's own hash made to match again
        data["digest"] = qa.embedding._entry_digest(data["entry"], data["arrays"])
    write_description(entry, data)


def drop_array(entry, name, rehash=False):
    data = description(entry)
    data["arrays"] = [item for item in data["arrays"] if item[0] != name]
    if rehash:
        data["digest"] = qa.embedding._entry_digest(data["entry"], data["arrays"])
    write_description(entry, data)


def drop_key(entry, key):
    data = description(entry)
    del data[key]
    write_description(entry, data)


def drop_hash(entry, name):
    data = description(entry)
    for item in data["arrays"]:
        if item[0] == name:
            del item[4]
    write_description(entry, data)


def rewrite_item(entry, name, field, value):
    """One field of an array's description changed, and the description's hash made to match again."""
    data = description(entry)
    for item in data["arrays"]:
        if item[0] == name:
            item[field] = value
    data["digest"] = qa.embedding._entry_digest(data["entry"], data["arrays"])
    write_description(entry, data)


def truncate(entry):
    path = entry / "arrays.bin"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


DAMAGE = {
    "rotated qkv_w": lambda e: rotate(e, "qkv_w"),
    "rotated word embeddings": lambda e: rotate(e, "word"),
    "rotated output_w": lambda e: rotate(e, "output_w"),
    "random bytes in inner_w": lambda e: random_bytes(e, "inner_w"),
    "random bytes in position": lambda e: random_bytes(e, "position"),
    "swapped bytes of attention_b and output_b": lambda e: swap_bytes(e, "attention_b", "output_b"),
    "swapped names of ln1_g and ln2_g": lambda e: swap_names(e, "ln1_g", "ln2_g"),
    "swapped names, description rehashed": lambda e: swap_names(e, "qkv_b", "inner_b", rehash=True),
    "qkv_w missing": lambda e: drop_array(e, "qkv_w"),
    "qkv_w missing, description rehashed": lambda e: drop_array(e, "qkv_w", rehash=True),
    "no digest key": lambda e: drop_key(e, "digest"),
    "no entry key": lambda e: drop_key(e, "entry"),
    "an array without its hash": lambda e: drop_hash(e, "word"),
    "offset as text, rehashed": lambda e: rewrite_item(e, "word", 3, "0"),
    "negative dimension, rehashed": lambda e: rewrite_item(e, "qkv_b", 2, [-2, 24]),
    "offset moved, rehashed": lambda e: rewrite_item(e, "attention_b", 3, span(e, "output_b")[0]),
    "unknown type, rehashed": lambda e: rewrite_item(e, "word", 1, "<q9"),
    "arrays.bin cut short": truncate,
    "arrays.json gone": lambda e: (e / "arrays.json").unlink(),
    "arrays.json not JSON": lambda e: (e / "arrays.json").write_text("{not json"),
    "arrays.bin gone": lambda e: (e / "arrays.bin").unlink(),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_entry_is_rebuilt_with_one_notice(cache, notices, model, damage):
    reference = bert_encoder(model, cache).encode(TEXTS)
    entry = entry_of(cache)
    DAMAGE[damage](entry)
    new_process()
    encoder = bert_encoder(model, cache)
    np.testing.assert_array_equal(encoder.encode(TEXTS), reference)
    assert len(notices) == 1 and "rebuilt from the model" in notices[0] and entry.name in notices[0]
    bert_encoder(model, cache)  # checked once per process: no second notice
    assert len(notices) == 1
    new_process()  # the rebuilt entry is whole again: read from the cache, silently
    np.testing.assert_array_equal(bert_encoder(model, cache).encode(TEXTS), reference)
    assert len(notices) == 1
    assert len(list(cache.glob("bert-*"))) == 1


def test_entries_of_two_models_swapped(cache, notices, tmp_path):
    first, second = make_tiny_bert(tmp_path / "a", seed=1), make_tiny_bert(tmp_path / "b", seed=2)
    references = [bert_encoder(m, cache).encode(TEXTS) for m in (first, second)]
    a, b = sorted(cache.glob("bert-*"))
    a.rename(cache / "swap")
    b.rename(a)
    (cache / "swap").rename(b)
    new_process()
    for m, reference in zip((first, second), references, strict=True):
        np.testing.assert_array_equal(bert_encoder(m, cache).encode(TEXTS), reference)
    assert len(notices) == 2 and all("it is the entry of" in n for n in notices)


def test_entry_of_another_kind_in_its_place(cache, notices, model, tmp_path):
    reference = bert_encoder(model, cache).encode(TEXTS)
    source = tmp_path / "other.bin"
    source.write_bytes(b"x")
    cached_arrays("other", [source], 1, lambda: {"w": np.ones(3, np.float32)}, root=cache)
    bert, other = entry_of(cache), entry_of(cache, "other")
    shutil.rmtree(bert)
    shutil.copytree(other, bert)  # before: KeyError 'qkv_w'
    new_process()
    np.testing.assert_array_equal(bert_encoder(model, cache).encode(TEXTS), reference)
    assert len(notices) == 1


def test_intact_entry_is_read_without_notice_or_rebuild(cache, notices, tmp_path):
    source = tmp_path / "model.bin"
    source.write_bytes(b"weights")
    arrays = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.asarray(7)}
    cached_arrays("thing", [source], 1, lambda: arrays, root=cache)
    new_process()
    loaded = cached_arrays("thing", [source], 1, lambda: pytest.fail("should come from the cache"), root=cache)
    assert loaded["w"].tolist() == arrays["w"].tolist() and int(loaded["n"]) == 7
    assert notices == []


@pytest.mark.parametrize("damage", ["rotate", "random", "truncate"])
def test_generic_entry_damage_is_rebuilt(cache, notices, tmp_path, damage):
    source = tmp_path / "model.bin"
    source.write_bytes(b"weights")
    arrays = {"a": np.arange(64, dtype=np.float32), "b": np.ones((4, 4), np.float32)}
    cached_arrays("thing", [source], 1, lambda: arrays, root=cache)
    entry = entry_of(cache, "thing")
    {
        "rotate": lambda: rotate(entry, "a"),
        "random": lambda: random_bytes(entry, "b"),
        "truncate": lambda: truncate(entry),
    }[damage]()
    new_process()
    built = []
    loaded = cached_arrays("thing", [source], 1, lambda: built.append(1) or arrays, root=cache)
    assert built == [1] and loaded["a"].tolist() == arrays["a"].tolist() and len(notices) == 1


def test_notice_goes_to_stderr_by_default_safely(cache, model, capsys, monkeypatch):
    bert_encoder(model, cache)
    rotate(entry_of(cache), "qkv_w")
    new_process()
    bert_encoder(model, cache)
    err = capsys.readouterr().err
    assert err.startswith("qa: the prepared weights in") and err.count("\n") == 1


# -- a model folder damaged after indexing -----------------------------------------


def _cut(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


MODEL_DAMAGE = {
    "tokenizer.json cut short": lambda m: _cut(m / "tokenizer.json"),
    "tokenizer.json empty": lambda m: (m / "tokenizer.json").write_text(""),
    "tokenizer.json not a tokenizer": lambda m: (m / "tokenizer.json").write_text('{"model": 5}'),
    "config.json without num_attention_heads": lambda m: _drop_config(m, "num_attention_heads"),
    "config.json without num_hidden_layers": lambda m: _drop_config(m, "num_hidden_layers"),
    "config.json with a word for a number": lambda m: _set_config(m, "num_hidden_layers", "two"),
    "model.safetensors cut short": lambda m: _cut(m / "model.safetensors"),
}


def _drop_config(folder, key):
    config = json.loads((folder / "config.json").read_text())
    del config[key]
    (folder / "config.json").write_text(json.dumps(config))


def _set_config(folder, key, value):
    config = json.loads((folder / "config.json").read_text())
    config[key] = value
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("damage", list(MODEL_DAMAGE))
def test_damaged_model_folder_is_one_line(cache, model, damage):
    if damage.startswith("model.safetensors"):
        shutil.rmtree(cache, ignore_errors=True)  # the weights are read only when not cached
    MODEL_DAMAGE[damage](model)
    new_process()
    with pytest.raises(ModelUnavailable) as caught:
        bert_encoder(model, cache)
    assert "\n" not in caught.value.message and "damaged" in caught.value.message
