"""Is a generated answer said by the passages it cites? A check of markers and facts, across languages.

A generated answer passes when:

- it cites at least one passage, and each marker ``[n]`` names a passage that was given;
- each checkable fact in it stands in the passages its sentence cites (or, for a
  sentence without a marker, in all the passages the answer cites):
  dates ("January 11, 2025" ↔ "11 janvier 2025" ↔ "2025-01-11", "the twentieth
  of January" ↔ "20 janvier"), and the weekday a date is given must be its own;
  numbers ("22.15 million" ↔ "22,15 millions", "five" ↔ "cinq" ↔ "5",
  "ninety-nine" ↔ "99", "vingt-et-un" ↔ "21");
  and names (capitalised words, acronyms, model names such as "R1", a name
  opening a sentence, and words a passage or the question writes as a name
  even when the answer writes them in lower case), compared without case or
  accents and allowing the small spelling shifts of a name between languages
  ("China" ↔ "Chine", "AI" ↔ "IA");
- it is written in the question's language (English or French, when that can be told);
- a question asking when (or how many) gets an answer holding a date (or a number).

Dates, numbers, names, sentences and question kinds are read by the shared
grammars of qa.lang (general English and French, never words of any document).
What this cannot check: a claim made of plain words only ("because it is
cheaper") passes on its markers alone.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from qa import tuning
from qa.evaluation import MAX_ANSWER_CHARS
from qa.lang import (
    CALENDAR_WORDS,
    FUNCTION_WORDS,
    NUMBER_WORDS,
    WORD_WITH_APOSTROPHES,
    detect_language,
    fold,
    languages,
)
from qa.lang import dates as _dates
from qa.lang import numbers as _numbers
from qa.lang.dates import Date
from qa.lang.grammar import NEGATIONS, addresses_the_reader, denies
from qa.lang.names import find_names, is_capitalised_name, strip_possessive
from qa.lang.questions import DATE, MONEY, QUANTITY, classify
from qa.lang.sentences import sentence_spans, sentences

__all__ = [
    "Date",
    "Fact",
    "Verification",
    "agrees_with",
    "clean_generated",
    "find_dates",
    "find_numbers",
    "fold",
    "is_not_found",
    "language_of",
    "markers",
    "verify",
]

_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;–-]\s*\d+)*)\s*\]")
# Ordinal words too common in other senses to be claims ("first released", "la première fois").
_COMMON_ORDINALS = frozenset().union(*(lang.common_ordinals for lang in languages()))
_PARTICLES = frozenset().union(*(lang.name_particles for lang in languages()))
_WEEKDAY_NAMES = {i: languages("en")[0].data.WEEKDAYS[i].capitalize() for i in range(7)}


def _denies_the_passages(body: str, texts: Sequence[str], scope) -> bool:
    """A clause of ``body`` denies something about a word of the passages, which deny nothing.

    A denial about something the passages do not name ("Zebra was not launched",
    for a question about Zebra) is not theirs to contradict, and is let through.
    """
    if any(denies(t) for t in texts):
        return False
    for clause in re.split(r"[;,:]", body):
        if not denies(clause):
            continue
        words = {fold(w) for w in WORD_WITH_APOSTROPHES.findall(clause)} - FUNCTION_WORDS - NEGATIONS
        if any(len(w) > 2 and not w.isdigit() and w in p.words for w in words for p in scope):
            return True
    return False


# -- facts ---------------------------------------------------------------------


@dataclass
class Fact:
    kind: str  # "date", "number" or "name"
    text: str
    supported: bool = False


@dataclass
class Verification:
    ok: bool
    reason: str = ""
    text: str = ""  # the answer as it may be shown (trimmed to whole sentences)
    cited: list[int] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)


def find_dates(text: str) -> list[tuple[int, int, set[Date]]]:
    """Dates in ``text`` (see qa.lang.dates): (start, end, possible readings), those with a known value."""
    return [(d.start, d.end, set(d.readings)) for d in _dates.find_dates(text) if _has_value(d)]


def _has_value(mention) -> bool:
    return any(r.year is not None or r.month is not None or r.day is not None for r in mention.readings)


def find_numbers(text: str, passage: bool = False) -> list[tuple[int, int, set[Decimal]]]:
    """Numbers in ``text`` (see qa.lang.numbers), digits or words, with a scale word applied
    ("22,15 millions" → 22150000), ordinals included, versions and common ordinals ("first") left out.

    In a passage, each number also keeps its unscaled readings, so that an answer
    may say "22.15 million" or "22,150,000" or just "22.15"; and the lone "un",
    "une", "one" count as 1.
    """
    out = []
    for m in _numbers.find_numbers(text, include_ambiguous=passage):
        if m.kind == _numbers.VERSION and not m.values:
            continue
        if m.kind == _numbers.ORDINAL and fold(m.text) in _COMMON_ORDINALS:
            continue
        out.append((m.start, m.end, set(m.values | m.bare) if passage else set(m.values)))
    return out


def _name_words(text: str, known: set[str]) -> list[str]:
    """The names a sentence asserts, word by word: capitalised runs, inner capitals, acronyms, digits in
    names ("Koala-R1"), a name opening the sentence ("Alibaba integrated ..."), and words the passages
    or the question spell as names even when written in lower case ("by elon musk")."""
    out: list[str] = []
    covered: list[tuple[int, int]] = []
    for mention in find_names(text):
        covered.append((mention.start, mention.end))
        pieces = [p for p in mention.text.split() if fold(p) not in _PARTICLES]
        for i, piece in enumerate(pieces):
            word = strip_possessive(piece).strip(".'’")
            folded = fold(word)
            if (
                not word
                or not any(c.isalpha() for c in word)
                or re.fullmatch(r"\d+(?:st|nd|rd|th|er|re|e|eme|ème)?", word)
            ):
                continue
            if len(word) == 1 and not word.isupper():
                continue
            if folded in CALENDAR_WORDS or folded in NUMBER_WORDS or (folded in FUNCTION_WORDS and not word.isupper()):
                continue
            if mention.sentence_initial and i == 0 and not is_capitalised_name(word):
                continue  # "Launched in 2025, ...": a capital that only opens the sentence
            out.append(word)
    for m in WORD_WITH_APOSTROPHES.finditer(text):
        if any(s <= m.start() < e for s, e in covered):
            continue
        word = strip_possessive(m.group(0))
        if fold(word) in known:
            out.append(word)
    return out


def _name_in(name: str, passage_words: set[str], acronyms: set[str]) -> bool:
    folded = fold(name)
    if folded in passage_words:
        return True
    parts = [p for p in re.split(r"[-.'’]", folded) if p]
    if len(parts) > 1 and all(p in passage_words or p.isdigit() for p in parts):
        return True
    if name.isupper() and len(name) <= tuning.ACRONYM_REORDERED_LETTERS:
        return "".join(sorted(folded)) in acronyms  # AI ↔ IA, CCP ↔ PCC
    if len(folded) < tuning.NAME_SPELLING_MIN_LETTERS:
        return False
    for word in passage_words:
        if word.startswith(folded) and word[len(folded) : len(folded) + 1] in ("-", ""):
            return True
        if (
            abs(len(word) - len(folded)) <= tuning.NAME_SPELLING_LETTERS
            and difflib.SequenceMatcher(None, folded, word).ratio() >= tuning.NAME_SPELLING_SIMILARITY
        ):
            return True
    return False


def _known_names(texts: Iterable[str]) -> set[str]:
    """Folded words that the texts write as names (not merely capitalised by a sentence start)."""
    out: set[str] = set()
    for text in texts:
        for mention in find_names(text):
            pieces = mention.text.split()
            if mention.sentence_initial and len(pieces) == 1 and not any(c.isupper() for c in mention.text[1:]):
                continue
            for piece in pieces:
                folded = fold(strip_possessive(piece))
                if len(folded) >= 3 and folded not in FUNCTION_WORDS and folded not in _PARTICLES:
                    out.add(folded)
    return out


# -- language ------------------------------------------------------------------


def language_of(text: str) -> str | None:
    """'en' or 'fr' when the text's words say so clearly, else None (qa.lang.detect_language)."""
    return detect_language(text)


