"""Refreshing an index keeps what it was built from: folders, model, and the names of its files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FAKE_QA = ROOT / "tests" / "fake_qa.py"


def fake_qa(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(FAKE_QA), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_refresh_keeps_folders_and_names(tmp_path):
    work = tmp_path / "work"
    docs = work / "docs"
    docs.mkdir(parents=True)
    (docs / "a.txt").write_text("The lighthouse of Brest was built in 1921.\n", encoding="utf-8")
    index = tmp_path / "idx"
    built = fake_qa("index", "docs", "--index", str(index), cwd=work)
    assert built.returncode == 0, built.stderr

    # Without folders, `qa index --index DIR` rebuilds from the folders the index recorded.
    (docs / "b.txt").write_text("The bridge opened in 1932.\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refreshed = fake_qa("index", "--index", str(index), cwd=elsewhere)
    assert refreshed.returncode == 0, refreshed.stderr
    assert "docs/a.txt" in refreshed.stdout and "docs/b.txt" in refreshed.stdout
    assert "seeds" not in refreshed.stdout

    # A question asked from another folder after a change keeps the files' names.
    (docs / "a.txt").write_text("The lighthouse of Brest was built in 1921 by the navy.\n", encoding="utf-8")
    asked = fake_qa("ask", "--json", "--index", str(index), "When was the lighthouse of Brest built?", cwd=elsewhere)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["citations"] and answer["citations"][0]["source"] == "docs/a.txt"


def test_missing_folder_answers_from_the_index_as_built(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The lighthouse of Brest was built in 1921.\n", encoding="utf-8")
    index = tmp_path / "idx"
    assert fake_qa("index", "docs", "--index", str(index), cwd=tmp_path).returncode == 0
    docs.rename(tmp_path / "moved")
    asked = fake_qa("ask", "--json", "--index", str(index), "When was the lighthouse of Brest built?", cwd=tmp_path)
    assert asked.returncode == 0, asked.stderr
    assert "is missing" in asked.stderr
    assert "1921" in json.loads(asked.stdout)["answer"]


def test_index_without_folders_for_an_unknown_index_is_a_usage_error(tmp_path):
    done = fake_qa("index", "--index", str(tmp_path / "new"), cwd=tmp_path)
    assert done.returncode == 2 and "say which folders" in done.stderr


def test_an_index_of_a_single_file_is_not_missing(in_tmp_path, fake_models, tmp_path, capsys, monkeypatch):
    """qa ask on an index built from one file checks that file, not a folder (it used to say "is missing")."""
    from qa.cli import main

    (tmp_path / "notes.txt").write_text("The lighthouse of Brest was built in 1921.\n", encoding="utf-8")
    index = str(tmp_path / "idx")
    assert main(["index", "notes.txt", "--index", index], models=fake_models) == 0
    capsys.readouterr()
    assert (
        main(
            ["ask", "--json", "--no-log", "--index", index, "When was the lighthouse of Brest built?"],
            models=fake_models,
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert "missing" not in err and "building" not in err
    assert json.loads(out)["citations"][0]["source"] == "notes.txt"
    # A change to the file is noticed and refreshed.
    (tmp_path / "notes.txt").write_text("The lighthouse of Brest was built in 1921 by the navy.\n", encoding="utf-8")
    assert (
        main(["ask", "--json", "--no-log", "--index", index, "Who built the lighthouse of Brest?"], models=fake_models)
        == 0
    )
    out, err = capsys.readouterr()
    assert "notes.txt changed" in err
    assert "navy" in json.loads(out)["citations"][0]["text"]


# -- a refresh costs what changed --------------------------------------------------------------


class _Counting:
    """Wraps a fake encoder, recording what it was asked to encode."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.calls: list[int] = []

    @property
    def dimension(self):
        return self.inner.dimension

    def encode(self, texts, progress=None):
        self.calls.append(len(texts))
        return self.inner.encode(texts, progress=progress)


def _corpus(folder: Path) -> Path:
    folder.mkdir()
    for n, subject in enumerate(("lighthouse", "bridge", "tower")):
        (folder / f"{subject}.txt").write_text(
            f"The {subject} of Brest was built in {1900 + n}.\n\nIts keeper was named Yann {subject.title()}.\n",
            encoding="utf-8",
        )
    return folder


def _build(docs, store, root, progress=None):
    import fakes

    from qa.indexing import build_index

    encoders = (_Counting(fakes.FakeEmbedder()), _Counting(fakes.FakeMultilingual()), _Counting(fakes.FakeSemantic()))
    report = build_index([docs], store, encoders[0], encoders[1], root=root, semantic=encoders[2], progress=progress)
    return report, encoders


