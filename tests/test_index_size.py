"""The index on disk: vectors at the precision the answers need, nothing stored twice, old indexes still read.

(qa/store.py: VECTOR_CODES, save_passage_vectors, ParagraphVectors; the measurements behind the codes are in
bench/README.md, "Index size".)
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import faiss
import fakes
import numpy as np
import pytest

from qa import text as textmod
from qa.documents import Passage
from qa.indexing import build_index
from qa.passage_table import PassageTable
from qa.store import PARAGRAPH_ROWS, IndexStore, ParagraphVectors, save_vectors

DOCS = {
    "harbour.txt": (
        "The harbour of Brest was dug in 1631. Its quays were rebuilt after the war. The port now serves ferries.\n\n"
        "The lighthouse keeper lived on the island.\n\n"
        "Fishing boats leave at dawn. They come back with the tide.\n"
    ),
    "bridge.txt": (
        "The bridge over the river opened in 1932.\n\n"
        "It is 300 metres long. Its span was the longest of its day. Trains crossed it until 1970.\n\n"
        "A ferry replaced it for a winter.\n"
    ),
}
PASSAGE_FILES = ("dense", "multilingual", "semantic", "paragraphs")


def _docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _build(docs: Path, index: Path):
    store = IndexStore(index)
    report = build_index(
        [docs], store, fakes.FakeEmbedder(), fakes.FakeMultilingual(), root=docs.parent, semantic=fakes.FakeSemantic()
    )
    return store, report


def _stored(store: IndexStore) -> dict[str, np.ndarray]:
    loaded = store.load()
    try:
        n = loaded.manifest.passage_count
        out = {name: getattr(loaded, name).reconstruct_n(0, n) for name in PASSAGE_FILES}
        out["terms"] = loaded.terms.reconstruct_n(0, loaded.terms.ntotal)
        out["surfaces"] = np.asarray(loaded.lexical.surfaces)
        return out
    finally:
        loaded.passages.close()


def _exact_vectors(store: IndexStore) -> dict[str, np.ndarray]:
    """The float32 vectors the encoders give for the index's passages (what the codes stand for)."""
    from qa.indexing import Encoders, embed_passages

    loaded = store.load()
    try:
        n = loaded.manifest.passage_count
        rows = loaded.passages.get(list(range(n)))
        passages = [rows[i] for i in range(n)]
    finally:
        loaded.passages.close()
    encoders = Encoders(fakes.FakeEmbedder(), fakes.FakeMultilingual(), fakes.FakeSemantic())
    return dict(zip(PASSAGE_FILES, embed_passages(passages, encoders, None), strict=True))


def test_vectors_are_stored_as_small_codes_and_each_paragraph_vector_once(tmp_path, fake_models):
    store, _ = _build(_docs(tmp_path / "docs"), tmp_path / "idx")
    generation = store.live_generation()
    exact = _exact_vectors(store)
    n = len(exact["dense"])
    paragraphs = exact["paragraphs"]
    alone = np.all(paragraphs == exact["semantic"], axis=1)
    shared = np.unique(paragraphs[~alone], axis=0)
    assert alone.any() and len(shared) < (~alone).sum()  # the documents have both kinds of paragraph

    header = 200  # a FAISS file's own fields, and the codes' ranges
    for name in ("dense", "multilingual", "semantic"):  # qa.tuning.VECTOR_CODES
        d = exact[name].shape[1]
        assert (generation / f"{name}.faiss").stat().st_size <= n * d + 8 * d + header  # a byte a dimension
    rows = np.load(generation / PARAGRAPH_ROWS, allow_pickle=False)
    own = faiss.read_index(str(generation / "paragraphs.faiss"))
    assert own.ntotal == len(shared)  # neither a passage's own vector again, nor a paragraph's once per passage
    assert (rows == -1).sum() == alone.sum()
    width = paragraphs.shape[1]
    assert (generation / "paragraphs.faiss").stat().st_size <= len(shared) * width + 8 * width + header
    terms = faiss.read_index(str(generation / "terms.faiss"))  # six bits a dimension
    assert (generation / "terms.faiss").stat().st_size <= terms.ntotal * terms.d * 6 / 8 + 8 * terms.d + header

    stored = _stored(store)
    for name in PASSAGE_FILES:
        np.testing.assert_allclose(stored[name], exact[name], atol=0.01)  # 8-bit steps of a range of about 1


