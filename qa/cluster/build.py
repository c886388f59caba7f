"""Building a cluster index with one machine's build stages (qa.build_stages) and the cluster's executor
(qa.cluster.executor: files read and passages embedded as Ray work on every node); written as shards (each a
normal index generation, by ``write_generation`` in a Ray task) plus the corpus-wide vocabulary, committed by
``IndexStore.commit`` in one cluster generation. ``reshard``: a one-machine index cut into shards."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.cluster.connection import connect
from qa.cluster.layout import CLUSTER_FILE, CLUSTER_FORMAT, GLOBAL_ARTIFACTS, VECTOR_NAMES, read_cluster
from qa.errors import QAError, UsageError
from qa.indexing import IndexReport
from qa.store import IndexStore, Manifest, json_checksum


@dataclass
class ClusterReport(IndexReport):
    """One machine's report, and where the index went."""

    shards: int = 0
    nodes: int = 0


def build_cluster_index(
    address: str,
    folders: list[Path],
    index_dir: Path,
    model: str,
    root: Path | None = None,
    shards: int | None = None,
    max_bytes: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    wait_seconds: float = 0.0,
    interrupt: Callable[[str], None] | None = None,
    force: bool = False,
) -> ClusterReport:
    """Read, split and embed ``folders`` on the cluster, write N shards and the global files into a new
    cluster generation, and make it live atomically. A failure at any point leaves the previous one live.

    The stages are one machine's (qa.build_stages), run by the cluster's executor; what differs is the writer.
    ``shards`` defaults to two per node. ``force``: build even when nothing changed. ``interrupt(stage)``
    is for tests: called once the shards are written ("written"), before the switch.
    """
    from qa.build_stages import (
        FileLayout,
        Vocabulary,
        discover_sources,
        new_manifest,
        no_documents,
        read_sources,
        section_of,
    )
    from qa.cluster.executor import RayExecutor, coordinator_encoders
    from qa.documents import DEFAULT_MAX_FILE_BYTES
    from qa.indexing import is_unchanged, report_unchanged, write_errors
    from qa.source_files import build_bases

    if shards is not None and shards < 1:
        raise UsageError("--shards must be at least 1")
    folders = [Path(f) for f in folders]
    store = IndexStore(index_dir)
    if _live_cluster_manifest(store) is None and _has_index(store):
        raise UsageError(
            f"{index_dir} holds a one-machine index: give the cluster index a folder of its own (--index DIR)"
        )
    encoders = coordinator_encoders(model)  # their names: the model may be on the workers alone
    ray = connect(address)
    nodes = len([n for n in ray.nodes() if n.get("Alive")])
    report = ClusterReport(nodes=nodes)
    with write_errors(store), store.locked(wait_seconds):
        live = _live_cluster_manifest(store)
        max_bytes = max_bytes or (int(live.max_file_bytes) if live and live.max_file_bytes else DEFAULT_MAX_FILE_BYTES)
        bases = build_bases(folders, live, root)  # as on one machine: docs/notes.txt for a folder docs
        if (
            not force
            and live is not None
            and is_unchanged(live, store, folders, encoders, bases, max_bytes, [], GLOBAL_ARTIFACTS)
        ):
            report_unchanged(live, report)
            report.shards = len(read_cluster(store.live_generation()))
            return report
        _remove_stale(store)
        executor = RayExecutor(ray, model, nodes, shards or 2 * max(1, nodes), encoders.dense.batch_size)
        try:
            found = discover_sources(folders, bases, max_bytes, report)
            files = read_sources(found, max_bytes, report, executor, progress)
            if not files:
                raise no_documents(folders, report)
            layout = FileLayout(files, None, report)  # a cluster build reuses no vectors: every file is fresh
            vocabulary = Vocabulary(layout.passages, layout.languages, None)
            vectors = executor.embed(layout.fresh_files, progress)
            manifest = new_manifest(encoders, layout, folders, bases, max_bytes, [], report)
            manifest.dimension = int(vectors.dense.shape[1])
            term_vectors = vocabulary.term_vectors(executor.vocabulary_encoder, progress)
        finally:
            executor.stop()  # the encoders' CPUs go to the shard writers
        spans = [_span(layout.file_facts, [f.source for f in layout.files[a:b]]) for a, b in vectors.plan]

        def write_shards(generation: Path, term_vectors: np.ndarray, term_hubness: np.ndarray) -> list[dict]:
            from qa.cluster.executor import ray_get

            terms_ref, hubness_ref = ray.put(term_vectors), ray.put(term_hubness)
            task = ray.remote(num_cpus=1, max_retries=3)(write_shard)
            refs = [
                task.remote(
                    str(generation / shard_name(k)),
                    shard_manifest(manifest, first, count).to_json(),
                    layout.passages[first : first + count],
                    slice_postings(vocabulary.lexical, first, first + count),
                    terms_ref,
                    hubness_ref,
                    vectors.dense[first : first + count],
                    *vectors.of_shard(k),
                )
                for k, (first, count) in enumerate(spans)
            ]
            written = []
            for done, ref in enumerate(refs, 1):
                written.append(ray_get(ray, ref, "writing the shards"))
                if progress:
                    progress("writing the shards", done, len(refs))
            return written

        write_cluster_generation(
            store,
            manifest,
            vocabulary.lexical,
            section_of(layout.passages),
            term_vectors,
            spans,
            write_shards,
            interrupt,
        )
        _remove_stale(store)
    report.passage_count = len(layout.passages)
    report.shards = len(spans)
    return report


