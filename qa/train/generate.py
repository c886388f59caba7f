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
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from qa import documents
from qa.errors import QAError, UsageError
from qa.evaluation import MAX_ANSWER_CHARS, contains, normalize
from qa.lang import Span, alternation, content_words, detect_language, fold, is_function_word
from qa.lang import get as get_language
from qa.lang import templates as T
from qa.lang.dates import date_spans
from qa.lang.names import EXPANSION_EXTRA_WORDS, acronym_definitions, spells
from qa.lang.numbers import find_quantities
from qa.lang.technical import technical_spans

LANGS = ("en", "fr")
# Questions from one passage at most: a passage dense with cues would otherwise weigh more than whole files.
MAX_PER_PASSAGE = 2
# Share of unanswerable questions asked for (of the answerable count), as in the development sets.
UNANSWERABLE_SHARE = 0.25
# Share of the facts whose question needs no translation (an acronym, a token) also asked in the other language.
CROSS_LANGUAGE_SHARE = 0.5
# A subject of more words is a clause or a list the cue ran into, not a thing a question names.
MAX_SUBJECT_WORDS = 12
# A predicate of more words makes a question nobody types (and runs past MAX_QUESTION_WORDS once templated).
MAX_PREDICATE_WORDS = 16
# A question of as many words as the development questions have: 4 to 24 in the 221 of ../shared/eval, the upper
# bound left some room for a long subject or predicate.
MIN_QUESTION_WORDS, MAX_QUESTION_WORDS = 4, 30
# A file's language is told from its first passages (so many, and so many characters of them): a few pages tell
# English from French as well as a whole long manual does, which would cost its full length to count.
LANGUAGE_SAMPLE_PASSAGES = 200
LANGUAGE_SAMPLE_CHARS = 20_000
# An answer opens where its cue ends, or this many characters after: an opening quote or bracket and a space
# (« zsh », "`ls`"). Further on, the token belongs to the rest of the sentence.
ANSWER_OFFSET_CHARS = 2
# A term defined ("a bare repository is ...") is a name of a few words; longer, the cue caught a sentence.
MIN_TERM_CHARS, MAX_TERM_CHARS = 2, 60
MAX_TERM_WORDS = 4
# A path shorter than this ("/", "~/", "..") names no file or folder of its own to ask about.
MIN_PATH_CHARS = 4
# The steps of a how-to heading stand in the passages right after it: one or two sentences of introduction, then
# the list or the code. Further, they belong to another task.
STEP_PASSAGES_AFTER_HEADING = 3
# A first step's command line: shorter is no command with its argument, longer is no line one would answer with.
MIN_COMMAND_CHARS, MAX_COMMAND_CHARS = 4, 120
# A subject names something by a word of this many letters at least; shorter ones are grammar words and
# abbreviations ("of", "de", "le", "I/O"), which name nothing alone.
MIN_NAMING_WORD_CHARS = 3
# A word in capitals used once may be emphasis; used twice or more, the folder uses it as a term.
MIN_ACRONYM_USES = 2
# Two capitals are mostly units, options or abbreviations one does not ask the expansion of ("KB", "IO", "OK").
MIN_ACRONYM_LETTERS = 3
# Longer words in capitals are mostly names of variables or files ("TMPDIR", "OPTERR"), not acronyms.
MAX_ACRONYM_LETTERS = 5
# A domain language's keyword ("\section", "\relative") and a menu path ("File → Save As"): two to six items of up
# to about 30 characters each (longer, the arrow joins two sentences rather than menu items).
_BACKSLASH_KEYWORD = re.compile(r"(?<![\\\w])\\[A-Za-z@]+\*?(?![\\\w])")
_MENU_PATH = re.compile(r"[\w][\w .'’-]{0,30}?(?:\s*(?:→|▸|⇒|->|>)\s*[\w][\w .'’-]{0,30}?){1,5}(?=[\s.,;:)]|$)")
# The technical tokens that may answer each kind of question (qa.lang.technical's kinds).
ANSWER_SPANS = {
    T.COMMAND: frozenset({"command", "identifier", "code", "package"}),
    T.OPTION: frozenset({"option"}),
    T.KEYWORD: frozenset(
        {"identifier", "variable", "keyword", "code", "package", "command", "option", "filename", "key"}
    ),
    T.PATH: frozenset({"path", "filename"}),
    T.DEFAULT: frozenset(
        {"identifier", "variable", "keyword", "code", "package", "command", "option", "filename", "path", "key"}
    ),
}
_KEY_SHAPE = re.compile(r"(?:Ctrl|Control|Alt|Shift|Meta|Cmd|Super)[-+]|F\d")
_LOWER_WORD = re.compile(r"(?<![\w/.-])[^\W\d_A-Z]+(?![\w/.-])")
_ACRONYM_TOKEN = re.compile(r"(?<![\w./-])[A-Z]{2,6}s?(?![\w/-])")


