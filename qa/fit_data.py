"""The data of ``python -m qa.fit`` (qa.fit): the development questions and the generated ones, collected
against their indexes as candidates' features and labels (QuestionData), saved to and read from a
``--features`` file, and which questions each fold of the cross-validation leaves out."""

from __future__ import annotations

import json
import os
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa import ranking
from qa.evaluation import contains
from qa.ranking import RANK_FEATURES
from qa.tuning import GENERATED_RANK_WEIGHT, GENERATED_WEIGHT

PROJECT = Path(__file__).resolve().parent.parent
CORPORA = {
    "seeds": ("questions.jsonl", None),
    "python-tutorial": ("python-tutorial.jsonl", "eval/corpora/python-tutorial"),
    "debian-reference-fr": ("debian-reference-fr.jsonl", "eval/corpora/debian-reference-fr"),
    "lilypond-fr": ("lilypond-fr.jsonl", "eval/corpora/lilypond-fr"),
    "pdf-manuals": ("pdf-manuals.jsonl", "eval/corpora/pdf-manuals"),
}


def holds_answer(passage, answers) -> bool:
    """score.py's match: an accepted answer stands in the passage (as written, or as a reader sees it)."""
    return contains(passage.text, answers) or contains(passage.clean, answers)


@dataclass
class QuestionData:
    corpus: str  # the corpus whose index answered it
    answerable: bool
    rows: np.ndarray  # candidates x RANK_FEATURES
    labels: np.ndarray  # candidates: holds the answer
    focus_missing: np.ndarray = None  # candidates: the question's focus is not in it (Answerer.focus_missing)
    facts: dict = None  # what the abstainer reads of the question alone (ranking.QUESTION_FACTS)
    origin: str = ""  # the corpus the question was written for (another one for a borrowed question)
    # A generated training question (qa.train.generate): corpus and origin are its manual's package, never a
    # development folder; it is fitted on, never scored. ``overlaps``: the development folder its manual
    # overlaps (qa.train.manuals), left out with it.
    generated: bool = False
    overlaps: str = ""

    @property
    def borrowed(self) -> bool:
        return self.origin != self.corpus

    @property
    def weight(self) -> float:
        """What the question counts for in the abstainer and the calibration beside a human-written one."""
        return GENERATED_WEIGHT if self.generated else 1.0

    @property
    def rank_weight(self) -> float:
        """What the question counts for in the ranker beside a human-written one."""
        return GENERATED_RANK_WEIGHT if self.generated else 1.0


def collect(shared: Path, cache: Path, notice=print, corpora=None, settings=None, models=None) -> list[QuestionData]:
    """Every gold question against its own corpus, and the answerable ones against the other
    corpora too, where the documents do not answer them (borrowed questions: more examples of
    what an unanswered question looks like, for the abstainer only). ``settings`` (qa.config.Settings):
    the environment's options, read once by ``main`` (None: read here). ``models`` (qa.models.Models): the
    encoders' maker (None: the real ones)."""
    from qa.api import Engine
    from qa.config import Settings

    settings = settings or Settings.from_env()

    corpora = list(corpora or CORPORA)
    answerers, gold = {}, {}
    for corpus in corpora:
        gold_file, folder = CORPORA[corpus]
        documents = PROJECT / "seeds" if folder is None else shared / folder
        # Features are collected with an unfitted model: no fit is read, not even a refused ranker.json.
        engine = Engine(
            index_dir=cache / corpus,
            documents=[documents],
            root=documents.parent,
            ranking_model=ranking.neutral(),
            settings=settings,
            models=models,
        )
        engine.prepare(notice=lambda m: notice(f"qa.fit: {m}"))
        answerers[corpus] = engine.answerer
        gold[corpus] = [
            json.loads(line) for line in open(shared / "eval" / gold_file, encoding="utf-8") if line.strip()
        ]
    out: list[QuestionData] = []
    for corpus, answerer in answerers.items():
        asked = [(corpus, q) for q in gold[corpus]]
        asked += [
            (origin, q) for origin in corpora if origin != corpus for q in gold[origin] if q.get("answerable", True)
        ]
        for origin, q in asked:
            out.append(_featurize(answerer, q, corpus, origin, answerable=origin == corpus))
        notice(f"qa.fit: {corpus}: {len(asked)} questions ({len(gold[corpus])} its own)")
    return out


