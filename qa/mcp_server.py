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
printed to stdout while the engine loads is sent to stderr too. A line of stdin
that is no JSON-RPC message gets its JSON-RPC error reply (``_ParseErrors``). The tools
themselves (``QATools``) are plain Python, usable and testable without MCP;
only :func:`build_server` and :func:`serve` need the ``mcp`` package
(``pip install -e '.[mcp]'``).
"""

# No `from __future__ import annotations`: the SDK reads the tools' parameter
# types (and their pydantic Fields) from the annotations themselves.
import contextlib
import functools
import io
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from qa.errors import QAError, UsageError, loads_json
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
        from qa.answering import passage_citation
        from qa.api import clean_question

        if not 1 <= k <= MAX_SEARCH_RESULTS:
            raise UsageError(f"k must be between 1 and {MAX_SEARCH_RESULTS}")
        cleaned = clean_question(query, self.notice)
        with self._lock:
            self.engine.prepare(self.notice)
            # The answerer's own ranking (fitted ranker over the fused retrieval), as `ask` uses it.
            _, _, scored = self.engine.answerer.featurize(cleaned)
        passages = []
        for n, s in enumerate(scored[:k], start=1):
            p = s.candidate.passage
            # Cited as `qa ask --json` cites it: a PDF passage's lines count from its page, with the page
            # (an HTML passage with its anchor, a DOCX one with its paragraph).
            citation = passage_citation(n, p, s.score)
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
    _run_stdio(server)
    return 0


def _run_stdio(server) -> None:
    """``server.run("stdio")``, with each line of stdin that is not a JSON-RPC message answered (_ParseErrors)."""
    import anyio
    from mcp.server.stdio import stdio_server

    lowlevel = _lowlevel_server(server)

    async def run() -> None:
        # stdin as the SDK reads it (UTF-8, undecodable bytes replaced), its requests of unusable ids made invalid.
        stdin = _RequestsWithUsableIds(
            anyio.wrap_file(io.TextIOWrapper(os.fdopen(os.dup(0), "rb"), encoding="utf-8", errors="replace"))
        )
        async with stdio_server(stdin=stdin) as (read_stream, write_stream):
            await lowlevel.run(
                _ParseErrors(read_stream, write_stream), write_stream, lowlevel.create_initialization_options()
            )

    anyio.run(run)


class _RequestsWithUsableIds:
    """Lines of stdin, each a request whose id is neither a string nor an integer (``true``, ``1.5``, ``1e400``,
    an object, null) made an invalid message (``{}``), so that it gets its -32600 reply with id null (_ParseErrors).

    The SDK reads such a line as a notification, whose members it does not keep: without this it would go
    unanswered, and its client would wait for ever (MCP: a request's id MUST be a string or an integer).
    """

    def __init__(self, lines):
        self._lines = lines

    async def __aiter__(self):
        async for line in self._lines:
            yield "{}\n" if _unusable_request_id(line) else line


def _unusable_request_id(line: str) -> bool:
    try:
        message = loads_json(line)
    except ValueError:
        return False  # not JSON: the SDK's reader says so (-32700)
    if not isinstance(message, dict) or "method" not in message or "id" not in message:
        return False
    request_id = message["id"]
    return not (isinstance(request_id, str) or (isinstance(request_id, int) and not isinstance(request_id, bool)))


def _lowlevel_server(server):
    """The SDK's low-level server inside its MCPServer (mcp 2) or FastMCP (mcp 1): what ``run_stdio_async`` runs.

    Read through a private attribute (mcp 2 ``_lowlevel_server``, mcp 1 ``_mcp_server``) because the SDK offers
    no public way to it (its own in-memory client reads it the same way, marked to be made public), and none to
    serve stdio over another read stream or to hear of the lines its reader could not read: ``_ParseErrors``
    must stand between that reader and this server. The one place the SDK's private names are used.
    """
    return getattr(server, "_lowlevel_server", None) or server._mcp_server


class _ParseErrors:
    """The server's read stream, whose malformed lines get their JSON-RPC error reply.

    The SDK's stdio reader passes a line it cannot read as a message on as an exception, which its
    server drops without a word: a client that sent it waits for ever. JSON-RPC 2.0 asks for a reply:
    -32700 "Parse error" with id null for a line that is not JSON, -32600 "Invalid Request" for JSON
    that is no JSON-RPC message, with the request's id when it can be read (null otherwise). It is sent
    here, through the SDK's own writer, and the next line is served as usual.
    """

    def __init__(self, read_stream, write_stream):
        self._read = read_stream
        self._write = write_stream

    async def receive(self):
        while isinstance(item := await self._read.receive(), Exception):
            await self._answer(item)
        return item

    def __aiter__(self):
        return self

    async def __anext__(self):
        while isinstance(item := await self._read.__anext__(), Exception):
            await self._answer(item)
        return item

    async def __aenter__(self):
        await self._read.__aenter__()
        return self

    async def __aexit__(self, *exc_info):
        return await self._read.__aexit__(*exc_info)

    def __getattr__(self, name: str):  # aclose, last_context...: the SDK's stream's own
        return getattr(self._read, name)

    async def _answer(self, exc: Exception) -> None:
        from mcp import types
        from mcp.shared.message import SessionMessage

        errors = exc.errors() if callable(getattr(exc, "errors", None)) else []
        invalid_json = [error for error in errors if error.get("type") == "json_invalid"]
        if invalid_json and not str(invalid_json[0].get("input", "x")).strip():
            return  # a blank line between messages: nothing was asked
        if invalid_json:
            code, message, request_id = types.PARSE_ERROR, "Parse error", None
        else:
            code, message, request_id = types.INVALID_REQUEST, "Invalid Request", _request_id(errors)
        # model_construct: mcp 1's model types no request id of null, which this reply may carry.
        reply = types.JSONRPCError.model_construct(
            jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=message)
        )
        if isinstance(types.JSONRPCMessage, type):  # mcp 1 wraps each message in a root model
            reply = _message_with_null_id(types.JSONRPCMessage)(reply)
        await self._write.send(SessionMessage(reply))


def _request_id(errors: list[dict]) -> int | str | None:
    """The id of the request a line held, when it is one (a string or an integer), else None. A response of the
    client's (a result or an error) is none: its id numbers the server's own requests, and a reply carrying it
    would read as the answer to one of the client's.

    The SDK's reader hands on only the validation error, not the line; an error saying that a member is missing
    (no method, no jsonrpc...) holds the whole object as its input, and there is one unless the object has every
    member of every kind of message (jsonrpc, id, method, result and error at once). Other errors hold only the
    member at fault, never read as the object.
    """
    for error in errors:
        message = error.get("input")
        if error.get("type") == "missing" and len(error.get("loc", ())) == 2 and isinstance(message, dict):
            if "result" in message or "error" in message:
                return None
            request_id = message.get("id")
            if isinstance(request_id, str) or (isinstance(request_id, int) and not isinstance(request_id, bool)):
                return request_id
            return None
    return None


@functools.cache
def _message_with_null_id(message_type: type) -> type:
    """mcp 1's message root model, written with its id even when null (its writer leaves out null members)."""
    from pydantic import model_serializer

    class WithNullId(message_type):
        @model_serializer(mode="wrap")
        def _keep_null_id(self, handler):
            data = handler(self)
            return data if "id" in data else {"jsonrpc": data.get("jsonrpc", "2.0"), "id": None, **data}

    return WithNullId
