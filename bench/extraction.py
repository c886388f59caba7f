"""What reading PDF, HTML and DOCX files in the limited worker (qa.sandbox) costs, per file.

    .venv/bin/python bench/extraction.py FILE... [--repeat 5]

For each file: the median time of ``formats.extract`` in this process and of ``sandbox.extract``
(the same work in the worker, plus the copy of the bytes there and of the JSON answer back), and
once the time to start the worker. Passages are compared too: both ways must give the same.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from qa import formats, sandbox
from qa.documents import document_passages


def _median_seconds(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    sandbox.extract(b"<p>Start the worker.</p>", formats.HTML)
    start_seconds = time.perf_counter() - started
    print(f"worker start and first file: {start_seconds * 1000:.0f} ms")
    rows = []
    for path in args.files:
        data = path.read_bytes()
        fmt = formats.format_of(path)
        here = _median_seconds(lambda: formats.extract(data, fmt), args.repeat)  # noqa: B023
        worker = _median_seconds(lambda: sandbox.extract(data, fmt), args.repeat)  # noqa: B023
        same = document_passages(formats.extract(data, fmt), "x") == document_passages(sandbox.extract(data, fmt), "x")
        rows.append(
            {
                "file": path.name,
                "bytes": len(data),
                "in_process_ms": here * 1000,
                "worker_ms": worker * 1000,
                "same": same,
            }
        )
        print(
            f"{path.name}: {len(data) / 1024:.0f} KB, in process {here * 1000:.1f} ms, in the worker "
            f"{worker * 1000:.1f} ms (+{(worker - here) * 1000:.1f} ms), same passages: {same}"
        )
    print(json.dumps({"worker_start_ms": start_seconds * 1000, "files": rows}))


if __name__ == "__main__":
    main()
