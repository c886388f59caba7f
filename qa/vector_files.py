"""The vector files of a generation: how each is stored (``VECTOR_CODES``, exact or IVF search), written
(``save_vectors`` keeps a refresh's ranges) and read back (``vectors_of``, ``hubness``); the paragraph
vectors each stored once (``ParagraphVectors``); and FAISS's own choice among tied scores (``flat_top``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import faiss
import numpy as np

from qa.tuning import VECTOR_CODES

if TYPE_CHECKING:
    from qa.store import LoadedIndex

# Exact search reads every vector: about 3 ms per 10,000 passages here for
# the two passage indexes together (memory bound), and a question searches
# three indexes (passages, multilingual passages, and the vocabulary with one
# vector per question word). Beyond this size, an inverted file (IVF) over
# the file's scalar quantiser codes (VECTOR_CODES):
# training takes a minute at a million vectors instead of the half hour HNSW
# takes to build on two cores, it needs a quarter of the memory of float32
# vectors (a million passages fit in 3 GB with their multilingual vectors),
# and probing 1/64 of the lists keeps recall@10 above 0.95 (bench/scale.py).
EXACT_SEARCH_LIMIT = 10_000
IVF_MAX_LISTS = 1024
IVF_PROBED_SHARE = 64
# How each vector file stores its vectors: qa.tuning.VECTOR_CODES (measured there, bench/README.md "Index size").
# Which passage rows of paragraphs.faiss are their own (a row there) and which are the passage's vector in
# semantic.faiss (-1): a passage alone in its paragraph has its own vector as its paragraph's.
PARAGRAPH_ROWS = "paragraph_rows.npy"


def dense_index_for(dimension: int, count: int, codes: str = "SQ8") -> tuple[faiss.Index, str]:
    """An empty inner-product index for ``count`` vectors stored as ``codes`` (VECTOR_CODES), and its kind
    for the manifest.

    An index of scalar quantiser codes (8 or 6 bits) must be trained (``index.is_trained`` is False) before
    vectors are added (save_vectors does it); an IVF index's probe count and its
    id-to-vector map (``reconstruct``) are saved with it.
    """
    if count <= EXACT_SEARCH_LIMIT:
        return faiss.index_factory(dimension, codes, faiss.METRIC_INNER_PRODUCT), codes.lower()
    lists = int(min(IVF_MAX_LISTS, max(64, 2 * np.sqrt(count))))
    index = faiss.index_factory(dimension, f"IVF{lists},{codes}", faiss.METRIC_INNER_PRODUCT)
    index.nprobe = max(8, lists // IVF_PROBED_SHARE)
    index.set_direct_map_type(faiss.DirectMap.Array)
    return index, f"ivf{lists}-{codes.lower()}-nprobe{index.nprobe}"


def vector_index_for(name: str, dimension: int, count: int) -> tuple[faiss.Index, str]:
    """The empty index the vector file ``name`` (a key of VECTOR_CODES) is written with, and its kind."""
    return dense_index_for(dimension, count, VECTOR_CODES[name])


def save_vectors(index: faiss.Index, vectors: np.ndarray, path: Path, like: faiss.Index | None = None) -> None:
    """Write ``vectors`` into ``index`` at ``path``, training it first when its codes need it.

    ``like``: the same file of the index the vectors were partly read back from (a refresh). Its 8-, 6- or
    4-bit ranges are kept when they still hold every vector: a vector read back is then stored with the very
    codes it had. Ranges trained again on vectors read back would shift by half a step, and move every
    vector by that much at each refresh.
    """
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(data):
        if not index.is_trained and not _kept_ranges(index, like, data):
            index.train(data)  # an IVF index (dense_index_for) samples what it needs
        index.add(data)
    faiss.write_index(index, str(path))


# The steps across a dimension's range of the codes whose ranges a refresh keeps (_kept_ranges).
_CODE_LEVELS = {
    faiss.ScalarQuantizer.QT_8bit: 255,
    faiss.ScalarQuantizer.QT_6bit: 63,
    faiss.ScalarQuantizer.QT_4bit: 15,
}


def _kept_ranges(index: faiss.Index, like: faiss.Index | None, vectors: np.ndarray) -> bool:
    """Give the exact-search ``index`` of 8-, 6- or 4-bit codes the ranges of ``like``, widened to ``vectors``
    where they reach outside by more than a step; False when ``like`` has no such ranges (``index`` is to be
    trained), or codes of another width (an index written before the widths of VECTOR_CODES)."""
    if not isinstance(like, ParagraphVectors | faiss.IndexScalarQuantizer) or not isinstance(
        index, faiss.IndexScalarQuantizer
    ):
        return False
    like = like.own if isinstance(like, ParagraphVectors) else like
    levels = _CODE_LEVELS.get(index.sq.qtype)
    if (
        levels is None
        or like.sq.qtype != index.sq.qtype
        or like.d != index.d
        or not like.is_trained
        or like.sq.trained.size() == 0
    ):
        return False
    trained = faiss.vector_to_array(like.sq.trained)
    if trained.shape != (2 * index.d,):  # a range per dimension: low, then width
        return False
    low, width = trained[: index.d], trained[index.d :]
    step = width / levels
    lowest, highest = vectors.min(axis=0), vectors.max(axis=0)
    if np.any(lowest < low - step) or np.any(highest > low + width + step):
        top = np.maximum(low + width, highest)
        low = np.minimum(low, lowest)
        width = top - low
    faiss.copy_array_to_vector(np.concatenate([low, width]).astype(np.float32), index.sq.trained)
    index.is_trained = True
    return True


def save_passage_vectors(generation: Path, vectors: dict[str, np.ndarray], like: LoadedIndex | None = None) -> str:
    """Write the passages' vector files (``vectors``: the four of VECTOR_CODES but terms, by file name);
    the kind of dense.faiss, for the manifest.

    A paragraph vector equal to its passage's own retrieval vector (a passage alone in its paragraph) is
    not stored again, nor one paragraph's vector once per passage: paragraphs.faiss holds each other
    paragraph vector once, and PARAGRAPH_ROWS says which row each passage reads (ParagraphVectors).
    ``like``: the index the vectors were partly read back from (save_vectors).
    """
    count = len(vectors["dense.faiss"])
    kind = ""
    for name in ("dense.faiss", "multilingual.faiss", "semantic.faiss"):
        index, written = vector_index_for(name, vectors[name].shape[1], count)
        save_vectors(index, vectors[name], generation / name, like=getattr(like, name.split(".")[0], None))
        kind = kind or written
    paragraphs, semantic = vectors["paragraphs.faiss"], vectors["semantic.faiss"]
    borrowed = np.all(paragraphs == semantic, axis=1) if paragraphs.shape == semantic.shape else np.zeros(count, bool)
    own = np.flatnonzero(~borrowed)
    rows = np.full(count, -1, dtype=np.int32)
    stored = np.zeros((0, paragraphs.shape[1]), dtype=np.float32)
    if len(own):
        # Each distinct vector once, in the order of its first passage (a paragraph's passages follow one another).
        _, first, inverse = np.unique(paragraphs[own], axis=0, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        rows[own] = rank[inverse.reshape(-1)]
        stored = paragraphs[own][first[order]]
    index, _ = vector_index_for("paragraphs.faiss", paragraphs.shape[1], len(stored))
    save_vectors(index, stored, generation / "paragraphs.faiss", like=getattr(like, "paragraphs", None))
    np.save(generation / PARAGRAPH_ROWS, rows, allow_pickle=False)
    return kind


def save_term_vectors(generation: Path, vectors: np.ndarray, like: LoadedIndex | None = None) -> faiss.Index:
    """Write terms.faiss, the vocabulary's vectors; the index written (hubness searches it)."""
    index, _ = vector_index_for("terms.faiss", vectors.shape[1], len(vectors))
    save_vectors(index, vectors, generation / "terms.faiss", like=getattr(like, "terms", None))
    return index


