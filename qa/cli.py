"""The `qa` command: index, ask, chat, eval. A thin shell over qa.api."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from qa.errors import QAError, UsageError
from qa.text import UNSAFE_CHARACTERS

# Set before anything imports huggingface_hub: the model never comes from the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _display(text: str) -> str:
    """Text from documents, safe for a terminal: control characters shown, never executed.

    Markup such as ``[bold]`` needs nothing: the CLI prints plain text.
    """
    # A passage hard-wrapped over several lines reads as one line here.
    return UNSAFE_CHARACTERS.sub(lambda m: _escape(m.group()), re.sub(r"[ \t]*(?:\r\n|\r|\n)[ \t]*", " ", text))


def _json_line(data: dict) -> str:
    """JSON on one line, readable (non-ASCII kept) but terminal-safe: unsafe characters as \\u escapes."""
    return UNSAFE_CHARACTERS.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False))


def _notice(message: str) -> None:
    print(f"qa: {_display(message)}", file=sys.stderr, flush=True)


class _ProgressBar:
    """One line on stderr per stage, redrawn in place on a terminal."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.tty = stream.isatty()
        self._last: tuple[str, float] = ("", 0.0)

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if not finished and stage == self._last[0] and now - self._last[1] < (0.1 if self.tty else 2.0):
            return
        self._last = (stage, now)
        width = 30
        filled = int(width * done / max(total, 1))
        line = f"{stage:22s} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if finished else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _engine(args):
    from qa.api import DEFAULT_INDEX, Engine

    return Engine(index_dir=Path(args.index) if args.index else DEFAULT_INDEX, model=args.model)


def cmd_index(args) -> int:
    from qa.api import DEFAULT_DOCUMENTS, DEFAULT_INDEX, PROJECT_ROOT
    from qa.embedding import SentenceTransformerEmbedder, model_name
    from qa.indexing import build_index
    from qa.store import IndexStore

    index_dir = Path(args.index) if args.index else DEFAULT_INDEX
    is_default = index_dir.resolve() == DEFAULT_INDEX.resolve()
    try:
        manifest = IndexStore(index_dir).read_manifest()
    except QAError:
        manifest = None  # a damaged index is rebuilt from the folders
    # Refreshing an index keeps what it was built from: its folders, its model,
    # and the folder its files are named relative to.
    if args.folders:
        folders = [Path(f) for f in args.folders]
    elif manifest is not None and manifest.folders:
        folders = [Path(f) for f in manifest.folders]
    elif is_default:
        folders = [DEFAULT_DOCUMENTS]
    else:
        raise UsageError(f"say which folders to index: qa index FOLDER... --index {index_dir}")
    if manifest is not None and manifest.root:
        root = Path(manifest.root)
    else:
        root = PROJECT_ROOT if is_default else Path.cwd()
    if args.max_file_mb is not None and not args.max_file_mb > 0:
        raise UsageError("--max-file-mb must be a positive number of megabytes")
    if not args.wait >= 0:
        raise UsageError("--wait must be 0 or more seconds")
    model = args.model or os.environ.get("QA_MODEL") or (manifest.model if manifest is not None else model_name())
    embedder = SentenceTransformerEmbedder(model)
    started = time.monotonic()
    try:
        report = build_index(
            folders,
            IndexStore(index_dir),
            embedder,
            root=root,
            progress=_ProgressBar(),
            max_bytes=None if args.max_file_mb is None else int(args.max_file_mb * 1024 * 1024),
            wait_seconds=args.wait,
        )
    except QAError as exc:
        if getattr(exc, "report", None) is not None:
            _print_report(exc.report)
        raise
    _print_report(report)
    print(
        f"{len(report.indexed)} files, {report.passage_count} passages ({report.embedded_count} embedded),"
        f" {len(report.skipped)} skipped, in {time.monotonic() - started:.1f} s -> {index_dir}"
    )
    return 0


def _print_report(report) -> None:
    """One line per file: indexed (with its passage count) or skipped (with the reason)."""
    for source, count in report.indexed:
        note = " (unchanged, vectors reused)" if source in report.reused else ""
        print(f"indexed  {_display(source)}: {count} passages{note}")
    for skipped in report.skipped:
        print(f"skipped  {_display(skipped.path)}: {_display(skipped.reason)}")
    sys.stdout.flush()


