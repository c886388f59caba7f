"""Bad input gets one clear line and a non-zero exit, never a traceback; every text to the terminal is sanitised.

Issue 14, classes 7 and 10 (the parts outside documents, indexing and the store):
numeric options that are not finite, eval question files that are not UTF-8 or
hold the wrong types, a full disk under stdout, a local model folder damaged
after indexing, and the eval's MISS lines and the index's last line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from tinybert import HIDDEN, make_tiny_bert

import qa.embedding
from qa.cli import main
from qa.config import Settings
from qa.evaluation import report, summarize

ROOT = Path(__file__).resolve().parent.parent
FAKE_QA = ROOT / "tests" / "fake_qa.py"
UNSAFE = ("\x1b", "\x07", "\x9b", "\u202e", "\x00", "\r")
DOCUMENT = "DeepSeek was launched on 11 January 2025 by a lab in Hangzhou.\nThe bridge opened in 1931.\n"


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("qa: ") and "Traceback" not in err, err
    return err


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text(DOCUMENT, encoding="utf-8")
    return folder


# -- numbers that are not numbers ------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "nan", "-1", "0", "1e300", str(2**43)])
def test_max_file_mb_must_be_a_positive_finite_number(tmp_path, docs, fake_models, capsys, value):
    assert (
        main(["index", str(docs), "--index", str(tmp_path / "idx"), f"--max-file-mb={value}"], models=fake_models) == 2
    )
    assert "--max-file-mb" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "idx").exists()


@pytest.mark.parametrize("value", ["1e6", str(2**43 - 1)])
def test_a_generous_max_file_mb_reads_small_files(tmp_path, docs, fake_models, capsys, value):
    """A limit far beyond the memory (a terabyte and more) is not allocated for each file read (MemoryError)."""
    assert (
        main(["index", str(docs), "--index", str(tmp_path / "idx"), f"--max-file-mb={value}"], models=fake_models) == 0
    )
    assert "1 file, 2 passages" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["inf", "nan", "-1"])
def test_wait_must_be_finite(tmp_path, docs, fake_models, capsys, value):
    assert main(["index", str(docs), "--index", str(tmp_path / "idx"), f"--wait={value}"], models=fake_models) == 2
    assert "--wait" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-5"])
def test_llm_timeout_must_be_a_positive_finite_number(tmp_path, capsys, value):
    argv = ["ask", "When?", "--index", str(tmp_path / "idx"), "--llm-url", "http://127.0.0.1:9/v1"]
    assert main([*argv, f"--llm-timeout={value}"]) == 2
    assert "--llm-timeout" in one_line(capsys.readouterr().err)


# -- eval question files -----------------------------------------------------------------

GOOD = {"id": "q1", "lang": "en", "question": "When was DeepSeek launched?", "answers": ["11 January 2025"]}


@pytest.mark.parametrize(
    "content, says",
    [
        (b'{"id": "q1", "question": "Quand ? \xe9t\xe9"}\n', "not UTF-8"),  # Latin-1
        (json.dumps(GOOD).encode() + b"\n\xff\xfe\x00\n", "not UTF-8"),
        (b"\xef\xbb\xbf" + json.dumps(GOOD).encode()[:-1] + b"\xc3\n", "not UTF-8"),  # cut in a character
        (json.dumps({**GOOD, "answers": 5}).encode(), '"answers"'),
        (json.dumps({**GOOD, "answers": "11 January 2025"}).encode(), '"answers"'),
        (json.dumps({**GOOD, "answers": ["ok", 5]}).encode(), '"answers"'),
        (json.dumps({**GOOD, "answers": [None]}).encode(), '"answers"'),
        (json.dumps({**GOOD, "answerable": "yes"}).encode(), '"answerable"'),
        (json.dumps({**GOOD, "id": ["q1"]}).encode(), '"id"'),
        (json.dumps({**GOOD, "lang": 5}).encode(), '"lang"'),
    ],
)
def test_eval_on_a_bad_questions_file_is_one_line(tmp_path, capsys, content, says):
    questions = tmp_path / "questions.jsonl"
    questions.write_bytes(content)
    assert main(["eval", str(questions), "--index", str(tmp_path / "idx")]) == 2
    err = one_line(capsys.readouterr().err)
    assert says in err and "questions.jsonl:" in err


def test_eval_miss_lines_are_terminal_safe(tmp_path, fake_models, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "evil.txt").write_text(
        "DeepSeek was launched \x1b]0;PWNED\x07\x1b[2J on 11 January 2025 \u202eby a lab.\n", encoding="utf-8"
    )
    assert main(["index", str(docs), "--index", str(tmp_path / "idx")], models=fake_models) == 0
    questions = tmp_path / "questions.jsonl"
    rows = [
        {"id": "evil\x1b[2J\x07id", "lang": "en", "question": "When was DeepSeek launched?", "answers": ["1999"]},
        {"id": 7, "lang": "en", "question": "When was DeepSeek launched?", "answerable": False},
    ]
    questions.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["eval", str(questions), "--index", str(tmp_path / "idx")], models=fake_models) == 0
    out = capsys.readouterr().out
    misses = [line for line in out.splitlines() if line.startswith("MISS")]
    assert len(misses) == 2, out
    assert "evil\\x1b[2J\\x07id" in misses[0]
    assert not any(c in out for c in UNSAFE), out


@pytest.mark.parametrize(
    "why",
    [
        "wrong: \x1b]0;PWNED\x07 title",
        "answered: line\nbreak\rreturn",
        "wrong: \u202eevil\u2066",
        "wrong: \x9b2J csi",
        "wrong: bad byte \udcff",
    ],
)
def test_report_escapes_ids_and_reasons(why):
    rows = [{"id": "q\x1b[31m", "lang": "en", "answerable": True, "ok": False, "why": why}]
    text = report(rows, summarize(rows))
    assert not any(c in text for c in (*UNSAFE, "\udcff")) and text.count("\n") == 6
    assert text.startswith("MISS q\\x1b[31m: ")


def test_index_summary_line_shows_the_index_path_safely(tmp_path, docs, fake_models, capsys):
    index = tmp_path / "idx\x1b]0;PWNED\x07"
    assert main(["index", str(docs), "--index", str(index)], models=fake_models) == 0
    out = capsys.readouterr().out
    assert "idx\\x1b]0;PWNED\\x07" in out and not any(c in out for c in UNSAFE)


# -- stdout on a full disk ---------------------------------------------------------------------


@pytest.fixture
def fake_index(tmp_path, docs):
    result = subprocess.run(
        [sys.executable, str(FAKE_QA), "index", str(docs), "--index", str(tmp_path / "idx")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return tmp_path / "idx"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "argv",
    [
        ["ask", "When was DeepSeek launched?"],
        ["ask", "When was DeepSeek launched?", "--json"],
        ["ask", "-"],
        ["completion", "bash"],
        ["index"],
    ],
)
def test_stdout_on_a_full_disk_is_one_line(fake_index, docs, argv):
    if argv[0] in ("ask", "index"):
        argv = [*argv, "--index", str(fake_index)]
    if argv[0] == "index":
        argv.insert(1, str(docs))
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, str(FAKE_QA), *argv],
            stdout=full,
            stderr=subprocess.PIPE,
            input="When was DeepSeek launched?\nWhen did the bridge open?\n",
            text=True,
            timeout=120,
        )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    said = [line for line in result.stderr.splitlines() if not line.startswith(("vocabulary", "embedding", "reading"))]
    assert len(said) == 1 and said[0].startswith("qa: cannot write the output"), result.stderr


# -- a local model folder damaged after indexing --------------------------------------------


class _TinyNamed:
    """The fake embedder under the tiny model's name and dimension: an index 'built' with the tiny model."""

    def __init__(self, name: str, batch_size: int = 64, settings=None):
        import fakes

        self.name = qa.embedding.canonical_name(name)
        self._inner = fakes.FakeEmbedder(f"fake-hash-{HIDDEN}")
        self.dimension = HIDDEN

    def encode(self, texts, progress=None):
        return self._inner.encode(texts, progress)


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _drop(path: Path, key: str) -> None:
    config = json.loads(path.read_text())
    del config[key]
    path.write_text(json.dumps(config))