class ParagraphVectors:
    """The paragraph vector of each passage, each stored once: row i is ``own`` row ``rows[i]``, or, where
    ``rows[i]`` is -1, row i of ``shared`` (the passage's own retrieval vector).

    Offers what the engine asks of a FAISS index (search, reconstruct, ntotal, d), in passage ids: a search
    gives the passages a flat index holding every passage's row would give, ties in the same order.
    """

    def __init__(self, own: faiss.Index, shared: faiss.Index, rows: np.ndarray):
        self.own, self.shared, self.rows = own, shared, np.asarray(rows, dtype=np.int64)  # FAISS ids are 64-bit
        rows = self.rows
        self.ntotal, self.d = len(rows), own.d
        borrowed = rows < 0
        self._bits = np.packbits(borrowed, bitorder="little")  # kept alive: the selector reads it
        self._borrowed = int(borrowed.sum())
        self._selector = faiss.IDSelectorBitmap(len(rows), faiss.swig_ptr(self._bits))
        ivf = faiss.try_extract_index_ivf(shared)
        if ivf is not None:  # an IVF index's parameters replace its own: its probe count is given again
            self._borrowed_only = faiss.SearchParametersIVF(sel=self._selector, nprobe=ivf.nprobe)
        else:
            self._borrowed_only = faiss.SearchParameters(sel=self._selector)
        # The passages of each own row: by_row[starts[r]:starts[r + 1]], in id order.
        row_of = np.where(borrowed, own.ntotal, rows)
        self._by_row = np.argsort(row_of, kind="stable")
        self._starts = np.searchsorted(row_of[self._by_row], np.arange(own.ntotal + 1))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        out_scores = np.full((len(queries), k), -np.finfo(np.float32).max, dtype=np.float32)  # as FAISS pads
        out_ids = np.full((len(queries), k), -1, dtype=np.int64)
        for q, query in enumerate(queries):
            scores, ids = [], []
            if self.own.ntotal and k:
                found, rows = self.own.search(query[None], min(k, self.own.ntotal))
                found, rows = found[0][rows[0] >= 0], rows[0][rows[0] >= 0]
                # Every passage of each paragraph found: by_row[starts[r]:starts[r + 1]] for each row r.
                lengths = self._starts[rows + 1] - self._starts[rows]
                offsets = np.repeat(self._starts[rows] - (np.cumsum(lengths) - lengths), lengths)
                ids.append(self._by_row[offsets + np.arange(int(lengths.sum()))])
                scores.append(np.repeat(found, lengths))
            if self._borrowed and k:
                found, rows = self.shared.search(query[None], min(k, self._borrowed), params=self._borrowed_only)
                keep = rows[0] >= 0
                scores.append(found[0][keep])
                ids.append(rows[0][keep].astype(np.int64))
            if scores:
                every_score, every_id = np.concatenate(scores), np.concatenate(ids)
                top = flat_top(every_score, every_id, k)[:k]
                out_scores[q, : len(top)], out_ids[q, : len(top)] = every_score[top], every_id[top]
        return out_scores, out_ids

    def reconstruct_batch(self, ids) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        out = np.zeros((len(ids), self.d), dtype=np.float32)
        rows = self.rows[ids]
        borrowed = rows < 0
        if borrowed.any():
            out[borrowed] = self.shared.reconstruct_batch(ids[borrowed])
        if (~borrowed).any():
            out[~borrowed] = self.own.reconstruct_batch(rows[~borrowed])
        return out

    def reconstruct_n(self, start: int, count: int) -> np.ndarray:
        return self.reconstruct_batch(np.arange(start, start + count))

    def reconstruct(self, i: int) -> np.ndarray:
        return self.reconstruct_batch([i])[0]


