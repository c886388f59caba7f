"""Characters unsafe for a terminal, and the word tools of qa.lang under their former names.

Language knowledge lives in qa.lang (data per language, one grammar per kind of
thing). The names below keep the modules that still import them from here
working; new code imports qa.lang.
"""

from __future__ import annotations

import re

from qa import lang as _lang
from qa.lang import (  # noqa: F401  (re-exported)
    WORD,
    WORD_WITH_APOSTROPHES,
    content_words,
    fold,
    is_content_word,
    is_function_word,
    words,
)
from qa.lang import en as _en
from qa.lang import fr as _fr

# Characters a terminal would act on rather than show: C0 and C1 controls
# except tab (ESC starts colour, cursor and title sequences), DEL, the
# bidirectional marks and overrides that reorder what is shown ("Trojan
# Source"), and lone surrogates (bytes of a file name or command line that are
# not UTF-8, which cannot even be printed). Each caller decides what to put in
# their place: the CLI escapes them, the chat swaps them for visible symbols,
# questions drop them.
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

ENGLISH_FUNCTION_WORDS = _en.FUNCTION_WORDS
FRENCH_FUNCTION_WORDS = _fr.FUNCTION_WORDS
FUNCTION_WORDS = ENGLISH_FUNCTION_WORDS | FRENCH_FUNCTION_WORDS
ANSWER_CUE_WORDS = _lang.CUE_WORDS
MODAL_WORDS = _lang.MODAL_WORDS
ENGLISH_MONTHS = dict(_en.MONTHS)
FRENCH_MONTHS = dict(_fr.MONTHS)
MONTH_ABBREVIATIONS = {fold(k): v for k, v in (_en.MONTH_ABBREVIATIONS | _fr.MONTH_ABBREVIATIONS).items()}
ENGLISH_WEEKDAYS = _en.WEEKDAYS
FRENCH_WEEKDAYS = _fr.WEEKDAYS
# Number words and their values, folded, without those more often a pronoun or an article ("one", "un").
NUMBER_WORDS = {
    fold(w): n
    for module in (_en, _fr)
    for w, n in module.NUMBER_WORDS.items()
    if w not in module.AMBIGUOUS_NUMBER_WORDS
}


def detect_language(text: str) -> str:
    """'fr' or 'en' (qa.lang.detect_language, with English when it cannot tell)."""
    return _lang.detect_language(text) or "en"


def stem(word: str, language: str) -> str:
    """The folded stem of a word: French for "fr", English otherwise (see qa.lang.stem)."""
    return _lang.stem(word, "fr" if language == "fr" else "en")


def count(n: int, noun: str) -> str:
    """``1 passage``, ``2 passages``, ``0 files`` (the nouns the interfaces count are regular)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _escaped(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


_LINE_BREAK = re.compile(r"[ \t]*(?:\r\n|\r|\n)[ \t]*")


def terminal_safe(text: str) -> str:
    """``text`` (a path, a passage, a message) safe to print on a terminal, on one line.

    The one sanitiser of plain-text output: a line break (with the spaces around
    it) becomes one space, and every other unsafe character (UNSAFE_CHARACTERS)
    is shown as an escape (``\\x1b``, ``\\u202e``; an undecodable byte of a file
    name as ``\\xNN``), never acted on. The chat, which draws its own screen,
    shows them as control pictures instead (qa.tui.literal).
    """
    return UNSAFE_CHARACTERS.sub(lambda m: _escaped(m.group()), _LINE_BREAK.sub(" ", str(text)))
