"""Training questions generated from a folder of manuals: ``python -m qa.train.generate``.

    python -m qa.train.generate FOLDER --out FILE.jsonl [--lang en|fr] [--limit N] [--seed S] [--package NAME]

The folder is read as ``qa index`` reads it (qa.documents: the same files, the
same passages with their sources and lines); nothing is embedded or indexed.
Each passage is matched against the sentence cues of its language
(qa.lang.templates), and each fact found becomes a question a user would ask,
in the gold format of ../shared/eval (id, lang, question, answerable, answers,
sources) plus where it came from (package, kind, passage):

- answerable ones: the accepted answer stands in the cited passage and not in
  the question;
- unanswerable ones that sound close: an acronym the folder uses but never
  spells out, or a subject swapped for another one the folder names with the
  same head noun ("the default editor" -> "the default graphical editor"),
  kept only when no passage states that fact for it.

Questions are deduplicated, at most MAX_PER_PASSAGE come from one passage, and
the output is the same for the same folder and --seed. These are training
data: the human-written development questions stay the yardstick.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from qa import documents
from qa.errors import QAError, UsageError
from qa.evaluation import contains, normalize
from qa.lang import alternation, detect_language, fold
from qa.lang import templates as T
from qa.train.constants import (
    LANGS,
    LANGUAGE_SAMPLE_CHARS,
    LANGUAGE_SAMPLE_PASSAGES,
    LOWER_WORD,
    MAX_PER_PASSAGE,
    MAX_QUESTION_WORDS,
    MIN_QUESTION_WORDS,
    UNANSWERABLE_SHARE,
)
from qa.train.drafts import Draft
from qa.train.facts import facts, howtos
from qa.train.unanswerable import Folder, unanswerable

# The generator's parts, importable from here as before they had modules of their own.
__all__ = [
    "LANGS", "MAX_PER_PASSAGE", "UNANSWERABLE_SHARE", "Draft", "Folder", "facts", "generate",
    "howtos", "main", "read_folder", "unanswerable",
]  # fmt: skip

# -- the folder ------------------------------------------------------------------------------


def read_folder(folder: Path) -> tuple[list[documents.Passage], dict[str, str]]:
    """Every passage of the folder's readable files, and each file's language (qa.documents, as indexing reads)."""
    paths, _skipped = documents.discover(folder)
    passages: list[documents.Passage] = []
    languages: dict[str, str] = {}
    for path in paths:
        source = str(path.relative_to(folder)) if path != folder else path.name
        try:
            found = documents.file_passages(path, source)
        except (OSError, documents.UndecodableFile):
            continue
        sample = " ".join(p.clean for p in found[:LANGUAGE_SAMPLE_PASSAGES])[:LANGUAGE_SAMPLE_CHARS]
        language = detect_language(sample)
        if language in LANGS:
            languages[source] = language
            passages.extend(found)
    return passages, languages


# -- the whole folder ---------------------------------------------------------------------------


def generate(folder: Path, asked=LANGS, limit: int | None = None, seed: int = 0, package: str = "") -> list[dict]:
    passages, languages = read_folder(folder)
    rng = random.Random(seed)
    drafts: list[Draft] = []
    by_source: dict[str, list[documents.Passage]] = defaultdict(list)
    for p in passages:
        by_source[p.source].append(p)
    vocabulary = frozenset(w for p in passages for w in LOWER_WORD.findall(p.clean))
    verbs = {lang: _infinitives(passages, lang) for lang in LANGS}
    for source in sorted(by_source):
        lang = languages[source]
        per_passage: Counter = Counter()
        found = howtos(by_source[source], lang, rng, asked)
        for p in by_source[source]:
            found += facts(p, lang, rng, asked, vocabulary, verbs[lang])
        for draft in found:
            key = (draft.passage.source, draft.passage.start_char)
            if per_passage[key] >= MAX_PER_PASSAGE or not _sound(draft):
                continue
            per_passage[key] += 1
            drafts.append(draft)
    answerable = _dedupe(drafts)
    if limit is not None:
        rng.shuffle(answerable)  # a sample of the whole folder, not its first files
    share = UNANSWERABLE_SHARE / (1 + UNANSWERABLE_SHARE)
    wanted = int(limit * share) if limit is not None else int(len(answerable) * UNANSWERABLE_SHARE)
    index = Folder(passages)
    unanswered = _dedupe(unanswerable(answerable, index, rng, asked, max(wanted, 1))) if answerable else []
    taken = {fold(d.question) for d in answerable}
    unanswered = [d for d in unanswered if fold(d.question) not in taken][:wanted]
    if limit is not None:
        answerable = answerable[: limit - len(unanswered)]
    chosen = answerable + unanswered
    return [_record(d, n, package) for n, d in enumerate(chosen, 1)]


def _infinitives(passages: list[documents.Passage], lang: str) -> frozenset[str]:
    """The words the folder writes after an infinitive's marker ("to list"): its verbs, folded."""
    markers = alternation(T.INFINITIVE_MARKERS[lang])
    pattern = re.compile(rf"(?<![\w'’])(?:{markers})\s?([^\W\d_][\w-]*)", re.IGNORECASE)
    return frozenset(fold(w) for p in passages for w in pattern.findall(p.clean))


