"""Build an index from folders of documents, reusing what has not changed."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa import lexical
from qa.crosslingual import MultilingualEncoder
from qa.documents import (
    DEFAULT_MAX_FILE_BYTES,
    SPLITTER_VERSION,
    Passage,
    SkippedFile,
    UndecodableFile,
    content_hash,
    discover,
    document_passages,
    extract,
    file_passages,
    paragraph_texts,
    read_file,
    semantic_text,
)
from qa.embedding import Embedder, canonical_name
from qa.errors import DocumentsUnavailable, IndexUnavailable, IndexWriteFailed, QAError
from qa.semantic import SemanticEncoder
from qa.store import (
    FORMAT_VERSION,
    IndexStore,
    Manifest,
    PassageTable,
    dense_index_for,
    hubness,
    save_vectors,
    vectors_of,
)
from qa.text import detect_language

# (stage, done, total): the CLI draws it as a progress bar.
Progress = Callable[[str, int, int], None]


@dataclass
class IndexReport:
    indexed: list[tuple[str, int]] = field(default_factory=list)  # (source, passages)
    reused: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    passage_count: int = 0
    embedded_count: int = 0


def display_path(path: Path, root: Path) -> str:
    """How a file is named in citations: relative to the project root when inside it."""
    resolved = path.resolve() if not path.is_symlink() else path.absolute()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


@dataclass
class _SourceFile:
    source: str
    data: bytes
    text: str
    language: str
    format: str
    passages: list[Passage]


def _read_sources(folders: list[Path], root: Path, max_bytes: int, report: IndexReport) -> list[_SourceFile]:
    files: list[_SourceFile] = []
    seen: set[str] = set()
    for folder in folders:
        if not folder.exists() and not folder.is_symlink():
            raise DocumentsUnavailable(f"{folder} is not a folder or a file")
        paths, skipped = discover(folder, max_bytes)
        report.skipped.extend(SkippedFile(display_path(Path(s.path), root), s.reason) for s in skipped)
        for path in paths:
            source = display_path(path, root)
            if source in seen:
                continue
            seen.add(source)
            try:
                data = read_file(path, max_bytes)
                extracted = extract(path, data)
            except (UndecodableFile, UnicodeDecodeError) as exc:
                report.skipped.append(SkippedFile(source, str(exc) or "cannot decode"))
                continue
            except OSError as exc:
                report.skipped.append(SkippedFile(source, f"cannot read: {exc.strerror or exc}"))
                continue
            text = extracted.text
            passages = document_passages(extracted, source)
            if not passages:
                report.skipped.append(
                    SkippedFile(source, "empty: no text to index" if not text.strip() else "no words")
                )
                continue
            files.append(_SourceFile(source, data, text, detect_language(text), extracted.format, passages))
    report.skipped.sort(key=lambda s: s.path)
    return files


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
) -> IndexReport:
    """Index ``folders`` into a new generation of ``store`` and make it live.

    ``max_bytes`` defaults to the limit the live index was built with (so a
    rebuild on a question keeps a ``--max-file-mb`` chosen earlier), else 20 MB.
    Raises DocumentsUnavailable (with ``.report``) when no file can be indexed,
    IndexBusy when another build holds the lock, IndexWriteFailed when the new
    generation cannot be written; in every case the previous index stays live.
    """
    root = root or Path.cwd()
    multilingual = multilingual or MultilingualEncoder()
    semantic = semantic or SemanticEncoder()
    encoders = _Encoders(embedder, multilingual, semantic)
    report = IndexReport()
    try:
        with store.locked(wait_seconds):
            store.remove_stale()
            _build_locked([Path(f) for f in folders], store, encoders, root, progress, max_bytes, report)
            store.remove_stale()
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
    return report


@dataclass
class _Encoders:
    dense: Embedder  # the sentence-transformers model
    multilingual: MultilingualEncoder  # USE: passages, and the vocabulary for cross-lingual matching
    semantic: SemanticEncoder  # the retrieval model: passages in context, and paragraphs


# The vectors kept for each passage, in the order _Previous.vectors_for returns them.
_VECTOR_FILES = ("dense.faiss", "multilingual.faiss", "semantic.faiss", "paragraphs.faiss")


def _build_locked(
    folders: list[Path],
    store: IndexStore,
    encoders: _Encoders,
    root: Path,
    progress: Progress | None,
    max_bytes: int | None,
    report: IndexReport,
) -> None:
    if max_bytes is None:
        max_bytes = _previous_limit(store)
    files = _read_sources(folders, root, max_bytes, report)
    if not files:
        error = DocumentsUnavailable(
            "no readable .txt or .md file in "
            + ", ".join(str(f) for f in folders)
            + " (nor .rst, .pdf, .html or .docx"
            + ("" if not report.skipped else f"; {len(report.skipped)} skipped, see above")
            + ")"
        )
        error.report = report  # type: ignore[attr-defined]
        raise error
    previous = _previous(store, encoders)
    passages: list[Passage] = []
    parts: list[list[np.ndarray] | None] = []
    file_facts: dict[str, dict] = {}
    for item in files:
        digest = content_hash(item.data)
        reused = previous.vectors_for(item.source, digest, len(item.passages)) if previous else None
        if reused is not None:
            report.reused.append(item.source)
        parts.append(reused)
        file_facts[item.source] = {
            "sha256": digest,
            "bytes": len(item.data),
            "mtime_ns": _mtime_ns(root, item.source),
            "language": item.language,
            "format": item.format,
            "first_passage": len(passages),
            "passage_count": len(item.passages),
        }
        passages.extend(item.passages)
        report.indexed.append((item.source, len(item.passages)))

    fresh = [i for i, part in enumerate(parts) if part is None]
    fresh_passages = [p for i in fresh for p in files[i].passages]
    report.embedded_count = len(fresh_passages)

    def stage(name: str):
        return (lambda done, total: progress(name, done, total)) if progress else None

    texts = [semantic_text(p) for p in fresh_passages]
    dense_new = encoders.dense.encode(texts, progress=stage("embedding passages"))
    multi_new = encoders.multilingual.encode(texts, progress=stage("multilingual vectors"))
    semantic_new = encoders.semantic.encode(texts, progress=stage("retrieval vectors"))
    # A paragraph of several passages is encoded whole; a passage alone in
    # its paragraph already has that vector.
    paragraphs, owner = paragraph_texts(fresh_passages)
    several = [k for k, (_, count) in enumerate(paragraphs) if count > 1]
    several_vectors = encoders.semantic.encode([paragraphs[k][0] for k in several], progress=stage("paragraph vectors"))
    first_passage = np.zeros(len(paragraphs), dtype=np.int64)
    first_passage[owner[::-1]] = np.arange(len(owner))[::-1]  # the last write for each paragraph is its first passage
    paragraph_vectors = semantic_new[first_passage]
    for k, vector in zip(several, several_vectors, strict=True):
        paragraph_vectors[k] = vector
    paragraph_new = paragraph_vectors[owner] if len(owner) else semantic_new
    offset = 0
    for i in fresh:
        count = len(files[i].passages)
        parts[i] = [v[offset : offset + count] for v in (dense_new, multi_new, semantic_new, paragraph_new)]
        offset += count
    stacked = [np.concatenate([p[n] for p in parts if p is not None]) for n in range(len(_VECTOR_FILES))]
    if previous:
        previous.close()

    languages = {item.source: item.language for item in files}
    lex = lexical.build([(p.clean, languages[p.source]) for p in passages])
    term_vectors = encoders.multilingual.encode(lex.surfaces, progress=stage("vocabulary vectors"))
    manifest = Manifest(
        model=encoders.dense.name,
        dimension=int(stacked[0].shape[1]),
        splitter_version=SPLITTER_VERSION,
        multilingual_model=encoders.multilingual.name,
        semantic_model=encoders.semantic.name,
        dense_index="",
        passage_count=len(passages),
        files=file_facts,
        folders=[str(Path(f).absolute()) for f in folders],
        root=str(root.absolute()),
        skipped={s.path: {"reason": s.reason, **_stat_facts(root, s.path)} for s in report.skipped},
        max_file_bytes=max_bytes,
    )

    generation = store.new_generation()
    try:
        try:
            for name, vectors in zip(_VECTOR_FILES, stacked, strict=True):
                index, kind = dense_index_for(vectors.shape[1], len(passages))
                save_vectors(index, vectors, generation / name)
                if name == "dense.faiss":
                    manifest.dense_index = kind
            terms_index, _ = dense_index_for(term_vectors.shape[1], len(lex.terms))
            save_vectors(terms_index, term_vectors, generation / "terms.faiss")
        except RuntimeError as exc:  # FAISS reports failed writes this way
            raise IndexWriteFailed(
                f"cannot write the index in {store.folder} ({exc}); the previous index, if any, is unchanged"
            ) from exc
        np.save(generation / "term_hubness.npy", hubness(terms_index, term_vectors), allow_pickle=False)
        np.save(generation / "section_of.npy", section_of(passages), allow_pickle=False)
        lex.save(generation)
        PassageTable.write(generation / "passages.sqlite", passages)
        store.commit(generation, manifest)
    except BaseException:
        # Failed or interrupted (Ctrl-C) before the switch: the half-written
        # generation goes, the live one stays. After the switch it is kept.
        if not store.is_live(generation):
            shutil.rmtree(generation, ignore_errors=True)
        raise
    report.passage_count = len(passages)


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


def _previous_limit(store: IndexStore) -> int:
    with contextlib.suppress(IndexUnavailable):
        manifest = store.read_manifest()
        if manifest is not None and manifest.max_file_bytes:
            return int(manifest.max_file_bytes)
    return DEFAULT_MAX_FILE_BYTES


def _stat_facts(root: Path, source: str) -> dict:
    path = Path(source) if os.path.isabs(source) else root / source
    try:
        info = path.lstat()
    except OSError:
        return {"bytes": -1, "mtime_ns": 0}
    return {"bytes": info.st_size if stat.S_ISREG(info.st_mode) else -1, "mtime_ns": info.st_mtime_ns}


def _mtime_ns(root: Path, source: str) -> int:
    path = Path(source) if os.path.isabs(source) else root / source
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


class _Previous:
    """The live generation, when its vectors can be reused for unchanged files."""

    def __init__(self, loaded):
        self._loaded = loaded

    def vectors_for(self, source: str, digest: str, count: int) -> list[np.ndarray] | None:
        """The file's stored vectors, in the order of _VECTOR_FILES, when it has not changed."""
        facts = self._loaded.manifest.files.get(source)
        if not facts or facts.get("sha256") != digest or facts.get("passage_count") != count:
            return None
        start = int(facts["first_passage"])
        loaded = self._loaded
        return [
            vectors_of(index, start, count)
            for index in (loaded.dense, loaded.multilingual, loaded.semantic, loaded.paragraphs)
        ]

    def close(self) -> None:
        self._loaded.passages.close()


