"""The index on disk: generations of data files and an atomic pointer.

    index/
      CURRENT            name of the live generation (replaced atomically)
      gen-<stamp>/       manifest.json, dense.faiss, multilingual.faiss,
                         semantic.faiss, paragraphs.faiss (+ paragraph_rows.npy),
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
import re
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
from qa.tuning import PASSAGES_KEPT

# 4: passages carry a locator (PDF page, HTML anchor, DOCX paragraph); 5: the manifest carries its own checksum
FORMAT_VERSION = 5
_CHECKSUMMED_SINCE = 5
CURRENT = "CURRENT"
LOCK = ".lock"
# Exact search reads every vector: about 3 ms per 10,000 passages here for
# the two passage indexes together (memory bound), and a question searches
# three indexes (passages, multilingual passages, and the vocabulary with one
# vector per question word). Beyond this size, an inverted file (IVF) with
# 8-bit scalar quantisation:
# training takes a minute at a million vectors instead of the half hour HNSW
# takes to build on two cores, it needs a quarter of the memory of float32
# vectors (a million passages fit in 3 GB with their multilingual vectors),
# and probing 1/64 of the lists keeps recall@10 above 0.95 (bench/scale.py).
EXACT_SEARCH_LIMIT = 10_000
IVF_MAX_LISTS = 1024
IVF_PROBED_SHARE = 64
# How each vector file stores its vectors (FAISS scalar quantiser codes; exact search over the decoded
# vectors below EXACT_SEARCH_LIMIT): per file, the smallest that changes no answer. Measured 2026-12-07 by
# storing the float32 vectors of the evaluation indexes again (no encoding) and asking every question of
# python-tutorial (42/45), debian-reference-fr (40/50), lilypond-fr (22/45) and pdf-manuals (20/45); an
# answer "changes" when its text, its abstention or one of its citations does (bench/README.md, "Index size"):
# - dense, multilingual, terms: 8 bits a dimension over each dimension's trained range ("SQ8": a quarter of
#   float32, cosine to the float32 vector >= 0.99997). Alone in any of these files it changed no answer but
#   one citation of pdf-manuals (multilingual: an unanswerable question answered either way, with the same
#   text, cites another line of the same page). terms.faiss, the largest file (a vector a word of the
#   vocabulary), changed nothing at 8 bits, one citation at 16 (a word's translation flipping at its
#   threshold). One range for every dimension ("SQ8_uniform") changed an answer in three files of five;
#   4 bits, one or two answers of a set, confidences moved by up to 0.39.
# - paragraphs: 16 bits ("SQfp16", cosine 1.000000). At 8 bits an abstention of pdf-manuals became an answer
#   (confidence 0.05 -> 0.46): the paragraph ranking chooses candidates, and one vector speaks for every
#   passage of its paragraph. Stored once they are few (paragraph_rows.npy): 434 for python-tutorial's
#   1,733 passages.
# - semantic: 16 bits. Alone at 8 bits it changed nothing, but its vectors are also the paragraph vectors of
#   the passages alone in their paragraph (542 of 1,733): so stored, one debian-reference-fr answer moved
#   to its near tie (confidence 0.383 against 0.385); at 16 bits none.
# python-tutorial's index as `qa index` builds it: 23.3 bytes a character of text, 75 in float32 (18.3 -> 5.7 MB).
VECTOR_CODES = {
    "dense.faiss": "SQ8",
    "multilingual.faiss": "SQ8",
    "semantic.faiss": "SQfp16",
    "paragraphs.faiss": "SQfp16",
    "terms.faiss": "SQ8",
}
# Which passage rows of paragraphs.faiss are their own (a row there) and which are the passage's vector in
# semantic.faiss (-1): a passage alone in its paragraph has its own vector as its paragraph's.
PARAGRAPH_ROWS = "paragraph_rows.npy"
_HASHED_ARTIFACT_LIMIT = 64 * 1024 * 1024
# Larger artifacts are checked by size and by the hash of a sample of blocks
# (hashing gigabytes would cost seconds per question).
_SAMPLE_BLOCK = 1 << 20
_SAMPLE_BLOCKS = 8
_GENERATION = re.compile(r"gen-\d{14}-\d+-\d{6}")


def rebuild_advice(folder: Path | str, folders_known: bool = True) -> str:
    """How to fix an index that cannot be read: the end of every such message.

    ``folders_known``: its manifest says what it was built from. When it cannot (no manifest, or one
    unreadable), the rebuild must be told the folders again, and the advice says so.
    """
    if not folders_known:
        return f"rebuild with `qa index --index {folder} FOLDER...` (FOLDER: what it was built from)"
    return f"rebuild with `qa index --index {folder}`"


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
    root: str = ""  # sources are named relative to this folder when inside it (an index of the old naming)
    # Each folder of ``folders`` -> the folder its files are named relative to (its parent: "docs/notes.txt"
    # for a folder docs). An index written before this field names every file relative to ``root``.
    bases: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, dict] = field(default_factory=dict)  # name -> {bytes, sha256 or sample_sha256}
    skipped: dict[str, dict] = field(default_factory=dict)  # source -> {reason, bytes, mtime_ns}
    max_file_bytes: int = 0  # the size limit the files were read with
    semantic_model: str = ""  # the retrieval model of semantic.faiss and paragraphs.faiss
    excluded: list[str] = field(default_factory=list)  # sources dropped by `qa remove`, left out of refreshes
    format_version: int = FORMAT_VERSION
    created: float = field(default_factory=time.time)
    checksum: str = ""  # sha256 of every other field (_checksum): a manifest edited or damaged is not trusted

    def to_json(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if k != "checksum"}
        data["checksum"] = self.checksum = _checksum(data)
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, data: str) -> Manifest:
        raw = json.loads(data)
        if not isinstance(raw, dict):
            raise ValueError("manifest is not an object")
        checksum = raw.pop("checksum", None)
        if checksum is None:
            version = raw.get("format_version", 0)
            if not isinstance(version, int) or version >= _CHECKSUMMED_SINCE:
                raise ValueError("manifest has no checksum")
        elif checksum != _checksum(raw):
            raise ValueError("manifest does not match its checksum")
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        manifest = cls(**known)
        types = {"model": str, "dimension": int, "passage_count": int, "files": dict, "artifacts": dict}
        for name, kind in types.items():
            if not isinstance(getattr(manifest, name), kind):
                raise ValueError(f"manifest field {name} is not a {kind.__name__}")
        if not isinstance(manifest.bases, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in manifest.bases.items()
        ):
            raise ValueError("manifest bases are malformed")
        if not all(isinstance(f, dict) for f in manifest.artifacts.values()):
            raise ValueError("manifest artifacts are malformed")
        manifest.checksum = checksum or ""
        _check_spans(manifest)
        return manifest

    def base_of(self, folder: Path | str) -> Path:
        """The folder the files found in ``folder`` (one of ``folders``) are named relative to."""
        return Path(self.bases.get(str(Path(folder).absolute())) or self.root or ".")

    def path_of(self, source: str) -> Path:
        """The file a source (as citations name it) is: found from the folders indexed, never the working
        directory (but for an index written without a root, whose names were relative to it)."""
        if os.path.isabs(source):
            return Path(source)
        for folder, base in self.bases.items():
            path, top = Path(os.path.normpath(Path(base) / source)), Path(os.path.normpath(folder))
            if path == top or top in path.parents:
                return path
        return Path(self.root or ".") / source

    def spans(self) -> dict[str, tuple[int, int]]:
        """Each file's (first passage, passage count), as recorded."""
        return {s: (int(f["first_passage"]), int(f["passage_count"])) for s, f in self.files.items()}