@pytest.mark.parametrize("encoded", [True, False], ids=["paragraphs encoded", "paragraphs as means"])
def test_a_repeated_passage_is_encoded_once_and_a_paragraph_of_one_passage_not_again(
    fake_models, tmp_path, monkeypatch, encoded
):
    """Each distinct text is encoded once by each encoder (a header repeated on every page); a paragraph that is
    one passage has that passage's retrieval vector, and a paragraph of several is encoded once (or, with
    tuning.PARAGRAPHS_ENCODED False, not at all: the mean of its passages' vectors)."""
    import numpy as np

    from qa import tuning
    from qa.store import IndexStore, vectors_of

    monkeypatch.setattr(tuning, "PARAGRAPHS_ENCODED", encoded)

    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("first", "second"):
        (docs / f"{name}.txt").write_text(
            f"Printed in Brest.\n\nThe {name} lighthouse was built in 1900. Its keeper was named Yann.\n",
            encoding="utf-8",
        )
    store = IndexStore(tmp_path / "idx")
    report, (dense, multilingual, semantic) = _build(docs, store, tmp_path)
    loaded = store.load()
    try:
        texts = [loaded.passages.get([i])[i].clean for i in range(report.passage_count)]
        assert texts.count("Printed in Brest.") == 2 and report.passage_count == 6
        # six passages, four distinct (the first line and the last sentence repeat), then the vocabulary
        assert dense.calls == multilingual.calls[:1] == [4]
        # and two paragraphs of two passages: the lone ones are not encoded again
        assert semantic.calls == ([4, 2] if encoded else [4])
        first, second = (i for i, text in enumerate(texts) if text == "Printed in Brest.")
        for index in (loaded.dense, loaded.semantic, loaded.paragraphs):
            vectors = vectors_of(index, 0, report.passage_count)
            assert np.array_equal(vectors[first], vectors[second])
    finally:
        loaded.passages.close()


def test_unchanged_refresh_loads_no_model_and_writes_nothing(fake_models, tmp_path):
    from qa.store import IndexStore

    docs = _corpus(tmp_path / "docs")
    store = IndexStore(tmp_path / "idx")
    first, _ = _build(docs, store, tmp_path)
    live = store.live_generation()
    assert first.embedded_count == first.passage_count and not first.unchanged

    report, encoders = _build(docs, store, tmp_path)
    assert report.unchanged and report.embedded_count == 0
    assert all(e.calls == [] for e in encoders)  # no model asked for anything
    assert store.live_generation() == live and [p.name for p in store.folder.glob("gen-*")] == [live.name]
    assert [s for s, _ in report.indexed] == [s for s, _ in first.indexed] and report.reused == report.reused

    # touched but not changed: still nothing to do
    os.utime(docs / "bridge.txt")
    assert _build(docs, store, tmp_path)[0].unchanged
    # a damaged index is not "unchanged": it is rebuilt
    (live / "section_of.npy").write_bytes(b"broken")
    repaired, _ = _build(docs, store, tmp_path)
    assert not repaired.unchanged and store.live_generation() != live
    store.load().passages.close()


def test_one_changed_file_embeds_only_its_passages(fake_models, tmp_path):
    from qa.store import IndexStore

    docs = _corpus(tmp_path / "docs")
    store = IndexStore(tmp_path / "idx")
    _build(docs, store, tmp_path)
    (docs / "bridge.txt").write_text(
        "The bridge of Brest was built in 1901.\n\nIts keeper was named Yann Bridge.\n\nIt was repainted in 1990.\n",
        encoding="utf-8",
    )
    report, (dense, multilingual, semantic) = _build(docs, store, tmp_path)
    changed = dict(report.indexed)["docs/bridge.txt"]
    assert report.embedded_count == changed and set(report.reused) == {"docs/lighthouse.txt", "docs/tower.txt"}
    assert dense.calls == [changed]
    # the multilingual encoder saw the new passages and only the words the index did not have yet
    assert multilingual.calls[0] == changed and len(multilingual.calls) == 2 and multilingual.calls[1] <= 3
    loaded = store.load()
    try:
        import fakes

        answer = fakes.answerer(loaded).answer("When was the bridge repainted?")
        assert answer.citations and "1990" in answer.citations[0].text
    finally:
        loaded.passages.close()


