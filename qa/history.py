"""Conversations kept in SQLite: every question, the question searched, the answer, its citations and timing.

``qa ask`` and ``qa chat`` log each exchange to a conversation; ``qa ask --continue`` and the chat's list of
conversations (ctrl+o) pick one up again, its searched questions feeding the follow-up rewriting
(qa.conversation). ``qa history`` lists, searches, shows and exports them.

The database is ``$QA_HISTORY`` if set, else ``history.db`` in the user data folder (platformdirs:
``$XDG_DATA_HOME/qa`` or ``~/.local/share/qa`` on Linux), as qa.config.Settings.history_path says. It is opened in WAL mode, so a chat and a
``qa ask`` can write at the same time; each call opens and closes its own connection, so any thread may call.
The schema is versioned with ``PRAGMA user_version`` and brought up to date by ``migrate`` on every opening;
a database written by a newer ``qa`` is left alone. Only JSON and SQL values are stored: nothing is unpickled.

Imports no Textual and no model library.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from qa.errors import QAError, UsageError, loads_json
from qa.text import terminal_safe

SCHEMA_VERSION = 1

# MIGRATIONS[n] brings a database from version n to n + 1; each step runs in one transaction.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            created TEXT NOT NULL,
            index_path TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE exchanges (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            created TEXT NOT NULL,
            question TEXT NOT NULL,
            searched TEXT NOT NULL,
            answer TEXT NOT NULL,
            abstained INTEGER NOT NULL,
            citations TEXT NOT NULL,
            confidence REAL NOT NULL DEFAULT 0,
            timing_ms REAL NOT NULL DEFAULT 0,
            index_path TEXT NOT NULL DEFAULT '',
            extra TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX exchanges_by_conversation ON exchanges(conversation_id, id)",
    ],
]

# Fields of an answer kept beside the columns, to show it again as it was (qa.answering.Answer).
_EXTRA_FIELDS = ("short_answer", "question_type", "answered_by", "highlights")


class HistoryUnavailable(QAError):
    """The history database cannot be opened, read or written (the message says where and why)."""

    exit_code = 8


def migrate(connection: sqlite3.Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> int:
    """Bring the schema to ``len(migrations)``, one transaction per step; the version reached.

    A database newer than this code knows is refused (HistoryUnavailable), never altered.
    """
    target = len(migrations)
    version = _refuse_newer(connection, target)
    for step in range(version, target):
        with connection:  # one transaction: the step and its version number, or neither
            connection.execute("BEGIN IMMEDIATE")
            if connection.execute("PRAGMA user_version").fetchone()[0] != step:
                continue  # another process migrated it meanwhile
            for statement in migrations[step]:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {step + 1}")
    return target


def _refuse_newer(connection: sqlite3.Connection, known: int | None = None) -> int:
    """The schema version of the database; HistoryUnavailable if it is newer than ``known`` (default: this qa's)."""
    known = len(MIGRATIONS) if known is None else known
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > known:
        raise HistoryUnavailable(
            f"the history database is of schema version {version}, written by a newer qa (this one knows"
            f" {known}): upgrade qa, or set QA_HISTORY to another file"
        )
    return version


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_time(stamp: str) -> str:
    """A stored UTC time as local ``YYYY-MM-DD HH:MM``."""
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return terminal_safe(stamp)  # shown as it is stored, never acted on
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


@dataclass
class Exchange:
    """One question and its answer, as logged."""

    id: int
    conversation_id: int
    time: str  # ISO 8601, UTC
    question: str
    searched_question: str
    answer: str
    abstained: bool
    citations: list[dict]
    confidence: float = 0.0
    timing_ms: float = 0.0
    index_path: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def nearest(self) -> list[dict]:
        """An abstention's nearest passages (not an answer), kept beside the columns."""
        nearest = self.extra.get("nearest", [])
        return [n for n in nearest if isinstance(n, dict)] if isinstance(nearest, list) else []

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("extra")
        data["short_answer"] = self.extra.get("short_answer", "")
        data["answered_by"] = self.extra.get("answered_by", "extractive")
        if self.abstained:
            data["nearest"] = self.nearest
        return data

    def to_answer(self):
        """The qa.answering.Answer this exchange logged, to show it again."""
        from qa.answering import AnchorCitation, Answer, Citation, PageCitation, ParagraphCitation

        kinds = {"page": PageCitation, "anchor": AnchorCitation, "paragraph": ParagraphCitation}

        def rebuilt(stored: list[dict]) -> list:
            citations = []
            for data in stored:
                kind = next((kinds[k] for k in kinds if k in data), Citation)
                known = {f for f in kind.__dataclass_fields__}
                citations.append(kind(**{k: v for k, v in data.items() if k in known}))
            return citations

        citations = rebuilt(self.citations)
        return Answer(
            question=self.question,
            answer=self.answer,
            abstained=self.abstained,
            citations=citations,
            short_answer=self.extra.get("short_answer", ""),
            searched_question=self.searched_question,
            question_type=self.extra.get("question_type", "other"),
            confidence=self.confidence,
            highlights=[tuple(h) for h in self.extra.get("highlights", [])],
            answered_by=self.extra.get("answered_by", "extractive"),
            nearest=rebuilt(self.nearest) if self.abstained else [],
        )


@dataclass
class ConversationSummary:
    id: int
    started: str  # ISO 8601, UTC
    updated: str
    first_question: str
    turns: int
    index_path: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def citation_label(citation: dict) -> str:
    """The citation's label (``guide.pdf#page=3:4-5``, ``page.html#intro:7``), as qa ask prints it and qa show reads it."""
    from qa.citations import citation_ref

    try:
        return citation_ref(citation)
    except (TypeError, ValueError):  # a damaged row (a line that is no number): shown as stored, never raised
        return f"{citation.get('source', '?')}:{citation.get('start_line', '?')}-{citation.get('end_line', '?')}"


class History:
    """The conversations database at ``path`` (default: the environment's, qa.config.Settings.history_path)."""

    def __init__(self, path: Path | str | None = None, clock: Callable[[], str] = _now):
        if path is None:
            from qa.config import Settings

            path = Settings.from_env().history_path
        if path is None:
            raise HistoryUnavailable("cannot tell where the history is kept (no home folder): set QA_HISTORY or HOME")
        self.path = Path(path)
        self._clock = clock

    @contextmanager
    def _connect(self, create: bool = True):
        if not create and not self.path.exists():
            yield None
            return
        try:
            new = create and not self.path.exists()
            if new:
                # Questions can be private: a folder of our own, and a file only its owner reads.
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                self.path.touch(mode=0o600)
            connection = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryUnavailable(f"cannot open the history in {self.path}: {_reason(exc)}") from None
        with closing(connection):
            try:
                # The version is read before anything is written (even the journal mode, which rewrites the
                # header): a database of a newer qa is refused byte for byte as it was.
                _refuse_newer(connection)
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA foreign_keys = ON")
                migrate(connection)
                yield connection
            except sqlite3.Error as exc:
                raise HistoryUnavailable(f"cannot use the history in {self.path}: {_reason(exc)}") from None

    # -- writing -------------------------------------------------------------------
    def new_conversation(self, index_path: str = "") -> int:
        with self._connect() as db, db:
            cursor = db.execute(
                "INSERT INTO conversations (created, index_path) VALUES (?, ?)", (self._clock(), str(index_path))
            )
            return int(cursor.lastrowid)

    def log(
        self,
        conversation_id: int,
        answer,
        searched_question: str = "",
        timing_ms: float = 0.0,
        index_path: str = "",
    ) -> int:
        """Log ``answer`` (qa.answering.Answer) to a conversation; the exchange's id."""
        data = answer.to_dict()
        extra = {name: getattr(answer, name) for name in _EXTRA_FIELDS if hasattr(answer, name)}
        extra["highlights"] = [list(h) for h in extra.get("highlights", [])]
        if answer.abstained and getattr(answer, "nearest", None):
            extra["nearest"] = data.get("nearest", [])
        row = (
            conversation_id,
            self._clock(),
            answer.question,
            searched_question or answer.searched_question or answer.question,
            answer.answer,
            int(bool(answer.abstained)),
            json.dumps(data["citations"], ensure_ascii=False),
            float(answer.confidence or 0.0),
            round(float(timing_ms), 1),
            str(index_path),
            json.dumps(extra, ensure_ascii=False),
        )
        with self._connect() as db, db:
            cursor = db.execute(
                "INSERT INTO exchanges (conversation_id, created, question, searched, answer, abstained, citations,"
                " confidence, timing_ms, index_path, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cursor.lastrowid)

    # -- reading -------------------------------------------------------------------
    _SUMMARY = (
        "SELECT c.id, c.created, COALESCE(MAX(e.created), c.created), "
        " (SELECT question FROM exchanges WHERE conversation_id = c.id ORDER BY id LIMIT 1),"
        " COUNT(e.id), c.index_path"
        " FROM conversations c JOIN exchanges e ON e.conversation_id = c.id"
    )

    def conversations(self, limit: int | None = None) -> list[ConversationSummary]:
        """Conversations with at least one exchange, the latest active first."""
        with self._connect(create=False) as db:
            if db is None:
                return []
            rows = db.execute(
                f"{self._SUMMARY} GROUP BY c.id ORDER BY MAX(e.id) DESC LIMIT ?",
                (-1 if limit is None else limit,),
            ).fetchall()
        return [ConversationSummary(*row) for row in rows]

    def conversation(self, conversation_id: int) -> ConversationSummary:
        """One conversation (UsageError if there is none with this id, or it holds nothing)."""
        with self._connect(create=False) as db:
            row = None
            if db is not None:
                row = db.execute(f"{self._SUMMARY} WHERE c.id = ? GROUP BY c.id", (conversation_id,)).fetchone()
        if row is None:
            raise UsageError(f"no conversation {conversation_id}: `qa history` lists them")
        return ConversationSummary(*row)

    def latest(self) -> int | None:
        """The id of the conversation with the latest exchange, or None."""
        found = self.conversations(limit=1)
        return found[0].id if found else None

    def exchanges(self, conversation_id: int) -> list[Exchange]:
        with self._connect(create=False) as db:
            if db is None:
                return []
            rows = db.execute(f"{self._EXCHANGE} WHERE conversation_id = ? ORDER BY id", (conversation_id,))
            return [_exchange(row) for row in rows.fetchall()]

    _EXCHANGE = (
        "SELECT id, conversation_id, created, question, searched, answer, abstained, citations, confidence,"
        " timing_ms, index_path, extra FROM exchanges"
    )

    def search(self, text: str, limit: int | None = None) -> list[Exchange]:
        """Exchanges whose question, searched question, answer, cited passages or cited files hold ``text``
        (any case for ASCII letters), the latest first."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._connect(create=False) as db:
            if db is None:
                return []
            rows = db.execute(
                f"{self._EXCHANGE} WHERE question LIKE ?1 ESCAPE '\\' OR searched LIKE ?1 ESCAPE '\\'"
                " OR answer LIKE ?1 ESCAPE '\\' OR EXISTS (SELECT 1 FROM json_each(citations) WHERE"
                " json_extract(value, '$.text') LIKE ?1 ESCAPE '\\'"
                " OR json_extract(value, '$.source') LIKE ?1 ESCAPE '\\') ORDER BY id DESC LIMIT ?2",
                (pattern, -1 if limit is None else limit),
            ).fetchall()
        return [_exchange(row) for row in rows]

    def searched_questions(self, conversation_id: int) -> list[str]:
        """The questions searched so far in a conversation, oldest first: what follow-ups resolve against."""
        return [e.searched_question for e in self.exchanges(conversation_id)]

    # -- export --------------------------------------------------------------------
    def to_dict(self, conversation_id: int) -> dict:
        summary = self.conversation(conversation_id)
        return {**summary.to_dict(), "exchanges": [e.to_dict() for e in self.exchanges(conversation_id)]}

    def markdown(self, conversation_id: int) -> str:
        """The conversation as Markdown: each question, its answer, its citations and their quotes.

        What was stored is shown as written, never acted on: control characters escaped (as on a
        terminal), and what would change the document's structure escaped or fenced (_md_text, _md_code).
        """
        summary = self.conversation(conversation_id)
        out = [
            f"# Conversation {summary.id}: {_md_heading(summary.first_question)}",
            "",
            f"Started {_md_text(local_time(summary.started))},"
            f" {summary.turns} question{'s' if summary.turns != 1 else ''}"
            + (f", index {_md_code(summary.index_path)}" if summary.index_path else "")
            + ".",
        ]
        for exchange in self.exchanges(conversation_id):
            out += ["", f"## {_md_heading(exchange.question)}", ""]
            if exchange.searched_question and exchange.searched_question != exchange.question:
                out += [f"*Searched: {_md_text(_one_line(exchange.searched_question))}*", ""]
            if exchange.abstained:
                out.append("*The documents don't say: no passage answers this question.*")
                if exchange.nearest:
                    out += ["", "Nearest passages (not an answer):"]
                    out += _quoted(exchange.nearest)
                continue
            out += _md_lines(exchange.answer)
            out += _quoted(exchange.citations)
        return "\n".join(out) + "\n"


def _quoted(citations: list[dict]) -> list[str]:
    """Markdown lines for citations: each label, then its passage as a quote."""
    out: list[str] = []
    for citation in citations:
        n = _md_text(_one_line(str(citation.get("n", "?"))))
        out += ["", f"[{n}] {_md_code(citation_label(citation))}", ""]
        out += [f"> {line}" if line.strip() else ">" for line in _md_lines(citation.get("text", ""))]
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- Markdown of stored text ---------------------------------------------------------------------------
# Escaped inline wherever they stand: backslashes (which would escape what follows), code-span
# backticks, raw HTML (which an HTML block or comment would extend over the rest of the document),
# entities, emphasis. Brackets and other punctuation only matter at the start of a line (below): the
# answers' [1] markers stay as they are.
_MD_INLINE = re.compile(r"([\\`*_<&])")
# What starts a block at the start of a line (up to three spaces in): a heading, quote, list item,
# thematic break or setext underline, fence, table row, link reference definition; an ordered list
# item's "1." or "1)".
_MD_BLOCK_START = re.compile(r"^( {0,3})([#>+\-=~|:\[])")
_MD_ORDERED_ITEM = re.compile(r"^( {0,3}\d{1,9})([.)])")
# The line endings of CommonMark (a lone carriage return ends a line too).
_MD_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _md_line(line: str) -> str:
    """One line of stored text as Markdown that shows it as written (control characters escaped)."""
    line = _MD_INLINE.sub(r"\\\1", line).replace("](", "]\\(")  # "[text](javascript:…)" is no link
    line = _MD_ORDERED_ITEM.sub(r"\1\\\2", _MD_BLOCK_START.sub(r"\1\\\2", line))
    return terminal_safe(line)


def _md_text(text: str) -> str:
    """Stored text as Markdown on one line (line breaks become spaces)."""
    return _md_line(" ".join(_MD_LINE_BREAK.split(str(text))))


def _md_lines(text) -> list[str]:
    """Stored text of several lines (an answer, a quoted passage) as Markdown, line for line."""
    return [_md_line(line) for line in _MD_LINE_BREAK.split(str(text))]


def _md_heading(text: str) -> str:
    """A heading's text; a closing run of #, which CommonMark drops from a heading, is escaped too."""
    return re.sub(r"(^|\s)(#+)$", r"\1\\\2", _md_text(_one_line(text)))


def _md_code(text: str) -> str:
    """A name (a path, a citation) as a code span, shown exactly: fenced by a run of backticks longer than any
    inside it, padded when it starts or ends with a backtick or with spaces (CommonMark strips one of each)."""
    text = terminal_safe(str(text))  # on one line, control characters escaped (backslashes are literal in code)
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = text[:1] == "`" or text[-1:] == "`" or (text[:1] == " " and text[-1:] == " " and text.strip() != "")
    return f"{fence} {text} {fence}" if pad else f"{fence}{text}{fence}"


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _exchange(row) -> Exchange:
    (
        id_,
        conversation_id,
        created,
        question,
        searched,
        answer,
        abstained,
        citations,
        confidence,
        timing,
        index,
        extra,
    ) = row
    try:
        cited = loads_json(citations)
        more = loads_json(extra or "{}")
    except ValueError:
        cited, more = [], {}
    return Exchange(
        id=id_,
        conversation_id=conversation_id,
        time=created,
        question=question,
        searched_question=searched,
        answer=answer,
        abstained=bool(abstained),
        citations=cited if isinstance(cited, list) else [],
        confidence=confidence,
        timing_ms=timing,
        index_path=index,
        extra=more if isinstance(more, dict) else {},
    )


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a time.monotonic() value)."""
    return (time.monotonic() - started) * 1000.0
