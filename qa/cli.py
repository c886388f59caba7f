"""The `qa` command: index, ask, chat, eval. A thin shell over qa.api."""

from __future__ import annotations

import argparse
import errno
import importlib.metadata
import json
import math
import os
import sys
import time
from pathlib import Path

import shtab

from qa import completion
from qa.config import Settings
from qa.errors import QAError, UsageError
from qa.text import UNSAFE_CHARACTERS, count, terminal_safe

# Set before anything imports huggingface_hub: the model never comes from the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _display(text: str) -> str:
    """Text from documents, safe for a terminal: control characters shown, never executed.

    Markup such as ``[bold]`` needs nothing: the CLI prints plain text.
    """
    # A passage hard-wrapped over several lines reads as one line here (qa.text.terminal_safe).
    return terminal_safe(text)


def _json_line(data: dict) -> str:
    """JSON on one line, readable (non-ASCII kept) but terminal-safe: unsafe characters as \\u escapes."""
    return UNSAFE_CHARACTERS.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False))


def _print_json_lines(items) -> int:
    """A listing under --json: one object a line (each item's ``to_dict``)."""
    for item in items:
        print(_json_line(item.to_dict()))
    return 0


def _notice(message: str) -> None:
    print(f"qa: {_display(message)}", file=sys.stderr, flush=True)


def _error(message: str, code: int, as_json: bool = False) -> None:
    """One line: ``qa: <message>`` on stderr, or under --json ``{"error": ..., "code": N}`` on stdout."""
    if as_json:
        print(_json_line({"error": message, "code": code}), flush=True)
    else:
        _notice(message)


class _OutputFailed(QAError):
    """Standard output cannot be written (a full disk, a device error): said on stderr, never as a traceback."""


