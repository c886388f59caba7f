"""Inline markup of reStructuredText, Markdown and HTML removed: ``clean_inline`` (a block's text as a reader
sees it), ``unwrapped`` and ``question_prose`` (a question pasted from a page)."""

from __future__ import annotations

import html
import re

from qa.text_blocks import MARKDOWN, RST

_RST_ROLE = re.compile(r":(?:[\w-]+:)?([\w-]+):`([^`]*)`")
_RST_LITERAL = re.compile(r"``(.+?)``")
_RST_LINK = re.compile(r"`([^`<]+?)\s*<[^>]+>`__?")
_RST_INTERPRETED = re.compile(r"(?<![\w`])`([^`]+)`(?:__?)?(?![\w`])")
_RST_FOOTNOTE_REF = re.compile(r"\s?\[(?:#|\*|\d+|#\w+)\]_")
_EMPHASIS = re.compile(r"(?<![\w*])(\*\*?)(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_MD_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_CODE = re.compile(r"(`+)(.+?)\1")
_MD_STRONG = re.compile(r"(?<!\w)(__|\*\*)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_MD_EM = re.compile(r"(?<![\w*_])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*_])")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def _role_target(match: re.Match) -> str:
    role, inner = match.group(1), match.group(2)
    explicit = re.match(r"(.*?)\s*<([^>]*)>$", inner)
    if explicit:
        inner = explicit.group(1) or explicit.group(2)
    inner = inner.lstrip("~!")
    # Sphinx's :pep: and :rfc: roles show as "PEP 8", "RFC 2822".
    return f"{role.upper()} {inner}" if role in ("pep", "rfc") and inner.isdigit() else inner


# A path cut by the wrapping tool after one of its slashes ("« /etc/\n    modules »").
_WRAPPED_PATH = re.compile(r"(?<=[\w.~-]/)[ \t]*(?:\r\n|\r|\n)[ \t]*(?=[\w.])")


def unwrapped(text: str) -> str:
    """The text on one line: whitespace normalised to single spaces, paths cut by a wrap whole again."""
    return " ".join(_WRAPPED_PATH.sub("", text).split())


def clean_inline(text: str, fmt: str) -> str:
    """Text as a reader sees it: markup removed, whitespace normalised to single spaces."""
    text = unwrapped(text)  # first, so that markup broken across a line break is seen
    if fmt == RST:
        text = _RST_FOOTNOTE_REF.sub("", text)
        text = _RST_ROLE.sub(_role_target, text)
        text = _RST_LITERAL.sub(r"\1", text)
        text = _RST_LINK.sub(r"\1", text)
        text = _RST_INTERPRETED.sub(r"\1", text)
        text = _EMPHASIS.sub(r"\2", text)
        text = re.sub(r"\s+::$", "", text.rstrip())
        text = re.sub(r"::$", ":", text)
    elif fmt == MARKDOWN:
        text = _MD_IMAGE_OR_LINK.sub(r"\1", text)
        text = _MD_CODE.sub(r"\2", text)
        text = _MD_STRONG.sub(r"\2", text)
        text = _MD_EM.sub(r"\2", text)
        text = HTML_TAG.sub("", text)
        text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", text)
    return " ".join(text.split())


_HTML_CODE_ELEMENT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_TAG_OR_COMMENT = re.compile(r"<!--.*?-->|</?[a-zA-Z][^>]*>", re.DOTALL)
# Markup, not a tag named in passing ("What does the <br> tag do?"): a closing tag, or one with attributes.
_HTML_MARKUP = re.compile(r"</[a-zA-Z][^>]*>|<[a-zA-Z][\w-]*\s+[^>]*>|<!--")
_MD_HEADING_MARK = re.compile(r"^\s*#{1,6}\s+")
_MD_FENCE = re.compile(r"```|~~~")


def question_prose(text: str) -> str:
    """A question as its asker means it, when it was pasted from a page or a file: HTML tags
    and comments, Markdown and reStructuredText inline markup removed, their text kept.

    Emphasis with underscores stays: "What does __init__ do?" names a method.
    """
    if _HTML_MARKUP.search(text):
        text = _HTML_CODE_ELEMENT.sub(" ", text)
        text = html.unescape(_HTML_TAG_OR_COMMENT.sub(" ", text))
    text = _MD_HEADING_MARK.sub("", text)
    text = _MD_FENCE.sub(" ", text)
    text = _RST_ROLE.sub(_role_target, text)
    text = _RST_LITERAL.sub(r"\1", text)
    text = _MD_IMAGE_OR_LINK.sub(r"\1", text)
    text = _MD_CODE.sub(r"\2", text)
    text = _EMPHASIS.sub(r"\2", text)
    return " ".join(text.split())