def _checksum(fields: dict) -> str:
    canonical = json.dumps(fields, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _check_spans(manifest: Manifest) -> None:
    """The files' passages follow one another, without a gap or an overlap, up to the passage count."""
    try:
        spans = sorted(manifest.spans().values())
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError("manifest files are malformed") from exc
    expected = 0
    for first, count in spans:
        if first != expected or count < 1:
            raise ValueError("manifest passage offsets do not follow one another")
        expected += count
    if spans and expected != manifest.passage_count:  # (a synthetic index, bench/scale.py, names no file)
        raise ValueError("manifest passage counts do not add up")


def dense_index_for(dimension: int, count: int, codes: str = "SQ8") -> tuple[faiss.Index, str]:
    """An empty inner-product index for ``count`` vectors stored as ``codes`` (VECTOR_CODES), and its kind
    for the manifest.

    An index of 8-bit codes must be trained (``index.is_trained`` is False) before
    vectors are added (save_vectors does it); an IVF index's probe count and its
    id-to-vector map (``reconstruct``) are saved with it.
    """
    if count <= EXACT_SEARCH_LIMIT:
        return faiss.index_factory(dimension, codes, faiss.METRIC_INNER_PRODUCT), codes.lower()
    lists = int(min(IVF_MAX_LISTS, max(64, 2 * np.sqrt(count))))
    index = faiss.index_factory(dimension, f"IVF{lists},{codes}", faiss.METRIC_INNER_PRODUCT)
    index.nprobe = max(8, lists // IVF_PROBED_SHARE)
    index.set_direct_map_type(faiss.DirectMap.Array)
    return index, f"ivf{lists}-{codes.lower()}-nprobe{index.nprobe}"


def vector_index_for(name: str, dimension: int, count: int) -> tuple[faiss.Index, str]:
    """The empty index the vector file ``name`` (a key of VECTOR_CODES) is written with, and its kind."""
    return dense_index_for(dimension, count, VECTOR_CODES[name])


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


def _sample_sha256(path: Path) -> str:
    """Hash of evenly spaced blocks, first and last included: catches truncation and swaps."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as handle:
        for i in range(_SAMPLE_BLOCKS):
            handle.seek(max(0, size - _SAMPLE_BLOCK) * i // (_SAMPLE_BLOCKS - 1))
            digest.update(handle.read(_SAMPLE_BLOCK))
    return digest.hexdigest()


class PassageTable:
    """Passages by row id in SQLite: a question reads only the rows it cites."""

    _FIELDS = (
        "source",
        "start_line",
        "end_line",
        "start_char",
        "end_char",
        "text",
        "context_start_line",
        "context_end_line",
        "kind",
        "section",
        "clean",
        "context",
        "page",
        "anchor",
        "paragraph",
        "line_base",
        "char_base",
    )
    _TYPES = {"source": "TEXT", "text": "TEXT", "kind": "TEXT", "section": "TEXT", "clean": "TEXT"}
    _TYPES |= {"context": "TEXT", "anchor": "TEXT"}

    def __init__(self, path: Path):
        self._path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._kept: dict[int, Passage] = {}  # passages already read (they never change in a generation)
        # A table written before the locators (format 3) is read without them until it is rebuilt.
        present = {row[1] for row in self._db.execute("PRAGMA table_info(passages)")}
        self._COLUMNS = ", ".join(name for name in self._FIELDS if name in present)

    @staticmethod
    def write(path: Path, passages: list[Passage]) -> None:
        fields = PassageTable._FIELDS
        db = sqlite3.connect(path)
        try:
            columns = ", ".join(f"{name} {PassageTable._TYPES.get(name, 'INTEGER')}" for name in fields)
            db.execute(f"CREATE TABLE passages (id INTEGER PRIMARY KEY, {columns})")
            db.executemany(
                f"INSERT INTO passages VALUES (?, {', '.join('?' * len(fields))})",
                ((i, *(getattr(p, name) for name in fields)) for i, p in enumerate(passages)),
            )
            db.commit()
        finally:
            db.close()

    def rows(self) -> int:
        """Row count when ids are 0..n-1 (checked cheaply on the primary key), else -1."""
        low, high = self._db.execute("SELECT MIN(id), MAX(id) FROM passages").fetchone()
        if low is None:
            return 0
        return int(high) + 1 if low == 0 else -1

    def spans(self) -> dict[str, tuple[int, int]]:
        """Each source's (first row, row count), when its rows follow one another; else (-1, count)."""
        rows = self._db.execute("SELECT source, MIN(id), MAX(id), COUNT(*) FROM passages GROUP BY source")
        return {source: (low if high - low + 1 == count else -1, count) for source, low, high, count in rows}

    def get(self, ids: list[int]) -> dict[int, Passage]:
        """The passages of these ids; those read for an earlier question come from memory
        (a question's candidates are mostly the last one's: reading them was a tenth of a warm answer)."""
        found: dict[int, Passage] = {}
        missing = []
        for i in ids:
            passage = self._kept.get(int(i))
            if passage is None:
                missing.append(int(i))
            else:
                found[int(i)] = passage
        if missing:
            marks = ",".join("?" * len(missing))
            rows = self._db.execute(f"SELECT id, {self._COLUMNS} FROM passages WHERE id IN ({marks})", missing)
            read = {row[0]: Passage(*row[1:]) for row in rows}
            if len(self._kept) + len(read) > PASSAGES_KEPT:
                self._kept.clear()
            self._kept.update(read)
            found.update(read)
        return {i: found[i] for i in sorted(found)}  # in id order, as SQLite gives them

    def neighbours(self, passage_id: int, before: int, after: int) -> list[tuple[int, Passage]]:
        rows = self._db.execute(
            f"SELECT id, {self._COLUMNS} FROM passages WHERE id BETWEEN ? AND ? ORDER BY id",
            (passage_id - before, passage_id + after),
        )
        return [(row[0], Passage(*row[1:])) for row in rows]

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
    semantic: faiss.Index  # the retrieval model's vectors of each passage in its context
    # the retrieval model's vector of each passage's whole paragraph: ParagraphVectors, or (an index written
    # before PARAGRAPH_ROWS) a FAISS index with a row per passage
    paragraphs: faiss.Index
    section_of: np.ndarray  # for each passage, the id of the heading it stands under (itself for a heading), or -1


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
        if not _GENERATION.fullmatch(name):
            raise IndexUnavailable(f"{self.folder / CURRENT} is damaged: {rebuild_advice(self.folder, False)}")
        return self.folder / name

    def read_manifest(self) -> Manifest | None:
        generation = self.live_generation()
        if generation is None:
            return None
        return self._read_manifest_of(generation)

    def is_live(self, generation: Path) -> bool:
        try:
            live = self.live_generation()
        except IndexUnavailable:
            return False
        return live is not None and live.name == generation.name

    def load(self) -> LoadedIndex:
        """The live generation, verified against its manifest.

        Raises IndexUnavailable with one line saying how to fix it; a build
        that switches generations meanwhile is followed, not reported.
        """
        self.clean_leftovers()
        for _attempt in range(3):
            generation = self.live_generation()
            try:
                return self._load(generation)
            except IndexUnavailable:
                if generation is not None and self.live_generation() != generation:
                    continue  # a build switched generations while we read: read the new one
                raise
        return self._load(self.live_generation())

    def _load(self, generation: Path | None) -> LoadedIndex:
        fix = rebuild_advice(self.folder)
        if generation is None:
            raise IndexUnavailable(f"no index in {self.folder}: build one with `qa index FOLDER --index {self.folder}`")
        manifest = self._read_manifest_of(generation)
        self.verify(generation, manifest)
        try:
            dense = faiss.read_index(str(generation / "dense.faiss"))
            multilingual = faiss.read_index(str(generation / "multilingual.faiss"))
            terms = faiss.read_index(str(generation / "terms.faiss"))
            semantic = faiss.read_index(str(generation / "semantic.faiss"))
            paragraphs = faiss.read_index(str(generation / "paragraphs.faiss"))
            if (generation / PARAGRAPH_ROWS).exists() or PARAGRAPH_ROWS in manifest.artifacts:
                rows = np.load(generation / PARAGRAPH_ROWS, allow_pickle=False)
                if (
                    rows.shape != (manifest.passage_count,)
                    or rows.dtype.kind != "i"
                    or (len(rows) and (rows.max() >= paragraphs.ntotal or rows.min() < -1))
                    or paragraphs.d != semantic.d
                ):
                    raise ValueError("paragraph rows do not match the paragraph vectors")
                paragraphs = ParagraphVectors(paragraphs, semantic, rows)
            section_of = np.load(generation / "section_of.npy", allow_pickle=False)
            lexical = LexicalIndex.load(generation)
            term_hubness = np.load(generation / "term_hubness.npy", allow_pickle=False)
            passages = PassageTable(generation / "passages.sqlite")
            passage_rows = passages.rows()
        except (OSError, RuntimeError, ValueError, KeyError, TypeError, sqlite3.Error) as exc:
            raise IndexUnavailable(f"the index in {self.folder} is damaged ({exc.__class__.__name__}): {fix}") from exc
        count = manifest.passage_count
        if (
            dense.ntotal != count
            or multilingual.ntotal != count
            or passage_rows != count
            or semantic.ntotal != count
            or paragraphs.ntotal != count
            or section_of.shape != (count,)
            or (count and (section_of.max() >= count or section_of.min() < -1))
        ):
            raise IndexUnavailable(f"the index in {self.folder} is inconsistent (passage counts): {fix}")
        if lexical.doc_count != count or terms.ntotal != len(lexical.terms) or len(term_hubness) != terms.ntotal:
            raise IndexUnavailable(f"the index in {self.folder} is inconsistent (vocabulary): {fix}")
        if dense.d != manifest.dimension or multilingual.d != terms.d or not _known_dimension(manifest, multilingual.d):
            raise IndexUnavailable(f"the index in {self.folder} is inconsistent (vector dimensions): {fix}")
        if semantic.d != paragraphs.d:
            raise IndexUnavailable(f"the index in {self.folder} is inconsistent (vector dimensions): {fix}")
        return LoadedIndex(
            generation,
            manifest,
            dense,
            multilingual,
            terms,
            term_hubness,
            lexical,
            passages,
            semantic,
            paragraphs,
            section_of,
        )

    def _read_manifest_of(self, generation: Path) -> Manifest:
        try:
            return Manifest.from_json((generation / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError) as exc:
            raise IndexUnavailable(
                f"the index in {self.folder} is damaged (manifest unreadable): {rebuild_advice(self.folder, False)}"
            ) from exc

    def verify(self, generation: Path, manifest: Manifest) -> None:
        """Every artifact is there with the size and hash the manifest recorded, and nothing is missing."""
        expected = set(_REQUIRED_ARTIFACTS)
        for name, facts in manifest.artifacts.items():
            expected.discard(name)
            path = generation / name
            try:
                if "/" in name or name.startswith("."):
                    raise OSError("not an artifact name")
                size = path.stat().st_size
                ok = size == facts.get("bytes")
                if ok and "sha256" in facts:
                    ok = _sha256(path) == facts["sha256"]
                elif ok and "sample_sha256" in facts:
                    ok = _sample_sha256(path) == facts["sample_sha256"]
                elif ok:
                    ok = False  # a manifest must record a hash of every artifact
            except OSError:
                ok = False
            if not ok:
                raise IndexUnavailable(
                    f"the index in {self.folder} is damaged ({name} does not match its manifest):"
                    f" {rebuild_advice(self.folder)}"
                )
        if expected:
            raise IndexUnavailable(
                f"the index in {self.folder} is damaged ({sorted(expected)[0]} is not in its manifest):"
                f" {rebuild_advice(self.folder)}"
            )

    # -- writing -----------------------------------------------------------
    @contextlib.contextmanager
    def locked(self, wait_seconds: float = 0.0) -> Iterator[None]:
        """Hold the build lock; two builds never write the same index at once."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.folder / LOCK, "a+")  # OSError (read-only, not a folder) is the caller's to report
        deadline = time.monotonic() + wait_seconds
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusy(
                            f"another `qa index` is writing {self.folder}: try again when it has finished,"
                            " or pass --wait SECONDS to wait for it"
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
            else:
                facts["sample_sha256"] = _sample_sha256(path)
            manifest.artifacts[path.name] = facts
            _fsync_file(path)
        (generation / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        _fsync_file(generation / "manifest.json")
        _fsync_dir(generation)
        _fsync_dir(self.folder)  # the generation's own entry, before the pointer names it
        pointer = self.folder / (CURRENT + ".tmp")
        try:
            pointer.write_text(generation.name + "\n", encoding="utf-8")
            _fsync_file(pointer)
            os.replace(pointer, self.folder / CURRENT)  # the switch: atomic
        except BaseException:
            with contextlib.suppress(OSError):
                pointer.unlink()
            raise
        _fsync_dir(self.folder)

    def remove_stale(self) -> None:
        """Delete generations that are not live (old ones, or ones a crash left half-written).

        Call with the lock held. Only folders named like our generations are touched.
        """
        stale = self._stale_generations()
        if stale is None:
            return  # a damaged pointer: keep everything until a build replaces it
        for path in stale:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (self.folder / (CURRENT + ".tmp")).unlink()

    def leftovers(self) -> list[Path]:
        """What a crashed or interrupted build left behind."""
        found = self._stale_generations()
        if found is None:
            return []
        tmp = self.folder / (CURRENT + ".tmp")
        return sorted(found + ([tmp] if tmp.exists() else []))

    def _stale_generations(self) -> list[Path] | None:
        """Entries named like our generations that are not the live one; None when CURRENT is damaged."""
        try:
            live = self.live_generation()
        except IndexUnavailable:
            return None
        return [
            p
            for p in self.folder.glob("gen-*")
            if _GENERATION.fullmatch(p.name) and (live is None or p.name != live.name)
        ]

    def clean_leftovers(self) -> None:
        """Remove leftovers when no build is running (never waits, never fails)."""
        if not self.folder.is_dir() or not self.leftovers():
            return
        try:
            handle = open(self.folder / LOCK, "a+")
        except OSError:
            return  # read-only index: leave it as it is
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return  # a build is running (maybe in this process): it cleans up itself
        try:
            self.remove_stale()
        finally:
            handle.close()


_REQUIRED_ARTIFACTS = (
    "dense.faiss",
    "multilingual.faiss",
    "terms.faiss",
    "semantic.faiss",
    "paragraphs.faiss",
    "section_of.npy",
    "term_hubness.npy",
    "passages.sqlite",
    "lexical_terms.json",
    "lexical_indptr.npy",
    "lexical_docs.npy",
    "lexical_weights.npy",
)


def check_spans(loaded: LoadedIndex) -> None:
    """The manifest's files stand where the passage table has them: checked before reusing any stored vector.

    Raises IndexUnavailable when they do not (the vectors at the recorded offsets would belong to other files).
    """
    try:
        table = loaded.passages.spans()
    except sqlite3.Error as exc:
        raise IndexUnavailable(f"the index in {loaded.folder.parent} is damaged (passage table): {exc}") from exc
    if table != loaded.manifest.spans():
        raise IndexUnavailable(
            f"the index in {loaded.folder.parent} is inconsistent (its manifest and its passages disagree):"
            f" {rebuild_advice(loaded.folder.parent)}"
        )


def _known_dimension(manifest: Manifest, dimension: int) -> bool:
    """The multilingual vectors have the dimension of the encoder that will read them."""
    from qa.crosslingual import MULTILINGUAL_MODEL, MultilingualEncoder

    return manifest.multilingual_model != MULTILINGUAL_MODEL or dimension == MultilingualEncoder.dimension


def save_vectors(index: faiss.Index, vectors: np.ndarray, path: Path, like: faiss.Index | None = None) -> None:
    """Write ``vectors`` into ``index`` at ``path``, training it first when its codes need it.

    ``like``: the same file of the index the vectors were partly read back from (a refresh). Its 8-bit
    ranges are kept when they still hold every vector: a vector read back is then stored with the very
    codes it had. Ranges trained again on vectors read back would shift by half a step, and move every
    vector by that much at each refresh.
    """
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(data):
        if not index.is_trained and not _kept_ranges(index, like, data):
            index.train(data)  # an IVF index (dense_index_for) samples what it needs
        index.add(data)
    faiss.write_index(index, str(path))


def _kept_ranges(index: faiss.Index, like: faiss.Index | None, vectors: np.ndarray) -> bool:
    """Give the exact-search 8-bit ``index`` the ranges of ``like``, widened to ``vectors`` where they
    reach outside by more than a step; False when ``like`` has no such ranges (``index`` is to be trained)."""
    if not isinstance(like, ParagraphVectors | faiss.IndexScalarQuantizer) or not isinstance(
        index, faiss.IndexScalarQuantizer
    ):
        return False
    like = like.own if isinstance(like, ParagraphVectors) else like
    if like.sq.qtype != index.sq.qtype or like.d != index.d or not like.is_trained or like.sq.trained.size() == 0:
        return False
    trained = faiss.vector_to_array(like.sq.trained)
    if trained.shape != (2 * index.d,):  # a range per dimension: low, then width
        return False
    low, width = trained[: index.d], trained[index.d :]
    step = width / 255
    lowest, highest = vectors.min(axis=0), vectors.max(axis=0)
    if np.any(lowest < low - step) or np.any(highest > low + width + step):
        top = np.maximum(low + width, highest)
        low = np.minimum(low, lowest)
        width = top - low
    faiss.copy_array_to_vector(np.concatenate([low, width]).astype(np.float32), index.sq.trained)
    index.is_trained = True
    return True


def save_passage_vectors(generation: Path, vectors: dict[str, np.ndarray], like: LoadedIndex | None = None) -> str:
    """Write the passages' vector files (``vectors``: the four of VECTOR_CODES but terms, by file name);
    the kind of dense.faiss, for the manifest.

    A paragraph vector equal to its passage's own retrieval vector (a passage alone in its paragraph) is
    not stored again, nor one paragraph's vector once per passage: paragraphs.faiss holds each other
    paragraph vector once, and PARAGRAPH_ROWS says which row each passage reads (ParagraphVectors).
    ``like``: the index the vectors were partly read back from (save_vectors).
    """
    count = len(vectors["dense.faiss"])
    kind = ""
    for name in ("dense.faiss", "multilingual.faiss", "semantic.faiss"):
        index, written = vector_index_for(name, vectors[name].shape[1], count)
        save_vectors(index, vectors[name], generation / name, like=getattr(like, name.split(".")[0], None))
        kind = kind or written
    paragraphs, semantic = vectors["paragraphs.faiss"], vectors["semantic.faiss"]
    borrowed = np.all(paragraphs == semantic, axis=1) if paragraphs.shape == semantic.shape else np.zeros(count, bool)
    own = np.flatnonzero(~borrowed)
    rows = np.full(count, -1, dtype=np.int32)
    stored = np.zeros((0, paragraphs.shape[1]), dtype=np.float32)
    if len(own):
        # Each distinct vector once, in the order of its first passage (a paragraph's passages follow one another).
        _, first, inverse = np.unique(paragraphs[own], axis=0, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        rows[own] = rank[inverse.reshape(-1)]
        stored = paragraphs[own][first[order]]
    index, _ = vector_index_for("paragraphs.faiss", paragraphs.shape[1], len(stored))
    save_vectors(index, stored, generation / "paragraphs.faiss", like=getattr(like, "paragraphs", None))
    np.save(generation / PARAGRAPH_ROWS, rows, allow_pickle=False)
    return kind


def save_term_vectors(generation: Path, vectors: np.ndarray, like: LoadedIndex | None = None) -> faiss.Index:
    """Write terms.faiss, the vocabulary's vectors; the index written (hubness searches it)."""
    index, _ = vector_index_for("terms.faiss", vectors.shape[1], len(vectors))
    save_vectors(index, vectors, generation / "terms.faiss", like=getattr(like, "terms", None))
    return index


class ParagraphVectors:
    """The paragraph vector of each passage, each stored once: row i is ``own`` row ``rows[i]``, or, where
    ``rows[i]`` is -1, row i of ``shared`` (the passage's own retrieval vector).

    Offers what the engine asks of a FAISS index (search, reconstruct, ntotal, d), in passage ids: a search
    gives the passages a flat index holding every passage's row would give, ties in the same order.
    """

    def __init__(self, own: faiss.Index, shared: faiss.Index, rows: np.ndarray):
        self.own, self.shared, self.rows = own, shared, np.asarray(rows, dtype=np.int64)  # FAISS ids are 64-bit
        rows = self.rows
        self.ntotal, self.d = len(rows), own.d
        borrowed = rows < 0
        self._bits = np.packbits(borrowed, bitorder="little")  # kept alive: the selector reads it
        self._borrowed = int(borrowed.sum())
        self._selector = faiss.IDSelectorBitmap(len(rows), faiss.swig_ptr(self._bits))
        ivf = faiss.try_extract_index_ivf(shared)
        if ivf is not None:  # an IVF index's parameters replace its own: its probe count is given again
            self._borrowed_only = faiss.SearchParametersIVF(sel=self._selector, nprobe=ivf.nprobe)
        else:
            self._borrowed_only = faiss.SearchParameters(sel=self._selector)
        # The passages of each own row: by_row[starts[r]:starts[r + 1]], in id order.
        row_of = np.where(borrowed, own.ntotal, rows)
        self._by_row = np.argsort(row_of, kind="stable")
        self._starts = np.searchsorted(row_of[self._by_row], np.arange(own.ntotal + 1))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        out_scores = np.full((len(queries), k), -np.finfo(np.float32).max, dtype=np.float32)  # as FAISS pads
        out_ids = np.full((len(queries), k), -1, dtype=np.int64)
        for q, query in enumerate(queries):
            scores, ids = [], []
            if self.own.ntotal and k:
                found, rows = self.own.search(query[None], min(k, self.own.ntotal))
                found, rows = found[0][rows[0] >= 0], rows[0][rows[0] >= 0]
                # Every passage of each paragraph found: by_row[starts[r]:starts[r + 1]] for each row r.
                lengths = self._starts[rows + 1] - self._starts[rows]
                offsets = np.repeat(self._starts[rows] - (np.cumsum(lengths) - lengths), lengths)
                ids.append(self._by_row[offsets + np.arange(int(lengths.sum()))])
                scores.append(np.repeat(found, lengths))
            if self._borrowed and k:
                found, rows = self.shared.search(query[None], min(k, self._borrowed), params=self._borrowed_only)
                keep = rows[0] >= 0
                scores.append(found[0][keep])
                ids.append(rows[0][keep].astype(np.int64))
            if scores:
                every_score, every_id = np.concatenate(scores), np.concatenate(ids)
                top = flat_top(every_score, every_id, k)[:k]
                out_scores[q, : len(top)], out_ids[q, : len(top)] = every_score[top], every_id[top]
        return out_scores, out_ids

    def reconstruct_batch(self, ids) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        out = np.zeros((len(ids), self.d), dtype=np.float32)
        rows = self.rows[ids]
        borrowed = rows < 0
        if borrowed.any():
            out[borrowed] = self.shared.reconstruct_batch(ids[borrowed])
        if (~borrowed).any():
            out[~borrowed] = self.own.reconstruct_batch(rows[~borrowed])
        return out

    def reconstruct_n(self, start: int, count: int) -> np.ndarray:
        return self.reconstruct_batch(np.arange(start, start + count))

    def reconstruct(self, i: int) -> np.ndarray:
        return self.reconstruct_batch([i])[0]


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


def flat_top(scores: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the top k, chosen and ordered as a flat FAISS index over all passages gives them.

    Passages of one paragraph share their paragraph vector, so equal scores are common, and which of
    them are kept and in what order moves the fused ranks. FAISS (k < 100: a heap over the passages in
    id order) lets a passage in only when its score beats the lowest kept one, evicts the lowest score
    (of equal ones, the lowest id), and gives the result out by score, equal scores by descending id.
    Each shard sends its top k and every passage tied with its k-th score, so every passage at or above
    the global k-th score is here and the heap can be replayed on them alone.
    """
    if len(scores) <= k:
        return np.lexsort((-ids, -scores))
    kth = np.sort(scores)[::-1][k - 1]
    above = np.flatnonzero(scores > kth)
    seen = 0
    entered = []
    for j in np.argsort(ids, kind="stable"):
        if scores[j] < kth:
            continue
        if scores[j] == kth and seen < k:
            entered.append(j)
        seen += 1
    kept = np.concatenate([above, np.asarray(entered[len(entered) - (k - len(above)) :], dtype=np.int64)])
    return kept[np.lexsort((-ids[kept], -scores[kept]))]