def _print_answer(answer) -> None:
    if answer.abstained:
        print("The documents don't say: no passage answers this question.")
        return
    print(_display(answer.answer))
    if answer.searched_question and answer.searched_question != answer.question:
        print(f"(searched: {_display(answer.searched_question)})")
    print()
    for c in answer.citations:
        span = f"{c.start_line}" if c.start_line == c.end_line else f"{c.start_line}-{c.end_line}"
        print(f"[{c.n}] {_display(c.source)}:{span}")
        print(f"    {_display(c.text)}")


def _questions_from_stdin():
    for line in sys.stdin:
        if line.strip():
            yield line.rstrip("\r\n")


def cmd_ask(args) -> int:
    from qa.api import clean_question

    if args.top_k < 1:
        raise UsageError("--top-k must be at least 1")
    engine = _engine(args)
    llm = _llm_settings(args)
    if args.question == "-":
        engine.prepare(notice=_notice, progress=_ProgressBar())
        for question in _questions_from_stdin():
            try:
                answer = engine.answer(question, top_k=args.top_k, notice=_notice)
            except UsageError as exc:
                _notice(exc.message)
                continue
            _emit(*_with_llm(answer, llm), as_json=args.json)
        return 0
    clean_question(args.question)  # an empty question is refused before any loading
    engine.prepare(notice=_notice, progress=_ProgressBar())
    answer = engine.answer(args.question, top_k=args.top_k, notice=_notice)
    _emit(*_with_llm(answer, llm), as_json=args.json)
    return 0


def _llm_settings(args):
    """LLM settings from --llm-url/--llm-model, else QA_LLM_URL/QA_LLM_MODEL (and QA_LLM_API_KEY); None if unset."""
    from qa.llm import LLMSettings

    return LLMSettings.from_env(url=args.llm_url, model=args.llm_model, timeout=args.llm_timeout)


def _with_llm(answer, llm):
    """The generated answer if it passes verification, else ``answer``; and the one-line reason why not."""
    if llm is None:
        return answer, None
    from qa.llm import generate_answer

    result = generate_answer(answer, llm)
    if result.notice:
        _notice(result.notice)
    return result.answer, result.notice


def _emit(answer, llm_notice: str | None = None, as_json: bool = False) -> None:
    if as_json:
        data = answer.to_dict()
        if llm_notice:
            data["llm_notice"] = llm_notice
        print(_json_line(data), flush=True)
    else:
        _print_answer(answer)
        if getattr(answer, "answered_by", "") == "llm":
            print("(generated by the LLM; its dates, numbers and names checked against the cited passages)")


def cmd_eval(args) -> int:
    from qa.evaluation import judge, load_questions, report, summarize

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
            }
        )
    summary = summarize(rows)
    if args.json:
        print(_json_line({"summary": summary, "rows": rows}))
    else:
        print(report(rows, summary))
    return 0


def cmd_chat(args) -> int:
    from qa.tui.app import run

    return run(_engine(args), llm=_llm_settings(args))


def cmd_mcp(args) -> int:
    from qa.mcp_server import serve  # the mcp package loads only for this command

    return serve(_engine(args), llm=_llm_settings(args), notice=_notice, progress=_ProgressBar())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa", description="Ask questions about a folder of documents, with exact citations."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument(
            "--index", metavar="DIR", help="index folder (default: index/ of the project, built from seeds/)"
        )
        p.add_argument(
            "--model",
            metavar="NAME_OR_PATH",
            help="sentence-transformers model (default: $QA_MODEL or all-MiniLM-L6-v2)",
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

    p = sub.add_parser("index", help="build or refresh an index from folders of .txt/.md files")
    p.add_argument("folders", nargs="*", metavar="FOLDER", help="folders to index (default: seeds/)")
    common(p)
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
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("ask", help="answer one question (or one per line of stdin with '-')")
    p.add_argument("question", help="the question, or - to read questions from standard input")
    common(p)
    p.add_argument("--top-k", type=int, default=3, metavar="K", help="citations to show (default 3)")
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    llm_options(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="open the terminal chat (ctrl+g: generated or extractive answers)")
    common(p)
    llm_options(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("mcp", help="serve ask, search and sources to MCP clients over stdio (extra: .[mcp])")
    common(p)
    llm_options(p)
    p.set_defaults(func=cmd_mcp)

    p = sub.add_parser("eval", help="score answers on a JSONL file of gold questions")
    p.add_argument("questions", metavar="QUESTIONS.jsonl")
    common(p)
    p.add_argument("--top-k", type=int, default=3, metavar="K")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except QAError as exc:
        print(f"qa: {_display(exc.message)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
