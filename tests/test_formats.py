"""PDF, HTML and DOCX files: extraction, locators, skipped files, and `qa show` reproducing every citation.

The small files are built at test time (fpdf2 for PDF, python-docx for DOCX); the real
Debian Reference renderings are read under ``-m model`` only.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import fakes
import pytest

from qa import formats
from qa.answering import passage_citation
from qa.citations import parse_label
from qa.cli import main
from qa.documents import (
    BadCitation,
    UndecodableFile,
    discover,
    document_passages,
    extract,
    file_passages,
    lines_of,
    load,
)
from qa.reader import CODE, HEADING, ITEM, PARAGRAPH, ROW

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "corpora"

# -- building small files ------------------------------------------------------------

PAGES = [
    (
        "1 Lamps and lenses",
        [
            "The keeper lit the lamp every evening at sunset and checked the lens for salt and dust",
            "before the night watch began. The lighthouse ad-",
            "ministration paid him forty francs a month for the work.",
            "",
            "Short closing line.",
        ],
        "$ lamp --on",
    ),
    (
        "2 Storms",
        [
            "During the storm of 1921 the tower lost its windows but the light kept burning until",
            "dawn, when the supply boat finally reached the rock with oil and new glass for the top.",
        ],
        "$ storm-report --year 1921",
    ),
    (
        "3 Fog signals",
        [
            "The fog horn sounded twice every minute whenever the keeper could not see the far buoy,",
            "and the sound carried nine miles over calm water on the coldest winter nights.",
        ],
        "$ horn --every 30s",
    ),
]


def make_pdf(path: Path, pages=PAGES) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    for number, (heading, lines, command) in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        pdf.text(20, 12, "Lighthouse Handbook - second edition")  # running header
        pdf.set_font("Helvetica", "B", size=16)
        pdf.text(20, 30, heading)
        pdf.set_font("Helvetica", size=11)
        y = 42.0
        for line in lines:
            if line:
                pdf.text(20, y, line)
            y += 5.5
        pdf.set_font("Courier", size=10)
        pdf.text(20, y + 6, command)
        pdf.set_font("Helvetica", size=9)
        pdf.text(100, 287, f"Page {number} of {len(pages)}")  # running footer
    pdf.output(str(path))
    return path


HTML = """<!DOCTYPE html>
<html><head><title>Harbour guide</title><style>p { color: red }</style>
<script>var tracking = "do not index this script";</script></head>
<body>
<nav class="navbar"><a href="/">Home</a> <a href="/about">About the navigation menu</a></nav>
<header><p>Site banner that repeats on every page of the site.</p></header>
<main>
<h1 id="guide">Harbour guide</h1>
<p>The harbour opened in <b>1932</b> after six years of work.</p>
<section id="boats">
<h2>Boats and berths</h2>
<p>Each berth holds one boat of at most twelve metres.</p>
<ul><li>Fishing boats moor on the north quay.</li><li>Ferries use the south pier.</li></ul>
<pre>$ berth --list
$ berth --free</pre>
<table><caption>Fees</caption>
<tr><th>boat</th><th>fee</th></tr>
<tr><td>dinghy</td><td>5 euros</td></tr>
<tr><td>yacht</td><td>40 euros</td></tr>
</table>
</section>
<h2><a id="tides"></a>Tides</h2>
<p>High tide comes twice a day, about fifty minutes later each day.</p>
</main>
<footer class="footer">Copyright notice of the site footer.</footer>
</body></html>
"""


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Station report", level=1)
    document.add_paragraph("The weather station on the cape records the wind every hour.")
    document.add_paragraph("")
    document.add_paragraph("Readings are sent to the mainland by radio at noon.")
    document.add_paragraph("Check the anemometer each morning.", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "instrument", "interval"
    table.cell(1, 0).text, table.cell(1, 1).text = "barometer", "every three hours"
    document.add_heading("Staff", level=2)
    document.add_paragraph("Two observers share the watch in turns of twelve hours.")
    document.save(str(path))
    return path


@pytest.fixture
def pdf_file(tmp_path):
    return make_pdf(tmp_path / "handbook.pdf")


@pytest.fixture
def html_file(tmp_path):
    path = tmp_path / "guide.html"
    path.write_text(HTML, encoding="utf-8")
    return path


@pytest.fixture
def docx_file(tmp_path):
    return make_docx(tmp_path / "report.docx")


# -- PDF -------------------------------------------------------------------------------


def test_pdf_running_headers_and_footers_are_dropped_and_pages_kept(pdf_file):
    extracted = load(pdf_file)
    assert extracted.format == formats.PDF and len(extracted.pages) == 3
    assert "Lighthouse Handbook" not in extracted.text and "Page 1 of 3" not in extracted.text
    for number, (heading, _, _) in enumerate(PAGES, start=1):
        assert extracted.page_text(number).startswith(heading)  # each page's text, from its first line
    assert extracted.text.count("\f") == 2


def test_pdf_hyphenation_at_line_ends_is_joined(pdf_file):
    text = load(pdf_file).text
    assert "lighthouse administration paid him" in text and "ad-" not in text
    assert "storm-report" in text  # a hyphen inside a line is the text's own


def test_pdf_headings_code_and_paragraph_breaks_come_from_fonts_and_places(pdf_file):
    extracted = load(pdf_file)
    blocks = extracted.blocks
    headings = [b.clean for b in blocks if b.kind == HEADING]
    assert headings == [h for h, _, _ in PAGES]
    assert [b.clean for b in blocks if b.kind == CODE] == [c for _, _, c in PAGES]
    paragraphs = [b.clean for b in blocks if b.kind not in (HEADING, CODE)]
    # The short last line of a paragraph and the blank space after it end the paragraph.
    assert paragraphs[0].endswith("forty francs a month for the work.") and paragraphs[1] == "Short closing line."


def test_pdf_passages_name_their_page_and_count_lines_from_it(pdf_file):
    extracted = load(pdf_file)
    passages = document_passages(extracted, "handbook.pdf")
    storm = next(p for p in passages if "storm of 1921" in p.text)
    cited = passage_citation(1, storm, 1.0).to_dict()
    assert cited["page"] == 2 and cited["start_line"] == 2
    page = extracted.page_text(2)
    assert page[cited["start_char"] : cited["end_char"]] == cited["text"]
    assert cited["text"] in lines_of(page, cited["start_line"], cited["end_line"])
    assert all(p.page for p in passages) and "anchor" not in cited and "paragraph" not in cited
    # No passage runs across two pages.
    assert all(
        extracted.pages[p.page - 1][0] <= p.start_char < p.end_char <= extracted.pages[p.page - 1][1] for p in passages
    )


# -- HTML ------------------------------------------------------------------------------


def test_html_keeps_the_main_text_and_drops_navigation_scripts_and_styles(html_file):
    text = load(html_file).text
    for dropped in ("tracking", "color: red", "navigation menu", "Home", "Site banner", "footer"):
        assert dropped not in text
    assert "The harbour opened in 1932 after six years of work." in text


def test_html_definition_terms_name_what_their_definition_says():
    html = b"""<html><body><main><h1>Lamps</h1>
