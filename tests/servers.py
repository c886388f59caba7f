"""A fake OpenAI-compatible endpoint on 127.0.0.1 (standard library only), shared by the LLM and chat tests.

It streams, answers in one JSON body, fails, stalls, trickles, redirects or hangs
up, as each test sets ``mode``. No model, no network.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "sk-test-0123456789-secret"
PASSAGE = "Au 31 janvier, DeepSeek n’était accessible que depuis 21 jours, ayant été lancée le 11 janvier 2025."


NESTED = b'{"choices": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # 200 KB, within every size limit


class FakeEndpoint:
    """What the server does next: ``mode`` and ``reply`` are set by each test."""

    def __init__(self):
        self.mode = "stream"
        self.reply = "DeepSeek was launched on January 11, 2025 [1]."
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.completion_reply: str | None = None  # what …/completions streams, if not ``reply``
        self.paths: list[str] = []
        self.hold: threading.Event | None = None  # when set by a test, the stream waits on it after two pieces
        # The "drip-*" modes send one byte every ``drip_interval`` seconds for ``drip_for`` seconds
        # (then the rest at once: a client without a total deadline gets a good answer, late).
        self.drip_interval = 0.2
        self.drip_for = 8.0
        self.dripped = 0  # bytes sent one at a time so far
        self.gone = threading.Event()  # set when the client broke off a dripping reply
        # The "huge-*" modes send a body of ``huge_bytes``, made as it is sent (the server holds one block),
        # counting in ``sent`` what the client let through before breaking off.
        self.huge_bytes = 64 * 1024 * 1024
        self.sent = 0


def _handler(endpoint: FakeEndpoint):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _json(self, status: int, data: dict) -> None:
            body = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first: that is the point of some tests

        def _drip(self, raw: bytes, start: int) -> None:
            """``raw`` (a whole HTTP response) with its bytes from ``start`` on sent one at a time."""
            deadline = time.monotonic() + endpoint.drip_for
            try:
                self.wfile.write(raw[:start])
                self.wfile.flush()
                position = start
                while position < len(raw) and time.monotonic() < deadline:
                    self.wfile.write(raw[position : position + 1])
                    self.wfile.flush()
                    endpoint.dripped += 1
                    position += 1
                    time.sleep(endpoint.drip_interval)
                self.wfile.write(raw[position:])
                self.wfile.flush()
            except OSError:
                endpoint.gone.set()
            self.close_connection = True

        def _huge(self, kind: str, head: bytes, block: bytes, declared: int | None = None) -> None:
            """A 200 reply of ``head`` then ``block`` over and over, up to ``endpoint.huge_bytes`` in all."""
            self.send_response(200)
            self.send_header("Content-Type", kind)
            if declared is not None:
                self.send_header("Content-Length", str(declared))
            self.end_headers()
            try:
                self.wfile.write(head)
                endpoint.sent = len(head)
                while endpoint.sent < endpoint.huge_bytes:
                    self.wfile.write(block)
                    endpoint.sent += len(block)
            except OSError:
                endpoint.gone.set()
            self.close_connection = True

        def _raw(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self.headers_seen()
            if endpoint.mode == "nested-models" and self.path.endswith("/models"):
                self._raw(200, "application/json", NESTED)
                return
            if endpoint.mode == "drip-models" and self.path.endswith("/models"):
                body = json.dumps({"data": [{"id": "fake-model"}]}).encode()
                head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                self._drip(head.encode() + body, len(head))
                return
            if self.path.endswith("/models"):
                self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
            else:
                self._json(404, {"error": {"message": "not found"}})

        def headers_seen(self):
            endpoint.headers.append(dict(self.headers))

        def do_POST(self):
            self.headers_seen()
            length = int(self.headers.get("Content-Length", 0))
            request = json.loads(self.rfile.read(length))
            endpoint.requests.append(request)
            endpoint.paths.append(self.path)
            mode = endpoint.mode
            reply = endpoint.reply
            if self.path.endswith("/completions") and not self.path.endswith("/chat/completions"):
                if mode == "chat-only":
                    self._json(404, {"error": {"message": "not found"}})
                    return
                reply = endpoint.completion_reply or reply
            if mode == "chat-only":
                mode = "stream"
            if mode == "drip-models":
                mode = "json"
            if mode in ("drip-json", "drip-headers", "drip-stream", "drip-keep-alive"):
                if mode in ("drip-json", "drip-headers"):
                    body = json.dumps({"choices": [{"message": {"content": reply}}]}).encode()
                    kind = "application/json"
                elif mode == "drip-stream":
                    events = [{"choices": [{"index": 0, "delta": {"content": reply}}]}]
                    body = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events) + b"data: [DONE]\n\n"
                    kind = "text/event-stream"
                else:  # a comment line (a keep-alive) at every drip, and never a token
                    body = (
                        b": keep-alive\n\n" * 200
                        + f"data: {json.dumps({'choices': [{'delta': {'content': reply}}]})}\n\n".encode()
                    )
                    kind = "text/event-stream"
                head = f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                if mode == "drip-keep-alive":
                    endpoint.drip_interval = endpoint.drip_interval / 14  # one comment line per interval
                self._drip(head + body, 0 if mode == "drip-headers" else len(head))
                return
            if mode == "huge-json":  # one JSON body that never seems to end (no length: it ends when closed)
                self._huge("application/json", b'{"choices": [{"message": {"content": "', b"x" * 65536)
                return
            if mode == "huge-declared":  # a JSON body declared of 10 GB
                self._huge("application/json", b'{"choices": [', b" " * 65536, declared=10 * 1024**3)
                return
            if mode == "huge-stream":  # events of 1,000 characters, one after the other
                event = {"choices": [{"index": 0, "delta": {"content": "x" * 1000}}]}
                self._huge("text/event-stream", b"", f"data: {json.dumps(event)}\n\n".encode() * 64)
                return
            if mode in ("nested-json", "nested-error"):  # JSON nested deeper than a parser recurses
                self._raw(200 if mode == "nested-json" else 500, "application/json", NESTED)
                return
            if mode == "nested-stream":
                self._raw(200, "text/event-stream", b"data: " + NESTED + b"\n\ndata: [DONE]\n\n")
                return
            if mode == "error":
                self._json(500, {"error": {"message": f"model crashed; your key {SECRET} is fine"}})
            elif mode == "unauthorized":
                self._json(401, {"error": {"message": f"Incorrect API key provided: {SECRET}"}})
            elif mode == "garbage":
                self._json(200, {"unexpected": True})
            elif mode == "redirect":
                self.send_response(307)
                self.send_header("Location", "http://127.0.0.2:9/steal")
                self.end_headers()
            elif mode == "slow":
                time.sleep(3)
                self._json(200, {"choices": [{"message": {"content": endpoint.reply}}]})
            elif mode == "json":
                self._json(200, {"choices": [{"message": {"role": "assistant", "content": endpoint.reply}}]})
            elif mode in ("stream", "trickle", "stream-error"):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(b": keep-alive\n\n")
                words = reply.split(" ")
                for i, word in enumerate(words):
                    piece = word if i == 0 else " " + word
                    event = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                    if "prompt" in request:  # a text completion streams "text", not a chat delta
                        event = {"choices": [{"index": 0, "text": piece}]}
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                    if mode == "trickle":
                        time.sleep(0.4)
                    if endpoint.hold is not None and i == 1:
                        endpoint.hold.wait(10)
                    if mode == "stream-error" and i == 1:
                        self.wfile.write(b'data: {"error": {"message": "out of memory"}}\n\n')
                        return
                self.wfile.write(b"data: [DONE]\n\n")
            elif mode == "hang-up":
                self.connection.shutdown(socket.SHUT_RDWR)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # a client that gave up first is the point of some tests
        pass


@contextmanager
def fake_llm_server():
    """A FakeEndpoint served on 127.0.0.1 for the duration of the block (also used by the chat tests)."""
    state = FakeEndpoint()
    server = _QuietServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        if state.hold is not None:
            state.hold.set()  # let a reply held mid-stream finish, so shutdown does not wait on it
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
