"""Named collections (issue 11): qa index --name, -C/--collection and QA_COLLECTION, qa list, qa sources, qa remove."""

from __future__ import annotations

import errno
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from cli_runner import CliRunner

from qa.cli import build_parser
from qa.config import Settings
from qa.errors import IndexUnavailable, IndexWriteFailed, UsageError
from qa.store import IndexStore

DOCS = {
    "a.txt": "The lighthouse of Brest was built in 1921.\n\nIts keeper was Yann Le Goff.\n",
    "b.txt": "The bridge over the Penfeld opened in 1954.\n\nIt is a lift bridge.\n",
    "sub/c.md": "# Tower\n\nThe Tanguy tower was painted blue in 1962.\n",
}


@pytest.fixture
def data(in_tmp_path, tmp_path):
    """A data folder of our own (QA_DATA_DIR, given to the commands by ``cli``), docs/ to index, and the command
    run from tmp_path."""
    for name, text in DOCS.items():
        path = tmp_path / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "data"


@pytest.fixture
def cli(data, tmp_path):
    """The runner whose commands keep their collections in ``data`` (QA_DATA_DIR)."""
    return CliRunner({"QA_DATA_DIR": data, "QA_HISTORY": tmp_path / "history.db"})


def _run(cli, *argv: str, checkout: tuple[Path, Path] | None = None, env=None, cwd=None) -> tuple[int, str, str]:
    """``qa ARGV`` with the fake models; ``checkout``: (default index, its documents) in place of the
    checkout's index/ and seeds/; ``env``: more variables."""
    settings = cli.settings(env)
    if checkout is not None:
        settings = replace(settings, default_index=checkout[0], default_documents=checkout[1])
    result = cli.invoke(*argv, settings=settings, cwd=cwd)
    return result.exit_code, result.stdout, result.stderr


def _ask(cli, *argv: str, checkout: tuple[Path, Path] | None = None, env=None) -> dict:
    status, out, err = _run(cli, "ask", "--json", "--no-log", *argv, checkout=checkout, env=env)
    assert status == 0, err
    return json.loads(out)


def _sources(answer: dict) -> set[str]:
    return {c["source"] for c in answer["citations"]}


def test_a_named_collection_is_kept_in_the_data_folder_and_chosen_three_ways(cli, data, capsys, monkeypatch):
    status, out, _ = _run(cli, "index", "docs", "--name", "notes")
    assert status == 0 and (data / "notes" / "CURRENT").is_file()
    assert "-> " + str(data / "notes") in out
    question = "When was the lighthouse of Brest built?"
    assert "docs/a.txt" in _sources(_ask(cli, "-C", "notes", question))
    assert "docs/a.txt" in _sources(_ask(cli, "--collection", "notes", question))
    assert "docs/a.txt" in _sources(_ask(cli, question, env={"QA_COLLECTION": "notes"}))
    # --index still works, and names the same index
    assert "docs/a.txt" in _sources(_ask(cli, "--index", str(data / "notes"), question))
    # refreshing a collection needs no folders: it keeps its own
    status, out, _ = _run(cli, "index", "-C", "notes")
    assert status == 0 and "(nothing changed)" in out


def test_flags_do_not_clash_with_continue():
    parser = build_parser()
    args = parser.parse_args(["ask", "-c", "-C", "notes", "And its users?"])
    assert args.continue_ and args.collection == "notes"
    for argv in (["index", "--name", "x"], ["chat", "-C", "x"], ["eval", "q.jsonl", "-C", "x"], ["mcp", "-C", "x"]):
        assert parser.parse_args(argv).collection == "x"
    assert parser.parse_args(["sources", "-C", "x"]).collection == "x"
    assert parser.parse_args(["remove", "a.txt", "-C", "x"]).paths == ["a.txt"]


