"""A folder with every kind of bad file a real folder holds, and what `qa index` must do with each."""

from __future__ import annotations

import os
from pathlib import Path

GOOD = "The lighthouse keeper was born in Brest in 1921.\nHe kept the lamp burning for forty years.\n"
FRENCH = "Le phare de l'île fut construit en 1887. Il mesure 52 mètres.\n"
LATIN1 = "Le café coûte 3 € à Paris. L'été dernier, il coûtait moins.\n"
ESCAPES = (
    "The vault code is \x1b[31mred\x1b[0m here. Markup [bold red]stays[/bold red] literal. Title \x1b]0;pwned\x07 ok.\n"
)
CRLF = "First line of a Windows file.\r\nSecond line about windmills.\r\n"
BIDI = "Access level is \u202euser\u202c for the tower guard.\n"

# name -> expected outcome: ("indexed", text) or ("skipped", words the reason contains)
EXPECTED: dict[str, tuple[str, str]] = {
    "good.txt": ("indexed", GOOD),
    "notes.md": ("indexed", "# Notes\n\n- The bridge opened in 1932.\n"),
    "bom8.txt": ("indexed", FRENCH),
    "bom16le.txt": ("indexed", FRENCH),
    "bom16be.txt": ("indexed", FRENCH),
    "latin1.txt": ("indexed", LATIN1),
    "escapes.txt": ("indexed", ESCAPES),
    "crlf.txt": ("indexed", CRLF),
    "bidi.txt": ("indexed", BIDI),
    "sub/deep.txt": ("indexed", "Deep inside the folder lives the archive of the harbour.\n"),
    "empty.txt": ("skipped", "empty"),
    "blank.md": ("skipped", "empty"),
    "punctuation.txt": ("skipped", "no words"),
    "binary.txt": ("skipped", "NUL"),
    "undecodable.txt": ("skipped", "not text"),
    "badbom8.txt": ("skipped", "not valid UTF-8"),
    "badbom16.txt": ("skipped", "not valid UTF-16"),
    "large.txt": ("skipped", "size limit"),
    "link.txt": ("skipped", "symbolic link"),
    "linkdir": ("skipped", "symbolic link to a folder"),
    "fifo.txt": ("skipped", "not a regular file"),
    # Another type is listed, with its type, so a user sees why it is not searched (issue 11).
    "picture.png": ("skipped", "unknown file type (.png)"),
}
# Never mentioned: hidden entries, what is only reachable through links.
UNSEEN = [".hidden.txt", ".hiddendir/inside.txt", "linkdir/secret.txt"]
LARGE_BYTES = 40_000
MAX_FILE_MB = 0.02  # ~21 kB: large.txt is above it, everything else below


def make_bad_folder(base: Path) -> Path:
    """Create docs/ (and outside/, the target of the links) under ``base``; return docs/."""
    docs = base / "docs"
    outside = base / "outside"
    (docs / "sub").mkdir(parents=True)
    (docs / ".hiddendir").mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("The secret password of the outside world is swordfish.\n")

    def put(name: str, data: bytes) -> None:
        (docs / name).write_bytes(data)

    for name, (kind, text) in EXPECTED.items():
        if kind != "indexed":
            continue
        if name == "bom8.txt":
            put(name, b"\xef\xbb\xbf" + text.encode("utf-8"))
        elif name == "bom16le.txt":
            put(name, b"\xff\xfe" + text.encode("utf-16-le"))
        elif name == "bom16be.txt":
            put(name, b"\xfe\xff" + text.encode("utf-16-be"))
        elif name == "latin1.txt":
            put(name, text.encode("cp1252"))
        else:
            put(name, text.encode("utf-8"))
    put("empty.txt", b"")
    put("blank.md", b"   \n\n\t\r\n")
    put("punctuation.txt", b"... --- !!! ???\n")
    put("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    put("undecodable.txt", bytes(range(1, 32)) * 8 + b"\xff\xfe\xfd")
    put("badbom8.txt", b"\xef\xbb\xbfgood start \xff\xfe then garbage")
    put("badbom16.txt", b"\xff\xfe" + "ok".encode("utf-16-le") + b"\x00\xd8")  # lone high surrogate
    put("large.txt", (b"A very long line about nothing in particular. " * 1000)[:LARGE_BYTES])
    put(".hidden.txt", b"Hidden text that must never be indexed.\n")
    (docs / ".hiddendir" / "inside.txt").write_bytes(b"Inside a hidden folder, never indexed.\n")
    put("picture.png", b"\x89PNG\r\n\x1a\n")
    os.symlink(outside / "secret.txt", docs / "link.txt")
    os.symlink(outside, docs / "linkdir")
    os.mkfifo(docs / "fifo.txt")
    return docs
