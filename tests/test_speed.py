"""What the speed work must not change: behaviour (timings live in bench/, never here).

- the vectorised lexical build gives the postings of the plain loop;
- sparse matching gives the scores of the dense computation, and the same top ranks;
- large indexes switch to IVF by themselves, trained, reconstructible, recorded;
- bench/scale.py prints its figures as a last JSON line;
- answering a question never imports torch.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from qa import lexical
from qa import text as textmod

ROOT = Path(__file__).resolve().parent.parent


def _reference_build(documents):
    """The straightforward BM25 index: one Python loop, (term, doc, tf) tuples."""
    term_ids: dict[str, int] = {}
    surfaces: list[Counter] = []
    rows = []
    for text, language in documents:
        ids = []
        for word in textmod.words(text):
            if not textmod.is_content_word(word):
                continue
            tid = term_ids.setdefault(textmod.stem(word, language), len(term_ids))
            if tid == len(surfaces):
                surfaces.append(Counter())
            surfaces[tid][word.lower()] += 1
            ids.append(tid)
        rows.append(ids)
    n = len(documents)
    lengths = np.asarray([len(r) for r in rows], dtype=np.float32)
    average = float(lengths.mean()) if n and lengths.mean() > 0 else 1.0
    df = np.zeros(len(term_ids), dtype=np.int64)
    pairs = []
    for doc, ids in enumerate(rows):
        for tid, tf in Counter(ids).items():
            df[tid] += 1
            pairs.append((tid, doc, tf))
    pairs.sort()
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    tids = np.asarray([p[0] for p in pairs], dtype=np.int64)
    docs = np.asarray([p[1] for p in pairs], dtype=np.int32)
    tfs = np.asarray([p[2] for p in pairs], dtype=np.float32)
    norm = lexical.K1 * (1 - lexical.B + lexical.B * lengths[docs] / average)
    weights = (idf[tids] * tfs * (lexical.K1 + 1) / (tfs + norm)).astype(np.float32)
    terms = sorted(term_ids, key=term_ids.get)
    return terms, [c.most_common(1)[0][0] for c in surfaces], df, docs, weights


def _documents(count: int, seed: int = 0) -> list[tuple[str, str]]:
    words = (
        "DeepSeek lancée lancé Lancée utilisateurs users user launched Launch the le la de 2025 11 janvier "
        "X AI IA modèle modèles model models Chine China chinoise l'entreprise d'OpenAI qu'il 22,15 R1 "
        "DeepSeek-R1 café Café CAFÉ naïve é"
    ).split()
    rnd = random.Random(seed)
    return [
        (" ".join(rnd.choice(words) for _ in range(rnd.randint(0, 25))), rnd.choice(["fr", "en"])) for _ in range(count)
    ]


def test_vectorised_build_gives_the_reference_postings():
    documents = _documents(400) + [("", "fr"), ("le la de", "fr")]
    built = lexical.build(documents)
    terms, surfaces, df, docs, weights = _reference_build(documents)
    assert built.terms == terms
    assert built.surfaces == surfaces
    assert np.diff(built.indptr).tolist() == df.tolist()
    assert np.array_equal(built.doc_ids, docs) and built.doc_ids.dtype == np.int32
    assert np.array_equal(built.weights, weights)
    assert built.doc_count == len(documents)


def test_build_of_nothing():
    built = lexical.build([])
    assert built.terms == [] and built.doc_count == 0 and built.indptr.tolist() == [0]
    assert built.match([[(0, 1.0)]] if built.terms else [[]]).top(5).tolist() == []


def _random_expansions(rnd, term_count):
    return [
        [
            (rnd.randrange(term_count), rnd.choice([1.0, round(rnd.uniform(0.6, 1.0), 3)]))
            for _ in range(rnd.randint(0, 4))
        ]
        for _ in range(rnd.randint(0, 6))
    ]


def test_sparse_matching_gives_the_dense_scores_and_ranks():
    documents = _documents(600, seed=1)
    index = lexical.build(documents)
    rnd = random.Random(2)
    for _ in range(200):
        expansions = _random_expansions(rnd, len(index.terms))
        found = index.match(expansions)
        # Brute force: every document, every word, its best term.
        scores = np.zeros(index.doc_count, dtype=np.float32)
        matched = np.zeros((len(expansions), index.doc_count), dtype=np.float32)
        for w, options in enumerate(expansions):
            best = np.zeros(index.doc_count, dtype=np.float32)
            for term_id, similarity in options:
                docs, weights = index.postings(term_id)
                np.maximum.at(best, docs, weights * similarity)
                np.maximum.at(matched[w], docs, np.float32(similarity))
            scores += best
        dense_scores, dense_matched = index.best_match_scores(expansions)
        assert np.array_equal(dense_scores, scores) and np.array_equal(dense_matched, matched)
        assert found.docs.tolist() == np.flatnonzero(matched.any(axis=0)).tolist()
        for k in (1, 3, 50, 10_000):
            expected = np.argsort(-scores, kind="stable")[:k]
            assert found.top(k).tolist() == expected[scores[expected] > 0].tolist()
        weights = [rnd.uniform(0.1, 3.0) for _ in expansions]
        coverage = np.zeros(index.doc_count, dtype=np.float32)
        for i, weight in enumerate(weights):
            coverage += weight * matched[i]
        coverage /= sum(weights) or 1.0
        cover = found.coverage(weights)
        for pid in rnd.sample(range(index.doc_count), 30):
            assert found.score(pid) == float(scores[pid])
            assert found.at(cover, pid) == float(coverage[pid])
            assert all(found[w, pid] == float(matched[w, pid]) for w in range(len(expansions)))


def test_ties_at_the_cut_keep_passage_order():
    index = lexical.build([("apple pie", "en")] * 7 + [("apple apple cherry", "en")])
    apple = index.term_id(textmod.stem("apple", "en"))
    found = index.match([[(apple, 1.0)]])
    top = found.top(3).tolist()
    assert top[0] == 7 and top[1:] == [0, 1]  # the 7 identical passages tie: lowest ids first


def test_large_indexes_switch_to_ivf_and_keep_their_settings(tmp_path):
    import faiss

    from qa import store

    dimension = 8
    count = store.EXACT_SEARCH_LIMIT + 1
    index, kind = store.dense_index_for(dimension, 100)
    assert kind == "sq8" and isinstance(index, faiss.IndexScalarQuantizer)  # exact search over 8-bit codes
    index, kind = store.dense_index_for(dimension, count)
    assert kind.startswith("ivf") and not index.is_trained
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((count, dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store.save_vectors(index, vectors, tmp_path / "v.faiss")  # trains, adds, writes
    loaded = faiss.read_index(str(tmp_path / "v.faiss"))
    assert loaded.ntotal == count
    assert faiss.extract_index_ivf(loaded).nprobe == faiss.extract_index_ivf(index).nprobe > 1
    np.testing.assert_allclose(loaded.reconstruct(1234), vectors[1234], atol=0.02)  # 8-bit codes
    np.testing.assert_allclose(store.vectors_of(loaded, 10, 3), vectors[10:13], atol=0.02)
    sims, ids = loaded.search(vectors[:20], 1)
    assert (ids[:, 0] == np.arange(20)).mean() >= 0.9


def test_scale_bench_prints_its_figures_last(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale.py"), "--passages", "3000", "--queries", "30"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    for key in ("n", "build_s", "p50_ms", "p95_ms", "recall_at_10", "rss_mb"):
        assert key in figures
    assert figures["n"] == 3000 and figures["manifest_dense_index"] == "sq8"  # as qa index writes it
    assert figures["paragraphs_index"] == "sq8" and figures["paragraphs"] == 1000  # stored once (qa.store)
    assert figures["recall_at_10"] >= 0.95  # exact search below the limit, over 8-bit codes
    assert all(math.isfinite(figures[k]) and figures[k] > 0 for k in ("p50_ms", "p95_ms", "rss_mb"))


@pytest.mark.model
def test_answering_a_question_imports_no_torch(tmp_path):
    index = tmp_path / "index"
    env = {"HF_HUB_OFFLINE": "1", "QA_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "qa.cli", "index", str(ROOT / "seeds"), "--index", str(index)],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    script = (
        "import sys, json\n"
        "from qa.api import Engine\n"
        f"engine = Engine(index_dir={str(index)!r})\n"
        "answer = engine.answer('When was DeepSeek launched?').to_dict()\n"
        "heavy = sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules)\n"
        "print(json.dumps({'heavy': heavy, 'answer': answer['answer']}))\n"
    )
    for _ in range(2):  # the first run prepares the cache, the second reads it
        out = subprocess.run(
            [sys.executable, "-c", script], cwd=tmp_path, env=env, check=True, capture_output=True, text=True
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        assert result["heavy"] == []
        assert "2025" in result["answer"]