def _featurize(answerer, question: dict, corpus: str, origin: str, answerable: bool, **marks) -> QuestionData:
    """One question retrieved and featurized by ``answerer``; a candidate is labelled when it holds an accepted
    answer, in one of the question's sources for a development question. A generated one's answer counts in
    any file of its manual, as score.py counts it: a manual ships the same text as HTML, text and PDF, and
    the copy the question was not made from is as right (labelled wrong, it taught a third of the best
    passages to be wrong)."""
    retrieval, kind, scored = answerer.featurize(question["question"])
    answerable = answerable and bool(question.get("answerable", True))
    any_source = marks.get("generated", False)
    labels = np.array(
        [
            answerable
            and holds_answer(s.candidate.passage, question.get("answers", []))
            and (any_source or _cited(s.candidate.passage.source, question))
            for s in scored
        ],
        dtype=bool,
    )
    rows = np.vstack([s.features for s in scored]) if scored else np.zeros((0, len(RANK_FEATURES)))
    focus_missing = answerer.focus_missing(retrieval, kind, scored)
    facts = answerer.question_facts(retrieval, kind)
    return QuestionData(corpus, answerable, rows, labels, focus_missing, facts, origin, **marks)


def _cited(source: str, question: dict) -> bool:
    """Whether the file ``source`` (as an index names it) is one of the question's sources (all, if it names none):
    the shorter of the two paths ends the other."""
    parts = Path(source).parts
    cited = [Path(s).parts for s in question.get("sources", [])]
    return not cited or any(parts[-len(c) :] == c[-len(parts) :] for c in cited)


def collect_generated(folder: Path, notice=print, settings=None, models=None) -> list[QuestionData]:
    """The generated questions of ``folder`` (qa.train.generate: PACKAGE.jsonl), each against its manual's
    index, ``FOLDER/../indexes/PACKAGE`` (built with ``qa index``; a manual without one is skipped and said).
    Each is marked generated, with the development folder its manual overlaps (qa.train.manuals). ``settings``
    and ``models``: as ``collect`` takes them."""
    from qa.api import Engine
    from qa.config import Settings
    from qa.errors import QAError
    from qa.store import IndexStore
    from qa.train.manuals import manual

    settings = settings or Settings.from_env()
    files = sorted(Path(folder).glob("*.jsonl"))
    if not files:
        raise SystemExit(f"qa: no generated questions (PACKAGE.jsonl) in {folder}")
    out: list[QuestionData] = []
    for path in files:
        package = path.stem
        try:
            overlaps = manual(package).folder or ""  # refuses a held-out manual: it must stay unseen
        except QAError as exc:
            raise SystemExit(f"qa: {path}: {exc.message}") from None
        index_dir = Path(folder).parent / "indexes" / package
        if not (index_dir / "CURRENT").exists():
            notice(f"qa.fit: {package}: skipped, no index in {index_dir} (build it with qa index)")
            continue
        try:
            questions = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SystemExit(f"qa: cannot read the generated questions in {path}: {exc}") from None
        if not all(isinstance(q, dict) and isinstance(q.get("question"), str) for q in questions):
            raise SystemExit(f'qa: {path}: every line must be a question object, with its text in "question"')
        # The index is answered from as built (its own folders: a restricted build stays restricted), unfitted.
        engine = Engine(index_dir=index_dir, ranking_model=ranking.neutral(), settings=settings, models=models)
        try:
            engine.prepare(notice=lambda m: notice(f"qa.fit: {m}"))
        except QAError as exc:
            raise SystemExit(f"qa: {package}: {exc.message}") from None
        # An index of part of the manual cannot answer a question on a file it left out: no example of anything.
        indexed = IndexStore(index_dir).read_manifest().files
        inside = [q for q in questions if not q.get("answerable", True) or any(_cited(f, q) for f in indexed)]
        if len(inside) < len(questions):
            notice(f"qa.fit: {package}: {len(questions) - len(inside)} questions on files not in its index left out")
        questions = inside
        out += [
            _featurize(engine.answerer, q, package, package, True, generated=True, overlaps=overlaps) for q in questions
        ]
        notice(f"qa.fit: {package}: {len(questions)} generated questions" + (f" (overlap {overlaps})" * bool(overlaps)))
    return out


