"""Citation labels (issue 26): qa show takes exactly what qa ask prints, whatever the file and anchor are
called, finds the file from the index that cited it (never the working directory), and refuses lines that
are not in the section or page named; a citation names its file relative to its folder's parent."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import fakes
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.answering import passage_citation
from qa.citations import CitationRef, label, labels, parse_label
from qa.cli import main
from qa.cli_output import display
from qa.documents import BadCitation, file_passages
from qa.indexing import build_index, naming_bases
from qa.store import IndexStore, Manifest

ROOT = Path(__file__).resolve().parent.parent
FAKE_QA = ROOT / "tests" / "fake_qa.py"

# -- labels ---------------------------------------------------------------------------------------------

names = st.text(min_size=1).filter(lambda s: "\x00" not in s)
anchors = st.text().filter(lambda s: "\x00" not in s)
lines = st.integers(min_value=1, max_value=10**6)


@given(
    names, st.one_of(st.just(0), lines), anchors, lines, st.integers(0, 50), st.one_of(st.just(0), st.integers(1, 400))
)
def test_a_label_reads_back_as_the_citation_it_names(source, page, anchor, start, more, column):
    ref = CitationRef(source, start, start + more, page, "" if page else anchor, column)
    assert parse_label(label(ref)) == ref


def test_a_label_s_numbers_are_ascii_digits():
    with pytest.raises(BadCitation):
        parse_label("notes.txt:\u0661\u0662")  # Arabic-Indic 12


def test_hash_and_colon_in_file_names_and_anchors_are_escaped():
    ref = CitationRef("docs/a#page=3:b.txt", 4, 4)
    assert label(ref) == "docs/a%23page=3%3Ab.txt:4"
    assert label(CitationRef("page.html", 7, 9, anchor="step:1#x=2")) == "page.html#step%3A1%23x%3D2:7-9"
    assert label(CitationRef("100%.txt", 2, 2, column=5)) == "100%25.txt:2:5"
    # An anchor that reads like a page stays an anchor.
    assert parse_label(label(CitationRef("p.html", 1, 1, anchor="page=3"))).anchor == "page=3"


# -- qa show ----------------------------------------------------------------------------------------------

SECTIONS = """<html><body><main>
<h1 id="intro">Intro</h1>
<p>The lighthouse was built in 1921.</p>
<h2 id="step:1#a">Step one</h2>
<p>Light the lamp at dusk.</p>
<h2 id="page=2">Step two</h2>
<p>Wind the clock at dawn.</p>
</main></body></html>
"""


def _one_line_error(capsys, words: str) -> None:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("qa: ") and words in err, err


def test_every_label_of_an_html_file_is_shown_whatever_its_anchor(in_tmp_path, tmp_path, capsys, monkeypatch):
    (tmp_path / "steps#page=1.html").write_text(SECTIONS, encoding="utf-8")
    citations = [
        passage_citation(n, p, 0.5) for n, p in enumerate(file_passages("steps#page=1.html", "steps#page=1.html"))
    ]
    assert {c.anchor for c in citations} >= {"intro", "step:1#a", "page=2"}
    for name, citation in zip(labels(citations, tmp_path), citations, strict=True):
        assert main(["show", name]) == 0, name
        assert citation.text in capsys.readouterr().out


def test_a_line_of_another_section_is_refused(in_tmp_path, tmp_path, capsys, monkeypatch):
    (tmp_path / "steps.html").write_text(SECTIONS, encoding="utf-8")
    by_anchor = {p.anchor: p for p in file_passages("steps.html", "steps.html") if p.kind != "heading"}
    lamp, clock = by_anchor["step:1#a"], by_anchor["page=2"]
    assert main(["show", label(CitationRef("steps.html", lamp.start_line, lamp.end_line, anchor="step:1#a"))]) == 0
    assert capsys.readouterr().out == "Light the lamp at dusk.\n"
    # The line of "page=2"'s section, named as "step:1#a"'s: another section's line, not shown as this one's.
    assert main(["show", label(CitationRef("steps.html", clock.start_line, clock.end_line, anchor="step:1#a"))]) == 2
    _one_line_error(capsys, "is not in the section #step:1#a")
    assert main(["show", "steps.html#nowhere:2"]) == 2
    _one_line_error(capsys, "has no section #nowhere")
    (tmp_path / "notes.txt").write_text("One.\nTwo.\n")
    assert main(["show", "notes.txt#intro:1"]) == 2
    _one_line_error(capsys, "not HTML")
    assert main(["show", "notes.txt:2:9"]) == 2  # a column past the end of the line
    _one_line_error(capsys, "has no column 9")


def _one_line_failure(result, words: str) -> None:
    assert result.exit_code == 2 and result.stdout == "", result
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("qa: ") and words in result.stderr, result


def test_qa_show_finds_the_file_from_the_index_not_from_here(cli, tmp_path):
    """Indexed from one folder, shown from another holding a file of the same name: the indexed file, or
    nothing; the citation names the file from its folder's parent, whatever the working directory was."""
    (tmp_path / "work" / "docs").mkdir(parents=True)
    (tmp_path / "work" / "docs" / "notes.txt").write_text("Intro.\nThe lighthouse was built in 1921.\n")
    (tmp_path / "elsewhere" / "docs").mkdir(parents=True)
    (tmp_path / "elsewhere" / "docs" / "notes.txt").write_text("Another file.\nIts second line.\n")
    assert cli.invoke("index", "work/docs", "--index", "idx", cwd=tmp_path).exit_code == 0  # from above the folder
    elsewhere = tmp_path / "elsewhere"
    asked = cli.invoke(
        "ask", "--json", "--no-log", "--index", "../idx", "When was the lighthouse built?", cwd=elsewhere
    )
    (cited,) = json.loads(asked.stdout)["citations"][:1]
    assert cited["source"] == "docs/notes.txt"
    name = f"{cited['source']}:{cited['start_line']}"
    shown = cli.invoke("show", name, "--index", "../idx", cwd=elsewhere)
    assert (shown.exit_code, shown.stdout) == (0, "The lighthouse was built in 1921.\n")
    _one_line_failure(cli.invoke("show", "docs/other.txt:1", "--index", "../idx", cwd=elsewhere), "is not a file of")
    _one_line_failure(cli.invoke("show", name, "--index", "../idx", "--root", ".", cwd=elsewhere), "give one")