def _span(file_facts: dict[str, dict], sources: list[str]) -> tuple[int, int]:
    """(first passage, passage count) of consecutive files."""
    first = int(file_facts[sources[0]]["first_passage"])
    return first, sum(int(file_facts[s]["passage_count"]) for s in sources)


def shard_name(k: int) -> str:
    return f"shard-{k:03d}"


def shard_manifest(manifest: Manifest, first: int, count: int) -> Manifest:
    """The manifest of the shard of passages [first, first + count): its files, their ids made local."""
    shard = Manifest(**{**manifest.__dict__})
    shard.files = {
        s: {**f, "first_passage": int(f["first_passage"]) - first}
        for s, f in manifest.files.items()
        if first <= int(f["first_passage"]) < first + count
    }
    shard.passage_count = count
    shard.skipped, shard.artifacts = {}, {}
    return shard


def write_shard(
    folder: str,
    manifest_json: str,
    passages: list,
    postings: tuple,
    term_vectors: np.ndarray,
    term_hubness: np.ndarray,
    dense: np.ndarray,
    *batches: list[np.ndarray],
) -> dict:
    """One shard as a normal index generation (``write_generation``), made live atomically in its folder (a Ray
    task). ``batches``: the other three kinds of vectors, a list each, in order."""
    from qa.build_stages import write_generation
    from qa.lexical import LexicalIndex

    store = IndexStore(Path(folder))
    manifest = Manifest.from_json(manifest_json)
    lexical_index = LexicalIndex(*postings, len(passages))
    vectors = [dense] + [np.concatenate([b[n] for b in batches]) for n in range(len(VECTOR_NAMES) - 1)]
    with store.locked(0):
        store.remove_stale()  # what an attempt that died (a node killed) left
        generation = write_generation(
            store, manifest, passages, vectors, lexical_index, term_vectors, term_hubness=term_hubness
        )
    return {"generation": generation.name, "dense_index": manifest.dense_index}


def slice_postings(lex, first: int, stop: int) -> tuple:
    """The postings of passages [first, stop) with their global weights, doc ids made local."""
    term_of = np.repeat(np.arange(len(lex.terms), dtype=np.int64), np.diff(lex.indptr))
    doc_ids = np.asarray(lex.doc_ids, dtype=np.int64)  # saved as narrow as uint16: ``- first`` must not overflow
    keep = (doc_ids >= first) & (doc_ids < stop)
    indptr = np.zeros(len(lex.terms) + 1, dtype=np.int64)
    np.cumsum(np.bincount(term_of[keep], minlength=len(lex.terms)), out=indptr[1:])
    return (
        lex.terms,
        lex.surfaces,
        indptr,
        (doc_ids[keep] - first).astype(np.int32),
        np.asarray(lex.weights)[keep].astype(np.float32),
    )


