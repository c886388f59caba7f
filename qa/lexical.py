"""BM25 over folded, stemmed terms, stored as postings arrays (numpy only).

Scoring touches only the postings of the question's terms, so a question costs
the same on a hundred passages as it does in proportion to its terms' postings
on a million: there is no Python loop over passages.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.lang import is_content_word, stem, words
from qa.tuning import BM25_B as B
from qa.tuning import BM25_K1 as K1


@dataclass
class LexicalIndex:
    terms: list[str]  # stemmed, folded index terms
    surfaces: list[str]  # the most frequent written form of each term, lower-cased
    indptr: np.ndarray  # postings of term t: doc_ids/weights[indptr[t]:indptr[t+1]]
    doc_ids: np.ndarray
    weights: np.ndarray  # BM25 weight of the term in the document (idf included)
    doc_count: int

    def __post_init__(self):
        self._term_ids = {t: i for i, t in enumerate(self.terms)}

    def term_id(self, term: str) -> int | None:
        return self._term_ids.get(term)

    def document_frequency(self, term_id: int) -> int:
        return int(self.indptr[term_id + 1] - self.indptr[term_id])

    def idf(self, term_id: int | None) -> float:
        df = 0 if term_id is None else self.document_frequency(term_id)
        return float(np.log(1.0 + (self.doc_count - df + 0.5) / (df + 0.5)))

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        begin, end = self.indptr[term_id], self.indptr[term_id + 1]
        return self.doc_ids[begin:end], self.weights[begin:end]

    def best_match_scores(self, expansions: list[list[tuple[int, float]]]) -> tuple[np.ndarray, np.ndarray]:
        """``match`` spread over every document: (scores[d], matched[w, d]), zero where unmatched."""
        found = self.match(expansions)
        scores = np.zeros(self.doc_count, dtype=np.float32)
        matched = np.zeros((len(expansions), self.doc_count), dtype=np.float32)
        scores[found.docs] = found.scores
        matched[:, found.docs] = found.matched
        return scores, matched

    def match(self, expansions: list[list[tuple[int, float]]]) -> LexicalMatch:
        """Score the documents that contain a question word.

        ``expansions`` holds, for each question word, the index terms that can
        stand for it with a similarity in (0, 1]. A word counts once per
        document, by its best-matching term (weight x similarity), so a word
        with many close variants is not counted many times. Only the postings
        of those terms are read: the cost follows their length, not the
        number of documents.
        """
        chunks = [
            (w, similarity, *self.postings(term_id))
            for w, options in enumerate(expansions)
            for term_id, similarity in options
        ]
        chunks = [c for c in chunks if len(c[2])]
        if not chunks:
            return LexicalMatch.empty(len(expansions))
        all_docs = np.concatenate([c[2] for c in chunks])
        # The matched documents in id order, and each posting's place among them,
        # without sorting the postings: mark, collect, number.
        seen = np.zeros(self.doc_count, dtype=bool)
        seen[all_docs] = True
        docs = np.flatnonzero(seen)
        place = np.empty(self.doc_count, dtype=np.int32)
        place[docs] = np.arange(len(docs), dtype=np.int32)
        where = place[all_docs]
        scores = np.zeros(len(docs), dtype=np.float32)
        matched = np.zeros((len(expansions), len(docs)), dtype=np.float32)
        terms_of_word = Counter(c[0] for c in chunks)
        best = np.zeros(len(docs), dtype=np.float32) if max(terms_of_word.values()) > 1 else None
        begin = 0
        # A term's postings name each document once, so plain fancy indexing
        # is exact here (and much faster than ufunc.at).
        for i, (w, similarity, _docs, weights) in enumerate(chunks):
            end = begin + len(weights)
            at = where[begin:end]
            begin = end
            row = matched[w]
            row[at] = np.maximum(row[at], np.float32(similarity))
            if terms_of_word[w] == 1:  # the word's only term: its best is its weight
                scores[at] += weights * similarity
                continue
            best[at] = np.maximum(best[at], weights * similarity)
            if i + 1 == len(chunks) or chunks[i + 1][0] != w:  # the word's last term: add its best
                scores += best
                best[:] = 0.0
        return LexicalMatch(docs.astype(np.int64), scores, matched)

    def save(self, folder: Path) -> list[str]:
        """Write the four files; each array in the narrowest integer type that holds it. ``load`` reads files
        written either way."""
        save_vocabulary(folder, self.terms, self.surfaces, self.doc_count)
        np.save(folder / "lexical_indptr.npy", _narrowest(self.indptr), allow_pickle=False)
        np.save(folder / "lexical_docs.npy", _narrowest(self.doc_ids), allow_pickle=False)
        np.save(folder / "lexical_weights.npy", self.weights, allow_pickle=False)
        return [VOCABULARY_FILE, "lexical_indptr.npy", "lexical_docs.npy", "lexical_weights.npy"]

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        terms, surfaces, doc_count = load_vocabulary(folder)
        return cls(
            terms=terms,
            surfaces=surfaces,
            indptr=np.load(folder / "lexical_indptr.npy", allow_pickle=False),
            doc_ids=np.load(folder / "lexical_docs.npy", allow_pickle=False, mmap_mode="r"),
            weights=np.load(folder / "lexical_weights.npy", allow_pickle=False, mmap_mode="r"),
            doc_count=doc_count,
        )


# The vocabulary of a lexical index: its terms, how each is written (surfaces), the passage count. A one-machine
# index and a cluster's coordinator (qa.cluster) both write it.
VOCABULARY_FILE = "lexical_terms.json"


def save_vocabulary(folder: Path, terms: list[str], surfaces: list[str], doc_count: int) -> None:
    """Write the vocabulary, a surface left out (null) where it is its term as written: on a folder of short
    passages the lexical files were a tenth of what the index adds beyond its vectors."""
    written = [None if surface == term else surface for term, surface in zip(terms, surfaces, strict=True)]
    (folder / VOCABULARY_FILE).write_text(
        json.dumps({"terms": terms, "surfaces": written, "doc_count": doc_count}, ensure_ascii=False), encoding="utf-8"
    )


def load_vocabulary(folder: Path) -> tuple[list[str], list[str], int]:
    """(terms, surfaces, passage count) of save_vocabulary's file, or of one written with every surface."""
    meta = json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))
    terms = meta["terms"]
    surfaces = [term if surface is None else surface for term, surface in zip(terms, meta["surfaces"], strict=True)]
    return terms, surfaces, int(meta["doc_count"])