<dl class="py method"><dt id="Lamp.light"><span>Lamp.</span><span>light</span>(<em>fuel</em>)</dt>
<dd><p>Light the lamp with the given fuel. The wick must be trimmed first.</p><p>It returns the time.</p></dd></dl>
<dl><dt>Lamp.dim()</dt><dd></dd></dl>
<dl><dt>How long does a wick last?</dt><dd>About a week.</dd></dl>
<p>After the list.</p>
</main></body></html>"""
    found = {p.clean: p for p in document_passages(extract("lamps.html", html), "lamps.html")}
    first = found["Lamp.light(fuel): Light the lamp with the given fuel."]
    assert first.text.startswith("Lamp.light(fuel)") and first.context == "Lamps — Lamp.light(fuel)"
    assert found["It returns the time."].context == "Lamps — Lamp.light(fuel)"
    assert "Lamp.dim()" in found  # a term without a definition is still read
    assert "How long does a wick last? About a week." in found
    assert found["After the list."].context == "Lamps"


def test_html_headings_lists_code_and_table_rows_are_recognised(html_file):
    extracted = load(html_file)
    kinds = [(b.kind, b.clean) for b in extracted.blocks]
    assert (HEADING, "Harbour guide") in kinds and (HEADING, "Boats and berths") in kinds
    assert [b.level for b in extracted.blocks if b.kind == HEADING] == [1, 2, 2]
    assert (ITEM, "- Fishing boats moor on the north quay.") in kinds
    code = next(b for b in extracted.blocks if b.kind == CODE)
    assert extracted.text[code.start : code.end] == "$ berth --list\n$ berth --free"
    assert (ROW, "dinghy | 5 euros") in kinds


def test_html_passages_carry_the_nearest_headings_anchor(html_file):
    passages = document_passages(load(html_file), "guide.html")
    anchors = {p.text: p.anchor for p in passages}
    assert anchors["The harbour opened in 1932 after six years of work."] == "guide"
    assert anchors["Each berth holds one boat of at most twelve metres."] == "boats"
    assert anchors["High tide comes twice a day, about fifty minutes later each day."] == "tides"
    cited = passage_citation(1, passages[1], 1.0).to_dict()
    assert cited["anchor"] == "guide" and "page" not in cited


# -- DOCX ------------------------------------------------------------------------------


def test_docx_paragraphs_headings_lists_and_tables(docx_file):
    extracted = load(docx_file)
    kinds = [(b.kind, b.clean) for b in extracted.blocks]
    assert kinds[0] == (HEADING, "Station report")
    assert (ITEM, "- Check the anemometer each morning.") in kinds
    assert (ROW, "barometer | every three hours") in kinds
    passages = {p.text: p.paragraph for p in document_passages(extracted, "report.docx")}
    # Paragraphs count from 1 in the body, the empty one included.
    assert passages["The weather station on the cape records the wind every hour."] == 2
    assert passages["Readings are sent to the mainland by radio at noon."] == 4
    assert passages["Two observers share the watch in turns of twelve hours."] > 5


def _styled_docx(paragraphs: list[tuple[str, str]]) -> bytes:
    """A DOCX of (style, text) paragraphs, the styles created as pandoc names them in the DOCX it writes."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    for style, text in paragraphs:
        if style not in [s.name for s in document.styles]:
            document.styles.add_style(style, WD_STYLE_TYPE.PARAGRAPH)
        document.add_paragraph(text, style=style)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_manual_terms_code_and_captions_read_as_their_html_would():
    # pandoc's DOCX of a manual: a <dl> becomes "Definition Term"/"Definition" paragraphs, a <pre> one
    # "Source Code" paragraph with line breaks, a figure's caption an "Image Caption".
    data = _styled_docx(
        [
            ("Heading 1", "Lamps"),
            ("Definition Term", "Lamp.light(fuel)"),
            ("Definition", "Light the lamp with the given fuel. The wick must be trimmed first."),
            ("Source Code", "lamp.light('oil')"),  # code inside the definition, as a <pre> in a <dd>
            ("Definition", "It returns the time."),
            ("Definition Term", "Lamp.dim()"),
            ("Body Text", "Lamps dim at dusk."),
            ("Source Code", "$ lamp --light\n$ lamp --dim"),
            ("Image Caption", "Figure 2: a lamp with its wick trimmed"),
            ("Body Text", "After the list."),
        ]
    )
    extracted = extract("lamps.docx", data)
    kinds = [(b.kind, b.clean) for b in extracted.blocks]
    code = [extracted.text[b.start : b.end] for b in extracted.blocks if b.kind == CODE]
    assert code == ["lamp.light('oil')", "$ lamp --light\n$ lamp --dim"]  # their lines kept
    assert (PARAGRAPH, "Lamp.dim()") in kinds  # a term that no definition follows is a paragraph
    assert ("caption", "Figure 2: a lamp with its wick trimmed") in kinds
    found = {p.clean: p for p in document_passages(extracted, "lamps.docx")}
    first = found["Lamp.light(fuel): Light the lamp with the given fuel."]
    assert first.text.startswith("Lamp.light(fuel)") and first.context == "Lamps — Lamp.light(fuel)"
    assert found["It returns the time."].context == "Lamps — Lamp.light(fuel)"
    assert found["After the list."].context == "Lamps"
    assert first.paragraph == 2 and found["After the list."].paragraph == 10


