"""Small PDF, HTML and DOCX files for the tests of their citations outside tests/test_formats.py (not a test module).

The PDF has three pages, each a heading, a paragraph and a command; the HTML file headings with anchors; the DOCX file
headings, paragraphs and a table. Built at test time (fpdf2, python-docx).
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"

PAGES = [
    ("1 Lamps and lenses", ["The keeper lit the lamp every evening at sunset.", "He checked the lens for salt."]),
    ("2 Storms", ["During the storm of 1921 the tower lost its windows.", "The light kept burning until dawn."]),
    ("3 Fog signals", ["The fog horn sounded twice every minute.", "Its sound carried nine miles over calm water."]),
]

HTML = """<!DOCTYPE html>
<html><head><title>Harbour guide</title></head>
<body><main>
<h1 id="guide">Harbour guide</h1>
<p>The harbour opened in 1932 after six years of work.</p>
<h2 id="boats">Boats and berths</h2>
<p>Each berth holds one boat of at most twelve metres. Ferries use the south pier.</p>
<h2 id="storms">Storms</h2>
<p>The storm of 1921 broke the windows of the harbour master's office.</p>
</main></body></html>
"""


def make_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    for heading, lines in PAGES:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", size=16)
        pdf.text(20, 30, heading)
        pdf.set_font("Helvetica", size=11)
        for n, line in enumerate(lines):
            pdf.text(20, 42 + 5.5 * n, line)
    pdf.output(str(path))
    return path


def make_html(path: Path) -> Path:
    path.write_text(HTML, encoding="utf-8")
    return path


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Station report", level=1)
    document.add_paragraph("The weather station on the cape records the wind every hour.")
    document.add_paragraph("Readings are sent to the mainland by radio at noon. Check the anemometer each morning.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "instrument", "interval"
    table.cell(1, 0).text, table.cell(1, 1).text = "barometer", "every three hours"
    document.add_heading("Staff", level=2)
    document.add_paragraph("Two observers share the watch in turns of twelve hours.")
    document.save(str(path))
    return path


def raw_pdf(content: bytes, fonts: dict[str, bytes] | None = None, extra: list[bytes] | None = None) -> bytes:
    """A one-page PDF written by hand: its page content ``content`` (zlib-compressed), the fonts it names
    (resource name -> font dictionary; Helvetica as /F1 by default), numbered from object 5 on, and ``extra``
    objects after them (a font descriptor the fonts refer to)."""
    fonts = fonts or {"F1": HELVETICA}
    stream = zlib.compress(content, 9)
    font_refs = b" ".join(b"/%s %d 0 R" % (name.encode(), 5 + k) for k, name in enumerate(fonts))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << %s >> >> /Contents 4 0 R >>"
        % font_refs,
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        *fonts.values(),
        *(extra or []),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
