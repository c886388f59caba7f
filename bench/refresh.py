"""What a refresh costs: a full build, an unchanged refresh and a one-file-changed refresh, in one run.

    .venv/bin/python bench/refresh.py [--corpus ../shared/eval/corpora/python-tutorial] [--runs 3]

The corpus is copied to a temporary folder. Each step is a real ``qa index``
process (the default models), timed from start to exit, so the figures are
what a person waits:

- full: the first build (every passage embedded);
- unchanged: ``qa index`` again with nothing changed (no model loads, nothing
  is written), and the freshness check ``qa ask`` makes before answering
  (``is_stale``, in process);
- one file changed: a paragraph appended to one file; only that file's
  passages are embedded (the "(N embedded)" of qa's summary line).

Prints a table with each step's ratio to the full build, then one JSON object
as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
CORPUS = ROOT.parent / "shared" / "eval" / "corpora" / "python-tutorial"
_SUMMARY = re.compile(r"(\d+) files?, (\d+) passages? \((\d+) embedded\)")


def qa_index(docs: Path, index: Path, cwd: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(PYTHON), "-m", "qa.cli", "index", str(docs), "--index", str(index)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"qa index failed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
    found = _SUMMARY.search(done.stdout)
    files, passages, embedded = (int(g) for g in found.groups()) if found else (0, 0, -1)
    return elapsed, {
        "files": files,
        "passages": passages,
        "embedded": embedded,
        "reused": done.stdout.count("(unchanged, vectors reused)"),
        "nothing_changed": "(nothing changed)" in done.stdout,
        "lines": done.stdout,
    }


def freshness_check(index: Path, docs: Path) -> float:
    """Seconds the check before `qa ask` takes (in process: the manifest read and a stat per file)."""
    sys.path.insert(0, str(ROOT))
    from qa.indexing import is_stale
    from qa.store import IndexStore

    started = time.perf_counter()
    manifest = IndexStore(index).read_manifest()
    reason = is_stale(manifest, [docs], manifest.model)
    elapsed = time.perf_counter() - started
    if reason is not None:
        sys.exit(f"the index should be fresh, but: {reason}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--runs", type=int, default=3, help="runs of the unchanged refresh (median)")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"no corpus at {args.corpus}")
    with tempfile.TemporaryDirectory(prefix="qa-refresh-") as tmp:
        work = Path(tmp)
        docs = work / "docs"
        shutil.copytree(args.corpus, docs)
        index = work / "idx"
        size = sum(p.stat().st_size for p in docs.rglob("*") if p.is_file())
        print(f"corpus: {args.corpus} ({sum(1 for p in docs.rglob('*') if p.is_file())} files, {size / 1024:.0f} KB)")

        full, full_facts = qa_index(docs, index, work)
        unchanged_runs = [qa_index(docs, index, work) for _ in range(args.runs)]
        unchanged = statistics.median(t for t, _ in unchanged_runs)
        unchanged_facts = unchanged_runs[0][1]
        check = statistics.median(freshness_check(index, docs) for _ in range(args.runs))

        target = sorted(p for p in docs.rglob("*.txt"))[len(list(docs.rglob("*.txt"))) // 2]
        source = target.relative_to(work).as_posix()
        with target.open("a", encoding="utf-8") as handle:
            handle.write("\n\nThis paragraph was added by bench/refresh.py to change one file.\n")
        changed, changed_facts = qa_index(docs, index, work)
        match = re.search(rf"^indexed  {re.escape(source)}: (\d+) passages?", changed_facts["lines"], re.M)
        file_passages = int(match.group(1)) if match else -1

    rows = [
        ("full build", full, f"{full_facts['embedded']} of {full_facts['passages']} passages embedded"),
        (
            "unchanged refresh",
            unchanged,
            f"{unchanged_facts['embedded']} embedded, nothing written: {unchanged_facts['nothing_changed']}",
        ),
        ("freshness check (ask)", check, "manifest read and a stat per file, in process"),
        (
            "one file changed",
            changed,
            f"{changed_facts['embedded']} embedded = {source}'s {file_passages} passages;"
            f" {changed_facts['reused']} files reused",
        ),
    ]
    print(f"{'step':24}  {'seconds':>8}  {'x full':>8}  what")
    for name, seconds, what in rows:
        print(f"{name:24}  {seconds:8.2f}  {seconds / full:8.4f}  {what}")
    print(f"full / unchanged: {full / unchanged:.0f}x; full / one file changed: {full / changed:.1f}x")
    result = {
        "corpus": str(args.corpus),
        "passages": full_facts["passages"],
        "full_s": round(full, 3),
        "unchanged_s": round(unchanged, 3),
        "freshness_check_s": round(check, 4),
        "one_file_changed_s": round(changed, 3),
        "one_file_embedded": changed_facts["embedded"],
        "one_file_passages": file_passages,
        "unchanged_ratio": round(unchanged / full, 4),
        "one_file_ratio": round(changed / full, 4),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
