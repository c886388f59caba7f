"""The `qa` commands that build and inspect indexes and collections: index, list, sources, remove."""

from __future__ import annotations

import math
import time
from pathlib import Path

from qa.cli_output import ProgressBar, display, print_json_lines, print_report
from qa.errors import QAError, UsageError
from qa.text import count


def refuse_cluster_index(index_dir: Path) -> None:
    from qa.cluster.layout import is_cluster_index  # imports no Ray

    if is_cluster_index(index_dir):
        raise UsageError(f"{index_dir} holds a cluster index: pass --cluster ADDRESS (or set QA_CLUSTER)")


def cluster_address(args) -> str | None:
    """--cluster, else $QA_CLUSTER for the commands that take --cluster; None: one machine."""
    return getattr(args, "cluster", None) or (args.settings.cluster if hasattr(args, "cluster") else None)


_MAX_FILE_MB = 2**43 - 1  # in bytes, still a 64-bit size (beyond it, reading a file is an OverflowError)


def cmd_index(args) -> int:
    from qa.collections import select_index
    from qa.indexing import build_index
    from qa.store import IndexStore

    settings, models = args.settings, args.models
    index_dir = select_index(args.index, args.collection, settings, creating=True)
    is_default = index_dir.resolve() == settings.default_index.resolve()
    damaged = False
    try:
        manifest = IndexStore(index_dir).read_manifest()
    except QAError:
        manifest, damaged = None, True  # a damaged index is rebuilt from the folders
    # Refreshing an index keeps what it was built from: its folders and its model (and
    # build_index keeps how its files are named).
    if args.folders:
        folders = [Path(f) for f in args.folders]
    elif manifest is not None and manifest.folders:
        folders = [Path(f) for f in manifest.folders]
    elif is_default:
        folders = [settings.default_documents]
    else:
        where = f"--index {index_dir}" if args.index else f"--name {index_dir.name}"
        if damaged:
            raise UsageError(
                f"the index in {index_dir} is damaged and no longer says what it was built from:"
                f" rebuild it with qa index {where} FOLDER..."
            )
        raise UsageError(f"say which folders to index: qa index FOLDER... {where}")
    if args.max_file_mb is not None and not (0 < args.max_file_mb <= _MAX_FILE_MB):
        raise UsageError(f"--max-file-mb must be a positive number of megabytes, at most {_MAX_FILE_MB}")
    if not (args.wait >= 0 and math.isfinite(args.wait)):
        raise UsageError("--wait must be 0 or more seconds")
    model = args.model or settings.model or (manifest.model if manifest is not None else models.default_model)
    max_bytes = None if args.max_file_mb is None else int(args.max_file_mb * 1024 * 1024)
    if not (address := cluster_address(args)):
        refuse_cluster_index(index_dir)
    started = time.monotonic()
    try:
        if address:
            from qa.cluster.build import build_cluster_index

            report = build_cluster_index(
                address,
                folders,
                index_dir,
                model,
                shards=getattr(args, "shards", None),
                max_bytes=max_bytes,
                progress=ProgressBar(),
                wait_seconds=args.wait,
            )
        else:
            report = build_index(
                folders,
                IndexStore(index_dir),
                models.passage_embedder(model, settings=settings),
                models.multilingual_encoder(settings=settings),
                semantic=models.semantic_encoder(settings=settings),
                progress=ProgressBar(),
                max_bytes=max_bytes,
                wait_seconds=args.wait,
                excluded=[] if args.folders else None,  # folders named again: files removed earlier come back
                models=models,
            )
    except QAError as exc:
        if getattr(exc, "report", None) is not None:
            print_report(exc.report)
        raise
    print_report(report)
    where = f" ({count(report.shards, 'shard')} on {count(report.nodes, 'node')})" if address else ""
    print(
        f"{count(len(report.indexed), 'file')}, {count(report.passage_count, 'passage')}"
        f" ({report.embedded_count} embedded), {len(report.skipped)} skipped,"
        f" in {time.monotonic() - started:.1f} s -> {display(str(index_dir))}{where}"
        + (" (nothing changed)" if report.unchanged else "")
    )
    return 0


def cmd_list(args) -> int:
    """``qa list``: the collections in the user data folder."""
    from datetime import UTC, datetime

    from qa.collections import collections, data_dir

    found = collections(args.settings)
    if args.json:
        return print_json_lines(found)
    if not found:
        where = display(str(data_dir(args.settings)))
        print(f"No collections yet: make one with qa index FOLDER --name NAME (kept in {where})")
        return 0
    print(f"{'NAME':20}  {'FILES':>5}  {'PASSAGES':>8}  {'SIZE':>8}  {'REFRESHED':16}  MODEL")
    for item in found:
        when = datetime.fromtimestamp(item.refreshed, UTC).astimezone().strftime("%Y-%m-%d %H:%M")
        when = "-" if item.error else when  # an unreadable index has no date to show
        model = item.model.removeprefix("sentence-transformers/")
        line = f"{display(item.name):20}  {item.files:>5}  {item.passages:>8}  {_size(item.bytes):>8}  {when:16}  "
        print(line + (display(model) if not item.error else f"unreadable: {display(item.error)}"))
    return 0


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def cmd_sources(args) -> int:
    """``qa sources``: each file of an index with its status (indexed, changed, missing, skipped, new, removed)."""
    from qa.collections import select_index, source_statuses

    index_dir = select_index(args.index, args.collection, args.settings)
    statuses = source_statuses(index_dir)
    if args.json:
        return print_json_lines(statuses)
    for item in statuses:
        detail = count(item.passages, "passage") if item.status == "indexed" else item.reason
        print(f"{item.status:8} {display(item.source)}: {display(detail)}")
    tally = {}
    for item in statuses:
        tally[item.status] = tally.get(item.status, 0) + 1
    print(", ".join(f"{n} {status}" for status, n in sorted(tally.items())) + f" -> {display(str(index_dir))}")
    if not (tally.get("indexed") or tally.get("changed") or tally.get("new")) and tally.get("missing"):
        # A build needs a file to read (exit 6 otherwise), so no refresh can follow every file gone.
        print(
            "none of its files is left (an unmounted or emptied folder?): qa ask answers from the index as it was"
            f" built; to drop the index, delete {display(str(index_dir))}"
        )
    elif tally.get("changed") or tally.get("new") or tally.get("missing"):
        print("qa index refreshes it (qa ask does too, before answering)")
    return 0


def cmd_remove(args) -> int:
    """``qa remove PATH...``: drop files (or a folder's files) from an index, atomically."""
    from qa.collections import select_index
    from qa.indexing import remove_sources
    from qa.store import IndexStore

    if not (args.wait >= 0 and math.isfinite(args.wait)):
        raise UsageError("--wait must be 0 or more seconds")
    index_dir = select_index(args.index, args.collection, args.settings)
    report = remove_sources(
        IndexStore(index_dir),
        args.paths,
        multilingual=args.models.multilingual_encoder(settings=args.settings),
        progress=ProgressBar(),
        wait_seconds=args.wait,
    )
    for source in report.removed:
        print(f"removed  {display(source)}")
    print(
        f"{count(len(report.removed), 'file')} removed; {count(len(report.indexed), 'file')},"
        f" {count(report.passage_count, 'passage')} left -> {display(str(index_dir))}"
    )
    return 0
