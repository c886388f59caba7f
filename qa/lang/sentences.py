"""Sentence boundaries inside one paragraph, in any known language (punctuation alone in the others).

A sentence ends at . ! ? or … (followed by any closing quotes or brackets, and
French spacing before ? ! and » is fine) when whitespace and a plausible
sentence start follow: a capital, a digit, an opening quote or bracket, code
markup. Line breaks inside the paragraph are only spaces (hard-wrapped text).
It does not end after an abbreviation ("e.g.", "M.", "etc."), an initial
("J. Martin"), a short month before a day ("Jan. 11"), or inside inline code
(``sys.path.append``, `x. Y`). Dotted names, versions, paths and URLs hold no
dot followed by a space, so they are never cut.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.lang import fold, languages

_SPACE = "\\s\u00a0\u202f"
# A run of sentence punctuation, then closing quotes or brackets (» may follow a space).
_END = re.compile(rf"[.!?…]+(?:[{_SPACE}]*»|[\"'”’)\]])*")
_OPENERS = "\"'«“‘([¿¡`*"
# Inline code: ``literal``, :role:`target`, `code` (never across a blank line).
_INLINE_CODE = re.compile(r"``(?:(?!``).)+?``|(?::[\w:.-]+:)?`[^`\n]+`", re.DOTALL)


@lru_cache(maxsize=8)
def _abbreviations(language: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """(abbreviations, short month names) of the languages of ``language`` (all known ones when None)."""
    langs = languages(language)
    abbreviations = frozenset().union(*(lang.abbreviations for lang in langs)) if langs else frozenset()
    months = frozenset().union(*(lang.month_abbreviations.keys() for lang in langs)) if langs else frozenset()
    return abbreviations, months


def _starts_sentence(text: str, at: int, end: int) -> bool:
    """Whether a sentence can start at ``at``: an opening mark or code, or a capital or digit."""
    i = at
    opened = False
    while i < end and text[i] in _OPENERS:
        opened = True
        if text[i] == "`":
            return True
        i += 1
    while opened and i < end and text[i] in " \u00a0\u202f":
        i += 1
    if i >= end:
        return opened
    c = text[i]
    return c.isupper() or c.isdigit() or (opened and c.isalpha())


def _is_abbreviation(text: str, dot: int, start: int, language: str | None) -> bool:
    """The dot at ``dot`` ends an abbreviation or an initial, not a sentence."""
    if language is not None and not languages(language):
        return False  # an unknown language: punctuation alone
    k = dot
    while k > start and not text[k - 1].isspace() and text[k - 1] not in _OPENERS:
        k -= 1
    token = text[k:dot]
    if not token:
        return False
    abbreviations, months = _abbreviations(language)
    folded = fold(token)
    if folded in abbreviations:
        return True
    # Initials: "J.", "J.-C.", "U.S."
    parts = [p for p in re.split(r"[.-]", token) if p]
    if parts and all(len(p) == 1 and p.isalpha() for p in parts) and token[0].isupper():
        return True
    if folded in months:
        following = text[dot + 1 : dot + 4].lstrip()
        return following[:1].isdigit()
    return False


def sentence_spans(text: str, start: int = 0, end: int | None = None, language: str | None = None):
    """(start, end) of each sentence of the paragraph ``text[start:end]``, trimmed of whitespace.

    ``language`` picks the abbreviations ("en", "fr"; all known ones when None);
    a language not known here splits on punctuation alone.
    """
    end = len(text) if end is None else end
    code = [(m.start(), m.end()) for m in _INLINE_CODE.finditer(text, start, end)]
    spans: list[tuple[int, int]] = []
    piece = start
    for match in _END.finditer(text, start, end):
        cut = match.end()
        after = cut
        while after < end and text[after] in " \t\r\n\u00a0\u202f":
            after += 1
        if after == cut or after >= end or not _starts_sentence(text, after, end):
            continue
        if any(s < match.start() < e for s, e in code):
            continue
        run = match.group(0)
        if run[0] == "." and not run.startswith("..") and _is_abbreviation(text, match.start(), piece, language):
            continue
        if match.start() > start and text[match.start() - 1] in "[(" and run.rstrip()[-1:] in ")]":
            continue  # "[…]": a cut in a quotation
        spans.append(trim_span(text, piece, cut))
        piece = after
    spans.append(trim_span(text, piece, end))
    return [s for s in spans if s[0] < s[1]]


_TAIL = re.compile(r"[.!?…]+(?:[\s\u00a0\u202f]*»|[\"'”’)\]])*\s*$")


def ends_sentence(before: str, language: str | None = None) -> bool:
    """Whether ``before`` (the text up to some point) ends with the end of a sentence:
    "... 2025. " does, "M. " and "e.g. " do not."""
    m = _TAIL.search(before)
    if m is None:
        return False
    run = m.group(0)
    if run[0] == "." and not run.startswith("..") and _is_abbreviation(before, m.start(), 0, language):
        return False
    return True


def sentences(text: str, language: str | None = None) -> list[str]:
    """The sentences of a paragraph, as strings (see sentence_spans)."""
    return [text[s:e] for s, e in sentence_spans(text, language=language)]


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """text[start:end] without the whitespace at its edges, as (start, end)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_QUESTION_END = re.compile(r"[?¿]+(?:[\s\u00a0\u202f]*»|[\"'”’)\]])*\s*$")


def is_question(sentence: str) -> bool:
    """The sentence asks rather than states ("Qu'est-ce qui rend DeepSeek si irrésistible ?"):
    a document's own questions introduce answers, they never are one."""
    return _QUESTION_END.search(sentence) is not None
