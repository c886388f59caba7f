"""Language knowledge in one place: each language as data, one grammar for each kind of thing.

- ``qa.lang.en`` and ``qa.lang.fr`` hold the words (function words, months, number
  words, interrogatives, abbreviations...) and nothing else; ``Language`` is
  one of them, folded and ready for the grammars.
- The grammars read every known language from that data: ``sentences``
  (boundaries), ``dates``, ``numbers`` (quantities, money), ``names``,
  ``technical`` (commands, paths, identifiers...), ``questions`` (what a
  question asks for) and ``grammar`` (pronouns, clauses, negations).
- A language that is not known turns the typed rules off instead of falling
  back on another one: ``detect_language`` says None, a question is "other",
  and sentences split on punctuation alone.

This module also holds the word-level tools every part shares: ``fold``,
``words``, ``stem``, function and content words. Nothing here names a word of
any document: only general English and French.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from functools import lru_cache
from types import ModuleType

from qa import tuning
from qa.lang import en as _en
from qa.lang import fr as _fr

# A word: letters and digits, joined by inner hyphens and dots ("open-source",
# "R1.5"). Apostrophes split ("l'adoption" gives "l", "adoption").
WORD = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*")
# The same, with inner apostrophes kept ("l'adoption", "isn't", "O'Neill"), for
# callers that look at elisions, possessives or negations themselves.
WORD_WITH_APOSTROPHES = re.compile(r"[^\W_]+(?:[-.'’][^\W_]+)*")


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Lower case without accents; typographic apostrophes and dashes made plain."""
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    folded = fold(c)
    return folded if len(folded) == 1 else c.lower() if len(c.lower()) == 1 else c


@lru_cache(maxsize=16_384)
def fold_aligned(text: str) -> str:
    """``fold`` keeping every character in place, so offsets into the result are offsets into ``text``
    (a character that folds to several, such as a ligature, is only lower-cased)."""
    return "".join(_fold_char(c) for c in text)


def words(text: str) -> list[str]:
    """Surface words in reading order (see WORD).

    Elisions are not removed here: "l'adoption" gives "l" and "adoption", and the
    single-letter elided articles drop out later as function words.
    """
    return WORD.findall(text)


@dataclass(frozen=True)
class Span:
    """A piece of a text: ``text == source[start:end]``; ``kind`` says what it is (a date, a path...)."""

    start: int
    end: int
    text: str
    kind: str = ""


# Entries of the data modules kept as written: case matters or they are regular expressions.
_AS_WRITTEN = frozenset(
    {
        "CODE", "NAME", "STEMMER", "LETTERS", "SCALE_ABBREVIATIONS", "HOW_PATTERNS", "COMMAND_PATTERNS",
        "CONDITION_PATTERNS",
        "NAME_PATTERNS", "WHERE_WORDS", "QUESTION_PHRASES", "QUOTE_PATTERNS",
    }
)  # fmt: skip


def _folded(value):
    if isinstance(value, str):
        return fold(value)
    if isinstance(value, frozenset):
        return frozenset(fold(v) for v in value)
    if isinstance(value, tuple):
        return tuple(_folded(v) for v in value)
    if isinstance(value, dict):
        return {fold(k): v for k, v in value.items()}
    return value