@pytest.mark.parametrize("name", ["e\x1b[31mred.txt", "b\u202egnp.txt", "line\nbreak.txt"])
def test_a_label_shown_with_its_controls_escaped_is_shown_again(
    in_tmp_path, fake_models, tmp_path, capsys, monkeypatch, name
):
    """qa ask prints a file name's control characters escaped (terminal_safe): that label, copied from the
    screen, names the file."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / name).write_text("Intro.\nThe lighthouse was built in 1921.\n")
    assert main(["index", "docs", "--index", "idx"], models=fake_models) == 0
    capsys.readouterr()
    assert main(["ask", "--no-log", "--index", "idx", "When was the lighthouse built?"], models=fake_models) == 0
    label = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("[1] "))[4:]
    assert "\x1b" not in label and "\u202e" not in label and "\n" not in label  # shown escaped
    assert main(["show", label, "--index", "idx"], models=fake_models) == 0
    assert "The lighthouse was built in 1921." in capsys.readouterr().out


def test_a_label_prints_as_it_is_and_never_as_another_file_s():
    """Control characters are percent-encoded in a label: what a terminal shows of it is the label itself, and
    names that a terminal shows alike ("a\\nb", "a b", the four characters "\\x1b") get labels of their own."""
    sources = ["a\nb.txt", "a\rb.txt", "a b.txt", "e\x1b.txt", "e\\x1b.txt", "b\u202e.txt", "%0A.txt", "t\u0085.txt"]
    sources += ["a\tb.txt", "a    b.txt"]  # a terminal shows a tab as spaces
    shown = [label(CitationRef(source, 2, 2)) for source in sources]
    assert len(set(shown)) == len(sources)
    assert shown[0] == "a%0Ab.txt:2" and shown[3] == "e%1B.txt:2" and shown[5] == "b%E2%80%AE.txt:2"
    assert shown[8] == "a%09b.txt:2"
    assert all(display(text) == text for text in shown)
    assert [parse_label(text).source for text in shown] == sources
    assert parse_label("docs/%41.txt:1").source == "docs/%41.txt"  # a % that no label writes, typed by hand


def test_qa_show_never_prints_another_file_of_the_same_printed_name(in_tmp_path, fake_models, tmp_path, capsys):
    """Two files whose names a terminal shows alike: each label qa ask prints shows its own file's lines, and the
    name as a listing shows it (a line break as a space) is refused as naming two files, not guessed."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "new\nline.txt").write_text("The lighthouse was built in 1921.\n")
    (tmp_path / "docs" / "new\rline.txt").write_text("The lighthouse keeper was born in 1890.\n")
    assert main(["index", "docs", "--index", "idx"], models=fake_models) == 0
    capsys.readouterr()
    assert main(["ask", "--no-log", "--index", "idx", "When was the lighthouse built?"], models=fake_models) == 0
    printed = [line[4:] for line in capsys.readouterr().out.splitlines() if line[:1] == "[" and line[2:4] == "] "]
    assert printed[0] == "docs/new%0Aline.txt:1"
    for text in ["docs/new%0Aline.txt:1", "docs/new%0Dline.txt:1"]:
        assert main(["show", text, "--index", "idx"], models=fake_models) == 0
        file = (tmp_path / parse_label(text).source).read_text()
        assert capsys.readouterr().out == file
    assert main(["show", "docs/new line.txt:1", "--index", "idx"], models=fake_models) == 2
    _one_line_error(capsys, "names 2 files of the index")


