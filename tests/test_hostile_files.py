"""Issue 26, class 2: one file within the size limit that asks for unbounded memory or time.

A PDF whose small compressed content stream expands to gigabytes (PDFium then aborts the whole
process), a DOCX zipped down from millions of empty paragraphs, an HTML tag with so many
attributes that the parser's work explodes, a zip bomb, an XML bomb: each is skipped with its
reason by ``qa index``, by the refresh ``qa ask`` does, and refused in one line by ``qa show``,
while the other files are read. The limits (qa.tuning) are lowered here so the tests stay fast.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from rich_documents import raw_pdf

from qa import tuning
from qa.cli import main
from qa.documents import UndecodableFile, load

GOOD_TEXT = "The lighthouse keeper was born in Brest in 1921."


def pdf_with_content(content: bytes) -> bytes:
    """A one-page PDF (Helvetica) whose page content is ``content``, zlib-compressed."""
    return raw_pdf(content)


def good_pdf() -> bytes:
    return pdf_with_content(b"BT /F1 12 Tf 72 720 Td (" + GOOD_TEXT.encode() + b") Tj ET")


def pdf_bomb() -> bytes:
    """21 KB on disk; two million text operations once inflated, which PDFium reads into about 1 GB."""
    return pdf_with_content(b"BT /F1 12 Tf 72 720 Td " + b"(a) Tj " * 2_000_000 + b"ET")


_CONTENT_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELATIONSHIPS = (
    b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Target="word/document.xml" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>'
)


def docx_with_body(body: bytes, prolog: bytes = b"", extra: dict[str, bytes] | None = None) -> bytes:
    """A DOCX written as its zip of XML parts: ``body`` inside w:body, ``prolog`` before w:document."""
    document = (
        b'<?xml version="1.0"?>' + prolog + b'<w:document xmlns:w="http://schemas.openxmlformats.org/'
        b'wordprocessingml/2006/main"><w:body>' + body + b"</w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELATIONSHIPS)
        archive.writestr("word/document.xml", document)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def paragraph(text: str) -> bytes:
    return b"<w:p><w:r><w:t>" + text.encode() + b"</w:t></w:r></w:p>"


def html_with_attributes(count: int) -> bytes:
    attributes = " ".join(f"a{i}=x" for i in range(count))
    return f"<html><body><p {attributes}>{GOOD_TEXT}</p></body></html>".encode()


@pytest.fixture
def low_limits(monkeypatch):
    """Limits low enough that each hostile file below meets one at once (the real ones are far higher)."""
    monkeypatch.setattr(tuning, "EXTRACT_MEMORY_MB", 200)  # the worker needs about 55 MB itself
    monkeypatch.setattr(tuning, "DOCX_XML_ELEMENTS", 10_000)
    monkeypatch.setattr(tuning, "DOCX_UNZIPPED_MB", 1)
    monkeypatch.setattr(tuning, "HTML_ATTRIBUTES_PER_TAG", 1_000)


@pytest.fixture
def hostile_folder(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bomb.pdf").write_bytes(pdf_bomb())
    (docs / "empty-paragraphs.docx").write_bytes(docx_with_body(paragraph(GOOD_TEXT) + b"<w:p/>" * 20_000))
    # The same paragraphs in a part not named .xml (the relationships may name the main part anything).
    (docs / "hidden-part.docx").write_bytes(
        docx_with_body(paragraph(GOOD_TEXT), extra={"word/document.dat": b"<w:p/>" * 20_000})
    )
    (docs / "zipbomb.docx").write_bytes(docx_with_body(paragraph(GOOD_TEXT), extra={"word/media/x.bin": bytes(2**21)}))
    (docs / "attributes.html").write_bytes(html_with_attributes(2_000))
    # Good files sorted among and after the bad ones: each is read by a worker that has survived, or replaced one.
    (docs / "good.pdf").write_bytes(good_pdf())
    (docs / "good.docx").write_bytes(docx_with_body(paragraph("The bridge of the harbour opened in 1932.")))
    (docs / "good.html").write_bytes(b"<html><body><p>The tower of the port is 52 metres high.</p></body></html>")
    (docs / "notes.txt").write_text("The archive of the harbour holds the keeper's logbooks.\n", encoding="utf-8")
    return docs


BAD = {
    "bomb.pdf": "the PDF reader stopped on it",
    "empty-paragraphs.docx": "more than 10,000 XML elements",
    "hidden-part.docx": "more than 10,000 XML elements",
    "zipbomb.docx": "zip bomb",
    "attributes.html": "more than 1,000 attributes",
}
GOOD = ("good.pdf", "good.docx", "good.html", "notes.txt")


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("qa: ") and "Traceback" not in err, err
    return err


def test_index_skips_each_hostile_file_with_its_reason_and_reads_the_others(
    in_tmp_path, fake_models, low_limits, hostile_folder, tmp_path, capsys, monkeypatch
):
    assert main(["index", "docs", "--index", "idx"], models=fake_models) == 0
    out = capsys.readouterr().out
    for name, reason in BAD.items():
        line = next(line for line in out.splitlines() if line.startswith(f"skipped  docs/{name}:"))
        assert reason in line, out
    for name in GOOD:
        assert f"indexed  docs/{name}" in out, out


def test_ask_refreshes_past_a_hostile_file_and_answers(
    in_tmp_path, fake_models, low_limits, hostile_folder, tmp_path, capsys, monkeypatch
):
    bombs = tmp_path / "bombs"
    bombs.mkdir()
    for name in BAD:
        (hostile_folder / name).rename(bombs / name)
    assert main(["index", "docs", "--index", "idx"], models=fake_models) == 0
    for name in BAD:  # they arrive after the build, with a new good file: the question's refresh meets them
        (bombs / name).rename(hostile_folder / name)
    (hostile_folder / "later.txt").write_text("The harbour's crane was rebuilt in 1958.\n", encoding="utf-8")
    capsys.readouterr()
    assert (
        main(["ask", "--json", "--index", "idx", "When was the crane of the harbour rebuilt?"], models=fake_models) == 0
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["citations"][0]["source"] == "docs/later.txt"
    assert main(["sources", "--index", "idx"], models=fake_models) == 0
    listed = capsys.readouterr().out
    for name, reason in BAD.items():
        assert f"docs/{name}" in listed and reason in listed, listed


@pytest.mark.parametrize("name", sorted(BAD))
def test_show_refuses_a_hostile_file_in_one_line(low_limits, hostile_folder, capsys, name):
    citation = f"{hostile_folder / name}{'#page=1' if name.endswith('.pdf') else ''}:1"
    assert main(["show", citation]) != 0
    assert BAD[name] in one_line(capsys.readouterr().err)
    assert main(["show", f"{hostile_folder / 'good.pdf'}#page=1:1"]) == 0  # the next file is read
    assert GOOD_TEXT in capsys.readouterr().out


def test_processor_time_and_wall_clock_time_are_limited_per_file(tmp_path):
    (tmp_path / "bomb.pdf").write_bytes(pdf_bomb())
    (tmp_path / "good.pdf").write_bytes(good_pdf())
    memory = {"EXTRACT_MEMORY_MB": 4096}  # enough for the bomb: time runs out first
    with pytest.raises(UndecodableFile, match="s of processor time to read"):
        load(tmp_path / "bomb.pdf", limits={**memory, "EXTRACT_CPU_SECONDS": 1})
    cpu = {**memory, "EXTRACT_CPU_SECONDS": 60}
    assert GOOD_TEXT in load(tmp_path / "good.pdf", limits=cpu).text  # a fresh budget for the next file
    with pytest.raises(UndecodableFile, match="took longer than 0.5 s to read"):
        load(tmp_path / "bomb.pdf", limits={**cpu, "EXTRACT_WALL_SECONDS": 0.5})
    assert GOOD_TEXT in load(tmp_path / "good.pdf", limits={**cpu, "EXTRACT_WALL_SECONDS": 180}).text


def test_a_zip_bomb_is_refused_by_the_sizes_its_archive_declares(tmp_path):
    # 300 MB of zeros zip down to 300 KB; above the default DOCX_UNZIPPED_MB, refused before any unzipping.
    big = zipfile.ZipInfo("word/media/zeros.bin")
    big.compress_type = zipfile.ZIP_DEFLATED
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELATIONSHIPS)
        with archive.open(big, "w", force_zip64=True) as part:
            zeros = bytes(2**20)
            for _ in range(300):
                part.write(zeros)
    (tmp_path / "bomb.docx").write_bytes(out.getvalue())
    assert (tmp_path / "bomb.docx").stat().st_size < 1_000_000
    with pytest.raises(UndecodableFile, match="unzips to more than 256 MB"):
        load(tmp_path / "bomb.docx")


LAUGHS = (
    b'<!DOCTYPE w:document [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (k, (b"&lol%d;" % (k - 1) if k > 1 else b"&lol;") * 10) for k in range(1, 10))
    + b'<!ENTITY secret SYSTEM "file:///etc/hostname">]>'
)


def test_xml_bombs_and_external_entities_are_never_expanded(tmp_path):
    body = paragraph("The keeper laughed: ").replace(b"</w:t>", b"&lol9;&secret;</w:t>")
    (tmp_path / "laughs.docx").write_bytes(docx_with_body(body + paragraph(GOOD_TEXT), prolog=LAUGHS))
    (tmp_path / "laughs.xhtml").write_bytes(
        b'<?xml version="1.0"?>' + LAUGHS.replace(b"w:document", b"html") + b"<html><body><p>&lol9;&secret;</p>"
        b"<p>" + GOOD_TEXT.encode() + b"</p></body></html>"
    )
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "\0"
    for name in ("laughs.docx", "laughs.xhtml"):
        try:
            text = load(tmp_path / name).text
        except UndecodableFile:
            continue  # refused is as good as read without the entities
        assert "lollol" not in text and len(text) < 1000 and (not hostname or hostname not in text), text


def test_a_worker_killed_between_files_is_replaced(tmp_path):
    from qa import sandbox

    (tmp_path / "good.pdf").write_bytes(good_pdf())
    assert GOOD_TEXT in load(tmp_path / "good.pdf").text
    sandbox._worker.process.kill()  # as the kernel's out-of-memory killer or a user would
    sandbox._worker.process.wait()
    assert GOOD_TEXT in load(tmp_path / "good.pdf").text


def test_a_folder_named_qa_where_qa_runs_is_never_imported_by_the_reader(tmp_path, monkeypatch):
    """Indexing a project that has its own qa/ package: the reading worker imports this one, never runs that."""
    from qa import sandbox

    planted = tmp_path / "project" / "qa"
    planted.mkdir(parents=True)
    marker = tmp_path / "ran"
    (planted / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (planted / "sandbox.py").write_text("")
    (tmp_path / "project" / "page.html").write_text(f"<html><body><p>{GOOD_TEXT}</p></body></html>")
    if sandbox._worker is not None:
        sandbox._worker.close()  # a new worker, started from the project's folder
    sandbox._worker = None
    with contextlib.chdir(tmp_path / "project"):  # the test is about the working folder: a qa/ planted there
        assert GOOD_TEXT in load(tmp_path / "project" / "page.html").text
    assert not marker.exists()


def test_a_quoted_greater_than_sign_does_not_hide_a_tag_s_attributes(tmp_path, low_limits):
    attributes = " ".join(f"a{i}=x" for i in range(20_000))
    (tmp_path / "quoted.html").write_text(f'<html><body><p t=">" {attributes}>{GOOD_TEXT}</p></body></html>')
    with pytest.raises(UndecodableFile, match="attributes"):
        load(tmp_path / "quoted.html")


@pytest.fixture
def fresh_worker():
    """The reading worker started anew for the test, and again after it (it may have been started otherwise)."""
    from qa import sandbox

    def restart() -> None:
        if sandbox._worker is not None:
            sandbox._worker.close()
        sandbox._worker = None

    restart()
    yield
    restart()


def test_a_system_without_the_resource_module_still_reads_files(tmp_path, monkeypatch, fresh_worker):
    """No `resource` (not a Unix): the worker reads each file without its memory and processor-time limits,
    held to the wall-clock limit alone, instead of dying on every file."""
    import os

    no_resource = tmp_path / "no-resource"
    no_resource.mkdir()
    # Imported by the worker's interpreter at its start: `import resource` then fails as where there is none.
    (no_resource / "sitecustomize.py").write_text("import sys\nsys.modules['resource'] = None\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(no_resource), os.environ.get("PYTHONPATH")])))
    (tmp_path / "page.html").write_text(f"<html><body><p>{GOOD_TEXT}</p></body></html>")
    (tmp_path / "good.pdf").write_bytes(good_pdf())
    assert GOOD_TEXT in load(tmp_path / "page.html").text
    assert GOOD_TEXT in load(tmp_path / "good.pdf").text


@pytest.mark.parametrize(
    "name, text",
    [
        ("f.txt", " " * 20_000 + "The keeper was born in 1921.\n"),
        ("f.txt", "Contents" + "\u00a0\t" * 10_000 + "x\n"),
        ("f.md", "# The keeper" + "." * 60_000 + "x\n\nHe was born in 1921.\n"),
        ("f.html", "<html><body><h1>The keeper" + "." * 60_000 + "x</h1><p>He was born in 1921.</p></body></html>"),
    ],
    ids=["spaces", "no-break spaces and tabs", "markdown heading of dots", "html heading of dots"],
)
def test_a_file_of_long_blank_or_dotted_lines_is_read_within_a_processor_limit(tmp_path, name, text):
    """Text files are read, and every file's headings compared with its table of contents, in the calling
    process: no pattern there may take more than linear time on a line. A table-of-contents leader searched over
    20,000 spaces took hours (cubic), a heading of 20,000 dots 18 s (of 60,000, minutes)."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    script = "import sys; from qa.documents import file_passages; print(len(file_passages(sys.argv[1], sys.argv[2])))"

    def limited():
        resource.setrlimit(resource.RLIMIT_CPU, (20, 20))  # far above what reading it takes; far below hours

    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / name), name],
        capture_output=True,
        text=True,
        preexec_fn=limited,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert int(done.stdout) >= (1 if "1921" in text else 0)


