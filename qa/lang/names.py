"""Proper names in English and French text: people, companies, products, places, acronyms, model names.

A name is a run of capitalised words ("Great Wall Motors"), a word with inner
capitals or digits ("ByteDance", "R1"), an acronym ("CNIL"), a hyphenated
name ("Janus-Pro", "DALL-E 3"), with lower-case particles inside personal
names ("Charles de Gaulle"). Grammar capitalised by its place is not a name:
a function word opening a sentence ("Le", "The", "Il"), months and weekdays
("January" is capitalised in English). A plain capitalised word opening a
sentence may or may not be a name; it is kept, marked ``sentence_initial``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qa import tuning
from qa.lang import (
    CALENDAR_WORDS,
    NUMBER_WORDS,
    Span,
    fold,
    is_function_word,
    languages,
    words,
)
from qa.lang.sentences import ends_sentence

# A token of a name: letters and digits joined by hyphens, apostrophes, dots or "&" ("O'Neill", "AT&T", "Node.js").
_TOKEN = re.compile(r"[^\W_]+(?:[-'’.&+][^\W_]+)*")
_ELISION = re.compile(r"^([^\W\d_]{1,7})['’](?=[^\W\d_])")
_POSSESSIVE = re.compile(r"['’]s$")
_BULLET = re.compile(r"(?:^|\n)\s*(?:[-*+•]|\d+[.)])?\s*[\"'«“(\[]*\s*$")


@dataclass(frozen=True)
class NameMention:
    """A name in a text: ``text == source[start:end]``. ``sentence_initial``: its first word opens a
    sentence, where a capital says nothing ("Alibaba" or "Launched")."""

    start: int
    end: int
    text: str
    sentence_initial: bool = False


@lru_cache(maxsize=8)
def _tables(code: str | None):
    langs = languages(code) or languages()
    elisions = frozenset().union(*(lang.elisions for lang in langs))
    particles = frozenset().union(*(lang.name_particles for lang in langs))
    openers = frozenset().union(*(lang.sentence_openers for lang in langs))
    endings = tuple(sorted({e for lang in langs for e in lang.data.COMMON_ENDINGS}, key=len, reverse=True))
    return elisions, particles, openers, endings


def strip_elision(word: str) -> tuple[int, str]:
    """(characters cut, word) without a French elided article: "l’IA" → (2, "IA"), "d'OpenAI" → (2, "OpenAI")."""
    elisions = _tables(None)[0]
    m = _ELISION.match(word)
    if m and fold(m.group(1)) in elisions:
        return m.end(), word[m.end() :]
    return 0, word


def strip_possessive(word: str) -> str:
    """ "OpenAI's" → "OpenAI"."""
    return _POSSESSIVE.sub("", word)


def is_name_like(word: str, sentence_initial: bool = False) -> bool:
    """Proper names, acronyms, model names: DeepSeek, OpenAI, R1, MIT, Xi, 2025.

    A capital on the first word of a sentence only marks the sentence start, so
    there only inner capitals, digits or all capitals count. Months and
    weekdays are not names, nor is the English "I"."""
    word = strip_possessive(strip_elision(word)[1])
    if len(word) < 2 or word == "I":
        return False
    if fold(word) in CALENDAR_WORDS:
        return False
    if any(c.isdigit() for c in word) or (word.isupper() and any(c.isalpha() for c in word)):
        return True
    if any(c.isupper() for c in word[1:]):
        return True
    return not sentence_initial and word[0].isupper() and not is_function_word(fold(word))


def is_capitalised_name(word: str, language: str | None = None) -> bool:
    """Whether a plain capitalised word opening a sentence is a name rather than a capitalised common word.

    Not: grammar ("The", "Selon"), sentence adverbs ("However", "Aujourd'hui"),
    numbers, months, and words with the endings of inflected or derived common
    words ("Launched", "Users", "Lancée", "Actuellement"). "Alibaba" is.
    """
    _, particles, openers, endings = _tables(language)
    word = strip_possessive(strip_elision(word)[1])
    folded = fold(word)
    if not word[:1].isupper() or len(word) < 2:
        return False
    if is_function_word(folded) or folded in openers or folded in CALENDAR_WORDS or folded in NUMBER_WORDS:
        return False
    if any(c.isupper() or c.isdigit() for c in word[1:]):
        return True
    if len(folded) > 4 and folded.endswith("s") and not folded.endswith(("ss", "us", "is")):
        return False  # a plural: "Users", "Models"
    lowered = word.lower().replace("’", "'")
    return not any(lowered.endswith(e) and len(lowered) > len(e) + 2 for e in endings)


def _opens_sentence(text: str, start: int) -> bool:
    before = text[:start]
    if not before.strip() or _BULLET.search(before):
        return True
    return ends_sentence(before)


def _name_token(token: str, initial: bool) -> bool:
    """A token that can be part of a name (for a run: plain capitalised words count even at a sentence start)."""
    if len(token) == 1:
        return token.isupper() and token not in ("I",) and not (initial and token == "A")
    folded = fold(token)
    if folded in CALENDAR_WORDS:
        return False
    if token.isupper() and any(c.isalpha() for c in token):
        return True
    if any(c.isupper() for c in token[1:]):
        return True
    if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
        return token[0].isupper() or any(c.isupper() for c in token)
    if not token[0].isupper():
        return False
    return not is_function_word(folded) and folded not in NUMBER_WORDS


def find_names(text: str, language: str | None = None) -> list[NameMention]:
    """Names in ``text``, in order: runs of name-like words separated by spaces (one line break allowed),
    digits after a name ("DALL-E 3"), particles between capitalised words ("Charles de Gaulle")."""
    return list(_find_names(text, language))


@lru_cache(maxsize=8192)
def _find_names(text: str, language: str | None) -> tuple[NameMention, ...]:
    _, particles, openers, _ = _tables(language)
    tokens = []
    for m in _TOKEN.finditer(text):
        cut, word = strip_elision(m.group(0))
        start = m.start() + cut
        word = strip_possessive(word)
        tokens.append((start, start + len(word), word))
    out: list[NameMention] = []
    run: list[tuple[int, int, str]] = []
    run_initial = False

    def close():
        nonlocal run
        while run and fold(run[-1][2]) in particles:
            run.pop()
        if run:
            start, end = run[0][0], run[-1][1]
            span = text[start:end]
            if any(c.isalpha() for c in span):
                out.append(NameMention(start, end, span, run_initial))
        run = []

    for i, (start, end, word) in enumerate(tokens):
        gap = text[run[-1][1] : start] if run else ""
        joined = bool(run) and re.fullmatch(r"[ \t\u00a0]*\n?[ \t\u00a0]*", gap) is not None and gap != ""
        initial = _opens_sentence(text, start)
        if _name_token(word, initial) and not (initial and fold(word) in openers):
            if run and not joined and _initial_gap(run, gap):
                joined = True  # "Richard M. Stallman"
            if run and not joined:
                close()
            if not run:
                run_initial = initial
            run.append((start, end, word))
            continue
        if run and joined and word.isdigit() and len(word) <= 4:
            run.append((start, end, word))  # "DALL-E 3", "Windows 11"
            continue
        if run and joined and fold(word) in particles and i + 1 < len(tokens) and tokens[i + 1][2][:1].isupper():
            if not run[-1][2].isupper():
                run.append((start, end, word))  # "Charles de Gaulle"
                continue
        close()
    close()
    return tuple(out)


def _initial_gap(run, gap: str) -> bool:
    last = run[-1][2]
    return len(last) == 1 and last.isupper() and re.fullmatch(r"\.[ \t\u00a0]*\n?[ \t\u00a0]*", gap) is not None


def name_spans(text: str, language: str | None = None) -> list[Span]:
    return [Span(n.start, n.end, n.text, "name") for n in find_names(text, language)]


def looks_like_person(span_text: str) -> bool:
    """Two or three plain capitalised words, maybe with an initial or a particle: "Liang Zhanfan",
    "Richard M. Stallman", "Charles de Gaulle"; not "Great Wall Motors Ltd" nor "DeepSeek"."""
    _, particles, _, _ = _tables(None)
    names = 0
    for word in span_text.split():
        if fold(word) in particles:
            continue
        if re.fullmatch(r"[^\W\d_]\.", word) and word[0].isupper():
            continue  # an initial
        plain = word[:1].isupper() and word[1:].replace("-", "").replace("'", "").replace("’", "").islower()
        if not plain or fold(word) in CALENDAR_WORDS or is_function_word(fold(word)):
            return False
        names += 1
    return 2 <= names <= 3


def is_title_case(text: str) -> bool:
    """A title in title case ("A Revolution In Chinese AI"), where every word looks like a name."""
    long_words = [w for w in words(text) if len(w) > 3]
    return len(long_words) >= 3 and sum(w[:1].isupper() for w in long_words) / len(long_words) > tuning.TITLE_CASE_SHARE


# -- acronyms a text defines ----------------------------------------------------------------------

_ACRONYM = r"[A-Z][A-Za-z0-9]{1,9}"
# "JSON (JavaScript Object Notation)": the acronym, then its words in parentheses.
_ACRONYM_FIRST = re.compile(rf"\b({_ACRONYM})\s*\(([^()]{{3,120}})\)")
# "Free Software Foundation (FSF)": the words, then the acronym in parentheses.
_ACRONYM_AFTER = re.compile(rf"\(\s*({_ACRONYM})\s*\)")
_EXPANSION_WORD = re.compile(r"[^\W\d_][\w'’-]*")


@dataclass(frozen=True)
class AcronymDefinition:
    acronym: Span
    expansion: Span


def _is_acronym(token: str) -> bool:
    return sum(c.isupper() for c in token) >= 2


def spells(acronym: str, expansion_words: list[str]) -> bool:
    """Whether the words' initials (or their capitals, inner ones included) spell the acronym:
    "Free Software Foundation" FSF, "JavaScript Object Notation" JSON, "Parti communiste chinois" PCC;
    function words may be skipped ("Federal Bureau of Investigation")."""
    letters = fold(re.sub(r"[^A-Za-z0-9]", "", acronym))
    if not expansion_words:
        return False
    initials = "".join(fold(w[0]) for w in expansion_words)
    content = "".join(fold(w[0]) for w in expansion_words if not is_function_word(fold(w)))
    capitals = "".join(fold(c) for w in expansion_words for c in w if c.isupper())
    return letters in (initials, content, capitals)


@lru_cache(maxsize=4096)
def acronym_definitions(text: str) -> tuple[AcronymDefinition, ...]:
    """The acronyms a text spells out, and where: in "data interchange format called JSON (JavaScript
    Object Notation)" and "the Free Software Foundation (FSF)" each side names the same thing, so a
    question naming one is answered by neither."""
    out = []
    for m in _ACRONYM_FIRST.finditer(text):
        acronym, inside = m.group(1), m.group(2)
        words_inside = _EXPANSION_WORD.findall(inside)
        if _is_acronym(acronym) and spells(acronym, words_inside):
            out.append(
                AcronymDefinition(
                    Span(m.start(1), m.end(1), acronym, "name"), Span(m.start(2), m.end(2), inside.strip(), "name")
                )
            )
    for m in _ACRONYM_AFTER.finditer(text):
        acronym = m.group(1)
        if not _is_acronym(acronym):
            continue
        before = list(_EXPANSION_WORD.finditer(text, max(0, m.start() - 160), m.start()))
        # The shortest run of words just before the parenthesis that spells the acronym.
        for count in range(1, min(len(before), len(acronym) + tuning.EXPANSION_EXTRA_WORDS) + 1):
            run = before[-count:]
            if text[run[-1].end() : m.start()].strip():
                break  # something other than space between the words and the parenthesis
            if spells(acronym, [w.group(0) for w in run]):
                start, end = run[0].start(), run[-1].end()
                out.append(
                    AcronymDefinition(
                        Span(m.start(1), m.end(1), acronym, "name"), Span(start, end, text[start:end], "name")
                    )
                )
                break
    return tuple(out)


# -- versioned names ------------------------------------------------------------------------------

# A version: digits with dots ("12", "3.12"), or a short series letter and digits ("R1", "v2").
_VERSION = r"(?:[A-Za-z]{1,3}\d+|\d+)(?:\.\d+)*"
_VERSION_PART = re.compile(rf"^{_VERSION}$")
_VERSION_AFTER = re.compile(rf"^[ \t\u00a0]+({_VERSION})\b")


@dataclass(frozen=True)
class VersionedName:
    """A name with a version: "DeepSeek-R1" (series "DeepSeek", version "R1"), "Debian 12", "Python
    3.12", or a version standing alone as a name ("R1": series ""). ``text == source[start:end]``."""

    start: int
    end: int
    text: str
    series: str
    version: str

    def same_series(self, other: VersionedName) -> bool:
        """Two versions of one thing: the same series name, or, where either has none, the same
        series letters ("R1" and "DeepSeek-R2")."""
        if self.series and other.series:
            return fold(self.series) == fold(other.series)
        mine, theirs = _series_letters(self.version), _series_letters(other.version)
        return bool(mine) and mine == theirs

    def same_version(self, other: VersionedName) -> bool:
        """One names the other or a release of it: "3" covers "3.12", "R1" is not "R2"."""
        mine, theirs = fold(self.version).split("."), fold(other.version).split(".")
        shorter = min(len(mine), len(theirs))
        return mine[:shorter] == theirs[:shorter]


def _series_letters(version: str) -> str:
    return fold(re.match(r"[^\W\d_]*", version).group(0))


def versioned_names(text: str, language: str | None = None) -> list[VersionedName]:
    """The names of ``text`` that carry a version, in order (see ``VersionedName``)."""
    out = []
    for mention in find_names(text, language):
        parts = re.split(r"[-\s]+", mention.text)
        at = next((i for i, part in enumerate(parts) if i and _VERSION_PART.match(part)), None)
        if at is not None:
            series = mention.text[: mention.text.find(parts[at], len(parts[0]))].rstrip("- \t\u00a0")
            out.append(VersionedName(mention.start, mention.end, mention.text, series, parts[at]))
        elif (after := _VERSION_AFTER.match(text[mention.end :])) is not None:
            end = mention.end + after.end(1)
            out.append(VersionedName(mention.start, end, text[mention.start : end], mention.text, after.group(1)))
        elif len(parts) == 1 and _VERSION_PART.match(mention.text) and not mention.text.isdigit():
            out.append(VersionedName(mention.start, mention.end, mention.text, "", mention.text))
    return out