def _previous(store: IndexStore, encoders: _Encoders) -> _Previous | None:
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
        return _Previous(store.load())
    except IndexUnavailable:
        return None  # a damaged index is simply rebuilt from the documents


def is_stale(manifest: Manifest, folders: list[Path], model: str) -> str | None:
    """Why the index no longer matches the documents or the model, or None when it does."""
    root = Path(manifest.root or ".")
    if manifest.model != canonical_name(model):
        return f"it was built with another model ({manifest.model})"
    if manifest.splitter_version != SPLITTER_VERSION:
        return "it was built by another version of the splitter"
    if manifest.format_version != FORMAT_VERSION:
        return "it was built by another version of qa"
    if manifest.semantic_model != SemanticEncoder.name:
        return "it was built without the current retrieval model"
    max_bytes = int(manifest.max_file_bytes or DEFAULT_MAX_FILE_BYTES)
    current: dict[str, Path] = {}
    for folder in folders:
        if not folder.exists():
            return f"{folder} is missing"
        paths, _ = discover(folder, max_bytes)
        for path in paths:
            current[display_path(path, root)] = path
    recorded = set(manifest.files)
    readable_current = set(current)
    if not recorded <= readable_current:
        return "documents were removed"
    for source, path in current.items():
        facts = manifest.files.get(source)
        if facts is None:
            # A file skipped as unreadable or empty stays skipped until it changes.
            skipped = manifest.skipped.get(source)
            if skipped is not None and skipped == {"reason": skipped.get("reason"), **_stat_facts(root, source)}:
                continue
            try:
                if not file_passages(path, source, max_bytes):
                    continue
            except (UndecodableFile, UnicodeDecodeError, OSError):
                continue
            return f"{source} is new"
        try:
            stat_ = path.stat()
            if stat_.st_size == facts["bytes"] and stat_.st_mtime_ns == facts.get("mtime_ns"):
                continue
            if content_hash(read_file(path, max_bytes)) != facts["sha256"]:
                return f"{source} changed"
        except (OSError, ValueError):
            return f"{source} changed"  # gone or unreadable since it was found: the rebuild will say which
    return None
