"""Documents: find files, read them safely, split them into cited passages.

A passage is one sentence (or a short heading/list item) with the exact span it
occupies in its file: 1-based inclusive lines and character offsets into the
decoded text. Every passage's ``text`` equals ``file_text[start_char:end_char]``,
so any citation can be checked against the file. The surrounding paragraph is
kept as context, because a sentence alone sometimes lacks its subject.

PDF, HTML and DOCX files are read through ``qa.formats``: their passages
stand in the extracted text, and carry a locator (the PDF page, the HTML
heading's anchor, the DOCX paragraph). A PDF passage's lines count from the
first line of its page: ``Passage.cited()`` gives a citation's fields.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qa import formats, reader, tuning
from qa.lang.sentences import sentence_spans, trim_span

if TYPE_CHECKING:
    import numpy as np

# Bump when the way passages are cut changes: an index built by another
# version is rebuilt rather than trusted.
SPLITTER_VERSION = "structure-15"

TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown", ".rst")
SUFFIXES = TEXT_SUFFIXES + formats.RICH_SUFFIXES
DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024


# Passage kinds.
SENTENCE, HEADING, CAPTION, ROW, CODE = "sentence", "heading", "caption", "row", "code"


@dataclass(frozen=True)
class Passage:
    source: str  # path as given to the indexer, e.g. "seeds/000.txt"
    start_line: int  # 1-based, inclusive
    end_line: int
    start_char: int  # offsets into the decoded file text
    end_char: int
    text: str
    context_start_line: int  # the paragraph (block) around the passage
    context_end_line: int
    kind: str = SENTENCE  # sentence, heading, caption, row, code
    section: str = ""  # title of the section the passage stands in
    clean: str = ""  # the text as a reader sees it: markup removed, whitespace normalised
    context: str = ""  # what gives it meaning: its section, a table's caption and columns, a code block's introduction
    # Locators: the PDF page (1-based), the nearest HTML heading's anchor, the DOCX paragraph (0/"": none).
    page: int = 0
    anchor: str = ""
    paragraph: int = 0
    # Lines and characters of the extracted text before the passage's page (PDF): its lines
    # and offsets above are those of the whole extracted text, a citation's count from its page.
    line_base: int = 0
    char_base: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    def locator(self) -> dict:
        """The locator a citation shows: {"page": n}, {"anchor": id} or {"paragraph": n}, or {}."""
        if self.page:
            return {"page": self.page}
        if self.anchor:
            return {"anchor": self.anchor}
        if self.paragraph:
            return {"paragraph": self.paragraph}
        return {}

    def cited(self) -> dict:
        """A citation's span: lines and offsets counted from the start of the passage's page (PDF) or file."""
        return {
            "source": self.source,
            "start_line": self.start_line - self.line_base,
            "end_line": self.end_line - self.line_base,
            "text": self.text,
            "start_char": self.start_char - self.char_base,
            "end_char": self.end_char - self.char_base,
            "context_start_line": self.context_start_line - self.line_base,
            "context_end_line": self.context_end_line - self.line_base,
        }


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def discover(folder: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> tuple[list[Path], list[SkippedFile]]:
    """Every readable file under ``folder`` (or ``folder`` itself when it is a file), sorted.

    Text (.txt, .md, .rst), PDF, HTML and DOCX files are found; a file of
    another type is listed as skipped. Hidden entries are left out silently.
    Symlinks (to files or folders) are never followed: a link could lead
    outside the folder or loop. Only regular files are read (a FIFO named
    ``x.txt`` would block forever), and names that are not valid UTF-8 are
    skipped because they could not be cited.
    """
    folder = Path(folder)
    found: list[Path] = []
    skipped: list[SkippedFile] = []
    if not folder.is_dir() or folder.is_symlink():
        _check(folder, max_bytes, found, skipped)
        return found, skipped
    # A walk with a stack of its own, not os.walk: that recursion fails on
    # folders nested about a thousand deep (RecursionError). Folders are read
    # depth first, each one's files before its subfolders, as os.walk does.
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as entries:
                listed = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            skipped.append(SkippedFile(printable_name(current), f"folder cannot be read: {reason}"))
            continue
        subfolders = []
        for entry in listed:
            if entry.name.startswith("."):
                continue
            path = Path(current) / entry.name
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False
            if not is_folder:
                _check(path, max_bytes, found, skipped)
            elif entry.is_symlink():
                skipped.append(SkippedFile(printable_name(path), "symbolic link to a folder, not followed"))
            elif not _valid_name(entry.name):
                skipped.append(SkippedFile(printable_name(path), "folder name is not valid UTF-8"))
            else:
                subfolders.append(path)
        pending.extend(reversed(subfolders))
    return found, skipped


def printable_name(path: Path | str) -> str:
    """``path`` as text that can be written anywhere: bytes that are not UTF-8 shown as \\xNN."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def _check(path: Path, max_bytes: int, found: list[Path], skipped: list[SkippedFile]) -> None:
    """Put ``path`` in ``found`` or, with the reason, in ``skipped``."""
    if not _valid_name(str(path)):
        skipped.append(SkippedFile(printable_name(path), "file name is not valid UTF-8"))
        return
    try:
        info = path.lstat()
    except FileNotFoundError:
        skipped.append(SkippedFile(str(path), "no such file or folder"))
        return
    except OSError as exc:
        skipped.append(SkippedFile(str(path), f"cannot read: {exc.strerror}"))
        return
    if stat.S_ISLNK(info.st_mode):
        skipped.append(SkippedFile(str(path), "symbolic link, not followed"))
        return
    if not stat.S_ISREG(info.st_mode):
        skipped.append(SkippedFile(str(path), "not a regular file"))
        return
    if not path.name.lower().endswith(SUFFIXES):
        kind = path.suffix.lower() or "no extension"
        skipped.append(SkippedFile(str(path), f"unknown file type ({kind}): not .txt, .md, .rst, .pdf, .html or .docx"))
        return
    if info.st_size > max_bytes:
        skipped.append(SkippedFile(str(path), f"larger than the size limit ({_size(max_bytes)})"))
        return
    found.append(path)


