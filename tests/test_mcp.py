"""`qa mcp`: the MCP server over stdio, driven by the SDK's own client.

Fast tests use the fake models: the tools called directly, and a real
subprocess (tests/fake_qa.py mcp) spoken to over stdio. The test marked
`model` runs `python -m qa.cli mcp` with the real models on a small folder.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import fakes
import pytest

from qa.cli import main  # imported before any test captures stderr (qa.cli binds it at import)
from qa.documents import decode, lines_of
from qa.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
FAKE_QA = ROOT / "tests" / "fake_qa.py"
CONTRACT = {"question", "answer", "abstained", "citations"}
CITATION = {"n", "source", "start_line", "end_line", "text", "score"}

LAUNCH = """Project Falcon
==============

Project Falcon was launched on 11 January 2025 in Paris.
The falcon application reached 2 million daily users in March 2025.
"""
TEAM = """# Team

The Falcon project is led by Marie Curie, its director.

Install it with `pip install falcon-tools`.
"""


def _write_docs(folder: Path) -> Path:
    docs = folder / "docs"
    docs.mkdir()
    (docs / "launch.txt").write_text(LAUNCH, encoding="utf-8")
    (docs / "team.md").write_text(TEAM, encoding="utf-8")
    return docs


def _assert_verbatim(citation: dict, cwd: Path) -> None:
    assert CITATION <= set(citation)
    text = decode((cwd / citation["source"]).read_bytes())
    assert citation["text"] in lines_of(text, citation["start_line"], citation["end_line"])


@pytest.fixture
def fake_index(in_tmp_path, tmp_path, fake_models, monkeypatch, capsys):
    """docs/ indexed with the fake models into idx/; the test runs in tmp_path."""
    _write_docs(tmp_path)
    assert main(["index", "docs", "--index", "idx"], models=fake_models) == 0
    capsys.readouterr()
    return tmp_path / "idx"


@pytest.fixture
def tools(fake_index):
    from qa.api import Engine
    from qa.mcp_server import QATools

    notices = []
    engine = Engine(index_dir=fake_index, models=fakes.MODELS)
    engine.prepare()
    tools = QATools(engine, notice=notices.append)
    tools.notices = notices
    return tools


# -- the tools, called directly ------------------------------------------------------------


def test_ask_gives_the_json_contract_of_qa_ask(tools, tmp_path):
    data = tools.ask("When was Project Falcon launched?")
    assert CONTRACT <= set(data) and "llm_notice" not in data
    assert data["question"] == "When was Project Falcon launched?"
    assert isinstance(data["abstained"], bool) and len(data["answer"]) <= 300
    assert json.loads(json.dumps(data)) == data  # plain JSON values only
    for citation in data["citations"]:
        _assert_verbatim(citation, tmp_path)


def test_ask_matches_the_cli(tools, capsys, fake_models):
    data = tools.ask("Who leads the Falcon project?", top_k=2)
    capsys.readouterr()
    assert (
        main(["ask", "--json", "--top-k", "2", "Who leads the Falcon project?", "--index", "idx"], models=fake_models)
        == 0
    )
    assert json.loads(capsys.readouterr().out) == data


def test_search_gives_ranked_passages_with_citations(tools, tmp_path):
    result = tools.search("falcon launched January", k=3)
    passages = result["passages"]
    assert result["query"] == "falcon launched January"
    assert 1 <= len(passages) <= 3
    assert [p["n"] for p in passages] == list(range(1, len(passages) + 1))
    scores = [p["score"] for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert any("11 January 2025" in p["text"] for p in passages)
    for p in passages:
        _assert_verbatim(p, tmp_path)
        assert p["kind"] and "section" in p
    assert len(tools.search("falcon", k=1)["passages"]) == 1


def test_search_cites_pdf_and_html_passages_as_qa_ask_does(in_tmp_path, fake_models, tmp_path, capsys, monkeypatch):
    """A PDF passage's lines count from its page, which the citation names; an HTML one names its anchor."""
    from rich_documents import make_html, make_pdf

    from qa.api import Engine
    from qa.mcp_server import QATools

    make_pdf(tmp_path / "handbook.pdf")
    make_html(tmp_path / "guide.html")
    (tmp_path / "notes.txt").write_text("The storm of 1921 broke the windows of the tower.\n", encoding="utf-8")
    assert main(["index", "handbook.pdf", "guide.html", "notes.txt", "--index", "idx"], models=fake_models) == 0
    capsys.readouterr()
    question = "When did the storm break the windows of the tower?"
    assert main(["ask", "--json", "--top-k", "5", question, "--index", "idx"], models=fake_models) == 0
    asked = json.loads(capsys.readouterr().out)["citations"]
    engine = Engine(index_dir=tmp_path / "idx", models=fake_models)
    engine.prepare()
    passages = QATools(engine).search(question, k=50)["passages"]
    assert {p["source"] for p in passages} == {"handbook.pdf", "guide.html", "notes.txt"}
    for p in passages:
        assert ("page" in p) == (p["source"] == "handbook.pdf"), p
        assert ("anchor" in p) == (p["source"] == "guide.html"), p
        where = f"#page={p['page']}" if "page" in p else f"#{p['anchor']}" if "anchor" in p else ""
        assert main(["show", f"{p['source']}{where}:{p['start_line']}-{p['end_line']}"], models=fake_models) == 0
        assert p["text"] in capsys.readouterr().out, p
    # The passages qa ask cites are cited by search in the same words: same lines, offsets and locator.
    spans = {
        (p["source"], p["start_char"]): {k: v for k, v in p.items() if k not in ("n", "score", "kind", "section")}
        for p in passages
    }
    assert any("page" in c for c in asked), asked
    for c in asked:
        assert spans[(c["source"], c["start_char"])] == {k: v for k, v in c.items() if k not in ("n", "score")}


