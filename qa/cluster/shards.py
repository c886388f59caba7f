"""Answering on a cluster: one Ray actor per shard holds its vectors, postings and passages; ``ClusterIndex``,
with the attributes of ``qa.store.LoadedIndex``, fans each search out and merges the shards' top k as one
index would (``flat_top``); ``cluster_loader`` gives it to the engine, ``shutdown_shards`` stops the actors."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import numpy as np

from qa.cluster.connection import NAMESPACE, ClusterUnavailable, connect
from qa.cluster.layout import CLUSTER_FILE, GLOBAL_ARTIFACTS, SHARD_RESTARTS, VECTOR_NAMES, ShardInfo, read_cluster
from qa.errors import IndexUnavailable
from qa.vector_files import flat_top


class _ShardWorker:
    """One shard in memory (a Ray actor): its vectors, postings and passages, by global passage id."""

    def __init__(self, folder: str, first: int, generation: str):
        from qa.store import IndexStore

        store = IndexStore(Path(folder))
        live = store.live_generation()
        if live is None or live.name != generation:
            raise IndexUnavailable(f"{folder} is not the shard its cluster index names")
        self.index = store.load()
        self.first = first
        self.count = self.index.manifest.passage_count

    def ping(self) -> int:
        return self.count

    def node(self) -> str:
        import ray

        return ray.get_runtime_context().get_node_id()

    def memory_mb(self) -> float:
        """Resident memory of this shard's process (bench/cluster.py sizes nodes with it)."""
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def search(self, queries: dict[str, np.ndarray], k: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each index's own top k (raw inner products), ids global."""
        out = {}
        for name, query in queries.items():
            out[name] = _shard_top(getattr(self.index, name), np.ascontiguousarray(query, dtype=np.float32), k)
            out[name] = (out[name][0], out[name][1] + self.first)
        return out

    def search_many(self, name: str, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores, ids = getattr(self.index, name).search(queries, min(k, self.count))
        return scores, np.where(ids >= 0, ids + self.first, -1)

    def match(self, expansions: list[list[tuple[int, float]]]):
        found = self.index.lexical.match(expansions)
        return found.docs + self.first, found.scores, found.matched

    def vectors(self, ids: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
        local = np.asarray(ids, dtype=np.int64) - self.first
        return {name: getattr(self.index, name).reconstruct_batch(local) for name in names}

    def passages(self, ids: list[int]) -> dict:
        rows = self.index.passages.get([i - self.first for i in ids])
        return {i + self.first: p for i, p in rows.items()}


class _ShardSet:
    """The shard actors of one cluster generation, and the fan-out that reports a shard it lost."""

    def __init__(self, ray, generation: Path, shards: list[ShardInfo], timeout: float):
        self.ray = ray
        self.shards = shards
        # A shard that does not answer within this many seconds (after Ray's own retries on a restarted
        # actor) is reported unavailable rather than waited for (Settings.cluster_timeout).
        self.timeout = timeout
        self.firsts = np.asarray([s.first for s in shards], dtype=np.int64)
        key = hashlib.sha256(str(generation.resolve()).encode()).hexdigest()[:16]
        actor = ray.remote(num_cpus=0, max_restarts=SHARD_RESTARTS, max_task_retries=SHARD_RESTARTS)(_ShardWorker)
        # Named and detached: a shard stays loaded between `qa ask` runs, and a later driver reuses it.
        # Each reserves the memory its shard takes (its files' size), so that the scheduler spreads the
        # shards over the nodes (it spread nothing for actors that reserve no resource) and fills no
        # node past its memory; a restart after a node's death goes wherever that memory is free.
        self.actors = [
            actor.options(
                name=f"qa-shard-{key}-{i:03d}",
                namespace=NAMESPACE,
                lifetime="detached",
                get_if_exists=True,
                scheduling_strategy="SPREAD",
                memory=max(_folder_bytes(generation / s.name / s.generation), 1 << 20),
            ).remote(str(generation / s.name), s.first, s.generation)
            for i, s in enumerate(shards)
        ]
        self.prefix = f"qa-shard-{key}-"
        self.call_all("ping")

    def owner(self, ids: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.firsts, ids, side="right") - 1

    def call(self, calls: list[tuple[int, str, tuple]]) -> list:
        refs = [getattr(self.actors[k], method).remote(*args) for k, method, args in calls]
        try:
            return self.ray.get(refs, timeout=self.timeout)
        except Exception as exc:  # an actor that died past its restarts, a node gone, a timeout
            for (k, _method, _args), ref in zip(calls, refs, strict=True):
                try:
                    self.ray.get(ref, timeout=0.1)
                except Exception:
                    shard = self.shards[k]
                    raise ClusterUnavailable(
                        f"shard {k + 1} of {len(self.shards)} ({shard.name}, passages {shard.first}-"
                        f"{shard.first + shard.count - 1}) is unavailable ({exc.__class__.__name__}):"
                        " no answer rather than a partial one; retry, or check the cluster (ray status)"
                    ) from None
            raise ClusterUnavailable(f"the cluster did not answer ({exc.__class__.__name__})") from None

    def call_all(self, method: str, *args) -> list:
        return self.call([(k, method, args) for k in range(len(self.actors))])


def _folder_bytes(folder: Path) -> int:
    try:
        return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    except OSError:
        return 0


class _ShardedVectors:
    """One of the four passage vector indexes, as the Retriever uses a FAISS index."""

    def __init__(self, cluster: ClusterIndex, name: str, dimension: int):
        self._cluster = cluster
        self._name = name
        self.d = dimension
        self.ntotal = cluster.manifest.passage_count

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if len(query) == 1:
            return self._cluster.search(self._name, query, k)
        return self._cluster.search_many(self._name, query, k)

    def reconstruct_batch(self, ids) -> np.ndarray:
        return self._cluster.vectors(self._name, np.asarray(ids, dtype=np.int64))

    def reconstruct_n(self, start: int, count: int) -> np.ndarray:
        """Stored vectors of a run of passages (the answerer reads them all for corpus-wide statistics)."""
        return self._cluster.vector_run(self._name, start, count)

    def reconstruct(self, i: int) -> np.ndarray:
        return self.reconstruct_batch([i])[0]


class _ShardedPassages:
    """The passage table: rows fetched from the shards that own them."""

    def __init__(self, cluster: ClusterIndex):
        self._cluster = cluster

    def get(self, ids) -> dict:
        return self._cluster.rows(list(ids))

    def neighbours(self, passage_id: int, before: int, after: int) -> list:
        count = self._cluster.manifest.passage_count
        ids = list(range(max(0, passage_id - before), min(count, passage_id + after + 1)))
        rows = self.get(ids)
        return [(i, rows[i]) for i in ids if i in rows]

    def close(self) -> None:
        pass


def _cluster_lexical(base, shard_set: _ShardSet):
    """The vocabulary and its global statistics, with ``match`` fanned out to the shards."""
    from qa.lexical import LexicalIndex, LexicalMatch

    class ClusterLexical(LexicalIndex):
        def match(self, expansions):
            parts = shard_set.call_all("match", expansions)
            docs = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
            scores = np.concatenate([p[1] for p in parts]).astype(np.float32)
            matched = np.concatenate([p[2] for p in parts], axis=1).astype(np.float32)
            # Shards hold ascending id ranges, so the concatenation is in id order, as on one machine.
            return LexicalMatch(docs.astype(np.int64), scores, matched.reshape(len(expansions), len(docs)))

    return ClusterLexical(base.terms, base.surfaces, base.indptr, base.doc_ids, base.weights, base.doc_count)


class ClusterIndex:
    """What qa.store.LoadedIndex offers the Retriever and the Answerer, served by the shard actors."""

    _CACHE_LIMIT = 20_000

    def __init__(self, address: str, folder: Path, timeout: float):
        """``timeout``: seconds a shard has to answer (qa.config.Settings.cluster_timeout)."""
        import faiss

        from qa.lexical import LexicalIndex, load_vocabulary
        from qa.store import IndexStore, Manifest

        ray = connect(address)
        store = IndexStore(folder)
        generation = store.live_generation()
        fix = f"build one with `qa index FOLDER --cluster {address} --index {folder}`"
        if generation is None:
            raise IndexUnavailable(f"no cluster index in {folder}: {fix}")
        if not (generation / CLUSTER_FILE).exists():
            raise IndexUnavailable(f"{folder} is a one-machine index, not a cluster index: {fix}")
        try:
            self.manifest = Manifest.from_json((generation / "manifest.json").read_text(encoding="utf-8"))
            store.verify(generation, self.manifest, GLOBAL_ARTIFACTS)  # as IndexStore.commit sealed them
            self.terms = faiss.read_index(str(generation / "terms.faiss"))
            self.term_hubness = np.load(generation / "term_hubness.npy", allow_pickle=False)
            self.section_of = np.load(generation / "section_of.npy", allow_pickle=False)
            terms, surfaces, doc_count = load_vocabulary(generation)
            df = np.load(generation / "lexical_df.npy", allow_pickle=False)
        except (IndexUnavailable, OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise IndexUnavailable(
                f"the cluster index in {folder} is damaged ({exc.__class__.__name__}): rebuild it with"
                f" `qa index --cluster {address} --index {folder}`"
            ) from exc
        indptr = np.zeros(len(df) + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        empty = np.zeros(0, dtype=np.int32)
        base = LexicalIndex(terms, surfaces, indptr, empty, empty.astype(np.float32), doc_count)
        self.folder = generation
        self.shards = read_cluster(generation)
        _drop_other_generations(ray, folder, generation)
        self.shard_set = _ShardSet(ray, generation, self.shards, timeout)
        self.lexical = _cluster_lexical(base, self.shard_set)
        dims = self._dimensions()
        self.dense, self.multilingual, self.semantic, self.paragraphs = (
            _ShardedVectors(self, name, dims[name]) for name in VECTOR_NAMES
        )
        self.passages = _ShardedPassages(self)
        self._vectors: dict[int, dict[str, np.ndarray]] = {}
        self._prefetched: dict | None = None

    def _dimensions(self) -> dict[str, int]:
        got = self.shard_set.call([(0, "vectors", (np.zeros(1, dtype=np.int64) + self.shards[0].first, VECTOR_NAMES))])[
            0
        ]
        return {name: int(v.shape[1]) for name, v in got.items()}

    # -- the fan-outs ------------------------------------------------------------------------
    def prefetch(self, queries: dict[str, np.ndarray], k: int) -> None:
        """The four vector searches of one question in one round trip (the Retriever asks for them next)."""
        refs = [a.search.remote(queries, k) for a in self.shard_set.actors]
        self._prefetched = {"queries": {n: q.tobytes() for n, q in queries.items()}, "k": k, "refs": refs}

    def search(self, name: str, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        pre = self._prefetched
        if pre and pre["k"] == k and pre["queries"].get(name) == np.asarray(query).tobytes():
            try:
                results = self.shard_set.ray.get(pre["refs"], timeout=self.shard_set.timeout)
            except Exception:  # a shard lost meanwhile: asked again, through the retries and the report
                self._prefetched = None
                results = self.shard_set.call_all("search", {name: query}, k)
            parts = [r[name] for r in results]
        else:
            parts = [r[name] for r in self.shard_set.call_all("search", {name: query}, k)]
        scores = np.concatenate([p[0] for p in parts]).astype(np.float32)
        ids = np.concatenate([p[1] for p in parts]).astype(np.int64)
        order = flat_top(scores, ids, k)
        out_scores = np.full((1, k), -np.inf, dtype=np.float32)
        out_ids = np.full((1, k), -1, dtype=np.int64)
        out_scores[0, : len(order)] = scores[order]
        out_ids[0, : len(order)] = ids[order]
        return out_scores, out_ids

    def search_many(self, name: str, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Many queries at once (corpus-wide statistics): each shard's top k, merged by score. Which of
        equal scores come first may differ from one index over all passages; the scores do not."""
        parts = self.shard_set.call_all("search_many", name, np.ascontiguousarray(queries, dtype=np.float32), k)
        scores = np.concatenate([p[0] for p in parts], axis=1)
        ids = np.concatenate([p[1] for p in parts], axis=1)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        out_scores = np.take_along_axis(scores, order, axis=1)
        out_ids = np.take_along_axis(ids, order, axis=1)
        if out_scores.shape[1] < k:
            pad = k - out_scores.shape[1]
            out_scores = np.pad(out_scores, ((0, 0), (0, pad)), constant_values=-np.inf)
            out_ids = np.pad(out_ids, ((0, 0), (0, pad)), constant_values=-1)
        return out_scores.astype(np.float32), out_ids.astype(np.int64)

    def vector_run(self, name: str, start: int, count: int) -> np.ndarray:
        calls = []
        for k, shard in enumerate(self.shards):
            a, b = max(start, shard.first), min(start + count, shard.first + shard.count)
            if a < b:
                calls.append((k, "vectors", (np.arange(a, b, dtype=np.int64), (name,))))
        if not calls:
            return np.zeros((0, getattr(self, name).d), dtype=np.float32)
        return np.concatenate([got[name] for got in self.shard_set.call(calls)]).astype(np.float32)

    def vectors(self, name: str, ids: np.ndarray) -> np.ndarray:
        """Stored vectors by global id; all four kinds of a passage come in one fetch (the Retriever
        asks for each kind of the same candidates in turn)."""
        missing = sorted({int(i) for i in ids if int(i) not in self._vectors})
        if missing:
            if len(self._vectors) + len(missing) > self._CACHE_LIMIT:
                self._vectors.clear()
            wanted = np.asarray(missing, dtype=np.int64)
            owners = self.shard_set.owner(wanted)
            calls = [(int(k), "vectors", (wanted[owners == k], VECTOR_NAMES)) for k in np.unique(owners)]
            for (_k, _m, (shard_ids, _n)), got in zip(calls, self.shard_set.call(calls), strict=True):
                for j, pid in enumerate(shard_ids):
                    self._vectors[int(pid)] = {n: got[n][j] for n in VECTOR_NAMES}
        return np.stack([self._vectors[int(i)][name] for i in ids]).astype(np.float32)

    def rows(self, ids: list[int]) -> dict:
        count = self.manifest.passage_count
        wanted = np.asarray(sorted({int(i) for i in ids if 0 <= int(i) < count}), dtype=np.int64)
        if not len(wanted):
            return {}
        owners = self.shard_set.owner(wanted)
        calls = [(int(k), "passages", ([int(i) for i in wanted[owners == k]],)) for k in np.unique(owners)]
        out: dict = {}
        for rows in self.shard_set.call(calls):
            out.update(rows)
        return out


def _shard_top(index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """A shard's top k (raw inner products, local ids) and every passage tied with its k-th score: the
    merge needs them all to pick the ties one index over all passages would keep (flat_top)."""
    count = index.ntotal
    want = min(k, count)
    scores, ids = index.search(query, want)
    while want < count and len(scores[0]) and scores[0][-1] == scores[0][min(k, count) - 1]:
        want = min(count, 2 * want)
        scores, ids = index.search(query, want)
    scores, ids = scores[0], ids[0].astype(np.int64)
    keep = ids >= 0
    if len(scores) > k:
        keep &= scores >= scores[k - 1]
    return scores[keep], ids[keep]


def _drop_other_generations(ray, folder: Path, live: Path) -> None:
    """Shard actors of this index's older generations hold memory for nothing: end them."""
    keep = hashlib.sha256(str(live.resolve()).encode()).hexdigest()[:16]
    from qa.store import GENERATION_NAME

    olds = {
        hashlib.sha256(str(p.resolve()).encode()).hexdigest()[:16]
        for p in folder.glob("gen-*")
        if GENERATION_NAME.fullmatch(p.name) and p.name != live.name
    }
    if not olds:
        return
    with contextlib.suppress(Exception):
        for entry in ray.util.list_named_actors(all_namespaces=True):
            name = entry["name"] if isinstance(entry, dict) else entry
            if name.startswith("qa-shard-") and name.split("-")[2] in olds and keep not in name:
                with contextlib.suppress(Exception):
                    ray.kill(ray.get_actor(name, namespace=NAMESPACE))


def cluster_loader(address: str, timeout: float | None = None):
    """What Engine(loader=...) calls to get the index and the Retriever class: the cluster's. ``timeout``: seconds
    a shard has to answer (default: Settings.cluster_timeout of the environment, read when the index loads)."""

    def load(folder: Path):
        from qa.config import Settings
        from qa.retrieval import Retriever
        from qa.tuning import CANDIDATES_PER_RANKING

        index = ClusterIndex(address, folder, Settings.from_env().cluster_timeout if timeout is None else timeout)

        class ClusterRetriever(Retriever):
            """The Retriever, unchanged, but for one thing: its four vector searches leave together."""

            searches_ahead = False

            def _encoded(self, multi, dense, semantic):
                k = min(CANDIDATES_PER_RANKING, index.manifest.passage_count)
                index.prefetch({"dense": dense, "multilingual": multi, "semantic": semantic, "paragraphs": semantic}, k)

        return index, ClusterRetriever

    return load


def shutdown_shards(address: str, folder: Path) -> int:
    """End the detached shard actors of the index in ``folder`` (all generations); how many."""
    ray = connect(address)
    keys = {hashlib.sha256(str(p.resolve()).encode()).hexdigest()[:16] for p in Path(folder).glob("gen-*")}
    ended = 0
    for entry in ray.util.list_named_actors(all_namespaces=True):
        name = entry["name"] if isinstance(entry, dict) else entry
        if name.startswith("qa-shard-") and name.split("-")[2] in keys:
            with contextlib.suppress(Exception):
                ray.kill(ray.get_actor(name, namespace=NAMESPACE))
                ended += 1
    return ended
