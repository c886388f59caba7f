"""The index on disk: corruption is detected, failed writes leave the old index, locks, no pickle."""

from __future__ import annotations

import ast
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import fakes
import numpy as np
import pytest

import qa.passage_table
import qa.store
from qa.cli import main
from qa.errors import IndexBusy, IndexUnavailable, IndexWriteFailed
from qa.indexing import build_index
from qa.store import IndexStore

ROOT = Path(__file__).resolve().parent.parent
DOCS = {
    "a.txt": "The lighthouse keeper was born in Brest in 1921. He kept the lamp for forty years.\n",
    "b.txt": "The bridge over the river opened in 1932.\nIt is 300 metres long.\n",
}


@pytest.fixture
def built(tmp_path, fake_models):
    """A built index of two small files; returns (store, docs folder)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        _write_doc(docs / name, text)
    store = IndexStore(tmp_path / "idx")
    build_index([docs], store, fakes.FakeEmbedder(), root=tmp_path, models=fake_models)
    return store, docs


_VERSIONS: dict[str, str] = {}  # sha256 -> text of every document version a test wrote


def _write_doc(path: Path, text: str) -> None:
    path.write_text(text)
    _VERSIONS[hashlib.sha256(text.encode()).hexdigest()] = text


def _answers(store: IndexStore) -> None:
    """The index loads, answers, and every citation is the exact text of the version it indexed."""
    loaded = store.load()
    answerer = fakes.answerer(loaded)
    question = "When did the bridge over the river open?"
    answer = answerer.answer(question)
    found = answerer.retriever.search(question).candidates[:3]
    assert any("bridge" in c.passage.text for c in found)
    for c in answer.citations + [c.passage for c in found]:
        text = _VERSIONS[loaded.manifest.files[c.source]["sha256"]]
        assert text[c.start_char : c.end_char] == c.text
    loaded.passages.close()


def _one_line_error(capsys, argv, code, models=fakes.MODELS) -> str:
    assert main(argv, models=models) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("qa: ") and "Traceback" not in err, err
    return err


# -- corruption -----------------------------------------------------------------


def _truncate(gen: Path, name: str) -> None:
    path = gen / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_byte(gen: Path, name: str) -> None:
    data = bytearray((gen / name).read_bytes())
    data[-5] ^= 0xFF
    (gen / name).write_bytes(bytes(data))


def _edit_manifest(gen: Path, **changes) -> None:
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest.update(changes)
    (gen / "manifest.json").write_text(json.dumps(manifest))


CORRUPTIONS = {
    "truncated dense.faiss": lambda gen: _truncate(gen, "dense.faiss"),
    "truncated passages.sqlite": lambda gen: _truncate(gen, "passages.sqlite"),
    "flipped byte in multilingual.faiss": lambda gen: _flip_byte(gen, "multilingual.faiss"),
    "flipped byte in lexical_weights.npy": lambda gen: _flip_byte(gen, "lexical_weights.npy"),
    "deleted dense.faiss": lambda gen: (gen / "dense.faiss").unlink(),
    "deleted passages.sqlite": lambda gen: (gen / "passages.sqlite").unlink(),
    "deleted manifest": lambda gen: (gen / "manifest.json").unlink(),
    "manifest not JSON": lambda gen: (gen / "manifest.json").write_text("{not json"),
    "manifest a list": lambda gen: (gen / "manifest.json").write_text("[1, 2]"),
    "manifest wrong type": lambda gen: _edit_manifest(gen, dimension="384"),
    "manifest passage count": lambda gen: _edit_manifest(gen, passage_count=99),
    "manifest other dimension": lambda gen: _edit_manifest(gen, dimension=48),
    "manifest without artifacts": lambda gen: _edit_manifest(gen, artifacts={}),
    "manifest artifact escapes": lambda gen: _edit_manifest(gen, artifacts={"../CURRENT": {"bytes": 1, "sha256": "0"}}),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_corrupt_index_is_one_line_with_the_fix(built, capsys, corruption):
    store, _ = built
    CORRUPTIONS[corruption](store.live_generation())
    with pytest.raises(IndexUnavailable) as caught:
        store.load()
    assert "\n" not in caught.value.message and f"qa index --index {store.folder}" in caught.value.message
    # the CLI says the same in one line (the documents folder is known: no rebuild is attempted
    # behind the user's back for a damaged index)
    err = _one_line_error(capsys, ["ask", "When did the bridge open?", "--index", str(store.folder)], 4)
    assert "qa index" in err


@pytest.mark.parametrize(
    "name", ["passages.sqlite", "dense.faiss", "lexical_docs.npy", "lexical_terms.json", "manifest.json"]
)
def test_files_of_another_generation_are_detected(tmp_path, fake_models, name):
    stores = []
    for label, text in (
        ("one", "Alpha beta gamma. Delta epsilon."),
        ("two", "Zeta eta theta. Iota kappa. Zeta again, and theta."),
    ):
        docs = tmp_path / label
        docs.mkdir()
        (docs / "doc.txt").write_text(text)
        store = IndexStore(tmp_path / f"idx-{label}")
        build_index([docs], store, fakes.FakeEmbedder(), root=tmp_path, models=fake_models)
        stores.append(store)
    shutil.copy(stores[1].live_generation() / name, stores[0].live_generation() / name)
    with pytest.raises(IndexUnavailable, match="qa index --index"):
        stores[0].load()


def test_big_artifacts_are_checked_by_a_sampled_hash(built, monkeypatch, fake_models):
    store, docs = built
    monkeypatch.setattr(qa.store, "_HASHED_ARTIFACT_LIMIT", 0)
    monkeypatch.setattr(qa.store, "_SAMPLE_BLOCK", 16)
    _write_doc(docs / "a.txt", DOCS["a.txt"] + "One more sentence about the lamp.\n")
    build_index([docs], store, fakes.FakeEmbedder(), root=docs.parent, models=fake_models)
    manifest = store.read_manifest()
    assert all("sample_sha256" in f and "sha256" not in f for f in manifest.artifacts.values())
    store.load().passages.close()
    _flip_byte(store.live_generation(), "dense.faiss")
    with pytest.raises(IndexUnavailable):
        store.load()


@pytest.mark.parametrize("pointer", ["", "garbage\n", "gen-../../etc\n", "gen-20250101000000-1-000001\n"])
def test_damaged_pointer_is_one_line(built, capsys, pointer):
    store, _ = built
    (store.folder / "CURRENT").write_text(pointer)
    with pytest.raises(IndexUnavailable, match="qa index"):
        store.load()
    _one_line_error(capsys, ["ask", "When did the bridge open?", "--index", str(store.folder)], 4)


def test_missing_index_is_one_line(tmp_path, fake_models, capsys):
    err = _one_line_error(capsys, ["ask", "anything?", "--index", str(tmp_path / "nothing")], 4)
    assert "qa index FOLDER --index" in err


def test_a_damaged_index_is_rebuilt_from_the_documents_by_qa_index(built, capsys, fake_models):
    store, docs = built
    _truncate(store.live_generation(), "dense.faiss")
    assert main(["index", str(docs), "--index", str(store.folder)], models=fake_models) == 0
    _answers(store)


def test_another_model_or_dimension_is_rebuilt_when_the_documents_are_known(built, capsys, fake_models):
    store, _ = built
    assert (
        main(
            ["ask", "When did the bridge open?", "--index", str(store.folder), "--model", "fake-hash-48"],
            models=fake_models,
        )
        == 0
    )
    assert "another model" in capsys.readouterr().err
    manifest = store.read_manifest()
    assert manifest.model == "fake-hash-48" and manifest.dimension == 48
    _answers(store)


def test_question_encoder_of_another_dimension_is_one_line(built, capsys):
    store, _ = built
    other = replace(fakes.MODELS, question_encoder=lambda name, settings=None: fakes.FakeEmbedder("fake-hash-48"))
    err = _one_line_error(capsys, ["ask", "When did the bridge open?", "--index", str(store.folder)], 4, other)
    assert "32-dimension" in err and "gives 48" in err


# -- fault injection: a failing write, fsync or rename leaves the old index -------------------------


def _fail(exc):
    def failing(*args, **kwargs):
        raise exc

    return failing


def _fail_on_call(n, original, exc):
    calls = {"n": 0}

    def maybe(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise exc
        return original(*args, **kwargs)

    return maybe


FAULTS = {
    "faiss write fails": lambda mp: mp.setattr(qa.store.faiss, "write_index", _fail(RuntimeError("disk full"))),
    "numpy write fails (ENOSPC)": lambda mp: mp.setattr(
        np, "save", _fail(OSError(errno.ENOSPC, "No space left on device"))
    ),
    "sqlite write fails": lambda mp: mp.setattr(
        qa.store.PassageTable, "write", _fail(sqlite3.OperationalError("database or disk is full"))
    ),
    "first fsync fails (EIO)": lambda mp: mp.setattr(qa.store, "fsync_file", _fail(OSError(errno.EIO, "I/O error"))),
    "last fsync fails (EIO)": lambda mp: mp.setattr(
        qa.store, "fsync_file", _fail_on_call(11, qa.store.fsync_file, OSError(errno.EIO, "I/O error"))
    ),
    "directory fsync fails": lambda mp: mp.setattr(qa.store, "fsync_dir", _fail(OSError(errno.EIO, "I/O error"))),
    "rename of CURRENT fails": lambda mp: mp.setattr(
        qa.store.os, "replace", _fail(OSError(errno.EXDEV, "Invalid cross-device link"))
    ),
    "manifest write fails": lambda mp: mp.setattr(
        qa.store.Path, "write_text", _fail(OSError(errno.EROFS, "Read-only file system"))
    ),
    "interrupted (Ctrl-C) before the switch": lambda mp: mp.setattr(qa.store, "fsync_dir", _fail(KeyboardInterrupt())),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_failed_write_leaves_the_old_index_live(built, monkeypatch, fault, fake_models):
    store, docs = built
    before = store.live_generation()
    _write_doc(docs / "b.txt", "The bridge over the river opened in 1933.\nIt is 310 metres long.\n")
    with monkeypatch.context() as mp:
        FAULTS[fault](mp)
        expected = KeyboardInterrupt if "Ctrl-C" in fault else IndexWriteFailed
        with pytest.raises(expected) as caught:
            build_index([docs], store, fakes.FakeEmbedder(), root=docs.parent, models=fake_models)
    if expected is IndexWriteFailed:
        assert "previous index" in caught.value.message and "\n" not in caught.value.message
    assert store.live_generation() == before
    assert [p.name for p in store.folder.glob("gen-*")] == [before.name]  # the half-written one is gone
    assert store.leftovers() == []
    _answers(store)
    # and the next build goes through
    build_index([docs], store, fakes.FakeEmbedder(), root=docs.parent, models=fake_models)
    assert store.live_generation() != before
    _answers(store)


def test_write_failure_on_the_cli_is_one_line(built, capsys, monkeypatch, fake_models):
    store, docs = built
    _write_doc(docs / "b.txt", "The bridge over the river opened in 1933.\n")  # a change: the build writes
    monkeypatch.setattr(np, "save", _fail(OSError(errno.ENOSPC, "No space left on device")))
    assert main(["index", str(docs), "--index", str(store.folder)], models=fake_models) == IndexWriteFailed.exit_code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    err = err.splitlines()[-1]  # after the progress of the build: one line
    assert err.startswith("qa: ")
    assert "No space left on device" in err and "previous index" in err


# -- leftovers ----------------------------------------------------------------------


def test_leftovers_are_cleaned_at_the_next_start(built):
    store, docs = built
    live = store.live_generation()
    stale = store.folder / "gen-20000101000000-1-000001"
    stale.mkdir()
    (stale / "dense.faiss").write_bytes(b"half")
    (store.folder / "CURRENT.tmp").write_text("gen-20000101000000-1-000001\n")
    foreign = store.folder / "gen-not-ours"
    foreign.mkdir()
    assert store.leftovers() == [store.folder / "CURRENT.tmp", stale]
    store.load().passages.close()  # starting `qa ask` / `qa chat` cleans them
    assert store.leftovers() == [] and not stale.exists() and foreign.exists()
    assert store.live_generation() == live


def test_leftovers_are_kept_while_a_build_runs(built):
    store, _ = built
    stale = store.folder / "gen-20000101000000-1-000001"
    stale.mkdir()
    with store.locked():
        store.load().passages.close()
    assert stale.exists()  # the build holding the lock may be writing it


# -- two builds at once ------------------------------------------------------------------


def test_second_build_waits_or_exits_with_a_clear_message(built, capsys, fake_models):
    store, docs = built
    with store.locked():
        with pytest.raises(IndexBusy, match="--wait"):
            build_index([docs], store, fakes.FakeEmbedder(), root=docs.parent, models=fake_models)
        err = _one_line_error(capsys, ["index", str(docs), "--index", str(store.folder)], IndexBusy.exit_code)
        assert "another `qa index` is writing" in err
    # with --wait, the second one goes through once the first releases the lock
    holding, released = threading.Event(), threading.Event()

    def hold():
        with store.locked():
            holding.set()
            time.sleep(0.6)
            released.set()  # just before the lock is let go

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(10)
    assert main(["index", str(docs), "--index", str(store.folder), "--wait", "10"], models=fake_models) == 0
    assert released.is_set()  # it went through after the first build let go, not beside it
    thread.join()
    _answers(store)


def _fake_qa(*args, env=None, **kwargs):
    return subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fake_qa.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        **kwargs,
    )


def test_two_qa_index_processes_at_once(built):
    store, docs = built
    for wait in ("0", "30"):
        _write_doc(docs / "b.txt", f"The bridge over the river opened in 19{wait}.\nIt is 300 metres long.\n")
        procs = [_fake_qa("index", str(docs), "--index", str(store.folder), "--wait", wait) for _ in range(2)]
        results = [(p.wait(60), p.stderr.read()) for p in procs]
        codes = sorted(code for code, _ in results)
        if wait == "30":
            assert codes == [0, 0], results
        else:
            assert codes in ([0, 0], [0, IndexBusy.exit_code]), results
            for code, err in results:
                if code:
                    assert "another `qa index` is writing" in err and "Traceback" not in err
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        assert store.leftovers() == []
        _answers(store)


# -- no pickle ----------------------------------------------------------------------------


def _python_files():
    return sorted((ROOT / "qa").rglob("*.py"))


def test_no_pickle_in_the_code():
    for path in _python_files():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert not any(n.split(".")[0] in {"pickle", "cPickle", "dill", "joblib", "shelve"} for n in names), (
                    path
                )
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                target = ast.unparse(node.func)
                if target in {"np.load", "numpy.load"}:
                    flags = {k.arg: ast.unparse(k.value) for k in node.keywords}
                    assert flags.get("allow_pickle") == "False", (
                        f"{path}:{node.lineno} np.load without allow_pickle=False"
                    )
                assert target not in {"torch.load", "pickle.load", "pickle.loads"}, f"{path}:{node.lineno}"


def test_ruff_pickle_checks_are_enabled_and_pass():
    config = (ROOT / "pyproject.toml").read_text()
    assert '"S301"' in config
    ruff = Path(sys.executable).parent / "ruff"
    if not ruff.exists():
        pytest.skip("ruff is not installed")
    result = subprocess.run(
        [str(ruff), "check", "--select", "S301,S302", "--no-cache", "qa"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_the_index_folder_holds_data_only(built):
    store, _ = built
    for path in sorted(store.folder.rglob("*")):
        if path.is_dir():
            continue
        data = path.read_bytes()
        assert not data.startswith(b"\x80"), f"{path} looks like a pickle"
        if path.name in {"CURRENT", ".lock"}:
            assert data.decode("ascii").strip() == "" or data.decode("ascii").startswith("gen-")
        elif path.suffix == ".json":
            json.loads(data)
        elif path.suffix == ".npy":
            array = np.load(path, allow_pickle=False)
            assert not array.dtype.hasobject
        elif path.suffix == ".sqlite":
            assert data.startswith(b"SQLite format 3\x00")
        elif path.suffix == ".faiss":
            assert data[:4] in {b"IxFI", b"IxF2", b"IxFl", b"IHNf", b"IxSQ", b"IwSq"}, data[:4]
        else:
            pytest.fail(f"unexpected file in the index: {path}")


def test_passages_read_once_come_from_memory_and_memory_is_bounded(built, monkeypatch):
    store, _ = built
    table = store.load().passages
    ids = list(range(table.rows()))
    first = table.get(ids)
    assert list(first) == ids

    class NoDatabase:
        def execute(self, *args):
            raise AssertionError("read again from SQLite")

    real = table._db
    table._db = NoDatabase()
    assert table.get(ids[::-1]) == first  # from memory, in id order
    table._db = real
    monkeypatch.setattr(qa.passage_table, "PASSAGES_KEPT", 2)
    table._kept.clear()
    for i in ids:
        assert table.get([i]) == {i: first[i]}
        assert len(table._kept) <= 2


def test_a_generation_holding_indexes_of_its_own_is_committed_and_verified_with_its_own_files(tmp_path):
    """A cluster generation holds its shards (each an index sealed by its own commit) beside its global files:
    the one commit seals the files and leaves the folders alone, and verify checks the files it must have."""
    from qa.store import Manifest

    store = IndexStore(tmp_path / "idx")
    store.folder.mkdir()
    generation = store.new_generation()
    (generation / "global.json").write_text("{}", encoding="utf-8")
    (generation / "shard-000").mkdir()
    (generation / "shard-000" / "CURRENT").write_text("gen-x\n", encoding="utf-8")
    manifest = Manifest(
        model="m", dimension=0, splitter_version="s", multilingual_model="u", dense_index="", passage_count=0, files={}
    )
    store.commit(generation, manifest)
    assert store.is_live(generation) and set(manifest.artifacts) == {"global.json"}
    store.verify(generation, store.read_manifest(), ("global.json",))
    with pytest.raises(IndexUnavailable, match="dense.faiss is not in its manifest"):
        store.verify(generation, store.read_manifest())  # an index's files are required by default
    (generation / "global.json").write_text("{ }", encoding="utf-8")
    with pytest.raises(IndexUnavailable, match="global.json does not match its manifest"):
        store.verify(generation, store.read_manifest(), ("global.json",))
