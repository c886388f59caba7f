"""The stages of a build, one machine's (qa.indexing) and the cluster's (qa.cluster.build) alike:

    discover_sources -> read_sources -> FileLayout, Vocabulary -> executor.embed -> new_manifest
    -> Vocabulary.term_vectors -> write_generation (or the cluster's shard writer) -> IndexStore.commit

The work that costs is behind an executor: ``InProcess`` (one machine) reads the files and runs the encoders
here; the cluster's (qa.cluster.executor.RayExecutor) runs the same ``read_source`` in Ray tasks and the same
encoders on Ray actors."""

from __future__ import annotations

import contextlib
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from qa import lexical, tuning
from qa.documents import (
    SPLITTER_VERSION,
    Passage,
    SkippedFile,
    UndecodableFile,
    content_hash,
    discover,
    document_passages,
    extract,
    read_file_as_of,
)
from qa.errors import DocumentsUnavailable, IndexWriteFailed
from qa.passage_encoding import VECTOR_FILES, Encoders, embed_passages, stage_progress
from qa.passage_table import PassageTable
from qa.source_files import display_path, read_as_of, recorded_bases, stat_facts
from qa.store import IndexStore, Manifest
from qa.text import detect_language
from qa.vector_files import hubness, save_passage_vectors, save_term_vectors

if TYPE_CHECKING:
    import os

    from qa.build_progress import Progress
    from qa.indexing import IndexReport, PreviousIndex


@dataclass
class SourceFile:
    """A file read and split: what the later stages need of it (its bytes stay where they were read)."""

    source: str
    sha256: str
    size: int
    language: str
    format: str
    passages: list[Passage]
    status: os.stat_result  # taken before the bytes were read


class Executor(Protocol):
    """Where the costly stages run: the files read and split, the passages encoded."""

    def read(self, found: list[tuple[Path, str]], max_bytes: int, progress: Progress | None) -> list:
        """``read_source`` of each file found, in order: a SourceFile or a SkippedFile each."""

    def embed(self, files: list[SourceFile], progress: Progress | None):
        """The vectors (VECTOR_FILES) of the passages of ``files``, in order (what the executor's writer takes)."""


def discover_sources(
    folders: list[Path],
    bases: list[Path],
    max_bytes: int,
    report: IndexReport,
    excluded: set[str] | frozenset[str] = frozenset(),
) -> list[tuple[Path, str]]:
    """Each file to read with its name (relative to its folder's base), in the order ids follow; what
    discovery skips goes to ``report``. A file found twice (nested folders) is read once."""
    found: list[tuple[Path, str]] = []
    seen: set[str] = set()
    for folder, base in zip(folders, bases, strict=True):
        if not folder.exists() and not folder.is_symlink():
            raise DocumentsUnavailable(f"{folder} is not a folder or a file")
        paths, skipped = discover(folder, max_bytes)
        for s in skipped:
            source = display_path(Path(s.path), base)
            if source not in excluded:
                report.skipped.append(SkippedFile(source, s.reason))
        for path in paths:
            source = display_path(path, base)
            if source in seen or source in excluded:
                continue
            seen.add(source)
            found.append((path, source))
    return found


def read_source(path: Path, source: str, max_bytes: int) -> SourceFile | SkippedFile:
    """One file read, extracted and split into passages, or why it is skipped."""
    try:
        data, status = read_file_as_of(path, max_bytes)
        extracted = extract(path, data)
    except (UndecodableFile, UnicodeDecodeError) as exc:
        return SkippedFile(source, str(exc) or "cannot decode")
    except OSError as exc:
        return SkippedFile(source, f"cannot read: {exc.strerror or exc}")
    text = extracted.text
    seconds = tuning.READ_IN_PROCESS_SECONDS
    try:
        with _time_limit(seconds):
            passages = document_passages(extracted, source)
    except _TooLong:
        return SkippedFile(source, f"took longer than {seconds:g} s to read (the limit per file)")
    if not passages:
        return SkippedFile(source, "empty: no text to index" if not text.strip() else "no words")
    return SourceFile(source, content_hash(data), len(data), detect_language(text), extracted.format, passages, status)


class _TooLong(Exception):
    pass