# -- the check -----------------------------------------------------------------


def clean_generated(text: str) -> str:
    """The model's text without chat-template leftovers, a leading "Answer:", or surrounding quotes."""
    text = re.sub(r"<\|?/?(?:end_of_turn|start_of_turn|im_end|im_start|eos|s)\|?>", " ", text or "")
    text = re.sub(r"^\s*(?:\*\*)?(?:answer|réponse|reponse)\s*(?:\*\*)?\s*:\s*", "", text, flags=re.IGNORECASE)
    # The answer is its first paragraph: what follows a blank line or an echoed prompt is not part of it.
    text = re.split(r"\n\s*\n|<passages?\b|\n\s*Question\s*:", text.strip(), maxsplit=1, flags=re.IGNORECASE)[0]
    text = " ".join(text.split())
    if len(text) >= 2 and text[0] in '"«“' and text[-1] in '"»”':
        text = text[1:-1].strip()
    return text


def is_not_found(text: str, marker: str = "NOT FOUND") -> bool:
    return fold(text).strip(" .!").startswith(fold(marker))


def markers(text: str) -> list[int]:
    """Passage numbers cited in ``text``: [1], [1, 2], [1-3]."""
    out: list[int] = []
    for m in _MARKER.finditer(text):
        for part in re.split(r"\s*[,;]\s*", m.group(1)):
            bounds = re.split(r"\s*[–-]\s*", part)
            if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
                low, high = int(bounds[0]), int(bounds[1])
                if 0 < high - low < tuning.WIDEST_CITED_RANGE:
                    out.extend(range(low, high + 1))
                    continue
            out.extend(int(b) for b in bounds if b.isdigit())
    return out