@dataclass(frozen=True, eq=False)
class Language:
    """One language's data (see ``qa.lang.en``), words folded except where case or regex syntax matters."""

    code: str
    name: str
    stemmer: str
    letters: str
    function_words: frozenset[str]
    telling_words: frozenset[str]
    sentence_openers: frozenset[str]
    common_endings: tuple[str, ...]
    months: dict[str, int]
    month_abbreviations: dict[str, int]
    ambiguous_months: frozenset[str]
    weekdays: tuple[str, ...]
    weekday_abbreviations: dict[str, int]
    day_words: frozenset[str]
    date_articles: frozenset[str]
    date_of: frozenset[str]
    date_parts: dict[str, str]
    period_words: dict[str, str]
    year_context: frozenset[str]
    number_words: dict[str, int]
    plural_number_words: dict[str, str]
    dozens: frozenset[str]
    ambiguous_number_words: frozenset[str]
    one_articles: frozenset[str]
    number_joiners: frozenset[str]
    ordinals: dict[str, int]
    common_ordinals: frozenset[str]
    ordinal_suffixes: tuple[str, ...]
    scales: dict[str, int]
    scale_abbreviations: dict[str, int]
    percent_words: tuple[str, ...]
    currencies: dict[str, str]
    unit_links: frozenset[str]
    reference_nouns: frozenset[str]
    measures: dict[str, str]
    units: dict[str, str]
    question_phrases: tuple[tuple[str, str], ...]
    money_verbs: frozenset[str]
    how_patterns: tuple[str, ...]
    condition_patterns: tuple[str, ...]
    command_patterns: tuple[str, ...]
    where_words: frozenset[str]
    storage_verbs: frozenset[str]
    name_patterns: tuple[str, ...]
    quote_patterns: tuple[str, ...]
    question_leads: frozenset[str]
    auxiliaries: frozenset[str]
    head_first: bool
    saying_verbs: frozenset[str]
    which_words: frozenset[str]
    plural_which_words: frozenset[str]
    who_words: frozenset[str]
    copulas: frozenset[str]
    plural_copulas: frozenset[str]
    amount_phrases: frozenset[str]
    articles: frozenset[str]
    noun_links: frozenset[str]
    kind_nouns: dict[str, str]
    kind_phrases: dict[str, str]
    person_nouns: frozenset[str]
    maker_nouns: frozenset[str]
    maker_links: frozenset[str]
    irregular_plurals: frozenset[str]
    share_words: frozenset[str]
    rate_words: frozenset[str]
    generic_counted: frozenset[str]
    people_by_role: dict[str, str | tuple[str, ...]]
    extension_words: frozenset[str]
    cue_words: frozenset[str]
    modal_words: frozenset[str]
    anaphora_openers: tuple[str, ...]
    subject_pronouns: frozenset[str]
    possessives: dict[str, str | None]
    possessive_suffix: tuple[str, ...]
    inversion: bool
    impersonal_after: tuple[str, ...]
    impersonal_inverted: tuple[str, ...]
    impersonal_before: tuple[str, ...]
    elided_conjunctions: tuple[str, ...]
    follow_up_connectives: tuple[str, ...]
    determiners: frozenset[str]
    elisions: frozenset[str]
    negations: frozenset[str]
    negation_suffixes: tuple[str, ...]
    conjunctions: frozenset[str]
    clause_breaks: tuple[str, ...]
    name_particles: frozenset[str]
    abbreviations: frozenset[str]
    technical_nouns: dict[str, str]
    adjective_endings: tuple[str, ...]
    common_adjectives: frozenset[str]
    inflection_endings: tuple[str, ...]
    data: ModuleType  # the module as written (accents, case)

    @classmethod
    def from_module(cls, module: ModuleType) -> Language:
        values = {}
        for f in fields(cls):
            if f.name == "data":
                continue
            key = f.name.upper()
            value = getattr(module, key)
            values[f.name] = value if key in _AS_WRITTEN else _folded(value)
        return cls(**values, data=module)

    @property
    def all_months(self) -> dict[str, int]:
        """Folded month names and abbreviations."""
        return self.months | self.month_abbreviations

    def __repr__(self) -> str:
        return f"Language({self.code!r})"


LANGUAGES: dict[str, Language] = {m.CODE: Language.from_module(m) for m in (_en, _fr)}


def get(code: str | None) -> Language | None:
    """The language of that code ("en", "fr"), or None when it is not known."""
    return LANGUAGES.get(code) if code else None


def languages(code: str | None = None) -> tuple[Language, ...]:
    """The languages a grammar should read: all known ones when ``code`` is None (any of them may be
    in the text), that one when known, none when unknown (typed rules off)."""
    if code is None:
        return tuple(LANGUAGES.values())
    language = LANGUAGES.get(code)
    return (language,) if language else ()


FUNCTION_WORDS = frozenset().union(*(lang.function_words for lang in LANGUAGES.values()))
CUE_WORDS = frozenset().union(*(lang.cue_words for lang in LANGUAGES.values()))
# Words for the end of a file's name ("extension", "suffixe"), in any language: "l'extension .ily".
EXTENSION_WORDS = frozenset().union(*(lang.extension_words for lang in LANGUAGES.values()))
# Words that count people or things without saying what they are ("personnes", "people"), in any language.
GENERIC_COUNTED = frozenset().union(*(lang.generic_counted for lang in LANGUAGES.values()))
# Words of a question that say how it is put, not what it is about ("ought", "doit"). What kind of
# answer is wanted ("name", "year") is said by the cue words of its interrogative phrase only
# (QuestionForm.cue_words): "day" in "how many people use it every day" says what is counted.
MODAL_WORDS = frozenset().union(*(lang.modal_words for lang in LANGUAGES.values()))
CALENDAR_WORDS = frozenset().union(*({*lang.all_months, *lang.weekdays} for lang in LANGUAGES.values()))
NUMBER_WORDS = frozenset().union(
    *({*lang.number_words, *lang.ordinals, *lang.plural_number_words} for lang in LANGUAGES.values())
)


@lru_cache(maxsize=4096)
def _exclusive_words(code: str) -> frozenset[str]:
    """Words that tell ``code`` from every other known language."""
    own = LANGUAGES[code].function_words | LANGUAGES[code].telling_words
    others = frozenset().union(
        *(lang.function_words | lang.telling_words for c, lang in LANGUAGES.items() if c != code)
    )
    return own - others


