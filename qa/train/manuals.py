"""Real manuals to generate training questions from: ``python -m qa.train.manuals``.

    python -m qa.train.manuals [--cache DIR] [--list] [--all] [PACKAGE ...]

The manuals are Debian documentation packages, declared below with their
language and, when they overlap a development folder, that folder's name: a
fit that holds a development folder out leaves its packages out too. Each one
is fetched with ``apt-get download`` (the version the archive serves, recorded
in ``manual.json``) and unpacked with ``dpkg-deb -x`` into
``CACHE/manuals/PACKAGE`` (CACHE: ``~/.cache/qa-train``, or the platform's cache
folder), so the questions of a fit can be made again from the same files.
Compressed documents (``x.txt.gz``) are decompressed beside themselves, since
the project's readers read plain files only. A symbolic link of the package that
points outside it (``/usr/share/javascript/...``, installed by another package,
or ``../..`` out of it) or nowhere is removed before anything else is done with
the files, and listed with the reason in ``manual.json`` (``links_skipped``): the
files must be the package's own, and nothing may be written through a link.

Some manuals are held out for good (HELD_OUT): they are kept for evaluating on
folders no fit has seen, and asking for one is refused.
"""

from __future__ import annotations

import argparse
import fnmatch
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError, UsageError

# Never fetched, never generated from: these stay unseen by every fit (evaluation folders to come).
HELD_OUT = ("debian-faq", "debian-faq-fr", "gimp-help-*", "gnucash-docs", "gpredict")

# Development folders (../shared/eval) a manual overlaps: its questions would leak into that folder's score.
PYTHON_TUTORIAL, DEBIAN_REFERENCE, LILYPOND, PDF_MANUALS = (
    "python-tutorial", "debian-reference-fr", "lilypond-fr", "pdf-manuals",
)  # fmt: skip


@dataclass(frozen=True)
class Manual:
    package: str
    language: str  # "en" or "fr": the language of its text
    formats: str  # what it ships that the readers read, for the listing
    folder: str | None = None  # the development folder it overlaps, if any
    default: bool = True  # fetched when no package is named (moderate size: ~80 MB unpacked in all)
    # Files left out after unpacking (globs on the path under the package's root): translations into languages
    # the question templates do not know (whose text the language detection could take for French), and
    # older copies of the same manual.
    drop: tuple[str, ...] = ()


MANUALS = (
    Manual("developers-reference", "en", "html, txt, pdf"),
    Manual("developers-reference-fr", "fr", "html, txt, pdf"),
    Manual("maint-guide", "en", "html, txt, pdf"),
    Manual("maint-guide-fr", "fr", "html, txt, pdf"),
    Manual("debian-policy", "en", "html, txt"),
    Manual(
        "apt-doc", "en", "html, txt (and French)", drop=tuple(f"*.{code}.*" for code in "de es it ja nl pl pt".split())
    ),
    Manual("aptitude-doc-fr", "fr", "html"),
    Manual(
        "harden-doc",
        "en",
        "html (and French)",
        drop=tuple(f"*/html/{code}/*" for code in "de-DE es-ES it-IT ja-JP pt-BR zh-CN".split()),
    ),
    Manual("bash-doc", "en", "html, txt"),
    Manual("git-doc", "en", "html, txt"),
    Manual("python-flask-doc", "en", "html, rst"),
    Manual("ubuntu-packaging-guide-pdf-fr", "fr", "pdf"),
    Manual("debian-edu-doc-fr", "fr", "html, pdf", drop=("*bullseye*",)),
    Manual("debian-reference-en", "en", "html, txt", folder=DEBIAN_REFERENCE),
    # Larger ones, and those that overlap a development folder: fetched only when named.
    Manual("debian-reference-fr", "fr", "html, txt", folder=DEBIAN_REFERENCE, default=False),
    Manual("postgresql-doc-15", "en", "html", default=False),
    Manual("debian-edu-doc-en", "en", "html, pdf", default=False),
    Manual("python3.11-doc", "en", "html, rst", folder=PYTHON_TUTORIAL, default=False),
    Manual("lilypond-doc-html-fr", "fr", "html", folder=LILYPOND, default=False),
    Manual("texlive-latex-base-doc", "en", "pdf", folder=PDF_MANUALS, default=False),
)


def is_held_out(package: str) -> bool:
    return any(fnmatch.fnmatchcase(package, pattern) for pattern in HELD_OUT)


def _check_declared() -> None:
    held = [m.package for m in MANUALS if is_held_out(m.package)]
    if held:  # a slip in the list above must not leak a held-out manual into training
        raise AssertionError(f"held-out packages declared as manuals: {', '.join(held)}")


_check_declared()


def manual(package: str) -> Manual:
    """The declared manual of that name (UsageError for a held-out or undeclared package)."""
    if is_held_out(package):
        raise UsageError(f"{package} is held out for evaluation: no training question may come from it")
    for m in MANUALS:
        if m.package == package:
            return m
    raise UsageError(f"{package} is not a declared manual (see python -m qa.train.manuals --list)")


def manuals_for_fit(left_out: str | None = None, packages=None) -> list[Manual]:
    """The manuals a fit may train on: the default ones (or those named), less those overlapping ``left_out``."""
    chosen = [manual(p) for p in packages] if packages else [m for m in MANUALS if m.default]
    return [m for m in chosen if left_out is None or m.folder != left_out]


