"""Documents: find text files, read them safely, split them into cited passages.

A passage is one sentence (or a short heading/list item) with the exact span it
occupies in its file: 1-based inclusive lines and character offsets into the
decoded text. Every passage's ``text`` equals ``file_text[start_char:end_char]``,
so any citation can be checked against the file. The surrounding paragraph is
kept as context, because a sentence alone sometimes lacks its subject.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

# Bump when the way passages are cut changes: an index built by another
# version is rebuilt rather than trusted.
SPLITTER_VERSION = "sentences-3"

TEXT_SUFFIXES = (".txt", ".md")
DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024

# A sentence ends at . ! ? … (optionally followed by closing quotes/brackets)
# when whitespace and a plausible sentence start follow.
_SENTENCE_END = re.compile(r"""[.!?…]+["'»”’)\]]*(?=\s+["'«“‘(\[]?[\w\d])""")
# Tokens ending in a dot that do not end a sentence: initials and common
# abbreviations in English and French. Generic, not tied to any document.
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Sr|Jr|vs|etc|e\.g|i\.e|cf|M|Mme|Mlle|Me|MM|av|apr|J\.-C|p|pp|n°|No|art|fig|vol|éd|env))\.$"
)
_MAX_PASSAGE_CHARS = 600
_BLOCK_START = re.compile(r"^\s*(?:#{1,6}\s|[-*+]\s|\d+[.)]\s|>|```|\|)")
_OPEN_LINE_END = re.compile(r"[\w,(\-–—]$")


@dataclass(frozen=True)
class Passage:
    source: str  # path as given to the indexer, e.g. "seeds/000.txt"
    start_line: int  # 1-based, inclusive
    end_line: int
    start_char: int  # offsets into the decoded file text
    end_char: int
    text: str
    context_start_line: int  # the paragraph around the passage
    context_end_line: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def discover(folder: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> tuple[list[Path], list[SkippedFile]]:
    """Every .txt/.md file under ``folder``, sorted; hidden entries and links skipped.

    Symlinks (to files or folders) are never followed: a link could lead
    outside the folder or loop. Only regular files are read (a FIFO named
    ``x.txt`` would block forever), and names that are not valid UTF-8 are
    skipped because they could not be cited.
    """
    folder = Path(folder)
    found: list[Path] = []
    skipped: list[SkippedFile] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        kept = []
        for d in sorted(dirs):
            if d.startswith("."):
                continue
            if (Path(root) / d).is_symlink():
                skipped.append(SkippedFile(str(Path(root) / d), "symbolic link to a folder, not followed"))
                continue
            kept.append(d)
        dirs[:] = kept
        for name in sorted(files):
            path = Path(root) / name
            if name.startswith(".") or not name.lower().endswith(TEXT_SUFFIXES):
                continue
            if not _valid_name(str(path)):
                skipped.append(SkippedFile(str(path), "file name is not valid UTF-8"))
                continue
            try:
                info = path.lstat()
            except OSError as exc:
                skipped.append(SkippedFile(str(path), f"cannot read: {exc.strerror}"))
                continue
            if stat.S_ISLNK(info.st_mode):
                skipped.append(SkippedFile(str(path), "symbolic link, not followed"))
                continue
            if not stat.S_ISREG(info.st_mode):
                skipped.append(SkippedFile(str(path), "not a regular file"))
                continue
            if info.st_size > max_bytes:
                skipped.append(SkippedFile(str(path), f"larger than the size limit ({_size(max_bytes)})"))
                continue
            found.append(path)
    return found, skipped


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
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise UndecodableFile("not a regular file")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UndecodableFile(f"larger than the size limit ({_size(max_bytes)})")
    return data


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


def line_starts(text: str) -> list[int]:
    starts = [0]
    for match in re.finditer(r"\r\n|\r|\n", text):
        starts.append(match.end())
    return starts


def _paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """Character spans of paragraphs.

    A blank line always separates paragraphs. A single line break also does,
    unless the line looks hard-wrapped (it ends mid-sentence and the next line
    continues in lower case), because plain-text exports often put one
    paragraph per line.
    """
    spans = []
    for match in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text):
        if match.start() == len(text):
            break
        body = match.group(0).rstrip("\r\n")
        spans.append((match.start(), match.start() + len(body)))
    current: tuple[int, int] | None = None
    for start, end in spans:
        line = text[start:end]
        if not line.strip():
            if current:
                yield current
            current = None
            continue
        if current is None:
            current = (start, end)
            continue
        previous = text[current[0] : current[1]].rstrip()
        continues = (
            _OPEN_LINE_END.search(previous) is not None and not _BLOCK_START.match(line) and line.lstrip()[:1].islower()
        )
        if continues:
            current = (current[0], end)
        else:
            yield current
            current = (start, end)
    if current:
        yield current


def _sentence_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    piece_start = start
    for match in _SENTENCE_END.finditer(text, start, end):
        candidate = text[piece_start : match.end()]
        last_word = candidate.rsplit(None, 1)[-1] if candidate.split() else ""
        if _ABBREVIATION.search(last_word.rstrip("\"'»”’)]")):
            continue
        yield piece_start, match.end()
        piece_start = match.end()
    yield piece_start, end


def _split_long(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut an over-long sentence at clause boundaries so each piece embeds well."""
    while end - start > _MAX_PASSAGE_CHARS:
        window = text[start : start + _MAX_PASSAGE_CHARS]
        cut = max(window.rfind("; "), window.rfind(", "), window.rfind(" "))
        if cut <= 0:
            cut = _MAX_PASSAGE_CHARS - 1
        yield start, start + cut + 1
        start += cut + 1
    yield start, end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_passages(text: str, source: str) -> list[Passage]:
    """Split decoded file text into sentence passages with exact spans."""
    starts = line_starts(text)

    def line_of(offset: int) -> int:
        return bisect.bisect_right(starts, offset)

    passages: list[Passage] = []
    for para_start, para_end in _paragraphs(text):
        context_start_line = line_of(para_start)
        context_end_line = line_of(max(para_start, para_end - 1))
        for sent_start, sent_end in _sentence_spans(text, para_start, para_end):
            for piece_start, piece_end in _split_long(text, sent_start, sent_end):
                a, b = _trim(text, piece_start, piece_end)
                if a >= b or not any(ch.isalnum() for ch in text[a:b]):
                    continue
                passages.append(
                    Passage(
                        source=source,
                        start_line=line_of(a),
                        end_line=line_of(b - 1),
                        start_char=a,
                        end_char=b,
                        text=text[a:b],
                        context_start_line=context_start_line,
                        context_end_line=context_end_line,
                    )
                )
    return passages


def lines_of(text: str, start_line: int, end_line: int) -> str:
    """The exact text of lines start_line..end_line (1-based, inclusive), without the final break."""
    starts = line_starts(text) + [len(text) + 1]
    begin = starts[start_line - 1]
    finish = starts[end_line] if end_line < len(starts) - 1 else len(text)
    return text[begin:finish].rstrip("\r\n")