def test_an_old_index_keeps_its_names_and_finds_its_files(fake_models, tmp_path, capsys):
    """A manifest written before bases (every file relative to one root) loads, refreshes with the same
    names, and its files are found from that root."""

    docs = tmp_path / "top" / "docs"
    docs.mkdir(parents=True)
    (docs / "notes.txt").write_text("The lighthouse was built in 1921.\n")
    store = IndexStore(tmp_path / "idx")
    build_index([docs], store, fakes.FakeEmbedder(), fakes.FakeMultilingual(), root=tmp_path, models=fake_models)
    manifest_path = store.live_generation() / "manifest.json"
    raw = json.loads(manifest_path.read_text())
    raw.pop("bases")
    raw.pop("checksum")
    old = Manifest(**raw)
    manifest_path.write_text(old.to_json())
    assert store.read_manifest().bases == {} and list(store.read_manifest().files) == ["top/docs/notes.txt"]
    (docs / "notes.txt").write_text("The lighthouse was built in 1921 by the navy.\n")
    with contextlib.chdir(docs):  # refreshed from inside the folder: its names stay relative to the old root
        build_index([docs], store, fakes.FakeEmbedder(), fakes.FakeMultilingual(), models=fake_models)
    manifest = store.read_manifest()
    assert list(manifest.files) == ["top/docs/notes.txt"]
    assert manifest.path_of("top/docs/notes.txt") == docs / "notes.txt"
    assert main(["show", "top/docs/notes.txt:1", "--index", str(tmp_path / "idx")], models=fake_models) == 0
    assert "by the navy" in capsys.readouterr().out
    # Refreshed by an engine that names its own root (fit.py: the corpus's parent), it keeps its names too.
    (docs / "notes.txt").write_text("The lighthouse was built in 1921 by the navy, in stone.\n")
    build_index([docs], store, fakes.FakeEmbedder(), fakes.FakeMultilingual(), root=docs.parent, models=fake_models)
    assert list(store.read_manifest().files) == ["top/docs/notes.txt"]


