"""Generated answers through any OpenAI-compatible chat endpoint, checked before anyone sees them.

The extractive answer stays the default. With an endpoint configured
(``--llm-url``/``QA_LLM_URL``, ``--llm-model``/``QA_LLM_MODEL``, ``QA_LLM_API_KEY``),
:func:`generate_answer` asks the model to answer from the numbered passages the
engine retrieved, streams its tokens to an optional callback, and passes the
text on only if :mod:`qa.verification` finds every marker and every checkable
fact in the passages it cites. Otherwise, or when the endpoint is down, slow or
failing, the extractive answer (or the abstention) comes back unchanged, with a
one-line notice saying why. Citations are always the retrieved passages, their
text verbatim from the files.

``timeout`` (``--llm-timeout``) is a total deadline: each exchange runs on a
worker thread whose sockets are shut down when the deadline passes or when
``cancel`` is set (the chat's Esc), so a server trickling one byte every few
seconds cannot hold a question, and the caller is back at once.

Only the standard library is used (urllib), and nothing heavy is imported. The
httpx the issue suggested is not what is installed: ``httpx2``, a fork that
comes with huggingface_hub and is not a dependency of this project, costs
55-90 ms more to import than urllib.request (measured with ``-X importtime``),
and its timeouts, like urllib's, bound each wait, not the whole, so the
deadline above would be needed all the same.

The API key is sent in the Authorization header and nowhere else: it is not in
any repr, message or log line, and a server's error text that echoes it is
redacted.

This module holds ``generate_answer`` and its check; the HTTP client is qa.llm_client's, the prompts
qa.llm_prompt's, the settings qa.llm_settings'.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa import verification
from qa.llm_client import chat, complete, list_models
from qa.llm_prompt import COMPLETION_STOP, NOT_FOUND, SYSTEM_PROMPT, build_completion_prompt, build_messages
from qa.llm_settings import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_TIMEOUT,
    MAX_TOKENS,
    LLMError,
    LLMSettings,
    OnToken,
)

# The client's, the prompts' and the settings' names, importable from here as before they had modules of their
# own (llm_client, llm_prompt, llm_settings).
__all__ = [
    "COMPLETION_STOP", "DEFAULT_CONNECT_TIMEOUT", "DEFAULT_TIMEOUT", "MAX_TOKENS", "NOT_FOUND", "SYSTEM_PROMPT",
    "LLMError", "LLMResult", "LLMSettings", "OnToken", "build_completion_prompt", "build_messages", "chat",
    "complete", "generate_answer", "list_models",
]  # fmt: skip


@dataclass
class LLMResult:
    """What :func:`generate_answer` gives: the answer to show, and why when it is not the model's."""

    answer: object  # qa.answering.Answer, with answered_by "llm" or "extractive"
    notice: str | None = None  # one line, when the model's answer was not used
    generated: str = ""  # the model's raw text, verified or not
    verification: verification.Verification | None = None
    not_found: bool = False  # the model said the passages do not answer

    @property
    def used_llm(self) -> bool:
        return getattr(self.answer, "answered_by", "") == "llm"


def generate_answer(
    answer,
    settings: LLMSettings,
    passages: Sequence | None = None,
    on_token: OnToken | None = None,
    cancel: threading.Event | None = None,
    on_restart: Callable[[], None] | None = None,
) -> LLMResult:
    """The model's verified answer to ``answer.question``, or ``answer`` itself with the reason.

    ``answer`` is the engine's extractive Answer; ``passages`` defaults to its
    citations (the retrieved passages, numbered as they are). ``on_token`` gets
    each piece of text as the model streams it (a draft: it is checked only once
    complete); ``cancel`` stops the generation. An abstention is returned as it
    is, without asking the model. Never raises for a failing endpoint.

    The model is asked through the chat endpoint first. If that reply is refused
    by the check (or empty) and ``settings.completion_fallback``, it is asked once
    more with the completion-style prompt (see :func:`build_completion_prompt`);
    ``on_restart`` is called before that second draft streams. An endpoint
    without …/completions keeps the first reason.
    """
    passages = list(answer.citations if passages is None else passages)
    if answer.abstained or not passages:
        return LLMResult(_by(answer, "extractive"))
    texts = [p if isinstance(p, str) else p.text for p in passages]
    started = time.monotonic()
    try:
        generated = chat(
            settings,
            build_messages(answer.question, texts),
            on_token=on_token,
            cancel=cancel,
            stop=("<end_of_turn>", "</passages>", "\nQuestion:"),
        )
    except LLMError as exc:
        return LLMResult(_by(answer, "extractive"), notice=f"{exc.message}; showing the extractive answer")
    first = _checked(answer, generated, texts)
    if first.used_llm or first.not_found or not settings.completion_fallback:
        return first
    left = settings.timeout - (time.monotonic() - started)
    if left < 1 or (cancel is not None and cancel.is_set()):
        return first
    if on_restart:
        on_restart()
    try:
        generated = complete(
            dataclasses.replace(settings, timeout=left),
            build_completion_prompt(answer.question, texts, _quote(answer, texts)),
            on_token=on_token,
            cancel=cancel,
            stop=COMPLETION_STOP,
        )
    except LLMError:
        return first  # e.g. a chat-only API: its /completions is missing
    second = _checked(answer, generated, texts)
    return second if second.used_llm or generated.strip() else first


def _checked(answer, generated: str, texts: Sequence[str]) -> LLMResult:
    text = verification.clean_generated(generated)
    if verification.is_not_found(text, NOT_FOUND):
        return LLMResult(
            _by(answer, "extractive"),
            notice="the LLM found no answer in the passages; showing the extractive answer",
            generated=generated,
            not_found=True,
        )
    checked = verification.verify(text, texts, question=answer.question)
    if not checked.ok:
        return LLMResult(
            _by(answer, "extractive"),
            notice=f"the LLM answer was not used: {checked.reason}; showing the extractive answer",
            generated=generated,
            verification=checked,
        )
    found = (getattr(answer, "short_answer", "") or "").strip()
    disagreement = verification.agrees_with(checked.text, found, answer.question) if found else ""
    if disagreement:
        return LLMResult(
            _by(answer, "extractive"),
            notice=f"the LLM answer was not used: {disagreement}; showing the extractive answer",
            generated=generated,
            verification=checked,
        )
    new = dataclasses.replace(answer, answer=checked.text, highlights=[])
    return LLMResult(_by(new, "llm"), generated=generated, verification=checked)


def _by(answer, who: str):
    if hasattr(answer, "answered_by"):
        return dataclasses.replace(answer, answered_by=who)
    return answer


def _quote(answer, texts: Sequence[str]) -> tuple[str, int] | None:
    """The engine's short answer and the first given passage that holds it, if any."""
    phrase = (getattr(answer, "short_answer", "") or "").strip()
    if not phrase:
        return None
    for n, text in enumerate(texts, 1):
        if phrase in text:
            return phrase, n
    return None