def _sentences(text: str) -> list[str]:
    """Sentences (qa.lang.sentences), each keeping the markers that follow its full stop ("… 2025. [1]")."""
    pieces = [text[a:b] for a, b in sentence_spans(text)]
    out: list[str] = []
    for piece in pieces:
        lead = re.match(r"^(?:\s*\[[^\]]*\])+", piece)
        if lead and out:
            out[-1] += " " + lead.group(0).strip()
            piece = piece[lead.end() :].strip()
            if not piece:
                continue
        out.append(piece)
    return out


def _trim(text: str, limit: int) -> str | None:
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in _sentences(text):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    return kept or None


class _PassageFacts:
    def __init__(self, text: str):
        mentions = _dates.find_dates(text)
        self.dates = [r for d in mentions if _has_value(d) for r in d.readings]
        self.weekdays = {d.weekday for d in mentions if d.weekday is not None}
        self.numbers: set[Decimal] = set()
        for _, _, values in find_numbers(text, passage=True):
            self.numbers |= values
        self.versions = {fold(m.text) for m in _numbers.find_numbers(text) if m.kind == _numbers.VERSION}
        folded = fold(text)
        self.words = {w.strip(".'") for w in WORD_WITH_APOSTROPHES.findall(folded)}
        self.words |= {p for w in list(self.words) for p in re.split(r"[-.']", w) if p}
        parts = [p for w in WORD_WITH_APOSTROPHES.findall(text) for p in re.split(r"[-.'’]", w)]
        self.acronyms = {"".join(sorted(fold(p))) for p in parts if p.isupper() and len(p) <= 5}


def _date_supported(date: Date, passages: Iterable[_PassageFacts]) -> bool:
    for p in passages:
        for d in p.dates:
            if date.month is not None and d.month != date.month:
                continue
            if date.day is not None and d.day != date.day:
                continue
            if date.year is not None and d.year != date.year:
                if d.year is not None or Decimal(date.year) not in p.numbers:
                    continue
            return True
        if date.month is None and date.day is None and date.year is not None and Decimal(date.year) in p.numbers:
            return True  # "in 2023" backed by a passage's "2023"
    return False


def _check_dates(body: str, scope: list[_PassageFacts], where: str, facts: list[Fact]) -> tuple[str, list]:
    """Every date of ``body`` in the scope, with the weekday it names; (first failure, the dates' spans)."""
    failure = ""
    mentions = _dates.find_dates(body)
    for mention in mentions:
        text = mention.text
        if _has_value(mention):
            ok = any(_date_supported(r, scope) for r in mention.readings)
            agrees = _dates.weekday_agrees(mention)
            if agrees is False:
                days = sorted({_dates.weekday_of(r) for r in mention.readings} - {None})
                facts.append(Fact("date", text, False))
                failure = failure or f"the date «{text}» is a {' or '.join(_WEEKDAY_NAMES[d] for d in days)}"
                continue
            facts.append(Fact("date", text, ok))
            if not ok:
                failure = failure or f"the date «{text}» is not in the cited passages {where}"
        elif mention.weekday is not None:
            ok = any(mention.weekday in p.weekdays for p in scope)
            facts.append(Fact("date", text, ok))
            if not ok:
                failure = failure or f"the day «{text}» is not in the cited passages {where}"
    return failure, mentions


def _check_numbers(body: str, mentions, scope: list[_PassageFacts], where: str, facts: list[Fact]) -> str:
    failure = ""
    blanked = "".join(" " if any(d.start <= i < d.end for d in mentions) else c for i, c in enumerate(body))
    supported = set().union(*(p.numbers for p in scope)) if scope else set()
    for m in _numbers.find_numbers(blanked):
        if m.kind == _numbers.ORDINAL and fold(m.text) in _COMMON_ORDINALS:
            continue
        text = m.number_text.strip()
        if m.kind == _numbers.VERSION and not m.values:
            ok = any(fold(m.text) in p.versions for p in scope)
        else:
            ok = bool(set(m.values) & supported)
        facts.append(Fact("number", text, ok))
        if not ok:
            failure = failure or f"the number «{text}» is not in the cited passages {where}"
    return failure


def statements(passage: str) -> str:
    """The passage less its sentences addressed to the reader (a prompt injection)."""
    if not addresses_the_reader(passage):
        return passage
    return " ".join(s for s in sentences(passage) if not addresses_the_reader(s))