def _expanded(rows: np.ndarray, own: np.ndarray, shared: np.ndarray) -> np.ndarray:
    return np.where((rows < 0)[:, None], shared, own[np.maximum(rows, 0)])


def _every_list_probed(d: int, training: np.ndarray) -> faiss.Index:
    """An IVF index (as large indexes are) that probes all its lists: exact, so comparable with a flat one."""
    index = faiss.index_factory(d, "IVF4,Flat", faiss.METRIC_INNER_PRODUCT)
    index.train(training)
    index.nprobe = 4
    index.set_direct_map_type(faiss.DirectMap.Array)
    return index


@pytest.mark.parametrize("k", [1, 3, 4, 7, 20, 64])
@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_paragraph_vectors_search_as_one_flat_index_of_every_passage_row(k, kind):
    rng = np.random.default_rng(k)
    d, n = 8, 60
    shared = rng.standard_normal((n, d)).astype(np.float32)
    own = rng.standard_normal((12, d)).astype(np.float32)
    rows = np.full(n, -1, dtype=np.int64)
    runs = rng.integers(0, n - 6, size=12)
    for row, start in enumerate(runs):  # paragraphs of one to six passages, ties at every cut
        rows[start : start + 1 + row % 6] = row
    rows[rows >= 0] = np.unique(rows[rows >= 0], return_inverse=True)[1]
    own = own[: rows.max() + 1]
    own_index, shared_index, flat = faiss.IndexFlatIP(d), faiss.IndexFlatIP(d), faiss.IndexFlatIP(d)
    if kind == "ivf":  # the search among the passages alone in their paragraph keeps the index's probes
        own_index, shared_index = _every_list_probed(d, shared), _every_list_probed(d, shared)
    own_index.add(own)
    shared_index.add(shared)
    flat.add(_expanded(rows, own, shared))
    vectors = ParagraphVectors(own_index, shared_index, rows)
    queries = np.vstack([rng.standard_normal((3, d)), own[:2]]).astype(np.float32)
    scores, ids = vectors.search(queries, k)
    expected_scores, expected_ids = flat.search(queries, k)
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-6)
    picked = [0, 5, n - 1, int(np.flatnonzero(rows >= 0)[0])]
    np.testing.assert_array_equal(vectors.reconstruct_batch(picked), _expanded(rows, own, shared)[picked])
    assert vectors.ntotal == n and vectors.d == d


def test_a_refresh_stores_the_vectors_it_keeps_with_the_codes_they_had(tmp_path, fake_models):
    docs = _docs(tmp_path / "docs")
    store, _ = _build(docs, tmp_path / "idx")
    before = _stored(store)
    kept = store.read_manifest().files["docs/harbour.txt"]
    shorter = DOCS["bridge.txt"].rsplit("\n\n", 1)[0] + "\n"  # its vectors within the ranges already stored
    for text in (shorter, DOCS["bridge.txt"], shorter):  # codes trained again on vectors read back would move
        (docs / "bridge.txt").write_text(text, encoding="utf-8")  # them at each refresh
        store, report = _build(docs, tmp_path / "idx")
        assert "docs/harbour.txt" in report.reused and "docs/bridge.txt" not in report.reused
    after = _stored(store)
    moved = store.read_manifest().files["docs/harbour.txt"]
    for name in PASSAGE_FILES:
        np.testing.assert_array_equal(after[name][_span(moved)], before[name][_span(kept)])
    old_terms = dict(zip(before["surfaces"], before["terms"], strict=True))
    for surface, vector in zip(after["surfaces"], after["terms"], strict=True):
        if surface in old_terms:
            np.testing.assert_array_equal(vector, old_terms[surface])


def _span(facts: dict) -> slice:
    return slice(int(facts["first_passage"]), int(facts["first_passage"]) + int(facts["passage_count"]))


def _replacing_live_generation(store: IndexStore, rewritten: set[str]) -> Path:
    """A new generation holding the live one's files but the manifest, the vector files and ``rewritten``,
    which the caller writes before _commit_replacing."""
    generation = store.new_generation()
    for path in store.live_generation().iterdir():
        if path.name not in {"manifest.json", *rewritten} and path.suffix != ".faiss":
            shutil.copy(path, generation / path.name)
    return generation


def _commit_replacing(store: IndexStore, generation: Path, manifest) -> None:
    """Make ``generation`` the live one, sealed by ``manifest`` (no recorded artifacts, as an index written before
    they were), and remove the generation it replaces."""
    old = store.live_generation()
    manifest.artifacts = {}
    store.commit(generation, manifest)
    shutil.rmtree(old)