def hubness(index: faiss.Index, vectors: np.ndarray, neighbours: int = 10) -> np.ndarray:
    """Mean similarity of each vector to its nearest others in ``index`` (CSLS's r term)."""
    if len(vectors) <= 1:
        return np.zeros(len(vectors), dtype=np.float32)
    k = min(neighbours + 1, len(vectors))
    sims, _ = index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
    return sims[:, 1:].mean(axis=1).astype(np.float32)  # column 0 is the vector itself


def vectors_of(index: faiss.Index, start: int, count: int) -> np.ndarray:
    """Stored vectors of passages start..start+count (for reuse of unchanged files)."""
    if count == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return index.reconstruct_n(start, count)


def flat_top(scores: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the top k, chosen and ordered as a flat FAISS index over all passages gives them.

    Passages of one paragraph share their paragraph vector, so equal scores are common, and which of
    them are kept and in what order moves the fused ranks. FAISS (k < 100: a heap over the passages in
    id order) lets a passage in only when its score beats the lowest kept one, evicts the lowest score
    (of equal ones, the lowest id), and gives the result out by score, equal scores by descending id.
    Each shard sends its top k and every passage tied with its k-th score, so every passage at or above
    the global k-th score is here and the heap can be replayed on them alone.
    """
    if len(scores) <= k:
        return np.lexsort((-ids, -scores))
    kth = np.sort(scores)[::-1][k - 1]
    above = np.flatnonzero(scores > kth)
    seen = 0
    entered = []
    for j in np.argsort(ids, kind="stable"):
        if scores[j] < kth:
            continue
        if scores[j] == kth and seen < k:
            entered.append(j)
        seen += 1
    kept = np.concatenate([above, np.asarray(entered[len(entered) - (k - len(above)) :], dtype=np.int64)])
    return kept[np.lexsort((-ids[kept], -scores[kept]))]