def _valid_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes come back as lone surrogates
        return False
    return True


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n} bytes"


def read_file(path: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes:
    """The file's bytes; a file that grew past the limit since discovery is refused.

    Opened without following a final symlink, and only when it is a regular file.
    """
    return read_file_as_of(path, max_bytes)[0]


_READ_ATTEMPTS = 3


_READ_CHUNK = 1 << 20


def _read_at_most(handle, limit: int) -> bytes:
    """Up to ``limit`` bytes, read a megabyte at a time: ``read(limit)`` allocates ``limit`` bytes at once, and a
    generous limit (--max-file-mb 1000000) would be a MemoryError on a file of a few lines."""
    chunks = []
    while limit > 0 and (chunk := handle.read(min(limit, _READ_CHUNK))):
        chunks.append(chunk)
        limit -= len(chunk)
    return b"".join(chunks)


def read_file_as_of(path: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> tuple[bytes, os.stat_result]:
    """The file's bytes and its status taken before they were read (``read_file``).

    A file whose size or times change while it is read is read again (up to
    three times): the status returned is that of the bytes returned, or older,
    so that an edit made during the reading is seen as one by the next check.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        before = os.fstat(handle.fileno())
        if not stat.S_ISREG(before.st_mode):
            raise UndecodableFile("not a regular file")
        status = before
        for _attempt in range(_READ_ATTEMPTS):
            status = before  # taken before these bytes were read
            handle.seek(0)
            data = _read_at_most(handle, max_bytes + 1)
            before = os.fstat(handle.fileno())
            if _same_status(status, before):
                break
    if len(data) > max_bytes:
        raise UndecodableFile(f"larger than the size limit ({_size(max_bytes)})")
    return data, status


def _same_status(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_size, a.st_mtime_ns, a.st_ctime_ns) == (b.st_size, b.st_mtime_ns, b.st_ctime_ns)


_UNDEFINED_CP1252 = re.compile("[\udc80-\udcff]")


class UndecodableFile(ValueError):
    pass


def decode(data: bytes) -> str:
    """Decode file bytes: BOMs honoured, UTF-8 preferred, cp1252 as the legacy fallback.

    Line endings are kept as they are, so character offsets match the file.
    Raises UndecodableFile (with the reason) for binary or undecodable data.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        text = _strict(data[3:], "utf-8", "UTF-8 with a byte-order mark", offset=3)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _strict(data, "utf-16", "UTF-16 with a byte-order mark")
    else:
        if b"\x00" in data:
            raise UndecodableFile("binary file (contains NUL bytes)")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        # cp1252 (a superset of Latin-1's printable range); its five undefined
        # bytes are kept as the Latin-1 control characters they would be.
        text = _UNDEFINED_CP1252.sub(
            lambda m: chr(ord(m.group()) - 0xDC00), data.decode("cp1252", errors="surrogateescape")
        )
        if _looks_binary(text):
            raise UndecodableFile("not text: undecodable as UTF-8, UTF-16 or Latin-1/cp1252")
        return text
    if "\x00" in text:
        raise UndecodableFile("binary file (contains NUL characters)")
    return text


def _strict(data: bytes, encoding: str, label: str, offset: int = 0) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UndecodableFile(f"not valid {label} (at byte {exc.start + offset})") from None


def _looks_binary(text: str) -> bool:
    # C0 controls other than layout, and C1 controls (the bytes cp1252 leaves undefined).
    controls = sum(1 for c in text if (ord(c) < 32 and c not in "\t\n\r\f") or 0x80 <= ord(c) <= 0x9F)
    return controls > max(8, len(text) // 100)


def extract(path: Path | str, data: bytes, limits: Mapping[str, float] | None = None) -> formats.Extracted:
    """The text a file's citations refer to, with its structure and locators.

    Text files are decoded (``decode``) and read by ``qa.reader``; PDF, HTML and
    DOCX files go through ``qa.formats`` in the worker of ``qa.sandbox``, held to
    limits of memory and time. Raises UndecodableFile with the reason the file
    is skipped. ``limits``: values of the worker's limits (qa.sandbox.LIMITS) for this file, in place of qa.tuning's.
    """
    from qa import sandbox

    path = Path(path)
    fmt = formats.format_of(path)
    if fmt is None:
        text = decode(data)
        return formats.Extracted(text, reader.sniff_format(text, path.suffix), None)
    try:
        return sandbox.extract(data, fmt, limits)
    except formats.ExtractionError as exc:
        raise UndecodableFile(str(exc)) from None
    except (MemoryError, RecursionError):
        raise UndecodableFile(f"too complex to read as {fmt.upper()}") from None
    except Exception as exc:  # a damaged file can make a parser fail in its own way
        raise UndecodableFile(f"not a readable {fmt.upper()} file ({exc.__class__.__name__})") from None


def load(
    path: Path | str, max_bytes: int = DEFAULT_MAX_FILE_BYTES, limits: Mapping[str, float] | None = None
) -> formats.Extracted:
    """``extract`` of the file at ``path`` (OSError or UndecodableFile when it cannot be read); ``limits``: as
    ``extract`` takes them."""
    return extract(path, read_file(Path(path), max_bytes), limits)


def document_passages(extracted: formats.Extracted, source: str) -> list[Passage]:
    """The passages of an extracted document, each with its locator; none runs across two PDF pages."""
    passages = split_passages(extracted.text, source, extracted.format, blocks=extracted.blocks)
    if not extracted.locators:
        return passages
    text = extracted.text
    starts = line_starts(text)
    page_starts = [a for a, _ in extracted.pages]
    out = []
    for p in passages:
        locator = extracted.locator_at(p.start_char)
        if "page" in locator:
            page_start, page_end = extracted.pages[bisect.bisect_right(page_starts, p.start_char) - 1]
            if p.end_char > page_end:  # a code block's introduction on the page before: the part on its page
                a, b = trim_span(text, p.start_char, page_end)
                if a >= b:
                    continue
                p = replace(
                    p,
                    end_char=b,
                    end_line=bisect.bisect_right(starts, b - 1),
                    text=text[a:b],
                    clean=reader.clean_inline(text[a:b], reader.PLAIN),
                    context_end_line=min(p.context_end_line, bisect.bisect_right(starts, b - 1)),
                )
            first_line = bisect.bisect_right(starts, page_start)
            if p.context_start_line < first_line:
                p = replace(p, context_start_line=first_line)
            p = replace(p, page=locator["page"], line_base=first_line - 1, char_base=page_start)
        elif "anchor" in locator:
            p = replace(p, anchor=locator["anchor"])
        elif "paragraph" in locator:
            p = replace(p, paragraph=locator["paragraph"])
        out.append(p)
    return out


def file_passages(path: Path | str, source: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> list[Passage]:
    return document_passages(load(path, max_bytes), source)


def line_starts(text: str) -> list[int]:
    starts = [0]
    for match in re.finditer(r"\r\n|\r|\n", text):
        starts.append(match.end())
    return starts


def _sentence_spans(text: str, start: int, end: int, search_from: int | None = None) -> list[tuple[int, int]]:
    """Sentences of text[start:end] (qa.lang's sentence grammar); none ends before search_from (past a
    list item's "1.")."""
    spans = sentence_spans(text, start if search_from is None else search_from, end)
    if spans and search_from is not None:
        spans[0] = (start, spans[0][1])
    return spans or [(start, end)]


def _split_long(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut an over-long sentence at clause boundaries so each piece embeds well."""
    while end - start > tuning.MAX_PASSAGE_CHARS:
        window = text[start : start + tuning.MAX_PASSAGE_CHARS]
        cut = max(window.rfind("; "), window.rfind(", "), window.rfind(" "))
        if cut <= 0:
            cut = tuning.MAX_PASSAGE_CHARS - 1
        yield start, start + cut + 1
        start += cut + 1
    yield start, end


_ITEM_MARKER = re.compile(r"^(?:[-*+•‣◦▪–]|\(?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,5})[.)]|#\.)\s+(?:\[[ xX]\]\s+)?")
# What may stand between a code block and the sentence that introduces it: blank lines, a
# Markdown fence, an rst "::" or code directive with its options.
_CODE_DIRECTIVE = "|".join(sorted(reader.CODE_DIRECTIVES))
_CODE_OPENING = re.compile(
    rf"\s*(?:(?:`{{3,}}|~{{3,}})[^\r\n]*|::|\.\.\s+(?:{_CODE_DIRECTIVE})::[^\r\n]*(?:(?:\r\n|\r|\n)[ \t]+:[^\r\n]*)*)?\s*"
)


def split_passages(
    text: str, source: str, format: str | None = None, blocks: list[reader.Block] | None = None
) -> list[Passage]:
    """Cut a document into cited passages along its structure (``qa.reader``, or ``blocks`` when given).

    - prose (paragraphs, list items) gives one passage per sentence;
    - a heading, a table caption and a table row are one passage each;
    - a code block belongs to the sentence that introduces it (the passage
      runs from that sentence to the end of the block's first lines); the
      rest of a long block is cut at its blank lines, each piece keeping the
      introduction as context;
    - tables of contents and admonition labels give none.
    """
    starts = line_starts(text)

    def line_of(offset: int) -> int:
        return bisect.bisect_right(starts, offset)

    if blocks is not None:  # PDF, HTML, DOCX: the structure comes with the extracted text
        mark = getattr(reader, "_mark_tables_of_contents", lambda found: found)
        document = reader.Document(text, reader.PLAIN, mark(list(blocks)))
    else:
        document = reader.read(text, Path(source).suffix, format)
    fmt = document.format
    passages: list[Passage] = []
    section = ""
    caption = ""
    header = ""

    def add(a: int, b: int, kind: str, clean: str, context: str, block: reader.Block) -> None:
        a, b = trim_span(text, a, b)
        if a >= b or not any(ch.isalnum() for ch in clean):
            return
        passages.append(
            Passage(
                source=source,
                start_line=line_of(a),
                end_line=line_of(b - 1),
                start_char=a,
                end_char=b,
                text=text[a:b],
                context_start_line=line_of(block.start),
                context_end_line=line_of(block.end - 1),
                kind=kind,
                section=section,
                clean=clean,
                context=context,
            )
        )

    previous: reader.Block | None = None
    term: reader.Block | None = None  # the object description being read, and whether its first
    term_named = False  # sentence has been given its signature yet
    lead_in = ""  # the sentence ending in ":" that the list read now completes

    def described() -> str:
        """The context of prose and code: the section, and within an object description its signature."""
        return " — ".join(x for x in (section, term.clean if term is not None else "") if x)

    blocks_read = document.blocks

    def unnamed_term() -> None:
        """A signature whose body said nothing (an undocumented member) is a passage of its own."""
        if term is not None and not term_named:
            first_line = text.find("\n", term.start, term.end)
            end = term.end if first_line < 0 else first_line
            add(term.start, end, SENTENCE, term.clean, section, term)

    for k, block in enumerate(blocks_read):
        kind = block.kind
        if term is not None and block.start >= term.end:
            unnamed_term()
            term = None
        if kind == reader.TERM:
            unnamed_term()
            term, term_named = block, False
            continue
        if kind == reader.HEADING:
            section = block.clean
            caption = header = ""
            add(block.start, block.end, HEADING, block.clean, "", block)
        elif kind == reader.CAPTION:
            caption, header = block.clean, ""
            add(block.start, block.end, CAPTION, block.clean, section, block)
        elif kind == reader.ROW:
            first_row = previous is None or previous.kind != reader.ROW
            if first_row and not caption:
                # A caption set under its table (as a PDF typesets it) names the rows above it.
                # (One followed by rows of its own is the next table's, set above it.)
                at = next((j for j in range(k + 1, len(blocks_read)) if blocks_read[j].kind != reader.ROW), None)
                below = at is not None and blocks_read[at].kind == reader.CAPTION
                owned = below and at + 1 < len(blocks_read) and blocks_read[at + 1].kind == reader.ROW
                caption = blocks_read[at].clean if below and not owned else ""
            if not header and (caption or blocks is not None or first_row):
                # The first row names the columns (in a PDF the caption often comes after the table).
                header = block.clean
            context = " — ".join(x for x in (section, caption, header if header != block.clean else "") if x)
            add(block.start, block.end, ROW, block.clean, context, block)
        elif kind in reader.PROSE and block.clean != reader.clean_inline(text[block.start : block.end], fmt):
            caption = header = ""
            add(block.start, block.end, SENTENCE, block.clean, section, block)  # as the reader put it in words
        elif kind in reader.PROSE:
            caption = header = ""
            context = described()
            if kind == reader.ITEM and lead_in:
                # A list's items complete the sentence that leads into it ("We recommend the following:").
                context = f"{context} — {lead_in}" if context else lead_in
            marker = _ITEM_MARKER.match(text[block.start : block.end]) if kind == reader.ITEM else None
            for a, b in _sentence_spans(text, block.start, block.end, block.start + marker.end() if marker else None):
                for piece_a, piece_b in _split_long(text, a, b):
                    piece_a, piece_b = trim_span(text, piece_a, piece_b)
                    clean = reader.clean_inline(text[piece_a:piece_b], fmt)
                    if piece_a == block.start and kind == reader.ITEM:
                        unmarked = _ITEM_MARKER.sub("", clean)
                        clean = unmarked if any(c.isalnum() for c in unmarked) else clean
                    if term is not None and not term_named:
                        # The description's first sentence says what it describes: "list.append(x): Add an item…"
                        joint = " " if term.clean.endswith((":", "?", "!", ".")) else ": "
                        piece_a, clean, term_named = term.start, f"{term.clean}{joint}{clean}", True
                    add(piece_a, piece_b, SENTENCE, clean, context, block)
            if kind == reader.PARAGRAPH:
                lead_in = passages[-1].clean if passages and passages[-1].clean.endswith(":") else ""
        elif kind == reader.CODE:
            _add_code(text, block, previous, passages, add, described())
        if kind not in (reader.LABEL, reader.TOC):
            previous = block
        if kind not in reader.PROSE + (reader.LABEL, reader.TOC):
            lead_in = ""
    unnamed_term()
    return passages


def _add_code(text, block, previous, passages, add, section) -> None:
    """The block's pieces (at most tuning.CODE_PIECE_LINES lines each, cut at blank lines when it can);
    the first joins the sentence that introduces it."""
    pieces = []
    lines = list(re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text[block.start : block.end]))
    piece_start = 0
    count = 0
    for n, match in enumerate(lines):
        count += 1
        blank = not match.group(0).strip()
        last = n == len(lines) - 1
        if last or (count >= tuning.CODE_PIECE_LINES) or (blank and count >= tuning.CODE_PIECE_LINES // 2):
            pieces.append((block.start + piece_start, block.start + match.end()))
            piece_start = match.end()
            count = 0
    introduction = None
    if (
        previous is not None
        and previous.kind in reader.PROSE
        and passages
        and passages[-1].kind == SENTENCE
        and passages[-1].end_char <= block.start
        and _CODE_OPENING.fullmatch(text, passages[-1].end_char, block.start)
    ):
        introduction = passages.pop()
    # "You can change it with:" says what "it" is only with the sentence before, when there is one.
    before = passages[-1] if introduction is not None and passages else None
    lead = before.clean if before and before.kind == SENTENCE and same_paragraph(before, introduction) else ""
    for n, (a, b) in enumerate(pieces):
        code = " ".join(text[a:b].split())
        if not code:
            continue
        if n == 0 and introduction is not None:
            clean = f"{introduction.clean} {code}"
            add(introduction.start_char, b, CODE, clean, " — ".join(x for x in (section, lead) if x), block)
            # Its context runs from the introduction's paragraph to the end of the block.
            passages[-1] = replace(passages[-1], context_start_line=introduction.context_start_line)
        else:
            context = " — ".join(x for x in (section, introduction.clean if introduction else "") if x)
            add(a, b, CODE, code, context, block)


def same_paragraph(a: Passage, b: Passage) -> bool:
    """Two passages of one block (paragraph, list item, table) of one file."""
    return a.source == b.source and a.context_start_line == b.context_start_line


def semantic_text(passage: Passage) -> str:
    """What the encoders read for a passage: the passage as a reader sees it, after what gives it meaning.

    A sentence alone often lacks its subject ("It is 500 by default"), a table
    row its columns, a command its purpose: measured on the three development
    sets, the retrieval model ranks passages better with their context
    (bench/retrieval.py).
    """
    return f"{passage.context}. {passage.clean}" if passage.context else passage.clean


def paragraph_texts(passages: list[Passage]) -> tuple[list[tuple[str, int]], np.ndarray]:
    """(text, passage count) of each paragraph in order, and for each passage its paragraph's number.

    A paragraph is read whole for the paragraph vector: the answer is often
    in one sentence and its subject in the one before.
    """
    import numpy as np

    keys: dict[tuple[str, int], int] = {}
    pieces: list[list[str]] = []
    owner = np.zeros(len(passages), dtype=np.int64)
    for i, p in enumerate(passages):
        key = (p.source, p.context_start_line)
        if key not in keys:
            keys[key] = len(pieces)
            pieces.append([p.context] if p.context else [])
        pieces[keys[key]].append(p.clean)
        owner[i] = keys[key]
    counts = np.bincount(owner, minlength=len(pieces)) if len(owner) else np.zeros(0, dtype=np.int64)
    texts = [(". ".join(t)[: tuning.PARAGRAPH_CHARS], int(counts[k])) for k, t in enumerate(pieces)]
    return texts, owner


def lines_of(text: str, start_line: int, end_line: int) -> str:
    """The exact text of lines start_line..end_line (1-based, inclusive), without the final break."""
    starts = line_starts(text) + [len(text) + 1]
    begin = starts[start_line - 1]
    finish = starts[end_line] if end_line < len(starts) - 1 else len(text)
    return text[begin:finish].rstrip("\r\n")


class BadCitation(ValueError):
    """A citation that names no lines of its file (one line, for qa show)."""


def cited_text(ref, path: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES, data: bytes | None = None) -> str:
    """The lines a citation (``qa.citations.CitationRef``) names, extracted again from the file itself (from
    ``data``, its bytes, when the caller has read them for another use too: one reading for both).

    Raises BadCitation when they are not there: a page, an anchor or a line the file does not have, or lines
    outside the section of the anchor named (they would be another section's); OSError, UndecodableFile.
    """
    extracted = load(path, max_bytes) if data is None else extract(path, data)
    text = extracted.text
    where = ""
    if extracted.format == formats.PDF:
        if not ref.page:
            raise BadCitation(f"{ref.source} is a PDF: say which page, as in {ref.source}#page=1:{ref.start_line}")
        if ref.page > len(extracted.pages):
            raise BadCitation(f"{ref.source} has {len(extracted.pages)} pages, not {ref.page}")
        text = extracted.page_text(ref.page)
        where = f" of page {ref.page}"
    elif ref.page:
        raise BadCitation(f"{ref.source} is not a PDF: it has no pages (cite it as {ref.source}:{ref.start_line})")
    if ref.anchor and extracted.format != formats.HTML:
        raise BadCitation(f"{ref.source} is not HTML: it has no anchors (cite it as {ref.source}:{ref.start_line})")
    lines = len(line_starts(text)) - (1 if text.endswith(("\n", "\r")) else 0)
    if ref.end_line > lines:
        raise BadCitation(f"{ref.source}{where} has {lines} lines, not {ref.end_line}")
    if ref.anchor:
        _check_section(ref, extracted)
    cited = lines_of(text, ref.start_line, ref.end_line)
    if getattr(ref, "column", 0) > len(cited.split("\n", 1)[0]):
        raise BadCitation(f"line {ref.start_line} of {ref.source}{where} has no column {ref.column}")
    return cited


def _check_section(ref, extracted: formats.Extracted) -> None:
    """Every line asked stands in the section of ``ref.anchor`` (HTML lines count in the whole text)."""
    if not any(locator.get("anchor") == ref.anchor for _, locator in extracted.locators):
        raise BadCitation(f"{ref.source} has no section #{ref.anchor}")
    starts = line_starts(extracted.text)
    for number in range(ref.start_line, ref.end_line + 1):
        begin = starts[number - 1]
        end = starts[number] - 1 if number < len(starts) else len(extracted.text)
        if begin == end:  # a blank line between blocks belongs to no section
            continue
        if {extracted.locator_at(begin).get("anchor"), extracted.locator_at(end - 1).get("anchor")} != {ref.anchor}:
            raise BadCitation(f"line {number} of {ref.source} is not in the section #{ref.anchor}")
