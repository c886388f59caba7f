"""Bad files end to end: `qa index` on a folder of every bad file, with the fake models."""

from __future__ import annotations

import re
from pathlib import Path

import badfiles
import fakes
import pytest

from qa.cli import main
from qa.documents import decode, lines_of
from qa.errors import DocumentsUnavailable
from qa.indexing import build_index, is_stale
from qa.store import IndexStore


def _report_lines(out: str, docs: Path) -> dict[str, str]:
    """`indexed  path: ...` / `skipped  path: reason` lines by path relative to docs/."""
    lines = {}
    for line in out.splitlines():
        match = re.match(r"(indexed|skipped)  (.+?): (.*)$", line)
        if match:
            path = Path(match.group(2))
            name = (path if path.is_absolute() else Path.cwd() / path).relative_to(docs).as_posix()
            lines[name] = f"{match.group(1)}: {match.group(3)}"
    return lines


def test_qa_index_reports_every_file_and_exits_0(in_tmp_path, fake_models, bad_folder, tmp_path, capsys, monkeypatch):
    status = main(["index", "docs", "--index", "idx", "--max-file-mb", str(badfiles.MAX_FILE_MB)], models=fake_models)
    out = capsys.readouterr().out
    assert status == 0
    report = _report_lines(out, bad_folder)
    for name, (kind, expected) in badfiles.EXPECTED.items():
        assert name in report, f"{name} missing from the report:\n{out}"
        if kind == "indexed":
            assert report[name].startswith("indexed: ") and "passage" in report[name]
        else:
            assert report[name].startswith("skipped: ") and expected in report[name], report[name]
    for unseen in badfiles.UNSEEN:
        assert unseen not in report
    assert "swordfish" not in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith(f"{sum(k == 'indexed' for k, _ in badfiles.EXPECTED.values())} files")


def test_indexed_text_is_cited_exactly_as_in_the_file(fake_models, bad_folder, tmp_path):
    store = IndexStore(tmp_path / "idx")
    build_index([bad_folder], store, fakes.FakeEmbedder(), root=tmp_path, max_bytes=20_000, models=fake_models)
    loaded = store.load()
    seen = set()
    for pid in range(loaded.manifest.passage_count):
        p = loaded.passages.get([pid])[pid]
        text = decode((tmp_path / p.source).read_bytes())
        assert p.text == text[p.start_char : p.end_char]
        assert p.text in lines_of(text, p.start_line, p.end_line)
        seen.add(p.source)
    assert "docs/bom16be.txt" in seen and "docs/latin1.txt" in seen
    assert not any("secret" in s or "hidden" in s for s in seen)
    # The BOM-encoded French file is searchable like any other
    answerer = fakes.answerer(loaded)
    question = "How tall is le phare de l'île ? 52 mètres"
    answer = answerer.answer(question, top_k=3)
    found = answerer.retriever.search(question).candidates[:3]
    assert all("bom" in c.passage.source for c in found) and any("phare" in c.passage.text for c in found), found
    for c in answer.citations + [c.passage for c in found]:
        text = decode((tmp_path / c.source).read_bytes())
        assert text[c.start_char : c.end_char] == c.text


def test_skipped_files_do_not_make_the_index_stale(fake_models, bad_folder, tmp_path):
    store = IndexStore(tmp_path / "idx")
    build_index([bad_folder], store, fakes.FakeEmbedder(), root=tmp_path, max_bytes=20_000, models=fake_models)
    manifest = store.read_manifest()
    assert manifest.max_file_bytes == 20_000
    assert (
        is_stale(manifest, [bad_folder], "fake-hash-32", fake_models.semantic_model_name()) is None
    )  # empty/binary/large files stay skipped
    (bad_folder / "empty.txt").write_text("Now the empty file has a sentence about owls.\n")
    assert (
        is_stale(manifest, [bad_folder], "fake-hash-32", fake_models.semantic_model_name()) == "docs/empty.txt is new"
    )


