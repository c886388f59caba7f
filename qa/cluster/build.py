"""Building a cluster index: files read and passages embedded as Ray work on every node, the index written as
shards (each a normal index generation) plus the corpus-wide vocabulary, committed in one cluster generation;
``index_command`` (qa index --cluster) and ``reshard`` (a one-machine index cut into shards)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.cluster.connection import ClusterUnavailable, connect
from qa.cluster.layout import (
    CLUSTER_FILE,
    CLUSTER_FORMAT,
    EMBED_BATCH,
    GLOBAL_ARTIFACTS,
    SHARD_RESTARTS,
    VECTOR_NAMES,
    read_cluster,
)
from qa.errors import IndexWriteFailed, QAError, UsageError
from qa.store import file_sha256, json_checksum  # the one-machine index's hashes, for the cluster's files too


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
    from qa.store import CURRENT, fsync_dir, fsync_file

    for name in GLOBAL_ARTIFACTS:
        path = generation / name
        manifest.artifacts[name] = {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
        fsync_file(path)
    data = {"format": CLUSTER_FORMAT, "shards": shard_list}
    data["checksum"] = json_checksum(data)
    (generation / CLUSTER_FILE).write_text(json.dumps(data, indent=1), encoding="utf-8")
    (generation / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    for name in (CLUSTER_FILE, "manifest.json"):
        fsync_file(generation / name)
    fsync_dir(generation)
    fsync_dir(store.folder)
    pointer = store.folder / (CURRENT + ".tmp")
    pointer.write_text(generation.name + "\n", encoding="utf-8")
    fsync_file(pointer)
    os.replace(pointer, store.folder / CURRENT)  # the switch: atomic, as for one machine
    fsync_dir(store.folder)


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