def test_sources_lists_the_indexed_files(tools, fake_index):
    result = tools.sources()
    assert [s["source"] for s in result["sources"]] == ["docs/launch.txt", "docs/team.md"]
    for s in result["sources"]:
        assert Path(s["path"]).is_file() and s["passages"] > 0 and s["bytes"] > 0
    assert result["passage_count"] == sum(s["passages"] for s in result["sources"])
    assert result["index"] == str(fake_index) and result["skipped"] == []


def test_bad_calls_are_usage_errors(tools):
    with pytest.raises(UsageError, match="the question is empty"):
        tools.ask("  \x1b ")
    with pytest.raises(UsageError, match="the question is empty"):
        tools.search("")
    for k in (0, 51):
        with pytest.raises(UsageError, match="k must be between 1 and 50"):
            tools.search("falcon", k=k)
    with pytest.raises(UsageError, match="top-k"):
        tools.ask("falcon?", top_k=0)


def test_a_long_question_is_cut_with_a_notice(tools):
    tools.search("falcon " * 300)
    assert any("longer than 1000 characters" in n for n in tools.notices)


def test_missing_sdk_says_what_to_install(monkeypatch):
    from qa import mcp_server

    for name in [n for n in sys.modules if n == "mcp" or n.startswith("mcp.")] or ["mcp"]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(UsageError, match=r"pip install -e '\.\[mcp\]'"):
        mcp_server._mcp()


# -- the protocol, through the SDK's client -------------------------------------------------


async def _session_calls(command: list[str], cwd: Path, errlog, env: dict | None = None) -> dict:
    """Start the server, list its tools, call each; the results as plain data."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=command[0], args=command[1:], cwd=str(cwd), env=env)
    out = {}
    async with stdio_client(params, errlog=errlog) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            out["tools"] = {t.name: t for t in listed.tools}
            calls = {
                "ask": ("ask", {"question": "When was Project Falcon launched?"}),
                "search": ("search", {"query": "When was Project Falcon launched?", "k": 3}),
                "sources": ("sources", {}),
                "empty": ("ask", {"question": "   "}),
                "bad_k": ("search", {"query": "falcon", "k": 0}),
            }
            for key, (name, arguments) in calls.items():
                out[key] = await session.call_tool(name, arguments)
    return out


def _structured(result) -> dict:
    """The tool's result as data: its structured content, which its text content states too."""
    assert not _is_error(result), result
    data = getattr(result, "structured_content", None) or getattr(result, "structuredContent", None)
    assert json.loads(result.content[0].text) == data
    return data