def test_docx_headings_are_known_by_their_outline_level_whatever_their_style_name():
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    chapter = document.styles.add_style("Chapitre", WD_STYLE_TYPE.PARAGRAPH)  # a custom heading style
    level = OxmlElement("w:outlineLvl")
    level.set(qn("w:val"), "0")
    chapter.element.get_or_add_pPr().append(level)
    document.styles.add_style("Chapitre court", WD_STYLE_TYPE.PARAGRAPH).base_style = chapter  # inherits it
    document.add_paragraph("Lampes", style="Chapitre")
    document.add_paragraph("La mèche se coupe chaque matin.")
    document.add_paragraph("Huiles", style="Chapitre court")
    document.add_paragraph("L'huile de colza brûle sans fumée.")
    out = io.BytesIO()
    document.save(out)
    extracted = extract("lampes.docx", out.getvalue())
    assert [(b.kind, b.level, b.clean) for b in extracted.blocks if b.kind == HEADING] == [
        (HEADING, 2, "Lampes"),
        (HEADING, 2, "Huiles"),
    ]
    found = {p.clean: p for p in document_passages(extracted, "lampes.docx")}
    assert found["L'huile de colza brûle sans fumée."].context == "Huiles"


# -- skipped files ---------------------------------------------------------------------


def test_encrypted_image_only_and_broken_files_are_skipped_with_their_reason(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.text(20, 20, "secret text")
    pdf.set_encryption(owner_password="owner", user_password="user")
    pdf.output(str(tmp_path / "locked.pdf"))
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 50, 50, style="F")
    pdf.output(str(tmp_path / "scan.pdf"))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not a zip archive")
    (tmp_path / "binary.html").write_bytes(b"\x00\x01\x02<html>")
    reasons = {}
    for name in ("locked.pdf", "scan.pdf", "broken.pdf", "broken.docx", "binary.html"):
        with pytest.raises(UndecodableFile) as caught:
            load(tmp_path / name)
        reasons[name] = str(caught.value)
    assert "encrypted" in reasons["locked.pdf"]
    assert "image-only" in reasons["scan.pdf"]
    assert "not a readable PDF" in reasons["broken.pdf"]
    assert "not a valid DOCX" in reasons["broken.docx"]
    assert "binary" in reasons["binary.html"]