def _narrowest(values: np.ndarray) -> np.ndarray:
    """``values`` (non-negative integers) in uint16 when they fit, else int32 when they fit, else as they are."""
    values = np.asarray(values)
    top = int(values.max()) if values.size else 0
    for kind in (np.uint16, np.int32):
        if top <= np.iinfo(kind).max and np.dtype(kind).itemsize < values.dtype.itemsize:
            return values.astype(kind)
    return values


def build(documents: list[tuple[str, str]]) -> LexicalIndex:
    """Index (text, language) pairs, one per passage, in passage order.

    Each distinct (word, language) is judged and stemmed once; the postings
    are then counted and weighted with numpy over flat arrays, so a million
    passages build in minutes without a list of (term, document) tuples.
    """
    kinds: dict[tuple[str, str], int] = {}  # (word, language) -> kind, in order of first occurrence
    kind_terms: list[int] = []  # kind -> term id, or -1 for a word that is not indexed
    kind_words: list[str] = []
    term_ids: dict[str, int] = {}
    tokens = array("i")  # the kinds of the indexed words, passage after passage
    ends = np.zeros(len(documents), dtype=np.int64)
    for doc, (text, language) in enumerate(documents):
        for word in words(text):
            kind = kinds.get((word, language))
            if kind is None:
                kind = kinds[(word, language)] = len(kind_terms)
                kind_words.append(word)
                if is_content_word(word):
                    kind_terms.append(term_ids.setdefault(stem(word, language), len(term_ids)))
                else:
                    kind_terms.append(-1)
            if kind_terms[kind] >= 0:
                tokens.append(kind)
        ends[doc] = len(tokens)
    n = len(documents)
    term_count = len(term_ids)
    token_kinds = np.frombuffer(tokens, dtype=np.int32) if len(tokens) else np.zeros(0, dtype=np.int32)
    kind_term = np.asarray(kind_terms, dtype=np.int64)
    token_terms = kind_term[token_kinds]
    token_docs = np.repeat(np.arange(n, dtype=np.int64), np.diff(ends, prepend=0))
    lengths = np.diff(ends, prepend=0).astype(np.float32)
    average = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0

    # (term, document) pairs with their counts, in term then document order.
    pairs, tf_counts = np.unique(token_terms * max(n, 1) + token_docs, return_counts=True)
    tids = pairs // max(n, 1)
    doc_ids = (pairs % max(n, 1)).astype(np.int32)
    df = np.bincount(tids, minlength=term_count).astype(np.int64)
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    indptr = np.zeros(term_count + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    tfs = tf_counts.astype(np.float32)
    norm = K1 * (1 - B + B * lengths[doc_ids] / average)
    weights = (idf[tids] * tfs * (K1 + 1) / (tfs + norm)).astype(np.float32)
    terms = [""] * term_count
    for term, tid in term_ids.items():
        terms[tid] = term
    return LexicalIndex(terms, _surfaces(term_count, kind_term, kind_words, token_kinds), indptr, doc_ids, weights, n)


def _surfaces(term_count: int, kind_term: np.ndarray, kind_words: list[str], token_kinds: np.ndarray) -> list[str]:
    """The most frequent lower-cased form of each term; on a tie, the one met first."""
    kind_counts = np.bincount(token_kinds, minlength=len(kind_words)) if len(kind_words) else np.zeros(0, int)
    best: list[tuple[int, int, str] | None] = [None] * term_count  # (count, -first kind, surface)
    totals: dict[tuple[int, str], list[int]] = {}  # (term, surface) -> [count, first kind]
    for kind, word in enumerate(kind_words):
        term = int(kind_term[kind])
        if term < 0 or not kind_counts[kind]:
            continue
        entry = totals.setdefault((term, word.lower()), [0, kind])
        entry[0] += int(kind_counts[kind])
    for (term, surface), (count, first) in totals.items():
        candidate = (count, -first, surface)
        if best[term] is None or candidate[:2] > best[term][:2]:
            best[term] = candidate
    return [b[2] if b else "" for b in best]


@dataclass
class LexicalMatch:
    """The documents a question's words matched: sorted ids, BM25 scores, per-word similarities."""

    docs: np.ndarray  # passage ids, ascending
    scores: np.ndarray  # float32, one per document of ``docs``
    matched: np.ndarray  # matched[w, j]: similarity by which word w matched docs[j] (0: it did not)

    @classmethod
    def empty(cls, words: int) -> LexicalMatch:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), np.zeros((words, 0), dtype=np.float32))

    def __post_init__(self):
        self._places: dict[int, int] = {}  # passage id -> index in docs (-1: not matched), as asked

    def _place(self, passage_id: int) -> int:
        # Candidates are asked about once per question word: remember the answer.
        j = self._places.get(passage_id)
        if j is None:
            j = int(self.docs.searchsorted(passage_id))
            if j >= len(self.docs) or self.docs[j] != passage_id:
                j = -1
            self._places[passage_id] = j
        return j

    def score(self, passage_id: int) -> float:
        return self.at(self.scores, passage_id)

    def at(self, values: np.ndarray, passage_id: int) -> float:
        """values[passage], for an array aligned with ``docs`` (0 for an unmatched passage)."""
        j = self._place(passage_id)
        return float(values[j]) if j >= 0 else 0.0

    def __getitem__(self, key: tuple[int, int]) -> float:
        """matched[w, passage_id], as on the dense matrix of ``best_match_scores``."""
        word, passage_id = key
        j = self._place(passage_id)
        return float(self.matched[word, j]) if j >= 0 else 0.0

    def words_in(self, passage_id: int) -> list[int]:
        """The question words (their numbers) this passage matched."""
        j = self._place(passage_id)
        return np.flatnonzero(self.matched[:, j] > 0).tolist() if j >= 0 else []

    def coverage(self, word_weights: list[float]) -> np.ndarray:
        """Share of the question's weight each matched document covers (aligned with ``docs``)."""
        out = np.zeros(len(self.docs), dtype=np.float32)
        for i, weight in enumerate(word_weights):
            out += weight * self.matched[i]
        out /= sum(word_weights) or 1.0
        return out

    def top(self, k: int) -> np.ndarray:
        """Ids of the ``k`` best-scoring documents, best first, ties by id."""
        if k <= 0 or not len(self.docs):
            return np.zeros(0, dtype=np.int64)
        if k < len(self.scores):
            threshold = np.partition(self.scores, len(self.scores) - k)[len(self.scores) - k]
            places = np.flatnonzero(self.scores >= threshold)
        else:
            places = np.arange(len(self.scores))
        order = places[np.argsort(-self.scores[places], kind="stable")][:k]
        return self.docs[order]
