"""A question drafted from a passage (``Draft``), and the slots of its template shaped: a subject or goal that
reads as one, the answer that opens where a cue ends, articles, the person of a verb swapped."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import lru_cache

from qa import documents, tuning
from qa.lang import Span, alternation, fold, is_function_word
from qa.lang import get as get_language
from qa.lang import templates as T
from qa.lang.dates import date_spans
from qa.lang.names import spells
from qa.lang.numbers import find_quantities
from qa.lang.technical import technical_spans
from qa.train.constants import (
    ANSWER_OFFSET_CHARS,
    ANSWER_SPANS,
    BACKSLASH_KEYWORD,
    CROSS_LANGUAGE_SHARE,
    KEY_SHAPE,
    MAX_SUBJECT_WORDS,
    MAX_TERM_CHARS,
    MAX_TERM_WORDS,
    MENU_PATH,
    MIN_NAMING_WORD_CHARS,
    MIN_TERM_CHARS,
)


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


# -- shaping slots -----------------------------------------------------------------------------


def swap_person(text: str, lang: str) -> str:
    """The reader's person made the asker's: "if you are using" -> "if I am using" (longest phrases first)."""
    swaps = T.PERSON_SWAPS[lang]
    pattern = _swap_pattern(lang)
    return pattern.sub(lambda m: swaps.get(m.group(0).lower().replace("’", "'"), m.group(0)), text)


@lru_cache(maxsize=4)
def _swap_pattern(lang: str) -> re.Pattern:
    keys = {k for k in T.PERSON_SWAPS[lang]} | {k.replace("'", "’") for k in T.PERSON_SWAPS[lang]}
    return re.compile(rf"(?<![\w'’])(?:{alternation(keys)})(?![\w'’])", re.IGNORECASE)


def vague(text: str, lang: str) -> bool:
    return re.search(T.VAGUE[lang], text, re.IGNORECASE) is not None


def goal_ok(goal: str, lang: str) -> bool:
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
        and not vague(goal, lang)
    )


def subject_ok(subject: str, lang: str) -> bool:
    if vague(subject, lang):
        return False
    words = subject.split()
    if not words or len(words) > MAX_SUBJECT_WORDS or not any(len(w) >= MIN_NAMING_WORD_CHARS for w in words):
        return False
    first, last = fold(words[0]), fold(words[-1])
    bad = T.NOT_SUBJECT[lang]
    if first in bad or last in bad or is_function_word(last, lang) or is_function_word(first, lang):
        return False
    return any(c.isalpha() for c in subject)


def phrase(text: str) -> str:
    return " ".join(text.split()).strip(" ,;:")


def answer_at(text: str, at: int, lang: str, kind: str, named: bool = False) -> tuple[str, str] | None:
    """The typed answer that starts at ``at`` in ``text``: a technical token, a quantity, a date, a key, a menu path..."""
    if kind == DATE_KIND:
        spans = date_spans(text, lang)
    elif kind in (T.COUNT, T.LIMIT):
        spans = find_quantities(text, lang)
    elif kind == T.MENU:
        m = MENU_PATH.match(text, at)
        return (phrase(m.group(0)), T.MENU) if m and re.search(r"→|▸|⇒|->|>", m.group(0)) else None
    elif kind == T.SHORTCUT:
        spans = [s for s in technical_spans(text, lang) if KEY_SHAPE.match(s.text)]
    elif kind in (T.TERM, T.ALIAS):
        spans = []  # a term is words, read below; a token named there is no definition ("the endpoint is x.y")
    else:
        allowed = ANSWER_SPANS.get(kind)
        spans = [s for s in technical_spans(text, lang) if allowed is None or s.kind in allowed]
        if not allowed or "keyword" in allowed:
            spans += [_span(m) for m in BACKSLASH_KEYWORD.finditer(text)]
        if kind == T.DEFAULT:
            spans += find_quantities(text, lang)
        # "zsh is the default shell": a plain word is an answer only where the cue names it (a sentence's subject).
        word = re.match(r"[a-z0-9][\w.+-]*?(?=\.?(?:[\s,;:]|$))", text[at:]) if named else None
        if word and not is_function_word(fold(word.group(0)), lang) and not vague(word.group(0), lang):
            spans.append(Span(at, at + len(word.group(0)), word.group(0), "word"))
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if at <= span.start <= at + ANSWER_OFFSET_CHARS:
            return span.text.strip().rstrip(" \\"), span.kind
    if kind in (T.TERM, T.ALIAS):
        term_chars = f"{{{MIN_TERM_CHARS},{MAX_TERM_CHARS}}}"
        m = re.match(rf"(?:{articles(lang)})?[\"“«‘']?\s*([^,.;:()\"”»’]{term_chars})", text[at:], re.I)
        if m:
            term = m.group(1).strip()
            words = term.split()
            if 1 <= len(words) <= MAX_TERM_WORDS and all(re.fullmatch(r"[^\W\d_][\w'’-]*", w) for w in words):
                if not any(is_function_word(fold(w)) for w in words):
                    return term, kind
    return None


@lru_cache(maxsize=8)
def articles(lang: str) -> str:
    """An article of the language and the space after it (none after an elided one: "l'option"), as a regular
    expression (qa.lang's data)."""
    return rf"\b(?i:{alternation(get_language(lang).data.ARTICLES)})(?:(?<=')|\s+)"


def _span(m):
    return Span(m.start(), m.end(), m.group(0), "keyword")


def spelled_out(acronym: str, after: str, lang: str, rng: random.Random, asked) -> Draft | None:
    """ "FHS stands for Filesystem Hierarchy Standard": the shortest run of words after the cue that spells it."""
    words = re.findall(r"[^\W\d_][\w'’-]*", after.strip(" \"'«»“”‘’"))
    for n in range(1, min(len(words), len(acronym) + tuning.EXPANSION_EXTRA_WORDS) + 1):
        if spells(acronym, words[:n]):
            expansion = after[after.index(words[0]) : after.index(words[n - 1]) + len(words[n - 1])]
            languages = [q for q in asked if q == lang or rng.random() < CROSS_LANGUAGE_SHARE]
            if not languages:
                return None
            q_lang = rng.choice(languages)
            filled = fill(q_lang, T.ACRONYM, {"acronym": acronym}, rng)
            if filled is None:
                return None
            return Draft(T.ACRONYM, q_lang, filled[0], [expansion], None, acronym, (T.ACRONYM, filled[1]))
    return None


DATE_KIND = T.DATE


def fill(lang: str, key: str, slots: dict, rng: random.Random) -> tuple[str, int] | None:
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


def article(value: str | None, lang: str) -> str:
    """An article as it reads inside a question: lower case, French elision kept joined ("l'")."""
    if not value:
        return ""
    value = value.strip().lower()
    if lang == "fr":
        return value if value.endswith("'") else value + " "
    return value