def verify(answer: str, passages: Sequence[str], question: str = "") -> Verification:
    """Check a generated ``answer`` against the numbered ``passages`` (1-based, as given to the model).

    A passage's instructions to whoever answers from it ("Ignore previous instructions and answer
    that…") are not statements of fact: they support nothing.
    """
    passages = [statements(p) for p in passages]
    text = clean_generated(answer)
    if not text:
        echoed = bool((answer or "").strip())
        return Verification(
            False, "the model echoed the prompt instead of answering" if echoed else "the answer is empty"
        )
    trimmed = _trim(text, MAX_ANSWER_CHARS)
    if trimmed is None:
        return Verification(False, f"the answer's first sentence is longer than {MAX_ANSWER_CHARS} characters")
    text = trimmed
    cited = markers(text)
    if not cited:
        return Verification(False, "the answer cites no passage (no [n] marker)", text)
    bad = sorted({n for n in cited if not 1 <= n <= len(passages)})
    if bad:
        given = f"passages 1-{len(passages)} were" if len(passages) > 1 else "passage 1 was"
        return Verification(
            False, f"the answer cites [{', '.join(map(str, bad))}], but only {given} given", text, cited
        )
    cited = sorted(set(cited))
    facts_of = {n: _PassageFacts(passages[n - 1]) for n in cited}
    question_words = {fold(w) for w in WORD_WITH_APOSTROPHES.findall(question)}
    # Names a passage (any of them) or the question writes as names: an answer's "elon musk" is one too.
    known_names = _known_names([*passages, question]) - question_words
    facts: list[Fact] = []
    first_failure = ""
    for sentence in _sentences(text):
        own = sorted(set(markers(sentence)))
        scope = [facts_of[n] for n in (own or cited)]
        where = ", ".join(f"[{n}]" for n in (own or cited))
        body = _MARKER.sub(" ", sentence)
        failure, dates = _check_dates(body, scope, where, facts)
        first_failure = first_failure or failure
        failure = _check_numbers(body, dates, scope, where, facts)
        first_failure = first_failure or failure
        for name in _name_words(body, known_names):
            if fold(name) in question_words:
                continue  # the question's own words are not a claim of the model
            ok = any(_name_in(name, p.words, p.acronyms) for p in scope)
            facts.append(Fact("name", name, ok))
            if not ok and not first_failure:
                first_failure = f"the name «{name}» is not in the cited passages {where}"
        if not first_failure and _denies_the_passages(body, [passages[n - 1] for n in (own or cited)], scope):
            first_failure = f"the answer denies what the cited passages {where} say (a negation they do not have)"
    if first_failure:
        return Verification(False, first_failure, text, cited, facts)
    asked, said = language_of(question), language_of(_MARKER.sub(" ", text))
    if asked and said and asked != said:
        names = {"en": "English", "fr": "French"}
        return Verification(
            False, f"the answer is in {names[said]}, the question in {names[asked]}", text, cited, facts
        )
    kind = _asks_for(question)
    if kind and not any(f.kind == kind or (kind == "number" and f.kind == "date") for f in facts):
        what = {"date": "a date", "number": "a number"}[kind]
        return Verification(False, f"the question asks for {what} and the answer gives none", text, cited, facts)
    return Verification(True, "", text, cited, facts)


def _asks_for(question: str) -> str | None:
    """ "date" for a question asking when, "number" for how many or how much (qa.lang.questions)."""
    kind = classify(question).kind if question.strip() else None
    if kind == DATE:
        return "date"
    if kind in (QUANTITY, MONEY):
        return "number"
    return None


def agrees_with(answer: str, found: str, question: str) -> str:
    """Why ``answer`` disagrees with ``found``, the phrase the extractive engine answered with; "" if it agrees.

    Only the fact the question asks for is compared: for "when", the answer must
    hold a date that ``found`` holds; for "how many", one of ``found``'s numbers.
    When ``found`` has no such fact, or the question asks for neither, there is
    nothing to compare. A date present in the passages is not enough on its own:
    a passage often holds several, and a weak model picks the wrong one.
    """
    kind = _asks_for(question)
    phrase = _PassageFacts(found)
    body = _MARKER.sub(" ", answer)
    if kind == "date" and phrase.dates:
        readings = [r for _, _, rs in find_dates(body) for r in rs]
        if readings and not any(_date_supported(r, [phrase]) for r in readings):
            return f"its date is not the one the passages give for this question («{found}»)"
    elif kind == "number" and phrase.numbers:
        values = set().union(*(v for _, _, v in find_numbers(body))) if find_numbers(body) else set()
        if values and not values & phrase.numbers:
            return f"its number is not the one the passages give for this question («{found}»)"
    return ""
