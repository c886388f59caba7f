"""The `qa` command line: every command, option and argument type (`build_parser`), and argparse made to give
one-line errors (one JSON object under --json). The commands themselves are passed in by qa.cli."""

from __future__ import annotations

import argparse
import importlib.metadata
from collections.abc import Callable, Mapping

import shtab

from qa import completion
from qa.cli_output import print_error
from qa.errors import UsageError


class _Parser(argparse.ArgumentParser):
    """argparse, whose errors are one JSON object on stdout when the command line has --json."""

    json_errors = False

    def error(self, message: str):
        if self.json_errors:
            print_error(message, 2, as_json=True)
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


def build_parser(commands: Mapping[str, Callable[[argparse.Namespace], int]]) -> argparse.ArgumentParser:
    """The parser of `qa`; ``commands`` maps each command's name to the function that runs it (``args.func``)."""
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

    def conversation_options(p, continues: str, reopens: str, unlogged: str):
        """ask and chat: which conversation a question follows (at most one way), and whether it is kept."""
        followed = p.add_mutually_exclusive_group()
        followed.add_argument("-c", "--continue", dest="continue_", action="store_true", help=continues)
        followed.add_argument("--conversation", type=_whole_number("--conversation", 1), metavar="ID", help=reopens)
        p.add_argument("--no-log", action="store_true", help=unlogged)

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
    p.set_defaults(func=commands["index"])

    p = sub.add_parser("list", help="list the collections: files, passages, size, last refresh, model")
    p.add_argument("--json", action="store_true", help="print one JSON object per collection")
    p.set_defaults(func=commands["list"])

    p = sub.add_parser("sources", help="list an index's files: indexed, changed, skipped (and why), new, removed")
    p.add_argument(
        "--index", metavar="DIR", help="index folder (default: index/ of the project)"
    ).complete = shtab.DIRECTORY
    collection_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object per file")
    p.set_defaults(func=commands["sources"])

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
    p.set_defaults(func=commands["remove"])

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
    conversation_options(
        p,
        continues="follow up on the latest conversation (its earlier questions resolve 'it', 'And ...?')",
        reopens="follow up on conversation ID (see qa history)",
        unlogged="do not keep this exchange in the history",
    )
    cluster_option(p)
    p.set_defaults(func=commands["ask"])

    p = sub.add_parser("chat", help="open the terminal chat (ctrl+g: generated or extractive answers)")
    common(p)
    llm_options(p)
    conversation_options(
        p,
        continues="reopen the latest conversation",
        reopens="reopen conversation ID (see qa history)",
        unlogged="keep nothing of this chat in the history",
    )
    cluster_option(p)
    p.set_defaults(func=commands["chat"])

    p = sub.add_parser("mcp", help="serve ask, search and sources to MCP clients over stdio (extra: .[mcp])")
    common(p)
    llm_options(p)
    cluster_option(p)
    p.set_defaults(func=commands["mcp"])

    p = sub.add_parser("eval", help="score answers on a JSONL file of gold questions")
    p.add_argument("questions", type=_named_path("QUESTIONS.jsonl"), metavar="QUESTIONS.jsonl").complete = shtab.FILE
    common(p)
    p.add_argument(
        "--top-k", type=_whole_number("--top-k", 1), default=3, metavar="K", help="citations per answer (default 3)"
    )
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    cluster_option(p)
    p.set_defaults(func=commands["eval"])

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
    p.set_defaults(func=commands["show"])

    p = sub.add_parser("history", help="list the conversations kept by qa ask and qa chat (also search, show, export)")
    p.add_argument("--json", action="store_true", help="print JSON: one object per line")
    p.add_argument(
        "--limit", type=_whole_number("--limit", 0), default=20, metavar="N", help="list at most N (default 20; 0: all)"
    )
    p.set_defaults(func=commands["history"], action=None)
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
    p.set_defaults(func=commands["completion"])
    return parser
