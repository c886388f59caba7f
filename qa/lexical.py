"""BM25 over folded, stemmed terms, stored as postings arrays (numpy only).

Scoring touches only the postings of the question's terms, so a question costs
the same on a hundred passages as it does in proportion to its terms' postings
on a million: there is no Python loop over passages.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa import text as textmod

K1 = 1.2
B = 0.75


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
        """Score every document for a question.

        ``expansions`` holds, for each question word, the index terms that can
        stand for it with a similarity in (0, 1]. A word counts once per
        document, by its best-matching term, so a word with many close
        variants is not counted many times. Returns (scores, matched) where
        matched[w, d] is the similarity by which word w matched document d.
        """
        scores = np.zeros(self.doc_count, dtype=np.float32)
        matched = np.zeros((len(expansions), self.doc_count), dtype=np.float32)
        for w, options in enumerate(expansions):
            best = np.zeros(self.doc_count, dtype=np.float32)
            for term_id, similarity in options:
                docs, weights = self.postings(term_id)
                np.maximum.at(best, docs, weights * similarity)
                np.maximum.at(matched[w], docs, np.float32(similarity))
            scores += best
        return scores, matched

    def save(self, folder: Path) -> list[str]:
        (folder / "lexical_terms.json").write_text(
            json.dumps(
                {"terms": self.terms, "surfaces": self.surfaces, "doc_count": self.doc_count}, ensure_ascii=False
            ),
            encoding="utf-8",
        )
        np.save(folder / "lexical_indptr.npy", self.indptr, allow_pickle=False)
        np.save(folder / "lexical_docs.npy", self.doc_ids, allow_pickle=False)
        np.save(folder / "lexical_weights.npy", self.weights, allow_pickle=False)
        return ["lexical_terms.json", "lexical_indptr.npy", "lexical_docs.npy", "lexical_weights.npy"]

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        meta = json.loads((folder / "lexical_terms.json").read_text(encoding="utf-8"))
        return cls(
            terms=meta["terms"],
            surfaces=meta["surfaces"],
            indptr=np.load(folder / "lexical_indptr.npy", allow_pickle=False),
            doc_ids=np.load(folder / "lexical_docs.npy", allow_pickle=False, mmap_mode="r"),
            weights=np.load(folder / "lexical_weights.npy", allow_pickle=False, mmap_mode="r"),
            doc_count=int(meta["doc_count"]),
        )


def build(documents: list[tuple[str, str]]) -> LexicalIndex:
    """Index (text, language) pairs, one per passage, in passage order."""
    term_ids: dict[str, int] = {}
    surface_counts: list[Counter] = []
    rows: list[list[int]] = []
    lengths = np.zeros(len(documents), dtype=np.float32)
    for text, language in documents:
        ids = []
        for word in textmod.words(text):
            if not textmod.is_content_word(word):
                continue
            term = textmod.stem(word, language)
            tid = term_ids.setdefault(term, len(term_ids))
            if tid == len(surface_counts):
                surface_counts.append(Counter())
            surface_counts[tid][word.lower()] += 1
            ids.append(tid)
        rows.append(ids)
    for i, ids in enumerate(rows):
        lengths[i] = len(ids)
    average = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0

    term_count = len(term_ids)
    df = np.zeros(term_count, dtype=np.int64)
    pairs: list[tuple[int, int, int]] = []
    for doc, ids in enumerate(rows):
        for tid, tf in Counter(ids).items():
            df[tid] += 1
            pairs.append((tid, doc, tf))
    pairs.sort()
    n = len(documents)
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    indptr = np.zeros(term_count + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    doc_ids = np.fromiter((d for _, d, _ in pairs), dtype=np.int32, count=len(pairs))
    tfs = np.fromiter((tf for _, _, tf in pairs), dtype=np.float32, count=len(pairs))
    tids = np.fromiter((t for t, _, _ in pairs), dtype=np.int64, count=len(pairs))
    norm = K1 * (1 - B + B * lengths[doc_ids] / average)
    weights = (idf[tids] * tfs * (K1 + 1) / (tfs + norm)).astype(np.float32)
    terms = [""] * term_count
    for term, tid in term_ids.items():
        terms[tid] = term
    surfaces = [counts.most_common(1)[0][0] for counts in surface_counts]
    return LexicalIndex(terms, surfaces, indptr, doc_ids, weights, n)