@pytest.mark.parametrize(
    "damage",
    [
        lambda m: _cut(m / "tokenizer.json"),
        lambda m: (m / "tokenizer.json").write_bytes(b"\x00" * 10),
        lambda m: _drop(m / "config.json", "num_attention_heads"),
        lambda m: _drop(m / "config.json", "num_hidden_layers"),
    ],
    ids=["tokenizer cut short", "tokenizer zeroed", "no num_attention_heads", "no num_hidden_layers"],
)
def test_model_folder_damaged_after_indexing(tmp_path, docs, fake_models, capsys, damage):
    settings = replace(Settings.from_env(), cache_dir=tmp_path / "cache")
    qa.embedding._checked.clear()  # what a new process knows of the cache: nothing checked yet
    model = make_tiny_bert(tmp_path / "tiny")
    # The index is 'built' with the tiny model, and questions go through its real question encoder.
    tiny = replace(fake_models, passage_embedder=_TinyNamed, question_encoder=qa.embedding.question_encoder)
    index = ["--index", str(tmp_path / "idx")]
    assert main(["index", str(docs), *index, "--model", str(model)], models=tiny, settings=settings) == 0
    assert main(["ask", "When was DeepSeek launched?", *index], models=tiny, settings=settings) == 0  # intact: answers
    capsys.readouterr()
    damage(model)
    qa.embedding._checked.clear()
    assert main(["ask", "When was DeepSeek launched?", *index], models=tiny, settings=settings) == 3
    assert "damaged" in one_line(capsys.readouterr().err)