def test_rebuild_keeps_the_size_limit_of_the_previous_build(fake_models, bad_folder, tmp_path):
    store = IndexStore(tmp_path / "idx")
    build_index([bad_folder], store, fakes.FakeEmbedder(), root=tmp_path, max_bytes=20_000, models=fake_models)
    report = build_index([bad_folder], store, fakes.FakeEmbedder(), root=tmp_path, models=fake_models)
    assert any(s.path.endswith("large.txt") and "size limit" in s.reason for s in report.skipped)
    assert len(report.reused) == len(report.indexed)  # unchanged files: vectors reused


def test_no_readable_file_is_one_clear_line_and_a_report(in_tmp_path, fake_models, tmp_path, capsys, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02")
    status = main(["index", "docs", "--index", "idx"], models=fake_models)
    captured = capsys.readouterr()
    assert status == DocumentsUnavailable.exit_code != 0
    assert captured.err.count("\n") == 1 and captured.err.startswith("qa: no readable .txt or .md file in docs")
    assert "skipped  docs/empty.txt: empty" in captured.out and "skipped  docs/binary.txt: binary" in captured.out
    assert not (tmp_path / "idx" / "CURRENT").exists()


@pytest.mark.parametrize(
    "argv, code, words",
    [
        (["index", "missing", "--index", "idx"], 6, "is not a folder"),
        (["index", "docs", "--index", "idx", "--max-file-mb", "0"], 2, "--max-file-mb"),
        (["index", "docs", "--index", "idx", "--wait", "-1"], 2, "--wait"),
        (["index", "docs", "--index", "afile"], 7, "cannot write the index"),
    ],
)
def test_index_errors_are_one_line_with_an_exit_code(
    in_tmp_path, fake_models, tmp_path, capsys, monkeypatch, argv, code, words
):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("A sentence about kites.\n")
    (tmp_path / "afile").write_text("not a folder")
    assert main(argv, models=fake_models) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("qa: ") and words in err and "Traceback" not in err


def test_every_command_takes_index_dir(in_tmp_path, fake_models, tmp_path, capsys, monkeypatch):
    from qa.cli import build_parser

    parser = build_parser()
    for argv in (["index"], ["ask", "q"], ["chat"], ["eval", "q.jsonl"]):
        assert parser.parse_args([*argv, "--index", "some/dir"]).index == "some/dir"
    # Two indexes side by side, each answering from its own documents
    for name, text in (("a", "Kites fly over the red hill.\n"), ("b", "Boats sail on the green lake.\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.txt").write_text(text)
        assert main(["index", name, "--index", f"idx-{name}"], models=fake_models) == 0
    capsys.readouterr()
    assert main(["ask", "Where do kites fly over the red hill?", "--index", "idx-a", "--json"], models=fake_models) == 0
    out_a = capsys.readouterr().out
    assert (
        main(["ask", "Where do boats sail on the green lake?", "--index", "idx-b", "--json"], models=fake_models) == 0
    )
    out_b = capsys.readouterr().out
    assert "a/a.txt" in out_a and "b/b.txt" not in out_a
    assert "b/b.txt" in out_b and "a/a.txt" not in out_b


def test_unreadable_file_is_skipped_with_the_reason(fake_models, tmp_path, monkeypatch):
    import qa.build_stages

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("A readable sentence about gulls.\n")
    (docs / "b.txt").write_text("A file we may not read.\n")
    real = qa.build_stages.read_file_as_of

    def read_file_as_of(path, max_bytes):
        if path.name == "b.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, max_bytes)

    monkeypatch.setattr(qa.build_stages, "read_file_as_of", read_file_as_of)
    report = build_index([docs], IndexStore(tmp_path / "idx"), fakes.FakeEmbedder(), root=tmp_path, models=fake_models)
    assert [s for s, _ in report.indexed] == ["docs/a.txt"]
    assert [(s.path, s.reason) for s in report.skipped] == [("docs/b.txt", "cannot read: Permission denied")]
