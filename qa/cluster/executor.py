"""The cluster's executor of the build stages (qa.build_stages): the files read by ``read_source`` in Ray tasks,
the passages encoded by the build's encoders on Ray actors (one a node), the vectors left in Ray's object store
for the shard writers (``EmbeddedShards``)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa import tuning
from qa.cluster.connection import ClusterUnavailable
from qa.cluster.layout import EMBED_BATCH, SHARD_RESTARTS
from qa.errors import IndexWriteFailed, QAError
from qa.passage_encoding import Encoders


def cluster_encoders(model: str) -> Encoders:
    """The encoders of a cluster build's worker (nothing loads before a text is encoded). One machine's are
    those of qa index."""
    from qa.models import Models

    models = Models()  # a worker makes the default models: fakes do not travel to Ray's processes
    return Encoders(models.passage_embedder(model), models.multilingual_encoder(), models.semantic_encoder())


@dataclass(frozen=True)
class DenseName:
    """The coordinator's stand-in for the workers' dense embedder: the name an index records and the batches it
    encodes in. Nothing is looked up on the coordinator: the model may be installed on the workers alone."""

    name: str
    batch_size: int


def coordinator_encoders(model: str) -> Encoders:
    """What the coordinator knows of the workers' encoders: their names, for the manifest and the check that
    nothing changed, and the dense model's batch size, for the batches it plans."""
    from qa.embedding import canonical_name
    from qa.models import Models

    models = Models()
    return Encoders(
        DenseName(canonical_name(model), tuning.PASSAGE_BATCH), models.multilingual_encoder(), models.semantic_encoder()
    )


def _read_many(items: list[tuple[str, str]], max_bytes: int) -> list:
    """A Ray task: ``read_source`` of each (absolute path, source)."""
    from qa.build_stages import read_source

    return [read_source(Path(path), source, max_bytes) for path, source in items]


class _EmbedWorker:
    """The build's encoders, loaded once per worker (a Ray actor, one per node)."""

    def __init__(self, model: str):
        os.environ["HF_HUB_OFFLINE"] = "1"
        self.encoders = cluster_encoders(model)

    def context(self, passages: list) -> list[np.ndarray]:
        """The multilingual, retrieval and paragraph vectors of whole files (the dense ones: ``dense``)."""
        from qa.passage_encoding import context_vectors

        return context_vectors(passages, self.encoders, None)

    def dense(self, batches: list[list[str]]) -> list[np.ndarray]:
        """Dense vectors of the very batches one machine encodes (SentenceTransformerEmbedder.encode)."""
        return list(self.encoders.dense.encode_batches(batches))

    def words(self, surfaces: list[str]) -> np.ndarray:
        return self.encoders.multilingual.encode(surfaces)

    def word_dimension(self) -> int:
        return self.encoders.multilingual.dimension


def shard_plan(counts: list[int], shards: int) -> list[tuple[int, int]]:
    """Contiguous runs of whole files, (first file, end file), about the same passage count each."""
    shards = max(1, min(shards, len(counts)))
    total = sum(counts)
    plan, begin, seen = [], 0, 0
    for i, c in enumerate(counts):
        seen += c
        left_files, left_shards = len(counts) - i - 1, shards - len(plan) - 1
        if left_shards and (seen >= total * (len(plan) + 1) / shards or left_files == left_shards):
            plan.append((begin, i + 1))
            begin = i + 1
    plan.append((begin, len(counts)))
    return [p for p in plan if p[0] < p[1]]


@dataclass
class EmbeddedShards:
    """The passages' vectors as the shard writers take them: the dense ones here, the others in Ray's object
    store, a reference for each batch of whole files (no batch across two shards)."""

    plan: list[tuple[int, int]]  # each shard's files: (first file, end file)
    batches: list[tuple[int, int]]  # each batch's files
    refs: list  # each batch's [multilingual, semantic, paragraph] vectors
    dense: np.ndarray

    def of_shard(self, k: int) -> list:
        """The batch references of shard ``k``, in order."""
        a, b = self.plan[k]
        return [ref for ref, (x, y) in zip(self.refs, self.batches, strict=True) if a <= x and y <= b]


