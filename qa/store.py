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

This module holds the generations, the manifest and the commit; the passage table is qa.passage_table's, the
vector files qa.vector_files'.
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

from qa.errors import IndexBusy, IndexUnavailable, loads_json
from qa.lexical import LexicalIndex
from qa.passage_table import PassageTable
from qa.vector_files import (
    EXACT_SEARCH_LIMIT,
    IVF_MAX_LISTS,
    IVF_PROBED_SHARE,
    PARAGRAPH_ROWS,
    VECTOR_CODES,
    ParagraphVectors,
    dense_index_for,
    flat_top,
    hubness,
    save_passage_vectors,
    save_term_vectors,
    save_vectors,
    vector_index_for,
    vectors_of,
)

# Names of the passage table and the vector files, importable from here as before the split.
__all__ = [
    "CURRENT", "EXACT_SEARCH_LIMIT", "FORMAT_VERSION", "IVF_MAX_LISTS", "IVF_PROBED_SHARE", "LOCK", "PARAGRAPH_ROWS",
    "REQUIRED_ARTIFACTS", "VECTOR_CODES", "IndexStore", "LoadedIndex", "Manifest", "ParagraphVectors", "PassageTable",
    "check_spans", "dense_index_for", "flat_top", "hubness", "rebuild_advice", "save_passage_vectors",
    "save_term_vectors", "save_vectors", "vector_index_for", "vectors_of",
]  # fmt: skip

# 4: passages carry a locator (PDF page, HTML anchor, DOCX paragraph); 5: the manifest carries its own checksum
FORMAT_VERSION = 5
_CHECKSUMMED_SINCE = 5
CURRENT = "CURRENT"
LOCK = ".lock"
_HASHED_ARTIFACT_LIMIT = 64 * 1024 * 1024
# Larger artifacts are checked by size and by the hash of a sample of blocks
# (hashing gigabytes would cost seconds per question).
_SAMPLE_BLOCK = 1 << 20
_SAMPLE_BLOCKS = 8
GENERATION_NAME = re.compile(r"gen-\d{14}-\d+-\d{6}")


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
    checksum: str = ""  # sha256 of every other field (json_checksum): a manifest edited or damaged is not trusted

    def to_json(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if k != "checksum"}
        data["checksum"] = self.checksum = json_checksum(data)
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, data: str) -> Manifest:
        raw = loads_json(data)
        if not isinstance(raw, dict):
            raise ValueError("manifest is not an object")
        checksum = raw.pop("checksum", None)
        if checksum is None:
            version = raw.get("format_version", 0)
            if not isinstance(version, int) or version >= _CHECKSUMMED_SINCE:
                raise ValueError("manifest has no checksum")
        elif checksum != json_checksum(raw):
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


def json_checksum(fields: dict) -> str:
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


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def file_sha256(path: Path) -> str:
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
        if not GENERATION_NAME.fullmatch(name):
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

    def verify(self, generation: Path, manifest: Manifest, required: tuple[str, ...] | None = None) -> None:
        """Every artifact is there with the size and hash the manifest recorded, and nothing is missing
        (``required``: the files the generation must have; by default an index's, REQUIRED_ARTIFACTS)."""
        expected = set(REQUIRED_ARTIFACTS if required is None else required)
        for name, facts in manifest.artifacts.items():
            expected.discard(name)
            path = generation / name
            try:
                if "/" in name or name.startswith("."):
                    raise OSError("not an artifact name")
                size = path.stat().st_size
                ok = size == facts.get("bytes")
                if ok and "sha256" in facts:
                    ok = file_sha256(path) == facts["sha256"]
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
        """Seal ``generation`` (sizes, hashes, fsync) and make it the live one atomically. A folder inside it
        (a cluster generation's shard, an index of its own) was sealed by its own commit."""
        for path in sorted(generation.iterdir()):
            if path.name == "manifest.json" or path.is_dir():
                continue
            facts: dict = {"bytes": path.stat().st_size}
            if facts["bytes"] <= _HASHED_ARTIFACT_LIMIT:
                facts["sha256"] = file_sha256(path)
            else:
                facts["sample_sha256"] = _sample_sha256(path)
            manifest.artifacts[path.name] = facts
            fsync_file(path)
        (generation / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        fsync_file(generation / "manifest.json")
        fsync_dir(generation)
        fsync_dir(self.folder)  # the generation's own entry, before the pointer names it
        pointer = self.folder / (CURRENT + ".tmp")
        try:
            pointer.write_text(generation.name + "\n", encoding="utf-8")
            fsync_file(pointer)
            os.replace(pointer, self.folder / CURRENT)  # the switch: atomic
        except BaseException:
            with contextlib.suppress(OSError):
                pointer.unlink()
            raise
        fsync_dir(self.folder)

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
            if GENERATION_NAME.fullmatch(p.name) and (live is None or p.name != live.name)
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


REQUIRED_ARTIFACTS = (
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
