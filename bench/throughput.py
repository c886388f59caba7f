"""Indexing throughput: the whole `qa index` of a folder against one plain encoder pass.

    .venv/bin/python bench/throughput.py [--folder DIR] [--index DIR] [--encoders]

In one run, on the same passages:

- ``qa index FOLDER`` in a fresh process, into a temporary index (default folder:
  ../shared/eval/corpora/python-tutorial), timed from start to exit: reading,
  splitting, every encoder with its model load, writing;
- a plain sentence-transformers all-MiniLM-L6-v2 encode (batches of 64) of the
  passages that index holds (the text its encoders read, qa.documents.semantic_text),
  model load apart;
- their ratio, and the index's bytes on disk per character of the passages' text
  (each file's bytes are listed).

``--encoders`` adds the earlier measurements of the encoders alone, on the seeds'
passages (qa.documents.split_passages) repeated up to --passages in a fixed shuffled
order: sentence-transformers through ``SentenceTransformerEmbedder`` in length-sorted
batches of 64, in batches of 64 as read and one passage at a time, and the
multilingual encoder; passages/s and model tokens/s (the model tokenizer's count,
truncated at its 256-token limit).

Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FOLDER = ROOT.parent / "shared" / "eval" / "corpora" / "python-tutorial"
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


def whole_index(folder: Path, index: Path) -> dict:
    """``qa index folder`` in a fresh process, as a user runs it; what it wrote."""
    from qa.documents import semantic_text
    from qa.store import IndexStore

    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE=os.environ.get("HF_HUB_OFFLINE", "1"))
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "qa.cli", "index", str(folder), "--index", str(index)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    store = IndexStore(index)
    loaded = store.load()
    try:
        count = loaded.manifest.passage_count
        rows = loaded.passages.get(list(range(count)))
        passages = [rows[i] for i in range(count)]
    finally:
        loaded.passages.close()
    files = {path.name: path.stat().st_size for path in sorted(store.live_generation().iterdir())}
    return {
        "seconds": seconds,
        "texts": [semantic_text(p) for p in passages],
        "characters": sum(len(p.text) for p in passages),
        "files": files,
    }


def plain_encode(texts: list[str]) -> dict:
    """all-MiniLM-L6-v2 through sentence-transformers as its documentation shows it, batches of 64 (the
    weights from where qa finds them offline: the packaged copy)."""
    from sentence_transformers import SentenceTransformer

    from qa.config import Settings
    from qa.embedding import DEFAULT_MODEL, resolve_model

    started = time.perf_counter()
    model = SentenceTransformer(str(resolve_model(DEFAULT_MODEL, Settings.from_env().hf_home)), device="cpu")
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    model.encode(texts, batch_size=64, show_progress_bar=False)
    return {"load_s": load_s, "seconds": time.perf_counter() - started}


def index_against_encode(folder: Path, index: Path | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="qa-throughput-") as tmp:
        built = whole_index(folder, index or Path(tmp) / "index")
    texts = built["texts"]
    plain = plain_encode(texts)
    size = sum(built["files"].values())
    results = {
        "folder": str(folder),
        "passages": len(texts),
        "characters": built["characters"],
        "qa_index_s": round(built["seconds"], 2),
        "qa_index_passages_per_s": round(len(texts) / built["seconds"], 1),
        "plain_encode_s": round(plain["seconds"], 2),
        "plain_encode_passages_per_s": round(len(texts) / plain["seconds"], 1),
        "plain_model_load_s": round(plain["load_s"], 2),
        "index_vs_encode": round(built["seconds"] / plain["seconds"], 2),
        "index_bytes": size,
        "index_bytes_per_character": round(size / max(1, built["characters"]), 1),
        "index_files": built["files"],
    }
    print(
        f"{'qa index (whole, fresh process)':42s} {results['qa_index_s']:8.1f} s {results['qa_index_passages_per_s']:8.1f} passages/s"
    )
    print(
        f"{'plain MiniLM encode, batches of 64':42s} {results['plain_encode_s']:8.1f} s"
        f" {results['plain_encode_passages_per_s']:8.1f} passages/s (model load {results['plain_model_load_s']} s apart)"
    )
    print(f"{'qa index / plain encode':42s} {results['index_vs_encode']:8.2f} x")
    print(
        f"{'index on disk':42s} {size:8d} bytes, {results['index_bytes_per_character']} a character"
        f" ({results['characters']} characters in {len(texts)} passages)"
    )
    for name, count in built["files"].items():
        print(f"    {name:38s} {count:10d}")
    return results


def encoders_alone(count: int, single: int) -> dict:
    from qa.crosslingual import MultilingualEncoder
    from qa.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder

    texts = passages(count)
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
            "sentence-transformers, one passage a call", _Unsorted(embedder, 1).encode, texts[:single]
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
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--folder", type=Path, default=DEFAULT_FOLDER, help="the folder to index (default: %(default)s)"
    )
    parser.add_argument("--index", type=Path, help="build the index here, kept (default: a temporary folder)")
    parser.add_argument("--encoders", action="store_true", help="also the encoders alone, on the seeds' passages")
    parser.add_argument("--passages", type=int, default=1024, help="with --encoders: passages encoded")
    parser.add_argument("--single", type=int, default=128, help="with --encoders: passages for the one-at-a-time run")
    args = parser.parse_args()
    if not args.folder.is_dir():
        print(f"throughput: {args.folder} is not a folder", file=sys.stderr)
        return 2
    if args.index is not None and args.index.exists():
        print(f"throughput: {args.index} exists: the build must start from nothing", file=sys.stderr)
        return 2
    results = index_against_encode(args.folder.resolve(), args.index)
    if args.encoders:
        results["encoders"] = encoders_alone(args.passages, args.single)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
