"""Text from documents, made safe to show exactly as written.

Documents can hold anything: "[bold]" must stay those seven characters, not
Rich markup, and an ESC byte must never reach the terminal. Control characters
are swapped one for one with visible stand-ins (the Unicode control pictures),
so character offsets into a passage still point at the same characters after
cleaning, and highlights can be laid over the cleaned text.
"""

from __future__ import annotations

import re

from rich.text import Text

from qa.text import UNSAFE_CHARACTERS

# Tab is not among UNSAFE_CHARACTERS: Rich expands it.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~^=:$&])")


def _picture(match: re.Match) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ .. ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def printable(text: str) -> str:
    """``text`` with every control character replaced by one visible character."""
    return UNSAFE_CHARACTERS.sub(_picture, text)


def literal(text: str, style: str = "") -> Text:
    """A Rich Text that shows ``text`` character for character (never parsed as markup)."""
    return Text(printable(text), style=style)


def markdown_literal(text: str) -> str:
    """``text`` as Markdown source that renders to exactly ``text`` (every special character escaped)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", printable(text))
