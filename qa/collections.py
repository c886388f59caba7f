"""Named collections: indexes kept in the user data folder, used from anywhere.

    qa index ~/notes --name notes      # builds ~/.local/share/qa/notes (Linux)
    qa ask -C notes "..."              # or QA_COLLECTION=notes qa ask "..."

The data folder is ``$QA_DATA_DIR`` when set, else platformdirs'
``user_data_dir("qa")``. A collection is an index folder (qa.store) named
after the collection. Which index a command uses: ``--index DIR``, else
``--collection NAME``, else ``$QA_COLLECTION``, else, run from the source
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

from qa.errors import IndexUnavailable, UsageError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def data_dir() -> Path:
    """Where collections live: $QA_DATA_DIR, else the user data folder (~/.local/share/qa on Linux)."""
    override = os.environ.get("QA_DATA_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("qa", appauthor=False))


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name or "") or name.endswith((".db", ".db-wal", ".db-shm")):
        raise UsageError(
            f"{name!r} cannot name a collection: use letters, digits, '.', '_' or '-' (at most 64), e.g. notes"
        )
    return name


def collection_dir(name: str) -> Path:
    return data_dir() / check_name(name)


def names() -> list[str]:
    """The collections in the data folder (folders holding an index), sorted."""
    base = data_dir()
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and _NAME.fullmatch(p.name) and (p / "CURRENT").exists())


def checkout_default() -> tuple[Path, Path] | None:
    """(index, documents) of the source checkout (``index/`` built from ``seeds/``), or None when installed."""
    from qa import api

    return (api.DEFAULT_INDEX, api.DEFAULT_DOCUMENTS) if api.DEFAULT_DOCUMENTS.is_dir() else None


def chosen_name(collection: str | None) -> str | None:
    """``--collection`` else ``$QA_COLLECTION`` (empty: none)."""
    return collection or os.environ.get("QA_COLLECTION") or None


def select_index(index: str | None, collection: str | None, creating: bool = False) -> Path:
    """The index folder a command uses.

    ``creating`` (qa index): a named collection need not exist yet. Otherwise a
    collection that does not exist, or no choice at all outside the checkout,
    is IndexUnavailable with one line saying how to make one.
    """
    name = chosen_name(collection)
    if index and collection:
        raise UsageError("--index and --collection name two indexes: give one")
    if index:
        return Path(index)
    if name:
        folder = collection_dir(name)
        if not creating and not (folder / "CURRENT").exists():
            known = names()
            raise IndexUnavailable(
                f"no collection {name!r} in {data_dir()}: make it with `qa index FOLDER --name {name}`"
                + (f" (collections: {', '.join(known)})" if known else "")
            )
        return folder
    default = checkout_default()
    if default is not None:
        return default[0]
    known = names()
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


def describe(name: str, folder: Path) -> CollectionInfo:
    from qa.store import IndexStore

    store = IndexStore(folder)
    try:
        manifest = store.read_manifest()
        generation = store.live_generation()
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


def collections() -> list[CollectionInfo]:
    return [describe(name, data_dir() / name) for name in names()]


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
    from qa.indexing import display_path, same_as_read
    from qa.store import IndexStore, rebuild_advice

    manifest = IndexStore(folder).read_manifest()
    if manifest is None:
        raise IndexUnavailable(f"no index in {folder}: {rebuild_advice(folder)}")
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
