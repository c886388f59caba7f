"""Indexing throughput on real text with the default model.

    .venv/bin/python bench/throughput.py [--passages 1024]

The passages are the seeds' own (qa.documents.split_passages), repeated up to
--passages in a fixed shuffled order, so short and long passages are mixed as
in a real folder. Measured, each from one run:

- sentence-transformers through ``SentenceTransformerEmbedder`` (what
  ``qa index`` uses): length-sorted batches of 64 (the default), against
  batches of 64 in document order, and one passage at a time;
- the multilingual encoder (the index's second vector per passage).

Figures are passages/s and model tokens/s (the model tokenizer's count,
truncated at its 256-token limit). Prints a table, then one JSON object as the
last line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def passages(count: int) -> list[str]:
    from qa.documents import decode, split_passages

    texts = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        texts += [p.text for p in split_passages(decode(path.read_bytes()), path.name)]
    out = (texts * (count // len(texts) + 1))[:count]
    random.Random(0).shuffle(out)
    return out


class _Unsorted:
    """Batches in document order: sentence-transformers still sorts inside a batch, not across."""

    def __init__(self, embedder, batch_size: int):
        self.embedder = embedder
        self.batch_size = batch_size

    def encode(self, texts):
        model = self.embedder._load()
        return np.concatenate(
            [
                model.encode(
                    texts[i : i + self.batch_size],
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                for i in range(0, len(texts), self.batch_size)
            ]
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=1024)
    parser.add_argument("--single", type=int, default=128, help="passages for the one-at-a-time run")
    args = parser.parse_args()

    from qa.crosslingual import MultilingualEncoder
    from qa.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder

    texts = passages(args.passages)
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL, batch_size=64)
    started = time.perf_counter()
    embedder._load()
    load_s = time.perf_counter() - started
    tokenizer = embedder._load().tokenizer
    limit = embedder._load().max_seq_length
    tokens = [min(len(ids), limit) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]]
    embedder.encode(texts[:64])  # warm-up

    def run(label, encode, subset):
        started = time.perf_counter()
        encode(subset)
        seconds = time.perf_counter() - started
        count = len(subset)
        token_count = sum(tokens[: len(subset)])
        row = {
            "passages_per_s": round(count / seconds, 1),
            "tokens_per_s": round(token_count / seconds),
            "passages": count,
            "seconds": round(seconds, 2),
        }
        print(f"{label:42s} {row['passages_per_s']:8.1f} passages/s {row['tokens_per_s']:9d} tokens/s")
        return row

    results = {
        "model_load_s": round(load_s, 2),
        "mean_tokens": round(float(np.mean(tokens)), 1),
        "sorted_batch64": run("sentence-transformers, sorted batches of 64", embedder.encode, texts),
        "unsorted_batch64": run("sentence-transformers, batches of 64 as read", _Unsorted(embedder, 64).encode, texts),
        "one_at_a_time": run(
            "sentence-transformers, one passage a call", _Unsorted(embedder, 1).encode, texts[: args.single]
        ),
    }
    multilingual = MultilingualEncoder()
    multilingual.encode(texts[:16])
    results["multilingual"] = run("multilingual encoder (USE, numpy)", multilingual.encode, texts)
    results["sorted_vs_unsorted"] = round(
        results["sorted_batch64"]["passages_per_s"] / results["unsorted_batch64"]["passages_per_s"], 2
    )
    results["batched_vs_single"] = round(
        results["sorted_batch64"]["passages_per_s"] / results["one_at_a_time"]["passages_per_s"], 2
    )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