@dataclass
class Draft:
    kind: str
    lang: str  # the question's language
    question: str
    answers: list[str]
    passage: documents.Passage | None = None
    subject: str = ""
    # (kind key, template index, slots) to ask the same of a swapped subject; (kind, template index) when the
    # question has no subject to swap (an acronym, a how-to)
    template: tuple = ()
    answerable: bool = True
    extra: dict = field(default_factory=dict)


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


# -- shaping slots -----------------------------------------------------------------------------


def _swap_person(text: str, lang: str) -> str:
    """The reader's person made the asker's: "if you are using" -> "if I am using" (longest phrases first)."""
    swaps = T.PERSON_SWAPS[lang]
    pattern = _swap_pattern(lang)
    return pattern.sub(lambda m: swaps.get(m.group(0).lower().replace("’", "'"), m.group(0)), text)


@lru_cache(maxsize=4)
def _swap_pattern(lang: str) -> re.Pattern:
    keys = {k for k in T.PERSON_SWAPS[lang]} | {k.replace("'", "’") for k in T.PERSON_SWAPS[lang]}
    return re.compile(rf"(?<![\w'’])(?:{alternation(keys)})(?![\w'’])", re.IGNORECASE)


def _vague(text: str, lang: str) -> bool:
    return re.search(T.VAGUE[lang], text, re.IGNORECASE) is not None


def _goal_ok(goal: str, lang: str) -> bool:
    """An infinitive phrase of at least two words that says what it is about by itself."""
    first = goal.split()[0] if goal.split() else ""
    language = get_language(lang)
    return (
        len(goal.split()) >= 2
        and fold(first) not in T.NOT_SUBJECT[lang]
        and not (lang == "en" and fold(first).endswith(language.inflection_endings))
        and re.match(T.INFINITIVE[lang], goal) is not None
        and not is_function_word(fold(first), lang)
        and not is_function_word(fold(goal.split()[-1]), lang)
        and not _vague(goal, lang)
    )


def _subject_ok(subject: str, lang: str) -> bool:
    if _vague(subject, lang):
        return False
    words = subject.split()
    if not words or len(words) > MAX_SUBJECT_WORDS or not any(len(w) >= MIN_NAMING_WORD_CHARS for w in words):
        return False
    first, last = fold(words[0]), fold(words[-1])
    bad = T.NOT_SUBJECT[lang]
    if first in bad or last in bad or is_function_word(last, lang) or is_function_word(first, lang):
        return False
    return any(c.isalpha() for c in subject)


def _phrase(text: str) -> str:
    return " ".join(text.split()).strip(" ,;:")


