"""Named collections: indexes kept in the user data folder, used from anywhere.

    qa index ~/notes --name notes      # builds ~/.local/share/qa/notes (Linux)
    qa ask -C notes "..."              # or QA_COLLECTION=notes qa ask "..."

The data folder is ``$QA_DATA_DIR`` when set, else platformdirs'
``user_data_dir("qa")`` (qa.config.Settings.data_dir). A collection is an index folder (qa.store) named
after the collection. Which index a command uses: ``--index DIR``, else
``--collection NAME``, else ``$QA_COLLECTION`` (Settings.collection), else, run from the source
checkout, the default index of ``seeds/``; installed elsewhere there is no
default and the error says how to make a collection.

Everything here reads manifests and stats files: no model, no FAISS.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from qa.config import Settings
from qa.errors import IndexUnavailable, UsageError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# The history database (qa.history) and SQLite's files beside it share the data folder with the collections.
_RESERVED_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal")


def data_dir(settings: Settings) -> Path:
    """Where collections live: $QA_DATA_DIR, else the user data folder (~/.local/share/qa on Linux)."""
    if settings.data_dir is None:
        raise UsageError("cannot tell where collections are kept (no home folder): set QA_DATA_DIR or HOME")
    return settings.data_dir


def is_name(name: str) -> bool:
    """Whether ``name`` can name a collection: a folder of its own in the data folder, and nothing else there."""
    return bool(_NAME.fullmatch(name)) and not name.lower().endswith(_RESERVED_SUFFIXES)


def check_name(name: str, settings: Settings, source: str = "") -> str:
    """``name``, if it can name a collection; else UsageError (``source``: where it came from, e.g. QA_COLLECTION).

    The one check of every collection name, whether it comes from --name, --collection or $QA_COLLECTION: no
    empty name (it would be the default index), no path (``..``, ``/``), no control character, at most 64
    characters, and not the name of qa's own files in the data folder (history.db and its journals).
    """
    if is_name(name):
        return name
    shown = name if len(name) <= 40 else name[:40] + "…"  # a name of thousands of characters stays one short line
    given = f"{source}={shown!r}" if source else repr(shown)
    if not name.strip():
        raise UsageError(f"the collection name is empty{' (' + source + ')' if source else ''}: name one, e.g. notes")
    if _NAME.fullmatch(name):
        raise UsageError(
            f"{given} cannot name a collection: a name ending in .db could clash with qa's history database"
            f" ({data_dir(settings) / 'history.db'})"
        )
    raise UsageError(
        f"{given} cannot name a collection: use letters, digits, '.', '_' or '-' (at most 64, the first a letter"
        " or digit), e.g. notes"
    )


def collection_dir(name: str, settings: Settings) -> Path:
    return data_dir(settings) / check_name(name, settings)


def names(settings: Settings) -> list[str]:
    """The collections in the data folder (folders holding an index), sorted."""
    base = data_dir(settings)
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and is_name(p.name) and (p / "CURRENT").exists())


def checkout_default(settings: Settings) -> tuple[Path, Path] | None:
    """(index, documents) of the source checkout (``index/`` built from ``seeds/``: Settings.default_index and
    default_documents), or None when installed elsewhere."""
    documents = settings.default_documents
    return (settings.default_index, documents) if documents.is_dir() else None


def chosen_name(collection: str | None, settings: Settings) -> str | None:
    """``--collection`` (checked: an empty one is an error, never the default index), else ``$QA_COLLECTION``
    (empty: none)."""
    if collection is not None:
        return check_name(collection, settings)
    name = settings.collection
    return check_name(name, settings, "QA_COLLECTION") if name else None


def select_index(index: str | None, collection: str | None, settings: Settings, creating: bool = False) -> Path:
    """The index folder a command uses.

    ``creating`` (qa index): a named collection need not exist yet. Otherwise a
    collection that does not exist, or no choice at all outside the checkout,
    is IndexUnavailable with one line saying how to make one.
    """
    if index is not None and collection is not None:
        raise UsageError("--index and --collection name two indexes: give one")
    if index is not None:
        if not index.strip():
            raise UsageError("--index names no folder: give one, e.g. --index ~/.qa/notes")
        return Path(index)
    name = chosen_name(collection, settings)
    if name:
        folder = data_dir(settings) / name
        if not creating and not (folder / "CURRENT").exists():
            known = names(settings)
            raise IndexUnavailable(
                f"no collection {name!r} in {data_dir(settings)}: make it with `qa index FOLDER --name {name}`"
                + (f" (collections: {', '.join(known)})" if known else "")
            )
        return folder
    default = checkout_default(settings)
    if default is not None:
        return default[0]
    known = names(settings)
    if known:
        raise IndexUnavailable(
            f"no collection chosen: pass --collection NAME or set QA_COLLECTION (collections: {', '.join(known)})"
        )
    raise IndexUnavailable(
        "no collection yet: make one with `qa index FOLDER --name NAME`, then `qa ask -C NAME QUESTION`"
    )


@dataclass
class CollectionInfo:
    name: str
    path: str
    files: int
    passages: int
    skipped: int
    model: str
    bytes: int
    refreshed: float  # when the live generation was written (seconds since the epoch)
    folders: list[str]
    error: str = ""  # an index that cannot be read says why here

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _checked(store) -> tuple:
    """(manifest, live generation) of ``store``, each artifact checked against the manifest as ``qa ask`` checks
    it before loading (qa.store.IndexStore.verify): a damaged index is IndexUnavailable here too. (None, None)
    when there is no index. A build that switches generations meanwhile is followed, not reported."""
    from qa.cluster.layout import CLUSTER_FILE  # imports no Ray

    for _attempt in range(3):
        generation = store.live_generation()
        try:
            manifest = store.read_manifest()
            # A cluster generation keeps most artifacts in its shards, which its loader checks.
            if manifest is not None and generation is not None and not (generation / CLUSTER_FILE).exists():
                store.verify(generation, manifest)
            return manifest, generation
        except IndexUnavailable:
            if store.live_generation() == generation:
                raise
    raise IndexUnavailable(f"{store.folder} changed three times while it was read: try again")


def describe(name: str, folder: Path) -> CollectionInfo:
    from qa.store import IndexStore

    try:
        manifest, generation = _checked(IndexStore(folder))
    except IndexUnavailable as exc:
        return CollectionInfo(name, str(folder), 0, 0, 0, "", _size(folder), 0.0, [], exc.message)
    if manifest is None or generation is None:
        return CollectionInfo(name, str(folder), 0, 0, 0, "", _size(folder), 0.0, [], "no index")
    return CollectionInfo(
        name,
        str(folder),
        len(manifest.files),
        manifest.passage_count,
        len(manifest.skipped),
        manifest.model,
        _size(generation),
        float(manifest.created),
        list(manifest.folders),
    )


def collections(settings: Settings) -> list[CollectionInfo]:
    return [describe(name, data_dir(settings) / name) for name in names(settings)]


def _size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).stat().st_size
    return total


@dataclass
class SourceStatus:
    source: str
    status: str  # indexed, changed, missing, skipped, new, removed
    passages: int = 0
    reason: str = ""  # why skipped, or what changed

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def source_statuses(folder: Path) -> list[SourceStatus]:
    """Each file an index knows or would find: indexed (as it is), changed or missing since, skipped (and
    why), new in its folders (not indexed yet), or removed (``qa remove``). Stats files; hashes only a file
    whose size or time changed."""
    from qa.documents import DEFAULT_MAX_FILE_BYTES, content_hash, discover, read_file
    from qa.source_files import display_path, same_as_read
    from qa.store import IndexStore, rebuild_advice

    manifest, _generation = _checked(IndexStore(folder))  # a damaged index is said, as qa ask says it (exit 4)
    if manifest is None:
        raise IndexUnavailable(f"no index in {folder}: {rebuild_advice(folder, folders_known=False)}")
    max_bytes = int(manifest.max_file_bytes or DEFAULT_MAX_FILE_BYTES)
    out: list[SourceStatus] = []
    for source, facts in manifest.files.items():
        path = manifest.path_of(source)
        status, why = "indexed", ""
        try:
            info = path.stat()
            if not same_as_read(info, facts):  # size, times (the change time too), not racy
                if content_hash(read_file(path, max_bytes)) != facts.get("sha256"):
                    status, why = "changed", "changed since indexing"
        except FileNotFoundError:
            status, why = "missing", "no longer there"
        except (OSError, ValueError) as exc:
            status, why = "changed", f"cannot read: {getattr(exc, 'strerror', None) or exc}"
        out.append(SourceStatus(source, status, int(facts.get("passage_count", 0)), why))
    for source, facts in manifest.skipped.items():
        out.append(SourceStatus(source, "skipped", 0, str(facts.get("reason", ""))))
    for source in manifest.excluded:
        out.append(SourceStatus(source, "removed", 0, "removed with qa remove"))
    known = set(manifest.files) | set(manifest.skipped) | set(manifest.excluded)
    for folder_name in manifest.folders:
        top, base = Path(folder_name), manifest.base_of(folder_name)
        if not top.exists():
            out.append(SourceStatus(display_path(top, base), "missing", 0, "the indexed folder is gone"))
            continue
        paths, skipped = discover(top, max_bytes)
        for path in paths:
            source = display_path(path, base)
            if source not in known:
                known.add(source)
                out.append(SourceStatus(source, "new", 0, "not indexed yet"))
        for skip in skipped:
            source = display_path(Path(skip.path), base)
            if source not in known:
                known.add(source)
                out.append(SourceStatus(source, "skipped", 0, skip.reason))
    out.sort(key=lambda s: s.source)
    return out
