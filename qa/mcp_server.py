"""`qa mcp`: the engine as an MCP server over stdio, for editors and agents.

Three tools, over the one engine the CLI and the chat use (created and loaded
once, when the server starts, with the CLI's --index, --model and LLM options):

- ``ask(question, top_k=3)``: the answer as ``qa ask --json`` prints it (the
  contract of ../shared/design.md: question, answer, abstained, citations...);
- ``search(query, k=5)``: the k best passages for the query as the answerer
  ranks them, each a citation as ``ask`` gives it (source, start_line,
  end_line, text verbatim, score; the page of a PDF, the anchor of an HTML
  heading, the paragraph of a DOCX), whether or not the documents answer it;
- ``sources()``: the files the index holds (and those it skipped), from its manifest.

stdout is the protocol: notices, progress and logs go to stderr, and anything
printed to stdout while the engine loads is sent to stderr too. The tools
themselves (``QATools``) are plain Python, usable and testable without MCP;
only :func:`build_server` and :func:`serve` need the ``mcp`` package
(``pip install -e '.[mcp]'``).
"""

# No `from __future__ import annotations`: the SDK reads the tools' parameter
# types (and their pydantic Fields) from the annotations themselves.
import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from qa.errors import QAError, UsageError
from qa.text import count

MAX_SEARCH_RESULTS = 50

Notice = Callable[[str], None]


class QATools:
    """What the MCP tools do, on one prepared engine; QAError for what the caller got wrong."""

    def __init__(self, engine, llm=None, notice: Notice | None = None):
        self.engine = engine
        self.llm = llm  # qa.llm.LLMSettings, or None for the extractive answer
        self.notice = notice
        # The engine (its SQLite passage table, FAISS indexes, encoders) answers one call at a time.
        self._lock = threading.Lock()

    def ask(self, question: str, top_k: int = 3) -> dict[str, Any]:
        with self._lock:
            answer = self.engine.answer(question, top_k=top_k, notice=self.notice)
        llm_notice = None
        if self.llm is not None:
            from qa.llm import generate_answer

            result = generate_answer(answer, self.llm)
            answer, llm_notice = result.answer, result.notice
            if llm_notice and self.notice:
                self.notice(llm_notice)
        data = answer.to_dict()
        if llm_notice:
            data["llm_notice"] = llm_notice
        return data

    def search(self, query: str, k: int = 5) -> dict[str, Any]:
        from qa.answering import _citation
        from qa.api import clean_question

        if not 1 <= k <= MAX_SEARCH_RESULTS:
            raise UsageError(f"k must be between 1 and {MAX_SEARCH_RESULTS}")
        cleaned = clean_question(query, self.notice)
        with self._lock:
            self.engine.prepare(self.notice)
            # The answerer's own ranking (fitted ranker over the fused retrieval), as `ask` uses it.
            _, _, scored = self.engine._answerer.featurize(cleaned)
        passages = []
        for n, s in enumerate(scored[:k], start=1):
            p = s.candidate.passage
            # Cited as `qa ask --json` cites it: a PDF passage's lines count from its page, with the page
            # (an HTML passage with its anchor, a DOCX one with its paragraph).
            citation = _citation(n, p, s.score)
            passages.append({**citation.to_dict(), "kind": p.kind, "section": p.section})
        return {"query": query, "searched_query": cleaned, "passages": passages}

    def sources(self) -> dict[str, Any]:
        with self._lock:
            self.engine.prepare(self.notice)
            manifest = self.engine.index.manifest
        files = [
            {
                "source": source,
                "path": str(manifest.path_of(source)),
                "language": facts.get("language", ""),
                "passages": facts.get("passage_count", 0),
                "bytes": facts.get("bytes", 0),
            }
            for source, facts in sorted(manifest.files.items())
        ]
        skipped = [
            {"source": source, "reason": facts.get("reason", "")} for source, facts in sorted(manifest.skipped.items())
        ]
        return {
            "index": str(self.engine.index_dir),
            "folders": list(manifest.folders),
            "model": manifest.model,
            "passage_count": manifest.passage_count,
            "sources": files,
            "skipped": skipped,
        }