def save_features(data: list[QuestionData], path: Path) -> None:
    """The collected features as plain arrays (numpy's .npz, no pickle): a fit replays them in seconds."""
    sizes = np.array([len(q.rows) for q in data])
    # Written beside and renamed over: features that took hours to collect survive a fit killed while writing.
    partial = path.with_name(path.name + ".partial.npz")
    np.savez_compressed(
        partial,
        corpus=np.array([q.corpus for q in data]),
        origin=np.array([q.origin for q in data]),
        answerable=np.array([q.answerable for q in data]),
        sizes=sizes,
        rows=np.vstack([q.rows for q in data]),
        labels=np.concatenate([q.labels for q in data]),
        focus_missing=np.concatenate([q.focus_missing for q in data]),
        facts=np.array([[q.facts[name] for name in ranking.QUESTION_FACTS] for q in data]),
        generated=np.array([q.generated for q in data], dtype=bool),
        overlaps=np.array([q.overlaps for q in data]),
        rank_features=np.array(RANK_FEATURES),
        fingerprint=np.array(ranking.features_fingerprint()),
    )
    os.replace(partial, path)


def load_features(path: Path) -> list[QuestionData]:
    """The features ``save_features`` wrote, if today's code computes the same (SystemExit, one line, otherwise:
    a file without the fingerprint of ranking.features_fingerprint is refused too)."""
    collect_again = f"collect them again (remove {path}: --features then collects them into it)"
    try:
        saved = np.load(path, allow_pickle=False)
        if not isinstance(saved, np.lib.npyio.NpzFile):  # one array (.npy), not the arrays of save_features
            raise ValueError
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not features saved by qa.fit"
        raise SystemExit(f"qa: cannot read the features in {path} ({reason}): {collect_again}") from None
    with saved:
        fingerprint = str(saved["fingerprint"]) if "fingerprint" in saved.files else None
        if fingerprint != ranking.features_fingerprint():
            raise SystemExit(
                f"qa: features in {path} were collected by another version of the features; {collect_again}"
            )
        # Each array read once: an item of the file is decompressed anew at each access, and every question's
        # slice of it would keep a whole copy alive (gigabytes for a thousand questions).
        arrays = {name: saved[name] for name in saved.files}
    ends = np.cumsum(arrays["sizes"])
    starts = ends - arrays["sizes"]
    # Features saved before generated questions existed hold human-written questions only.
    generated = arrays.get("generated", np.zeros(len(ends), dtype=bool))
    overlaps = arrays.get("overlaps", np.full(len(ends), ""))
    return [
        QuestionData(
            str(arrays["corpus"][i]),
            bool(arrays["answerable"][i]),
            arrays["rows"][a:b],
            arrays["labels"][a:b],
            arrays["focus_missing"][a:b],
            dict(zip(ranking.QUESTION_FACTS, map(float, arrays["facts"][i]), strict=True)),
            str(arrays["origin"][i]),
            bool(generated[i]),
            str(overlaps[i]),
        )
        for i, (a, b) in enumerate(zip(starts, ends, strict=True))
    ]


def generated_folds(data: list[QuestionData], corpora: list[str]) -> dict[str, str]:
    """The development folder each manual of generated questions is left out with: the one it overlaps, else
    the one with the fewest generated questions so far (largest manuals first). Each generated question is then
    scored out of fold once, as the folder's own are, and each fold still fits on most of them."""
    sizes = Counter(q.corpus for q in data if q.generated)
    folds = {q.corpus: q.overlaps for q in data if q.generated and q.overlaps in corpora}
    load = {c: sum(sizes[p] for p, folder in folds.items() if folder == c) for c in corpora}
    for package in sorted(sizes, key=lambda p: (-sizes[p], p)):
        if package not in folds:
            folds[package] = min(corpora, key=load.__getitem__)
            load[folds[package]] += sizes[package]
    return folds


def left_out(q: QuestionData, held_out: str, folds_of: dict[str, str]) -> bool:
    """Whether the fold holding ``held_out`` out leaves ``q`` out of its fit: asked of that folder's index,
    written for it, or generated on a manual left out with it (generated_folds)."""
    if q.generated:
        return folds_of[q.corpus] == held_out
    return q.corpus == held_out or q.origin == held_out


def scored_in(q: QuestionData, held_out: str, folds_of: dict[str, str]) -> bool:
    """Whether ``q`` is scored by the fold holding ``held_out`` out (asked of its index, or generated there)."""
    return folds_of[q.corpus] == held_out if q.generated else q.corpus == held_out