def test_progress_shows_before_any_model_loads(fake_models, tmp_path, monkeypatch):
    from qa import tuning
    from qa.store import IndexStore

    docs = _corpus(tmp_path / "docs")
    seen: list[tuple[str, int, int]] = []
    _build(docs, IndexStore(tmp_path / "idx"), tmp_path, progress=lambda *step: seen.append(step))
    assert "reading files" not in {stage for stage, _, _ in seen}  # three small files: read at once, silently
    monkeypatch.setattr(tuning, "QUIET_SECONDS", -1.0)  # a slow read shows from the first file
    seen.clear()
    _build(docs, IndexStore(tmp_path / "idx2"), tmp_path, progress=lambda *step: seen.append(step))
    assert seen[:2] == [("reading files", 0, 3), ("reading files", 1, 3)]
    seen = [step for step in seen if step[0] != "reading files"]
    # then one line for the whole build, in passages: drawn at 0 before any model runs, never going back,
    # and complete only at its end
    assert {stage for stage, _, _ in seen} == {"indexing passages"}
    assert seen[0] == ("indexing passages", 0, 6) and seen[-1] == ("indexing passages", 6, 6)
    done = [d for _, d, _ in seen]
    assert done == sorted(done) and done.count(6) == 1


def test_qa_index_unchanged_writes_nothing_and_says_so(in_tmp_path, fake_models, tmp_path, capsys):
    from qa.cli import main

    _corpus(tmp_path / "docs")
    assert main(["index", "docs", "--index", "idx"], models=fake_models) == 0
    capsys.readouterr()
    live = (tmp_path / "idx" / "CURRENT").read_text()
    assert main(["index", "--index", "idx"], models=fake_models) == 0
    out = capsys.readouterr().out
    assert "(0 embedded)" in out and "nothing changed" in out
    assert (tmp_path / "idx" / "CURRENT").read_text() == live  # no new generation was written


def test_progress_bar_estimates_the_time_left():
    import io

    import qa.cli_output

    clock = [100.0]
    stream = io.StringIO()
    bar = qa.cli_output.ProgressBar(stream, clock=lambda: clock[0])
    bar("embedding passages", 0, 100)  # not a terminal: the start is not a line of its own
    assert stream.getvalue() == ""
    clock[0] += 10.0
    bar("embedding passages", 25, 100)
    clock[0] += 10.0
    bar("embedding passages", 50, 100)
    clock[0] += 20.0
    bar("embedding passages", 100, 100)
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("25/100  about 30 s left") and lines[1].endswith("50/100  about 20 s left")
    assert lines[2].endswith("100/100")


def test_the_build_line_shows_passages_a_second():
    import io

    import qa.cli_output

    clock = [100.0]
    stream = io.StringIO()
    bar = qa.cli_output.ProgressBar(stream, clock=lambda: clock[0])
    bar("indexing passages", 0, 300)
    clock[0] += 10.0
    bar("indexing passages", 100, 300)
    clock[0] += 20.0
    bar("indexing passages", 300, 300)
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("100/300  10.0 passages/s  about 20 s left")
    assert lines[1].endswith("300/300  10.0 passages/s")


@pytest.mark.parametrize("folders", [["mnt"], ["mnt", "docs"]], ids=["alone", "beside another"])
def test_an_emptied_folder_answers_from_the_index_as_a_missing_one_does(
    in_tmp_path, fake_models, tmp_path, capsys, monkeypatch, folders
):
    """A folder that is there but empty (the mount point of a drive not mounted) is not "every file removed": the
    index answers as it was built, with one line, and keeps every passage (it exited 6: no readable file; beside
    another folder, a rebuild would have dropped its passages)."""
    from qa.cli import main
    from qa.store import IndexStore

    for folder, name, text in (
        ("mnt", "a.txt", "The lighthouse of Brest was built in 1921.\n"),
        ("docs", "b.txt", "The bridge over the Penfeld opened in 1954.\n"),
    ):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text(text, encoding="utf-8")
    assert main(["index", *folders, "--index", "idx"], models=fake_models) == 0
    store = IndexStore(tmp_path / "idx")
    live = store.live_generation()
    (tmp_path / "mnt").rename(tmp_path / "mnt.off")
    (tmp_path / "mnt").mkdir()  # not mounted: the mount point stays, empty
    capsys.readouterr()
    assert (
        main(
            ["ask", "--json", "--no-log", "--index", "idx", "When was the lighthouse of Brest built?"],
            models=fake_models,
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert err == f"qa: {tmp_path / 'mnt'} is empty (a drive not mounted?): answering from the index as it was built\n"
    assert json.loads(out)["citations"][0]["source"] == "mnt/a.txt"
    assert store.live_generation() == live and "mnt/a.txt" in store.read_manifest().files
