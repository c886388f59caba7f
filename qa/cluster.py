"""Index and answer on a Ray cluster, with the answers of one machine.

Optional (``pip install -e '.[cluster]'``); nothing here is imported unless ``--cluster`` (or
``QA_CLUSTER``) is given, so single-machine users never import Ray.

On disk, on storage every node reads (a shared folder):

    INDEX/
      CURRENT              the live cluster generation (replaced atomically, as in qa.store)
      .lock                held while a build writes
      gen-<stamp>/
        manifest.json      the global manifest (qa.store.Manifest: every file, passage ids global)
        cluster.json       the shards: folder, first global passage id, passage count, generation
        terms.faiss, term_hubness.npy, lexical_terms.json, lexical_df.npy, section_of.npy
                           the vocabulary and its corpus-wide statistics, held by the coordinator
        shard-000/ ...     each a normal index folder (qa.store.IndexStore: CURRENT, gen-*)

Files are split into shards whole and in the single-machine order, so shard k holds the global
passage ids [first_k, first_k + count_k): a passage's neighbours and section stay in its shard,
and ids, ties and citations are those of a one-machine index. BM25 weights are computed from
document frequencies and lengths over the whole corpus (one lexical build, sliced per shard), so
scores do not depend on the sharding.

Answering: one Ray actor per shard holds its FAISS vectors, postings and passage table. The
coordinator (the process running ``qa ask``) holds the vocabulary. ``ClusterIndex`` has the
attributes of ``qa.store.LoadedIndex``: each vector search fans out, every shard returns its own
top k with raw scores, and the merge keeps the global top k; the lexical match is the union of the
shards' matches. The unchanged ``Retriever`` and ``Answerer`` then run on it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.errors import IndexUnavailable, IndexWriteFailed, QAError, UsageError
from qa.store import _checksum, _sha256  # the one-machine index's hashes, for the cluster's files too
from qa.vector_files import flat_top

VECTOR_NAMES = ("dense", "multilingual", "semantic", "paragraphs")
CLUSTER_FILE = "cluster.json"
CLUSTER_FORMAT = 1
# Restarts of a shard actor (it reloads its shard from the shared storage) and retries of a call
# that a dying actor or node lost; beyond them the shard is reported unavailable.
SHARD_RESTARTS = 4
# Passages per embedding work item: whole files, about this many passages (a file is never split,
# so that its paragraphs are encoded as on one machine).
EMBED_BATCH = 512
_GLOBAL_ARTIFACTS = ("terms.faiss", "term_hubness.npy", "lexical_terms.json", "lexical_df.npy", "section_of.npy")
_NAMESPACE = "qa"


class ClusterUnavailable(QAError):
    """Ray missing, the cluster unreachable, or a shard that cannot answer."""

    exit_code = 9


def _ray():
    try:
        import ray
    except ImportError:
        raise ClusterUnavailable("--cluster needs Ray: run `.venv/bin/pip install -e '.[cluster]'`") from None
    return ray


def connect(address: str):
    """Join the cluster at ``address`` (host:port of its head, or ``auto``) as a driver; the ray module."""
    # Otherwise ray.init may swap a loopback address for another address of this machine.
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray = _ray()
    if ray.is_initialized():
        return ray
    _probe(address)
    import logging

    try:
        ray.init(
            address=address,
            namespace=_NAMESPACE,
            log_to_driver=False,
            logging_level=logging.ERROR,
            configure_logging=False,
        )
    except (ConnectionError, RuntimeError, ValueError, OSError, TimeoutError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise ClusterUnavailable(f"cannot reach the Ray cluster at {address}: {reason[:200]}") from None
    return ray


def _probe(address: str) -> None:
    """A head that does not listen is said in one line at once (ray.init would retry for minutes)."""
    import socket

    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or "://" in address:
        return  # "auto", a ray:// client address: left to ray.init
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise ClusterUnavailable(
            f"cannot reach the Ray cluster at {address} ({exc.strerror or exc.__class__.__name__}):"
            " start it (`ray start --head`) or pass the address of its head to --cluster / QA_CLUSTER"
        ) from None


# -- layout ----------------------------------------------------------------------------------


@dataclass
class ShardInfo:
    name: str  # its folder in the cluster generation
    first: int  # its first global passage id
    count: int
    generation: str  # the shard's own live generation, as committed


def read_cluster(generation: Path) -> list[ShardInfo]:
    try:
        raw = json.loads((generation / CLUSTER_FILE).read_text(encoding="utf-8"))
        checksum = raw.pop("checksum")
        if checksum != _checksum(raw) or raw.get("format") != CLUSTER_FORMAT:
            raise ValueError("checksum")
        shards = [ShardInfo(s["name"], int(s["first"]), int(s["count"]), s["generation"]) for s in raw["shards"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexUnavailable(
            f"the cluster index in {generation.parent} is damaged ({CLUSTER_FILE} unreadable):"
            f" rebuild with `qa index --cluster ADDRESS --index {generation.parent}`"
        ) from exc
    return shards


def is_cluster_index(folder: Path) -> bool:
    from qa.store import IndexStore

    try:
        generation = IndexStore(folder).live_generation()
        return generation is not None and (generation / CLUSTER_FILE).exists()
    except (QAError, OSError):
        return False  # whatever is wrong with the folder, the one-machine code says it


# -- building --------------------------------------------------------------------------------


@dataclass
class ClusterReport:
    indexed: list[tuple[str, int]]
    skipped: list  # SkippedFile
    passage_count: int = 0
    embedded_count: int = 0
    shards: int = 0
    nodes: int = 0
    unchanged: bool = False
    reused: tuple = ()
    removed: tuple = ()


def _read_one(path: str, source: str, max_bytes: int):
    """One file read, extracted and split (a Ray task runs a list of these): what _read_sources does."""
    from qa.documents import UndecodableFile, content_hash, document_passages, extract, read_file_as_of
    from qa.source_files import read_as_of
    from qa.text import detect_language

    try:
        data, status = read_file_as_of(Path(path), max_bytes)
        extracted = extract(Path(path), data)
    except (UndecodableFile, UnicodeDecodeError) as exc:
        return ("skipped", source, str(exc) or "cannot decode")
    except OSError as exc:
        return ("skipped", source, f"cannot read: {exc.strerror or exc}")
    text = extracted.text
    passages = document_passages(extracted, source)
    if not passages:
        return ("skipped", source, "empty: no text to index" if not text.strip() else "no words")
    facts = {"sha256": content_hash(data), "bytes": len(data), **read_as_of(status)}
    return ("read", source, passages, detect_language(text), extracted.format, facts)


def _read_many(items: list[tuple[str, str]], max_bytes: int) -> list:
    return [_read_one(path, source, max_bytes) for path, source in items]


class _EmbedWorker:
    """The three passage encoders, loaded once per worker (a Ray actor, one per node)."""

    def __init__(self, model: str):
        os.environ["HF_HUB_OFFLINE"] = "1"
        from qa.crosslingual import MultilingualEncoder
        from qa.embedding import SentenceTransformerEmbedder
        from qa.passage_encoding import Encoders
        from qa.semantic import SemanticEncoder

        self.encoders = Encoders(SentenceTransformerEmbedder(model), MultilingualEncoder(), SemanticEncoder())

    def node(self) -> str:
        import ray

        return ray.get_runtime_context().get_node_id()

    def embed(self, passages: list) -> list[np.ndarray]:
        """The multilingual, retrieval and paragraph vectors of whole files (the dense ones: ``dense``)."""
        from qa.passage_encoding import Encoders, embed_passages

        no_dense = Encoders(_NoDense(), self.encoders.multilingual, self.encoders.semantic)
        return embed_passages(passages, no_dense, None)[1:]

    def dense(self, batches: list[list[str]]) -> list[np.ndarray]:
        """Dense vectors of the very batches one machine encodes (SentenceTransformerEmbedder.encode:
        length-sorted runs of its batch size). A text padded in another batch gets vectors that differ
        in the seventh decimal, enough to move a near tie."""
        embedder = self.encoders.dense
        model = embedder._load()
        return [
            model.encode(
                batch,
                batch_size=embedder._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32)
            for batch in batches
        ]

    def batch_size(self) -> int:
        return self.encoders.dense._batch_size

    def words(self, surfaces: list[str]) -> np.ndarray:
        return self.encoders.multilingual.encode(surfaces)


class _NoDense:
    """Stands in for the dense encoder where the dense vectors are made apart (_EmbedWorker.dense)."""

    name = "none"

    def encode(self, texts, progress=None) -> np.ndarray:
        return np.zeros((len(texts), 1), dtype=np.float32)


def _write_shard(
    folder: str,
    manifest_json: str,
    passages: list,
    lexical_arrays: tuple,
    term_vectors: np.ndarray,
    term_hubness: np.ndarray,
    *vector_batches: list[np.ndarray],
) -> dict:
    """Write one shard as a normal index generation (qa.store), made live atomically in its folder."""
    from qa.indexing import section_of
    from qa.lexical import LexicalIndex
    from qa.passage_table import PassageTable
    from qa.store import IndexStore, Manifest
    from qa.vector_files import save_passage_vectors, save_term_vectors

    store = IndexStore(Path(folder))
    manifest = Manifest.from_json(manifest_json)
    terms, surfaces, indptr, doc_ids, weights = lexical_arrays
    lex = LexicalIndex(terms, surfaces, indptr, doc_ids, weights, len(passages))
    # The first batch holds the dense vectors of the whole shard, the others the other three kinds.
    stacked = [vector_batches[0][0]] + [np.concatenate([b[n] for b in vector_batches[1:]]) for n in range(3)]
    with store.locked(0):
        store.remove_stale()  # what an attempt that died (a node killed) left
        generation = store.new_generation()
        manifest.dense_index = save_passage_vectors(
            generation, {f"{name}.faiss": vectors for name, vectors in zip(VECTOR_NAMES, stacked, strict=True)}
        )
        save_term_vectors(generation, term_vectors)
        np.save(generation / "term_hubness.npy", term_hubness, allow_pickle=False)
        np.save(generation / "section_of.npy", section_of(passages), allow_pickle=False)
        lex.save(generation)
        PassageTable.write(generation / "passages.sqlite", passages)
        manifest.dimension = int(stacked[0].shape[1])
        store.commit(generation, manifest)
    return {"generation": generation.name, "dense_index": manifest.dense_index, "dimension": manifest.dimension}


def _shard_plan(counts: list[int], shards: int) -> list[tuple[int, int]]:
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


def _slice_postings(lex, first: int, stop: int) -> tuple:
    """The postings of passages [first, stop) with their global weights, doc ids made local."""
    term_of = np.repeat(np.arange(len(lex.terms), dtype=np.int64), np.diff(lex.indptr))
    doc_ids = np.asarray(lex.doc_ids)
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

    ``shards`` defaults to two per node. ``force``: build even when nothing changed. ``interrupt(stage)``
    is for tests: called between stages.
    """
    from qa.documents import DEFAULT_MAX_FILE_BYTES, SPLITTER_VERSION, SkippedFile, discover, semantic_text
    from qa.embedding import canonical_name
    from qa.indexing import is_stale, write_errors
    from qa.source_files import build_bases, display_path, recorded_bases, stat_facts
    from qa.store import IndexStore, Manifest

    store = IndexStore(index_dir)
    if _live_cluster_manifest(store) is None and _has_index(store):
        raise UsageError(
            f"{index_dir} holds a one-machine index: give the cluster index a folder of its own (--index DIR)"
        )
    ray = connect(address)
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    shards = shards or 2 * max(1, len(nodes))
    report = ClusterReport(indexed=[], skipped=[], shards=0, nodes=len(nodes))
    with write_errors(store), store.locked(wait_seconds):
        live = _live_cluster_manifest(store)
        max_bytes = max_bytes or (int(live.max_file_bytes) if live and live.max_file_bytes else DEFAULT_MAX_FILE_BYTES)
        if (
            not force
            and live is not None
            and live.folders == [str(f.absolute()) for f in folders]
            and int(live.max_file_bytes or 0) == max_bytes
            and is_stale(live, folders, model) is None
        ):
            report.indexed = [(s, int(f["passage_count"])) for s, f in live.files.items()]
            report.passage_count, report.unchanged = live.passage_count, True
            report.shards = len(read_cluster(store.live_generation()))
            return report
        _remove_stale(store)

        # Discovery in the coordinator, in the single-machine order (ids, ties and citations follow it).
        found: list[tuple[str, str]] = []
        seen: set[str] = set()
        bases = build_bases(folders, live, root)  # as on one machine: docs/notes.txt for a folder docs
        for folder, base in zip(folders, bases, strict=True):
            if not folder.exists() and not folder.is_symlink():
                from qa.errors import DocumentsUnavailable

                raise DocumentsUnavailable(f"{folder} is not a folder or a file")
            paths, skipped = discover(folder, max_bytes)
            report.skipped.extend(SkippedFile(display_path(Path(s.path), base), s.reason) for s in skipped)
            for path in paths:
                source = display_path(path, base)
                if source not in seen:
                    seen.add(source)
                    found.append((str(path.absolute()), source))
        read_task = ray.remote(num_cpus=1, max_retries=3)(_read_many)
        per_task = max(1, len(found) // (4 * max(1, len(nodes))) or 1)
        groups = [found[i : i + per_task] for i in range(0, len(found), per_task)]
        refs = [read_task.remote(g, max_bytes) for g in groups]
        results = []
        for done, ref in enumerate(refs, 1):
            results.extend(_get(ray, ref, "reading files"))
            if progress:
                progress("reading files", done, len(refs))
        files = []
        for item in results:
            if item[0] == "skipped":
                report.skipped.append(SkippedFile(item[1], item[2]))
            else:
                files.append(item)
        report.skipped.sort(key=lambda s: s.path)
        if not files:
            from qa.errors import DocumentsUnavailable

            error = DocumentsUnavailable("no readable document in " + ", ".join(str(f) for f in folders))
            error.report = report  # type: ignore[attr-defined]
            raise error
        if interrupt:
            interrupt("read")

        passages, file_facts, languages = [], {}, {}
        for _, source, file_passages, language, fmt, facts in files:
            file_facts[source] = {
                **facts,
                "language": language,
                "format": fmt,
                "first_passage": len(passages),
                "passage_count": len(file_passages),
            }
            languages[source] = language
            passages.extend(file_passages)
            report.indexed.append((source, len(file_passages)))

        # Embedding: work items of whole files, spread over one encoder actor per node.
        workers = _embed_workers(ray, model, len(nodes))
        plan = _shard_plan([len(f[2]) for f in files], shards)
        batches: list[tuple[int, int]] = []  # (first file, end file), never across two shards
        for a, b in plan:
            begin, size = a, 0
            for i in range(a, b):
                size += len(files[i][2])
                if size >= EMBED_BATCH or i + 1 == b:
                    batches.append((begin, i + 1))
                    begin, size = i + 1, 0
        vector_refs = [
            workers[k % len(workers)].embed.remote([p for f in files[a:b] for p in f[2]])
            for k, (a, b) in enumerate(batches)
        ]
        # Dense vectors: one machine's batches exactly (see _EmbedWorker.dense), spread over the workers.
        texts = [semantic_text(p) for p in passages]
        size = ray.get(workers[0].batch_size.remote())
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        runs = [order[i : i + size] for i in range(0, len(order), size)]
        per_item = max(1, len(runs) // (4 * len(workers)))
        items = [runs[i : i + per_item] for i in range(0, len(runs), per_item)]
        dense_refs = [
            workers[k % len(workers)].dense.remote([[texts[i] for i in run] for run in item])
            for k, item in enumerate(items)
        ]
        for done in range(1, len(vector_refs) + 1):
            ready, _ = ray.wait(vector_refs, num_returns=done, timeout=None, fetch_local=False)
            if progress:
                progress(
                    "embedding passages",
                    sum(_batch_size(files, batches[vector_refs.index(r)]) for r in ready),
                    len(passages),
                )
        dense = None
        for item, vectors in zip(items, _get(ray, dense_refs, "embedding passages"), strict=True):
            for run, block in zip(item, vectors, strict=True):
                if dense is None:
                    dense = np.zeros((len(texts), block.shape[1]), dtype=np.float32)
                dense[run] = block
        report.embedded_count = len(passages)
        if interrupt:
            interrupt("embedded")

        # Corpus-wide statistics: one lexical build over every passage (document frequencies and the
        # average length), its postings then sliced per shard with their global weights.
        from qa import lexical
        from qa.vector_files import hubness, save_term_vectors

        lex = lexical.build([(p.clean, languages[p.source]) for p in passages])
        if progress:
            progress("vocabulary vectors", 0, len(lex.surfaces))
        surfaces = list(dict.fromkeys(lex.surfaces))
        step = max(1, -(-len(surfaces) // len(workers)))
        parts = [workers[k].words.remote(surfaces[k * step : (k + 1) * step]) for k in range(len(workers))]
        known = dict(zip(surfaces, np.concatenate(_get(ray, parts, "vocabulary vectors")), strict=True))
        # The encoders' CPUs go to the shard writers (their vectors are in the object store by now).
        for w in workers:
            with contextlib.suppress(Exception):
                ray.kill(w)
        term_vectors = np.stack([known[s] for s in lex.surfaces]).astype(np.float32)
        term_hubness = np.zeros(0, dtype=np.float32)
        generation = store.new_generation()
        try:
            terms_index = save_term_vectors(generation, term_vectors)
            term_hubness = hubness(terms_index, term_vectors)
            if progress:
                progress("vocabulary vectors", len(lex.surfaces), len(lex.surfaces))
            manifest = Manifest(
                model=canonical_name(model),
                dimension=0,
                splitter_version=SPLITTER_VERSION,
                multilingual_model=_names()[0],
                semantic_model=_names()[1],
                dense_index="",
                passage_count=len(passages),
                files=file_facts,
                folders=[str(Path(f).absolute()) for f in folders],
                root=recorded_bases(folders, bases)[1],
                bases=recorded_bases(folders, bases)[0],
                max_file_bytes=max_bytes,
            )
            manifest.skipped = {s.path: {"reason": s.reason, **stat_facts(manifest, s.path)} for s in report.skipped}
            terms_ref, hub_ref = ray.put(term_vectors), ray.put(term_hubness)
            write_task = ray.remote(num_cpus=1, max_retries=3)(_write_shard)
            writes, infos = [], []
            for k, (a, b) in enumerate(plan):
                first = file_facts[files[a][1]]["first_passage"]
                count = sum(len(f[2]) for f in files[a:b])
                shard_manifest = Manifest(**{**manifest.__dict__})
                shard_manifest.files = {
                    f[1]: {**file_facts[f[1]], "first_passage": file_facts[f[1]]["first_passage"] - first}
                    for f in files[a:b]
                }
                shard_manifest.passage_count = count
                shard_manifest.skipped, shard_manifest.artifacts = {}, {}
                mine = [r for r, (x, y) in zip(vector_refs, batches, strict=True) if a <= x and y <= b]
                name = f"shard-{k:03d}"
                writes.append(
                    write_task.remote(
                        str(generation / name),
                        shard_manifest.to_json(),
                        passages[first : first + count],
                        _slice_postings(lex, first, first + count),
                        terms_ref,
                        hub_ref,
                        [dense[first : first + count]],
                        *mine,
                    )
                )
                infos.append((name, first, count))
            written = []
            for done, ref in enumerate(writes, 1):
                written.append(_get(ray, ref, "writing the shards"))
                if progress:
                    progress("writing the shards", done, len(writes))
            if interrupt:
                interrupt("written")
            manifest.dimension = written[0]["dimension"]
            manifest.dense_index = f"sharded:{written[0]['dense_index']}"
            _write_global(generation, manifest, lex, term_hubness, passages)
            shard_list = [
                {"name": n, "first": first, "count": count, "generation": w["generation"]}
                for (n, first, count), w in zip(infos, written, strict=True)
            ]
            _commit(store, generation, manifest, shard_list)
        except BaseException:
            # Failed or interrupted before the switch: the half-written generation goes, the live one stays.
            if not store.is_live(generation):
                shutil.rmtree(generation, ignore_errors=True)
            raise
        finally:
            for w in workers:
                with contextlib.suppress(Exception):
                    ray.kill(w)
        _remove_stale(store)
    report.passage_count = len(passages)
    report.shards = len(plan)
    return report


def _batch_size(files, batch: tuple[int, int]) -> int:
    return sum(len(f[2]) for f in files[batch[0] : batch[1]])


def _names() -> tuple[str, str]:
    from qa.crosslingual import MultilingualEncoder
    from qa.semantic import SemanticEncoder

    return MultilingualEncoder.name, SemanticEncoder.name


def _embed_workers(ray, model: str, nodes: int) -> list:
    actor = ray.remote(num_cpus=1, max_restarts=SHARD_RESTARTS, max_task_retries=SHARD_RESTARTS)(_EmbedWorker)
    return [actor.options(scheduling_strategy="SPREAD").remote(model) for _ in range(max(1, nodes))]


def _get(ray, refs, stage: str, timeout: float | None = None):
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


def _write_global(generation: Path, manifest, lex, term_hubness: np.ndarray, passages: list) -> None:
    from qa.indexing import section_of

    np.save(generation / "term_hubness.npy", term_hubness, allow_pickle=False)
    np.save(generation / "section_of.npy", section_of(passages), allow_pickle=False)
    (generation / "lexical_terms.json").write_text(
        json.dumps({"terms": lex.terms, "surfaces": lex.surfaces, "doc_count": lex.doc_count}, ensure_ascii=False),
        encoding="utf-8",
    )
    np.save(generation / "lexical_df.npy", np.diff(lex.indptr).astype(np.int64), allow_pickle=False)


def _commit(store, generation: Path, manifest, shard_list: list[dict]) -> None:
    """Seal the cluster generation (hashes of the global files, fsync) and switch CURRENT to it atomically."""
    from qa.store import CURRENT, _fsync_dir, _fsync_file

    for name in _GLOBAL_ARTIFACTS:
        path = generation / name
        manifest.artifacts[name] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
        _fsync_file(path)
    data = {"format": CLUSTER_FORMAT, "shards": shard_list}
    data["checksum"] = _checksum(data)
    (generation / CLUSTER_FILE).write_text(json.dumps(data, indent=1), encoding="utf-8")
    (generation / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    for name in (CLUSTER_FILE, "manifest.json"):
        _fsync_file(generation / name)
    _fsync_dir(generation)
    _fsync_dir(store.folder)
    pointer = store.folder / (CURRENT + ".tmp")
    pointer.write_text(generation.name + "\n", encoding="utf-8")
    _fsync_file(pointer)
    os.replace(pointer, store.folder / CURRENT)  # the switch: atomic, as for one machine
    _fsync_dir(store.folder)


def _remove_stale(store) -> None:
    with contextlib.suppress(OSError):
        store.remove_stale()


def _has_index(store) -> bool:
    try:
        return store.live_generation() is not None
    except QAError:
        return False  # a damaged pointer: the build replaces it


def _live_cluster_manifest(store):
    from qa.store import Manifest

    try:
        generation = store.live_generation()
        if generation is None or not (generation / CLUSTER_FILE).exists():
            return None
        return Manifest.from_json((generation / "manifest.json").read_text(encoding="utf-8"))
    except (QAError, OSError, ValueError):
        return None


# -- answering -------------------------------------------------------------------------------


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
                namespace=_NAMESPACE,
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

        from qa.lexical import LexicalIndex
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
            for name in _GLOBAL_ARTIFACTS:
                facts = self.manifest.artifacts.get(name, {})
                if (generation / name).stat().st_size != facts.get("bytes") or _sha256(generation / name) != facts.get(
                    "sha256"
                ):
                    raise ValueError(name)
            self.terms = faiss.read_index(str(generation / "terms.faiss"))
            self.term_hubness = np.load(generation / "term_hubness.npy", allow_pickle=False)
            self.section_of = np.load(generation / "section_of.npy", allow_pickle=False)
            meta = json.loads((generation / "lexical_terms.json").read_text(encoding="utf-8"))
            df = np.load(generation / "lexical_df.npy", allow_pickle=False)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise IndexUnavailable(
                f"the cluster index in {folder} is damaged ({exc.__class__.__name__}): rebuild it with"
                f" `qa index --cluster {address} --index {folder}`"
            ) from exc
        indptr = np.zeros(len(df) + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        empty = np.zeros(0, dtype=np.int32)
        base = LexicalIndex(meta["terms"], meta["surfaces"], indptr, empty, empty.astype(np.float32), meta["doc_count"])
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
    from qa.store import _GENERATION

    olds = {
        hashlib.sha256(str(p.resolve()).encode()).hexdigest()[:16]
        for p in folder.glob("gen-*")
        if _GENERATION.fullmatch(p.name) and p.name != live.name
    }
    if not olds:
        return
    with contextlib.suppress(Exception):
        for entry in ray.util.list_named_actors(all_namespaces=True):
            name = entry["name"] if isinstance(entry, dict) else entry
            if name.startswith("qa-shard-") and name.split("-")[2] in olds and keep not in name:
                with contextlib.suppress(Exception):
                    ray.kill(ray.get_actor(name, namespace=_NAMESPACE))


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
                ray.kill(ray.get_actor(name, namespace=_NAMESPACE))
                ended += 1
    return ended


def index_command(address, folders, index_dir, model, max_bytes, args, progress, print_report) -> int:
    """``qa index ... --cluster ADDRESS``: the build, then the same report as on one machine."""
    shards = getattr(args, "shards", None)
    if shards is not None and shards < 1:
        raise UsageError("--shards must be at least 1")
    from qa.documents import DEFAULT_MAX_FILE_BYTES  # noqa: F401  (fails early when qa is broken)

    started = time.monotonic()
    try:
        report = build_cluster_index(
            address,
            [Path(f) for f in folders],
            Path(index_dir),
            model,
            shards=shards,
            max_bytes=max_bytes,
            progress=progress,
            wait_seconds=args.wait,
        )
    except QAError as exc:
        if getattr(exc, "report", None) is not None:
            print_report(exc.report)
        raise
    print_report(report)
    print(
        f"{len(report.indexed)} files, {report.passage_count} passages ({report.embedded_count} embedded),"
        f" {len(report.skipped)} skipped, in {time.monotonic() - started:.1f} s -> {index_dir}"
        f" ({report.shards} shards on {report.nodes} nodes)" + (" (nothing changed)" if report.unchanged else "")
    )
    return 0


def reshard(single: Path, index_dir: Path, shards: int) -> int:
    """Write the one-machine index in ``single`` as a cluster index in ``index_dir`` with ``shards`` shards
    (vectors, postings and passages copied, nothing embedded again); its passage count.

    Used by bench/cluster.py for a corpus too large to embed here; the shards are cut at file boundaries
    when the manifest names files, else evenly.
    """
    from qa.store import IndexStore, Manifest
    from qa.vector_files import vectors_of

    loaded = IndexStore(single).load()
    store = IndexStore(index_dir)
    try:
        manifest, lex, n = loaded.manifest, loaded.lexical, loaded.manifest.passage_count
        spans = sorted((int(f["first_passage"]), int(f["passage_count"]), s) for s, f in manifest.files.items())
        if spans:
            plan = _shard_plan([c for _, c, _ in spans], shards)
            cuts = [(spans[a][0], spans[b - 1][0] + spans[b - 1][1]) for a, b in plan]
        else:
            edges = np.linspace(0, n, min(shards, n) + 1).astype(int)
            cuts = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]
        term_vectors = vectors_of(loaded.terms, 0, loaded.terms.ntotal)
        with store.locked(0):
            _remove_stale(store)
            generation = store.new_generation()
            try:
                infos = []
                for k, (first, stop) in enumerate(cuts):
                    rows = loaded.passages.get(list(range(first, stop)))
                    passages = [rows[i] for i in range(first, stop)]
                    shard_manifest = Manifest(**{**manifest.__dict__})
                    shard_manifest.files = {
                        s: {**f, "first_passage": int(f["first_passage"]) - first}
                        for s, f in manifest.files.items()
                        if first <= int(f["first_passage"]) < stop
                    }
                    shard_manifest.passage_count = stop - first
                    shard_manifest.skipped, shard_manifest.artifacts = {}, {}
                    vectors = [vectors_of(getattr(loaded, name), first, stop - first) for name in VECTOR_NAMES]
                    written = _write_shard(
                        str(generation / f"shard-{k:03d}"),
                        shard_manifest.to_json(),
                        passages,
                        _slice_postings(lex, first, stop),
                        term_vectors,
                        np.asarray(loaded.term_hubness),
                        vectors[:1],
                        vectors[1:],
                    )
                    infos.append({"name": f"shard-{k:03d}", "first": first, "count": stop - first, **written})
                new = Manifest(**{**manifest.__dict__})
                new.artifacts = {}
                new.dense_index = f"sharded:{infos[0]['dense_index']}"
                np.save(generation / "term_hubness.npy", np.asarray(loaded.term_hubness), allow_pickle=False)
                np.save(generation / "section_of.npy", np.asarray(loaded.section_of), allow_pickle=False)
                (generation / "lexical_terms.json").write_text(
                    json.dumps({"terms": lex.terms, "surfaces": lex.surfaces, "doc_count": n}, ensure_ascii=False),
                    encoding="utf-8",
                )
                np.save(generation / "lexical_df.npy", np.diff(lex.indptr).astype(np.int64), allow_pickle=False)
                import faiss

                faiss.write_index(loaded.terms, str(generation / "terms.faiss"))
                shard_list = [
                    {"name": i["name"], "first": i["first"], "count": i["count"], "generation": i["generation"]}
                    for i in infos
                ]
                _commit(store, generation, new, shard_list)
            except BaseException:
                if not store.is_live(generation):
                    shutil.rmtree(generation, ignore_errors=True)
                raise
            _remove_stale(store)
    finally:
        loaded.passages.close()
    return n
