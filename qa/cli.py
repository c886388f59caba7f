"""The `qa` command: `main`, and the commands that answer (ask, chat, mcp, eval, show, history, completion).
A thin shell over qa.api. The index commands are in qa.cli_index, the parser in qa.cli_parser, what is printed
in qa.cli_output. What a command reads of its surroundings comes in through ``main``: the settings (environment),
the models, standard input and the terminal facts (qa.cli_output.Terminal), each the process's unless given."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

from qa import cli_parser, completion
from qa.cli_index import cluster_address, cmd_index, cmd_list, cmd_remove, cmd_sources, refuse_cluster_index
from qa.cli_output import (
    GuardedOutput,
    OutputFailed,
    ProgressBar,
    Terminal,
    display,
    drop_pending_output,
    emit,
    json_line,
    notice,
    print_answer,
    print_error,
    print_json_lines,
)
from qa.config import Settings
from qa.errors import QAError, UsageError
from qa.models import Models
from qa.text import count, terminal_safe

# Set before anything imports huggingface_hub: the model never comes from the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _engine(args):
    from qa.api import Engine
    from qa.collections import select_index

    settings = args.settings
    index_dir = select_index(args.index, getattr(args, "collection", None), settings)
    if address := cluster_address(args):
        from qa.cluster.shards import cluster_loader  # Ray is imported only here, for --cluster / QA_CLUSTER

        loader = cluster_loader(address, settings.cluster_timeout)
        return Engine(index_dir=index_dir, model=args.model, loader=loader, settings=settings, models=args.models)
    refuse_cluster_index(index_dir)
    return Engine(index_dir=index_dir, model=args.model, settings=settings, models=args.models)


def _questions_from_stdin(stdin):
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(errors="surrogateescape")  # undecodable bytes are dropped by clean_question
    for line in stdin:
        if line.strip():
            yield line.rstrip("\r\n")


def cmd_ask(args) -> int:
    from itertools import chain

    from qa.api import clean_question

    if args.question in (None, "-") and args.stdin is None:  # started with stdin closed (<&-)
        raise UsageError("no question: give one, or pipe questions in (standard input is closed)")
    engine = _engine(args)
    llm = _llm_settings(args)
    links = args.terminal.shows_links(args.settings.hyperlinks)
    if args.question is None or args.question == "-":  # one question per line of stdin (none: main saw no terminal)
        questions = _questions_from_stdin(args.stdin)
        # Read before anything loads: nothing to ask (an empty stdin, blank lines only) is a usage error.
        first_question = next(questions, None)
        if first_question is None:
            raise UsageError("no question on standard input: pipe one question per line, or give one as an argument")
        log = _AskLog(args, engine)
        engine.prepare(notice=notice, progress=ProgressBar())
        first = True
        for question in chain([first_question], questions):
            try:
                answer = log.answer(engine, question, args.top_k, llm)
            except UsageError as exc:
                print_error(exc.message, exc.exit_code, as_json=args.json)
                continue
            if not (first or args.json):
                print()  # a blank line between plain answers
            first = False
            emit(*answer, as_json=args.json, where=engine, hyperlinks=links)
            log.keep(*answer)
        return 0
    log = _AskLog(args, engine)
    clean_question(args.question)  # an empty question is refused before any loading
    engine.prepare(notice=notice, progress=ProgressBar())
    answer = log.answer(engine, args.question, args.top_k, llm)
    emit(*answer, as_json=args.json, where=engine, hyperlinks=links)
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
                    notice("no earlier conversation to continue: this question starts one")
            if self.conversation_id is not None:
                self.follow_ups = Conversation(self.history.searched_questions(self.conversation_id))
        except HistoryUnavailable as exc:
            notice(f"{exc.message}; answering without it")
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
        answer = engine.answer(question, top_k=top_k, searched_question=searched, notice=notice)
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
            notice(f"{exc.message}; the answers are not kept (--no-log turns this off)")
            self.history = None


def _llm_settings(args):
    """LLM settings from --llm-url/--llm-model, else QA_LLM_URL/QA_LLM_MODEL (and QA_LLM_API_KEY); None if unset."""
    from qa.llm_settings import LLMSettings

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
        notice(result.notice)
    return result.answer, result.notice


def cmd_eval(args) -> int:
    from qa.evaluation import calibration_error, judge, load_questions, report, right_answer, summarize

    questions = load_questions(Path(args.questions))
    engine = _engine(args)
    engine.prepare(notice=notice, progress=ProgressBar())
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
        print(json_line({"summary": summary, "calibration": calibration, "rows": rows}))
    else:
        print(report(rows, summary))
    return 0


def cmd_chat(args) -> int:
    # Checked before anything loads: a chat in a pipe would wait for keys and write escape codes.
    if not (args.terminal.stdin and args.terminal.stdout):
        raise UsageError("chat needs a terminal; use qa ask")
    llm = _llm_settings(args)
    engine = _engine(args)
    _check_index(engine)
    if (run := args.chat) is None:
        from qa.tui.app import run  # Textual loads only for the chat

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
        notice(f"{exc.message}; the chat starts afresh")
        return options
    if latest is None:
        notice("no earlier conversation to continue: the chat starts afresh")
        return options
    return {**options, "conversation_id": latest}


def _check_index(engine) -> None:
    """Before the chat opens, the failures that need no model: no index (and nothing to build it from), or an
    unreadable one. The default index is the chat's to build from seeds/, with its progress shown."""
    if engine.is_default_index:
        return
    from qa.store import IndexStore

    if IndexStore(engine.index_dir).read_manifest() is None:  # raises IndexUnavailable when unreadable
        engine.prepare(notice=notice)  # no index and no folder to build one from: fails before loading a model


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
                print(json_line(exchange.to_dict()))
            else:
                answer = "(the documents don't say)" if exchange.abstained else exchange.answer
                print(f"{exchange.conversation_id:>4}  {local_time(exchange.time)}  {display(exchange.question)}")
                print(f"      {display(_shortened(answer, 150))}")
        if not found and not as_json:
            notice(f"no exchange holds {args.text!r}")
        return 0
    if args.action == "show":
        if as_json:
            print(json_line(history.to_dict(args.id)))
            return 0
        summary = history.conversation(args.id)
        print(f"Conversation {summary.id}, started {local_time(summary.started)}, {count(summary.turns, 'question')}")
        for exchange in history.exchanges(args.id):
            print()
            print(f"› {display(exchange.question)}   ({local_time(exchange.time)})")
            answer = exchange.to_answer()
            print_answer(answer)
        return 0
    if args.action == "export":
        if as_json:
            print(json_line(history.to_dict(args.id)))
        else:
            print(history.markdown(args.id), end="")
        return 0
    conversations = history.conversations(limit=args.limit or None)
    if as_json:
        return print_json_lines(conversations)
    if not conversations:
        print(f"No conversations yet: qa ask and qa chat keep them in {display(str(history.path))}")
        return 0
    print(f"{'ID':>4}  {'TIME':16}  {'TURNS':>5}  FIRST QUESTION")
    for item in conversations:
        first = _shortened(item.first_question, 90)
        print(f"{item.id:>4}  {local_time(item.updated):16}  {item.turns:>5}  {display(first)}")
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
        notice(f"{ref.source} changed since it was indexed: these lines may not be the ones cited")
    # Exactly the text; on a terminal, line by line through the one sanitiser of plain-text output.
    print("\n".join(map(terminal_safe, text.split("\n"))) if args.terminal.stdout else text)
    return 0