# How soon a time limit's alarm goes off again when its exception was dropped (see _time_limit).
_ALARM_AGAIN_SECONDS = 0.05


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise _TooLong in the block once ``seconds`` of wall-clock time have passed: a timer signal, which stops
    patterns and parsers alike (the regex engine checks for signals). Only the main thread of a Unix can
    set one, and only while SIGALRM is no one else's: a program using qa as a library may have its own handler
    or timer (pytest-timeout's), which this must neither replace nor cancel. Elsewhere (the chat's worker
    threads, such a program) the block runs unbounded, as before."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, signal.SIG_IGN)
        or signal.getitimer(signal.ITIMER_REAL) != (0.0, 0.0)
    ):
        yield
        return

    def expired(signum, frame):
        # Armed again before raising: Python prints and drops an exception raised while a garbage collector
        # callback or a finalizer runs (hypothesis installs one), and the block would then run on unbounded
        # (a 56 KB file read to its end in 26 s); the next alarm lands elsewhere.
        signal.setitimer(signal.ITIMER_REAL, _ALARM_AGAIN_SECONDS)
        raise _TooLong

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read_sources(
    found: list[tuple[Path, str]], max_bytes: int, report: IndexReport, executor: Executor, progress: Progress | None
) -> list[SourceFile]:
    """The files that give passages; the others go to ``report.skipped`` (sorted)."""
    files = []
    for item in executor.read(found, max_bytes, progress):
        if isinstance(item, SkippedFile):
            report.skipped.append(item)
        else:
            files.append(item)
    report.skipped.sort(key=lambda s: s.path)
    return files


def no_documents(folders: list[Path], report: IndexReport) -> DocumentsUnavailable:
    """The error of a build that found no file to index (``.report``: what it skipped)."""
    error = DocumentsUnavailable(
        "no readable .txt or .md file in "
        + ", ".join(str(f) for f in folders)
        + " (nor .rst, .pdf, .html or .docx"
        + ("" if not report.skipped else f"; {len(report.skipped)} skipped, see above")
        + ")"
    )
    error.report = report  # type: ignore[attr-defined]
    return error


class FileLayout:
    """The files' passages one after the other (global ids), each file's manifest facts, and the vectors the
    live index already has for the files that did not change (``previous``)."""

    def __init__(self, files: list[SourceFile], previous: PreviousIndex | None, report: IndexReport):
        self.files = files
        self.passages: list[Passage] = []
        self.file_facts: dict[str, dict] = {}
        self.reused: list[list[np.ndarray] | None] = []
        for item in files:
            reused = previous.vectors_for(item.source, item.sha256, len(item.passages)) if previous else None
            if reused is not None:
                report.reused.append(item.source)
            self.reused.append(reused)
            self.file_facts[item.source] = {
                "sha256": item.sha256,
                "bytes": item.size,
                **read_as_of(item.status),
                "language": item.language,
                "format": item.format,
                "first_passage": len(self.passages),
                "passage_count": len(item.passages),
            }
            self.passages.extend(item.passages)
            report.indexed.append((item.source, len(item.passages)))
        report.embedded_count = sum(len(f.passages) for f in self.fresh_files)

    @property
    def fresh_files(self) -> list[SourceFile]:
        """The files whose passages need vectors."""
        return [f for f, part in zip(self.files, self.reused, strict=True) if part is None]

    @property
    def languages(self) -> dict[str, str]:
        return {source: facts["language"] for source, facts in self.file_facts.items()}

    def stack(self, fresh_vectors: list[np.ndarray]) -> list[np.ndarray]:
        """Every passage's vectors (VECTOR_FILES): the reused ones and ``fresh_vectors`` (of ``fresh_files``)."""
        parts = list(self.reused)
        offset = 0
        for i, part in enumerate(self.reused):
            if part is None:
                count = len(self.files[i].passages)
                parts[i] = [v[offset : offset + count] for v in fresh_vectors]
                offset += count
        return [np.concatenate([p[n] for p in parts if p is not None]) for n in range(len(VECTOR_FILES))]


def new_manifest(
    encoders: Encoders,
    layout: FileLayout,
    folders: list[Path],
    bases: list[Path],
    max_bytes: int,
    excluded: list[str],
    report: IndexReport,
) -> Manifest:
    """The manifest of a new generation (its dimension and artifacts are the writer's to fill in)."""
    named_from, common_root = recorded_bases(folders, bases)
    manifest = Manifest(
        model=encoders.dense.name,
        dimension=0,
        splitter_version=SPLITTER_VERSION,
        multilingual_model=encoders.multilingual.name,
        semantic_model=encoders.semantic.name,
        dense_index="",
        passage_count=len(layout.passages),
        files=layout.file_facts,
        folders=[str(Path(f).absolute()) for f in folders],
        root=common_root,
        bases=named_from,
        skipped={},
        max_file_bytes=max_bytes,
        excluded=sorted(excluded),
    )
    manifest.skipped = {s.path: {"reason": s.reason, **stat_facts(manifest, s.path)} for s in report.skipped}
    return manifest


