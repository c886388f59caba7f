"""The four vectors of each passage (qa.passage_encoding.embed_passages): the paragraph vector's two recipes, and
the models that load on a thread of their own."""

from __future__ import annotations

import threading
from dataclasses import replace

import fakes
import numpy as np
import pytest
from cli_runner import CliRunner

from qa.documents import Passage, semantic_text
from qa.errors import ModelUnavailable
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


class _Loading:
    """A stand-in that loads as the real models do (``load()``: sentence-transformers, USE, e5), noting on
    which thread it loads and encodes in ``events``; ``fails``: the error its load raises."""

    def __init__(self, name: str, events: list, fails: Exception | None = None, **kwargs):
        super().__init__(**kwargs)
        self._label, self._events, self._fails, self._loaded = name, events, fails, False

    def load(self):
        self._events.append((f"{self._label} loads", threading.current_thread().name))
        if self._fails is not None:
            raise self._fails
        self._loaded = True

    def encode(self, texts, progress=None):
        self._events.append((f"{self._label} encodes" + ("" if self._loaded else " unloaded"), None))
        return super().encode(texts, progress)


class _LoadingDense(_Loading, fakes.FakeEmbedder):
    pass


class _LoadingMultilingual(_Loading, fakes.FakeMultilingual):
    pass


class _LoadingSemantic(_Loading, fakes.FakeSemantic):
    pass


def _loading_encoders(events: list, dense_fails: Exception | None = None) -> Encoders:
    return Encoders(
        _LoadingDense("dense", events, dense_fails),
        _LoadingMultilingual("multilingual", events),
        _LoadingSemantic("semantic", events),
        paragraphs_encoded=True,
    )


def test_the_dense_and_retrieval_models_load_on_a_thread_of_their_own_while_the_multilingual_one_encodes():
    events: list = []
    vectors = embed_passages(PASSAGES, _loading_encoders(events), None)
    here = threading.current_thread().name
    # USE loads on the caller's thread before the other thread starts (two threads never import at once) ...
    assert events[0] == ("multilingual loads", here)
    loads = {event: thread for event, thread in events if event.endswith("loads")}
    assert loads["dense loads"] == loads["semantic loads"] != here
    # ... and neither of the other models encodes before it is loaded
    assert [event for event, _ in events if event.endswith("unloaded")] == []
    assert {event for event, _ in events if "encodes" in event} == {
        "multilingual encodes",
        "semantic encodes",
        "dense encodes",
    }
    # the same vectors as models that load when they first encode
    plain = embed_passages(PASSAGES, _encoders(fakes.FakeSemantic(), paragraphs_encoded=True), None)
    for mine, theirs in zip(vectors, plain, strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_a_model_that_cannot_load_on_the_other_thread_fails_the_build_with_its_own_error():
    unavailable = ModelUnavailable("cannot load model fake-hash-32: OSError: no weights")
    with pytest.raises(ModelUnavailable) as caught:
        embed_passages(PASSAGES, _loading_encoders([], dense_fails=unavailable), None)
    assert caught.value is unavailable


def test_qa_index_says_in_one_line_that_a_model_loaded_in_the_background_is_unavailable(tmp_path):
    def unloadable(name, settings=None):
        return _LoadingDense("dense", [], ModelUnavailable("cannot load model fake-hash-32: OSError: no weights"))

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Lists keep their order.\n", encoding="utf-8")
    result = CliRunner(models=replace(fakes.MODELS, passage_embedder=unloadable)).invoke(
        "index", tmp_path / "docs", "--index", tmp_path / "index"
    )
    assert result.exit_code == ModelUnavailable.exit_code
    assert result.stderr.splitlines()[-1] == "qa: cannot load model fake-hash-32: OSError: no weights"
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "index" / "CURRENT").exists()
