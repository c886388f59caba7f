"""Is a generated answer said by the passages it cites? A check of markers and facts, across languages.

A generated answer passes when:

- it cites at least one passage, and each marker ``[n]`` names a passage that was given;
- each checkable fact in it stands in the passages its sentence cites (or, for a
  sentence without a marker, in all the passages the answer cites):
  dates ("January 11, 2025" ↔ "11 janvier 2025" ↔ "2025-01-11"),
  numbers ("22.15 million" ↔ "22,15 millions", "five" ↔ "cinq" ↔ "5"),
  and names (capitalised words, acronyms, model names such as "R1"), compared
  without case or accents and allowing the small spelling shifts of a name
  between languages ("China" ↔ "Chine", "AI" ↔ "IA");
- it is written in the question's language (English or French, when that can be told);
- a question asking when (or how many) gets an answer holding a date (or a number).

The tables below are general English and French words (months, number words,
scales, function words), never words of any document. What this cannot check:
a claim made of plain words only ("because it is cheaper") passes on its
markers alone.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from qa.evaluation import MAX_ANSWER_CHARS
from qa.text import (
    ENGLISH_MONTHS,
    ENGLISH_WEEKDAYS,
    FRENCH_MONTHS,
    FRENCH_WEEKDAYS,
    MONTH_ABBREVIATIONS,
    NUMBER_WORDS,
    WORD_WITH_APOSTROPHES,
    fold,
)

_MONTHS = {fold(m): n for m, n in (ENGLISH_MONTHS | FRENCH_MONTHS | MONTH_ABBREVIATIONS).items()}
# Month names that also stand alone as a fact ("in January"); short or ambiguous ones ("may", "mars") need a number.
_STANDALONE_MONTHS = {m for m in _MONTHS if len(m) > 4 and m not in {"march", "mars"}} | {
    "juin",
    "mai",
    "aout",
    "june",
    "july",
}
_STANDALONE_MONTHS.discard("may")
_WEEKDAYS = set(ENGLISH_WEEKDAYS + FRENCH_WEEKDAYS)
# Only in passages: counts an answer may translate ("one" ↔ "un").
_PASSAGE_ONLY_NUMBER_WORDS = {"one": 1, "un": 1, "une": 1}
_SCALES = {
    "thousand": {1000}, "thousands": {1000}, "k": {1000}, "mille": {1000}, "milliers": {1000}, "millier": {1000},
    "million": {10**6}, "millions": {10**6}, "m": {10**6}, "mn": {10**6},
    "milliard": {10**9}, "milliards": {10**9}, "md": {10**9}, "mds": {10**9}, "bn": {10**9}, "b": {10**9},
    "billion": {10**9, 10**12}, "billions": {10**9, 10**12},  # English and French "billion" differ
    "trillion": {10**12, 10**18}, "trillions": {10**12, 10**18},
}  # fmt: skip
# Short lists on purpose, not qa.text's FUNCTION_WORDS: language_of answers only
# when these few telling words decide it (with qa.text's lists, "C'est un
# symbole." or "Voici quelques pistes :" would be called French where they are
# undecided now, and the prompt's language and the language check would change),
# and a name check must still see "AI" or "US", which qa.text lists as the
# function words "ai" and "us".
_ENGLISH = set(
    "the was is are were and of in with by from which has have had it its that this these those to for "
    "when what who how where why does did an at be been".split()
)
_FRENCH = set(
    "le la les des du est sont etait ete et une dans pour avec sur qui que ses son sa par au aux ce cette "
    "quand quel quelle quels quelles comment combien ou pourquoi il elle a-t-il a-t-elle".split()
)
_ABBREVIATIONS = set(_MONTHS) | set("mr mrs ms dr st vs etc mme mlle m no nr inc corp ltd co".split())
_FUNCTION_WORDS = (
    _ENGLISH
    | _FRENCH
    | set(
        "a an i he she we they you according also however yes no not but or if as so then there here "
        "il elle nous vous ils elles selon oui non mais ou si donc alors".split()
    )
)

_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;–-]\s*\d+)*)\s*\]")
# Words that deny: an answer that denies while its passages do not has changed what they say
# ("n’était accessible que depuis 21 jours" → "n’était pas accessible depuis 21 jours").
# "ne … que" only restricts, so "ne" and "n’" are not in the list.
_NEGATIONS = set("not never no none nobody nothing neither nor pas jamais aucun aucune personne rien ni".split())
_NEGATION_SUFFIX = re.compile(r"n[’']t\b", re.IGNORECASE)  # isn't, didn't


def _denies(text: str) -> bool:
    return bool(_NEGATION_SUFFIX.search(text)) or any(
        fold(w) in _NEGATIONS for w in WORD_WITH_APOSTROPHES.findall(text)
    )


def _denies_the_passages(body: str, texts: Sequence[str], scope) -> bool:
    """A clause of ``body`` denies something about a word of the passages, which deny nothing.

    A denial about something the passages do not name ("Zebra was not launched",
    for a question about Zebra) is not theirs to contradict, and is let through.
    """
    if any(_denies(t) for t in texts):
        return False
    for clause in re.split(r"[;,:]", body):
        if not _denies(clause):
            continue
        words = {fold(w) for w in WORD_WITH_APOSTROPHES.findall(clause)} - _FUNCTION_WORDS - _NEGATIONS
        if any(len(w) > 2 and not w.isdigit() and w in p.words for w in words for p in scope):
            return True
    return False


_NUMBER = re.compile(r"(?<![\w.,])\d+(?:(?:[.,]|[ \u00a0\u202f](?=\d{3}(?!\d)))\d+)*(?![\d])")
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY = r"(\d{1,2})(?!\d)(?:er|st|nd|rd|th)?"
_YEAR = r"(\d{4})(?!\d)"
_DATE_PATTERNS = [
    # 11 janvier 2025, 11 January 2025, 1er mars, 11th of January
    re.compile(rf"(?<!\d){_DAY}\s+(?:of\s+|de\s+)?({_MONTH_ALT})\b\.?(?:,?\s+{_YEAR})?"),
    # January 11, 2025; Jan. 11th
    re.compile(rf"\b({_MONTH_ALT})\b\.?\s+{_DAY}(?!\s*(?:{_MONTH_ALT})\b)(?:,?\s+{_YEAR})?"),
    # January 2025, janvier de 2025
    re.compile(rf"\b({_MONTH_ALT})\b\.?\s+(?:of\s+|de\s+)?{_YEAR}"),
    # 2025-01-11
    re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"),
    # 11/01/2025 or 01/11/2025 (day and month both tried)
    re.compile(r"(?<!\d)(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?!\d)"),
]


# -- facts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Date:
    year: int | None
    month: int | None
    day: int | None


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
    """Dates in ``text``: (start, end, possible readings). ``text`` should be folded (same length)."""
    found: list[tuple[int, int, set[Date]]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, readings: set[Date]) -> None:
        if readings and not any(s < end and start < e for s, e in taken):
            taken.append((start, end))
            found.append((start, end, readings))

    for i, pattern in enumerate(_DATE_PATTERNS):
        for m in pattern.finditer(text):
            g = m.groups()
            readings: set[Date] = set()
            if i == 0:
                day, month, year = int(g[0]), _MONTHS[g[1]], g[2]
                if 1 <= day <= 31:
                    readings.add(Date(int(year) if year else None, month, day))
            elif i == 1:
                month, day, year = _MONTHS[g[0]], int(g[1]), g[2]
                if 1 <= day <= 31:
                    readings.add(Date(int(year) if year else None, month, day))
            elif i == 2:
                readings.add(Date(int(g[1]), _MONTHS[g[0]], None))
            elif i == 3:
                y, mo, d = int(g[0]), int(g[1]), int(g[2])
                if 1 <= mo <= 12 and 1 <= d <= 31:
                    readings.add(Date(y, mo, d))
            else:
                a, b, y = int(g[0]), int(g[1]), int(g[2])
                for d, mo in ((a, b), (b, a)):
                    if 1 <= mo <= 12 and 1 <= d <= 31:
                        readings.add(Date(y, mo, d))
            add(m.start(), m.end(), readings)
    for m in re.finditer(rf"\b({'|'.join(sorted(_STANDALONE_MONTHS, key=len, reverse=True))})\b", text):
        add(m.start(), m.end(), {Date(None, _MONTHS[m.group(1)], None)})
    found.sort(key=lambda f: f[0])
    return found


def _number_readings(token: str) -> set[Decimal]:
    """The values a written number can have: "1,000" is a thousand in English and one in French."""
    token = re.sub(r"[ \u00a0\u202f]", "", token)
    readings: set[str] = set()
    seps = [c for c in token if c in ".,"]
    if not seps:
        readings.add(token)
    elif "." in seps and "," in seps:
        decimal = token[max(token.rfind("."), token.rfind(","))]
        other = "," if decimal == "." else "."
        readings.add(token.replace(other, "").replace(decimal, "."))
    elif len(seps) > 1:
        readings.add(token.replace(seps[0], ""))
    else:
        sep = seps[0]
        whole, frac = token.split(sep)
        readings.add(f"{whole}.{frac}")
        if len(frac) == 3:
            readings.add(whole + frac)
    out = set()
    for r in readings:
        try:
            out.add(Decimal(r).normalize())
        except InvalidOperation:
            pass
    return out


def find_numbers(text: str, passage: bool = False) -> list[tuple[int, int, set[Decimal]]]:
    """Numbers in folded ``text``, digits or words, with a scale word applied ("22,15 millions" → 22150000).

    In a passage, each number also keeps its unscaled readings, so that an answer
    may say "22.15 million" or "22,150,000" or just "22.15".
    """
    words = dict(NUMBER_WORDS)
    if passage:
        words.update(_PASSAGE_ONLY_NUMBER_WORDS)
    spots: list[tuple[int, int, set[Decimal]]] = [
        (m.start(), m.end(), _number_readings(m.group(0))) for m in _NUMBER.finditer(text)
    ]
    word_alt = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    for m in re.finditer(rf"(?<![\w-])({word_alt})(?![\w-])", text):
        spots.append((m.start(), m.end(), {Decimal(words[m.group(1)])}))
    spots.sort(key=lambda s: s[0])
    out = []
    for start, end, values in spots:
        scale = re.match(r"\s*(" + "|".join(sorted(_SCALES, key=len, reverse=True)) + r")\b", text[end:])
        if scale:
            # "5 m" or "7 b" is a scale only right after the digits ("5m", "7B")
            if len(scale.group(1)) == 1 and scale.group(0) != scale.group(1):
                scale = None
        if scale:
            scaled = {(v * mult).normalize() for v in values for mult in _SCALES[scale.group(1)]}
            values = values | scaled if passage else scaled
            end += scale.end()
        out.append((start, end, values))
    return out


def _name_tokens(sentence: str) -> list[str]:
    """Names in a sentence: capitalised words past its start, words with inner capitals or digits, acronyms."""
    names = []
    tokens = list(WORD_WITH_APOSTROPHES.finditer(sentence))
    for i, m in enumerate(tokens):
        word = re.sub(r"['’]s$", "", m.group(0)).strip(".'’")
        if not word or not any(c.isalpha() for c in word) or re.fullmatch(r"\d+(?:st|nd|rd|th|er|e|eme|ème)", word):
            continue
        folded = fold(word)
        if folded in _FUNCTION_WORDS or folded in _MONTHS or folded in _WEEKDAYS or folded in NUMBER_WORDS:
            continue
        inner_capital = any(c.isupper() for c in word[1:])
        has_digit = any(c.isdigit() for c in word)
        # A capital opening the sentence is grammar, unless a capitalised word follows ("Marie Dupont said").
        opens_name = i == 0 and len(tokens) > 1 and tokens[1].group(0)[:1].isupper()
        if inner_capital or has_digit or (word[0].isupper() and (i > 0 or opens_name)):
            names.append(word)
    return names


def _name_in(name: str, passage_words: set[str], acronyms: set[str]) -> bool:
    folded = fold(name)
    if folded in passage_words:
        return True
    parts = [p for p in re.split(r"[-.'’]", folded) if p]
    if len(parts) > 1 and all(p in passage_words or p.isdigit() for p in parts):
        return True
    if name.isupper() and len(name) <= 5:
        return "".join(sorted(folded)) in acronyms  # AI ↔ IA, CCP ↔ PCC
    if len(folded) < 4:
        return False
    for word in passage_words:
        if word.startswith(folded) and word[len(folded) : len(folded) + 1] in ("-", ""):
            return True
        if abs(len(word) - len(folded)) <= 3 and difflib.SequenceMatcher(None, folded, word).ratio() >= 0.8:
            return True
    return False


# -- language ------------------------------------------------------------------


def language_of(text: str) -> str | None:
    """'en' or 'fr' when the function words say so clearly, else None."""
    words = [fold(w) for w in WORD_WITH_APOSTROPHES.findall(text)]
    en = sum(w in _ENGLISH for w in words)
    fr = sum(w in _FRENCH for w in words)
    if en > fr and en >= 1:
        return "en"
    if fr > en and fr >= 1:
        return "fr"
    return None


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
                if 0 < high - low < 20:
                    out.extend(range(low, high + 1))
                    continue
            out.extend(int(b) for b in bounds if b.isdigit())
    return out


def _sentences(text: str) -> list[str]:
    """Sentences, each keeping the markers that follow its full stop ("… 2025. [1]")."""
    pieces: list[str] = []
    start = 0
    for m in re.finditer(r"(?<=[.!?])\s+", text):
        before = re.search(r"([^\W\d_]+)\.$", text[start : m.start()])
        if before and (fold(before.group(1)) in _ABBREVIATIONS or len(before.group(1)) == 1):
            continue  # "Jan. 11", "Dr. Martin", "J. Martin": not the end of a sentence
        pieces.append(text[start : m.start()])
        start = m.end()
    pieces.append(text[start:])
    pieces = [p for p in pieces if p.strip()]
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
        folded = fold(text)
        self.dates = [r for _, _, readings in find_dates(folded) for r in readings]
        self.numbers: set[Decimal] = set()
        for _, _, values in find_numbers(folded, passage=True):
            self.numbers |= values
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
    return False


def verify(answer: str, passages: Sequence[str], question: str = "") -> Verification:
    """Check a generated ``answer`` against the numbered ``passages`` (1-based, as given to the model)."""
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
    facts: list[Fact] = []
    first_failure = ""
    for sentence in _sentences(text):
        own = sorted(set(markers(sentence)))
        scope = [facts_of[n] for n in (own or cited)]
        where = ", ".join(f"[{n}]" for n in (own or cited))
        body = _MARKER.sub(" ", sentence)
        folded = fold(body)
        dates = find_dates(folded)
        for start, end, readings in dates:
            ok = any(_date_supported(r, scope) for r in readings)
            facts.append(Fact("date", body[start:end], ok))
            if not ok and not first_failure:
                first_failure = f"the date «{body[start:end]}» is not in the cited passages {where}"
        blanked = "".join(" " if any(s <= i < e for s, e, _ in dates) else c for i, c in enumerate(folded))
        for start, end, values in find_numbers(blanked):
            supported = set().union(*(p.numbers for p in scope)) if scope else set()
            ok = bool(values & supported)
            facts.append(Fact("number", body[start:end].strip(), ok))
            if not ok and not first_failure:
                first_failure = f"the number «{body[start:end].strip()}» is not in the cited passages {where}"
        for name in _name_tokens(body):
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
    q = fold(question)
    if re.search(r"\b(?:when|what date|which date|what year|which year|quand|quelle date|quelle annee)\b", q):
        return "date"
    if re.search(r"\b(?:how many|how much|what percentage|combien|quel pourcentage)\b", q):
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
    body = fold(_MARKER.sub(" ", answer))
    if kind == "date" and phrase.dates:
        readings = [r for _, _, rs in find_dates(body) for r in rs]
        if readings and not any(_date_supported(r, [phrase]) for r in readings):
            return f"its date is not the one the passages give for this question («{found}»)"
    elif kind == "number" and phrase.numbers:
        values = set().union(*(v for _, _, v in find_numbers(body))) if find_numbers(body) else set()
        if values and not values & phrase.numbers:
            return f"its number is not the one the passages give for this question («{found}»)"
    return ""
