"""The four vectors of each passage (qa.passage_encoding.embed_passages): the paragraph vector's two recipes."""

from __future__ import annotations

import fakes
import numpy as np

from qa.documents import Passage, semantic_text
from qa.passage_encoding import Encoders, embed_passages


def _passage(source: str, line: int, paragraph_line: int, text: str) -> Passage:
    return Passage(source, line, line, 0, len(text), text, paragraph_line, paragraph_line + 5, clean=text)


PASSAGES = [
    _passage("a.txt", 1, 1, "Lists keep their order."),
    _passage("a.txt", 2, 1, "They can be changed in place."),
    _passage("a.txt", 3, 1, "Tuples cannot."),
    _passage("a.txt", 9, 9, "A set has no order."),  # alone in its paragraph
    _passage("b.txt", 1, 1, "Dictionaries map keys to values."),
    _passage("b.txt", 2, 1, "Dictionaries map keys to values."),  # the same text twice in one paragraph
]


class _Counting(fakes.FakeSemantic):
    def __init__(self):
        self.seen: list[str] = []

    def encode(self, texts, progress=None):
        self.seen.extend(texts)
        return super().encode(texts, progress)


def _encoders(semantic, paragraphs_encoded: bool) -> Encoders:
    return Encoders(fakes.FakeEmbedder(), fakes.FakeMultilingual(), semantic, paragraphs_encoded)


def test_a_paragraph_vector_is_the_mean_of_its_passages_vectors_and_costs_no_encoding():
    semantic = _Counting()
    progress = []
    _, _, passages, paragraphs = embed_passages(
        PASSAGES, _encoders(semantic, paragraphs_encoded=False), lambda *a: progress.append(a[0])
    )
    assert sorted(semantic.seen) == sorted(set(semantic_text(p) for p in PASSAGES))  # passages only, each once
    assert "paragraph vectors" not in progress
    first = passages[:3].mean(axis=0)
    for row in range(3):
        np.testing.assert_allclose(paragraphs[row], first / np.linalg.norm(first), atol=1e-6)
    np.testing.assert_array_equal(paragraphs[3], passages[3])  # alone: its own vector
    np.testing.assert_allclose(paragraphs[4], passages[4], atol=1e-6)  # the mean of one vector twice
    np.testing.assert_allclose(np.linalg.norm(paragraphs, axis=1), 1.0, atol=1e-6)
    assert paragraphs.dtype == np.float32


def test_an_encoded_paragraph_is_read_whole():
    semantic = _Counting()
    _, _, passages, paragraphs = embed_passages(PASSAGES, _encoders(semantic, paragraphs_encoded=True), None)
    whole = [t for t in semantic.seen if t.startswith("Lists") and "Tuples" in t]
    assert len(whole) == 1
    np.testing.assert_array_equal(paragraphs[0], fakes.FakeSemantic().encode(whole)[0])
    np.testing.assert_array_equal(paragraphs[3], passages[3])