def test_a_file_whose_reading_in_process_runs_past_its_time_is_skipped(
    in_tmp_path, fake_models, tmp_path, monkeypatch, capsys
):
    """Markdown's structure and every file's passages are read in the calling process, outside the worker: a
    paragraph of unclosed emphasis makes the inline patterns quadratic (56 KB: 40 s; 2 MB: hours). It is
    skipped at its time limit and the other files are read."""
    monkeypatch.setattr(tuning, "READ_IN_PROCESS_SECONDS", 0.5, raising=False)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "emphasis.md").write_text("*a **a " * 8_000 + "\n", encoding="utf-8")
    (docs / "notes.txt").write_text(GOOD_TEXT + "\n", encoding="utf-8")
    assert main(["index", "docs", "--index", "idx"], models=fake_models) == 0
    out = capsys.readouterr().out
    assert "skipped  docs/emphasis.md: took longer than 0.5 s to read (the limit per file)" in out
    assert "indexed  docs/notes.txt" in out


def test_the_refresh_of_qa_ask_skips_such_a_file_once(in_tmp_path, fake_models, tmp_path, monkeypatch, capsys):
    """qa ask's refresh reads a new file within the same time limit as a build (it read it to the end, 40 s
    here), and one that runs past it is news (the rebuild records it as skipped), so the next question does not
    spend the limit on it again."""
    from qa import reader

    monkeypatch.setattr(tuning, "READ_IN_PROCESS_SECONDS", 0.5, raising=False)
    read_to_the_end = []
    read = reader.read

    def counted(text, *args, **kwargs):
        document = read(text, *args, **kwargs)
        read_to_the_end.append(text.startswith("*a **a"))
        return document

    monkeypatch.setattr(reader, "read", counted)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.txt").write_text(GOOD_TEXT + "\n", encoding="utf-8")
    assert main(["index", "docs", "--index", "idx"], models=fake_models) == 0
    (docs / "emphasis.md").write_text("*a **a " * 8_000 + "\n", encoding="utf-8")
    question = ["ask", "--no-log", "--index", "idx", "When was the lighthouse keeper born?"]
    capsys.readouterr()
    assert main(question, models=fake_models) == 0
    first = capsys.readouterr()
    assert "1921" in first.out and "docs/emphasis.md is new" in first.err
    assert main(question, models=fake_models) == 0
    assert "building the index" not in capsys.readouterr().err
    assert main(["sources", "--index", "idx"], models=fake_models) == 0
    assert "skipped  docs/emphasis.md: took longer than 0.5 s" in capsys.readouterr().out
    assert not any(read_to_the_end)