def test_each_folder_names_its_files_from_its_parent(tmp_path):
    for folder in ("a/docs", "b/notes", "c/docs", "a/docs/sub"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "a" / "one.txt").write_text("x")
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert naming_bases([a / "docs", b / "notes"]) == [a, b]
    assert naming_bases([a / "docs", a / "docs" / "sub"]) == [a, a]  # a file has one name
    assert naming_bases([a / "one.txt"]) == [a]  # a file alone: by its name
    # Two folders called docs would give one name to two files: both are named from where they both are.
    assert naming_bases([a / "docs", c / "docs"]) == [tmp_path, tmp_path]
    assert naming_bases([a / "docs", b / "notes", c / "docs"]) == [tmp_path] * 3


def test_several_folders_are_found_from_any_working_directory(cli, tmp_path):
    (tmp_path / "a" / "docs").mkdir(parents=True)
    (tmp_path / "b" / "docs").mkdir(parents=True)
    (tmp_path / "c" / "notes").mkdir(parents=True)
    (tmp_path / "a" / "docs" / "x.txt").write_text("The lighthouse was built in 1921.\n")
    (tmp_path / "b" / "docs" / "x.txt").write_text("The bridge opened in 1932.\n")
    (tmp_path / "c" / "notes" / "y.txt").write_text("The tower fell in 1950.\n")
    built = cli.invoke("index", "../a/docs", tmp_path / "b" / "docs", "notes", "--index", "../idx", cwd=tmp_path / "c")
    assert built.exit_code == 0
    manifest = IndexStore(tmp_path / "idx").read_manifest()
    assert sorted(manifest.files) == ["a/docs/x.txt", "b/docs/x.txt", "c/notes/y.txt"]
    for source, words in [("a/docs/x.txt", "1921"), ("b/docs/x.txt", "1932"), ("c/notes/y.txt", "1950")]:
        assert manifest.path_of(source).read_text().find(words) >= 0
        shown = cli.invoke("show", f"{source}:1", "--index", "../idx", cwd=tmp_path / "a")
        assert shown.exit_code == 0 and words in shown.stdout


