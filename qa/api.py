"""The one entry point the CLI and the chat share: ``Engine.answer(question)``.

The engine finds (and, for the default index, builds or refreshes) the index,
loads the question encoders once, and answers questions. It never imports
Textual, and it imports torch only when an index has to be built.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa.answering import Answer, Answerer
from qa.build_progress import Progress
from qa.config import Settings
from qa.errors import DocumentsUnavailable, IndexBusy, IndexUnavailable, IndexWriteFailed, UsageError
from qa.indexing import is_stale
from qa.models import Models
from qa.store import IndexStore, rebuild_advice
from qa.text import UNSAFE_CHARACTERS

MAX_QUESTION_CHARS = 1000
# What a terminal would act on, and tabs too: none belongs in a question.
_CONTROL = re.compile(rf"\t|{UNSAFE_CHARACTERS.pattern}")

Notice = Callable[[str], None]


def clean_question(raw: str, notice: Notice | None = None) -> str:
    """A question fit to search: control characters removed, length bounded.

    Raises UsageError for an empty question.
    """
    question = _CONTROL.sub(" ", unicodedata.normalize("NFC", raw or "")).strip()
    question = re.sub(r"\s+", " ", question)
    if not question:
        raise UsageError('the question is empty: ask something, e.g. qa ask "When was DeepSeek launched?"')
    if len(question) > MAX_QUESTION_CHARS:
        head = question[:MAX_QUESTION_CHARS]
        if question[MAX_QUESTION_CHARS] != " ":  # cut at a word boundary when there is one nearby
            word_end = head.rsplit(" ", 1)[0]
            head = word_end if len(word_end) >= MAX_QUESTION_CHARS // 2 else head
        question = head.rstrip()
        if notice:
            notice(
                f"the question was longer than {MAX_QUESTION_CHARS} characters (the model's limit);"
                f" only its first {len(question)} characters were used"
            )
    return question


@dataclass
class Engine:
    # None: the default index of the checkout (settings.default_index).
    index_dir: Path | None = None
    model: str | None = None
    documents: list[Path] | None = None
    # The folder every file is named relative to in citations (fit.py's corpora); by default each indexed
    # folder's files are named relative to its parent (qa.source_files.naming_bases): "seeds/..." for the seeds.
    root: Path | None = None
    # Another source of the index (qa.cluster: shards on a Ray cluster): called with index_dir, it
    # returns (an object with LoadedIndex's attributes, the Retriever class); no build, no refresh.
    loader: Callable | None = None
    # The ranking and abstention model (qa.ranking.RankingModel); None: the one ``models`` makes, the fitted one
    # shipped with the package. qa.fit passes an unfitted one, so that a refit runs even where ranker.json is refused.
    ranking_model: object | None = None
    # The options of the environment (qa.config): the model asked for (QA_MODEL), where models and their
    # prepared weights are found, and the default index. None: read from the environment here; the CLI passes
    # the ones it read.
    settings: Settings | None = None
    # What makes the encoders and the ranking model (qa.models); None: the real ones. Tests pass fakes.
    models: Models | None = None

    def __post_init__(self):
        if self.settings is None:
            self.settings = Settings.from_env()
        self.index_dir = Path(self.index_dir if self.index_dir is not None else self.settings.default_index)
        if self.models is None:
            self.models = Models()
        self._answerer: Answerer | None = None
        self._stale_said = False  # the index is known stale and could not be refreshed: said once

    @property
    def is_default_index(self) -> bool:
        return self.index_dir.resolve() == self.settings.default_index.resolve()

    def prepare(self, notice: Notice | None = None, progress: Progress | None = None) -> None:
        """Make sure an up-to-date index is there, then load it and the encoders."""
        if self._answerer is not None:
            return
        if self.loader is not None:
            index, retriever = self.loader(self.index_dir)
            self._use(index, retriever)
            return
        store = IndexStore(self.index_dir)
        try:
            manifest = store.read_manifest() if (self.index_dir / "CURRENT").exists() else None
        except IndexUnavailable:
            if not self.is_default_index:
                raise
            manifest = None  # the default index is ours to rebuild from seeds/
        model = self.model or self.settings.model or (manifest.model if manifest else self.models.default_model)
        default_folders = [self.settings.default_documents] if self.is_default_index else []
        folders = self.documents or _folders_of(manifest) or default_folders
        reason = None
        if manifest is None:
            if not folders:
                raise IndexUnavailable(
                    f"no index in {self.index_dir}: build one with `qa index FOLDER --index {self.index_dir}`"
                )
            reason = "there is no index yet"
        elif gone := _gone(folders):
            if notice:
                notice(f"{gone}: answering from the index as it was built")
        else:
            reason = is_stale(manifest, folders, model, self.models.semantic_model_name()) if folders else None
        if reason and manifest is not None and not _writable(self.index_dir):
            reason = self._not_refreshed(reason, notice)
        if reason:
            if notice:
                notice(f"building the index in {self.index_dir} from {', '.join(str(f) for f in folders)}: {reason}")
            try:
                self.build(folders, model, progress)
            except IndexWriteFailed:
                if manifest is None:
                    raise
                reason = self._not_refreshed(reason, notice)  # the live index is as it was: answer from it
        try:
            self._load(store, notice)
        except IndexUnavailable as exc:
            if not self.is_default_index or reason:
                raise
            if notice:
                notice(f"rebuilding the index in {self.index_dir}: {exc.message.split(':')[0]}")
            self.build(folders, model, progress)
            self._load(store, notice)

    def _not_refreshed(self, reason: str, notice: Notice | None) -> None:
        """Say, in one line, that a stale index answers because it could not be rewritten (read-only, full disk)."""
        self._stale_said = True
        if notice:
            notice(
                f"the index in {self.index_dir} could not be refreshed ({reason}): answering from it as it was built"
            )

    def build(self, folders: list[Path], model: str, progress: Progress | None = None, force: bool = False):
        from qa.indexing import build_index

        return build_index(
            folders,
            IndexStore(self.index_dir),
            self.models.passage_embedder(model, settings=self.settings),
            self.models.multilingual_encoder(settings=self.settings),
            root=self.root,
            semantic=self.models.semantic_encoder(settings=self.settings),
            models=self.models,
            progress=progress,
            wait_seconds=600,
            force=force,
        )

    def _load(self, store: IndexStore, notice: Notice | None) -> None:
        from qa.retrieval import Retriever

        self._use(store.load(), Retriever)

    def _use(self, loaded, retriever_class) -> None:
        models = self.models
        encoder = models.question_encoder(loaded.manifest.model, settings=self.settings)
        if encoder.dimension != loaded.manifest.dimension:
            raise IndexUnavailable(
                f"the index in {self.index_dir} holds {loaded.manifest.dimension}-dimension vectors but"
                f" {loaded.manifest.model} gives {encoder.dimension}: {rebuild_advice(self.index_dir)}"
            )
        multilingual = models.multilingual_encoder(settings=self.settings)
        retriever = retriever_class(loaded, encoder, multilingual, models.semantic_encoder(settings=self.settings))
        self._answerer = Answerer(loaded, retriever, self.ranking_model or models.ranking_model())

    def _changed_sources(self, answer: Answer) -> list[str]:
        index = self.index
        if index is None or not answer.citations:
            return []
        return _cited_changes(index, answer)

    def _refreshed(self, changed: list[str], notice: Notice | None) -> bool:
        """Rebuild the index, every file compared by content, and load it; False when it cannot be rewritten."""
        manifest = self.index.manifest
        folders = self.documents or _folders_of(manifest)
        if self.loader is not None:
            return False  # a cluster index is rebuilt by `qa index --cluster`, not from here
        if not folders or _gone(folders):
            return False
        if notice:
            notice(f"refreshing the index in {self.index_dir}: {changed[0]} changed since it was indexed")
        try:
            self.build(folders, manifest.model, force=True)
        except (IndexWriteFailed, IndexBusy, DocumentsUnavailable):
            return False
        self.index.passages.close()
        self._answerer = None
        self._load(IndexStore(self.index_dir), notice)
        return True

    @property
    def index(self):
        return self._answerer.index if self._answerer else None

    @property
    def answerer(self) -> Answerer | None:
        """The loaded answer layer (None before ``prepare``): its own ranking of the passages for a question, as
        `qa mcp`'s search gives them and qa.fit collects them."""
        return self._answerer

    def path_of(self, source: str) -> Path | None:
        """Where the file a citation names is, found from the folders of the loaded index (never the working
        directory); None before the index is loaded."""
        index = self.index
        return index.manifest.path_of(source) if index is not None else None

    def answer(
        self, question: str, top_k: int = 3, searched_question: str | None = None, notice: Notice | None = None
    ) -> Answer:
        cleaned = clean_question(question, notice)
        if top_k < 1:
            raise UsageError("--top-k must be at least 1")
        self.prepare(notice)
        assert self._answerer is not None
        answer = self._answerer.answer(cleaned, top_k=top_k, searched_question=searched_question)
        if not self._stale_said and (changed := self._changed_sources(answer)):
            # A file cited changed although its size and times say it did not (an edit in the same
            # tick of a coarse clock, times set back): its passages may no longer stand at their lines.
            if self._refreshed(changed, notice):
                answer = self._answerer.answer(cleaned, top_k=top_k, searched_question=searched_question)
                changed = self._changed_sources(answer)
            if changed and notice:
                notice(
                    f"{changed[0]} changed since it was indexed and the index could not be refreshed:"
                    " its cited passages may no longer stand in the file"
                )
        # The answer names the question as it was asked (spacing and length
        # kept, control characters dropped), so that tools matching answers to
        # their questions (score.py) find it; what was searched, cleaned or
        # resolved, is in searched_question.
        asked = _CONTROL.sub("", question.rstrip("\r\n"))
        answer.question = asked if len(asked) <= MAX_QUESTION_CHARS else cleaned
        return answer