class RayExecutor:
    """qa.build_stages.Executor on a Ray cluster: one encoder actor a node, ``shards`` shards; ``batch_size``: the
    dense model's, whose batches the coordinator plans (coordinator_encoders)."""

    def __init__(self, ray, model: str, nodes: int, shards: int, batch_size: int):
        self.ray = ray
        self.nodes = max(1, nodes)
        self.shards = shards
        self.model = model
        self.batch_size = batch_size
        self._workers: list = []

    @property
    def workers(self) -> list:
        """The encoder actors, started once the files are read (each holds a CPU the reading tasks need)."""
        if not self._workers:
            actor = self.ray.remote(num_cpus=1, max_restarts=SHARD_RESTARTS, max_task_retries=SHARD_RESTARTS)(
                _EmbedWorker
            )
            self._workers = [actor.options(scheduling_strategy="SPREAD").remote(self.model) for _ in range(self.nodes)]
        return self._workers

    def read(self, found: list[tuple[Path, str]], max_bytes: int, progress) -> list:
        read_task = self.ray.remote(num_cpus=1, max_retries=3)(_read_many)
        items = [(str(path.absolute()), source) for path, source in found]
        per_task = max(1, len(items) // (4 * self.nodes))
        refs = [read_task.remote(items[i : i + per_task], max_bytes) for i in range(0, len(items), per_task)]
        results = []
        for done, ref in enumerate(refs, 1):
            results.extend(ray_get(self.ray, ref, "reading files"))
            if progress:
                progress("reading files", done, len(refs))
        return results

    def embed(self, files: list, progress) -> EmbeddedShards:
        """Work items of whole files, spread over the workers; the dense vectors in one machine's batches."""
        from qa.documents import semantic_text
        from qa.embedding import length_batches
        from qa.passage_encoding import distinct_texts

        counts = [len(f.passages) for f in files]
        plan = shard_plan(counts, self.shards)
        batches: list[tuple[int, int]] = []
        for a, b in plan:
            begin, size = a, 0
            for i in range(a, b):
                size += counts[i]
                if size >= EMBED_BATCH or i + 1 == b:
                    batches.append((begin, i + 1))
                    begin, size = i + 1, 0
        workers = self.workers
        refs = [
            workers[k % len(workers)].context.remote([p for f in files[a:b] for p in f.passages])
            for k, (a, b) in enumerate(batches)
        ]
        # Dense vectors: each distinct text once, in the length-sorted batches of one machine (encode_once,
        # SentenceTransformerEmbedder.encode), the batches spread over the workers.
        texts, rows = distinct_texts([semantic_text(p) for f in files for p in f.passages])
        runs = length_batches(texts, self.batch_size)
        per_item = max(1, len(runs) // (4 * len(workers)))
        items = [runs[i : i + per_item] for i in range(0, len(runs), per_item)]
        dense_refs = [
            workers[k % len(workers)].dense.remote([[texts[i] for i in run] for run in item])
            for k, item in enumerate(items)
        ]
        total = sum(counts)
        for done in range(1, len(refs) + 1):
            ready, _ = self.ray.wait(refs, num_returns=done, timeout=None, fetch_local=False)
            if progress:
                shown = sum(counts[i] for r in ready for i in range(*batches[refs.index(r)]))
                progress("embedding passages", shown, total)
        distinct = None
        for item, vectors in zip(items, ray_get(self.ray, dense_refs, "embedding passages"), strict=True):
            for run, block in zip(item, vectors, strict=True):
                if distinct is None:
                    distinct = np.zeros((len(texts), block.shape[1]), dtype=np.float32)
                distinct[run] = block
        return EmbeddedShards(plan, batches, refs, distinct[rows])

    @property
    def vocabulary_encoder(self) -> _WordsOnWorkers:
        return _WordsOnWorkers(self)

    def stop(self) -> None:
        """End the encoder actors: their CPUs go to the shard writers (the vectors stay in the object store)."""
        for worker in self._workers:
            with contextlib.suppress(Exception):
                self.ray.kill(worker)
        self._workers = []


class _WordsOnWorkers:
    """The multilingual encoder as the vocabulary stage uses it (``encode``, ``dimension``), its words shared
    out among the workers."""

    def __init__(self, executor: RayExecutor):
        self._ray, self._workers = executor.ray, executor.workers

    def encode(self, surfaces: list[str], progress=None) -> np.ndarray:
        step = max(1, -(-len(surfaces) // len(self._workers)))
        parts = [w.words.remote(surfaces[k * step : (k + 1) * step]) for k, w in enumerate(self._workers)]
        vectors = np.concatenate(ray_get(self._ray, parts, "vocabulary vectors"))
        if progress:
            progress(len(surfaces), len(surfaces))
        return vectors

    @property
    def dimension(self) -> int:
        return ray_get(self._ray, self._workers[0].word_dimension.remote(), "vocabulary vectors")


def ray_get(ray, refs, stage: str, timeout: float | None = None):
    """``ray.get``, a worker's failure said in one line: its QAError as it is, an OSError as a failed write,
    anything else as the cluster's failure; the previous index stays live."""
    try:
        return ray.get(refs, timeout=timeout)
    except QAError:
        raise
    except Exception as exc:  # a Ray task error wraps the worker's exception
        cause = getattr(exc, "cause", None)
        if isinstance(cause, QAError):
            raise cause from None
        if isinstance(cause, OSError):
            raise IndexWriteFailed(f"{stage} failed on the cluster: {cause}; the previous index stays live") from None
        what = cause if cause is not None else exc
        reason = str(what).strip().splitlines()[0] if str(what).strip() else what.__class__.__name__
        raise ClusterUnavailable(
            f"{stage} failed on the cluster ({what.__class__.__name__}: {reason[:200]}); the previous index stays live"
        ) from None
