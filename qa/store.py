"""The index on disk: generations of data files and an atomic pointer.

    index/
      CURRENT            name of the live generation (replaced atomically)
      gen-<stamp>/       manifest.json, dense.faiss, multilingual.faiss,
                         terms.faiss, passages.sqlite, lexical_*.npy/json
      .lock              held while a build writes

A build writes a whole new generation beside the live one, fsyncs it, then
renames CURRENT.tmp over CURRENT. A crash at any moment leaves either the old
or the new generation live, never a mix; leftovers are removed by the next
build. Only data is stored: JSON, SQLite, numpy arrays (no pickle) and FAISS.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from qa.documents import Passage
from qa.errors import IndexBusy, IndexUnavailable
from qa.lexical import LexicalIndex

FORMAT_VERSION = 1
CURRENT = "CURRENT"
LOCK = ".lock"
# Exact search is fast enough up to here (about 10 ms per question at 384
# dimensions); beyond, HNSW keeps questions fast at a small recall cost.
EXACT_SEARCH_LIMIT = 200_000
_HASHED_ARTIFACT_LIMIT = 64 * 1024 * 1024


@dataclass
class Manifest:
    model: str
    dimension: int
    splitter_version: str
    multilingual_model: str
    dense_index: str
    passage_count: int
    files: dict[str, dict]  # source -> {sha256, bytes, language, first_passage, passage_count}
    folders: list[str] = field(default_factory=list)  # what was indexed, absolute paths
    root: str = ""  # sources are named relative to this folder when inside it
    artifacts: dict[str, dict] = field(default_factory=dict)  # name -> {bytes, sha256?}
    format_version: int = FORMAT_VERSION
    created: float = field(default_factory=time.time)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, data: str) -> Manifest:
        raw = json.loads(data)
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        return cls(**known)


def dense_index_for(dimension: int, count: int) -> tuple[faiss.Index, str]:
    if count <= EXACT_SEARCH_LIMIT:
        return faiss.IndexFlatIP(dimension), "flat"
    index = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    return index, "hnsw"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class PassageTable:
    """Passages by row id in SQLite: a question reads only the rows it cites."""

    _COLUMNS = "source, start_line, end_line, start_char, end_char, text, context_start_line, context_end_line"

    def __init__(self, path: Path):
        self._path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    @staticmethod
    def write(path: Path, passages: list[Passage]) -> None:
        db = sqlite3.connect(path)
        try:
            db.execute(
                "CREATE TABLE passages (id INTEGER PRIMARY KEY, source TEXT, start_line INTEGER, end_line INTEGER,"
                " start_char INTEGER, end_char INTEGER, text TEXT, context_start_line INTEGER, context_end_line INTEGER)"
            )
            db.executemany(
                "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        i,
                        p.source,
                        p.start_line,
                        p.end_line,
                        p.start_char,
                        p.end_char,
                        p.text,
                        p.context_start_line,
                        p.context_end_line,
                    )
                    for i, p in enumerate(passages)
                ),
            )
            db.commit()
        finally:
            db.close()

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM passages").fetchone()[0])

    def get(self, ids: list[int]) -> dict[int, Passage]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(
            f"SELECT id, {self._COLUMNS} FROM passages WHERE id IN ({marks})", [int(i) for i in ids]
        )
        return {row[0]: Passage(*row[1:]) for row in rows}

    def neighbours(self, passage_id: int, before: int, after: int) -> list[tuple[int, Passage]]:
        rows = self._db.execute(
            f"SELECT id, {self._COLUMNS} FROM passages WHERE id BETWEEN ? AND ? ORDER BY id",
            (passage_id - before, passage_id + after),
        )
        return [(row[0], Passage(*row[1:])) for row in rows]

    def by_source(self, source: str) -> list[Passage]:
        rows = self._db.execute(f"SELECT {self._COLUMNS} FROM passages WHERE source = ? ORDER BY id", (source,))
        return [Passage(*row) for row in rows]

    def close(self) -> None:
        self._db.close()


@dataclass
class LoadedIndex:
    folder: Path
    manifest: Manifest
    dense: faiss.Index
    multilingual: faiss.Index
    terms: faiss.Index  # multilingual vectors of the lexical vocabulary
    term_hubness: np.ndarray  # mean similarity of each term to its nearest terms
    lexical: LexicalIndex
    passages: PassageTable


class IndexStore:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    # -- reading -----------------------------------------------------------
    def live_generation(self) -> Path | None:
        try:
            name = (self.folder / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise IndexUnavailable(f"cannot read {self.folder / CURRENT}: {exc.strerror}") from exc
        if not name.startswith("gen-") or "/" in name:
            raise IndexUnavailable(f"{self.folder / CURRENT} is damaged: rebuild with `qa index --index {self.folder}`")
        return self.folder / name

    def read_manifest(self) -> Manifest | None:
        generation = self.live_generation()
        if generation is None:
            return None
        try:
            return Manifest.from_json((generation / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError) as exc:
            raise IndexUnavailable(
                f"the index in {self.folder} is damaged (manifest unreadable): rebuild with `qa index --index {self.folder}`"
            ) from exc

    def load(self) -> LoadedIndex:
        manifest = self.read_manifest()
        if manifest is None:
            raise IndexUnavailable(f"no index in {self.folder}: build one with `qa index --index {self.folder}`")
        generation = self.live_generation()
        assert generation is not None
        self.verify(generation, manifest)
        fix = f"rebuild with `qa index --index {self.folder}`"
        try:
            dense = faiss.read_index(str(generation / "dense.faiss"))
            multilingual = faiss.read_index(str(generation / "multilingual.faiss"))
            terms = faiss.read_index(str(generation / "terms.faiss"))
            lexical = LexicalIndex.load(generation)
            term_hubness = np.load(generation / "term_hubness.npy", allow_pickle=False)
            passages = PassageTable(generation / "passages.sqlite")
        except (OSError, RuntimeError, ValueError, KeyError, sqlite3.Error) as exc:
            raise IndexUnavailable(f"the index in {self.folder} is damaged ({exc.__class__.__name__}): {fix}") from exc
        if dense.ntotal != manifest.passage_count or multilingual.ntotal != manifest.passage_count:
            raise IndexUnavailable(f"the index in {self.folder} is inconsistent (vector counts): {fix}")
        if dense.d != manifest.dimension or lexical.doc_count != manifest.passage_count:
            raise IndexUnavailable(f"the index in {self.folder} is inconsistent (dimension or passages): {fix}")
        return LoadedIndex(generation, manifest, dense, multilingual, terms, term_hubness, lexical, passages)

    def verify(self, generation: Path, manifest: Manifest) -> None:
        """Every artifact is there with the size (and, when small, the hash) the manifest recorded."""
        for name, facts in manifest.artifacts.items():
            path = generation / name
            try:
                size = path.stat().st_size
            except OSError:
                size = -1
            if size != facts.get("bytes") or ("sha256" in facts and _sha256(path) != facts["sha256"]):
                raise IndexUnavailable(
                    f"the index in {self.folder} is damaged ({name} does not match its manifest):"
                    f" rebuild with `qa index --index {self.folder}`"
                )

    # -- writing -----------------------------------------------------------
    @contextlib.contextmanager
    def locked(self, wait_seconds: float = 0.0) -> Iterator[None]:
        """Hold the build lock; two builds never write the same index at once."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.folder / LOCK, "a+")
        deadline = time.monotonic() + wait_seconds
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusy(
                            f"another `qa index` is writing {self.folder}; try again when it has finished"
                        ) from None
                    time.sleep(0.2)
            yield
        finally:
            handle.close()

    def new_generation(self) -> Path:
        name = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 1_000_000:06d}"
        path = self.folder / name
        path.mkdir(parents=True)
        return path

    def commit(self, generation: Path, manifest: Manifest) -> None:
        """Seal ``generation`` (sizes, hashes, fsync) and make it the live one atomically."""
        for path in sorted(generation.iterdir()):
            if path.name == "manifest.json":
                continue
            facts: dict = {"bytes": path.stat().st_size}
            if facts["bytes"] <= _HASHED_ARTIFACT_LIMIT:
                facts["sha256"] = _sha256(path)
            manifest.artifacts[path.name] = facts
            _fsync_file(path)
        (generation / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        _fsync_file(generation / "manifest.json")
        _fsync_dir(generation)
        pointer = self.folder / (CURRENT + ".tmp")
        pointer.write_text(generation.name + "\n", encoding="utf-8")
        _fsync_file(pointer)
        os.replace(pointer, self.folder / CURRENT)
        _fsync_dir(self.folder)

    def remove_stale(self) -> None:
        """Delete generations that are not live (old ones, or ones a crash left half-written)."""
        live = self.live_generation()
        for path in self.folder.glob("gen-*"):
            if path.is_dir() and (live is None or path.name != live.name):
                shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (self.folder / (CURRENT + ".tmp")).unlink()


def save_vectors(index: faiss.Index, vectors: np.ndarray, path: Path) -> None:
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(path))


def hubness(index: faiss.Index, vectors: np.ndarray, neighbours: int = 10) -> np.ndarray:
    """Mean similarity of each vector to its nearest others in ``index`` (CSLS's r term)."""
    if len(vectors) <= 1:
        return np.zeros(len(vectors), dtype=np.float32)
    k = min(neighbours + 1, len(vectors))
    sims, _ = index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
    return sims[:, 1:].mean(axis=1).astype(np.float32)  # column 0 is the vector itself


def vectors_of(index: faiss.Index, start: int, count: int) -> np.ndarray:
    """Stored vectors of passages start..start+count (for reuse of unchanged files)."""
    if count == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return index.reconstruct_n(start, count)