def _answer_at(text: str, at: int, lang: str, kind: str, named: bool = False) -> tuple[str, str] | None:
    """The typed answer that starts at ``at`` in ``text``: a technical token, a quantity, a date, a key, a menu path..."""
    if kind == DATE_KIND:
        spans = date_spans(text, lang)
    elif kind in (T.COUNT, T.LIMIT):
        spans = find_quantities(text, lang)
    elif kind == T.MENU:
        m = _MENU_PATH.match(text, at)
        return (_phrase(m.group(0)), T.MENU) if m and re.search(r"→|▸|⇒|->|>", m.group(0)) else None
    elif kind == T.SHORTCUT:
        spans = [s for s in technical_spans(text, lang) if _KEY_SHAPE.match(s.text)]
    elif kind in (T.TERM, T.ALIAS):
        spans = []  # a term is words, read below; a token named there is no definition ("the endpoint is x.y")
    else:
        allowed = ANSWER_SPANS.get(kind)
        spans = [s for s in technical_spans(text, lang) if allowed is None or s.kind in allowed]
        if not allowed or "keyword" in allowed:
            spans += [_span(m) for m in _BACKSLASH_KEYWORD.finditer(text)]
        if kind == T.DEFAULT:
            spans += find_quantities(text, lang)
        # "zsh is the default shell": a plain word is an answer only where the cue names it (a sentence's subject).
        word = re.match(r"[a-z0-9][\w.+-]*?(?=\.?(?:[\s,;:]|$))", text[at:]) if named else None
        if word and not is_function_word(fold(word.group(0)), lang) and not _vague(word.group(0), lang):
            spans.append(Span(at, at + len(word.group(0)), word.group(0), "word"))
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if at <= span.start <= at + ANSWER_OFFSET_CHARS:
            return span.text.strip().rstrip(" \\"), span.kind
    if kind in (T.TERM, T.ALIAS):
        term_chars = f"{{{MIN_TERM_CHARS},{MAX_TERM_CHARS}}}"
        m = re.match(rf"(?:{_articles(lang)})?[\"“«‘']?\s*([^,.;:()\"”»’]{term_chars})", text[at:], re.I)
        if m:
            term = m.group(1).strip()
            words = term.split()
            if 1 <= len(words) <= MAX_TERM_WORDS and all(re.fullmatch(r"[^\W\d_][\w'’-]*", w) for w in words):
                if not any(is_function_word(fold(w)) for w in words):
                    return term, kind
    return None


@lru_cache(maxsize=8)
def _articles(lang: str) -> str:
    """An article of the language and the space after it (none after an elided one: "l'option"), as a regular
    expression (qa.lang's data)."""
    return rf"\b(?i:{alternation(get_language(lang).data.ARTICLES)})(?:(?<=')|\s+)"


def _span(m):
    return Span(m.start(), m.end(), m.group(0), "keyword")


def _spelled_out(acronym: str, after: str, lang: str, rng: random.Random, asked) -> Draft | None:
    """ "FHS stands for Filesystem Hierarchy Standard": the shortest run of words after the cue that spells it."""
    words = re.findall(r"[^\W\d_][\w'’-]*", after.strip(" \"'«»“”‘’"))
    for n in range(1, min(len(words), len(acronym) + EXPANSION_EXTRA_WORDS) + 1):
        if spells(acronym, words[:n]):
            expansion = after[after.index(words[0]) : after.index(words[n - 1]) + len(words[n - 1])]
            languages = [q for q in asked if q == lang or rng.random() < CROSS_LANGUAGE_SHARE]
            if not languages:
                return None
            q_lang = rng.choice(languages)
            filled = _fill(q_lang, T.ACRONYM, {"acronym": acronym}, rng)
            if filled is None:
                return None
            return Draft(T.ACRONYM, q_lang, filled[0], [expansion], None, acronym, (T.ACRONYM, filled[1]))
    return None


DATE_KIND = T.DATE


def _fill(lang: str, key: str, slots: dict, rng: random.Random) -> tuple[str, int] | None:
    """One template of ``key`` whose slots are all given, chosen at random; (question, template index)."""
    options = [(i, t) for i, t in enumerate(T.TEMPLATES[lang].get(key, ())) if all(n in slots for n in _slot_names(t))]
    if not options:
        return None
    i, template = rng.choice(options)
    question = template.format(**slots)
    question = re.sub(r"\s+", " ", question).strip()
    question = question[0].upper() + question[1:]
    return question, i


