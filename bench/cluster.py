"""One machine against a Ray cluster of 1 and 2 nodes on this machine: indexing, questions, fan-out.

    .venv/bin/pip install -e '.[cluster]'
    .venv/bin/python bench/cluster.py                      # the Python tutorial and 200,000 synthetic passages
    .venv/bin/python bench/cluster.py --synthetic 0 --set python-tutorial --set questions

Real corpus (/work/shared/eval/corpora/python-tutorial, or --corpus): the one-machine index
(``qa index``'s build) and the cluster build (read, split and embed as Ray work on every node, N
shards written) on 1 node and on 2 nodes, in passages per second; then every question of the gold
set(s), answered on one machine and on the 2-node cluster: how many answers and citations are
identical, and the latency of each (the difference is the fan-out's cost).

Synthetic corpus (--synthetic N, default 200,000; bench/scale.py's generator): a one-machine index
built with the project's own code, re-cut into shards (``qa.cluster.reshard``: no model could embed
200,000 passages here in a bench's time), then ``Retriever.search`` with table look-up encoders, one
machine against 1 and 2 nodes.

The nodes are processes of this machine sharing its 2 cores: 2 nodes here measure the overhead of
distribution, not a speed-up. The projection to 10 and 100 machines therefore scales the measured
per-node embedding rate by the node count (embedding is shared-nothing work), and models a question
as its measured one-machine cost on a shard's share of the passages plus the measured per-shard
fan-out cost. The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # else ray.init swaps 127.0.0.1 for another address
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
EVAL = ROOT.parent / "shared" / "eval"
SETS = {
    "python-tutorial": (EVAL / "python-tutorial.jsonl", EVAL / "corpora" / "python-tutorial"),
    "debian-reference-fr": (EVAL / "debian-reference-fr.jsonl", EVAL / "corpora" / "debian-reference-fr"),
    "questions": (EVAL / "questions.jsonl", ROOT / "seeds"),
}
MODEL = "sentence-transformers/all-MiniLM-L6-v2"


class LocalCluster:
    """A Ray cluster of ``nodes`` nodes on 127.0.0.1, stopped by its own handle."""

    def __init__(self, nodes: int):
        from ray.cluster_utils import Cluster

        self.cluster = Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False},
        )
        for _ in range(nodes - 1):
            self.cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
        self.cluster.wait_for_nodes()
        self.address = self.cluster.address

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        import ray

        ray.shutdown()
        self.cluster.shutdown()


def _facts(answer) -> tuple:
    return (answer.answer, [(c.source, c.start_line, c.end_line, c.text) for c in answer.citations])


def _answers(engine, questions: list[str]) -> tuple[list, list[float]]:
    out, times = [], []
    engine.answer(questions[0])  # warm: models and shards loaded
    for q in questions:
        t = time.perf_counter()
        out.append(_facts(engine.answer(q)))
        times.append(time.perf_counter() - t)
    return out, times


def real(corpus: Path, sets: list[str], work: Path, node_counts: tuple[int, ...] = (1, 2)) -> dict:
    from qa.api import Engine
    from qa.cluster import build_cluster_index, cluster_loader

    result: dict = {"corpus": str(corpus)}
    t = time.perf_counter()
    single = Engine(index_dir=work / "single", documents=[corpus], root=corpus.parent)
    single.prepare()
    passages = single.index.manifest.passage_count
    result["passages"] = passages
    result["single_index_s"] = round(time.perf_counter() - t, 1)
    questions = {
        s: [json.loads(line)["question"] for line in SETS[s][0].open(encoding="utf-8") if line.strip()]
        for s in sets
        if SETS[s][1] == corpus
    }
    single_answers = {s: _answers(single, qs) for s, qs in questions.items()}
    for nodes in node_counts:
        with LocalCluster(nodes) as cluster:
            t = time.perf_counter()
            report = build_cluster_index(cluster.address, [corpus], work / f"cluster{nodes}", MODEL, corpus.parent)
            result[f"cluster{nodes}_index_s"] = round(time.perf_counter() - t, 1)
            result[f"cluster{nodes}_shards"] = report.shards
            engine = Engine(index_dir=work / f"cluster{nodes}", loader=cluster_loader(cluster.address))
            for s, qs in questions.items():
                got, times = _answers(engine, qs)
                want, single_times = single_answers[s]
                same = sum(a == b for a, b in zip(got, want, strict=True))
                result[f"{s}_cluster{nodes}_identical"] = f"{same}/{len(qs)}"
                result[f"{s}_single_p50_ms"] = round(float(np.median(single_times)) * 1e3, 1)
                result[f"{s}_cluster{nodes}_p50_ms"] = round(float(np.median(times)) * 1e3, 1)
                differ = [q for q, a, b in zip(qs, got, want, strict=True) if a != b]
                if differ:
                    result[f"{s}_cluster{nodes}_differ"] = differ[:5]
    for key in ("single", *(f"cluster{n}" for n in node_counts)):
        result[f"{key}_passages_per_s"] = round(passages / result[f"{key}_index_s"], 1)
    return result


def synthetic(n: int, work: Path, queries: int) -> dict:
    import faiss
    import scale

    from qa.cluster import ClusterIndex, cluster_loader, reshard  # noqa: F401
    from qa.retrieval import Retriever
    from qa.store import IndexStore

    faiss.omp_set_num_threads(1)
    t = time.perf_counter()
    built = scale.build(work / "synthetic", n, 0, queries)
    result = {"synthetic_passages": n, "synthetic_single_build_s": built["build_s"]}
    data = np.load(work / "synthetic" / "questions.npz")
    questions = json.loads((work / "synthetic" / "questions.json").read_text())
    loaded = IndexStore(work / "synthetic").load()
    dense_table, multi_table = {}, {}
    for i, q in enumerate(questions):
        dense_table[q["question"]] = data["dense"][i]
        multi_table[q["question"]] = data["multi"][i]
        for word in q["words"]:
            term = loaded.lexical.term_id(scale._stem(word))
            multi_table[word] = (
                loaded.terms.reconstruct(term)
                if term is not None
                else np.ones(scale.MULTI_DIM, dtype=np.float32) / np.sqrt(scale.MULTI_DIM)
            )
    dense = scale._TableEncoder(dense_table, scale.DENSE_DIM)
    multi = scale._TableEncoder(multi_table, scale.MULTI_DIM)

    def timed(retriever) -> list[float]:
        for q in questions[:5]:
            retriever.search(q["question"])
        times = []
        for q in questions:
            t = time.perf_counter()
            retriever.search(q["question"])
            times.append(time.perf_counter() - t)
        return times

    result["synthetic_single_p50_ms"] = round(float(np.median(timed(Retriever(loaded, dense, multi, dense)))) * 1e3, 1)
    for nodes in (1, 2):
        shards = 2 * nodes
        t = time.perf_counter()
        reshard(work / "synthetic", work / f"synthetic{nodes}", shards)
        result[f"synthetic_reshard{shards}_s"] = round(time.perf_counter() - t, 1)
        with LocalCluster(nodes) as cluster:
            index, retriever_class = cluster_loader(cluster.address)(work / f"synthetic{nodes}")
            times = timed(retriever_class(index, dense, multi, dense))
            result[f"synthetic_cluster{nodes}_p50_ms"] = round(float(np.median(times)) * 1e3, 1)
            memory = index.shard_set.call_all("memory_mb")
            result[f"synthetic_cluster{nodes}_shard_rss_mb"] = [round(m) for m in memory]
            result[f"synthetic_cluster{nodes}_mb_per_million_passages"] = round(sum(memory) / n * 1e6)
            result[f"synthetic_cluster{nodes}_shards"] = shards
    return result


def projection(result: dict) -> dict:
    """10 and 100 machines, from the per-node figures measured above."""
    out = {}
    per_node = result.get("cluster2_passages_per_s", 0) / 2 or result.get("cluster1_passages_per_s", 0)
    n = result.get("synthetic_passages", 0)
    single_ms = result.get("synthetic_single_p50_ms")
    c1, c2 = result.get("synthetic_cluster1_p50_ms"), result.get("synthetic_cluster2_p50_ms")
    # Cost of one more shard in the fan-out (2 shards -> 4 shards measured), and the retrieval work that
    # shrinks with a shard's share of the passages.
    per_shard_ms = max(0.0, (c2 - c1) / 2) if c1 and c2 else 0.0
    fixed_ms = max(0.0, (c1 or 0) - 2 * per_shard_ms)
    for machines in (10, 100):
        row = {"index_passages_per_s": round(per_node * machines, 1)}
        if per_node:
            row["hours_per_100M_passages"] = round(1e8 / (per_node * machines) / 3600, 1)
        if single_ms and n:
            row["question_ms_at_1M_passages_per_machine"] = round(fixed_ms + 2 * machines * per_shard_ms, 1)
        out[machines] = row
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=SETS["python-tutorial"][1])
    parser.add_argument("--set", action="append", dest="sets", choices=sorted(SETS))
    parser.add_argument("--synthetic", type=int, default=200_000, help="synthetic passages (0: none)")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument(
        "--nodes", type=int, action="append", help="cluster sizes for the real corpus (default 1 and 2)"
    )
    args = parser.parse_args()
    sets = args.sets or ["python-tutorial"]
    result: dict = {}
    with tempfile.TemporaryDirectory(prefix="qa-bench-cluster-") as tmp:
        work = Path(tmp)
        if args.corpus:
            result.update(real(args.corpus, sets, work, tuple(args.nodes or (1, 2))))
            _print("real corpus", result)
        if args.synthetic:
            result.update(synthetic(args.synthetic, work, args.queries))
            _print("synthetic", result)
    result["projection"] = projection(result)
    print("projection (from the per-node figures):")
    for machines, row in result["projection"].items():
        print(f"  {machines:>3} machines: {row}")
    print(json.dumps(result))
    return 0


def _print(title: str, result: dict) -> None:
    print(f"-- {title}")
    for key, value in result.items():
        print(f"  {key:40s} {value}")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