class Vocabulary:
    """The lexical index of the passages, and which of its words need a vector (the live index has the others)."""

    def __init__(self, passages: list[Passage], languages: dict[str, str], previous: PreviousIndex | None):
        self.lexical = lexical.build([(p.clean, languages[p.source]) for p in passages])
        self.known = previous.term_vectors() if previous else {}
        self.missing = [s for s in dict.fromkeys(self.lexical.surfaces) if s not in self.known]

    def term_vectors(self, encoder, progress: Progress | None) -> np.ndarray:
        """A vector for each word of the vocabulary: the known ones kept, the missing ones encoded by ``encoder``
        (the multilingual encoder, or an executor's stand-in for it: ``encode(texts, progress)``, ``dimension``)."""
        known = self.known
        if self.missing:
            stage = stage_progress(progress, "vocabulary vectors", len(self.missing))
            known.update(zip(self.missing, encoder.encode(self.missing, progress=stage), strict=True))
        if not self.lexical.surfaces:
            dimension = encoder.dimension if not known else len(next(iter(known.values())))
            return np.zeros((0, dimension), dtype=np.float32)
        return np.stack([known[s] for s in self.lexical.surfaces]).astype(np.float32)


class InProcess:
    """One machine's executor: the files read and the passages encoded in this process."""

    def __init__(self, encoders: Encoders):
        self.encoders = encoders

    def read(self, found: list[tuple[Path, str]], max_bytes: int, progress: Progress | None) -> list:
        started = time.monotonic()
        out = []
        shown = False  # reading shows once it takes a while (a few small files are read at once)
        for done, (path, source) in enumerate(found):
            if progress and (shown or time.monotonic() - started > tuning.QUIET_SECONDS):
                shown = True
                progress("reading files", done, len(found))
            out.append(read_source(path, source, max_bytes))
        if shown and progress:
            progress("reading files", len(found), len(found))
        return out

    def embed(self, files: list[SourceFile], progress: Progress | None) -> list[np.ndarray]:
        return embed_passages([p for f in files for p in f.passages], self.encoders, progress)


def write_generation(
    store: IndexStore,
    manifest: Manifest,
    passages: list[Passage],
    vectors: list[np.ndarray],
    lexical_index: lexical.LexicalIndex,
    term_vectors: np.ndarray,
    like=None,
    term_hubness: np.ndarray | None = None,
    progress: Progress | None = None,
) -> Path:
    """Every artifact of an index into a new generation of ``store``, committed (made live atomically);
    the generation. ``vectors``: each passage's, in the order of VECTOR_FILES. ``like``: the index whose
    vectors were reused (its stored ranges are kept). ``term_hubness``: computed here unless given (the
    cluster's shards take the corpus-wide one)."""
    steps = len(VECTOR_FILES) + 3

    def wrote(done: int) -> None:
        if progress:
            progress("writing the index", done, steps)

    wrote(0)
    manifest.dimension = int(vectors[0].shape[1])
    generation = store.new_generation()
    try:
        try:
            manifest.dense_index = save_passage_vectors(
                generation, dict(zip(VECTOR_FILES, vectors, strict=True)), like=like
            )
            wrote(len(VECTOR_FILES))
            terms_index = save_term_vectors(generation, term_vectors, like=like)
        except RuntimeError as exc:  # FAISS reports failed writes this way
            raise IndexWriteFailed(
                f"cannot write the index in {store.folder} ({exc}); the previous index, if any, is unchanged"
            ) from exc
        if term_hubness is None:
            term_hubness = hubness(terms_index, term_vectors)
        np.save(generation / "term_hubness.npy", term_hubness, allow_pickle=False)
        wrote(steps - 2)
        np.save(generation / "section_of.npy", section_of(passages), allow_pickle=False)
        lexical_index.save(generation)
        PassageTable.write(generation / "passages.sqlite", passages)
        wrote(steps - 1)
        store.commit(generation, manifest)
        wrote(steps)
    except BaseException:
        # Failed or interrupted (Ctrl-C) before the switch: the half-written
        # generation goes, the live one stays. After the switch it is kept.
        if not store.is_live(generation):
            shutil.rmtree(generation, ignore_errors=True)
        raise
    return generation


def section_of(passages: list[Passage]) -> np.ndarray:
    """For each passage, the id of the heading it stands under (a heading: itself), or -1 before any."""
    out = np.full(len(passages), -1, dtype=np.int64)
    current, source = -1, None
    for i, p in enumerate(passages):
        if p.source != source:
            current, source = -1, p.source
        if p.kind == "heading":
            current = i
        out[i] = current
    return out
