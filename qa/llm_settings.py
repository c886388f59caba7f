"""Where and how to ask an LLM: ``LLMSettings`` (the URL checked, the API key kept out of every repr and message),
``LLMError``, and the defaults."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from qa.config import Settings
from qa.errors import UsageError

DEFAULT_TIMEOUT = 60.0  # seconds for the whole generation
DEFAULT_CONNECT_TIMEOUT = 10.0  # seconds for connecting and for any single wait on the socket
MAX_TOKENS = 200

OnToken = Callable[[str], None]


class LLMError(Exception):
    """The endpoint could not give an answer: down, slow, failing or not OpenAI-compatible.

    ``message`` is one line, fit for a notice, and never holds the API key.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LLMSettings:
    """Where and how to ask. ``api_key`` is kept out of ``repr`` and never printed."""

    url: str
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    max_tokens: int = MAX_TOKENS
    temperature: float = 0.0
    stream: bool = True
    # When the chat reply is refused, ask once more as a plain text completion (/completions):
    # base models, which are not trained on chat templates, continue text far better.
    completion_fallback: bool = True

    @classmethod
    def from_settings(
        cls, settings: Settings, url: str | None = None, model: str | None = None, **kwargs
    ) -> LLMSettings | None:
        """Settings from explicit values (--llm-url, --llm-model), else from ``settings`` (QA_LLM_URL,
        QA_LLM_MODEL; the key from QA_LLM_API_KEY); None without a URL."""
        url = (url if url is not None else settings.llm_url or "").strip()
        if not url:
            return None
        model = (model if model is not None else settings.llm_model or "").strip() or None
        _check_url(url)
        return cls(url=url, model=model, api_key=settings.llm_api_key, **kwargs)

    @classmethod
    def from_env(
        cls, url: str | None = None, model: str | None = None, environ: Mapping[str, str] | None = None, **kwargs
    ) -> LLMSettings | None:
        """As ``from_settings``, with the settings of ``environ`` (default: the process environment)."""
        return cls.from_settings(Settings.from_env(os.environ if environ is None else environ), url, model, **kwargs)

    @property
    def endpoint(self) -> str:
        """The chat-completions URL: the base URL (…/v1) with /chat/completions added."""
        base = self.url.rstrip("/")
        return base if base.endswith("/chat/completions") else base + "/chat/completions"

    @property
    def models_endpoint(self) -> str:
        return self._base + "/models"

    @property
    def completions_endpoint(self) -> str:
        """The text-completions URL (…/v1/completions), for the completion-style prompt."""
        return self._base + "/completions"

    @property
    def _base(self) -> str:
        base = self.url.rstrip("/")
        if base.endswith("/chat/completions"):
            base = base[: -len("/chat/completions")]
        return base

    @property
    def display_url(self) -> str:
        """The URL without user:password, for messages."""
        return redact_url(self.url)

    def redact(self, text: str) -> str:
        """``text`` with the API key (and any credentials in the URL) blanked out."""
        if self.api_key:
            text = text.replace(self.api_key, "***")
        parts = urllib.parse.urlsplit(self.url)
        if parts.password:
            text = text.replace(parts.password, "***")
        return text


def _check_url(url: str) -> None:
    """One clear line for a URL that cannot work (never echoing it: it may hold credentials)."""
    try:
        parts = urllib.parse.urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        valid = False
    if not valid:
        raise UsageError("the LLM URL must be an http:// or https:// URL, such as http://localhost:11434/v1")


def redact_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        parts = parts._replace(netloc=host)
    return urllib.parse.urlunsplit(parts._replace(query="", fragment=""))
