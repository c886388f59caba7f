"""Retrieval at scale: an index of N synthetic passages, then single questions against it.

    .venv/bin/python bench/scale.py --passages 1000000

Builds, in a temporary folder (or --index DIR), an index of N deterministic
synthetic passages with the project's own code: ``vector_index_for`` chooses
the FAISS index types and codes of each vector file as ``qa index`` does
(recorded in the manifest), paragraph vectors are stored once with their row
map (``qa.store.PARAGRAPH_ROWS``: a third of the passages alone in their
paragraph, the others in pairs, about as in real documents), ``lexical.build`` indexes
the text, ``PassageTable`` stores the passages, ``IndexStore`` commits the
generation. Then a fresh process loads it with ``IndexStore.load`` and times
``Retriever.search`` (the whole retrieval: vocabulary search, lexical BM25,
both dense FAISS searches, fusion, passage rows) for single questions. The
question encoders are replaced by table look-ups of the synthetic vectors, so
the figures are retrieval only; encoding a question costs the same at any N
(bench/cold_start.py measures it).

The data is clustered like real embeddings: topics, sub-topics of about twenty
passages, and per-passage noise; the words follow a Zipf law over a synthetic
vocabulary, each topic favouring its own words. A question is a few content
words and a vector close to one passage.

The last line printed is one JSON object: n, build_s, p50_ms, p95_ms,
recall_at_10 (dense index against exact search), rss_mb (peak resident memory
of the process answering questions), and more.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DENSE_DIM = 384
MULTI_DIM = 512
SUBTOPIC = 20  # passages per sub-topic, on average
CHUNK = 50_000
VECTOR_CHUNK = CHUNK - CHUNK % 3  # whole paragraphs in each chunk (_paragraphs)
_SYLLABLES = [c + v for c in "bcdfghjklmnprstvz" for v in ("a", "e", "i", "o", "u", "ou", "an", "er")]


def vocabulary(size: int) -> list[str]:
    """Distinct words, most frequent first: as in real text, the head of the Zipf
    law is function words (which the index skips), then pronounceable made-up words."""
    from qa.text import ENGLISH_FUNCTION_WORDS

    s = len(_SYLLABLES)
    out = sorted(w for w in ENGLISH_FUNCTION_WORDS if w.isalpha())[:100]
    random.Random(0).shuffle(out)
    for i in range(size - len(out)):
        a, b, c, d = i % s, (i // s) % s, (i // s // s) % s, i // s // s // s
        out.append(_SYLLABLES[a] + _SYLLABLES[b] + _SYLLABLES[c] + (_SYLLABLES[d] if d else ""))
    return out


class Corpus:
    """Everything about the synthetic passages, computable chunk by chunk from the seed."""

    def __init__(self, n: int, seed: int = 0):
        self.n = n
        self.seed = seed
        rng = np.random.default_rng(seed)
        self.topics = max(20, n // 1000)
        self.subtopics = max(self.topics, n // SUBTOPIC)
        self.vocab = vocabulary(int(min(100_000, max(2_000, n // 8))))
        ranks = np.arange(1, len(self.vocab) + 1, dtype=np.float64)
        zipf = 1.0 / ranks
        self.word_p = zipf / zipf.sum()
        self.topic_of_sub = rng.integers(self.topics, size=self.subtopics)
        # Each topic favours 200 words of the middle of the vocabulary.
        self.topic_words = rng.integers(500, len(self.vocab), size=(self.topics, 200))
        self.dense_topic = _unit(rng.standard_normal((self.topics, DENSE_DIM), dtype=np.float32))
        self.multi_topic = _unit(rng.standard_normal((self.topics, MULTI_DIM), dtype=np.float32))

    def subtopic_of(self, ids: np.ndarray) -> np.ndarray:
        return (ids * 2654435761 % (2**32)) % self.subtopics

    def _sub_vectors(self, subs: np.ndarray, dim: int, salt: int) -> np.ndarray:
        out = np.empty((len(subs), dim), dtype=np.float32)
        for i, s in enumerate(subs):
            out[i] = np.random.default_rng((self.seed, salt, int(s))).standard_normal(dim, dtype=np.float32)
        return _unit(out)

    def vectors(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Dense (384) and multilingual (512) vectors of passages start..stop."""
        ids = np.arange(start, stop)
        subs = self.subtopic_of(ids)
        topics = self.topic_of_sub[subs]
        unique, inverse = np.unique(subs, return_inverse=True)
        rng = np.random.default_rng((self.seed, 1, start))
        dense = (
            self.dense_topic[topics]
            + 0.8 * self._sub_vectors(unique, DENSE_DIM, 2)[inverse]
            + 0.55 * _unit(rng.standard_normal((len(ids), DENSE_DIM), dtype=np.float32))
        )
        multi = (
            self.multi_topic[topics]
            + 0.8 * self._sub_vectors(unique, MULTI_DIM, 3)[inverse]
            + 0.55 * _unit(rng.standard_normal((len(ids), MULTI_DIM), dtype=np.float32))
        )
        return _unit(dense), _unit(multi)

    def texts(self, start: int, stop: int) -> list[str]:
        ids = np.arange(start, stop)
        topics = self.topic_of_sub[self.subtopic_of(ids)]
        rng = np.random.default_rng((self.seed, 4, start))
        lengths = rng.integers(12, 40, size=len(ids))
        width = int(lengths.max())
        common = rng.choice(len(self.vocab), size=(len(ids), width), p=self.word_p)
        local = self.topic_words[topics[:, None], rng.integers(200, size=(len(ids), width))]
        words = np.where(rng.random((len(ids), width)) < 0.3, local, common)
        vocab = self.vocab
        return [
            " ".join(vocab[w] for w in row[:length]).capitalize() + "."
            for row, length in zip(words, lengths, strict=True)
        ]

    def term_vectors(self, surfaces: list[str]) -> np.ndarray:
        """Multilingual vectors of the index vocabulary: one per word, deterministic."""
        out = np.empty((len(surfaces), MULTI_DIM), dtype=np.float32)
        for i, word in enumerate(surfaces):
            seed = int.from_bytes(word.encode()[:16].ljust(16, b"\0"), "little") % (2**63)
            out[i] = np.random.default_rng((self.seed, 5, seed)).standard_normal(MULTI_DIM, dtype=np.float32)
        return _unit(out)

    def questions(self, count: int) -> list[dict]:
        """Questions near random passages: a few of its words, and vectors close to its own."""
        rng = np.random.default_rng((self.seed, 6))
        out = []
        for pid in rng.choice(self.n, size=count, replace=False):
            pid = int(pid)
            words = [w.strip(".").lower() for w in self.texts(pid, pid + 1)[0].split()]
            picked = list(dict.fromkeys(rng.permutation(words)[: rng.integers(3, 7)].tolist()))
            dense, multi = self.vectors(pid, pid + 1)
            noise = np.random.default_rng((self.seed, 7, pid))
            out.append(
                {
                    "passage": pid,
                    "question": "What about " + " ".join(picked) + "?",
                    "words": picked,
                    "dense": _unit(dense[0] + 0.35 * _unit(noise.standard_normal(DENSE_DIM, dtype=np.float32))),
                    "multi": _unit(multi[0] + 0.35 * _unit(noise.standard_normal(MULTI_DIM, dtype=np.float32))),
                }
            )
        return out


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _rss_mb() -> float:
    """Peak resident memory of this process image (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- building ------------------------------------------------------------------------------


def build(folder: Path, n: int, seed: int, queries: int) -> dict:
    import faiss

    from qa import lexical
    from qa.documents import Passage
    from qa.store import PARAGRAPH_ROWS, IndexStore, Manifest, PassageTable, hubness, vector_index_for

    started = time.perf_counter()
    corpus = Corpus(n, seed)
    store = IndexStore(folder)
    timings = {}
    with store.locked():
        generation = store.new_generation()
        t = time.perf_counter()
        texts: list[str] = []
        for start in range(0, n, CHUNK):
            texts += corpus.texts(start, min(n, start + CHUNK))
        timings["text_s"] = time.perf_counter() - t

        t = time.perf_counter()
        lex = lexical.build([(text, "en") for text in texts])
        lex.save(generation)
        timings["lexical_s"] = time.perf_counter() - t

        t = time.perf_counter()
        PassageTable.write(
            generation / "passages.sqlite",
            [
                Passage(f"synthetic/{i // 1000:04d}.txt", i % 1000 + 1, i % 1000 + 1, 0, len(s), s, 1, 1)
                for i, s in enumerate(texts)
            ],
        )
        del texts
        timings["passages_s"] = time.perf_counter() - t

        t = time.perf_counter()
        questions = corpus.questions(queries)
        dense_index, dense_kind = vector_index_for("dense.faiss", DENSE_DIM, n)
        multi_index, multi_kind = vector_index_for("multilingual.faiss", MULTI_DIM, n)
        # The retrieval model's passage vectors: synthetic ones have the dense vectors' dimension, so the
        # dense vectors stand in for them, stored with the retrieval model's codes.
        semantic_index, semantic_kind = vector_index_for("semantic.faiss", DENSE_DIM, n)
        paragraph_count = (n + 1) // 3  # one a pair of passages (_paragraphs)
        paragraph_index, paragraph_kind = vector_index_for("paragraphs.faiss", DENSE_DIM, paragraph_count)
        exact_dense = _TopK(np.stack([q["dense"] for q in questions]))
        exact_multi = _TopK(np.stack([q["multi"] for q in questions]))
        # IVF, or 8-bit codes: trained on a sample, as faiss samples in save_vectors
        training = _training(corpus, 0)
        for index, sample in (
            (dense_index, training),
            (semantic_index, training),
            (multi_index, _training(corpus, 1)),
            (paragraph_index, _paragraphs(training)),
        ):
            if not index.is_trained:
                index.train(sample)
        for start in range(0, n, VECTOR_CHUNK):
            dense, multi = corpus.vectors(start, min(n, start + VECTOR_CHUNK))
            dense_index.add(dense)
            semantic_index.add(dense)
            multi_index.add(multi)
            paragraph_index.add(_paragraphs(dense))
            exact_dense.update(dense, start)
            exact_multi.update(multi, start)
        faiss.write_index(dense_index, str(generation / "dense.faiss"))
        faiss.write_index(multi_index, str(generation / "multilingual.faiss"))
        faiss.write_index(semantic_index, str(generation / "semantic.faiss"))
        faiss.write_index(paragraph_index, str(generation / "paragraphs.faiss"))
        np.save(generation / PARAGRAPH_ROWS, _paragraph_rows(n), allow_pickle=False)
        timings["vectors_s"] = time.perf_counter() - t

        t = time.perf_counter()
        term_vectors = corpus.term_vectors(lex.surfaces)
        terms_index, terms_kind = vector_index_for("terms.faiss", MULTI_DIM, len(term_vectors))
        if not terms_index.is_trained:
            terms_index.train(term_vectors)
        terms_index.add(term_vectors)
        faiss.write_index(terms_index, str(generation / "terms.faiss"))
        np.save(generation / "term_hubness.npy", hubness(terms_index, term_vectors), allow_pickle=False)
        np.save(generation / "section_of.npy", np.full(n, -1, dtype=np.int64), allow_pickle=False)
        timings["vocabulary_s"] = time.perf_counter() - t

        manifest = Manifest(
            model="synthetic-384",
            dimension=DENSE_DIM,
            splitter_version="synthetic",
            multilingual_model="synthetic-512",
            dense_index=dense_kind,
            passage_count=n,
            files={},
        )
        store.commit(generation, manifest)
    np.savez(
        folder / "questions.npz",
        dense=np.stack([q["dense"] for q in questions]),
        multi=np.stack([q["multi"] for q in questions]),
        exact_dense=exact_dense.ids,
        exact_multi=exact_multi.ids,
        passage=np.asarray([q["passage"] for q in questions]),
    )
    (folder / "questions.json").write_text(
        json.dumps([{"question": q["question"], "words": q["words"]} for q in questions])
    )
    return {
        "build_s": round(time.perf_counter() - started, 1),
        "dense_index": dense_kind,
        "multilingual_index": multi_kind,
        "semantic_index": semantic_kind,
        "paragraphs_index": paragraph_kind,
        "paragraphs": paragraph_count,
        "terms_index": terms_kind,
        "terms": len(lex.terms),
        "postings": int(len(lex.doc_ids)),
        "build_rss_mb": round(_rss_mb()),
        **{k: round(v, 1) for k, v in timings.items()},
    }


def _paragraphs(vectors: np.ndarray) -> np.ndarray:
    """The paragraph vectors stored for a run of passages that starts at a multiple of 3: a passage whose
    id is a multiple of 3 is alone in its paragraph (its own vector serves, _paragraph_rows), the next two
    share one paragraph vector, stored once."""
    first, second = vectors[1::3], vectors[2::3]
    pairs = first[: len(second)] + second
    if len(first) > len(second):  # a last paragraph of one passage, but not alone
        pairs = np.concatenate([pairs, first[len(second) :]])
    return _unit(pairs) if len(pairs) else pairs


def _paragraph_rows(n: int) -> np.ndarray:
    """Each passage's row of paragraphs.faiss (qa.store.PARAGRAPH_ROWS), -1 for one alone (_paragraphs)."""
    ids = np.arange(n)
    return np.where(ids % 3 == 0, -1, ids // 3).astype(np.int32)


def _training(corpus: Corpus, which: int, size: int = 256 * 1024) -> np.ndarray:
    """Vectors of evenly spaced runs of passages (sub-topics are spread over ids by a hash)."""
    runs = 8
    length = min(corpus.n, size) // runs
    starts = np.linspace(0, corpus.n - length, runs).astype(np.int64)
    return np.concatenate([corpus.vectors(int(s), int(s) + length)[which] for s in starts])


class _TopK:
    """Exact top-10 by inner product, updated chunk by chunk."""

    def __init__(self, queries: np.ndarray, k: int = 10):
        self.queries = queries
        self.k = k
        self.ids = np.full((len(queries), k), -1, dtype=np.int64)
        self.sims = np.full((len(queries), k), -np.inf, dtype=np.float32)

    def update(self, vectors: np.ndarray, start: int) -> None:
        sims = self.queries @ vectors.T
        ids = np.broadcast_to(np.arange(start, start + len(vectors)), sims.shape)
        all_sims = np.concatenate([self.sims, sims], axis=1)
        all_ids = np.concatenate([self.ids, ids], axis=1)
        best = np.argsort(-all_sims, axis=1, kind="stable")[:, : self.k]
        self.sims = np.take_along_axis(all_sims, best, axis=1)
        self.ids = np.take_along_axis(all_ids, best, axis=1)


# -- questions -----------------------------------------------------------------------------


class _TableEncoder:
    """Stands in for a question encoder: the vector the synthetic question was made with."""

    def __init__(self, vectors: dict[str, np.ndarray], dimension: int):
        self.vectors = vectors
        self.dimension = dimension

    def encode(self, texts, progress=None):
        return np.stack([self.vectors[t] for t in texts]).astype(np.float32)

    encode_queries = encode  # as the retrieval model (qa.semantic) is asked


def query(folder: Path) -> dict:
    import faiss

    from qa.retrieval import Retriever
    from qa.store import IndexStore

    faiss.omp_set_num_threads(1)  # as the engine does for questions (qa.embedding.question_encoder)
    t = time.perf_counter()
    loaded = IndexStore(folder).load()
    load_s = time.perf_counter() - t
    data = np.load(folder / "questions.npz")
    questions = json.loads((folder / "questions.json").read_text())
    dense_table, multi_table = {}, {}
    # A word's multilingual vector is its vocabulary vector, as the real encoder gives for a word.
    for i, q in enumerate(questions):
        dense_table[q["question"]] = data["dense"][i]
        multi_table[q["question"]] = data["multi"][i]
        for word in q["words"]:
            term = loaded.lexical.term_id(_stem(word))
            multi_table[word] = (
                loaded.terms.reconstruct(term)
                if term is not None
                else np.ones(MULTI_DIM, dtype=np.float32) / np.sqrt(MULTI_DIM)
            )
    dense_encoder = _TableEncoder(dense_table, DENSE_DIM)
    retriever = Retriever(loaded, dense_encoder, _TableEncoder(multi_table, MULTI_DIM), dense_encoder)
    for q in questions[:5]:  # warm up: first touches of the memory-mapped files
        retriever.search(q["question"])
    times, found = [], []
    for q in questions:
        t = time.perf_counter()
        result = retriever.search(q["question"])
        times.append(time.perf_counter() - t)
        found.append([c.id for c in result.candidates[:10]])
    ann_dense = loaded.dense.search(data["dense"], 10)[1]
    ann_multi = loaded.multilingual.search(data["multi"], 10)[1]
    return {
        "p50_ms": round(float(np.percentile(times, 50)) * 1e3, 2),
        "p95_ms": round(float(np.percentile(times, 95)) * 1e3, 2),
        "recall_at_10": round(_recall(ann_dense, data["exact_dense"]), 4),
        "recall_at_10_multilingual": round(_recall(ann_multi, data["exact_multi"]), 4),
        "target_in_top10": round(float(np.mean([p in f for p, f in zip(data["passage"], found, strict=True)])), 3),
        "load_s": round(load_s, 2),
        "rss_mb": round(_rss_mb()),
        "manifest_dense_index": loaded.manifest.dense_index,
    }


def _stem(word: str) -> str:
    from qa import text as textmod

    return textmod.stem(word, "en")


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(a.tolist()) & set(b.tolist())) / len(b) for a, b in zip(found, exact, strict=True)]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=100_000, metavar="N")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index", metavar="DIR", help="build here (kept); default: a temporary folder")
    parser.add_argument("--query-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.query_only:
        print(json.dumps(query(Path(args.index))))
        return 0
    with tempfile.TemporaryDirectory(prefix="qa-scale-") as tmp:
        folder = Path(args.index) if args.index else Path(tmp)
        built = build(folder, args.passages, args.seed, min(args.queries, args.passages))
        print(f"built: {json.dumps(built)}", file=sys.stderr, flush=True)
        # A fresh process answers: its memory is the index's, not the build's.
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        out = subprocess.run(
            [sys.executable, __file__, "--query-only", "--index", str(folder)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        queried = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        json.dumps(
            {
                "n": args.passages,
                "build_s": built["build_s"],
                **queried,
                **{k: v for k, v in built.items() if k != "build_s"},
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