def _cited_file(source: str, args) -> tuple[Path, dict | None]:
    """The file a citation names, and what the index recorded of it (None: a file not found by an index).

    ``--root DIR``: relative to DIR. ``--index``/``-C``/``$QA_COLLECTION``: a file of that index, found from the
    folders it was built from (never from here, where another file of that name may be), else refused. None of
    them: a file of the default index, else the file named from here.
    """
    from qa.citations import CitationRef, label
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
        # A label writes a control character percent-encoded; a name copied from a listing shows it as terminal_safe
        # does ("e\\x1b[31m.txt", a line break as a space), which names a file only when it names one alone.
        shown = [name for name in manifest.files if display(name) == source] if source not in manifest.files else []
        if len(shown) > 1:
            raise UsageError(
                f"{display(source)} names {len(shown)} files of the index in {index_dir}: cite one as `qa ask` does"
                f" ({', '.join(label(CitationRef(name, 1, 1)).removesuffix(':1') for name in sorted(shown))})"
            )
        name = source if source in manifest.files else (shown[0] if shown else None)
        if name is not None:
            return manifest.path_of(name), manifest.files[name]
    if chosen:
        raise UsageError(f"{display(source)} is not a file of the index in {index_dir} (qa sources lists them)")
    return Path(source), None


def cmd_mcp(args) -> int:
    from qa.mcp_server import serve  # the mcp package loads only for this command

    if args.stdin is None:  # started with stdin closed (<&-): no client can speak to it
        raise UsageError("the MCP server reads its client on standard input, which is closed")
    return serve(_engine(args), llm=_llm_settings(args), notice=notice, progress=ProgressBar())


