"""How an indexed file is named (relative to its folder's base) and what the manifest records to tell later
that it changed: its status when read (``read_as_of``, ``same_as_read``), or, for a skipped file, its size and
time (``stat_facts``)."""

from __future__ import annotations

import itertools
import os
import stat
import time
from pathlib import Path

from qa.store import Manifest

# A file whose times are this close to the moment it was read may be edited again within the
# same tick of the file system's clock without its size or times changing: such a file is
# recorded as "racy", and its content is hashed by every later check (as git does).
_RACY_NS = 2_000_000_000


def display_path(path: Path, root: Path) -> str:
    """How a file is named in citations: relative to ``root`` (its indexed folder's base) when inside it."""
    resolved = path.resolve() if not path.is_symlink() else path.absolute()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def naming_bases(folders: list[Path]) -> list[Path]:
    """The folder each of ``folders`` has its files named relative to: its parent, so that a citation reads
    ``docs/notes.txt`` for a folder docs wherever the command ran (a file named alone: by its name). A folder
    inside another one indexed takes the other's (one name a file); two that would give the same names (two
    folders called docs) take the folder all of them are in."""
    tops = [Path(os.path.normpath(Path(f).absolute())) for f in folders]
    bases = []
    for top in tops:
        outer = [other for other in tops if other in top.parents]
        bases.append(min(outer, key=lambda o: len(o.parts)).parent if outer else top.parent)
    named = [top.relative_to(base).parts for top, base in zip(tops, bases, strict=True)]
    for i, j in itertools.combinations(range(len(tops)), 2):
        nested = tops[i] == tops[j] or tops[i] in tops[j].parents or tops[j] in tops[i].parents
        shortest = min(len(named[i]), len(named[j]))
        if not nested and named[i][:shortest] == named[j][:shortest]:
            common = Path(os.path.commonpath([top.parent for top in tops]))
            return [common] * len(tops)
    return bases


def build_bases(folders: list[Path], live: Manifest | None, root: Path | None) -> list[Path]:
    """Where the files of ``folders`` are named from. A refresh keeps the names of the live index (its vectors
    and the citations of its conversations with them): one of the old naming (every file relative to one root,
    no bases) keeps that root, one of folders it already has their bases. Else ``root`` when given, else
    ``naming_bases``."""
    if live is not None and live.root and not live.bases:
        return [Path(live.root)] * len(folders)
    if live is not None and folders and all(str(Path(f).absolute()) in live.bases for f in folders):
        return [live.base_of(f) for f in folders]
    return [root] * len(folders) if root is not None else naming_bases(folders)


def recorded_bases(folders: list[Path], bases: list[Path]) -> tuple[dict[str, str], str]:
    """The manifest's ``bases`` and ``root`` (the folder every base is in, for a reader of the old naming)."""
    absolute = [str(Path(base).absolute()) for base in bases]
    return (
        {str(Path(f).absolute()): base for f, base in zip(folders, absolute, strict=True)},
        os.path.commonpath(absolute) if absolute else "",
    )


def stat_facts(manifest: Manifest, source: str) -> dict:
    """A skipped file's size and modification time as the manifest keeps them (``bytes`` -1 when it is missing
    or not a regular file): is_stale compares them to tell that the file changed since it was skipped."""
    path = manifest.path_of(source)
    try:
        info = path.lstat()
    except OSError:
        return {"bytes": -1, "mtime_ns": 0}
    return {"bytes": info.st_size if stat.S_ISREG(info.st_mode) else -1, "mtime_ns": info.st_mtime_ns}


def read_as_of(status: os.stat_result) -> dict:
    """What a later check compares a file's status with: its times before it was read, and whether
    they were too recent to tell a later edit from it (then its content is compared)."""
    facts = {"mtime_ns": status.st_mtime_ns, "ctime_ns": status.st_ctime_ns}
    if time.time_ns() - max(status.st_mtime_ns, status.st_ctime_ns) < _RACY_NS:
        facts["racy"] = True
    return facts


def same_as_read(status: os.stat_result, facts: dict) -> bool:
    """The file's status is the one it was read with (the change time too: touch -r and cp -p set the
    modification time back, never the change time); a racy record always needs its content compared."""
    return (
        status.st_size == facts.get("bytes")
        and status.st_mtime_ns == facts.get("mtime_ns")
        and status.st_ctime_ns == facts.get("ctime_ns", status.st_ctime_ns)
        and not facts.get("racy")
    )