def _sound(draft: Draft) -> bool:
    """The answer stands in the passage and not in the question; the question is a question of reasonable length."""
    p = draft.passage
    if not (contains(p.text, draft.answers) or contains(p.clean, draft.answers)):
        return False
    if contains(draft.question, draft.answers):
        return False
    return MIN_QUESTION_WORDS <= len(draft.question.split()) <= MAX_QUESTION_WORDS and draft.question.endswith("?")


def _dedupe(drafts: list[Draft]) -> list[Draft]:
    """One question per wording, and per fact in each language (a manual shipped as HTML, text and PDF
    states each fact three times)."""
    seen: set = set()
    out = []
    for d in drafts:
        wording = " ".join(normalize(d.question).split())
        fact = (d.kind, d.lang, fold(d.subject), tuple(normalize(a) for a in d.answers)) if d.answerable else None
        if wording in seen or fact in seen:
            continue
        seen.update({wording, fact} - {None})
        out.append(d)
    return out


def _record(d: Draft, n: int, package: str) -> dict:
    record = {
        "id": f"{package or 'g'}-{n:05d}",
        "lang": d.lang,
        "question": d.question,
        "answerable": d.answerable,
        "answers": d.answers if d.answerable else [],
        "sources": [d.passage.source] if d.passage else [],
        "package": package,
        "kind": d.kind,
    }
    if d.passage is not None:
        cited = d.passage.cited()
        record["passage"] = {
            "source": d.passage.source,
            "start_line": cited["start_line"],
            "end_line": cited["end_line"],
        }
        if d.passage.page:
            record["pages"] = [d.passage.page]
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.train.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="JSONL file to write")
    parser.add_argument("--lang", choices=LANGS, help="ask in this language only (default: English and French)")
    parser.add_argument("--limit", type=int, help="at most this many questions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--package", default="", help="the manual's package name (default: read from manual.json)")
    args = parser.parse_args(argv)
    try:
        if not args.folder.exists():
            raise UsageError(f"no such folder: {args.folder}")
        if args.limit is not None and args.limit < 1:
            raise UsageError("--limit must be at least 1")
        package = args.package or _package_of(args.folder)
        if package:
            from qa.train.manuals import is_held_out

            if is_held_out(package):
                raise UsageError(f"{package} is held out for evaluation: no training question may come from it")
        asked = (args.lang,) if args.lang else LANGS
        records = generate(args.folder, asked, args.limit, args.seed, package)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        partial = args.out.with_name(args.out.name + ".partial")
        with open(partial, "w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        partial.replace(args.out)  # a run cut short leaves the previous file whole
    except OSError as exc:
        print(f"qa: cannot write {args.out}: {exc.strerror or type(exc).__name__}", file=sys.stderr)
        return 1
    except QAError as exc:
        print(f"qa: {exc.message}", file=sys.stderr)
        return exc.exit_code
    kinds = Counter((r["kind"], r["lang"], r["answerable"]) for r in records)
    print(f"{len(records)} questions -> {args.out}")
    for (kind, lang, answerable), n in sorted(kinds.items()):
        print(f"  {kind:9s} {lang} {'answerable' if answerable else 'unanswerable':12s} {n}")
    return 0


def _package_of(folder: Path) -> str:
    info = folder / "manual.json"
    try:
        return str(json.loads(info.read_text(encoding="utf-8")).get("package", "")) if info.is_file() else ""
    except (OSError, ValueError):
        return ""


if __name__ == "__main__":
    sys.exit(main())
