"""Build an index from folders of documents, reusing what has not changed."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.build_progress import BUILD_STAGE, Progress, WholeBuild
from qa.build_stages import (
    FileLayout,
    InProcess,
    Vocabulary,
    discover_sources,
    new_manifest,
    no_documents,
    read_source,
    read_sources,
    section_of,
    write_generation,
)
from qa.crosslingual import MultilingualEncoder
from qa.documents import (
    DEFAULT_MAX_FILE_BYTES,
    SPLITTER_VERSION,
    Passage,
    SkippedFile,
    content_hash,
    discover,
    read_file,
)
from qa.embedding import Embedder, canonical_name
from qa.errors import IndexUnavailable, IndexWriteFailed, QAError, UsageError
from qa.models import Models
from qa.passage_encoding import VECTOR_FILES, Encoders, embed_passages
from qa.semantic import SemanticEncoder
from qa.source_files import (
    build_bases,
    display_path,
    naming_bases,
    read_as_of,
    recorded_bases,
    same_as_read,
    stat_facts,
)
from qa.store import FORMAT_VERSION, REQUIRED_ARTIFACTS, IndexStore, Manifest, check_spans
from qa.vector_files import vectors_of

# The names of the build's stages importable from here as before they had modules of their own (build_progress,
# build_stages, passage_encoding, source_files).
__all__ = [
    "BUILD_STAGE", "Encoders", "IndexReport", "Progress", "build_bases", "build_index", "display_path",
    "embed_passages", "is_stale", "naming_bases", "read_as_of", "recorded_bases", "remove_sources", "same_as_read",
    "section_of", "stat_facts", "write_errors",
]  # fmt: skip


@dataclass
class IndexReport:
    indexed: list[tuple[str, int]] = field(default_factory=list)  # (source, passages)
    reused: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    passage_count: int = 0
    embedded_count: int = 0
    unchanged: bool = False  # nothing changed: the live index was kept as it is (no model loaded)
    removed: list[str] = field(default_factory=list)  # sources dropped by remove_sources


def build_index(
    folders: list[Path],
    store: IndexStore,
    embedder: Embedder,
    multilingual: MultilingualEncoder | None = None,
    root: Path | None = None,
    semantic: SemanticEncoder | None = None,
    progress: Progress | None = None,
    max_bytes: int | None = None,
    wait_seconds: float = 0.0,
    excluded: list[str] | None = None,
    force: bool = False,
    models: Models | None = None,
) -> IndexReport:
    """Index ``folders`` into a new generation of ``store`` and make it live.

    When nothing changed (same folders, model, size limit, and every file as
    recorded) the live index is kept as it is: no model is loaded and nothing
    is written (``report.unchanged``). Otherwise only the passages of new or
    changed files are embedded; the others keep their vectors, and the
    vocabulary keeps the vectors of the words it already had.

    ``max_bytes`` defaults to the limit the live index was built with (so a
    rebuild on a question keeps a ``--max-file-mb`` chosen earlier), else 20 MB.
    ``excluded``: sources left out (``qa remove``); None keeps those of the live index.
    ``force``: every file is read and compared by content, even when its size and times are as recorded.
    ``models`` (qa.models) makes the multilingual and retrieval encoders not given (default: the real ones).
    ``root``: every file is named relative to it; by default each folder's files are named relative to the
    folder's parent (``naming_bases``), and an index of the old naming keeps its names.
    Raises DocumentsUnavailable (with ``.report``) when no file can be indexed,
    IndexBusy when another build holds the lock, IndexWriteFailed when the new
    generation cannot be written; in every case the previous index stays live.
    """
    models = models or Models()
    multilingual = multilingual or models.multilingual_encoder()
    semantic = semantic or models.semantic_encoder()
    encoders = Encoders(embedder, multilingual, semantic)
    report = IndexReport()
    with write_errors(store):
        with store.locked(wait_seconds):
            store.remove_stale()
            _build_locked(
                [Path(f) for f in folders], store, encoders, root, progress, max_bytes, report, excluded, force
            )
            store.remove_stale()
    return report


@contextlib.contextmanager
def write_errors(store: IndexStore):
    """Around the writing of an index in ``store``: OSError and SQLite errors become IndexWriteFailed (the
    previous index stays live)."""
    try:
        yield
    except QAError:
        raise
    except OSError as exc:
        raise IndexWriteFailed(
            f"cannot write the index in {store.folder}: {exc.strerror or exc}"
            f"{f' ({exc.filename})' if exc.filename else ''}; the previous index, if any, is unchanged"
        ) from exc
    except sqlite3.Error as exc:
        raise IndexWriteFailed(
            f"cannot write the passage table in {store.folder}: {exc}; the previous index, if any, is unchanged"
        ) from exc


def _live_manifest(store: IndexStore) -> Manifest | None:
    try:
        return store.read_manifest()
    except IndexUnavailable:
        return None


def is_unchanged(
    manifest: Manifest,
    store: IndexStore,
    folders: list[Path],
    encoders: Encoders,
    bases: list[Path],
    max_bytes: int,
    excluded: list[str],
    required: tuple[str, ...] = REQUIRED_ARTIFACTS,
) -> bool:
    """The live index is what a build would write: same inputs, every file as recorded, artifacts intact
    (``required``: the files a generation must have; the cluster's are others).

    Costs a stat per file (a hash only for a file whose size or time changed) and a
    hash of the index's own files; loads no model.
    """
    if (
        manifest.folders != [str(f.absolute()) for f in folders]
        or [manifest.base_of(f).absolute() for f in folders] != [base.absolute() for base in bases]
        or int(manifest.max_file_bytes or 0) != max_bytes
        or sorted(manifest.excluded) != sorted(excluded)
        or manifest.multilingual_model != encoders.multilingual.name
        or manifest.semantic_model != encoders.semantic.name
        or manifest.passage_count == 0
    ):
        return False
    if is_stale(manifest, folders, encoders.dense.name, semantic_model=encoders.semantic.name) is not None:
        return False
    generation = store.live_generation()
    try:
        store.verify(generation, manifest, required)
    except IndexUnavailable:
        return False
    return True


def report_unchanged(manifest: Manifest, report: IndexReport) -> None:
    """``report`` of a build that kept the live index as it is."""
    for source, facts in sorted(manifest.files.items(), key=lambda item: int(item[1]["first_passage"])):
        report.indexed.append((source, int(facts["passage_count"])))
        report.reused.append(source)
    report.skipped.extend(SkippedFile(path, str(facts.get("reason", ""))) for path, facts in manifest.skipped.items())
    report.skipped.sort(key=lambda s: s.path)
    report.passage_count = manifest.passage_count
    report.unchanged = True


def _build_locked(
    folders: list[Path],
    store: IndexStore,
    encoders: Encoders,
    root: Path | None,
    progress: Progress | None,
    max_bytes: int | None,
    report: IndexReport,
    excluded: list[str] | None = None,
    force: bool = False,
) -> None:
    live = _live_manifest(store)
    if max_bytes is None:
        max_bytes = int(live.max_file_bytes) if live is not None and live.max_file_bytes else DEFAULT_MAX_FILE_BYTES
    if excluded is None:
        excluded = list(live.excluded) if live is not None else []
    bases = build_bases(folders, live, root)
    if not force and live is not None and is_unchanged(live, store, folders, encoders, bases, max_bytes, excluded):
        report_unchanged(live, report)
        return
    executor = InProcess(encoders)
    files = read_sources(
        discover_sources(folders, bases, max_bytes, report, set(excluded)), max_bytes, report, executor, progress
    )
    if not files:
        raise no_documents(folders, report)
    previous = _previous(store, encoders)
    try:
        layout = FileLayout(files, previous, report)
        vocabulary = Vocabulary(layout.passages, layout.languages, previous)
        fresh = layout.fresh_files
        if progress:
            progress = WholeBuild(progress, report.embedded_count or len(layout.passages))
            progress.plan([p for f in fresh for p in f.passages], len(vocabulary.missing), encoders.paragraphs_encoded)
        vectors = layout.stack(executor.embed(fresh, progress))
        manifest = new_manifest(encoders, layout, folders, bases, max_bytes, excluded, report)
        term_vectors = vocabulary.term_vectors(encoders.multilingual, progress)
        like = previous.loaded if previous else None  # the vectors reused were read from it
        write_generation(
            store, manifest, layout.passages, vectors, vocabulary.lexical, term_vectors, like, progress=progress
        )
    finally:
        if previous:
            previous.close()
    report.passage_count = len(layout.passages)


def remove_sources(
    store: IndexStore,
    targets: list[Path | str],
    cwd: Path | None = None,
    multilingual: MultilingualEncoder | None = None,
    progress: Progress | None = None,
    wait_seconds: float = 0.0,
    models: Models | None = None,
) -> IndexReport:
    """Drop files (named as cited, or by a path to the file or to a folder holding them) from the index.

    The remaining passages keep their vectors; a new generation is written and
    made live atomically, so a failure leaves the index as it was. The files are
    remembered as excluded, so that a refresh does not bring them back (indexing
    folders explicitly again does). A target that is one of the indexed folders
    is dropped from them. Raises UsageError when no target names an indexed file,
    or when nothing would be left. ``models`` (qa.models) makes the multilingual encoder when none is given.
    """
    if blank := [t for t in targets if not str(t).strip()]:  # Path("") is "." and "" is under every folder
        raise UsageError(f"{blank[0]!r} names no file: give a file as cited, or a folder (qa sources lists them)")
    cwd = cwd or Path.cwd()
    report = IndexReport()
    with write_errors(store):
        with store.locked(wait_seconds):
            store.remove_stale()
            loaded = store.load()
            try:
                check_spans(loaded)
            except IndexUnavailable:
                loaded.passages.close()
                raise
            previous = PreviousIndex(loaded)
            try:
                manifest = loaded.manifest
                named = set(manifest.files) | set(manifest.skipped)
                drop: set[str] = set()
                drop_folders: set[str] = set()
                for target in targets:
                    matched = _matching_sources(str(target), named, manifest, cwd)
                    if not matched:
                        raise UsageError(f"{target} is not in the index in {store.folder} (qa sources lists its files)")
                    drop |= matched
                    absolute = os.path.normpath(Path(cwd, target).absolute())
                    drop_folders |= {f for f in manifest.folders if f == absolute or Path(f).is_relative_to(absolute)}
                keep = sorted(
                    (s for s in manifest.files if s not in drop), key=lambda s: int(manifest.files[s]["first_passage"])
                )
                if not keep:
                    raise UsageError(
                        f"that would leave no file in the index in {store.folder}: to drop it all, delete that folder"
                    )
                passages: list[Passage] = []
                parts: list[list[np.ndarray]] = []
                file_facts: dict[str, dict] = {}
                for source in keep:
                    facts = dict(manifest.files[source])
                    start, count = int(facts["first_passage"]), int(facts["passage_count"])
                    rows = loaded.passages.get(list(range(start, start + count)))
                    passages.extend(rows[i] for i in range(start, start + count))
                    parts.append(previous.vectors_for(source, facts["sha256"], count))
                    facts["first_passage"] = len(passages) - count
                    file_facts[source] = facts
                    report.indexed.append((source, count))
                    report.reused.append(source)
                stacked = [np.concatenate([p[n] for p in parts]) for n in range(len(VECTOR_FILES))]
                new = Manifest(**{**manifest.__dict__})
                new.files = file_facts
                new.passage_count = len(passages)
                new.folders = [f for f in manifest.folders if f not in drop_folders]
                new.skipped = {s: facts for s, facts in manifest.skipped.items() if s not in drop}
                new.excluded = sorted(set(manifest.excluded) | drop)
                new.artifacts = {}
                new.created = time.time()
                languages = {source: facts["language"] for source, facts in file_facts.items()}
                vocabulary = Vocabulary(passages, languages, previous)
                if progress:
                    progress = WholeBuild(progress, len(passages))
                    progress.plan([], len(vocabulary.missing), paragraphs_encoded=False)  # no passage is encoded
                term_vectors = vocabulary.term_vectors(
                    multilingual or (models or Models()).multilingual_encoder(), progress
                )
                write_generation(
                    store, new, passages, stacked, vocabulary.lexical, term_vectors, previous.loaded, progress=progress
                )
            finally:
                previous.close()
            store.remove_stale()
    report.removed = sorted(drop)
    report.passage_count = len(passages)
    return report


def _matching_sources(target: str, sources: set[str], manifest: Manifest, cwd: Path) -> set[str]:
    """The sources ``target`` names: one exactly as cited, else the files at or under that path."""
    if target in sources:
        return {target}
    wanted = Path(target) if os.path.isabs(target) else cwd / target
    wanted = Path(os.path.normpath(wanted.absolute()))
    found = set()
    for source in sources:
        path = Path(os.path.normpath(manifest.path_of(source).absolute()))
        if path == wanted or path.is_relative_to(wanted):
            found.add(source)
    return found


class PreviousIndex:
    """The live generation, when its vectors can be reused for unchanged files."""

    def __init__(self, loaded):
        self._loaded = loaded

    @property
    def loaded(self):
        return self._loaded

    def vectors_for(self, source: str, digest: str, count: int) -> list[np.ndarray] | None:
        """The file's stored vectors, in the order of VECTOR_FILES, when it has not changed."""
        facts = self._loaded.manifest.files.get(source)
        if not facts or facts.get("sha256") != digest or facts.get("passage_count") != count:
            return None
        start = int(facts["first_passage"])
        loaded = self._loaded
        return [
            vectors_of(index, start, count)
            for index in (loaded.dense, loaded.multilingual, loaded.semantic, loaded.paragraphs)
        ]

    def term_vectors(self) -> dict[str, np.ndarray]:
        """The vocabulary's vectors by written form (they depend on nothing else)."""
        loaded = self._loaded
        vectors = vectors_of(loaded.terms, 0, loaded.terms.ntotal)
        return dict(zip(loaded.lexical.surfaces, vectors, strict=True))

    def close(self) -> None:
        self._loaded.passages.close()


def _previous(store: IndexStore, encoders: Encoders) -> PreviousIndex | None:
    try:
        manifest = store.read_manifest()
        if (
            manifest is None
            or manifest.model != canonical_name(encoders.dense.name)
            or manifest.splitter_version != SPLITTER_VERSION
            or manifest.multilingual_model != encoders.multilingual.name
            or manifest.semantic_model != encoders.semantic.name
        ):
            return None
        loaded = store.load()
        try:
            check_spans(loaded)  # never copy vectors from offsets the passage table does not confirm
        except IndexUnavailable:
            loaded.passages.close()
            raise
        return PreviousIndex(loaded)
    except IndexUnavailable:
        return None  # a damaged index is simply rebuilt from the documents


def is_stale(manifest: Manifest, folders: list[Path], model: str, semantic_model: str | None = None) -> str | None:
    """Why the index no longer matches the documents or the model, or None when it does.

    Loads no model: a stat per file, and a hash of a file whose size or time changed.
    """
    if manifest.model != canonical_name(model):
        return f"it was built with another model ({manifest.model})"
    if manifest.splitter_version != SPLITTER_VERSION:
        return "it was built by another version of the splitter"
    if manifest.format_version != FORMAT_VERSION:
        return "it was built by another version of qa"
    if manifest.semantic_model != (semantic_model or SemanticEncoder.name):
        return "it was built without the current retrieval model"
    max_bytes = int(manifest.max_file_bytes or DEFAULT_MAX_FILE_BYTES)
    current: dict[str, Path] = {}
    for folder in folders:
        if not folder.exists():
            return f"{folder} is missing"
        paths, _ = discover(folder, max_bytes)
        for path in paths:
            current[display_path(path, manifest.base_of(folder))] = path
    for source in manifest.excluded:  # removed with qa remove: not new
        current.pop(source, None)
    recorded = set(manifest.files)
    readable_current = set(current)
    if not recorded <= readable_current:
        return "documents were removed"
    for source, path in current.items():
        facts = manifest.files.get(source)
        if facts is None:
            # A file skipped as unreadable or empty stays skipped until it changes.
            skipped = manifest.skipped.get(source)
            if skipped is not None and skipped == {"reason": skipped.get("reason"), **stat_facts(manifest, source)}:
                continue
            # Read as a build reads it (within its limits): a file that gives no passage is not news, unless it
            # ran into a limit: then the build records it as skipped, and the next question does not read it again.
            read = read_source(path, source, max_bytes)
            if isinstance(read, SkippedFile) and not read.reason.endswith("(the limit per file)"):
                continue
            return f"{source} is new"
        try:
            if same_as_read(path.stat(), facts):
                continue
            if content_hash(read_file(path, max_bytes)) != facts["sha256"]:
                return f"{source} changed"
        except (OSError, ValueError):
            return f"{source} changed"  # gone or unreadable since it was found: the rebuild will say which
    return None