def _mcp():
    """The SDK's server class and its tool error: MCPServer (mcp 2), FastMCP (mcp 1)."""
    try:
        try:
            from mcp.server.mcpserver import MCPServer as Server
            from mcp.server.mcpserver.exceptions import ToolError
        except ImportError:
            from mcp.server.fastmcp import FastMCP as Server
            from mcp.server.fastmcp.exceptions import ToolError
    except ImportError as exc:
        raise UsageError(
            f"`qa mcp` needs the MCP Python SDK ({exc}): pip install -e '.[mcp]' (or pip install mcp)"
        ) from None
    return Server, ToolError


def build_server(tools: QATools):
    """The MCP server (not yet running) whose tools call ``tools``."""
    from pydantic import Field

    Server, ToolError = _mcp()

    def call(method, *args):
        try:
            with contextlib.redirect_stdout(sys.stderr):  # a stray print() must not reach the protocol
                return method(*args)
        except QAError as exc:  # the caller's mistake or the index's state: say what and how to fix it
            raise ToolError(exc.message) from None

    folders = ", ".join(tools.engine.index.manifest.folders) if tools.engine.index else str(tools.engine.index_dir)
    server = Server(
        "qa",
        instructions=(
            f"Answers questions about the documents in {folders}, offline, citing the file and lines that say it;"
            " says so (abstained) when the documents don't. Questions in English or French."
        ),
        log_level="WARNING",
    )

    @server.tool()
    def ask(
        question: Annotated[str, Field(description="the question, in English or French")],
        top_k: Annotated[int, Field(description="citations to give at most", ge=1, le=20)] = 3,
    ) -> dict[str, Any]:
        """Answer a question from the indexed documents, with citations.

        Returns the answer as `qa ask --json` prints it: `answer` (at most 300 characters, "" when
        abstaining), `abstained` (true when the documents do not say), `short_answer`, and `citations`
        (`n`, `source`, `start_line`, `end_line`, `text` exactly as in the file, `score`). The answer
        refers to citations as [n].
        """
        return call(tools.ask, question, top_k)

    @server.tool()
    def search(
        query: Annotated[str, Field(description="what to look for: a question or keywords")],
        k: Annotated[int, Field(description="how many passages", ge=1, le=MAX_SEARCH_RESULTS)] = 5,
    ) -> dict[str, Any]:
        """Find the k passages of the documents that best match a query, best first.

        Each passage is a citation: `source` (the file), `start_line`..`end_line` (1-based, inclusive),
        `text` (verbatim from the file), `score` (the ranker's, higher is better), and its `kind`
        (sentence, heading, row, code) and `section`. A PDF passage adds its `page` (its lines count
        from the page), an HTML one the `anchor` of its heading, a DOCX one its `paragraph`.
        No answer and no abstention: use `ask` for that.
        """
        return call(tools.search, query, k)

    @server.tool()
    def sources() -> dict[str, Any]:
        """List the files the index holds (`sources`: source, path, language, passages, bytes), the
        folders it was built from, and the files it skipped with the reason."""
        return call(tools.sources)

    return server


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Everything written to stdout (by Python or by a library's C code) goes to stderr meanwhile."""
    saved = None
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved is not None:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def serve(engine, llm=None, notice: Notice | None = None, progress=None) -> int:
    """Load ``engine`` (building its index if it must), then serve MCP on stdin/stdout until stdin closes."""
    _mcp()  # a missing SDK is said before any model loads
    with _stdout_to_stderr():
        engine.prepare(notice=notice, progress=progress)
        server = build_server(QATools(engine, llm=llm, notice=notice))
    if notice:
        manifest = engine.index.manifest
        notice(
            f"MCP server ready on stdio: {count(len(manifest.files), 'file')}, {count(manifest.passage_count, 'passage')}"
        )
    server.run("stdio")
    return 0