def write_cluster_generation(
    store: IndexStore,
    manifest: Manifest,
    lexical_index,
    section: np.ndarray,
    term_vectors: np.ndarray,
    spans: list[tuple[int, int]],
    write_shards: Callable[[Path, np.ndarray, np.ndarray], list[dict]],
    interrupt: Callable[[str], None] | None = None,
    terms=None,
    term_hubness: np.ndarray | None = None,
) -> None:
    """A new cluster generation: the vocabulary and its corpus-wide statistics, the shards
    (``write_shards(generation, term_vectors, term_hubness)``: each shard's generation and dense index, in the
    order of ``spans``), cluster.json, then ``IndexStore.commit``: sealed and made live atomically. ``terms``,
    ``term_hubness``: the vocabulary's index and hubness when they exist already (``reshard``)."""
    from qa.lexical import save_vocabulary
    from qa.vector_files import hubness, save_term_vectors

    generation = store.new_generation()
    try:
        if terms is None:
            terms = save_term_vectors(generation, term_vectors)
        else:
            import faiss

            faiss.write_index(terms, str(generation / "terms.faiss"))
        if term_hubness is None:
            term_hubness = hubness(terms, term_vectors)
        written = write_shards(generation, term_vectors, term_hubness)
        if interrupt:
            interrupt("written")
        manifest.dense_index = f"sharded:{written[0]['dense_index']}"
        np.save(generation / "term_hubness.npy", term_hubness, allow_pickle=False)
        np.save(generation / "section_of.npy", section, allow_pickle=False)
        save_vocabulary(generation, lexical_index.terms, lexical_index.surfaces, manifest.passage_count)
        np.save(generation / "lexical_df.npy", np.diff(lexical_index.indptr).astype(np.int64), allow_pickle=False)
        shard_list = [
            {"name": shard_name(k), "first": first, "count": count, "generation": w["generation"]}
            for k, ((first, count), w) in enumerate(zip(spans, written, strict=True))
        ]
        data = {"format": CLUSTER_FORMAT, "shards": shard_list}
        data["checksum"] = json_checksum(data)
        (generation / CLUSTER_FILE).write_text(json.dumps(data, indent=1), encoding="utf-8")
        store.commit(generation, manifest)
    except BaseException:
        # Failed or interrupted before the switch: the half-written generation goes, the live one stays.
        if not store.is_live(generation):
            shutil.rmtree(generation, ignore_errors=True)
        raise


def _remove_stale(store: IndexStore) -> None:
    try:
        store.remove_stale()
    except OSError:
        pass  # left for the next build


def _has_index(store: IndexStore) -> bool:
    try:
        return store.live_generation() is not None
    except QAError:
        return False  # a damaged pointer: the build replaces it


def _live_cluster_manifest(store: IndexStore) -> Manifest | None:
    try:
        generation = store.live_generation()
        if generation is None or not (generation / CLUSTER_FILE).exists():
            return None
        return Manifest.from_json((generation / "manifest.json").read_text(encoding="utf-8"))
    except (QAError, OSError, ValueError):
        return None


def reshard(single: Path, index_dir: Path, shards: int) -> int:
    """Write the one-machine index in ``single`` as a cluster index in ``index_dir`` with ``shards`` shards
    (vectors, postings and passages copied, nothing embedded again); its passage count.

    Used by bench/cluster.py for a corpus too large to embed here; the shards are cut at file boundaries
    when the manifest names files, else evenly.
    """
    from qa.cluster.executor import shard_plan
    from qa.vector_files import vectors_of

    loaded = IndexStore(single).load()
    store = IndexStore(index_dir)
    try:
        manifest, lex, n = loaded.manifest, loaded.lexical, loaded.manifest.passage_count
        files = sorted((int(f["first_passage"]), int(f["passage_count"])) for f in manifest.files.values())
        if files:
            plan = shard_plan([c for _, c in files], shards)
            cuts = [(files[a][0], files[b - 1][0] + files[b - 1][1]) for a, b in plan]
        else:
            edges = np.linspace(0, n, min(shards, n) + 1).astype(int)
            cuts = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]
        spans = [(first, stop - first) for first, stop in cuts]
        term_vectors = vectors_of(loaded.terms, 0, loaded.terms.ntotal)

        def write_shards(generation: Path, term_vectors: np.ndarray, term_hubness: np.ndarray) -> list[dict]:
            written = []
            for k, (first, count) in enumerate(spans):
                rows = loaded.passages.get(list(range(first, first + count)))
                vectors = [vectors_of(getattr(loaded, name), first, count) for name in VECTOR_NAMES]
                written.append(
                    write_shard(
                        str(generation / shard_name(k)),
                        shard_manifest(manifest, first, count).to_json(),
                        [rows[i] for i in range(first, first + count)],
                        slice_postings(lex, first, first + count),
                        term_vectors,
                        term_hubness,
                        vectors[0],
                        vectors[1:],
                    )
                )
            return written

        new = Manifest(**{**manifest.__dict__})
        new.artifacts = {}
        with store.locked(0):
            _remove_stale(store)
            write_cluster_generation(
                store,
                new,
                lex,
                np.asarray(loaded.section_of),
                term_vectors,
                spans,
                write_shards,
                terms=loaded.terms,
                term_hubness=np.asarray(loaded.term_hubness),
            )
            _remove_stale(store)
    finally:
        loaded.passages.close()
    return n