def test_unknown_types_are_listed_as_skipped_and_single_files_are_found(tmp_path, pdf_file):
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (tmp_path / "notes.txt").write_text("A note.\n")
    found, skipped = discover(tmp_path)
    assert {p.name for p in found} == {"handbook.pdf", "notes.txt"}
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("photo.jpg", "unknown file type (.jpg): not .txt, .md, .rst, .pdf, .html or .docx")
    ]
    assert discover(pdf_file) == ([pdf_file], [])
    assert "unknown file type" in discover(tmp_path / "photo.jpg")[1][0].reason


def test_qa_index_takes_files_and_folders_and_skips_bad_files_without_stopping(
    in_tmp_path, fake_models, tmp_path, pdf_file, html_file, docx_file, capsys, monkeypatch
):
    other = tmp_path / "more"
    other.mkdir()
    (other / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    (other / "table.xlsx").write_bytes(b"PK")
    (other / "notes.md").write_text("# Notes\n\nThe bridge opened in 1932.\n")
    status = main(["index", "handbook.pdf", "guide.html", "report.docx", "more", "--index", "idx"], models=fake_models)
    out = capsys.readouterr().out
    assert status == 0, out
    for name in ("handbook.pdf", "guide.html", "report.docx", "more/notes.md"):
        assert f"indexed  {name}" in out
    assert "skipped  more/broken.pdf: not a readable PDF" in out
    assert "skipped  more/table.xlsx: unknown file type (.xlsx)" in out


# -- qa show ---------------------------------------------------------------------------


def test_parse_label():
    ref = parse_label("guide.pdf#page=12:3-4")
    assert (ref.source, ref.page, ref.start_line, ref.end_line) == ("guide.pdf", 12, 3, 4)
    ref = parse_label("C:/notes.txt:40")  # a path typed by hand, its ":" unescaped
    assert (ref.source, ref.page, ref.start_line, ref.end_line) == ("C:/notes.txt", 0, 40, 40)
    assert parse_label("page.html#tides:7-9").anchor == "tides"
    ref = parse_label("notes.txt:40:15")  # a column, as qa ask names one of two passages of a line
    assert (ref.source, ref.start_line, ref.end_line, ref.column) == ("notes.txt", 40, 40, 15)
    for bad in ("notes.txt", "notes.txt:0", "notes.txt:5-3", "a.pdf#page=0:1", "a.pdf#page=x:1", "#x:1"):
        with pytest.raises(BadCitation):
            parse_label(bad)


def test_every_citation_is_reproduced_by_qa_show(
    in_tmp_path, tmp_path, pdf_file, html_file, docx_file, capsys, monkeypatch
):
    (tmp_path / "notes.txt").write_text("First line.\nThe bridge opened in 1932.\nIt is 300 metres long.\n")
    checked = 0
    for name in ("handbook.pdf", "guide.html", "report.docx", "notes.txt"):
        for passage in file_passages(tmp_path / name, name):
            c = passage_citation(1, passage, 1.0).to_dict()
            span = f"{c['start_line']}-{c['end_line']}"
            spec = f"{name}#page={c['page']}:{span}" if "page" in c else f"{name}:{span}"
            assert main(["show", spec]) == 0
            shown = capsys.readouterr().out
            assert shown.endswith("\n")
            lines = shown[:-1]
            assert c["text"] in lines, (spec, c["text"], lines)
            # A passage that fills its lines is exactly what is shown.
            if lines.strip() == c["text"]:
                checked += 1
    assert checked > 20


def test_qa_show_on_a_bad_citation_is_one_line_and_a_non_zero_exit(
    in_tmp_path, tmp_path, pdf_file, capsys, monkeypatch
):
    (tmp_path / "notes.txt").write_text("One.\nTwo.\n")
    cases = [
        (["show", "notes.txt"], 2, "not a citation"),
        (["show", "notes.txt:3"], 2, "has 2 lines, not 3"),
        (["show", "missing.txt:1"], 6, "no such file"),
        (["show", "handbook.pdf:1"], 2, "say which page"),
        (["show", "handbook.pdf#page=9:1"], 2, "has 3 pages, not 9"),
        (["show", "notes.txt#page=1:1"], 2, "not a PDF"),
    ]
    for argv, code, words in cases:
        assert main(argv) == code, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err, (argv, err)


def test_json_citations_add_the_locator_only_when_there_is_one(
    in_tmp_path, fake_models, tmp_path, pdf_file, capsys, monkeypatch
):
    (tmp_path / "notes.txt").write_text("The storm of 1921 broke the windows of the tower.\n")
    assert main(["index", "handbook.pdf", "notes.txt", "--index", "idx"], models=fake_models) == 0
    capsys.readouterr()
    # Not a "when" question: with the fake encoders the best passage may hold no date, and such an
    # answer abstains; what is checked here is the citations' locators.
    main(
        ["ask", "--json", "--top-k", "5", "What did the storm break in the tower?", "--index", "idx"],
        models=fake_models,
    )
    data = json.loads(capsys.readouterr().out)
    assert data["citations"], data
    for c in data["citations"]:
        assert ("page" in c) == c["source"].endswith(".pdf")
        assert "anchor" not in c and "paragraph" not in c
        if "page" in c:
            assert (
                main(["show", f"{c['source']}#page={c['page']}:{c['start_line']}-{c['end_line']}"], models=fake_models)
                == 0
            )
        else:
            assert main(["show", f"{c['source']}:{c['start_line']}-{c['end_line']}"], models=fake_models) == 0
        assert c["text"] in capsys.readouterr().out


def test_extract_reads_bytes_by_the_files_type():
    html = extract("x.HTM", b"<p>Plain <i>words</i> here.</p>")
    assert html.format == formats.HTML and html.text == "Plain words here."
    text = extract("x.txt", b"Plain words here.\n")
    assert text.blocks is None and text.text == "Plain words here.\n"
    with pytest.raises(UndecodableFile):
        extract("x.docx", io.BytesIO(b"nothing").getvalue())


# -- the real Debian Reference renderings ------------------------------------------------


@pytest.mark.model
@pytest.mark.parametrize("folder", ["debian-reference-fr-pdf", "debian-reference-fr-html"])
def test_debian_reference_renderings_every_passage_is_cited_and_shown_again(folder, capsys):
    files = sorted((CORPORA / folder).iterdir())
    assert files
    for path in files:
        extracted = load(path)
        passages = document_passages(extracted, str(path))
        assert len(passages) > 100
        for passage in passages[::97]:
            c = passage_citation(1, passage, 1.0).to_dict()
            if path.suffix == ".pdf":
                assert c["page"] >= 1
                spec = f"{path}#page={c['page']}:{c['start_line']}-{c['end_line']}"
            else:
                spec = f"{path}:{c['start_line']}-{c['end_line']}"
            assert main(["show", spec]) == 0
            assert c["text"] in capsys.readouterr().out
    if folder.endswith("pdf"):
        text = load(files[0]).text
        passages = document_passages(load(files[0]), str(files[0]))
        assert "Référence Debian 1 / " not in text  # the running header
        assert "utilisateurs autres que" in text  # "uti-" / "lisateurs", joined
        # A line opening on a bold number is prose; its paragraph goes on to the next line.
        assert any(p.clean.endswith("68980 paquets disponibles pour l’architecture amd64.") for p in passages)
        # A table whose command cells are monospaced is read as rows, named by the caption set under it.
        row = next(p for p in passages if p.kind == "row" and p.clean.startswith("whois"))
        assert "mkpasswd" in row.clean and "Table 4.4" in row.context
        # A justified line stretched before a path that cannot break is prose, its sentence whole.
        stretched = next(p for p in passages if p.clean.startswith("Le paquet base-passwd contient une liste"))
        assert stretched.kind == "sentence" and "users-and-groups.html" in stretched.clean


def test_pdf_table_rows_are_read_from_the_gaps_between_cells(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.text(20, 20, "The harbour charges these fees for a night at a berth in the summer season.")
    rows = [("boat", "length", "fee"), ("dinghy", "under 5 m", "5 euros"), ("yacht", "up to 12 m", "40 euros")]
    y = 32.0
    for row in rows:
        for x, cell in zip((20, 70, 120), row, strict=True):
            pdf.text(x, y, cell)
        y += 6
    pdf.text(60, y + 4, "Table 1 - Fees of the harbour")
    pdf.output(str(tmp_path / "fees.pdf"))
    extracted = load(tmp_path / "fees.pdf")
    kinds = [(b.kind, b.clean) for b in extracted.blocks]
    assert (ROW, "dinghy | under 5 m | 5 euros") in kinds
    assert ("caption", "Table 1 - Fees of the harbour") in kinds
    yacht = next(p for p in document_passages(extracted, "fees.pdf") if p.text.startswith("yacht"))
    assert yacht.kind == "row" and "boat | length | fee" in yacht.context


def test_a_justified_line_stretched_wide_is_prose_not_a_row(tmp_path):
    """Justified text stretches a line's spaces alike (here 1.3 em) before a word too long to
    break; a table's columns stand as far apart as what they hold."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    em = 11 * 25.4 / 72  # millimetres
    x = 20.0
    for word in "The package base-passwd keeps the authoritative list of users and groups:".split():
        pdf.text(x, 20, word)
        x += pdf.get_string_width(word) + 1.3 * em
    pdf.text(20, 25, "/usr/share/doc/base-passwd/users-and-groups.html in its documentation.")
    for y, row in ((40, ("boat", "length", "fee", "season")), (46, ("dinghy", "5 m", "5 euros", "summer"))):
        for x, cell in zip((20, 55, 80, 110), row, strict=True):
            pdf.text(x, y, cell)
    pdf.output(str(tmp_path / "users.pdf"))
    extracted = load(tmp_path / "users.pdf")
    kinds = [(b.kind, b.clean) for b in extracted.blocks]
    assert (
        PARAGRAPH,
        "The package base-passwd keeps the authoritative list of users and groups: "
        "/usr/share/doc/base-passwd/users-and-groups.html in its documentation.",
    ) in kinds
    assert (ROW, "dinghy | 5 m | 5 euros | summer") in kinds


def test_pdf_rows_with_monospaced_cells_and_a_caption_below_are_a_table(tmp_path):
    """A row whose first and last cells are monospaced (a command) is still a row, and its wrapped
    command still the row; a caption set under the table names its rows."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.text(20, 20, "These tools turn a password into the hash that the system keeps for it.")
    y = 32.0
    for command, popularity, program in (("mkpasswd", "V:28", "mkpasswd"), ("openssl", "V:841", "passwd")):
        pdf.set_font("Courier", size=11)
        pdf.text(20, y, command)
        pdf.set_font("Helvetica", size=11)
        pdf.text(70, y, popularity)
        pdf.set_font("Courier", size=11)
        pdf.text(120, y, program)
        y += 6
    pdf.text(120, y - 1, "--stdin")
    pdf.set_font("Helvetica", size=11)
    pdf.text(60, y + 8, "Table 4 - Tools that hash passwords")
    pdf.output(str(tmp_path / "tools.pdf"))
    extracted = load(tmp_path / "tools.pdf")
    kinds = [(b.kind, b.clean) for b in extracted.blocks]
    assert (ROW, "mkpasswd | V:28 | mkpasswd") in kinds
    assert (ROW, "openssl | V:841 | passwd --stdin") in kinds
    assert ("caption", "Table 4 - Tools that hash passwords") in kinds
    rows = [p for p in document_passages(extracted, "tools.pdf") if p.kind == "row"]
    assert len(rows) == 2 and all("Table 4 - Tools that hash passwords" in p.context for p in rows)


def test_an_index_of_pdf_html_and_docx_files_is_fresh_until_one_changes(fake_models, tmp_path, pdf_file, html_file):
    from qa.indexing import build_index, is_stale
    from qa.store import IndexStore

    make_docx(tmp_path / "report.docx")
    store = IndexStore(tmp_path / "idx")
    report = build_index([tmp_path], store, fakes.FakeEmbedder(), root=tmp_path, models=fake_models)
    assert {source for source, _ in report.indexed} == {"handbook.pdf", "guide.html", "report.docx"}
    manifest = store.read_manifest()
    assert {f["format"] for f in manifest.files.values()} == {"pdf", "html", "docx"}
    assert is_stale(manifest, [tmp_path], "fake-hash-32", fake_models.semantic_model_name()) is None
    loaded = store.load()
    try:
        passages = loaded.passages.get(list(range(manifest.passage_count)))
        assert {p.page for p in passages.values() if p.source == "handbook.pdf"} == {1, 2, 3}
        assert any(p.anchor == "tides" for p in passages.values())
        assert all(p.paragraph for p in passages.values() if p.source == "report.docx")
    finally:
        loaded.passages.close()
    html_file.write_text(HTML.replace("1932", "1933"), encoding="utf-8")
    assert is_stale(manifest, [tmp_path], "fake-hash-32", fake_models.semantic_model_name()) == "guide.html changed"


def test_a_pdf_footnote_is_read_beside_the_word_that_calls_it(tmp_path):
    """A typeset footnote stands at the foot of the page, its mark raised and small beside a word
    ("WYSIWYG²"): read in place, the note explains the word, and the mark no longer hides the word
    or splits its sentence. A raised number with no footnote of its own (an exponent) stays."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()

    def run(x, y, text, size, raised=0.0):
        pdf.set_font("Helvetica", size=size)
        pdf.text(x, y - raised, text)
        return x + pdf.get_string_width(text)

    x = run(20, 20, "Most word processors follow the WYSIWYG", 11)
    x = run(x, 20, "2", 7, raised=1.4)
    run(x + 1.5, 20, "approach, where the page is edited as it will print.", 11)
    x = run(20, 26, "The grid holds 10", 11)
    x = run(x, 26, "3", 7, raised=1.4)
    run(x + 1.5, 26, "cells in each of its layers, whatever the page size is.", 11)
    run(20, 32, "Everything else on the page is ordinary prose that calls no note at all.", 11)
    x = run(20, 270, "2", 6, raised=1.2)
    run(x + 0.5, 270, "What you see is what you get.", 8)
    x = run(20, 275, "7", 6, raised=1.2)
    run(x + 0.5, 275, "A note whose call stands on another page.", 8)
    pdf.output(str(tmp_path / "notes.pdf"))
    text = load(tmp_path / "notes.pdf").text
    assert "the WYSIWYG (2: What you see is what you get) approach, where" in text
    assert "2What you see" not in text  # the note is read once, where it is called
    assert "The grid holds 103 cells" in text  # an exponent: no footnote 3 on the page
    assert "A note whose call stands on another page." in text  # left at the foot, as it was


def test_a_pdf_whose_listing_outnumbers_its_prose_keeps_its_prose_as_prose(tmp_path):
    """A manual that prints its source in a small type has more listing lines than prose lines; the
    body's size is the one its prose is set in, so the prose is not taken for headings."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=15)
    pdf.text(20, 20, "Margins")
    pdf.set_font("Helvetica", size=10)
    prose = [
        "The options that set the margins are listed below with what each one of them does",
        "to the page, and the default that the package takes when no option is given at all.",
    ]
    for k, line in enumerate(prose):
        pdf.text(20, 30 + 5 * k, line)
    pdf.set_font("Helvetica", size=7)
    for k in range(12):
        pdf.text(20, 50 + 3.5 * k, f"{390 + k} \\define@key{{Gm}}{{key{k}}}{{\\setkeys{{Gm}}{{#{k}}}}}%")
    pdf.output(str(tmp_path / "listing.pdf"))
    blocks = load(tmp_path / "listing.pdf").blocks
    (margins,) = [b for b in blocks if b.clean == "Margins"]
    assert margins.kind == HEADING
    (body,) = [b for b in blocks if b.clean.startswith("The options that set the margins")]
    assert body.kind == PARAGRAPH


def test_a_pdf_table_of_contents_is_not_read_as_content(tmp_path):
    """A contents line (title, dot leaders, page number) shares all its words with a question about
    the section it names, and says nothing of it: the section is read where it stands."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.text(20, 20, "1.4 The Page Styles of the Class . . . . . . . . . . . . . . 9")
    pdf.text(20, 26, "List of Figures . . . . . . . . . . . . . . . . . . . . . . . . xi")
    pdf.text(20, 40, "The page styles of the class are plain, headings and empty; plain is the default one.")
    pdf.output(str(tmp_path / "contents.pdf"))
    text = load(tmp_path / "contents.pdf").text
    assert "Page Styles of the Class" not in text and "List of Figures" not in text
    assert "plain is the default one" in text


def test_a_pdf_book_index_is_not_read_as_content(tmp_path):
    """A book's index page (terms, each with its page numbers) points to what it names: "\\parskip, 112"
    is no answer to what \\parskip is. A page of prose that cites a few pages keeps them."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    for k in range(14):
        pdf.text(20, 20 + 8 * k, f"\\term{chr(97 + k)}")
        pdf.text(20, 24 + 8 * k, f", {12 + k}, {40 + 2 * k}-{41 + 2 * k}")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.text(20, 20, "The length of a paragraph skip is set once, in the preamble, see page 12.")
    pdf.output(str(tmp_path / "index.pdf"))
    text = load(tmp_path / "index.pdf").text
    assert "\\terma" not in text and ", 12, 40-41" not in text
    assert "see page 12." in text


def _short_word_paragraph() -> str:
    """A sentence whose words alternate with short ones, so that a short word opens many of its lines."""
    words = "as to be in it of an or at by so we do if is on no up us me my go he".split() * 3
    return " ".join(f"{w} harbour" for w in words) + "."


def test_a_pdf_paragraph_set_narrower_than_the_page_stays_one_paragraph(tmp_path):
    """A list or a quotation set narrower than the page (a twoside book's verso pages too) ends its justified
    lines at its own edge: each line is full there, and a line whose next word would have fitted before the
    page's wider edge is no paragraph's last."""
    from fpdf import FPDF

    sentence = _short_word_paragraph()
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    for _ in range(2):  # pages of the full width: the document's edge
        pdf.add_page()
        pdf.set_xy(20, 20)
        pdf.multi_cell(170, 5, (sentence + " ") * 3, align="J")
    pdf.add_page()
    pdf.set_xy(20, 20)
    pdf.multi_cell(150, 5, sentence, align="J")  # ends 20 mm before the others
    pdf.output(str(tmp_path / "narrow.pdf"))
    extracted = load(tmp_path / "narrow.pdf")
    narrow = [b for b in extracted.blocks if b.start >= extracted.pages[2][0]]
    assert [(b.kind, b.clean) for b in narrow] == [(PARAGRAPH, sentence)]


def test_each_column_of_a_pdf_page_in_two_keeps_its_paragraph_whole(tmp_path):
    """The left column's lines end at its own edge, far before the page's right margin."""
    from fpdf import FPDF

    sentence = _short_word_paragraph()
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    for left in (20, 110):
        pdf.set_xy(left, 20)
        pdf.multi_cell(80, 5, sentence, align="J")
    pdf.output(str(tmp_path / "columns.pdf"))
    assert [(b.kind, b.clean) for b in load(tmp_path / "columns.pdf").blocks] == [(PARAGRAPH, sentence)] * 2


_PAGE_STYLES = b"LaTeX supports three predefined header and footer combinations, called page styles."


def _face_over_body(path: Path, face: bytes, flags: int, weight: int, stem: int, line: bytes):
    """The blocks of a page that sets ``line`` at 12 pt in the face ``face`` (a font descriptor of these
    flags, weight and stem width; proportional widths, so no monospaced face), then _PAGE_STYLES at 10 pt
    in Times-Roman."""
    from rich_documents import raw_pdf

    widths = b" ".join(b"%d" % (300 + 37 * k % 400) for k in range(95))
    fonts = {
        "F1": b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>",
        "F2": b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /FirstChar 32 /LastChar 126 /Widths [%s]"
        b" /FontDescriptor 7 0 R >>" % (face, widths),
    }
    descriptor = (
        b"<< /Type /FontDescriptor /FontName /%s /Flags %d /FontBBox [0 -200 1000 900] /ItalicAngle 0"
        b" /Ascent 900 /Descent -200 /CapHeight 700 /StemV %d /FontWeight %d >>" % (face, flags, stem, weight)
    )
    content = b"BT /F2 12 Tf 72 720 Td (%s) Tj ET BT /F1 10 Tf 72 700 Td (%s) Tj ET" % (line, _PAGE_STYLES)
    path.write_bytes(raw_pdf(content, fonts, [descriptor]))
    return load(path).blocks


@pytest.mark.parametrize(
    "name, flags",
    [
        (b"ABCDEF+CMUSerif-Bold", 34),  # bold by its name; the flags say serif, nonsymbolic
        (b"ABCDEF+SomeSerif", 34 | 1 << 18),  # bold by its flags (ForceBold)
    ],
)
def test_a_pdf_heading_in_a_bold_face_that_declares_a_light_weight_is_a_heading(tmp_path, name, flags):
    """A subsection's title is set a little larger than the body and bold. Its font may declare a weight
    under 600 (LaTeX's CMUSerif-Bold says 570): the face's name or its flags still say bold."""
    blocks = _face_over_body(tmp_path / "styles.pdf", name, flags, 570, 120, b"1.6.3 Page Styles")
    assert [(b.kind, b.clean) for b in blocks] == [(HEADING, "1.6.3 Page Styles"), (PARAGRAPH, _PAGE_STYLES.decode())]


def test_short_pdf_lines_that_end_together_by_chance_are_no_edge(tmp_path):
    """A man page's one-line definitions may end at one place while the page's other lines run on past it:
    each definition is still its own paragraph, not joined with the next entry's term."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    y = 20.0
    long_text = "Move the cursor forward one word at a time through the whole line, stopping at each"
    definition = "Insert the character typed at point now."  # prose, ended at one place three times
    for term in ("self-insert-command", "quoted-insert-command", "tab-insert-command"):
        pdf.text(20, y, term)
        pdf.text(35, y + 5, definition)
        y += 10
    for _ in range(4):  # lines of the page that run on past where the definitions end
        pdf.text(35, y, long_text)
        pdf.text(35, y + 5, "word.")
        y += 10
    pdf.output(str(tmp_path / "man.pdf"))
    cleans = [b.clean for b in load(tmp_path / "man.pdf").blocks]
    assert cleans.count(definition) == 3, cleans


def test_a_pdf_line_in_a_demilight_face_is_not_bold(tmp_path):
    """ "DemiLight" (Noto Sans CJK's weight 350) is lighter than regular: "demi" says bold only before "bold"
    or alone ("Futura-Demi"). A line of it a little larger than the body is no heading."""
    blocks = _face_over_body(
        tmp_path / "light.pdf", b"ABCDEF+NotoSansCJKjp-DemiLight", 32, 350, 60, b"A note set apart"
    )
    assert HEADING not in [b.kind for b in blocks]


def test_a_pdf_paragraph_ending_near_a_narrower_blocks_edge_still_ends_there(tmp_path):
    """A page holds a block set narrower than its body (its lines end 20 mm earlier). A body paragraph whose
    last line stops just short of that block's edge is judged against the edge its own lines reach: the next
    paragraph's first word would have fitted there, so the paragraph ended."""
    import itertools

    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    pdf.set_xy(20, 20)
    narrow = " ".join(["the quay holds the ferries and the fishing boats of the harbour"] * 12) + "."
    pdf.multi_cell(150, 5, narrow, align="J")  # full lines ending at 170 mm, more than the body's passing it
    words = "the harbour pilots guide every ship through the narrow channel at dawn and dusk".split()
    body = " ".join(itertools.islice(itertools.cycle(words), 70)) + "."  # its last line ends at 162.75 mm
    pdf.set_xy(20, pdf.get_y() + 5)
    pdf.multi_cell(170, 5, body, align="J")
    after = "Tides turn twice a day at the harbour mouth."
    pdf.set_x(20)
    pdf.multi_cell(170, 5, after, align="J")  # no gap: only where the line before stops tells the end
    pdf.output(str(tmp_path / "narrow-block.pdf"))
    cleans = [b.clean for b in load(tmp_path / "narrow-block.pdf").blocks]
    assert cleans[-2:] == [body, after], cleans