def test_unknown_collection_bad_name_and_two_choices_are_one_line_errors(cli, data, capsys):
    status, _, err = _run(cli, "ask", "-C", "nope", "When?")
    assert status == IndexUnavailable.exit_code and err.count("\n") == 1
    assert "no collection 'nope'" in err and "qa index FOLDER --name nope" in err
    status, _, err = _run(cli, "index", "docs", "--name", "../evil")
    assert status == UsageError.exit_code and "cannot name a collection" in err
    assert not (data.parent / "evil").exists()
    status, _, err = _run(cli, "ask", "-C", "x", "--index", "idx", "When?")
    assert status == UsageError.exit_code and "give one" in err


@pytest.fixture
def default_elsewhere(tmp_path):
    """(default index, its seeds) in tmp_path, for ``_run(..., checkout=)``: a test that reaches them writes nothing
    of the checkout."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "s.txt").write_text("A seed about the default index.\n", encoding="utf-8")
    return tmp_path / "default-index", seeds


BAD_NAMES = [
    "",
    " ",
    ".",
    "..",
    "../evil",
    "a/b",
    "a\\b",
    "/tmp",
    "a\x00b",
    "a\nb",
    "a\x1b[2Jb",
    "n" * 65,
    "n" * 5000,
    "history.db",
    "history.db-wal",
    "history.db-shm",
    "history.db-journal",
    "History.DB",
]


@pytest.mark.parametrize("name", BAD_NAMES, ids=lambda name: repr(name[:20]))
def test_a_bad_collection_name_is_one_line_and_writes_nothing(cli, data, capsys, default_elsewhere, name, fake_models):
    """One check of every name, wherever it is given: an empty one never means the default index."""
    assert _run(cli, "index", "docs", "--name", "notes")[0] == 0
    capsys.readouterr()
    before = sorted(p.name for p in data.iterdir())
    for argv in (
        ["index", "docs", "--name", name],
        ["index", "--name", name],
        ["ask", "--no-log", "-C", name, "When was the lighthouse of Brest built?"],
        ["remove", "docs/a.txt", "-C", name],
        ["sources", "--collection", name],
    ):
        status, out, err = _run(cli, *argv, checkout=default_elsewhere)
        assert status == UsageError.exit_code, (argv, out, err)
        assert out == "" and err.count("\n") == 1 and err.startswith("qa: ") and len(err) < 300, err
    assert not default_elsewhere[0].exists()  # the default index was neither built nor replaced
    assert sorted(p.name for p in data.iterdir()) == before
    assert set(IndexStore(data / "notes").read_manifest().files) == {f"docs/{n}" for n in DOCS}  # none removed


@pytest.mark.parametrize("name", ["  ", "../evil", "history.db"])
def test_a_bad_qa_collection_is_refused_and_an_empty_one_is_none(
    cli, data, capsys, default_elsewhere, monkeypatch, name
):
    status, _, err = _run(cli, "index", "docs", checkout=default_elsewhere, env={"QA_COLLECTION": name})
    assert status == UsageError.exit_code and "QA_COLLECTION" in err and err.count("\n") == 1
    assert not default_elsewhere[0].exists()
    from qa.collections import chosen_name

    # set but empty: no collection chosen, as documented
    assert chosen_name(None, Settings.from_env({"QA_COLLECTION": ""})) is None


@pytest.mark.parametrize("index", ["", " "])
def test_an_empty_index_folder_is_refused_not_the_default(cli, data, capsys, default_elsewhere, index):
    for argv in (["index", "docs", "--index", index], ["ask", "--no-log", "--index", index, "When?"]):
        status, out, err = _run(cli, *argv, checkout=default_elsewhere)
        assert status == UsageError.exit_code and out == "" and err.count("\n") == 1, err
        assert "--index names no folder" in err
    assert not default_elsewhere[0].exists()


def test_collections_named_like_the_history_are_not_listed(cli, data, capsys):
    (data / "history.db-journal").mkdir(parents=True)
    (data / "history.db-journal" / "CURRENT").write_text("gen-20260101000000-1-000000\n")
    status, out, _ = _run(cli, "list")
    assert status == 0 and "history.db" not in out


def test_from_the_checkout_the_default_stays_seeds_and_index(tmp_path):
    from qa.collections import select_index
    from qa.config import DEFAULT_DOCUMENTS, DEFAULT_INDEX, PROJECT_ROOT

    assert DEFAULT_DOCUMENTS == PROJECT_ROOT / "seeds" and DEFAULT_DOCUMENTS.is_dir()  # run from the checkout
    assert select_index(None, None, Settings()) == DEFAULT_INDEX == PROJECT_ROOT / "index"
    # the settings say where the default is: a test gives folders of its own
    (tmp_path / "seeds").mkdir()
    elsewhere = Settings(default_index=tmp_path / "index", default_documents=tmp_path / "seeds")
    assert select_index(None, None, elsewhere) == tmp_path / "index"


def test_installed_elsewhere_ask_without_a_collection_says_how_to_make_one(cli, data, capsys, tmp_path, fake_models):
    installed = (tmp_path / "site-packages" / "index", tmp_path / "site-packages" / "seeds")  # no seeds beside qa
    status, out, err = _run(cli, "ask", "When was the lighthouse built?", checkout=installed)
    assert status == IndexUnavailable.exit_code and out == "" and err.count("\n") == 1
    assert "qa index FOLDER --name NAME" in err and "Traceback" not in err
    assert not (tmp_path / "site-packages").exists()
    # with collections, it names them; one chosen answers
    assert _run(cli, "index", "docs", "--name", "notes")[0] == 0
    capsys.readouterr()
    status, _, err = _run(cli, "ask", "When was the lighthouse built?", checkout=installed)
    assert status == IndexUnavailable.exit_code and "collections: notes" in err
    question = "When was the lighthouse of Brest built?"
    assert "docs/a.txt" in _sources(_ask(cli, "-C", "notes", question, checkout=installed))


def test_list_shows_each_collection(cli, data, capsys, fake_models):
    status, out, _ = _run(cli, "list")
    assert status == 0 and "No collections yet" in out and "--name NAME" in out
    assert _run(cli, "index", "docs", "--name", "notes")[0] == 0
    assert _run(cli, "index", "docs/sub", "--name", "towers")[0] == 0
    capsys.readouterr()
    status, out, _ = _run(cli, "list")
    lines = out.splitlines()
    assert status == 0 and lines[0].split() == ["NAME", "FILES", "PASSAGES", "SIZE", "REFRESHED", "MODEL"]
    notes = lines[1].split()
    assert notes[0] == "notes" and notes[1] == "3" and int(notes[2]) >= 3 and "fake-hash-32" in lines[1]
    assert lines[2].split()[:2] == ["towers", "1"]
    status, out, _ = _run(cli, "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["name"] for r in rows] == ["notes", "towers"]
    assert rows[0]["files"] == 3 and rows[0]["model"] == "fake-hash-32" and rows[0]["bytes"] > 0
    assert rows[0]["refreshed"] > 0 and rows[0]["folders"] == [str(data.parent / "docs")]


def test_sources_lists_each_file_with_its_status(cli, data, capsys, tmp_path, fake_models):
    (tmp_path / "docs" / "blob.bin").write_bytes(b"\x00\x01")
    (tmp_path / "docs" / "empty.txt").write_text("")
    assert _run(cli, "index", "docs", "--name", "notes")[0] == 0
    capsys.readouterr()
    status, out, _ = _run(cli, "sources", "-C", "notes", "--json")
    rows = {r["source"]: r for r in map(json.loads, out.splitlines())}
    assert status == 0
    assert rows["docs/a.txt"]["status"] == "indexed" and rows["docs/a.txt"]["passages"] == 2
    assert rows["docs/empty.txt"]["status"] == "skipped" and "empty" in rows["docs/empty.txt"]["reason"]
    assert rows["docs/blob.bin"]["status"] == "skipped"
    # changed, missing and new since indexing
    (tmp_path / "docs" / "a.txt").write_text(DOCS["a.txt"] + "\nIt was restored in 1990.\n", encoding="utf-8")
    (tmp_path / "docs" / "b.txt").unlink()
    (tmp_path / "docs" / "d.txt").write_text("The harbour was dredged in 1970.\n")
    status, out, _ = _run(cli, "sources", "-C", "notes")
    assert status == 0
    assert "changed  docs/a.txt: changed since indexing" in out
    assert "missing  docs/b.txt" in out and "new      docs/d.txt: not indexed yet" in out
    assert "indexed  docs/sub/c.md: 1 passage" in out or "indexed  docs/sub/c.md: 2 passages" in out
    assert "qa index refreshes it" in out


def test_sources_of_an_index_whose_files_are_all_gone_gives_advice_that_works(cli, data, capsys, tmp_path, fake_models):
    assert _run(cli, "index", "docs", "--name", "notes")[0] == 0
    for path in sorted((tmp_path / "docs").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()  # an emptied folder, as an unmounted drive leaves it
    status, out, _ = _run(cli, "sources", "-C", "notes")
    assert status == 0 and "missing  docs/a.txt" in out
    assert "qa index refreshes it" not in out  # it cannot: a build needs a file to read
    assert "none of its files is left" in out and str(data / "notes") in out


def test_remove_drops_a_file_and_its_passages_and_refreshes_leave_it_out(cli, data, capsys, tmp_path, fake_models):
    assert _run(cli, "index", "docs", "--name", "notes")[0] == 0
    store = IndexStore(data / "notes")
    before = store.live_generation()
    capsys.readouterr()
    question = "When did the bridge over the Penfeld open?"
    assert "docs/b.txt" in _sources(_ask(cli, "-C", "notes", question))
    loaded = store.load()
    stored = {
        name: getattr(loaded, name).reconstruct(0) for name in ("dense", "multilingual", "semantic", "paragraphs")
    }
    loaded.passages.close()

    status, out, _ = _run(cli, "remove", "docs/b.txt", "-C", "notes")
    assert status == 0 and "removed  docs/b.txt" in out and "1 file removed; 2 files" in out
    assert store.live_generation() != before and [p.name for p in store.folder.glob("gen-*")] == [
        store.live_generation().name
    ]
    loaded = store.load()  # verified: every artifact matches its manifest, counts agree
    try:
        assert set(loaded.manifest.files) == {"docs/a.txt", "docs/sub/c.md"}
        assert loaded.manifest.passage_count == loaded.dense.ntotal == loaded.passages.rows()
        assert all(p.source != "docs/b.txt" for p in loaded.passages.get(list(range(loaded.dense.ntotal))).values())
        # the passages kept their vectors: those of a.txt are the ones the fake embedder gives (to the
        # precision of their 8-bit codes), stored with the very codes they had before
        import fakes

        first = loaded.passages.get([0])[0]
        from qa.documents import semantic_text

        expected = fakes.FakeEmbedder().encode([semantic_text(first)])[0]
        assert np.allclose(loaded.dense.reconstruct(0), expected, atol=0.01)
        for name, vector in stored.items():
            np.testing.assert_array_equal(getattr(loaded, name).reconstruct(0), vector)
    finally:
        loaded.passages.close()
    assert "docs/b.txt" not in _sources(_ask(cli, "-C", "notes", question))

    # qa ask's freshness check and qa index do not bring it back; sources says it was removed
    status, out, err = _run(cli, "ask", "--no-log", "-C", "notes", question)
    assert "building" not in err
    status, out, _ = _run(cli, "index", "-C", "notes")
    assert status == 0 and "(nothing changed)" in out and "docs/b.txt" not in out
    status, out, _ = _run(cli, "sources", "-C", "notes")
    assert "removed  docs/b.txt" in out
    # naming the folders again brings it back
    status, out, _ = _run(cli, "index", "docs", "--name", "notes")
    assert status == 0 and "indexed  docs/b.txt" in out


def test_remove_a_folder_by_path_from_anywhere(cli, data, capsys, tmp_path, monkeypatch, fake_models):
    assert _run(cli, "index", "docs", "--name", "notes")[0] == 0
    capsys.readouterr()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    status, out, _ = _run(cli, "remove", str(tmp_path / "docs" / "sub"), "-C", "notes", cwd=elsewhere)
    assert status == 0 and "removed  docs/sub/c.md" in out
    manifest = IndexStore(data / "notes").read_manifest()
    assert set(manifest.files) == {"docs/a.txt", "docs/b.txt"}


def test_remove_refuses_unknown_paths_and_emptying_and_leaves_the_index(cli, data, capsys, fake_models):
    assert _run(cli, "index", "docs", "--name", "notes")[0] == 0
    store = IndexStore(data / "notes")
    live = store.live_generation()
    capsys.readouterr()
    status, _, err = _run(cli, "remove", "docs/nothing.txt", "-C", "notes")
    assert status == UsageError.exit_code and "is not in the index" in err and "qa sources" in err
    status, _, err = _run(cli, "remove", "docs", "-C", "notes")
    assert status == UsageError.exit_code and "no file" in err
    assert store.live_generation() == live


def test_remove_that_fails_to_write_leaves_the_index_as_it_was(cli, data, capsys, monkeypatch, fake_models):
    assert _run(cli, "index", "docs", "--name", "notes")[0] == 0
    store = IndexStore(data / "notes")
    live = store.live_generation()
    capsys.readouterr()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "save", full)
    status, _, err = _run(cli, "remove", "docs/b.txt", "-C", "notes")
    assert status == IndexWriteFailed.exit_code and "No space left on device" in err
    assert store.live_generation() == live and [p.name for p in store.folder.glob("gen-*")] == [live.name]
    assert "docs/b.txt" in store.read_manifest().files


def test_collection_of_a_single_file(cli, data, capsys, tmp_path, fake_models):
    assert _run(cli, "index", str(tmp_path / "docs" / "a.txt"), "--name", "one")[0] == 0
    capsys.readouterr()
    answer = _ask(cli, "-C", "one", "When was the lighthouse of Brest built?")
    assert _sources(answer) == {"a.txt"} and "1921" in answer["answer"]  # a file indexed alone: by its name


def test_data_folder_defaults_to_platformdirs(tmp_path):
    import platformdirs

    from qa.collections import data_dir

    assert data_dir(Settings.from_env({})) == Path(platformdirs.user_data_dir("qa", appauthor=False))
    assert data_dir(Settings.from_env({"QA_DATA_DIR": str(tmp_path)})) == tmp_path
    with pytest.raises(UsageError, match="QA_DATA_DIR"):  # no home folder to find it in
        data_dir(Settings(data_dir=None))


def test_removing_an_indexed_folder_drops_it_from_the_folders(cli, data, capsys, tmp_path, fake_models):
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "e.txt").write_text("The ferry to Ouessant leaves at nine.\n")
    assert _run(cli, "index", "docs", "more/", "--name", "notes")[0] == 0
    capsys.readouterr()
    status, out, _ = _run(cli, "remove", "./more/", "-C", "notes")
    assert status == 0 and "removed  more/e.txt" in out
    manifest = IndexStore(data / "notes").read_manifest()
    assert manifest.folders == [str(tmp_path / "docs")] and "more/e.txt" not in manifest.files
    (tmp_path / "more" / "f.txt").write_text("A new file in the folder no longer indexed.\n")
    status, out, _ = _run(cli, "index", "-C", "notes")
    assert status == 0 and "(nothing changed)" in out and "more/" not in out


# -- damaged collections, and the advice to rebuild them (issue 26) -----------------------------------


def _damage_an_artifact(folder: Path) -> None:
    with open(IndexStore(folder).live_generation() / "dense.faiss", "ab") as handle:
        handle.write(b"garbage")


def _damage_the_manifest(folder: Path) -> None:
    (IndexStore(folder).live_generation() / "manifest.json").write_text("{", encoding="utf-8")


def _nest_the_manifest(folder: Path) -> None:
    """JSON nested deeper than the parser recurses (RecursionError, not ValueError, from json)."""
    (IndexStore(folder).live_generation() / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(
    "damage",
    [_damage_an_artifact, _damage_the_manifest, _nest_the_manifest],
    ids=["artifact", "manifest", "manifest nested too deeply"],
)
def test_list_and_sources_call_damaged_what_ask_calls_damaged(cli, data, capsys, damage, fake_models):
    assert _run(cli, "index", "docs", "--name", "notes")[0] == 0
    assert _run(cli, "index", "docs/sub", "--name", "towers")[0] == 0
    damage(data / "notes")
    capsys.readouterr()
    status, _, asked = _run(cli, "ask", "--no-log", "-C", "notes", "When was the lighthouse of Brest built?")
    assert status == IndexUnavailable.exit_code and "is damaged" in asked
    status, out, _ = _run(cli, "list")
    notes = next(line for line in out.splitlines() if line.startswith("notes"))
    assert status == 0 and "unreadable: " + asked.removeprefix("qa: ").strip() in notes and "1970" not in notes
    assert "fake-hash-32" in next(line for line in out.splitlines() if line.startswith("towers"))
    status, out, _ = _run(cli, "list", "--json")
    rows = {row["name"]: row for row in map(json.loads, out.splitlines())}
    assert rows["notes"]["error"] == asked.removeprefix("qa: ").strip() and rows["towers"]["error"] == ""
    status, out, err = _run(cli, "sources", "-C", "notes")
    assert status == IndexUnavailable.exit_code and out == "" and err == asked


def test_the_advice_for_an_unreadable_manifest_names_the_folders_and_works(cli, data, capsys, tmp_path, fake_models):
    assert _run(cli, "index", "docs", "--name", "notes")[0] == 0
    _damage_the_manifest(data / "notes")
    capsys.readouterr()
    status, _, err = _run(cli, "ask", "--no-log", "-C", "notes", "When was the lighthouse of Brest built?")
    assert status == IndexUnavailable.exit_code and err.count("\n") == 1
    advice = err.split("`")[1]  # the command the message says to run
    assert advice == f"qa index --index {data / 'notes'} FOLDER..."
    # without the folders, a rebuild cannot know them: one line saying so, and the damaged index stays
    for argv in (["index", "--index", str(data / "notes")], ["index", "--name", "notes"]):
        status, _, err = _run(cli, *argv)
        assert status == UsageError.exit_code and err.count("\n") == 1
        assert "is damaged and no longer says what it was built from" in err and "FOLDER..." in err
    # the advice, FOLDER given, rebuilds it
    status, out, err = _run(cli, *advice.replace("FOLDER...", "docs").split()[1:])
    assert status == 0, err
    assert "docs/a.txt" in _sources(_ask(cli, "-C", "notes", "When was the lighthouse of Brest built?"))
    status, out, _ = _run(cli, "list")
    assert status == 0 and "unreadable" not in out


def test_a_damaged_pointer_names_the_folders_too(cli, data, capsys, fake_models):
    assert _run(cli, "index", "docs", "--name", "notes")[0] == 0
    (data / "notes" / "CURRENT").write_text("junk\n", encoding="utf-8")
    capsys.readouterr()
    status, _, err = _run(cli, "ask", "--no-log", "-C", "notes", "When was the lighthouse of Brest built?")
    assert status == IndexUnavailable.exit_code and f"`qa index --index {data / 'notes'} FOLDER...`" in err
    assert _run(cli, "index", "--index", str(data / "notes"), "docs")[0] == 0
    capsys.readouterr()
    assert "docs/a.txt" in _sources(_ask(cli, "-C", "notes", "When was the lighthouse of Brest built?"))