def _as_float32_flat_files(store: IndexStore) -> None:
    """Rewrite the live generation as an index written before the codes: float32 flat files, a paragraph
    row per passage, no row map (sealed with a manifest that says so)."""
    loaded = store.load()
    try:
        n = loaded.manifest.passage_count
        vectors = {name: getattr(loaded, name).reconstruct_n(0, n) for name in PASSAGE_FILES}
        vectors["terms"] = loaded.terms.reconstruct_n(0, loaded.terms.ntotal)
        manifest = loaded.manifest
    finally:
        loaded.passages.close()
    generation = _replacing_live_generation(store, rewritten={PARAGRAPH_ROWS})
    for name, array in vectors.items():
        flat = faiss.IndexFlatIP(array.shape[1])
        flat.add(array)
        faiss.write_index(flat, str(generation / f"{name}.faiss"))
    _commit_replacing(store, generation, manifest)


def test_an_index_of_float32_flat_files_still_loads_answers_and_refreshes(tmp_path, fake_models):
    docs = _docs(tmp_path / "docs")
    store, _ = _build(docs, tmp_path / "idx")
    _as_float32_flat_files(store)
    loaded = store.load()
    try:
        assert isinstance(loaded.paragraphs, faiss.IndexFlatIP) and loaded.paragraphs.ntotal == len(
            loaded.passages.get(list(range(loaded.manifest.passage_count)))
        )
        answerer = fakes.answerer(loaded)
        found = answerer.retriever.search("When did the bridge over the river open?").candidates[:3]
        assert any("bridge" in c.passage.text for c in found)
        assert answerer.answer("When did the bridge over the river open?").citations
    finally:
        loaded.passages.close()
    old = _stored(store)
    kept = store.read_manifest().files["docs/harbour.txt"]
    (docs / "bridge.txt").write_text(DOCS["bridge.txt"] + "\nIt was painted green in 1990.\n", encoding="utf-8")
    store, report = _build(docs, tmp_path / "idx")
    assert "docs/harbour.txt" in report.reused  # its float32 vectors read back, stored as codes now
    assert (store.live_generation() / PARAGRAPH_ROWS).exists()
    new = _stored(store)
    moved = store.read_manifest().files["docs/harbour.txt"]
    for name in PASSAGE_FILES:
        np.testing.assert_allclose(new[name][_span(moved)], old[name][_span(kept)], atol=0.01)


def test_a_missing_or_damaged_paragraph_row_map_is_one_line_with_the_fix(tmp_path, fake_models):
    from qa.errors import IndexUnavailable

    store, _ = _build(_docs(tmp_path / "docs"), tmp_path / "idx")
    path = store.live_generation() / PARAGRAPH_ROWS
    rows = np.load(path)
    path.unlink()
    with pytest.raises(IndexUnavailable, match="rebuild with") as missing:
        store.load()
    assert "\n" not in missing.value.message
    rows[0] = 10_000  # past the paragraph vectors, and the manifest sealed again as if written so
    np.save(path, rows, allow_pickle=False)
    manifest = store.read_manifest()
    manifest.artifacts = {}
    generation = store.live_generation()
    (generation / "manifest.json").unlink()
    store.commit(generation, manifest)
    with pytest.raises(IndexUnavailable, match="rebuild with"):
        store.load()


def _short_passages(count: int) -> list[Passage]:
    """A FAQ's passages: short entries, each under a long question title, in two files."""
    out = []
    for i in range(count):
        text = f"Entry {i}: the answer is to restart the service number {i}."
        section = f"{i // 20}. How do I keep the service running when the machine restarts at night?"
        out.append(
            Passage(
                f"faq/{'first' if i < count // 2 else 'second'}-questions.html",
                i + 1,
                i + 1,
                i * 80,
                i * 80 + len(text),
                text,
                i + 1,
                i + 1,
                section=section,
                clean=text if i % 3 else text.replace("Entry", "entry"),
                context=section,
                anchor=f"question-{i // 20}",
            )
        )
    return out


