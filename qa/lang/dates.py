"""Dates in English and French text, one grammar for every known language.

"11 janvier 2025", "1er février", "January 11, 2025", "Jan. 11th", "the
twentieth of January 2025", "le vingtième jour de janvier", "2025-01-11",
"11/01/2025" (both readings: day first and month first), "janvier 2025",
"début février", "the end of January", "mid-2024", a bare month ("in
December") and a bare year in a date's context ("en 2023", "since 1998").
A weekday before a date ("Monday, January 13, 2025", "lundi 13 janvier") is
kept with it, and ``weekday_agrees`` tells whether the date has that weekday.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from functools import lru_cache

from qa.lang import Span, alternation, fold_aligned, is_function_word, languages
from qa.lang.numbers import parse_number_words


@dataclass(frozen=True, order=True)
class Date:
    """A date as far as it is known: any of the three may be None ("janvier 2025", "le 3 août")."""

    year: int | None
    month: int | None
    day: int | None


@dataclass(frozen=True)
class DateMention:
    """A date in a text: ``text == source[start:end]``; ``readings`` its possible values (two for "03/04/2025").

    ``weekday`` (0 = Monday) when the text names one; ``part`` "start", "middle"
    or "end" for "début février", "the end of January"; ``period`` "month" or
    "year" for "début du mois", "the end of the year".
    """

    start: int
    end: int
    text: str
    readings: frozenset[Date]
    weekday: int | None = None
    part: str | None = None
    period: str | None = None

    @property
    def values(self) -> set[tuple[int | None, int | None, int | None]]:
        return {(d.year, d.month, d.day) for d in self.readings}


def weekday_of(date: Date) -> int | None:
    """0 (Monday) to 6 (Sunday) for a full date, None when year, month or day is missing or impossible."""
    if date.year is None or date.month is None or date.day is None:
        return None
    try:
        return _dt.date(date.year, date.month, date.day).weekday()
    except ValueError:
        return None


def weekday_agrees(mention: DateMention) -> bool | None:
    """Whether the weekday a mention names is the weekday of its date ("Saturday, January 11, 2025": True).

    None when there is nothing to compare (no weekday, or no full date)."""
    if mention.weekday is None:
        return None
    days = {weekday_of(d) for d in mention.readings} - {None}
    if not days:
        return None
    return mention.weekday in days


def _valid(year: int | None, month: int | None, day: int | None) -> bool:
    if month is not None and not 1 <= month <= 12:
        return False
    if day is None:
        return True
    if month is None or not 1 <= day <= 31:
        return False
    try:
        _dt.date(year if year is not None else 2000, month, day)  # 2000: a leap year, for "29 février"
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class _Grammar:
    months: dict[str, int]  # folded names and abbreviations
    weekdays: dict[str, int]
    parts: dict[str, str]
    periods: dict[str, str]
    year_context: frozenset[str]
    patterns: tuple[tuple[str, re.Pattern], ...]
    standalone_month: re.Pattern
    weekday: re.Pattern
    year: re.Pattern


@lru_cache(maxsize=8)
def _grammar(code: str | None) -> _Grammar:
    langs = languages(code)
    months: dict[str, int] = {}
    weekdays: dict[str, int] = {}
    parts: dict[str, str] = {}
    periods: dict[str, str] = {}
    standalone: set[str] = set()
    suffixes: set[str] = set()
    day_words: set[str] = set()
    articles: set[str] = set()
    of: set[str] = set()
    number_words: set[str] = set()
    joiners: set[str] = set()
    for lang in langs:
        months |= lang.all_months
        standalone |= set(lang.months) - lang.ambiguous_months
        weekdays |= {w: i for i, w in enumerate(lang.weekdays)} | lang.weekday_abbreviations
        parts |= lang.date_parts
        periods |= lang.period_words
        suffixes |= set(lang.ordinal_suffixes)
        day_words |= lang.day_words
        articles |= lang.date_articles
        of |= lang.date_of
        number_words |= {*lang.number_words, *lang.ordinals}
        joiners |= lang.number_joiners
    month = rf"(?P<month>{alternation(months)})(?![\w-])\.?"
    weekday = rf"(?:(?P<weekday>{alternation(weekdays)})(?![\w-])\.?,?\s+(?:(?:{alternation(articles)})\s+)?)?"
    day_number = rf"(?P<day>\d{{1,2}})(?!\d)(?:{alternation(suffixes)})?(?![\w])"
    word = alternation(number_words)
    day_words_re = (
        rf"(?P<dayword>(?:{word})(?:(?:-|\s+)(?:(?:{alternation(joiners)})(?:-|\s+))?(?:{word})){{0,3}})(?![\w-])"
    )
    day = rf"(?:{day_number}|{day_words_re})(?:\s+(?:{alternation(day_words)}))?"
    year = r"(?P<year>\d{4})(?!\d)"
    link = rf"(?:(?:{alternation(of)})\s*)?"
    part = rf"(?P<part>{alternation(parts)})"
    fillers = of | articles | set(periods)
    connectors = rf"(?:(?:{alternation(fillers)})\s*){{0,4}}"
    patterns = (
        # 2025-01-11, 2025/01/11
        ("iso", re.compile(r"(?<![\d.])(?P<year>\d{4})([-/])(?P<m>\d{1,2})\2(?P<d>\d{1,2})(?![\d])")),
        # 11/01/2025, 01.11.2025: day first and month first
        ("numeric", re.compile(r"(?<![\d./])(?P<a>\d{1,2})([/.])(?P<b>\d{1,2})\2(?P<year>\d{4})(?![\d])")),
        # lundi 11 janvier 2025, the twentieth of January 2025, le vingtième jour de janvier, 1er mars
        ("day month", re.compile(rf"(?<![\w-]){weekday}{day}\s+{link}{month}(?:,?\s+{year})?")),
        # Monday, January 11, 2025; Jan. 11th; January the twentieth
        (
            "month day",
            re.compile(
                rf"(?<![\w-]){weekday}{month}\s+(?:the\s+)?{day}(?!\s*(?:{alternation(months)})\b)(?:,?\s+{year})?"
            ),
        ),
        # janvier 2025, January of 2025
        ("month year", re.compile(rf"(?<![\w-]){month}\s+{link}{year}")),
        # début février, fin janvier 2025, mi-février, the end of January, early 2025, début du mois
        (
            "part",
            re.compile(
                rf"(?<![\w-])(?:the\s+)?{part}(?:-|\s+){connectors}"
                rf"(?:{month}(?:\s+{year})?|(?P<year_alone>\d{{4}})(?!\d)|(?P<period>{alternation(periods)})(?![\w-]))"
            ),
        ),
    )
    return _Grammar(
        months=months,
        weekdays=weekdays,
        parts=parts,
        periods=periods,
        year_context=frozenset().union(*(lang.year_context for lang in langs)) if langs else frozenset(),
        patterns=patterns,
        standalone_month=re.compile(rf"(?<![\w-])(?P<month>{alternation(standalone)})(?![\w-])"),
        weekday=re.compile(rf"(?<![\w-])(?P<weekday>{alternation(w for w in weekdays if len(w) > 4)})(?![\w-])"),
        year=re.compile(
            r"(?<![\w.,/:-])(?<!\d{4}-)(?P<year>1[89]\d\d|20\d\d)(?![\w]|[.,]\d)|(?<=\d{4}-)(?P<year_range>1[89]\d\d|20\d\d)(?![\w]|[.,]\d)"
        ),
    )


def find_dates(text: str, language: str | None = None) -> list[DateMention]:
    """Dates in ``text``, in order, without overlaps (the longest reading of a place wins).

    ``language``: "en" or "fr" to read only that language's words, None for all
    known ones; an unknown language still gets the numeric forms ("2025-01-11").
    """
    return list(_find_dates(text, language))


@lru_cache(maxsize=8192)
def _find_dates(text: str, language: str | None) -> tuple[DateMention, ...]:
    g = _grammar(language)
    folded = fold_aligned(text)
    candidates: list[DateMention] = []
    for name, pattern in g.patterns:
        if name != "iso" and name != "numeric" and not g.months:
            continue
        for m in pattern.finditer(folded):
            mention = _read(name, m, text, g, language)
            if mention is not None:
                candidates.append(mention)
    for m in g.standalone_month.finditer(folded):
        candidates.append(_mention(text, m.start(), m.end(), {Date(None, g.months[m.group("month")], None)}))
    for m in g.weekday.finditer(folded):
        candidates.append(_mention(text, m.start(), m.end(), set(), weekday=g.weekdays[m.group("weekday")]))
    for m in g.year.finditer(folded):
        if m.group("year_range") or _year_in_date_context(folded, m.start(), m.end(), g):
            candidates.append(_mention(text, m.start(), m.end(), {Date(int(m.group(0)), None, None)}))
    # Longest first, then leftmost; a place belongs to one date.
    candidates.sort(key=lambda d: (-(d.end - d.start), d.start))
    chosen: list[DateMention] = []
    for mention in candidates:
        if not any(c.start < mention.end and mention.start < c.end for c in chosen):
            chosen.append(mention)
    return tuple(sorted(chosen, key=lambda d: d.start))


def _mention(text, start, end, readings, weekday=None, part=None, period=None) -> DateMention:
    return DateMention(start, end, text[start:end], frozenset(readings), weekday, part, period)


def _read(name: str, m: re.Match, text: str, g: _Grammar, language: str | None) -> DateMention | None:
    groups = m.groupdict()
    year_text = groups.get("year") or groups.get("year_alone")
    year = int(year_text) if year_text else None
    weekday = g.weekdays.get(groups.get("weekday") or "")
    readings: set[Date] = set()
    if name == "iso":
        month, day = int(groups["m"]), int(groups["d"])
        if _valid(year, month, day):
            readings.add(Date(year, month, day))
    elif name == "numeric":
        a, b = int(groups["a"]), int(groups["b"])
        for day, month in ((a, b), (b, a)):
            if _valid(year, month, day):
                readings.add(Date(year, month, day))
    elif name in ("day month", "month day"):
        month = g.months[groups["month"]]
        day = _day(groups, m, text, language, ordinal_only=name == "month day")
        if day is None or not _valid(year, month, day):
            return None
        readings.add(Date(year, month, day))
    elif name == "month year":
        readings.add(Date(year, g.months[groups["month"]], None))
    else:
        month = g.months[groups["month"]] if groups.get("month") else None
        readings.add(Date(year, month, None))
        part = g.parts[groups["part"]]
        period = g.periods.get(groups.get("period") or "")
        start = m.start("part")
        return _mention(text, start, m.end(), readings, None, part, period)
    if not readings:
        return None
    start = m.start("weekday") if groups.get("weekday") else _first_group_start(m)
    end = m.end()
    while end > start and text[end - 1] in " ,":
        end -= 1
    return _mention(text, start, end, readings, weekday)


def _first_group_start(m: re.Match) -> int:
    starts = [m.start(k) for k, v in m.groupdict().items() if v is not None and m.start(k) >= 0]
    return min(starts) if starts else m.start()


def _day(groups: dict, m: re.Match, text: str, language: str | None, ordinal_only: bool) -> int | None:
    """The day of a "day month" or "month day" date, written in digits or in words."""
    if groups.get("day"):
        return int(groups["day"])
    words = groups.get("dayword")
    if not words:
        return None
    numbers = parse_number_words(text[m.start("dayword") : m.end("dayword")], language, include_ambiguous=True)
    if len(numbers) != 1 or numbers[0][1] - numbers[0][0] != len(words):
        return None
    _, _, value, ordinal = numbers[0]
    if ordinal_only and not ordinal:
        return None
    return value if 1 <= value <= 31 else None


def _year_in_date_context(folded: str, start: int, end: int, g: _Grammar) -> bool:
    """A bare year is a date after "in", "en", "since", "depuis"... or standing alone before punctuation;
    not when a unit follows it ("2048 bytes") or a digit group precedes it ("1 999")."""
    before = folded[:start].rstrip()
    after = folded[end:]
    if re.search(r"\d$", before) or re.match(r"\s*%", after):
        return False
    previous = re.search(r"([^\W\d_][\w']*)$", before)
    unit = re.match(r"\s+([^\W\d_]+)", after)
    if unit and not is_function_word(unit.group(1)) and unit.group(1) not in g.months:
        if previous is None or previous.group(1) not in g.year_context:
            return False
    if previous is not None and (
        previous.group(1) in g.year_context or previous.group(1).split("'")[-1] in g.year_context
    ):
        return True
    if re.search(r"(?:^|[(\[,;:«\"])$", before) and re.match(r"\s*(?:$|[)\].,;:!?»\"]|[-–]\s*\d{4})", after):
        return True
    if re.match(r"[-–]\d{4}(?!\d)", after):
        return True  # 2013-2021
    return (
        bool(re.match(r"\s*(?:$|[)\].;:!?»]|,\s)", after))
        and previous is not None
        and not is_function_word(previous.group(1))
    )


def date_spans(text: str, language: str | None = None) -> list[Span]:
    """Spans of the dates in ``text`` (see find_dates), for answers."""
    return [Span(d.start, d.end, d.text, "date") for d in find_dates(text, language)]