def _cited_changes(index, answer: Answer) -> list[str]:
    """The sources cited by ``answer`` whose bytes are no longer those the index read (a missing file is
    not one: a missing folder is said when the index is loaded)."""
    from qa.documents import DEFAULT_MAX_FILE_BYTES, content_hash, read_file

    manifest = index.manifest
    max_bytes = int(manifest.max_file_bytes or DEFAULT_MAX_FILE_BYTES)
    changed = []
    for source in dict.fromkeys(c.source for c in answer.citations):
        facts = manifest.files.get(source)
        if facts is None:
            continue
        try:
            data = read_file(manifest.path_of(source), max_bytes)
        except FileNotFoundError:
            continue
        except (OSError, ValueError):
            changed.append(source)  # unreadable or grown past the limit since
            continue
        if content_hash(data) != facts.get("sha256"):
            changed.append(source)
    return changed


def _writable(folder: Path) -> bool:
    """Whether a build could write ``folder`` (False for an index made read-only, chmod -R a-w)."""
    lock = folder / ".lock"
    return os.access(folder, os.W_OK | os.X_OK) and (not lock.exists() or os.access(lock, os.W_OK))


def _gone(folders: list[Path]) -> str | None:
    """Why one of the folders an index was built from cannot be read again as it was (None when all can): it is
    missing, or it is an empty folder, as the mount point of a drive not mounted is. Either way the index answers
    as it was built: rebuilding from such a folder would drop every passage it gave."""
    for folder in folders:
        if not (folder.exists() or folder.is_symlink()):
            return f"{folder} is missing"
        if not folder.is_dir() or folder.is_symlink():
            continue
        try:
            with os.scandir(folder) as entries:
                empty = next(entries, None) is None
        except OSError:
            continue  # unreadable: the refresh says why
        if empty:
            return f"{folder} is empty (a drive not mounted?)"
    return None


def _folders_of(manifest) -> list[Path]:
    return [Path(f) for f in manifest.folders] if manifest is not None else []