def test_the_passage_table_stores_what_passages_repeat_once(tmp_path):
    passages = _short_passages(400)
    PassageTable.write(tmp_path / "passages.sqlite", passages)
    table = PassageTable(tmp_path / "passages.sqlite")
    try:
        assert table.rows() == len(passages)
        read = table.get(list(range(len(passages))))
        assert [read[i] for i in range(len(passages))] == passages
        assert table.neighbours(10, 2, 2) == [(i, passages[i]) for i in range(8, 13)]
        assert table.spans() == {"faq/first-questions.html": (0, 200), "faq/second-questions.html": (200, 200)}
    finally:
        table.close()
    text = sum(len(p.text) for p in passages)
    # Each passage's text once, its titles, file name and anchor named by a number: under three bytes a
    # character of text here, where every field written out took 6.7.
    assert (tmp_path / "passages.sqlite").stat().st_size <= 3 * text


def _write_passages_as_before(path: Path, passages: list[Passage]) -> None:
    """passages.sqlite as indexes written before the shared strings have it: every field in one table."""
    fields = PassageTable._FIELDS
    text_fields = {"source", "text", "kind", "section", "clean", "context", "anchor"}
    db = sqlite3.connect(path)
    try:
        columns = ", ".join(f"{name} {'TEXT' if name in text_fields else 'INTEGER'}" for name in fields)
        db.execute(f"CREATE TABLE passages (id INTEGER PRIMARY KEY, {columns})")
        marks = ", ".join("?" * len(fields))
        db.executemany(
            f"INSERT INTO passages VALUES (?, {marks})",
            ((i, *(getattr(p, name) for name in fields)) for i, p in enumerate(passages)),
        )
        db.commit()
    finally:
        db.close()


def test_a_passage_table_of_every_field_written_out_still_reads(tmp_path):
    passages = _short_passages(30)
    _write_passages_as_before(tmp_path / "passages.sqlite", passages)
    table = PassageTable(tmp_path / "passages.sqlite")
    try:
        assert table.rows() == 30 and table.get([3, 29]) == {3: passages[3], 29: passages[29]}
        assert table.neighbours(0, 1, 1) == [(0, passages[0]), (1, passages[1])]
    finally:
        table.close()


def _as_previous_codes(store: IndexStore) -> None:
    """Rewrite the live generation as the codes before issue 24 wrote it: dense, multilingual and terms at
    8 bits, semantic and paragraphs at 16, every passage field written out in passages.sqlite."""
    previous = {"dense": "SQ8", "multilingual": "SQ8", "semantic": "SQfp16", "terms": "SQ8"}
    loaded = store.load()
    try:
        n = loaded.manifest.passage_count
        read = loaded.passages.get(list(range(n)))
        vectors = {name: getattr(loaded, name).reconstruct_n(0, getattr(loaded, name).ntotal) for name in previous}
        own = loaded.paragraphs.own
        vectors["paragraphs"] = own.reconstruct_n(0, own.ntotal) if own.ntotal else np.zeros((0, own.d), np.float32)
        manifest = loaded.manifest
    finally:
        loaded.passages.close()
    generation = _replacing_live_generation(store, rewritten={"passages.sqlite"})
    _write_passages_as_before(generation / "passages.sqlite", [read[i] for i in range(n)])
    for name, array in vectors.items():
        index = faiss.index_factory(array.shape[1], previous.get(name, "SQfp16"), faiss.METRIC_INNER_PRODUCT)
        if len(array):
            index.train(array)
            index.add(array)
        faiss.write_index(index, str(generation / f"{name}.faiss"))
    _commit_replacing(store, generation, manifest)


def test_an_index_in_the_previous_codes_still_loads_answers_and_refreshes(tmp_path, fake_models):
    docs = _docs(tmp_path / "docs")
    store, _ = _build(docs, tmp_path / "idx")
    _as_previous_codes(store)
    assert faiss.read_index(str(store.live_generation() / "semantic.faiss")).sq.qtype == faiss.ScalarQuantizer.QT_fp16
    loaded = store.load()
    try:
        answerer = fakes.answerer(loaded)
        assert answerer.answer("When did the bridge over the river open?").citations
    finally:
        loaded.passages.close()
    old = _stored(store)
    store, report = _build(docs, tmp_path / "idx")  # nothing changed: the previous generation stays as it is
    assert sorted(report.reused) == ["docs/bridge.txt", "docs/harbour.txt"]
    kept = store.read_manifest().files["docs/harbour.txt"]
    (docs / "bridge.txt").write_text(DOCS["bridge.txt"] + "\nIt was painted green in 1990.\n", encoding="utf-8")
    store, report = _build(docs, tmp_path / "idx")
    assert "docs/harbour.txt" in report.reused  # its vectors read back, stored in today's codes
    generation = store.live_generation()
    assert faiss.read_index(str(generation / "terms.faiss")).sq.qtype == faiss.ScalarQuantizer.QT_6bit
    assert faiss.read_index(str(generation / "semantic.faiss")).sq.qtype == faiss.ScalarQuantizer.QT_8bit
    new = _stored(store)
    moved = store.read_manifest().files["docs/harbour.txt"]
    for name in PASSAGE_FILES:
        np.testing.assert_allclose(new[name][_span(moved)], old[name][_span(kept)], atol=0.02)


