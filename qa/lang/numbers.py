"""Numbers in English and French text: digits or words, with their scale, unit and currency.

"22,15 millions d'utilisateurs" is 22150000 (unit "utilisateurs"), "41,6 %" is
41.6 percent, "ninety-nine" 99, "vingt-et-un" 21, "quatre-vingt-dix" 90, "the
twentieth" the ordinal 20, "1,5 milliard de dollars" money in USD. Where the
writing is ambiguous every reading is kept: "1,234" is 1234 in English and
1.234 in French, and "billion" is 10^9 in English but 10^12 in French. A
version ("2.6.30", "Python 3.1", "version 5.6") and an identifier ("R1",
"GPT-4") are not quantities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from qa.lang import Span, alternation, fold, fold_aligned, is_function_word, languages

NUMBER, PERCENT, MONEY, ORDINAL, VERSION = "number", "percent", "money", "ordinal", "version"
REFERENCE = "reference"  # "section 1.1", "page 12", "tableau 4": where something is, not how much

_SPACES = " \u00a0\u202f"
# Digits, grouped by spaces ("1 500 000") or by dots and commas; not inside a word ("R1", "GPT-4", "x86").
_DIGITS = re.compile(
    rf"(?<![\w.,\-/:@#])(?:\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?!\d)(?:[.,]\d+)?|\d+(?:[.,]\d+)*|\.\d+)(?![.,]\d)"
)  # ".08em": typeset lengths drop the leading zero
# Units of measure written against the number ("10pt", "2cm", ".08em", "300dpi"): the same in every
# language (SI and typesetting). Not "3D", "4o", "64bit" (parts of names), nor "5k", "7B" (scales).
UNITS_OF_MEASURE = frozenset(
    """pt bp pc dd cc sp em ex mu in cm mm px dpi ppi km kg mg ml cl hz khz mhz ghz kb mb gb tb kib mib gib
    tib ms ns""".split()
)
_CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₽": "RUB", "₩": "KRW"}
_CURRENCY_CODES = frozenset("USD EUR GBP JPY CNY CHF INR RUB KRW CAD AUD".split())
_VERSION_WORDS = frozenset({"version", "versions", "release", "v"})
_CODES = "|".join(sorted(_CURRENCY_CODES))


@dataclass(frozen=True)
class NumberMention:
    """A number in a text: ``text == source[start:end]`` covers the number, its scale and any % or currency.

    ``values`` are its readings with the scale applied; ``bare`` before the scale
    ("22,15 millions": 22150000 and 22.15). ``unit`` is the noun after it, "%" or
    a currency code, and ``unit_end`` where that noun ends.
    """

    start: int
    end: int
    text: str
    values: frozenset[Decimal]
    bare: frozenset[Decimal]
    kind: str = NUMBER  # number, percent, money, ordinal, version
    unit: str | None = None
    unit_end: int | None = None
    currency: str | None = None
    in_words: bool = False
    core: tuple[int, int] | None = None  # the number and its scale alone, without sign, percent or currency

    @property
    def number_text(self) -> str:
        """The number as written, with its scale, without % or currency ("22,15 millions", "9")."""
        if self.core is None:
            return self.text
        return self.text[self.core[0] - self.start : self.core[1] - self.start]


def digit_readings(token: str) -> set[Decimal]:
    """The values a written number can have: "1,000" is a thousand in English and one in French."""
    token = re.sub(f"[{_SPACES}]", "", token)
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
        whole, frac = token.split(seps[0])
        readings.add(f"{whole}.{frac}")
        if len(frac) == 3 and whole:
            readings.add(whole + frac)
    out = set()
    for r in readings:
        try:
            out.add(Decimal(r).normalize())
        except InvalidOperation:
            pass
    return out


def _is_version_shape(token: str) -> bool:
    """ "2.6.30", "3.1.1.3": several separators that are not thousands grouping ("1,500,000")."""
    seps = re.findall(r"[.,]", token)
    if len(seps) < 2:
        return False
    groups = re.split(r"[.,]", token)
    if len(set(seps)) == 1 and all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3:
        return False  # 1,500,000 or 1.500.000
    if len(set(seps)) == 2 and seps.count(seps[-1]) == 1 and all(len(g) == 3 for g in groups[1:-1]):
        return False  # 1,234.56 or 1.234,56
    return True


# -- number words -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Words:
    """Number words of some languages, folded: values, which multiply, which join, which are ordinals."""

    cardinals: dict[str, int]
    ordinals: dict[str, int]
    plurals: dict[str, str]
    joiners: frozenset[str]
    ambiguous: frozenset[str]
    one_articles: frozenset[str]
    common_ordinals: frozenset[str]
    scales: dict[str, frozenset[int]]
    abbreviations: dict[str, frozenset[int]]
    ordinal_suffixes: tuple[str, ...]
    percent: tuple[str, ...]
    currencies: dict[str, str]
    unit_links: frozenset[str]
    dozens: frozenset[str]
    reference_nouns: frozenset[str]
    phrase: re.Pattern


@lru_cache(maxsize=8)
def _words(code: str | None) -> _Words:
    langs = languages(code)
    cardinals: dict[str, int] = {}
    ordinals: dict[str, int] = {}
    plurals: dict[str, str] = {}
    scales: dict[str, set[int]] = {}
    abbreviations: dict[str, set[int]] = {}
    currencies: dict[str, str] = {}
    for lang in langs:
        cardinals |= lang.number_words
        ordinals |= lang.ordinals
        plurals |= lang.plural_number_words
        currencies |= lang.currencies
        for word, value in lang.scales.items():
            scales.setdefault(word, set()).add(value)
        for word, value in lang.scale_abbreviations.items():
            abbreviations.setdefault(word, set()).add(value)
    joiners = frozenset().union(*(lang.number_joiners for lang in langs)) if langs else frozenset()
    base = alternation([*cardinals, *ordinals, *plurals])
    join = alternation(joiners)
    # A run of number words joined by hyphens, spaces or "et"/"and"; _parse splits it into numbers.
    phrase = re.compile(rf"(?<![\w-])(?:{base})(?:(?:-|\s+)(?:(?:{join})(?:-|\s+))?(?:{base}))*(?![\w-])")
    return _Words(
        cardinals=cardinals,
        ordinals=ordinals,
        plurals=plurals,
        joiners=joiners,
        ambiguous=frozenset().union(*(lang.ambiguous_number_words for lang in langs)) if langs else frozenset(),
        one_articles=frozenset().union(*(lang.one_articles for lang in langs)) if langs else frozenset(),
        common_ordinals=frozenset().union(*(lang.common_ordinals for lang in langs)) if langs else frozenset(),
        scales={w: frozenset(v) for w, v in scales.items()},
        abbreviations={w: frozenset(v) for w, v in abbreviations.items()},
        ordinal_suffixes=tuple(sorted({s for lang in langs for s in lang.ordinal_suffixes}, key=len, reverse=True)),
        percent=tuple(p for lang in langs for p in lang.percent_words),
        currencies=currencies,
        unit_links=frozenset().union(*(lang.unit_links for lang in langs)) if langs else frozenset(),
        dozens=frozenset().union(*(lang.dozens for lang in langs)) if langs else frozenset(),
        reference_nouns=frozenset().union(*(lang.reference_nouns for lang in langs)) if langs else frozenset(),
        phrase=phrase,
    )


def _kind_of(word: str, w: _Words) -> tuple[str, int]:
    """(kind, value) of one folded number word: unit, teen, ten, hundred, thousand, dozen or ordinal."""
    word = w.plurals.get(word, word)
    if word in w.ordinals:
        return "ordinal", w.ordinals[word]
    value = w.cardinals[word]
    if word in w.dozens:
        return "dozen", value
    if value == 100:
        return "hundred", 100
    if value == 1000:
        return "thousand", 1000
    return ("unit" if value < 10 else "teen" if value < 20 else "ten"), value


def parse_number_words(
    text: str, code: str | None = None, include_ambiguous: bool = False
) -> list[tuple[int, int, int, bool]]:
    """Numbers written in words in ``text``: (start, end, value, is_ordinal), in order.

    "ninety-nine", "two hundred and five", "vingt et un", "quatre-vingt-dix-neuf",
    "twenty-first", "vingtième". A run of words that is not one number ("two
    three") gives several.
    """
    w = _words(code)
    folded = fold_aligned(text)
    out: list[tuple[int, int, int, bool]] = []
    for run in w.phrase.finditer(folded):
        tokens = [
            (run.start() + m.start(), run.start() + m.end(), m.group(0)) for m in re.finditer(r"[^\s-]+", run.group(0))
        ]
        i = 0
        while i < len(tokens):
            number = _one_number(tokens, i, w, include_ambiguous)
            if number is None:
                i += 1
                continue
            j, value, ordinal = number
            out.append((tokens[i][0], tokens[j - 1][1], value, ordinal))
            i = j
    return out


class _Number:
    """A number being read word by word: total (thousands and above) + current (below a thousand)."""

    def __init__(self):
        self.total = 0
        self.current = 0
        self.previous: str | None = None  # kind of the last word
        self.last = 0  # value of the last word

    def accepts(self, kind: str, value: int, joined: bool) -> bool:
        """Whether a word of that kind and value may come next (``joined``: after "et"/"and")."""
        p, below_hundred = self.previous, self.current % 100
        if kind == "ordinal":  # an ordinal word ends the number: its last word
            if value < 10:
                return (
                    p is None
                    or p in ("hundred", "thousand")
                    or (p == "ten" and (value == 1 or not joined))
                    or (p == "teen" and self.last == 10 and below_hundred in (10, 70, 90) and not joined)
                )
            if value < 20:
                return p is None or p in ("hundred", "thousand") or (p == "ten" and below_hundred in (60, 80))
            if value == 20:
                return p is None or (p == "unit" and self.last == 4 and not joined)
            return p is None or (p in ("unit", "teen", "ten") and value in (100, 1000) and not joined)
        if joined:  # "vingt et un", "soixante et onze", "hundred and five", "thousand and one"
            if p == "ten":
                return (kind == "unit" and value == 1) or (kind == "teen" and value == 11)
            return p in ("hundred", "thousand") and kind in ("unit", "teen", "ten")
        if p is None:
            return True
        if kind == "unit":
            return (
                p in ("hundred", "thousand")
                or (p == "ten" and below_hundred % 10 == 0)
                or (p == "teen" and self.last == 10 and below_hundred in (10, 70, 90))
            )  # "dix-sept", "quatre-vingt-dix-neuf"
        if kind == "teen":
            return p in ("hundred", "thousand") or (p == "ten" and below_hundred in (60, 80))
        if kind == "ten":
            return p in ("hundred", "thousand") or (p == "unit" and self.last == 4 and value == 20)  # quatre-vingt
        if kind == "hundred":
            return p in ("unit", "teen", "thousand")
        if kind == "thousand":
            return p in ("unit", "teen", "ten", "hundred") and self.total == 0
        if kind == "dozen":
            return p == "unit"
        return False

    def add(self, kind: str, value: int) -> None:
        if kind in ("ten", "ordinal") and self.previous == "unit" and value == 20:
            self.current += self.last * 20 - self.last  # quatre-vingt(s)
        elif value == 1000 and kind in ("thousand", "ordinal"):
            self.total, self.current = self.total + max(self.current, 1) * 1000, 0
        elif value == 100 and kind in ("hundred", "ordinal"):
            self.current = self.current - self.current % 100 + max(self.current % 100, 1) * 100
        elif kind == "dozen":
            self.current = max(self.current, 1) * value
        else:
            self.current += value
        self.previous, self.last = kind, value

    @property
    def value(self) -> int:
        return self.total + self.current


def _one_number(tokens, i, w: _Words, include_ambiguous: bool = False):
    """The longest number starting at token ``i``: (index after it, value, is_ordinal), or None."""
    word = tokens[i][2]
    if word in w.joiners or word in w.plurals:
        return None  # "cents" alone is a coin, not a hundred
    number = _Number()
    best = None
    j = i
    joined = False
    while j < len(tokens):
        word = tokens[j][2]
        if word in w.joiners:
            if joined or number.previous is None:
                break
            joined = True
            j += 1
            continue
        kind, value = _kind_of(word, w)
        if not number.accepts(kind, value, joined):
            break
        number.add(kind, value)
        joined = False
        j += 1
        best = (j, number.value, kind == "ordinal")
        if kind == "ordinal":
            break
    if best is None:
        return None
    if best[0] == i + 1 and tokens[i][2] in w.ambiguous and not include_ambiguous:
        return None  # a lone "one", "un", "une": a pronoun or an article, not a count
    return best


# -- mentions -----------------------------------------------------------------------------------


def find_numbers(text: str, language: str | None = None, include_ambiguous: bool = False) -> list[NumberMention]:
    """Numbers in ``text``, in order: digits and number words, ordinals, percentages, money, versions.

    ``include_ambiguous`` also reads the lone "one", "un", "une" (a passage's
    "un jour" can back an answer's "1 day").
    """
    return list(_find_numbers(text, language, include_ambiguous))


@lru_cache(maxsize=8192)
def _find_numbers(text: str, language: str | None, include_ambiguous: bool) -> tuple[NumberMention, ...]:
    w = _words(language)
    folded = fold_aligned(text)
    found: list[NumberMention] = []
    taken: list[tuple[int, int]] = []
    for m in _DIGITS.finditer(text):
        start, end, token = m.start(), m.end(), m.group(0)
        rest = text[end:]
        if re.match(r":\d", rest):
            continue  # a time of day
        kind = NUMBER
        suffix = re.match(r"[^\W\d_]+", rest)
        if suffix:
            letters = suffix.group(0)
            if fold(letters) in w.ordinal_suffixes and "." not in token and "," not in token:
                found.append(_mention(text, start, end + len(letters), {Decimal(int(token))}, set(), ORDINAL))
                taken.append((start, end + len(letters)))
                continue
            if letters not in w.abbreviations and fold(letters) not in UNITS_OF_MEASURE:
                continue  # "4o", "3D", "64bit": part of a name
        if _is_version_shape(token):
            kind = VERSION
            values: set[Decimal] = set()
        else:
            values = digit_readings(token)
        if kind == NUMBER and _after_version_word(text, folded, start):
            kind = VERSION
        elif _after_word(folded, start, w.reference_nouns):
            kind = REFERENCE
        mention = _finish(text, folded, start, end, values, kind, w, words=False)
        if kind == REFERENCE and (amount := _finish(text, folded, start, end, values, NUMBER, w, words=False)).currency:
            mention = amount  # "frais de port 5 euros": an amount after the noun, not the port numbered 5
        found.append(mention)
        taken.append((start, found[-1].end))
    scale_follows = re.compile(rf"[{_SPACES}]+(?:{alternation(w.scales)})(?![\w-])") if w.scales else None
    for start, end, value, ordinal in parse_number_words(text, language, include_ambiguous=True):
        if any(s < end and start < e for s, e in taken):
            continue
        word = folded[start:end]
        if word in w.ambiguous:
            # a lone "one", "un", "une" counts before a scale ("un million"), or where asked for
            scaled = scale_follows is not None and scale_follows.match(folded, end)
            if not scaled and (not include_ambiguous or _is_article_of_name(text, end)):
                continue
        if ordinal:
            found.append(_mention(text, start, end, {Decimal(value)}, set(), ORDINAL, in_words=True))
            continue
        found.append(_finish(text, folded, start, end, {Decimal(value)}, NUMBER, w, words=True))
        taken.append((start, found[-1].end))
    # "a hundred", "a million", "a dozen": the article counts as one
    articles = w.one_articles - set(w.cardinals)
    multipliers = [word for word, value in w.cardinals.items() if value in (100, 1000) or word in w.dozens]
    if articles and (w.scales or multipliers):
        one = re.compile(
            rf"(?<![\w-])(?:{alternation(articles)})[{_SPACES}]+(?=(?:{alternation([*w.scales, *multipliers])})(?![\w-]))"
        )
        for m in one.finditer(folded):
            follower = next((n for n in found if n.start == m.end()), None)
            if follower is not None:
                found.remove(follower)
                found.append(
                    _finish(text, folded, m.start(), follower.core[1], set(follower.values), NUMBER, w, words=True)
                )
            else:
                found.append(_finish(text, folded, m.start(), m.end() - 1, {Decimal(1)}, NUMBER, w, words=True))
    found.sort(key=lambda n: n.start)
    # One number per place: a longer mention wins ("cent" inside "deux cents" is not another number).
    out: list[NumberMention] = []
    for mention in found:
        if out and mention.start < out[-1].end:
            if mention.end - mention.start > out[-1].end - out[-1].start:
                out[-1] = mention
            continue
        out.append(mention)
    _versions_after_names(text, out)
    return tuple(out)


def _is_article_of_name(text: str, end: int) -> bool:
    """ "Un Koala": "un" before a capitalised word is an article."""
    following = text[end:].lstrip()
    return following[:1].isupper()


def _after_version_word(text: str, folded: str, start: int) -> bool:
    return _after_word(folded, start, _VERSION_WORDS)


def _after_word(folded: str, start: int, words: frozenset[str]) -> bool:
    """The word right before ``start`` is one of ``words`` ("version 3", "section 1.1")."""
    before = folded[max(0, start - 12) : start].rstrip()
    word = re.search(r"([^\W\d_]+)$", before)
    return word is not None and word.group(1) in words


def _versions_after_names(text: str, mentions: list[NumberMention]) -> None:
    """ "Python 3.1", "Debian 8", "DALL-E 3": a bare number right after a name is its version, not a count."""
    for i, m in enumerate(mentions):
        if m.kind != NUMBER or m.in_words or m.unit or m.values != m.bare:
            continue
        before = re.search(r"([^\W\d_][\w.+-]*) $", text[: m.start])
        if before is None:
            continue
        name = before.group(1)
        if not (name[0].isupper() or any(c.isupper() for c in name[1:])):
            continue
        if is_function_word(fold(name)) or fold(name) in _calendar_words():
            continue
        if fold(name) in _sentence_openers():
            continue  # "Environ 300", "Nearly 300": not a name
        mentions[i] = NumberMention(m.start, m.end, m.text, m.values, m.bare, VERSION, core=m.core)


@lru_cache(maxsize=1)
def _sentence_openers() -> frozenset[str]:
    return frozenset().union(*(lang.sentence_openers for lang in languages()))


@lru_cache(maxsize=1)
def _calendar_words() -> frozenset[str]:
    from qa.lang import CALENDAR_WORDS

    return CALENDAR_WORDS


def _mention(text, start, end, values, bare, kind, in_words=False, unit=None, unit_end=None, currency=None, core=None):
    return NumberMention(
        start,
        end,
        text[start:end],
        frozenset(values),
        frozenset(bare or values),
        kind,
        unit,
        unit_end,
        currency,
        in_words,
        core or (start, end),
    )


def _finish(text: str, folded: str, start: int, end: int, values: set[Decimal], kind: str, w: _Words, words: bool):
    """Extend a number with its scale, percent sign, currency and unit noun."""
    bare = set(values)
    currency = None
    core_start = start
    # A currency sign or code before it: "$5", "€ 1,5 million", "USD 20".
    before = re.search(rf"(US\s?\$|[$€£¥₹₽₩]|\b(?:{_CODES}))\s?$", text[max(0, start - 5) : start])
    if before and kind == NUMBER:
        sign = before.group(1)
        currency = sign if sign.isalpha() else _CURRENCY_SYMBOLS[sign[-1]]
        start -= len(before.group(0))
        kind = MONEY
    if kind in (VERSION, REFERENCE):
        return _mention(text, start, end, values, bare, kind)
    glued = re.match(r"([^\W\d_]+)(?![\w])", text[end:])
    if not words and glued and fold(glued.group(1)) in UNITS_OF_MEASURE:
        unit_end = end + glued.end()
        return _mention(text, start, unit_end, values, bare, NUMBER, words, glued.group(1), unit_end, core=(start, end))
    # Scale: "22,15 millions", "7B", "5k", "three million".
    scale = None
    attached = re.match(r"([^\W\d_]+)(?![\w])", text[end:])
    if not words and attached and attached.group(1) in w.abbreviations:
        scale = w.abbreviations[attached.group(1)]
        end += len(attached.group(1))
    elif w.scales:
        spoken = re.match(rf"[{_SPACES}]+({alternation(w.scales)})(?![\w-])", folded[end:])
        if spoken:
            scale = w.scales[spoken.group(1)]
            end += spoken.end()
    if scale:
        values = {(v * s).normalize() for v in values for s in scale}
    core = (core_start, end)
    # Percent: "41,6 %", "12 percent", "5 pour cent".
    percent = re.match(rf"[{_SPACES}]?%", folded[end:])
    if percent is None and w.percent:
        percent = re.match(rf"[{_SPACES}]+(?:{alternation(w.percent)})(?![\w-])", folded[end:])
    if percent:
        end += percent.end()
        return _mention(text, start, end, values, bare, PERCENT, words, "%", end, core=core)
    # Currency after it: "5 €", "20 USD", "1,5 milliard de dollars" (a link word only after a scale).
    links = alternation(w.unit_links)
    link = rf"(?:(?:{links})[{_SPACES}]*)?" if scale else ""
    after = re.match(
        rf"[{_SPACES}]*{link}([$€£¥₹₽₩]|{alternation(w.currencies)}|{_CODES.lower()})(?![\w])", folded[end:]
    )
    if after:
        found = after.group(1)
        code = _CURRENCY_SYMBOLS.get(found) or w.currencies.get(found) or found.upper()
        end += after.end()
        return _mention(text, start, end, values, bare, MONEY, words, code, end, code, core)
    if kind == MONEY:
        return _mention(text, start, end, values, bare, MONEY, words, currency, end, currency, core)
    # The unit: the noun after it ("21 jours", "22,15 millions d'utilisateurs", "five repositories").
    unit = re.match(rf"[{_SPACES}\n]+(?:(?:{links})[{_SPACES}]*)?([^\W\d_][\w'-]*)", folded[end:])
    if unit:
        noun = text[end + unit.start(1) : end + unit.end(1)]
        plain_capital = noun[:1].isupper() and noun[1:].islower() and len(noun) > 2
        if not plain_capital and not is_function_word(unit.group(1)) and unit.group(1) not in _calendar_words():
            return _mention(text, start, end, values, bare, NUMBER, words, noun, end + unit.end(), core=core)
    return _mention(text, start, end, values, bare, NUMBER, words, core=core)


# -- answer spans ----------------------------------------------------------------------------


def find_quantities(text: str, language: str | None = None) -> list[Span]:
    """Spans answering "how many": numbers with their unit ("21 jours", "22,15 millions d'utilisateurs",
    "41,6 %"), not dates, versions, ordinals or parts of names."""
    from qa.lang.dates import find_dates

    dates = [(d.start, d.end) for d in find_dates(text, language)]
    out = []
    for m in find_numbers(text, language):
        if m.kind in (VERSION, ORDINAL, REFERENCE):
            continue
        end = m.unit_end if m.unit_end else m.end
        if any(s < end and m.start < e for s, e in dates):
            continue
        out.append(Span(m.start, end, text[m.start : end], m.kind))
    return out


def find_money(text: str, language: str | None = None) -> list[Span]:
    """Spans of amounts of money: "1,5 milliard de dollars", "$20", "300 000 €"."""
    return [Span(m.start, m.end, m.text, MONEY) for m in find_numbers(text, language) if m.kind == MONEY]


def measure_asked(focus: str | None) -> str | None:
    """What a quantity question measures when its focus names it: "combien de temps" and "how
    much time" ask for a duration (None when the focus is what is counted: "how many users")."""
    if not focus:
        return None
    return next((lang.measures[focus] for lang in languages() if focus in lang.measures), None)


def measures(quantity: str) -> set[str]:
    """What a quantity is measured in, from its unit words: "10 jours" is a duration."""
    words = [fold(w) for w in re.findall(r"[^\W\d_]+", quantity)]
    return {lang.units[w] for lang in languages() for w in words if w in lang.units}