def _is_error(result) -> bool:
    return bool(getattr(result, "is_error", None) or getattr(result, "isError", None))


def _check_round_trip(out: dict, cwd: Path) -> dict:
    assert set(out["tools"]) == {"ask", "search", "sources"}
    schema = getattr(out["tools"]["search"], "input_schema", None) or out["tools"]["search"].inputSchema
    assert schema["required"] == ["query"] and schema["properties"]["k"]["default"] == 5

    answer = _structured(out["ask"])
    assert CONTRACT <= set(answer) and answer["question"] == "When was Project Falcon launched?"
    for citation in answer["citations"]:
        _assert_verbatim(citation, cwd)

    passages = _structured(out["search"])["passages"]
    assert 1 <= len(passages) <= 3
    for p in passages:
        _assert_verbatim(p, cwd)

    sources = _structured(out["sources"])
    assert [s["source"] for s in sources["sources"]] == ["docs/launch.txt", "docs/team.md"]

    assert _is_error(out["empty"]) and "the question is empty" in out["empty"].content[0].text
    assert _is_error(out["bad_k"])
    return answer


def test_mcp_round_trip_over_stdio_with_fake_models(fake_index, tmp_path):
    errlog = tmp_path / "stderr.txt"
    with errlog.open("w") as err:
        out = asyncio.run(
            _session_calls(
                [sys.executable, str(FAKE_QA), "mcp", "--index", str(fake_index)],
                tmp_path,
                err,
                env={"HF_HUB_OFFLINE": "1"},
            )
        )
    _check_round_trip(out, tmp_path)
    # Notices on stderr; stdout carried only the protocol (or the client would have failed).
    assert "qa: MCP server ready on stdio: 2 files" in errlog.read_text()