_KNOWN_LETTERS = frozenset("".join(lang.letters for lang in LANGUAGES.values()))


def detect_language(text: str) -> str | None:
    """The code of the known language ``text`` is written in ("en", "fr"), or None when undecided or unknown.

    Counted: the words only one known language uses (function words, "a-t-il"...),
    plus one for that language's own letters ("é", "ç"). A text whose words use
    letters no known language writes ("ß", "ñ"), or where too few words are
    telling words of any known language, is in a language not known here.
    """
    tokens = [fold(w) for w in WORD_WITH_APOSTROPHES.findall(text) if any(c.isalpha() for c in w)]
    if not tokens:
        return None
    scores = {code: sum(t in _exclusive_words(code) for t in tokens) for code in LANGUAGES}
    lowered = text.lower()
    # Words are looked at one by one only when the text has a letter no known language writes.
    unknown_letters = not lowered.isascii() and any(
        c.isalpha() and c not in _KNOWN_LETTERS for c in set(lowered) if not c.isascii()
    )
    foreign = unknown_letters and sum(
        1
        for w in WORD_WITH_APOSTROPHES.findall(lowered)
        if any(c.isalpha() and not c.isascii() and c not in _KNOWN_LETTERS for c in w)
    )
    if foreign and foreign >= tuning.FOREIGN_WORD_SHARE * len(tokens):
        return None
    best_words = max(scores.values())
    if best_words == 0:
        return None
    for code, lang in LANGUAGES.items():
        if lang.letters and any(c in lang.letters for c in lowered):
            scores[code] += 1
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    code = ranked[0][0]
    words_of_best = sum(t in _exclusive_words(code) for t in tokens)
    if len(tokens) >= tuning.LONG_TEXT_WORDS and words_of_best < tuning.MIN_TELLING_SHARE * len(tokens):
        return None
    return code


@lru_cache(maxsize=4)
def _stemmer(algorithm: str):
    import snowballstemmer  # here, not at the top: the CLI imports qa.text for UNSAFE_CHARACTERS alone

    return snowballstemmer.stemmer(algorithm)


@lru_cache(maxsize=200_000)
def stem(word: str, language: str | None) -> str:
    """The folded stem of a word in that language (only folded for a language not known here).

    Stemming runs before folding because the French stemmer reads accents
    ("lancée" and "lancé" both give "lanc")."""
    lowered = word.lower().replace("’", "'")
    lang = get(language)
    if lang is None or any(ch.isdigit() for ch in lowered):
        return fold(lowered)
    return fold(_stemmer(lang.stemmer).stemWord(lowered))


def is_function_word(folded_word: str, language: str | None = None) -> bool:
    """A grammar word of that language (of any known language when None)."""
    if language is None:
        return folded_word in FUNCTION_WORDS
    lang = get(language)
    return lang is not None and folded_word in lang.function_words


def is_content_word(word: str, language: str | None = None) -> bool:
    """Worth indexing and matching: not grammar. Acronyms in capitals ("AI", "X")
    count even when their lower-case form is a function word ("ai")."""
    folded = fold(word)
    if word.isupper() and any(c.isalpha() for c in word):
        return len(word) >= 2 or not is_function_word(folded, language)
    return len(folded) >= 2 and not is_function_word(folded, language) or folded.isdigit()


def same_family(a: str, b: str) -> bool:
    """Forms of one word, or words built on it, rather than two different words."""
    fa, fb = fold(a), fold(b)
    n = min(tuning.FAMILY_PREFIX, len(fa), len(fb))
    return fa[:n] == fb[:n]


def content_words(text: str, language: str | None = None) -> list[str]:
    """Content words as written (not folded), in order, without duplicates."""
    seen: set[str] = set()
    out = []
    for word in words(text):
        folded = fold(word)
        if not is_content_word(word, language) or folded in seen:
            continue
        seen.add(folded)
        out.append(word)
    return out


def alternation(options, escape: bool = True) -> str:
    """A regular-expression alternation of ``options``, longest first (so "septembre" wins over "sept")."""
    items = sorted({o for o in options if o}, key=lambda o: (-len(o), o))
    return "|".join(re.escape(o) if escape else o for o in items) or "(?!)"


__all__ = [
    "CALENDAR_WORDS",
    "CUE_WORDS",
    "MODAL_WORDS",
    "FUNCTION_WORDS",
    "LANGUAGES",
    "NUMBER_WORDS",
    "WORD",
    "WORD_WITH_APOSTROPHES",
    "Language",
    "Span",
    "alternation",
    "content_words",
    "detect_language",
    "fold",
    "fold_aligned",
    "get",
    "is_content_word",
    "is_function_word",
    "languages",
    "stem",
    "words",
]