def _fake_qa(*argv, cwd: Path, data: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "QA_HYPERLINKS": "0", "PYTHONPATH": str(ROOT), "QA_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, str(FAKE_QA), *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_collection_cites_and_shows_alike_from_any_folder(tmp_path):
    """qa index from one folder, qa ask and qa show from another: short names, the indexed file shown."""
    data, home, other = tmp_path / "data", tmp_path / "home", tmp_path / "other"
    (home / "docs").mkdir(parents=True)
    (home / "docs" / "notes.txt").write_text("Intro.\nThe lighthouse was built in 1921.\n")
    (other / "docs").mkdir(parents=True)
    (other / "docs" / "notes.txt").write_text("Another.\nNot this line.\n")
    built = _fake_qa("index", str(home / "docs"), "--name", "notes", cwd=other, data=data)
    assert built.returncode == 0, built.stderr
    asked = _fake_qa("ask", "-C", "notes", "--no-log", "When was the lighthouse built?", cwd=other, data=data)
    assert asked.returncode == 0, asked.stderr
    assert "[1] docs/notes.txt:2\n" in asked.stdout  # not the absolute path of a file outside the working directory
    shown = _fake_qa("show", "-C", "notes", "docs/notes.txt:2", cwd=other, data=data)
    assert (shown.returncode, shown.stdout) == (0, "The lighthouse was built in 1921.\n"), shown.stderr
    unknown = _fake_qa("show", "-C", "notes", "docs/gone.txt:2", cwd=tmp_path, data=data)
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1, unknown.stderr


@pytest.mark.parametrize("where", ["top", "elsewhere"])
def test_links_and_columns_find_the_file_from_the_index(cli, tmp_path, where):
    (tmp_path / "top" / "my docs").mkdir(parents=True)
    (tmp_path / "elsewhere" / "my docs").mkdir(parents=True)
    (tmp_path / "elsewhere" / "my docs" / "facts.txt").write_text("Something else entirely.\n")
    target = tmp_path / "top" / "my docs" / "facts.txt"
    target.write_text("The lighthouse keeper was born in 1901.\n")
    assert cli.invoke("index", "my docs", "--index", tmp_path / "idx", cwd=tmp_path / "top").exit_code == 0
    asked = cli.invoke(
        "ask",
        "--no-log",
        "--index",
        tmp_path / "idx",
        "When was the lighthouse keeper born?",
        cwd=tmp_path / where,
        terminal=True,
        env={"QA_HYPERLINKS": "1"},
    )
    assert asked.exit_code == 0
    out = asked.stdout
    assert f"\x1b]8;;{target.resolve().as_uri()}\x1b\\my docs/facts.txt:1" in out


def test_the_chat_finds_the_cited_file_from_the_index_wherever_it_runs(fake_models, tmp_path, cli):
    """F4 and the citation panel find the file through the engine (its index's folders), not the working
    directory, where a file of the same name says something else."""
    from qa.api import Engine
    from qa.citations import source_path
    from qa.tui.context import context_lines

    (tmp_path / "top" / "docs").mkdir(parents=True)
    (tmp_path / "elsewhere" / "docs").mkdir(parents=True)
    target = tmp_path / "top" / "docs" / "notes.txt"
    target.write_text("Intro.\nThe lighthouse was built in 1921.\n")
    (tmp_path / "elsewhere" / "docs" / "notes.txt").write_text("Intro.\nSomething else.\n")
    assert cli.invoke("index", "docs", "--index", tmp_path / "idx", cwd=tmp_path / "top").exit_code == 0
    with contextlib.chdir(tmp_path / "elsewhere"):  # where docs/notes.txt is another file
        engine = Engine(index_dir=tmp_path / "idx", models=fake_models)
        assert source_path("docs/notes.txt", engine) is None  # not loaded yet: nothing is guessed from here
        engine.prepare()
        cited = engine.answer("When was the lighthouse built?").citations[0]
        assert source_path(cited.source, engine) == target
        rows = context_lines(cited, engine, [])
    assert rows[0][0] != 0 and any("1921" in text.plain for _, text in rows)  # the file's lines, no "changed" note


def test_qa_show_reads_the_cited_file_once(in_tmp_path, fake_models, tmp_path, capsys, monkeypatch):
    """The lines shown and the check that the file is as indexed come from one reading of the file: an edit made
    just after it is read neither mixes into what is shown nor is taken for a change of what is shown."""
    import qa.documents

    (tmp_path / "docs").mkdir()
    notes = tmp_path / "docs" / "notes.txt"
    notes.write_text("Intro.\nThe lighthouse was built in 1921.\n")
    assert main(["index", "docs", "--index", "idx"], models=fake_models) == 0
    capsys.readouterr()
    reads = []
    read_file_as_of = qa.documents.read_file_as_of

    def read_then_edited(path, *args, **kwargs):
        read = read_file_as_of(path, *args, **kwargs)
        reads.append(Path(path).name)
        notes.write_text("Intro.\nThe lighthouse was painted red in 1990.\n")  # edited right after the reading
        return read

    monkeypatch.setattr(qa.documents, "read_file_as_of", read_then_edited)
    assert main(["show", "docs/notes.txt:2", "--index", "idx"], models=fake_models) == 0
    captured = capsys.readouterr()
    assert captured.out == "The lighthouse was built in 1921.\n"
    assert captured.err == ""  # the bytes shown are those indexed: no word of a change
    assert reads == ["notes.txt"]
    # Read as it is now, the file has changed since it was indexed: said beside the lines, which are read anew.
    assert main(["show", "docs/notes.txt:2", "--index", "idx"], models=fake_models) == 0
    captured = capsys.readouterr()
    assert captured.out == "The lighthouse was painted red in 1990.\n"
    assert "changed since it was indexed" in captured.err