@lru_cache(maxsize=256)
def _slot_names(template: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\{(\w+)\}", template))


def _article(value: str | None, lang: str) -> str:
    """An article as it reads inside a question: lower case, French elision kept joined ("l'")."""
    if not value:
        return ""
    value = value.strip().lower()
    if lang == "fr":
        return value if value.endswith("'") else value + " "
    return value


# -- facts from cues ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _cues(lang: str, kind: str) -> tuple[re.Pattern, ...]:
    # A sentence opening with a lower-case word ("zsh is ...") stays joined to the one before in a passage:
    # a cue's "^" also matches after a sentence's end.
    opening = r"(?:^|(?<=[.!?] ))"
    cues = [
        c.replace("(?:^|, )", f"(?:{opening}|, )", 1) if c.startswith("(?:^|, )") else c
        for c in T.CUES[lang].get(kind, ())
    ]
    return tuple(re.compile(re.sub(r"^\^", opening, c)) for c in cues)


def facts(
    passage: documents.Passage,
    lang: str,
    rng: random.Random,
    asked: tuple[str, ...],
    vocabulary: frozenset[str] = frozenset(),
    verbs: frozenset[str] = frozenset(),
) -> list[Draft]:
    """The questions one passage answers, in the languages ``asked`` (``vocabulary``: the words the folder
    writes in lower case, to tell a name from a word capitalised as a sentence's first)."""
    text = passage.clean
    out: list[Draft] = []
    for definition in acronym_definitions(text):
        acronym, expansion = definition.acronym.text, definition.expansion.text
        if is_function_word(fold(expansion.split()[0]), lang) or acronym in expansion:
            continue  # "(or the CERT coordination center)", "HEAD (--source=HEAD ...)": a gloss, not its words
        # Asked in the document's language, and in the other one half the time (the acronym needs no translation).
        for q_lang in [q for q in asked if q == lang or rng.random() < CROSS_LANGUAGE_SHARE]:
            filled = _fill(q_lang, T.ACRONYM, {"acronym": acronym}, rng)
            if filled:
                out.append(Draft(T.ACRONYM, q_lang, filled[0], [expansion], passage, acronym, (T.ACRONYM, filled[1])))
    if passage.kind == documents.HEADING:
        return out  # a heading states no fact; the how-to questions it names are read with its steps
    if lang not in asked and not out:
        return out
    for kind in T.KINDS:
        for cue in _cues(lang, kind):
            for m in cue.finditer(text):
                draft = _draft(kind, m, text, lang, rng, asked, vocabulary, verbs)
                if draft is not None:
                    draft.passage = passage
                    out.append(draft)
    return out


def _draft(
    kind: str,
    m: re.Match,
    text: str,
    lang: str,
    rng: random.Random,
    asked,
    vocabulary: frozenset[str] = frozenset(),
    verbs: frozenset[str] = frozenset(),
) -> Draft | None:
    groups = {k: v for k, v in m.groupdict().items() if v is not None}
    if "answer" not in groups:
        return None
    if kind == T.ACRONYM:
        return _spelled_out(groups["subject"], groups["answer"], lang, rng, asked)
    found = _answer_at(text, m.start("answer"), lang, kind, named="word" in groups)
    if not found:
        return None
    answer, span_kind = found
    if (
        len(answer) > MAX_ANSWER_CHARS
        or not any(c.isalnum() for c in answer)
        or kind == T.PATH
        and len(answer) < MIN_PATH_CHARS
    ):
        return None
    slots: dict[str, str] = {}
    answers = [answer]
    if "subject" in groups:
        subject = _phrase(groups["subject"])
        bare = re.sub(rf"^{_articles(lang)}", "", subject, flags=re.I) if kind == T.DATE else subject
        if not _subject_ok(bare, lang):
            return None
        first = subject.split()[0]
        if m.start("subject") == 0 and kind != T.DATE and first.lower() in vocabulary and first[1:].islower():
            subject = subject[0].lower() + subject[1:]  # capitalised as the sentence's first word only
        if kind != T.TERM and re.search(rf"\b(?:{T.RELATIVES[lang]})\b", subject, re.IGNORECASE):
            return None  # a clause, not a noun phrase ("let's assume that gitweb")
        if kind == T.DEFAULT and fold(subject) in {fold(w) for w in T.GENERIC_NOUNS[lang]}:
            return None  # "the default value": of what? A single plain noun says too little.
        slots["subject"] = _swap_person(subject, lang)
    if "described" in groups:  # a description opens with a capital: it reads inside a question in lower case
        for name in ("goal", "predicate"):
            if name in groups and not groups[name][1:2].isupper():
                groups[name] = groups[name][0].lower() + groups[name][1:]
    if any(re.search(T.UNSWAPPABLE[lang], groups.get(n, ""), re.IGNORECASE) for n in ("goal", "predicate", "subject")):
        return None
    if "goal" in groups:
        goal = _phrase(groups["goal"])
        if not goal[:1].islower() or not _goal_ok(_swap_person(goal, lang), lang):
            return None
        if "described" in groups and (fold(goal.split()[0]) not in verbs or "--" in goal):
            return None  # a description opening with a noun ("Synonym for ..."), not a verb the folder uses
        slots["goal"] = _swap_person(goal, lang)
    if "predicate" in groups:
        predicate = _phrase(groups["predicate"])
        last = fold(predicate.split()[-1])
        end = m.end("predicate")
        if (
            end < len(text.rstrip())
            and text[end] not in ".;!?"
            or end >= len(text.rstrip())
            and text.rstrip()[-1:] not in ".!?"
        ):
            return None  # the sentence goes on (a colon, a list) or the passage was cut inside it
        if is_function_word(last, lang) or re.search(r"[(\[{]|https?|www\.", predicate) or _vague(predicate, lang):
            return None  # cut off at a colon or a link: "... such as:"
        if len(predicate.split()) > MAX_PREDICATE_WORDS:
            return None
        slots["predicate"] = _swap_person(predicate, lang)
    if "noun" in groups:
        noun = groups["noun"].lower()
        slots["noun"] = noun
        if lang == "fr":
            slots["which"] = T.WHICH_BY_GENDER["fr"]["f" if noun in T.FEMININE_NOUNS["fr"] else "m"]
    if groups.get("article") or kind in (T.PATH, T.ALIAS):  # an article the question can do without
        slots["article"] = _article(groups.get("article"), lang)
    if "max" in groups:
        slots["max"] = groups["max"]
    if "of" in groups:
        slots["of"] = groups["of"] if groups["of"].endswith("'") else groups["of"]
    if kind == T.DATE:
        # A name ("Debian 1.1", "Git"), not a common noun opening the sentence ("Subsequent revisions").
        named = bare.split()
        if not all(w[:1].isupper() or w[:1].isdigit() for w in named) or (
            len(named) == 1 and groups["be"] in ("were", "ont été", "sont")
        ):
            return None
        slots["participle"] = groups["participle"]
        slots["be"] = _inverted_be(groups["be"], groups["participle"], lang)
        if lang == "en":
            first, _, rest = slots["subject"].partition(" ")
            if rest and fold(first) in get_language(lang).articles:  # "When was the Debian project founded?"
                slots["subject"] = f"{first.lower()} {rest}"
    if kind == T.TERM:
        slots["be"] = groups.get("be", "is")
    if kind == T.PATH and "participle" in groups:
        slots["participle"] = groups["participle"]
        auxiliary = groups.get("be") or groups["modal"]
        inverted = _inverted_be(auxiliary, groups["participle"], lang) if lang == "fr" else auxiliary
        slots["modal" if "modal" in groups else "be"] = inverted
    if kind in (T.COUNT, T.LIMIT):
        number, _, unit = answer.partition(" ")
        unit = unit.strip()
        if not unit or not re.fullmatch(r"[^\W\d_][\w'’-]*", unit) or is_function_word(fold(unit), lang):
            return None
        slots["unit"] = unit
        slots["de"] = "d'" if lang == "fr" and fold(unit)[0] in "aeiouyh" else "de "
        answers = [answer, number]
        if kind == T.COUNT:
            verb = groups["verb"]
            slots["verb"] = T.BASE_VERBS[lang].get(verb, verb)
            slots["does"] = "do" if verb in T.PLURAL_VERBS[lang] else "does"
        if kind == T.LIMIT and "max" not in groups and fold(unit) not in {fold(u) for u in T.LENGTH_UNITS[lang]}:
            return None
    if kind == T.OPTION and re.search(r"[=<\[]", answer):
        answers.append(re.split(r"[=<\[]", answer)[0])  # "--unified=<n>", or "--unified" as one would answer
    if kind == T.DATE and lang == "en" and not re.search(r"\d{4}", answer):
        return None  # an English date with no year ("on Monday", "in March") dates nothing
    key = kind
    if kind == T.PATH and "modal" in groups:
        key = "path_modal"
    if kind == T.LIMIT and "max" in groups:
        key = "limit_max"
    elif kind == T.LIMIT and not groups.get("article"):
        return None
    if kind == T.COMMAND and "goal" in groups and span_kind in ("identifier", "code"):
        if not re.search(r"[_.()]", answer):
            return None  # a plain word, not code
        key = "tool"  # a function or a snippet, not a command line: "What should I use to ...?"
    if kind == T.DEFAULT and "inverse" in groups and "default_is" in T.TEMPLATES[lang]:
        # "X est le Y par défaut": "Quel est le Y par défaut ?", "which" agreeing with the article.
        gender = T.ARTICLE_GENDERS[lang].get(fold(groups["article"].strip()))
        if gender is None:
            return None
        key, slots["which"] = "default_is", T.WHICH_BY_GENDER[lang][gender]
    elif kind == T.DEFAULT and re.fullmatch(r"[\w.$-]*[_.$][\w.$-]*|[A-Z][A-Z0-9_]+", slots.get("subject", "")):
        key, slots["token"] = "default_token", slots["subject"]
    languages = [q for q in asked if q == lang or key in T.CROSS_LANGUAGE]
    if not languages:
        return None
    q_lang = rng.choice(languages)
    filled = _fill(q_lang, key, slots, rng)
    if filled is None:
        return None
    question, index = filled
    if kind == T.DATE and not re.fullmatch(r"\d{4}", answer) and index == _YEAR_TEMPLATE:
        question = T.TEMPLATES[q_lang][key][0].format(**slots)
        question = question[0].upper() + question[1:]
    return Draft(
        kind, q_lang, question, answers, None, slots.get("subject", slots.get("goal", "")), (key, index, slots)
    )


# The date template that asks for the year ("In what year was ...?"): an answer more precise than a bare year is
# asked with the first one ("When was ...?") instead.
_YEAR_TEMPLATE = 1


def _inverted_be(be: str, participle: str, lang: str) -> str:
    """The auxiliary as an inverted question puts it: "was" stays, "a été" becomes "a-t-il été"."""
    if lang != "fr":
        return be
    folded = participle.lower()
    pronoun = next(p for ending, p in T.PARTICIPLE_PRONOUNS["fr"] if folded.endswith(ending))
    head, _, rest = be.partition(" ")
    joint = "-t-" if head[-1] in "ae" else "-"
    return f"{head}{joint}{pronoun}{' ' + rest if rest else ''}"


# -- how-to: a task named by a heading or a lead-in, answered by its steps ----------------------


def howtos(passages: list[documents.Passage], lang: str, rng: random.Random, asked) -> list[Draft]:
    out = []
    heading_cues = _cues(lang, "heading")
    for i, p in enumerate(passages):
        goal = None
        if p.kind == documents.HEADING:
            for cue in heading_cues:
                m = cue.match(p.clean)
                if m:
                    goal = _phrase(m.group("goal"))
                    break
            following = passages[i + 1 : i + 1 + STEP_PASSAGES_AFTER_HEADING]
            steps = [q for q in following if q.source == p.source and q.kind != documents.HEADING]
            steps = [q for q in steps if q.kind == documents.CODE or _STEP_MARKER.match(q.text)][:1]
        elif p.kind == documents.CODE:
            for cue in _cues(lang, T.HOWTO):
                m = cue.match(p.clean)
                if m:
                    goal = _phrase(m.group("goal"))
                    break
            steps = [p]
        if not goal or lang not in asked or not _goal_ok(_swap_person(goal[0].lower() + goal[1:], lang), lang):
            continue
        step = steps[0] if steps else None
        answer = _first_step(step, lang) if step else None
        if not answer:
            continue
        filled = _fill(lang, T.HOWTO, {"goal": _swap_person(goal[0].lower() + goal[1:], lang)}, rng)
        if filled:
            out.append(Draft(T.HOWTO, lang, filled[0], [answer], step, goal, (T.HOWTO, filled[1])))
    return out


_STEP_MARKER = re.compile(r"\s*(?:[-*•]|\d{1,2}[.)]|[a-z][.)])\s+\S")


def _first_step(step: documents.Passage, lang: str) -> str | None:
    """What the first step says to do: the first line of its code, or the step's text when short."""
    if step.kind == documents.CODE:
        lines = step.text.splitlines()
        # The code starts after the introduction: past its first blank line, or its line ending in ":".
        starts = [k + 1 for k, line in enumerate(lines) if not line.strip() or line.rstrip().endswith(":")]
        code = [line.strip() for line in lines[starts[0] :]] if starts else []
        code = [re.sub(r"^[$#>]\s+", "", line) for line in code if line.strip() and not line.startswith("..")]
        if code and MIN_COMMAND_CHARS <= len(code[0]) <= MAX_COMMAND_CHARS and _looks_like_code(code[0], lang):
            return code[0]
        return None
    command = next((s.text for s in technical_spans(step.text, lang) if s.kind in ("command", "code")), None)
    if command and contains(step.clean, [command]):
        return command  # a short answer, as the development questions have: the command the step runs
    return None


def _looks_like_code(line: str, lang: str) -> bool:
    """A command line or a call: a program and its arguments, or a technical token opening the line."""
    if re.match(r"[a-z][\w.+-]*(?: +\S+)+$", line) and not is_function_word(fold(line.split()[0]), lang):
        return True
    return any(s.start == 0 and s.kind in ("command", "code", "identifier") for s in technical_spans(line, lang))


# -- unanswerable: close questions the folder does not answer ------------------------------------


class Folder:
    """Word look-ups over every passage, to tell whether the folder states a fact."""

    def __init__(self, passages: list[documents.Passage]):
        self.passages = passages
        self.normalized = [f" {normalize(p.text)} {normalize(p.clean)} " for p in passages]
        self.by_word: dict[str, set[int]] = defaultdict(set)
        for i, text in enumerate(self.normalized):
            for word in set(text.split()):
                self.by_word[word].add(i)

    def lower_word(self, word: str) -> bool:
        """Whether some passage writes ``word`` in lower case."""
        pattern = re.compile(rf"(?<![\w.-]){re.escape(word)}(?![\w-])")
        return any(pattern.search(p.clean) for i in self.by_word.get(word, ()) for p in (self.passages[i],))

    def variable(self, word: str) -> bool:
        """Whether some passage uses ``word`` as a variable ("$HOME", "TMPDIR=/tmp"): a name, not an acronym."""
        pattern = re.compile(rf"\${re.escape(word)}\b|\b{re.escape(word)}=")
        return any(pattern.search(self.passages[i].text) for i in self.by_word.get(word.lower(), ()))

    def with_all(self, words) -> set[int]:
        """Passages holding every one of ``words`` (normalised as score.py does)."""
        keys = [w for word in words for w in normalize(word).split()]
        if not keys:
            return set()
        found = set(self.by_word.get(keys[0], ()))
        for key in keys[1:]:
            found &= self.by_word.get(key, set())
        return found

    def holds(self, answer: str) -> bool:
        return any(f" {normalize(answer)} " in text for text in self.normalized) if normalize(answer) else False


def unanswerable(drafts: list[Draft], folder: Folder, rng: random.Random, asked, wanted: int) -> list[Draft]:
    out: list[Draft] = []
    # Half acronyms the folder never spells out, the rest (and what acronyms leave) subjects swapped for another.
    out += _undefined_acronyms(folder, rng, asked, wanted // 2)
    out += _swapped_subjects(drafts, folder, rng, wanted - len(out))
    return out


def _undefined_acronyms(folder: Folder, rng: random.Random, asked, wanted: int) -> list[Draft]:
    defined: set[str] = set()
    used: Counter = Counter()
    for p in folder.passages:
        defined.update(d.acronym.text.rstrip("s") for d in acronym_definitions(p.clean))
        for m in _ACRONYM_TOKEN.finditer(p.clean):
            used[m.group(0).rstrip("s")] += 1
    # A word set in capitals ("README", "HOME") that the folder also writes in lower case is no acronym.
    candidates = sorted(
        a
        for a, n in used.items()
        if n >= MIN_ACRONYM_USES
        and a not in defined
        and MIN_ACRONYM_LETTERS <= len(a) <= MAX_ACRONYM_LETTERS
        and not folder.lower_word(a.lower())
        and not folder.variable(a)
    )
    rng.shuffle(candidates)
    out = []
    for acronym in candidates:
        if len(out) >= wanted:
            break
        if _spelled_anywhere(acronym, folder) or any(
            folder.with_all([acronym, cue]) for cue in T.FACT_WORDS[T.ACRONYM]
        ):
            continue
        q_lang = rng.choice(asked)
        filled = _fill(q_lang, T.ACRONYM, {"acronym": acronym}, rng)
        if filled:
            out.append(Draft(T.ACRONYM, q_lang, filled[0], [], None, acronym, answerable=False))
    return out


def _spelled_anywhere(acronym: str, folder: Folder) -> bool:
    """Some run of words in the folder whose initials spell the acronym (its expansion, written out)."""
    letters = acronym.lower()
    glue = r"\s+(?:\w{1,4}\s+)?"  # a short grammar word may stand between ("Federal Bureau of Investigation")
    spelled = re.compile(r"\b" + glue.join(rf"{c}[a-z]+" for c in letters) + r"\b")
    return any(spelled.search(text) for text in folder.normalized)


def _swapped_subjects(drafts: list[Draft], folder: Folder, rng: random.Random, wanted: int) -> list[Draft]:
    """The question of an answerable draft about another subject with the same head noun, that no passage answers."""
    if wanted <= 0:
        return []
    phrases = _noun_phrases(folder)
    pool = [
        d
        for d in drafts
        if d.kind in (T.DEFAULT, T.COUNT, T.PATH, T.DATE, T.TERM) and _has_slots(d.template) and d.subject
    ]
    rng.shuffle(pool)
    out = []
    for draft in pool:
        if len(out) >= wanted:
            break
        subject = draft.subject
        words = subject.split()
        head = fold(words[-1]) if draft.lang != "fr" or draft.kind == T.DATE else fold(words[0])
        if draft.kind == T.DATE:
            others = [s for s in phrases["name"] if s != subject and fold(s.split()[0]) == fold(words[0])]
        else:
            others = [
                s for s in phrases[draft.lang].get(head, ()) if fold(s) != fold(subject) and _subject_ok(s, draft.lang)
            ]
        if not others:
            continue
        other = rng.choice(sorted(others))
        if not _states(draft.kind, other, folder):
            key, index, slots = draft.template
            question = T.TEMPLATES[draft.lang][key][index].format(**(slots | {"subject": other}))
            question = re.sub(r"\s+", " ", question).strip()
            question = question[0].upper() + question[1:]
            out.append(Draft(draft.kind, draft.lang, question, [], None, other, answerable=False))
    return out


def _has_slots(template: tuple) -> bool:
    """A draft's template is kept with its slots ((key, index, slots)): the question can be asked of another subject."""
    return bool(template) and isinstance(template[-1], dict)


def _noun_phrases(folder: Folder) -> dict:
    """Phrases of two or three words the folder uses, by head noun (last word in English, first in French),
    and names followed by a version ("Debian 10")."""
    found: dict = {"en": defaultdict(set), "fr": defaultdict(set), "name": set()}
    seen: dict = {lang: Counter() for lang in LANGS}
    for p in folder.passages:
        text = p.clean
        for lang in LANGS:
            for m in re.finditer(rf"{_articles(lang)}((?:[^\W\d_][\w-]* ?){{2,3}})", text):
                words = m.group(1).split()
                phrase = words[:2]  # "the backup port when ...": "backup port"
                if len(phrase) == 2 and not any(
                    is_function_word(fold(w), lang) or len(w) < MIN_NAMING_WORD_CHARS for w in phrase
                ):
                    seen[lang][" ".join(phrase)] += 1
        for m in re.finditer(r"\b[A-Z][\w+-]+ \d+(?:\.\d+)?\b", text):
            found["name"].add(m.group(0))
    for lang in LANGS:
        head = 0 if get_language(lang).head_first else -1
        for phrase, count in seen[lang].items():
            if count >= 2:  # named more than once: a thing the folder is about, not a passing phrase
                found[lang][fold(phrase.split()[head])].add(phrase)
    return found


def _states(kind: str, subject: str, folder: Folder) -> bool:
    """Whether some passage speaks of ``subject`` with what would answer a question of that kind."""
    words = content_words(subject) or subject.split()
    holding = folder.with_all(words)
    if not holding:
        return True  # the phrase is not said as such (its words are apart): not a subject of the folder
    cue_words = T.FACT_WORDS.get(kind) or frozenset()
    for i in holding:
        text = folder.passages[i].clean
        if cue_words and any(w in cue_words for w in normalize(text).split()):
            return True
        if kind == T.DATE and date_spans(text):
            return True
        if kind == T.COUNT and find_quantities(text):
            return True
        if kind in (T.PATH, T.TERM) and (technical_spans(text) if kind == T.PATH else True):
            return True
    return False


# -- the whole folder ---------------------------------------------------------------------------


def generate(folder: Path, asked=LANGS, limit: int | None = None, seed: int = 0, package: str = "") -> list[dict]:
    passages, languages = read_folder(folder)
    rng = random.Random(seed)
    drafts: list[Draft] = []
    by_source: dict[str, list[documents.Passage]] = defaultdict(list)
    for p in passages:
        by_source[p.source].append(p)
    vocabulary = frozenset(w for p in passages for w in _LOWER_WORD.findall(p.clean))
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