class _RawStdio:
    """`qa mcp` (the fake models) spoken to line by line, without the SDK's client: what a broken client sends."""

    def __init__(self, index: Path, cwd: Path):
        self.process = subprocess.Popen(
            [sys.executable, str(FAKE_QA), "mcp", "--index", str(index)],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stdout], daemon=True).start()

    def send(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def request(self, id_, method: str, params: dict) -> None:
        self.send(json.dumps({"jsonrpc": "2.0", "id": id_, "method": method, "params": params}))

    def reply(self) -> dict:
        return json.loads(self.lines.get(timeout=120))

    def close(self) -> int:
        self.process.stdin.close()
        return self.process.wait(timeout=60)


def test_mcp_answers_malformed_lines_with_json_rpc_errors_and_serves_on(fake_index, tmp_path):
    server = _RawStdio(fake_index, tmp_path)
    parse_error = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
    invalid = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid Request"}}
    client = {"name": "test", "version": "1"}
    try:
        # Each bad line is followed by a good request: the replies come in order, one for each.
        server.send('{"jsonrpc": "2.0", "id": 1, "method": "initialize"')  # cut short
        server.send('{"jsonrpc": "2.0", "method": 5}')  # JSON, but no JSON-RPC message
        server.send("")  # a blank line asks nothing: no reply
        server.request(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": client})
        assert server.reply() == parse_error
        assert server.reply() == invalid
        initialized = server.reply()
        assert initialized["id"] == 1 and initialized["result"]["serverInfo"]["name"] == "qa"
        server.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        server.send("\x1b[31mnot json at all")
        server.request(2, "tools/call", {"name": "ask", "arguments": {"question": "When was Project Falcon launched?"}})
        assert server.reply() == parse_error
        answered = server.reply()
        assert answered["id"] == 2 and not answered["result"].get("isError")
        assert answered["result"]["structuredContent"]["question"] == "When was Project Falcon launched?"
    finally:
        assert server.close() == 0


def test_a_request_whose_id_is_no_id_is_answered_not_taken_for_a_notification(fake_index, tmp_path):
    """The SDK reads a request whose id is neither a string nor an integer as a notification and drops it: its
    client would wait for ever. Each gets -32600 with id null, and the requests after it are served."""
    server = _RawStdio(fake_index, tmp_path)
    invalid = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid Request"}}
    client = {"name": "test", "version": "1"}
    try:
        server.request(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": client})
        assert server.reply()["id"] == 1
        server.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        for request_id in ["true", "1.5", "1e400", '{"n": 1}', "null", "[2]"]:
            server.send(f'{{"jsonrpc": "2.0", "id": {request_id}, "method": "tools/list"}}')
            assert server.reply() == invalid, request_id
        server.send(
            '{"jsonrpc": "2.0", "id": 4, "method": "tools/list", "params": ' + "[" * 100_000 + "]" * 100_000 + "}"
        )
        assert server.reply()["error"]["code"] in (-32700, -32600)  # nested deeper than a parser recurses
        server.send('{"jsonrpc": "2.0", "id": "three", "method": "tools/list"}')
        assert server.reply()["id"] == "three"
    finally:
        assert server.close() == 0


def test_an_invalid_request_gets_its_own_id_back_when_it_can_be_read(fake_index, tmp_path):
    """JSON-RPC 2.0: the error reply to an Invalid Request carries the request's id; null only when the id cannot
    be read (none, null, not a string or an integer, or no object to read it from)."""
    server = _RawStdio(fake_index, tmp_path)
    sent = [
        ({"jsonrpc": "2.0", "id": 7}, 7),  # no method
        ({"jsonrpc": "2.0", "id": "seven", "method": 5}, "seven"),  # a method that is no string
        ({"jsonrpc": "1.0", "id": 8, "method": "ping"}, 8),  # another protocol version
        ({"jsonrpc": "2.0", "id": 9, "method": "ping", "params": "none"}, 9),  # params neither object nor array
        ({"id": 10, "method": "ping"}, 10),  # no jsonrpc member
        ({"jsonrpc": "2.0", "id": [11], "method": 5}, None),  # an id that is no id
        ({"jsonrpc": "2.0", "id": True}, None),
        ({"jsonrpc": "2.0", "id": None, "method": 5}, None),
        ([{"jsonrpc": "2.0", "id": 12, "method": "ping"}], None),  # a batch: no one request to answer
        ({"jsonrpc": "2.0", "id": 13, "result": "none"}, None),  # a response: its id is one of the server's
    ]
    client = {"name": "test", "version": "1"}
    try:
        for message, _ in sent:
            server.send(json.dumps(message))
        server.request(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": client})
        for message, id_ in sent:
            assert server.reply() == {
                "jsonrpc": "2.0",
                "id": id_,
                "error": {"code": -32600, "message": "Invalid Request"},
            }, message
        initialized = server.reply()
        assert initialized["id"] == 1 and initialized["result"]["serverInfo"]["name"] == "qa"
    finally:
        assert server.close() == 0


def test_mcp_without_an_index_exits_4_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, str(FAKE_QA), "mcp", "--index", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 4, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "qa index FOLDER --index" in result.stderr


@pytest.mark.model
def test_mcp_round_trip_with_the_real_models(tmp_path):
    _write_docs(tmp_path)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("QA_MODEL", None)
    built = subprocess.run(
        [sys.executable, "-m", "qa.cli", "index", "docs", "--index", "idx"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    errlog = tmp_path / "stderr.txt"
    with errlog.open("w") as err:
        out = asyncio.run(
            _session_calls(
                [sys.executable, "-m", "qa.cli", "mcp", "--index", "idx"],
                tmp_path,
                err,
                env={"HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)},
            )
        )
    answer = _check_round_trip(out, tmp_path)
    assert answer["abstained"] is False and "11 January 2025" in answer["answer"]
    assert answer["citations"][0]["source"] == "docs/launch.txt"
    assert answer["citations"][0]["start_line"] == 4
    passages = _structured(out["search"])["passages"]
    assert passages[0]["source"] == "docs/launch.txt" and "11 January 2025" in passages[0]["text"]
    assert "MCP server ready" in errlog.read_text()