@pytest.mark.parametrize("codes", ["SQ8", "SQ6", "SQ4"])
def test_a_refresh_keeps_the_ranges_when_new_vectors_reach_past_them_by_less_than_a_step(tmp_path, codes):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((50, 8)).astype(np.float32)
    first = faiss.index_factory(8, codes, faiss.METRIC_INNER_PRODUCT)
    save_vectors(first, vectors, tmp_path / "first.faiss")
    low, width = np.split(faiss.vector_to_array(first.sq.trained), 2)
    levels = {"SQ8": 255, "SQ6": 63, "SQ4": 15}[codes]
    beyond = (low + width + 0.5 * width / levels)[None]  # past every range, by half a step of these codes
    kept = first.reconstruct_n(0, 50)
    again = faiss.index_factory(8, codes, faiss.METRIC_INNER_PRODUCT)
    save_vectors(again, np.vstack([kept, beyond]), tmp_path / "again.faiss", like=first)
    np.testing.assert_array_equal(again.reconstruct_n(0, 50), kept)  # the very codes they had


def test_the_lexical_files_are_stored_narrow_and_read_back_as_built(tmp_path):
    from qa import lexical

    built = lexical.build(
        [("The harbour of Brest was dug in 1631.", "en"), ("Les quais du port furent reconstruits.", "fr")] * 30
    )
    assert any(s != t for s, t in zip(built.surfaces, built.terms, strict=True))
    assert any(s == t for s, t in zip(built.surfaces, built.terms, strict=True))
    built.save(tmp_path)
    assert np.load(tmp_path / "lexical_docs.npy").dtype == np.uint16  # 60 passages: two bytes an id
    assert np.load(tmp_path / "lexical_indptr.npy").dtype == np.uint16
    assert None in json.loads((tmp_path / "lexical_terms.json").read_text(encoding="utf-8"))["surfaces"]
    read = lexical.LexicalIndex.load(tmp_path)
    assert read.terms == built.terms and read.surfaces == built.surfaces
    np.testing.assert_array_equal(read.indptr, built.indptr)
    np.testing.assert_array_equal(read.doc_ids, built.doc_ids)
    term = read.term_id(textmod.stem("harbour", "en"))
    np.testing.assert_array_equal(read.match([[(term, 1.0)]]).docs, built.match([[(term, 1.0)]]).docs)

    # Written before: every surface spelled out, 32- and 64-bit arrays.
    (tmp_path / "lexical_terms.json").write_text(
        json.dumps({"terms": built.terms, "surfaces": built.surfaces, "doc_count": built.doc_count}), encoding="utf-8"
    )
    np.save(tmp_path / "lexical_indptr.npy", built.indptr.astype(np.int64), allow_pickle=False)
    np.save(tmp_path / "lexical_docs.npy", built.doc_ids.astype(np.int32), allow_pickle=False)
    old = lexical.LexicalIndex.load(tmp_path)
    assert old.surfaces == built.surfaces
    np.testing.assert_array_equal(old.match([[(term, 1.0)]]).scores, built.match([[(term, 1.0)]]).scores)


def test_narrow_lexical_arrays_read_back_slice_for_any_shard(tmp_path):
    """qa.cluster.build.reshard slices a saved index's postings, its doc ids now as narrow as uint16: a shard
    past the last id they hold (passages without a word, at the end) gets no postings, not an overflow."""
    from qa import lexical
    from qa.cluster.build import slice_postings

    lexical.build([("The harbour of Brest was dug in 1631.", "en")] * 3).save(tmp_path)
    read = lexical.LexicalIndex.load(tmp_path)
    assert read.doc_ids.dtype == np.uint16
    _, _, indptr, doc_ids, weights = slice_postings(read, 70_000, 80_000)
    assert indptr[-1] == 0 and len(doc_ids) == len(weights) == 0
    _, _, indptr, doc_ids, _ = slice_postings(read, 1, 3)
    assert sorted(set(doc_ids.tolist())) == [0, 1] and doc_ids.dtype == np.int32
