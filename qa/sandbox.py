"""PDF, HTML and DOCX files are extracted in a worker process held to limits per file.

A file within the size limit can still ask for unbounded work: a compressed PDF
content stream that PDFium expands to gigabytes (and then aborts the whole
process from native code), a DOCX zipped down from millions of empty
paragraphs, an HTML tag with so many attributes that the parser takes minutes.
So the libraries read each such file in one long-lived worker
(``python -m qa.sandbox``) that runs under an address-space limit and a
processor-time limit per file (``resource``), while the caller waits at most a
wall-clock time per file. Where there is no ``resource`` module (not a Unix),
the worker reads without those two limits, held to the wall-clock time alone. A file that runs past a limit, or kills the worker, is
skipped with its reason (``formats.ExtractionError``) and a new worker reads the
next file: the build goes on and the caller never dies. The limits are in
``qa.tuning`` (``EXTRACT_*``).

Nothing is pickled. A request is a JSON header (the format and the limits) and
the file's bytes; the answer is JSON text of the extracted document (plain
strings, numbers, lists) or of the reason it was refused, each framed by its
length on the worker's stdin and stdout.

The worker is started once and reused (about 0.2 s to start, then a pipe round
trip per file), so the cost per file is the copy of its bytes and of the JSON
answer, about a millisecond on real files (bench/extraction.py, bench/README.md).
A worker that ran past a limit is replaced for the next file.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from qa import tuning
from qa.formats.extracted import Extracted, ExtractionError
from qa.text_blocks import Block

_HEADER = struct.Struct(">IQ")  # request: JSON header length, data length
_REPLY = struct.Struct(">Q")  # answer: JSON length
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


def extract(data: bytes, fmt: str, limits: Mapping[str, float] | None = None) -> Extracted:
    """``formats.extract`` run in the worker, within the limits of ``qa.tuning`` (ExtractionError otherwise);
    ``limits``: values of some of them (names of LIMITS) for this file instead."""
    global _worker
    with _lock:
        if _worker is None or not _worker.usable():  # not started, or ended by the last file
            _worker = _Worker()
        return _worker.extract(data, fmt, limits)


_lock = threading.Lock()
_worker: _Worker | None = None


# The limits a request carries: the worker reads with the caller's values, which may have changed since it started.
LIMITS = (
    "EXTRACT_MEMORY_MB",
    "EXTRACT_CPU_SECONDS",
    "EXTRACT_WALL_SECONDS",
    "DOCX_UNZIPPED_MB",
    "DOCX_XML_ELEMENTS",
    "HTML_ATTRIBUTES_PER_TAG",
)


def _limits(given: Mapping[str, float] | None = None) -> dict:
    limits = {name: getattr(tuning, name) for name in LIMITS}
    if given:
        unknown = set(given) - set(LIMITS)
        if unknown:
            raise ValueError(f"not limits of the reading worker: {sorted(unknown)}")
        limits.update(given)
    return limits


class _Worker:
    def __init__(self) -> None:
        env = dict(os.environ)
        # The worker imports this copy of qa, whichever way the caller found it.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_PARENT, env.get("PYTHONPATH", "")) if p)
        self.process = subprocess.Popen(
            # -P: not the working folder first on sys.path, where a folder named qa/ (a project's own)
            # would be imported instead of this package, and run.
            [sys.executable, "-P", "-m", "qa.sandbox"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # native libraries' warnings must not reach the terminal
            env=env,
            close_fds=True,
        )
        self.owner = os.getpid()
        atexit.register(self.close)

    def usable(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def extract(self, data: bytes, fmt: str, limits: Mapping[str, float] | None = None) -> Extracted:
        limits = _limits(limits)
        header = json.dumps({"format": fmt, "limits": limits}).encode()
        deadline = time.monotonic() + limits["EXTRACT_WALL_SECONDS"]
        try:
            self.process.stdin.write(_HEADER.pack(len(header), len(data)) + header)
            self.process.stdin.write(data)
            self.process.stdin.flush()
            reply = self._read_reply(deadline)
        except TimeoutError:
            self.close(kill=True)
            raise ExtractionError(
                f"took longer than {limits['EXTRACT_WALL_SECONDS']:g} s to read (the limit per file)"
            ) from None
        except (BrokenPipeError, EOFError, OSError):
            raise ExtractionError(self._death_reason(fmt, limits)) from None
        except BaseException:  # Ctrl-C while it reads: its late answer must not be taken for the next file's
            self.close(kill=True)
            raise
        answer = json.loads(reply)
        if "error" in answer:
            raise ExtractionError(answer["error"])
        return _from_json(answer)

    def _read_reply(self, deadline: float) -> bytes:
        fd = self.process.stdout.fileno()
        received = bytearray()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                if len(received) >= _REPLY.size:
                    end = _REPLY.size + _REPLY.unpack_from(received)[0]
                    if len(received) >= end:
                        return bytes(received[_REPLY.size : end])
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                if not selector.select(left):
                    continue
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise EOFError
                received += chunk

    def _death_reason(self, fmt: str, limits: dict) -> str:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.close(kill=True)
            code = -signal.SIGKILL
        cpu_signal = getattr(signal, "SIGXCPU", None)  # none where there is no processor-time limit to run past
        if cpu_signal is not None and code == -cpu_signal:
            return f"took more than {limits['EXTRACT_CPU_SECONDS']:g} s of processor time to read (the limit per file)"
        try:
            how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        except ValueError:
            how = f"signal {-code}"
        if _resource_module() is None:  # the worker had no memory limit to run past
            return f"the {fmt.upper()} reader stopped on it ({how}): damaged, or too large to read"
        return (
            f"the {fmt.upper()} reader stopped on it ({how}): too large to read within "
            f"{limits['EXTRACT_MEMORY_MB']:g} MB of memory, or damaged"
        )

    def close(self, kill: bool = False) -> None:
        if self.owner != os.getpid():
            return
        atexit.unregister(self.close)
        if self.process.poll() is not None:
            return
        if kill:
            self.process.kill()
        else:
            try:
                self.process.stdin.close()  # the worker ends at the end of its input
            except OSError:
                pass
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _to_json(extracted: Extracted) -> dict:
    return {
        "text": extracted.text,
        "format": extracted.format,
        "blocks": None
        if extracted.blocks is None
        else [[b.kind, b.start, b.end, b.clean, b.level] for b in extracted.blocks],
        "locators": [[start, locator] for start, locator in extracted.locators],
        "pages": [[start, end] for start, end in extracted.pages],
    }


def _from_json(answer: dict) -> Extracted:
    blocks = answer["blocks"]
    return Extracted(
        text=answer["text"],
        format=answer["format"],
        blocks=None if blocks is None else [Block(*b) for b in blocks],
        locators=[(start, locator) for start, locator in answer["locators"]],
        pages=[(start, end) for start, end in answer["pages"]],
    )


# -- the worker ----------------------------------------------------------------------


def _read_exactly(stream, n: int) -> bytes:
    data = stream.read(n)
    if len(data) < n:
        raise EOFError
    return data


def _extract_here(data: bytes, fmt: str) -> dict:
    from qa import formats

    memory_mb = tuning.EXTRACT_MEMORY_MB
    try:
        return _to_json(formats.extract(data, fmt))
    except ExtractionError as exc:
        return {"error": str(exc)}
    except MemoryError:
        return {"error": f"too large to read within {memory_mb:g} MB of memory"}
    except RecursionError:
        return {"error": f"too complex to read as {fmt.upper()}"}
    except Exception as exc:  # a damaged file can make a parser fail in its own way
        return {"error": f"not a readable {fmt.upper()} file ({exc.__class__.__name__})"}


def _resource_module():
    """The ``resource`` module, or None on a system that has none (not a Unix): the memory and processor-time
    limits are then not set, and the caller's wall-clock limit per file is the only one (better a file read
    without them than none read at all)."""
    try:
        import resource
    except ImportError:
        return None
    return resource


def _limit(resource, kind: int, value: int) -> None:
    """Lower the soft limit to ``value``, or to the hard limit the worker inherited (``ulimit``) if lower."""
    hard = resource.getrlimit(kind)[1]
    resource.setrlimit(kind, (value if hard == resource.RLIM_INFINITY else min(value, hard), hard))


def serve() -> None:
    """Answer requests on stdin until it ends, each under the limits it names (those the system can set)."""
    resource = _resource_module()
    # Each reader is imported when a file first needs it (a folder of PDFs never loads python-docx).
    # Ctrl-C is the caller's to handle: it must not end the worker in the middle of a file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # whatever a library prints cannot break the answers
    while True:
        try:
            header_length, data_length = _HEADER.unpack(_read_exactly(requests, _HEADER.size))
            header = json.loads(_read_exactly(requests, header_length))
            data = _read_exactly(requests, data_length)
        except EOFError:
            return
        for name in LIMITS:
            setattr(tuning, name, header["limits"][name])
        if resource is not None:
            _limit(resource, resource.RLIMIT_AS, int(tuning.EXTRACT_MEMORY_MB * 1024 * 1024))
            # Processor time counts over the worker's life: this file may use this much more.
            used = resource.getrusage(resource.RUSAGE_SELF)
            cpu_seconds = math.ceil(used.ru_utime + used.ru_stime + tuning.EXTRACT_CPU_SECONDS)
            _limit(resource, resource.RLIMIT_CPU, cpu_seconds)
        answer = _extract_here(data, header["format"])
        del data
        try:
            reply = json.dumps(answer).encode()
        except MemoryError:
            reply = json.dumps(
                {"error": f"too large to read within {tuning.EXTRACT_MEMORY_MB:g} MB of memory"}
            ).encode()
        replies.write(_REPLY.pack(len(reply)) + reply)
        replies.flush()


if __name__ == "__main__":
    serve()
