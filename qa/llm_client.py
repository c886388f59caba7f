"""The HTTP client of an OpenAI-compatible endpoint (urllib only): ``list_models``, ``chat`` and ``complete``,
each exchange on a worker thread under a total deadline, its sockets shut when the deadline passes or the
caller cancels; replies read incrementally and capped; redirects refused; credentials only in the header."""

from __future__ import annotations

import http.client
import ipaddress
import json
import queue
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence

from qa import tuning
from qa.errors import loads_json
from qa.llm_settings import LLMError, LLMSettings, OnToken, redact_url

_MAX_ERROR_BODY = 200


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the Authorization header to another host: refuse it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"redirect to {redact_url(newurl)} not followed", headers, fp)


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Sockets:
    """The sockets of one exchange, so that another thread can break it off at once.

    Closing a socket does not wake a thread blocked reading it; shutting it down does.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.abandoned = False

    def add(self, sock) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.abandoned:
                _shut(sock)

    def abandon(self) -> None:
        with self._lock:
            self.abandoned = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except (OSError, ValueError):
        pass  # already closed


def _recording(base: type, sockets: _Sockets | None) -> type:
    class Recording(base):
        def connect(self):
            super().connect()
            if sockets is not None:
                sockets.add(self.sock)

    return Recording


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, sockets: _Sockets | None):
        super().__init__()
        self._sockets = sockets

    def http_open(self, req):
        return self.do_open(_recording(http.client.HTTPConnection, self._sockets), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, sockets: _Sockets | None):
        super().__init__()
        self._sockets = sockets

    def https_open(self, req):
        return self.do_open(_recording(http.client.HTTPSConnection, self._sockets), req, context=self._context)


def _opener(url: str, sockets: _Sockets | None = None):
    handlers: list = [_NoRedirect(), _HTTPHandler(sockets), _HTTPSHandler(sockets)]
    if _is_loopback(urllib.parse.urlsplit(url).hostname):
        handlers.append(urllib.request.ProxyHandler({}))  # a local server is never reached through a proxy
    return urllib.request.build_opener(*handlers)


def _request(settings: LLMSettings, url: str, payload: dict | None = None) -> urllib.request.Request:
    try:
        parts = urllib.parse.urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # e.g. "http://[::1/v1"
        hostname = None
    if not hostname or parts.scheme not in ("http", "https"):
        raise LLMError(f"the LLM URL must be http:// or https:// (got {settings.display_url!r})")
    headers = {"Accept": "text/event-stream, application/json", "User-Agent": "qa"}
    if parts.username or parts.password:
        url = redact_url(url)  # credentials go in the header, never in the request line
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    data = None
    if payload is not None:
        data = json.dumps(payload).encode("utf-8")
        headers["Content-Type"] = "application/json"
    return urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")


def _open(settings: LLMSettings, request: urllib.request.Request, sockets: _Sockets | None = None):
    where = settings.display_url
    try:
        return _opener(request.full_url, sockets).open(request, timeout=settings.connect_timeout)
    except urllib.error.HTTPError as exc:
        body = ""
        try:
            body = exc.read(4096).decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - the status says enough
            pass
        detail = _error_detail(body) or str(exc.reason or "")
        message = f"the LLM endpoint {where} answered HTTP {exc.code}"
        raise LLMError(settings.redact(f"{message}: {detail}" if detail else message)) from None
    except TimeoutError:
        raise LLMError(f"the LLM endpoint {where} did not answer within {settings.connect_timeout:g} s") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise LLMError(f"the LLM endpoint {where} did not answer within {settings.connect_timeout:g} s") from None
        text = getattr(reason, "strerror", None) or str(reason)
        raise LLMError(settings.redact(f"cannot reach the LLM endpoint {where}: {text}")) from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise LLMError(settings.redact(f"cannot reach the LLM endpoint {where}: {exc!r}")) from None


def _error_detail(body: str) -> str:
    try:
        data = loads_json(body)
        error = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(error, dict):
            error = error.get("message") or error.get("detail") or ""
        text = str(error)
    except (ValueError, AttributeError):
        text = body
    text = " ".join(text.split())
    return text[:_MAX_ERROR_BODY] + ("…" if len(text) > _MAX_ERROR_BODY else "")


def list_models(settings: LLMSettings, sockets: _Sockets | None = None) -> list[str]:
    """Model ids the endpoint offers (GET …/models); [] when it does not say."""
    if sockets is None:  # on its own: bounded by the whole timeout, like a generation
        return _bounded(settings, time.monotonic() + settings.timeout, None, lambda _emit, s: list_models(settings, s))
    with _open(settings, _request(settings, settings.models_endpoint), sockets) as response:
        try:
            data = loads_json(response.read(1_000_000).decode("utf-8"))
        except ValueError:
            return []
    items = data.get("data", []) if isinstance(data, dict) else []
    return [str(m["id"]) for m in items if isinstance(m, dict) and m.get("id")]


def chat(
    settings: LLMSettings,
    messages: list[dict],
    on_token: OnToken | None = None,
    cancel: threading.Event | None = None,
    stop: Sequence[str] = (),
) -> str:
    """The model's reply to ``messages``, streamed token by token to ``on_token``.

    Streams with server-sent events when ``settings.stream``; a server that
    answers with one JSON body instead is accepted too. Raises LLMError when the
    endpoint is unreachable, answers an error, stalls longer than
    ``connect_timeout`` or takes longer than ``timeout`` in all (a total
    deadline, however slowly the server trickles its bytes), and as soon as
    ``cancel`` is set.
    """
    return _generate(settings, settings.endpoint, {"messages": messages}, on_token, cancel, stop)


def complete(
    settings: LLMSettings,
    prompt: str,
    on_token: OnToken | None = None,
    cancel: threading.Event | None = None,
    stop: Sequence[str] = (),
) -> str:
    """How the model continues ``prompt`` (…/completions), streamed like :func:`chat`; the same errors."""
    return _generate(settings, settings.completions_endpoint, {"prompt": prompt}, on_token, cancel, stop)


def _generate(
    settings: LLMSettings,
    url: str,
    payload: dict,
    on_token: OnToken | None,
    cancel: threading.Event | None,
    stop: Sequence[str],
) -> str:
    deadline = time.monotonic() + settings.timeout
    payload = {
        **payload,
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
        "stream": settings.stream,
    }
    if settings.model:
        payload["model"] = settings.model
    if stop:
        payload["stop"] = list(stop)

    def exchange(emit: OnToken, sockets: _Sockets) -> str:
        if "model" not in payload:
            payload["model"] = _first_model(settings, sockets) or "default"
        return _exchange(settings, url, payload, emit, sockets)

    return _bounded(settings, deadline, cancel, exchange, on_token)


def _bounded(settings: LLMSettings, deadline: float, cancel: threading.Event | None, work, on_token=None):
    """``work(emit, sockets)`` run on a worker thread, given up at ``deadline`` or as soon as ``cancel`` is set.

    Socket timeouts bound each wait, not the whole: a server sending a byte
    every few seconds would hold a reader for ever. Here the caller waits on
    the worker's queue instead, so the deadline holds whatever the server
    does; the worker's sockets are then shut down, which ends it too. Tokens
    are passed to ``on_token`` on the caller's thread.
    """
    events: queue.Queue = queue.Queue()
    sockets = _Sockets()

    def run() -> None:
        try:
            events.put(("done", work(lambda piece: events.put(("token", piece)), sockets)))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which raises it
            events.put(("error", exc))

    threading.Thread(target=run, name="qa-llm", daemon=True).start()
    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise LLMError("the generation was cancelled")
            left = deadline - time.monotonic()
            if left <= 0:
                raise LLMError(f"the LLM endpoint {settings.display_url} took longer than {settings.timeout:g} s")
            try:
                kind, value = events.get(timeout=min(left, 0.05))
            except queue.Empty:
                continue
            if kind == "token":
                if on_token:
                    on_token(value)
            elif kind == "done":
                return value
            else:
                raise value
    finally:
        sockets.abandon()


def _exchange(settings: LLMSettings, url: str, payload: dict, emit: OnToken, sockets: _Sockets) -> str:
    """One request and its reply (on the worker thread of :func:`_bounded`)."""
    pieces: list[str] = []
    with _open(settings, _request(settings, url, payload), sockets) as response:
        content_type = response.headers.get("Content-Type", "")
        try:
            body = _CappedBody(response, settings)
            if "text/event-stream" in content_type:
                for piece in _sse_deltas(body, settings, sockets):
                    pieces.append(piece)
                    emit(piece)
            else:
                text = _message_content(_read_all(body, sockets), settings)
                pieces.append(text)
                if text:
                    emit(text)
        except TimeoutError:
            raise LLMError(
                f"the LLM endpoint {settings.display_url} stalled for more than {settings.connect_timeout:g} s"
            ) from None
        except (OSError, ValueError, http.client.HTTPException) as exc:
            if sockets.abandoned:
                raise LLMError("abandoned") from None  # nobody waits for this answer any more
            raise LLMError(settings.redact(f"the LLM endpoint {settings.display_url} broke off: {exc!r}")) from None
    return "".join(pieces)


def _first_model(settings: LLMSettings, sockets: _Sockets) -> str | None:
    try:
        models = list_models(settings, sockets)
    except LLMError:
        return None
    return models[0] if models else None


def _check_abandoned(sockets: _Sockets) -> None:
    if sockets.abandoned:
        raise LLMError("abandoned")  # the caller gave up (deadline or cancel): stop reading


class _CappedBody:
    """A reply's body, read incrementally and at most tuning.MAX_LLM_REPLY_BYTES of it.

    A server that declares or sends more (a runaway generation, a hostile or broken endpoint, an endless
    stream) fails the exchange with an LLMError as soon as the limit is passed, having held no more than
    that in memory; the caller keeps the extractive answer.
    """

    def __init__(self, response, settings: LLMSettings):
        self._response = response
        self._settings = settings
        self._left = tuning.MAX_LLM_REPLY_BYTES
        declared = (response.headers.get("Content-Length") or "").strip()
        if declared.isdigit() and int(declared) > self._left:
            self._too_large()

    def read(self, size: int) -> bytes:
        return self._counted(self._response.read(min(size, self._left + 1)))

    def readline(self, size: int) -> bytes:
        return self._counted(self._response.readline(min(size, self._left + 1)))

    def _counted(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            self._too_large()
        return data

    def _too_large(self):
        limit = tuning.MAX_LLM_REPLY_BYTES
        size = f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
        raise LLMError(f"the LLM endpoint {self._settings.display_url} sent a reply larger than {size}")


def _read_all(response, sockets: _Sockets) -> bytes:
    chunks = []
    while True:
        _check_abandoned(sockets)
        chunk = response.read(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _message_content(body: bytes, settings: LLMSettings) -> str:
    try:
        data = loads_json(body.decode("utf-8"))
        choice = data["choices"][0]
        content = choice["text"] if "message" not in choice and isinstance(choice.get("text"), str) else None
        if content is None:
            content = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise LLMError(f"the LLM endpoint {settings.display_url} sent a reply that is not OpenAI-compatible") from None
    return content or ""


def _sse_deltas(response, settings: LLMSettings, sockets: _Sockets) -> Iterator[str]:
    """The text deltas of a streamed chat completion (``data: {...}`` lines, ending with ``data: [DONE]``)."""
    data_lines: list[str] = []
    while True:
        _check_abandoned(sockets)
        raw = response.readline(1_000_000)
        if not raw:
            break
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line.startswith(":"):
            continue  # a comment, e.g. a keep-alive
        if line.startswith("data:"):
            data_lines.append(line[5:].removeprefix(" "))
            continue
        if line or not data_lines:
            continue  # another field (event:, id:) or a blank line between events
        data, data_lines = "\n".join(data_lines), []
        if data.strip() == "[DONE]":
            return
        yield from _delta_of(data, settings)
    if data_lines and "\n".join(data_lines).strip() != "[DONE]":
        yield from _delta_of("\n".join(data_lines), settings)


def _delta_of(data: str, settings: LLMSettings) -> Iterator[str]:
    try:
        event = loads_json(data)
    except ValueError:
        raise LLMError(f"the LLM endpoint {settings.display_url} streamed an event that is not JSON") from None
    if isinstance(event, dict) and event.get("error"):
        detail = _error_detail(json.dumps(event))
        raise LLMError(settings.redact(f"the LLM endpoint {settings.display_url} failed: {detail}"))
    try:
        choice = event["choices"][0] if event.get("choices") else {}
    except (TypeError, KeyError, AttributeError):
        raise LLMError(
            f"the LLM endpoint {settings.display_url} streamed an event that is not OpenAI-compatible"
        ) from None
    delta = choice.get("delta") or choice.get("message") or {}
    text = delta.get("content") if isinstance(delta, dict) else None
    if text is None and isinstance(choice.get("text"), str):
        text = choice["text"]
    if text:
        yield text