def default_cache() -> Path:
    from platformdirs import user_cache_dir  # honours XDG_CACHE_HOME

    return Path(user_cache_dir("qa-train"))


def manual_folder(cache: Path, package: str) -> Path:
    return Path(cache) / "manuals" / package


def fetch(m: Manual, cache: Path, notice=None) -> Path:
    """Download and unpack one manual (once: an unpacked one is kept); the folder it is in. ``notice`` is told
    of the symbolic links left out."""
    folder = manual_folder(cache, m.package)
    if (folder / "manual.json").is_file():
        return folder
    debs = Path(cache) / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    before = set(debs.glob(f"{m.package}_*.deb"))
    _run(["apt-get", "download", m.package], debs, f"cannot download {m.package}")
    found = sorted(set(debs.glob(f"{m.package}_*.deb")) - before) or sorted(debs.glob(f"{m.package}_*.deb"))
    if not found:
        raise QAError(f"apt-get download {m.package} left no .deb in {debs}")
    deb = found[-1]
    # Unpacked beside the final folder, then renamed: an interrupted fetch leaves no half manual behind.
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{m.package}-", dir=folder.parent))
    try:
        _run(["dpkg-deb", "-x", str(deb), str(staging / "root")], debs, f"cannot unpack {deb.name}")
        links_skipped = _skip_links(staging / "root")  # first: what follows reads and writes through no link
        dropped = _drop(staging / "root", m.drop)
        decompressed = _decompress(staging / "root")
        version = deb.name.split("_")[1] if deb.name.count("_") >= 2 else ""
        info = {
            "package": m.package,
            "version": version.replace("%3a", ":"),
            "language": m.language,
            "folder": m.folder,
            "deb": deb.name,
            "decompressed": decompressed,
            "dropped": dropped,
            "links_skipped": links_skipped,
        }
        (staging / "manual.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    if links_skipped and notice:
        notice(
            f"{m.package}: {len(links_skipped)} symbolic link{'s' * (len(links_skipped) != 1)} skipped"
            " (pointing outside the package or nowhere): see manual.json"
        )
    return folder


def _skip_links(root: Path) -> dict[str, str]:
    """Remove the symbolic links under ``root`` that point outside it or nowhere; {relative path: reason}.

    An absolute link names a file of the system it is installed on, not of the package; a relative one may
    climb out of it. Either would read (or, decompressing beside a dangling one, write) a file that is not the
    package's. Links that stay inside and lead to a file or folder there are kept. Nothing is followed while
    walking: a link to a folder is looked at as a link.
    """
    inside = os.path.realpath(root)
    skipped = {}
    for folder, folders, files in os.walk(root):
        for name in sorted(folders + files):
            path = Path(folder) / name
            if not path.is_symlink():
                continue
            target = os.readlink(path)
            resolved = os.path.realpath(path)
            if os.path.commonpath([inside, resolved]) != inside:
                reason = f"points outside the package ({target})"
            elif not os.path.exists(resolved):
                reason = f"points nowhere ({target})"
            else:
                continue
            path.unlink()
            skipped[path.relative_to(root).as_posix()] = reason
        folders[:] = [f for f in folders if (Path(folder) / f).is_dir() and not (Path(folder) / f).is_symlink()]
    return dict(sorted(skipped.items()))


def _drop(root: Path, patterns: tuple[str, ...]) -> int:
    """Remove the files under ``root`` whose relative path matches one of ``patterns``; how many."""
    count = 0
    for path in sorted(root.rglob("*")):
        if (path.is_file() or path.is_symlink()) and any(
            fnmatch.fnmatchcase(path.relative_to(root).as_posix(), p) for p in patterns
        ):
            path.unlink()
            count += 1
    return count


def _decompress(root: Path) -> int:
    """Decompress every regular ``*.gz`` under ``root`` beside itself; how many."""
    count = 0
    for path in sorted(root.rglob("*.gz")):
        if path.is_symlink() or not path.is_file():
            continue
        target = path.with_suffix("")
        if target.exists():
            continue
        try:
            with gzip.open(path) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
        except (OSError, EOFError):
            target.unlink(missing_ok=True)  # a damaged archive: its document is simply not read
            continue
        path.unlink()
        count += 1
    return count


def _run(command: list[str], cwd: Path, what: str) -> None:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise QAError(f"{what}: {command[0]} is not installed (a Debian system is needed)") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise QAError(f"{what}: {lines[-1] if lines else f'{command[0]} exited with {done.returncode}'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.train.manuals", description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", help="manuals to fetch (default: the default ones)")
    parser.add_argument("--cache", type=Path, default=None, help="cache folder (default: ~/.cache/qa-train)")
    parser.add_argument("--all", action="store_true", help="fetch every declared manual, large ones too")
    parser.add_argument("--list", action="store_true", help="list the declared manuals and exit")
    args = parser.parse_args(argv)
    try:
        if args.list:
            for m in MANUALS:
                tags = ", ".join(
                    x for x in (m.folder and f"overlaps {m.folder}", "" if m.default else "on request") if x
                )
                print(f"{m.package:32s} {m.language}  {m.formats:16s} {tags}")
            return 0
        chosen = list(MANUALS) if args.all else manuals_for_fit(packages=args.packages)
        cache = args.cache or default_cache()
        for m in chosen:
            folder = fetch(m, cache, notice=lambda message: print(f"qa: {message}", file=sys.stderr))
            print(f"{m.package}: {folder}", flush=True)
    except QAError as exc:
        print(f"qa: {exc.message}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
