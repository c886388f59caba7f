"""passages.sqlite: each passage of a generation by its row id (``PassageTable``), read a few rows at a time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from qa.documents import Passage
from qa.tuning import PASSAGES_KEPT


class PassageTable:
    """Passages by row id in SQLite: a question reads only the rows it cites."""

    _FIELDS = (
        "source",
        "start_line",
        "end_line",
        "start_char",
        "end_char",
        "text",
        "context_start_line",
        "context_end_line",
        "kind",
        "section",
        "clean",
        "context",
        "page",
        "anchor",
        "paragraph",
        "line_base",
        "char_base",
    )
    _TYPES = {"source": "TEXT", "text": "TEXT", "kind": "TEXT", "section": "TEXT", "clean": "TEXT"}
    _TYPES |= {"context": "TEXT", "anchor": "TEXT"}

    def __init__(self, path: Path):
        self._path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._kept: dict[int, Passage] = {}  # passages already read (they never change in a generation)
        # A table written before the locators (format 3) is read without them until it is rebuilt.
        present = {row[1] for row in self._db.execute("PRAGMA table_info(passages)")}
        # The ids are those of the table under the view (passage_rows), where SQLite reads MIN and MAX off the key.
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        self._keyed_table = "passage_rows" if "passage_rows" in tables else "passages"
        self._COLUMNS = ", ".join(name for name in self._FIELDS if name in present)

    # Texts that many passages repeat (a file's name, a section title, a context, an HTML anchor, the kind): each stored
    # once in `strings` and named by its row there. The reader's text of a passage (clean) is left out (NULL)
    # where it is the text as written. The view `passages` puts every field back, so a table written before
    # (a `passages` table of every field written out) reads the same. On a folder of short passages (493 FAQ
    # entries of 125 characters) these repeats were half the table: 262 KB -> 127 KB, 4.3 -> 2.1 bytes a
    # character of text (bench/README.md, "Index size").
    _SHARED = ("source", "kind", "section", "context", "anchor")

    @staticmethod
    def write(path: Path, passages: list[Passage]) -> None:
        fields, shared = PassageTable._FIELDS, PassageTable._SHARED
        strings: dict[str, int] = {}

        def stored(name: str, p: Passage):
            value = getattr(p, name)
            if name in shared:
                return strings.setdefault(value, len(strings))
            if name == "clean" and value == p.text:
                return None
            return value

        rows = [(i, *(stored(name, p) for name in fields)) for i, p in enumerate(passages)]
        columns = ", ".join(
            f"{name} {'INTEGER' if name in shared else PassageTable._TYPES.get(name, 'INTEGER')}" for name in fields
        )
        read_back = ", ".join(
            f"{name}.value AS {name}"
            if name in shared
            else "COALESCE(r.clean, r.text) AS clean"
            if name == "clean"
            else f"r.{name}"
            for name in fields
        )
        joins = " ".join(f"JOIN strings AS {name} ON {name}.id = r.{name}" for name in shared)
        db = sqlite3.connect(path)
        try:
            db.execute("CREATE TABLE strings (id INTEGER PRIMARY KEY, value TEXT NOT NULL)")
            db.execute(f"CREATE TABLE passage_rows (id INTEGER PRIMARY KEY, {columns})")
            db.execute(f"CREATE VIEW passages AS SELECT r.id AS id, {read_back} FROM passage_rows AS r {joins}")
            db.executemany("INSERT INTO strings VALUES (?, ?)", ((i, value) for value, i in strings.items()))
            db.executemany(f"INSERT INTO passage_rows VALUES (?, {', '.join('?' * len(fields))})", rows)
            db.commit()
        finally:
            db.close()

    def rows(self) -> int:
        """Row count when ids are 0..n-1 (checked cheaply on the primary key), else -1."""
        low, high = self._db.execute(f"SELECT MIN(id), MAX(id) FROM {self._keyed_table}").fetchone()
        if low is None:
            return 0
        return int(high) + 1 if low == 0 else -1

    def spans(self) -> dict[str, tuple[int, int]]:
        """Each source's (first row, row count), when its rows follow one another; else (-1, count)."""
        rows = self._db.execute("SELECT source, MIN(id), MAX(id), COUNT(*) FROM passages GROUP BY source")
        return {source: (low if high - low + 1 == count else -1, count) for source, low, high, count in rows}

    def get(self, ids: list[int]) -> dict[int, Passage]:
        """The passages of these ids; those read for an earlier question come from memory
        (a question's candidates are mostly the last one's: reading them was a tenth of a warm answer)."""
        found: dict[int, Passage] = {}
        missing = []
        for i in ids:
            passage = self._kept.get(int(i))
            if passage is None:
                missing.append(int(i))
            else:
                found[int(i)] = passage
        if missing:
            marks = ",".join("?" * len(missing))
            rows = self._db.execute(f"SELECT id, {self._COLUMNS} FROM passages WHERE id IN ({marks})", missing)
            read = {row[0]: Passage(*row[1:]) for row in rows}
            if len(self._kept) + len(read) > PASSAGES_KEPT:
                self._kept.clear()
            self._kept.update(read)
            found.update(read)
        return {i: found[i] for i in sorted(found)}  # in id order, as SQLite gives them

    def neighbours(self, passage_id: int, before: int, after: int) -> list[tuple[int, Passage]]:
        rows = self._db.execute(
            f"SELECT id, {self._COLUMNS} FROM passages WHERE id BETWEEN ? AND ? ORDER BY id",
            (passage_id - before, passage_id + after),
        )
        return [(row[0], Passage(*row[1:])) for row in rows]

    def close(self) -> None:
        self._db.close()