def test_the_time_limit_leaves_a_callers_own_alarm_alone(tmp_path):
    """A program using qa as a library on its main thread may own SIGALRM (its handler, its timer armed, as
    pytest-timeout's): reading a file neither replaces the handler nor cancels the timer."""
    import signal

    from qa.build_stages import SourceFile, read_source

    if not hasattr(signal, "setitimer"):
        pytest.skip("no interval timers here")
    (tmp_path / "notes.txt").write_text(GOOD_TEXT + "\n", encoding="utf-8")

    def callers_handler(signum, frame):
        raise AssertionError("the caller's alarm went off during the test")

    previous = signal.signal(signal.SIGALRM, callers_handler)
    signal.setitimer(signal.ITIMER_REAL, 600)
    try:
        assert isinstance(read_source(tmp_path / "notes.txt", "notes.txt", 10_000_000), SourceFile)
        assert signal.getsignal(signal.SIGALRM) is callers_handler
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_the_time_limit_holds_when_its_first_exception_is_dropped():
    """Python drops an exception raised while a garbage collector callback or a finalizer runs (printed, not
    raised): the time limit goes off again, so a block running past it still ends."""
    import signal
    import time

    from qa.build_stages import _time_limit, _TooLong

    if not hasattr(signal, "setitimer"):
        pytest.skip("no interval timers here")
    dropped = []
    give_up = time.monotonic() + 20
    with pytest.raises(_TooLong):
        with _time_limit(0.05):
            while time.monotonic() < give_up:
                try:
                    while time.monotonic() < give_up:
                        pass
                except _TooLong:
                    if dropped:
                        raise
                    dropped.append(True)  # as a garbage collector callback's exception is dropped
    assert dropped == [True]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