COMMANDS = {
    "index": cmd_index,
    "list": cmd_list,
    "sources": cmd_sources,
    "remove": cmd_remove,
    "ask": cmd_ask,
    "chat": cmd_chat,
    "mcp": cmd_mcp,
    "eval": cmd_eval,
    "show": cmd_show,
    "history": cmd_history,
    "completion": cmd_completion,
}


def build_parser() -> argparse.ArgumentParser:
    return cli_parser.build_parser(COMMANDS)


# The commands that read the current folder: files are named relative to it (index, ask, chat, mcp, eval) and
# paths given are taken from it (remove).
_NEED_THE_CURRENT_FOLDER = ("index", "ask", "chat", "mcp", "eval", "remove")


def _check_current_folder() -> None:
    try:
        os.getcwd()
    except OSError as exc:  # deleted under the shell (FileNotFoundError), or no longer searchable
        reason = "it no longer exists" if isinstance(exc, FileNotFoundError) else (exc.strerror or str(exc))
        raise UsageError(f"cannot use the current folder ({reason}): cd to a folder and run qa again") from None


def main(
    argv: list[str] | None = None,
    models: Models | None = None,
    settings: Settings | None = None,
    stdin=None,
    terminal: Terminal | None = None,
    chat=None,
) -> int:
    """Run the command ``argv`` (default: the process's arguments); its exit status.

    ``models`` (qa.models) makes the encoders and the ranking model, the real ones by default; ``settings``
    (qa.config) are read from the environment when not given; ``stdin`` is the stream `qa ask` reads questions
    from (default: the process's); ``terminal`` (qa.cli_output.Terminal) says whether standard input and output
    are terminals (default: the process's); ``chat`` opens the chat of `qa chat` (default: qa.tui.app.run, called
    with the engine, ``llm=``, ``settings=`` and the history's options). Each is made once here and passed down
    with the command line."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if sys.stderr is None:  # started with stderr closed (2>&-): errors are dropped, never written to stdout
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    if sys.stdout is None:  # started with stdout closed (>&-): nothing can be shown, so nothing is done
        notice("cannot write the output: standard output is closed")
        return OutputFailed.exit_code
    parser = build_parser()
    as_json = "--json" in argv
    subcommands = completion.subcommands(parser)
    for p in (parser, *(sub for sub, _help in subcommands.values())):
        p.json_errors = as_json
        for nested, _help in completion.subcommands(p).values() if p is not parser else ():
            nested.json_errors = as_json  # qa history search/show/export
    try:
        args = parser.parse_args(argv)
        # qa's options from the environment, read once here, and the models' maker: carried with the command
        # line to the command.
        args.settings = settings if settings is not None else Settings.from_env()
        args.models = models if models is not None else Models()
        args.stdin = sys.stdin if stdin is None else stdin
        args.terminal = terminal if terminal is not None else Terminal.of_process()
        args.chat = chat
        if args.command in _NEED_THE_CURRENT_FOLDER:
            _check_current_folder()
    except UsageError as exc:  # a bad value (cli_parser's types, QA_CLUSTER_TIMEOUT), or no current folder
        print_error(exc.message, exc.exit_code, as_json)
        return exc.exit_code
    if args.command == "ask" and args.question is None and args.terminal.stdin:
        subcommands["ask"][0].error("the following arguments are required: question (or pipe questions in)")
    # The chat draws on the terminal and the MCP server speaks its protocol on stdout: both keep it as it is.
    guarded = args.command not in ("chat", "mcp")
    real_stdout = sys.stdout
    if guarded:
        sys.stdout = GuardedOutput(real_stdout)
    try:
        status = args.func(args)
        if guarded:
            sys.stdout.flush()
        return status
    except OutputFailed as exc:
        if real_stdout is sys.__stdout__:  # not when a test captures it
            drop_pending_output()
        notice(exc.message)
        return exc.exit_code
    except QAError as exc:
        print_error(exc.message, exc.exit_code, as_json)
        return exc.exit_code
    except KeyboardInterrupt:
        print_error("interrupted", 130, as_json)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        sys.stdout = real_stdout


if __name__ == "__main__":
    sys.exit(main())