class _GuardedOutput:
    """Standard output, whose write failures become _OutputFailed (a closed pipe stays BrokenPipeError)."""

    def __init__(self, stream):
        self._stream = stream

    def _guard(self, method, *args):
        try:
            return method(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            reason = exc.strerror or errno.errorcode.get(exc.errno or 0, type(exc).__name__)
            raise _OutputFailed(f"cannot write the output: {reason}") from None

    def write(self, text):
        return self._guard(self._stream.write, text)

    def flush(self):
        return self._guard(self._stream.flush)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _drop_pending_output() -> None:
    """Point the real stdout at /dev/null, so that Python's own flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _is_terminal(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


class _ProgressBar:
    """One line on stderr per stage, redrawn in place on a terminal."""

    def __init__(self, stream=None):
        self.stream = stream = stream or sys.stderr
        self.tty = _is_terminal(stream)
        self._last: tuple[str, float] = ("", 0.0)
        self._began: tuple[str, float] = ("", 0.0)  # the stage drawn and when it began

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if stage != self._began[0]:
            self._began = (stage, now)
        if done == 0 and not self.tty:
            return  # a stage starting is news on a terminal only (a log gets its progress and its end)
        if not finished and stage == self._last[0] and now - self._last[1] < (0.1 if self.tty else 2.0):
            return
        self._last = (stage, now)
        width = 30
        filled = int(width * done / max(total, 1))
        line = f"{stage:22s} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        elapsed = now - self._began[1]
        if stage == "indexing passages" and done and elapsed >= 1.0:  # the whole build's line (qa.indexing)
            line += f"  {done / elapsed:.1f} passages/s"
        if 0 < done < total and elapsed >= 1.0:
            line += f"  about {math.ceil(elapsed * (total - done) / done)} s left"
        elif self.tty:
            line += " " * 20  # clears an estimate drawn before
        if self.tty:
            self.stream.write("\r" + line + ("\n" if finished else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _engine(args):
    from qa.api import Engine
    from qa.collections import select_index

    settings = args.settings
    index_dir = select_index(args.index, getattr(args, "collection", None), settings)
    if address := _cluster_address(args):
        from qa.cluster import cluster_loader  # Ray is imported only here, for --cluster / QA_CLUSTER

        loader = cluster_loader(address, settings.cluster_timeout)
        return Engine(index_dir=index_dir, model=args.model, loader=loader, settings=settings)
    _not_a_cluster_index(index_dir)
    return Engine(index_dir=index_dir, model=args.model, settings=settings)


def _not_a_cluster_index(index_dir: Path) -> None:
    from qa.cluster import is_cluster_index  # imports no Ray

    if is_cluster_index(index_dir):
        raise UsageError(f"{index_dir} holds a cluster index: pass --cluster ADDRESS (or set QA_CLUSTER)")


def _cluster_address(args) -> str | None:
    """--cluster, else $QA_CLUSTER for the commands that take --cluster; None: one machine."""
    return getattr(args, "cluster", None) or (args.settings.cluster if hasattr(args, "cluster") else None)


_MAX_FILE_MB = 2**43 - 1  # in bytes, still a 64-bit size (beyond it, reading a file is an OverflowError)


def cmd_index(args) -> int:
    from qa.api import DEFAULT_DOCUMENTS, DEFAULT_INDEX
    from qa.collections import select_index
    from qa.crosslingual import MultilingualEncoder
    from qa.embedding import SentenceTransformerEmbedder, model_name
    from qa.indexing import build_index
    from qa.store import IndexStore

    settings = args.settings
    index_dir = select_index(args.index, args.collection, settings, creating=True)
    is_default = index_dir.resolve() == DEFAULT_INDEX.resolve()
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
        folders = [DEFAULT_DOCUMENTS]
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
    model = args.model or settings.model or (manifest.model if manifest is not None else model_name())
    if not (address := _cluster_address(args)):
        _not_a_cluster_index(index_dir)
    else:
        from qa.cluster import index_command

        max_bytes = None if args.max_file_mb is None else int(args.max_file_mb * 1024 * 1024)
        return index_command(address, folders, index_dir, model, max_bytes, args, _ProgressBar(), _print_report)
    embedder = SentenceTransformerEmbedder(model, settings=settings)
    started = time.monotonic()
    try:
        report = build_index(
            folders,
            IndexStore(index_dir),
            embedder,
            MultilingualEncoder(settings=settings),
            progress=_ProgressBar(),
            max_bytes=None if args.max_file_mb is None else int(args.max_file_mb * 1024 * 1024),
            wait_seconds=args.wait,
            excluded=[] if args.folders else None,  # folders named again: files removed earlier come back
        )
    except QAError as exc:
        if getattr(exc, "report", None) is not None:
            _print_report(exc.report)
        raise
    _print_report(report)
    print(
        f"{count(len(report.indexed), 'file')}, {count(report.passage_count, 'passage')}"
        f" ({report.embedded_count} embedded), {len(report.skipped)} skipped,"
        f" in {time.monotonic() - started:.1f} s -> {_display(str(index_dir))}"
        + (" (nothing changed)" if getattr(report, "unchanged", False) else "")
    )
    return 0


def cmd_list(args) -> int:
    """``qa list``: the collections in the user data folder."""
    from datetime import UTC, datetime

    from qa.collections import collections, data_dir

    found = collections(args.settings)
    if args.json:
        return _print_json_lines(found)
    if not found:
        where = _display(str(data_dir(args.settings)))
        print(f"No collections yet: make one with qa index FOLDER --name NAME (kept in {where})")
        return 0
    print(f"{'NAME':20}  {'FILES':>5}  {'PASSAGES':>8}  {'SIZE':>8}  {'REFRESHED':16}  MODEL")
    for item in found:
        when = datetime.fromtimestamp(item.refreshed, UTC).astimezone().strftime("%Y-%m-%d %H:%M")
        when = "-" if item.error else when  # an unreadable index has no date to show
        model = item.model.removeprefix("sentence-transformers/")
        line = f"{_display(item.name):20}  {item.files:>5}  {item.passages:>8}  {_size(item.bytes):>8}  {when:16}  "
        print(line + (_display(model) if not item.error else f"unreadable: {_display(item.error)}"))
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
        return _print_json_lines(statuses)
    for item in statuses:
        detail = count(item.passages, "passage") if item.status == "indexed" else item.reason
        print(f"{item.status:8} {_display(item.source)}: {_display(detail)}")
    tally = {}
    for item in statuses:
        tally[item.status] = tally.get(item.status, 0) + 1
    print(", ".join(f"{n} {status}" for status, n in sorted(tally.items())) + f" -> {_display(str(index_dir))}")
    if not (tally.get("indexed") or tally.get("changed") or tally.get("new")) and tally.get("missing"):
        # A build needs a file to read (exit 6 otherwise), so no refresh can follow every file gone.
        print(
            "none of its files is left (an unmounted or emptied folder?): qa ask answers from the index as it was"
            f" built; to drop the index, delete {_display(str(index_dir))}"
        )
    elif tally.get("changed") or tally.get("new") or tally.get("missing"):
        print("qa index refreshes it (qa ask does too, before answering)")
    return 0


def cmd_remove(args) -> int:
    """``qa remove PATH...``: drop files (or a folder's files) from an index, atomically."""
    from qa.collections import select_index
    from qa.crosslingual import MultilingualEncoder
    from qa.indexing import remove_sources
    from qa.store import IndexStore

    if not (args.wait >= 0 and math.isfinite(args.wait)):
        raise UsageError("--wait must be 0 or more seconds")
    index_dir = select_index(args.index, args.collection, args.settings)
    report = remove_sources(
        IndexStore(index_dir),
        args.paths,
        multilingual=MultilingualEncoder(settings=args.settings),
        progress=_ProgressBar(),
        wait_seconds=args.wait,
    )
    for source in report.removed:
        print(f"removed  {_display(source)}")
    print(
        f"{count(len(report.removed), 'file')} removed; {count(len(report.indexed), 'file')},"
        f" {count(report.passage_count, 'passage')} left -> {_display(str(index_dir))}"
    )
    return 0


def _print_report(report) -> None:
    """One line per file: indexed (with its passage count) or skipped (with the reason)."""
    for source, passages in report.indexed:
        note = " (unchanged, vectors reused)" if source in report.reused else ""
        print(f"indexed  {_display(source)}: {count(passages, 'passage')}{note}")
    for skipped in report.skipped:
        print(f"skipped  {_display(skipped.path)}: {_display(skipped.reason)}")
    sys.stdout.flush()


def _print_answer(answer, where=None, hyperlinks: bool | None = None) -> None:
    """The answer and its citations; ``where`` (the engine) finds the cited files, for columns and links;
    ``hyperlinks``: Settings.hyperlinks (QA_HYPERLINKS)."""
    if answer.abstained:
        print("The documents don't say: no passage answers this question.")
        if answer.nearest:
            # Where to look all the same, marked so that no one takes them for an answer.
            print()
            print("Nearest passages (not an answer):")
            _print_citations(answer.nearest, where, hyperlinks)
        return
    print(_display(answer.answer))
    if answer.searched_question and answer.searched_question != answer.question:
        print(f"(searched: {_display(answer.searched_question)})")
    print()
    _print_citations(answer.citations, where, hyperlinks)


def _print_citations(citations, where=None, hyperlinks: bool | None = None) -> None:
    from qa.citations import citation_ref, labels, source_path

    links = where is not None and _hyperlinks(hyperlinks)
    # file:line, as qa show reads it; file:line:column where two passages of one line would read the same.
    names = labels(citations, where) if where is not None else [citation_ref(c) for c in citations]
    for c, name in zip(citations, names, strict=True):
        label = _display(name)
        print(f"[{c.n}] {_hyperlink(label, source_path(c.source, where)) if links else label}")
        print(f"    {_display(c.text)}")


def _hyperlinks(wanted: bool | None) -> bool:
    """Whether citations are OSC 8 hyperlinks: ``wanted`` (QA_HYPERLINKS=1 on, 0 off), else on a terminal that is
    not known to show them as text. $TERM is the terminal's own variable, not an option of qa: read here, with
    the output stream it describes."""
    if wanted is not None:
        return wanted
    return _is_terminal(sys.stdout) and os.environ.get("TERM", "") not in ("", "dumb", "linux")


def _hyperlink(label: str, path: Path | None) -> str:
    """``label`` linked to the file (OSC 8), if it is there; its URI percent-encoded, so no control character."""
    try:
        if path is None or not path.is_file():
            return label
        uri = path.resolve().as_uri()
    except (OSError, ValueError):
        return label
    return f"\x1b]8;;{uri}\x1b\\{label}\x1b]8;;\x1b\\"


def _questions_from_stdin():
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="surrogateescape")  # undecodable bytes are dropped by clean_question
    for line in sys.stdin:
        if line.strip():
            yield line.rstrip("\r\n")


def cmd_ask(args) -> int:
    from itertools import chain

    from qa.api import clean_question

    if args.question in (None, "-") and sys.stdin is None:  # started with stdin closed (<&-)
        raise UsageError("no question: give one, or pipe questions in (standard input is closed)")
    engine = _engine(args)
    llm = _llm_settings(args)
    if args.question is None or args.question == "-":  # one question per line of stdin (none: main saw no terminal)
        questions = _questions_from_stdin()
        # Read before anything loads: nothing to ask (an empty stdin, blank lines only) is a usage error.
        first_question = next(questions, None)
        if first_question is None:
            raise UsageError("no question on standard input: pipe one question per line, or give one as an argument")
        log = _AskLog(args, engine)
        engine.prepare(notice=_notice, progress=_ProgressBar())
        first = True
        for question in chain([first_question], questions):
            try:
                answer = log.answer(engine, question, args.top_k, llm)
            except UsageError as exc:
                _error(exc.message, exc.exit_code, as_json=args.json)
                continue
            if not (first or args.json):
                print()  # a blank line between plain answers
            first = False
            _emit(*answer, as_json=args.json, where=engine, hyperlinks=args.settings.hyperlinks)
            log.keep(*answer)
        return 0
    log = _AskLog(args, engine)
    clean_question(args.question)  # an empty question is refused before any loading
    engine.prepare(notice=_notice, progress=_ProgressBar())
    answer = log.answer(engine, args.question, args.top_k, llm)
    _emit(*answer, as_json=args.json, where=engine, hyperlinks=args.settings.hyperlinks)
    log.keep(*answer)
    return 0


class _AskLog:
    """The conversation a `qa ask` run belongs to: a new one, or the one continued (--continue, --conversation),
    whose earlier searched questions resolve the follow-ups. Each answer is logged to it (not with --no-log);
    a history that cannot be written is one notice, and the answers go on."""

    def __init__(self, args, engine):
        from qa.conversation import Conversation
        from qa.history import History, HistoryUnavailable

        self.logging = not args.no_log
        self.index_path = str(Path(engine.index_dir).resolve())
        self.conversation_id: int | None = None
        self.follow_ups: Conversation | None = None  # None: questions are searched as asked
        wanted = self.logging or args.continue_ or args.conversation is not None
        self.history = History(args.settings.history_path) if wanted else None
        self._started = 0.0
        self._searched = ""
        if self.history is None:
            return
        try:
            if args.conversation is not None:
                self.conversation_id = self.history.conversation(args.conversation).id  # UsageError if none
            elif args.continue_:
                self.conversation_id = self.history.latest()
                if self.conversation_id is None:
                    _notice("no earlier conversation to continue: this question starts one")
            if self.conversation_id is not None:
                self.follow_ups = Conversation(self.history.searched_questions(self.conversation_id))
        except HistoryUnavailable as exc:
            _notice(f"{exc.message}; answering without it")
            self.history, self.conversation_id = None, None

    def answer(self, engine, question: str, top_k: int, llm):
        """(answer, llm notice) for ``question``, resolved against the conversation's earlier questions."""
        from qa.api import clean_question

        searched = None
        if self.follow_ups is not None:
            cleaned = clean_question(question)
            resolved = self.follow_ups.resolve(cleaned)
            self.follow_ups.add(resolved)
            searched = resolved if resolved != cleaned else None
        self._started = time.monotonic()
        answer = engine.answer(question, top_k=top_k, searched_question=searched, notice=_notice)
        result = _with_llm(answer, llm)
        self._searched = searched or answer.searched_question
        return result

    def keep(self, answer, llm_notice=None) -> None:
        """Log an answer shown (after it is printed: a slow or failing disk never holds it back)."""
        if not self.logging or self.history is None:
            return
        from qa.history import HistoryUnavailable, elapsed_ms

        timing = elapsed_ms(self._started)
        try:
            if self.conversation_id is None:
                self.conversation_id = self.history.new_conversation(self.index_path)
            self.history.log(self.conversation_id, answer, self._searched, timing, self.index_path)
        except HistoryUnavailable as exc:
            _notice(f"{exc.message}; the answers are not kept (--no-log turns this off)")
            self.history = None


def _llm_settings(args):
    """LLM settings from --llm-url/--llm-model, else QA_LLM_URL/QA_LLM_MODEL (and QA_LLM_API_KEY); None if unset."""
    from qa.llm import LLMSettings

    if not (args.llm_timeout > 0 and math.isfinite(args.llm_timeout)):
        raise UsageError("--llm-timeout must be a positive number of seconds")
    return LLMSettings.from_settings(args.settings, url=args.llm_url, model=args.llm_model, timeout=args.llm_timeout)


def _with_llm(answer, llm):
    """The generated answer if it passes verification, else ``answer``; and the one-line reason why not."""
    if llm is None:
        return answer, None
    from qa.llm import generate_answer

    result = generate_answer(answer, llm)
    if result.notice:
        _notice(result.notice)
    return result.answer, result.notice


def _emit(answer, llm_notice: str | None = None, as_json: bool = False, where=None, hyperlinks=None) -> None:
    if as_json:
        data = answer.to_dict()
        if llm_notice:
            data["llm_notice"] = llm_notice
        print(_json_line(data), flush=True)
    else:
        _print_answer(answer, where, hyperlinks)
        if getattr(answer, "answered_by", "") == "llm":
            print("(generated by the LLM; its dates, numbers and names checked against the cited passages)")


def cmd_eval(args) -> int:
    from qa.evaluation import calibration_error, judge, load_questions, report, right_answer, summarize

    questions = load_questions(Path(args.questions))
    engine = _engine(args)
    engine.prepare(notice=_notice, progress=_ProgressBar())
    rows = []
    for item in questions:
        answer = engine.answer(item["question"], top_k=args.top_k).to_dict()
        ok, why = judge(item, answer)
        rows.append(
            {
                "id": item.get("id", ""),
                "lang": item.get("lang"),
                "answerable": item.get("answerable", True),
                "ok": ok,
                "why": why,
                "confidence": answer.get("confidence", 0.0),
                "right": right_answer(item, answer),
            }
        )
    summary = summarize(rows)
    if args.json:
        error, measured = calibration_error(rows)
        calibration = {"expected_calibration_error": round(error, 4), "questions": measured}
        print(_json_line({"summary": summary, "calibration": calibration, "rows": rows}))
    else:
        print(report(rows, summary))
    return 0


def cmd_chat(args) -> int:
    # Checked before anything loads: a chat in a pipe would wait for keys and write escape codes.
    if not (_is_terminal(sys.stdin) and _is_terminal(sys.stdout)):
        raise UsageError("chat needs a terminal; use qa ask")
    llm = _llm_settings(args)
    engine = _engine(args)
    _check_index(engine)
    from qa.tui.app import run

    watched = _WatchedEngine(engine)
    status = run(watched, llm=llm, settings=args.settings, **_chat_history(args))
    if status == 0 and watched.error is not None:
        raise watched.error  # the chat showed it; the exit status says it too
    return status


def _chat_history(args) -> dict:
    """What the chat is told of the history, beyond its default (every answer kept in the default history):
    ``keep=False`` with --no-log, and the ``conversation_id`` to reopen."""
    options = {} if not args.no_log else {"keep": False}
    if not (args.continue_ or args.conversation is not None):
        return options
    from qa.history import History, HistoryUnavailable

    history = History(args.settings.history_path)
    try:
        if args.conversation is not None:
            return {**options, "conversation_id": history.conversation(args.conversation).id}  # UsageError if none
        latest = history.latest()
    except HistoryUnavailable as exc:
        _notice(f"{exc.message}; the chat starts afresh")
        return options
    if latest is None:
        _notice("no earlier conversation to continue: the chat starts afresh")
        return options
    return {**options, "conversation_id": latest}


def _check_index(engine) -> None:
    """Before the chat opens, the failures that need no model: no index (and nothing to build it from), or an
    unreadable one. The default index is the chat's to build from seeds/, with its progress shown."""
    if engine.is_default_index:
        return
    from qa.store import IndexStore

    if IndexStore(engine.index_dir).read_manifest() is None:  # raises IndexUnavailable when unreadable
        engine.prepare(notice=_notice)  # no index and no folder to build one from: fails before loading a model


class _WatchedEngine:
    """The engine as the chat uses it, remembering why loading failed."""

    def __init__(self, engine):
        self._engine = engine
        self.error: QAError | None = None

    def prepare(self, *args, **kwargs):
        try:
            return self._engine.prepare(*args, **kwargs)
        except QAError as exc:
            self.error = exc
            raise
        except Exception as exc:
            self.error = QAError(f"could not load the engine ({type(exc).__name__}: {exc})")
            raise

    def __getattr__(self, name):
        return getattr(self._engine, name)


def cmd_history(args) -> int:
    """``qa history``: the conversations kept by qa ask and qa chat, listed, searched, shown or exported."""
    from qa.history import History, local_time

    history = History(args.settings.history_path)
    as_json = getattr(args, "json", False)
    if args.action == "search":
        found = history.search(args.text, limit=args.limit or None)
        for exchange in found:
            if as_json:
                print(_json_line(exchange.to_dict()))
            else:
                answer = "(the documents don't say)" if exchange.abstained else exchange.answer
                print(f"{exchange.conversation_id:>4}  {local_time(exchange.time)}  {_display(exchange.question)}")
                print(f"      {_display(_shortened(answer, 150))}")
        if not found and not as_json:
            _notice(f"no exchange holds {args.text!r}")
        return 0
    if args.action == "show":
        if as_json:
            print(_json_line(history.to_dict(args.id)))
            return 0
        summary = history.conversation(args.id)
        print(f"Conversation {summary.id}, started {local_time(summary.started)}, {count(summary.turns, 'question')}")
        for exchange in history.exchanges(args.id):
            print()
            print(f"› {_display(exchange.question)}   ({local_time(exchange.time)})")
            answer = exchange.to_answer()
            _print_answer(answer)
        return 0
    if args.action == "export":
        if as_json:
            print(_json_line(history.to_dict(args.id)))
        else:
            print(history.markdown(args.id), end="")
        return 0
    conversations = history.conversations(limit=args.limit or None)
    if as_json:
        return _print_json_lines(conversations)
    if not conversations:
        print(f"No conversations yet: qa ask and qa chat keep them in {_display(str(history.path))}")
        return 0
    print(f"{'ID':>4}  {'TIME':16}  {'TURNS':>5}  FIRST QUESTION")
    for item in conversations:
        first = _shortened(item.first_question, 90)
        print(f"{item.id:>4}  {local_time(item.updated):16}  {item.turns:>5}  {_display(first)}")
    return 0


def _shortened(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def cmd_completion(args) -> int:
    print(completion.script(build_parser(), args.shell), end="")
    return 0


def cmd_show(args) -> int:
    """``qa show CITATION``: the cited lines, extracted again from the file itself (the index only says where
    the file is)."""
    from qa.citations import parse_label
    from qa.documents import BadCitation, UndecodableFile, cited_text, content_hash, read_file
    from qa.errors import DocumentsUnavailable

    try:
        ref = parse_label(args.citation)
    except BadCitation as exc:
        raise UsageError(str(exc)) from None
    path, indexed = _cited_file(ref.source, args)
    try:
        # Read once: the lines shown and the comparison with what was indexed are of the same bytes.
        data = read_file(path)
        text = cited_text(ref, path, data=data)
    except BadCitation as exc:
        raise UsageError(str(exc)) from None
    except FileNotFoundError:
        raise DocumentsUnavailable(f"{ref.source}: no such file" + (f" ({path})" if indexed else "")) from None
    except (OSError, UndecodableFile) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DocumentsUnavailable(f"cannot read {ref.source}: {reason}") from None
    if indexed and content_hash(data) != indexed.get("sha256"):
        _notice(f"{ref.source} changed since it was indexed: these lines may not be the ones cited")
    # Exactly the text; on a terminal, line by line through the one sanitiser of plain-text output.
    print("\n".join(map(terminal_safe, text.split("\n"))) if _is_terminal(sys.stdout) else text)
    return 0


def _cited_file(source: str, args) -> tuple[Path, dict | None]:
    """The file a citation names, and what the index recorded of it (None: a file not found by an index).

    ``--root DIR``: relative to DIR. ``--index``/``-C``/``$QA_COLLECTION``: a file of that index, found from the
    folders it was built from (never from here, where another file of that name may be), else refused. None of
    them: a file of the default index, else the file named from here.
    """
    from qa.collections import chosen_name, select_index
    from qa.errors import IndexUnavailable
    from qa.store import IndexStore

    chosen = bool(args.index or chosen_name(args.collection, args.settings))
    if args.root:
        if chosen:
            raise UsageError("--root and --index/--collection say two ways where the file is: give one")
        return Path(args.root) / source, None
    try:
        index_dir = select_index(args.index, args.collection, args.settings)
        manifest = IndexStore(index_dir).read_manifest()
        if manifest is None and chosen:
            raise IndexUnavailable(f"no index in {index_dir}: build one with `qa index FOLDER --index {index_dir}`")
    except IndexUnavailable:
        if chosen:
            raise
        manifest = None  # no default index (an installed qa): a file named from here
    if manifest is not None:
        # A name holding control characters or line breaks is printed as terminal_safe shows it ("e\\x1b[31m.txt"):
        # what was copied from the screen names the file so shown.
        shown = {_display(name): name for name in manifest.files}
        name = source if source in manifest.files else shown.get(source)
        if name is not None:
            return manifest.path_of(name), manifest.files[name]
    if chosen:
        raise UsageError(f"{_display(source)} is not a file of the index in {index_dir} (qa sources lists them)")
    return Path(source), None


def cmd_mcp(args) -> int:
    from qa.mcp_server import serve  # the mcp package loads only for this command

    if sys.stdin is None:  # started with stdin closed (<&-): no client can speak to it
        raise UsageError("the MCP server reads its client on standard input, which is closed")
    return serve(_engine(args), llm=_llm_settings(args), notice=_notice, progress=_ProgressBar())


class _Parser(argparse.ArgumentParser):
    """argparse, whose errors are one JSON object on stdout when the command line has --json."""

    json_errors = False

    def error(self, message: str):
        if self.json_errors:
            _error(message, 2, as_json=True)
            self.exit(2)
        super().error(message)


class _Version(argparse.Action):
    """``--version``: ``qa X.Y.Z``, looked up only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        try:
            version = importlib.metadata.version("qa")
        except importlib.metadata.PackageNotFoundError:
            version = "unknown (not installed: pip install -e .)"
        print(f"qa {version}")
        parser.exit()


_LARGEST = 2**63 - 1  # SQLite's largest INTEGER: no id, count or limit of qa goes beyond it


def _whole_number(option: str, least: int):
    """The argparse type of every integer option: a whole number from ``least`` up to _LARGEST.

    Anything else is a UsageError, one line naming ``option`` (argparse lets it through: it catches only its own
    errors, whose usage banner would make two lines); a number of thousands of digits is never converted.
    """

    def parse(text: str) -> int:
        shown = text if len(text) <= 24 else text[:24] + "…"
        digits = text.strip().lstrip("+")
        if not digits.isascii():  # int() would read other scripts' digits ("١٢") as a number
            raise UsageError(f"{option} must be a whole number from {least}, not {shown!r}")
        try:
            value = int(digits) if len(digits) <= 24 else None
        except ValueError:
            value = None
        if (value is not None and value > _LARGEST) or (value is None and digits.isdecimal()):
            raise UsageError(f"{option} is too large: at most {_LARGEST}, not {shown!r}")
        if value is None or value < least:
            raise UsageError(f"{option} must be a whole number from {least}, not {shown!r}")
        return value

    return parse


def _named_path(what: str):
    """The argparse type of a file or folder argument: an empty or blank one is a UsageError, never the current
    folder (``Path("")`` is ``.``: ``qa remove ""`` would drop every file under it)."""

    def parse(text: str) -> str:
        if not text.strip():
            raise UsageError(f"{what} is empty: name a file or folder")
        return text

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qa", description="Ask questions about a folder of documents, with exact citations.")
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    # `.complete = shtab.FILE or shtab.DIRECTORY`: what completes the value at TAB (qa.completion reads it).

    def common(p):
        p.add_argument(
            "--index", metavar="DIR", help="index folder (default: index/ of the project, built from seeds/)"
        ).complete = shtab.DIRECTORY
        p.add_argument(
            "--model",
            metavar="NAME_OR_PATH",
            help="sentence-transformers model (default: $QA_MODEL or all-MiniLM-L6-v2)",
        ).complete = shtab.FILE
        collection_option(p)

    def collection_option(p):
        p.add_argument(
            "-C",
            "--collection",
            metavar="NAME",
            help="a named collection of the user data folder (default: $QA_COLLECTION; see qa list)",
        )

    def cluster_option(p, index: bool = False):
        p.add_argument(
            "--cluster",
            metavar="ADDRESS",
            help=("index" if index else "answer")
            + " on the Ray cluster whose head is at ADDRESS, e.g. 127.0.0.1:6379 (default: $QA_CLUSTER;"
            " extra: .[cluster])",
        )
        if index:
            p.add_argument(
                "--shards",
                type=_whole_number("--shards", 1),
                metavar="N",
                help="with --cluster: shards to write (default: 2 a node)",
            )

    def llm_options(p):
        p.add_argument(
            "--llm-url",
            metavar="URL",
            help="OpenAI-compatible endpoint for generated answers, e.g. http://localhost:11434/v1"
            " (default: $QA_LLM_URL; key from $QA_LLM_API_KEY)",
        )
        p.add_argument("--llm-model", metavar="NAME", help="model name at that endpoint (default: $QA_LLM_MODEL)")
        p.add_argument(
            "--llm-timeout",
            type=float,
            default=60.0,
            metavar="SECONDS",
            help="give up on the LLM after this (default 60)",
        )

    p = sub.add_parser(
        "index",
        help="build or refresh an index from folders or files (text, Markdown, reStructuredText, PDF, HTML, DOCX)",
    )
    p.add_argument(
        "folders",
        nargs="*",
        type=_named_path("FOLDER"),
        metavar="FOLDER",
        help="folders or files to index (default: seeds/)",
    ).complete = shtab.DIRECTORY
    common(p)
    cluster_option(p, index=True)
    p.add_argument(
        "--max-file-mb",
        type=float,
        default=None,
        metavar="MB",
        help="skip files larger than this (default: the limit of the previous build, else 20)",
    )
    p.add_argument(
        "--wait", type=float, default=0.0, metavar="SECONDS", help="wait this long for another build to finish"
    )
    p.add_argument(
        "--name",
        dest="collection",
        metavar="NAME",
        help="keep the index as collection NAME in the user data folder (as --collection)",
    )
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("list", help="list the collections: files, passages, size, last refresh, model")
    p.add_argument("--json", action="store_true", help="print one JSON object per collection")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("sources", help="list an index's files: indexed, changed, skipped (and why), new, removed")
    p.add_argument(
        "--index", metavar="DIR", help="index folder (default: index/ of the project)"
    ).complete = shtab.DIRECTORY
    collection_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object per file")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("remove", help="drop files, or a folder's files, from an index (refreshes leave them out)")
    p.add_argument(
        "paths",
        nargs="+",
        type=_named_path("PATH"),
        metavar="PATH",
        help="a file as cited, or a path to a file or folder",
    )
    p.add_argument(
        "--index", metavar="DIR", help="index folder (default: index/ of the project)"
    ).complete = shtab.DIRECTORY
    collection_option(p)
    p.add_argument(
        "--wait", type=float, default=0.0, metavar="SECONDS", help="wait this long for another build to finish"
    )
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("ask", help="answer one question (or one per line of standard input)")
    p.add_argument(
        "question",
        nargs="?",
        help="the question; without it (or with -) one question per line of standard input",
    )
    common(p)
    p.add_argument(
        "--top-k", type=_whole_number("--top-k", 1), default=3, metavar="K", help="citations to show (default 3)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    llm_options(p)
    followed = p.add_mutually_exclusive_group()
    followed.add_argument(
        "-c",
        "--continue",
        dest="continue_",
        action="store_true",
        help="follow up on the latest conversation (its earlier questions resolve 'it', 'And ...?')",
    )
    followed.add_argument(
        "--conversation",
        type=_whole_number("--conversation", 1),
        metavar="ID",
        help="follow up on conversation ID (see qa history)",
    )
    p.add_argument("--no-log", action="store_true", help="do not keep this exchange in the history")
    cluster_option(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="open the terminal chat (ctrl+g: generated or extractive answers)")
    common(p)
    llm_options(p)
    followed = p.add_mutually_exclusive_group()
    followed.add_argument(
        "-c", "--continue", dest="continue_", action="store_true", help="reopen the latest conversation"
    )
    followed.add_argument(
        "--conversation",
        type=_whole_number("--conversation", 1),
        metavar="ID",
        help="reopen conversation ID (see qa history)",
    )
    p.add_argument("--no-log", action="store_true", help="keep nothing of this chat in the history")
    cluster_option(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("mcp", help="serve ask, search and sources to MCP clients over stdio (extra: .[mcp])")
    common(p)
    llm_options(p)
    cluster_option(p)
    p.set_defaults(func=cmd_mcp)

    p = sub.add_parser("eval", help="score answers on a JSONL file of gold questions")
    p.add_argument("questions", type=_named_path("QUESTIONS.jsonl"), metavar="QUESTIONS.jsonl").complete = shtab.FILE
    common(p)
    p.add_argument(
        "--top-k", type=_whole_number("--top-k", 1), default=3, metavar="K", help="citations per answer (default 3)"
    )
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    cluster_option(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("show", help="print a citation's lines again from its file, e.g. guide.pdf#page=12:3-4")
    p.add_argument(
        "citation",
        metavar="CITATION",
        help="as qa ask prints it: FILE:LINE[:COLUMN], FILE:FIRST-LAST, FILE.pdf#page=N:..., FILE.html#ANCHOR:...",
    )
    p.add_argument(
        "--index",
        type=_named_path("--index"),
        metavar="DIR",
        help="the index that cited it (default: index/ of the project, else the file here)",
    ).complete = shtab.DIRECTORY
    collection_option(p)
    p.add_argument(
        "--root",
        type=_named_path("--root"),
        metavar="DIR",
        help="folder the citation's file is named relative to, without an index",
    ).complete = shtab.DIRECTORY
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("history", help="list the conversations kept by qa ask and qa chat (also search, show, export)")
    p.add_argument("--json", action="store_true", help="print JSON: one object per line")
    p.add_argument(
        "--limit", type=_whole_number("--limit", 0), default=20, metavar="N", help="list at most N (default 20; 0: all)"
    )
    p.set_defaults(func=cmd_history, action=None)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    leaf = actions.add_parser("list", help="the conversations, newest first (what qa history alone prints)")
    leaf.add_argument(
        "--limit",
        type=_whole_number("--limit", 0),
        default=argparse.SUPPRESS,
        metavar="N",
        help="list at most N (default 20)",
    )
    leaves = [leaf]
    leaf = actions.add_parser("search", help="the exchanges whose question, answer or citations hold TEXT")
    leaf.add_argument("text", metavar="TEXT")
    leaves.append(leaf)
    for name, help_text in (
        ("show", "a conversation's questions, answers and citations"),
        ("export", "a conversation as Markdown, citations as source:first-last"),
    ):
        leaf = actions.add_parser(name, help=help_text)
        leaf.add_argument(
            "id", type=_whole_number("ID", 1), metavar="ID", help="the conversation (qa history lists them)"
        )
        leaves.append(leaf)
    for leaf in leaves:  # --json after the action too; SUPPRESS: absent, it leaves `qa history --json` alone
        leaf.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")

    p = sub.add_parser("completion", help="print the shell completion script (bash, zsh or fish)")
    p.add_argument("shell", choices=completion.SHELLS, metavar="SHELL", help="bash, zsh or fish")
    p.set_defaults(func=cmd_completion)
    return parser


# The commands that read the current folder: files are named relative to it (index, ask, chat, mcp, eval) and
# paths given are taken from it (remove).
_NEED_THE_CURRENT_FOLDER = ("index", "ask", "chat", "mcp", "eval", "remove")


def _check_current_folder() -> None:
    try:
        os.getcwd()
    except OSError as exc:  # deleted under the shell (FileNotFoundError), or no longer searchable
        reason = "it no longer exists" if isinstance(exc, FileNotFoundError) else (exc.strerror or str(exc))
        raise UsageError(f"cannot use the current folder ({reason}): cd to a folder and run qa again") from None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if sys.stderr is None:  # started with stderr closed (2>&-): errors are dropped, never written to stdout
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    if sys.stdout is None:  # started with stdout closed (>&-): nothing can be shown, so nothing is done
        _notice("cannot write the output: standard output is closed")
        return _OutputFailed.exit_code
    parser = build_parser()
    as_json = "--json" in argv
    subcommands = completion.subcommands(parser)
    for p in (parser, *(sub for sub, _help in subcommands.values())):
        p.json_errors = as_json
        for nested, _help in completion.subcommands(p).values() if p is not parser else ():
            nested.json_errors = as_json  # qa history search/show/export
    try:
        args = parser.parse_args(argv)
        # qa's options from the environment, read once here and carried with the command line to the command.
        args.settings = Settings.from_env()
        if args.command in _NEED_THE_CURRENT_FOLDER:
            _check_current_folder()
    except UsageError as exc:  # a bad value (_whole_number, _named_path, QA_CLUSTER_TIMEOUT), or no current folder
        _error(exc.message, exc.exit_code, as_json)
        return exc.exit_code
    if args.command == "ask" and args.question is None and _is_terminal(sys.stdin):
        subcommands["ask"][0].error("the following arguments are required: question (or pipe questions in)")
    # The chat draws on the terminal and the MCP server speaks its protocol on stdout: both keep it as it is.
    guarded = args.command not in ("chat", "mcp")
    real_stdout = sys.stdout
    if guarded:
        sys.stdout = _GuardedOutput(real_stdout)
    try:
        status = args.func(args)
        if guarded:
            sys.stdout.flush()
        return status
    except _OutputFailed as exc:
        if real_stdout is sys.__stdout__:  # not when a test captures it
            _drop_pending_output()
        _notice(exc.message)
        return exc.exit_code
    except QAError as exc:
        _error(exc.message, exc.exit_code, as_json)
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted", 130, as_json)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        sys.stdout = real_stdout


if __name__ == "__main__":
    sys.exit(main())
