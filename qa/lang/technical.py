"""Technical tokens in prose and code: commands, paths, file names, identifiers, options, variables, versions.

What a technical question's answer looks like, found by its shape and its
place, never by a list of known programs:

- a command line after a prompt (``$ journalctl -b``, ``# shutdown -h now``),
  or a word followed by options ("dpkg --configure -a");
- paths ("/etc/fstab", "~/.bashrc", "C:\\Users"), file names with a known
  extension ("requirements.txt") and extensions (".pyw");
- dotted names and calls ("importlib.reload", "quit()"), snake_case names,
  anything inside code markup (rst ````x````, ``:meth:`x```, markdown ```x```);
- commands of markup languages ("\\frenchspacing", "\\book");
- options ("-a", "--configure"), environment variables ("$HOME",
  "MAX_SIZE", or capitals right after "variable"), versions ("2.6.30",
  "Python 3.1"), manual pages ("adduser(8)" → "adduser");
- lower-case names after a technical noun ("le paquet whois", "the
  unattended-upgrades package").

Each span has its ``kind``. Spans may nest (a command holds its options).
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.lang import EXTENSION_WORDS, LANGUAGES, Span, detect_language, fold, is_function_word, languages
from qa.lang.numbers import VERSION, find_numbers

COMMAND, PATH, FILENAME, IDENTIFIER, OPTION, VARIABLE, VERSION_KIND, KEYWORD, PACKAGE, CODE = (
    "command", "path", "filename", "identifier", "option", "variable", "version", "keyword", "package", "code",
)  # fmt: skip
MENU = "menu"  # a path through an application's menus: "Image → Scale Image", "Édition ▸ Préférences"
SYMBOL = "symbol"  # a sign set apart by quotes or brackets: "a tilde ‘~’", "a semicolon (;)", "the '|' sign"
KEY = "key"  # a key of the keyboard or a chord of keys: "Ctrl-Alt-P", "Shift+F9", "F5", "TAB"
KINDS = (COMMAND, PATH, FILENAME, IDENTIFIER, OPTION, VARIABLE, VERSION_KIND, KEYWORD, PACKAGE, CODE, MENU, SYMBOL, KEY)

# File extensions of general computing (documents, code, archives, system files).
EXTENSIONS = frozenset(
    """txt md rst py c h cc cpp hpp java js ts jsx tsx go rs rb php pl sh bash zsh ps1 bat cmd exe dll so a o lib
    jar class rpm apk dmg msi iso img tar gz tgz bz2 xz zst zip 7z rar json yaml yml toml ini cfg conf config xml html
    htm css scss csv tsv sql db sqlite log lock pid sock pem crt key pub gpg asc pdf doc docx odt xls xlsx ods ppt
    pptx png jpg jpeg gif svg ico bmp webp mp3 mp4 wav ogg mkv avi desktop lua swift kt tex bib po mo diff
    patch""".split()
)
# Top-level domains: "python.org" is a host, not a dotted identifier.
_DOMAINS = frozenset("com org net io edu gov info eu fr de uk us ca ch be jp cn ru nl it es dev app".split())
# Roles of reStructuredText and the kind of what they mark.
_ROLES = {
    **dict.fromkeys(
        "func meth class exc mod data attr const obj type py:func py:meth py:class py:mod".split(), IDENTIFIER
    ),
    "envvar": VARIABLE,
    "keyword": KEYWORD,
    "file": PATH,
    "command": COMMAND,
    "program": COMMAND,
    "option": OPTION,
    "manpage": COMMAND,
    "samp": CODE,
    "code": CODE,
    "kbd": KEYWORD,
}
_PROSE_ROLES = frozenset("ref doc term abbr pep rfc sup sub math dfn guilabel menuselection".split())

_PROMPT_LINE = re.compile(
    r"^[ \t]*(?:\([\w.-]+\)[ \t]*)?(?:[\w.-]+@[\w.-]+:[^\s$#]*[ \t]*)?(?P<prompt>\$|#|>>>|\.\.\.|[A-Z]:\\[^>\n]*>)"
    r"[ \t]+(?P<line>\S[^\n]*?)[ \t]*$",
    re.MULTILINE,
)
_ROLE = re.compile(r"(?<![\w`]):(?P<role>[\w:.-]+):`(?P<body>[^`\n]+)`")
# A reStructuredText hyperlink reference, "`JSON (JavaScript Object Notation)\n<https://json.org>`_":
# prose, whose closing backtick opens no literal ("`_.  The standard module called :mod:`").
_RST_LINK = re.compile(r"(?<![\w`])`[^`]+`__?(?![\w`])")
_LITERAL = re.compile(r"``(?P<body>(?:(?!``)[^\n])+)``|(?<![`\w:])`(?P<md>[^`\n]+)`(?![`_])")
_MANPAGE = re.compile(r"(?<![\w/.-])(?P<name>[a-z_][\w.+-]*)\((?P<section>[1-9][a-z]?)\)")
_PATH = re.compile(
    r"(?<![\w.:/~$-])(?P<path>(?:~[\w.-]*|\.{1,2}|\$\{?\w+\}?)?/(?:[\w.+@%=,-]+/?)+|~(?=/)|[A-Za-z]:\\(?:[\w.+ -]+\\?)*)"
)
_OPTION = re.compile(r"(?<![\w\-/.])(?P<option>--?[A-Za-z][\w-]*(?:=[^\s,;)»\"']+)?)")
_VARIABLE = re.compile(r"(?<![\w$])(?:\$\{?[A-Za-z_]\w*\}?|%[A-Za-z_]\w*%)")
_CAPS_UNDERSCORE = re.compile(r"(?<![\w.-])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![\w-])")
_SNAKE = re.compile(r"(?<![\w.-])_*[A-Za-z][A-Za-z0-9]*(?:_+[A-Za-z0-9]+)+_*(?![\w-])|(?<![\w.-])__[a-z]\w*__(?![\w-])")
_DOTTED = re.compile(r"(?<![\w./@\\-])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(\))?(?![\w/@-]|\.\w)")
_CALL = re.compile(r"(?<![\w.])[A-Za-z_]\w*\(\)")
# CamelCase names of code ("IndexError", "BaseException", "IPython").
_CAMEL = re.compile(r"(?<![\w.-])(?:[A-Z][a-z0-9]+[A-Z]|[A-Z]{2,}[a-z])[A-Za-z0-9]*(?![\w-])")
# Commands of a markup or typesetting language (TeX, LilyPond, groff): a backslash and a name, "\\frenchspacing",
# "\\book", "\\cmidrule*". Not in a path ("C:\\Users\\me": after a colon or a letter) nor a one-letter escape ("\\n").
_MACRO = re.compile(r"(?<![\w\\:])\\[A-Za-z@]{2,}\*?(?![\w\\])")


@lru_cache(maxsize=1)
def _key_pattern() -> re.Pattern:
    """Keys of a keyboard: "F10", "Ctrl-D", "Alt+F2", "Shift+Ctrl+E", "Ctrl+Entrée": modifiers joined by
    "+" or "-" to a letter, a digit, a function key or a named key (the languages' MODIFIER_KEYS and KEY_NAMES),
    and a named key alone ("TAB", "<Enter>")."""
    modifiers = sorted(
        {k for lang in LANGUAGES.values() for k in lang.data.MODIFIER_KEYS.split()}, key=len, reverse=True
    )
    names = sorted({k for lang in LANGUAGES.values() for k in lang.data.KEY_NAMES.split()}, key=len, reverse=True)
    modifier = "|".join(map(re.escape, modifiers))
    key = rf"(?:{'|'.join(map(re.escape, names))}|F\d{{1,2}}|[A-Za-z0-9])(?![\w])"
    # A named key alone is a key when written as keys are labelled, in capitals ("by default it is TAB") or
    # between angle brackets ("<Enter>"); as a plain word ("Enter the name", "the End") it is prose. Capitals
    # beside other capitals are a heading, a keyword or a shout ("RETURN VALUE", "HTTP DELETE", "LEFT JOIN",
    # "HAUT DE PAGE"), and one before "=" a variable ("HOME=/root").
    capitals = "|".join(re.escape(n.upper()) for n in names if len(n) >= 3)
    bracketed = "|".join(map(re.escape, names))
    return re.compile(
        rf"(?<![\w-])(?:(?:{modifier})[-+])+{key}|(?<![\w-])F(?:[1-9]|1[0-2])\b"
        rf"|(?<![\w$<-])(?<![A-Z][ \t])(?:{capitals})(?![\w=-])(?![ \t]+[A-Z]{{2}})|(?<=<)(?:{bracketed})(?=>)"
    )


# The marks that join the items of a path through menus ("Image → Scale Image", "Filters > Blur", and the
# arrows of plain-text manuals: "Edit --> Preferences", "File => Save").
_MENU_ARROW = r"(?:→|▸|►|▶|⇒|⟶|➔|➜|-{1,2}>|={1,2}>|>|»)"


@lru_cache(maxsize=1)
def _menu_pattern() -> re.Pattern:
    """A path through menus: items joined by an arrow or ">" ("Image → Scale Image", "Filters > Blur > Gaussian
    Blur", "Édition ▸ Préférences"). An item is a capitalised word and the capitalised words after it, with the
    small words the languages put between two of them (their MENU_LINKS: "Color to Alpha", "Save As…")."""
    links = sorted({w for lang in LANGUAGES.values() for w in lang.data.MENU_LINKS.split()}, key=len, reverse=True)
    word = r"[\w'’.…&-]"
    item = (
        rf"[^\W\d_a-zà-ÿ]{word}+(?:[ \t\u00a0]+(?:(?:{'|'.join(map(re.escape, links))})[ \t\u00a0]+)?"
        rf"[^\W\d_a-zà-ÿ]{word}*){{0,3}}"
    )
    return re.compile(rf"(?<![\w-])(?P<menu>{item}(?:[ \t\u00a0]*{_MENU_ARROW}[ \t\u00a0]*{item})+)")


# One to three signs (no letter, digit or space) between quotes or brackets: what a manual says to type.
_SYMBOL = re.compile(
    r"(?:‘|'|\"|«[ \u00a0\u202f]?|`|\()(?P<symbol>[^\w\s'\"‘’«»`()]{1,3})(?:’|'|\"|[ \u00a0\u202f]?»|`|\))"
)
# Quoted text: "journalctl -b", « depmod -a », “systemd-analyze blame”.
_QUOTED = re.compile(
    r"\"(?P<a>[^\"\n]{1,80})\"|«[\s\u00a0\u202f]*(?P<b>[^»\n]{1,80}?)[\s\u00a0\u202f]*»|“(?P<c>[^”\n]{1,80})”"
)
_SHELL_WORDS = re.compile(r"[a-z][\w.+-]*(?:[ \t]+[\w./~$*=:+-]+){0,6}")
# A literal block: indented lines after a line ending with ":" (or "::") and a blank line.
_BLOCK = re.compile(r":[ \t]*\n(?:[ \t]*\n)+(?P<block>(?:[ \t]+\S[^\n]*(?:\n|$))+)")
_COMMAND_WORD = re.compile(r"(?<![\w./\-$])(?P<cmd>[a-z][a-z0-9_.+-]*)(?=[ \t]+--?[A-Za-z])")
_ARGUMENT = re.compile(r"[ \t]+(?P<arg>--?[A-Za-z][\w-]*(?:=[^\s,;)»\"']+)?|[a-z0-9_./~$*][\w./~$*=:+-]*)")
_FILENAME = re.compile(
    r"(?<![\w/.@-])(?:[\w+-]+/)*[\w+-][\w.+-]*\.(?P<ext>[A-Za-z0-9]{1,6})(?![\w-]|\.[A-Za-z0-9])"
    r"|(?<![\w/.-])\.(?P<bare>[a-z][a-z0-9_]{0,11})(?![\w.-])"
)
_PRIORITY = {COMMAND: 0, PATH: 1, FILENAME: 2, VARIABLE: 3, OPTION: 4, KEYWORD: 5, IDENTIFIER: 6, PACKAGE: 7}
_PRIORITY |= {VERSION_KIND: 8, CODE: 9, MENU: 10, SYMBOL: 11, KEY: 12}


def technical_spans(text: str, language: str | None = None) -> list[Span]:
    """Technical tokens of ``text``, in order (see the module's description); each span has its kind."""
    return list(_technical_spans(text, language))


@lru_cache(maxsize=4096)
def _technical_spans(text: str, language: str | None) -> tuple[Span, ...]:
    found: list[Span] = []

    def add(start: int, end: int, kind: str) -> None:
        while end > start and text[end - 1] in ".,;:!?»\"'”)" and not (text[end - 1] == ")" and "(" in text[start:end]):
            end -= 1
        while start < end and text[start] in "«\"'“(":
            start += 1
        if end > start:
            found.append(Span(start, end, text[start:end], kind))

    marked: list[tuple[int, int]] = []
    for m in _PROMPT_LINE.finditer(text):
        prompt, line = m.group("prompt"), m.group("line")
        if prompt == "#" and not re.match(r"[a-z0-9./_~-]", line):
            continue  # a Markdown heading, a comment
        start = m.start("line")
        kind = CODE if prompt in (">>>", "...") else COMMAND
        sudo = re.match(r"(?:sudo|doas)[ \t]+(?:-\S+[ \t]+)*", line) if kind == COMMAND else None
        if sudo:
            start += sudo.end()
        comment = re.search(r"[ \t]+#.*$", line) if kind == COMMAND else None
        add(start, m.end("line") - (len(comment.group(0)) if comment else 0), kind)
        marked.append((m.start("line"), m.end("line")))
    for m in _ROLE.finditer(text):
        role, body = m.group("role"), m.group("body")
        if role in _PROSE_ROLES:
            marked.append((m.start(), m.end()))
            continue
        start, end = m.start("body"), m.end("body")
        target = re.search(r"<([^<>]+)>\s*$", body)
        if target:
            start, end = m.start("body") + target.start(1), m.start("body") + target.end(1)
        while start < end and text[start] in "~!":
            start += 1
        kind = _ROLES.get(role.split(":")[-1], _ROLES.get(role)) or _shape(text[start:end])
        if role == "manpage":
            page = re.match(r"[\w.+-]+(?=\(\d)", text[start:end])
            end = start + page.end() if page else end
        if kind == PATH:
            kind = _shape(text[start:end]) if _shape(text[start:end]) in (PATH, FILENAME) else PATH
        add(start, end, kind)
        marked.append((m.start(), m.end()))
    marked += [(m.start(), m.end()) for m in _RST_LINK.finditer(text)]
    for m in _LITERAL.finditer(text):
        if any(s <= m.start() < e for s, e in marked):
            continue
        group = "body" if m.group("body") is not None else "md"
        start, end = m.start(group), m.end(group)
        body = text[start:end]
        prompt = re.match(r"(?:\$|#)\s+", body)
        if prompt:
            start += prompt.end()
            body = text[start:end]
        add(start, end, COMMAND if prompt else _noun_before(text, m.start(), language) or _shape(body))
    for m in _BLOCK.finditer(text):
        indent = len(m.group("block")) - len(m.group("block").lstrip(" \t"))
        line_start = text.rfind("\n", 0, m.start()) + 1
        introducing = text[line_start : m.start()]
        if indent <= len(introducing) - len(introducing.lstrip(" \t")):
            continue  # not indented under the line that introduces it: prose
        for line in re.finditer(r"[^\n]+", m.group("block")):
            body = line.group(0).strip()
            start = m.start("block") + line.start() + (len(line.group(0)) - len(line.group(0).lstrip()))
            if len(line.group(0)) - len(line.group(0).lstrip(" \t")) != indent or re.match(
                r"(?:\$|#|>>>|\.\.\.)\s", body
            ):
                continue
            if _SHELL_WORDS.fullmatch(body) and not is_function_word(fold(body.split()[0])):
                add(start, start + len(body), COMMAND)  # "type::\n\n    deactivate"
    for m in _QUOTED.finditer(text):
        group = next(g for g in "abc" if m.group(g) is not None)
        body = m.group(group).strip()
        start = m.start(group) + (len(m.group(group)) - len(m.group(group).lstrip()))
        first = body.split()[0] if body.split() else ""
        if _SHELL_WORDS.fullmatch(body) and " " in body and (re.search(r"[-_.+\d]", first) or " -" in body):
            add(start, start + len(body), COMMAND)  # a quoted command line
    for m in _CAMEL.finditer(text):
        add(m.start(), m.end(), IDENTIFIER)
    for m in _key_pattern().finditer(text):
        add(m.start(), m.end(), KEY)
    for m in _SYMBOL.finditer(text):
        found.append(Span(m.start("symbol"), m.end("symbol"), m.group("symbol"), SYMBOL))
    for m in _menu_pattern().finditer(text):
        start = m.start("menu")
        after_first = start + len(text[start : m.end("menu")].split()[0])
        sentence_initial = not text[:start].strip() or text[:start].rstrip()[-1] in ".!?:\n"
        if sentence_initial and not re.match(rf"[ \t\u00a0]*{_MENU_ARROW}", text[after_first:]):
            start = after_first + len(text[after_first:]) - len(text[after_first:].lstrip())
        end = m.end("menu") - (text[m.end("menu") - 1] == ".")  # the sentence's full stop, not "…"
        found.append(Span(start, end, text[start:end], MENU))  # "Select" opens the sentence
    for m in _MACRO.finditer(text):
        add(m.start(), m.end(), COMMAND)
    for m in _MANPAGE.finditer(text):
        section = m.group("section")[0]
        kind = COMMAND if section in "168" else FILENAME if section == "5" else IDENTIFIER
        add(m.start("name"), m.end("name"), kind)
    for m in _PATH.finditer(text):
        start, end = m.start("path"), m.end("path")
        wrapped = re.match(r"\n[ \t]*([\w.+-]+(?:/[\w.+-]*)*)(?=[\s\"'»”),;:]|$)", text[end:])
        if text[end - 1] == "/" and wrapped:
            end += wrapped.end()  # a path cut at the end of a hard-wrapped line
        add(start, end, PATH)
    for m in _FILENAME.finditer(text):
        extension = m.group("ext")
        # A bare extension of general computing (".txt") is a file name; an unknown one (".ily", ".kicad_pro") when
        # a glob ("*.pretty") or a word for extensions ("l'extension .ily") says so, since ".then" in "the .then
        # method" is a method. A dotted name under a folder ("ly/property-init.ly") is a file name whatever its
        # lower-case extension; a dotted word alone ("node.js", "e.g") only with an extension known to be one.
        if extension is None:
            bare = m.group("bare")
            said = m.start() > 0 and text[m.start() - 1] == "*" or _extension_word_before(text, m.start())
            known = bare.lower() in EXTENSIONS or said
        else:
            known = extension.lower() in EXTENSIONS or "/" in m.group(0) and extension[0].islower()
        if not known or extension and re.fullmatch(r"[\d./]+", m.group(0)):
            continue
        add(m.start(), m.end(), FILENAME)
    for m in _CALL.finditer(text):
        add(m.start(), m.end(), IDENTIFIER)
    for m in _DOTTED.finditer(text):
        token = m.group(0)
        parts = token.rstrip("()").split(".")
        if all(len(p) == 1 for p in parts) or parts[-1].lower() in EXTENSIONS and not token.endswith("()"):
            continue  # "e.g", "U.S", or a file name
        if parts[-1].lower() in _DOMAINS and len(parts) >= 2 and not token.endswith("()"):
            continue
        add(m.start(), m.end(), IDENTIFIER)
    for m in _SNAKE.finditer(text):
        add(m.start(), m.end(), VARIABLE if m.group(0).isupper() else IDENTIFIER)
    for m in _CAPS_UNDERSCORE.finditer(text):
        add(m.start(), m.end(), VARIABLE)
    for m in _VARIABLE.finditer(text):
        add(m.start(), m.end(), VARIABLE)
    for m in _OPTION.finditer(text):
        add(m.start("option"), m.end("option"), OPTION)
    for start, end in _inline_commands(text, language):
        if not any(s <= start < e for s, e in marked):
            add(start, end, COMMAND)
    for start, end, kind in _after_technical_nouns(text, language):
        add(start, end, kind)
    for mention in find_numbers(text, language):
        if mention.kind != VERSION:
            continue
        add(mention.start, mention.end, VERSION_KIND)
        name = re.search(r"([A-Z][\w.+-]*) $", text[: mention.start])
        if name and not is_function_word(fold(name.group(1))):
            add(name.start(1), mention.end, VERSION_KIND)  # "Linux 2.6.30", "Python 3.1"
    best: dict[tuple[int, int], Span] = {}
    for span in found:
        key = (span.start, span.end)
        if key not in best or _PRIORITY[span.kind] < _PRIORITY[best[key].kind]:
            best[key] = span
    return tuple(sorted(best.values(), key=lambda s: (s.start, -s.end, _PRIORITY[s.kind])))


def _extension_word_before(text: str, at: int) -> bool:
    """A word for extensions among the few words before ``at`` ("the extension .ily", "l'extension .ily")."""
    words = re.findall(r"[^\W\d_]+", fold(text[max(0, at - 40) : at]))
    return any(w in EXTENSION_WORDS for w in words[-4:])


def _noun_before(text: str, at: int, language: str | None) -> str | None:
    """The kind a technical noun right before ``at`` gives ("the following command: ``quit()``")."""
    before = re.search(r"([^\W\d_]+)[ \t]*:?[ \t]*$", text[max(0, at - 40) : at])
    if before is None:
        return None
    for lang in languages(language):
        kind = lang.technical_nouns.get(fold(before.group(1)))
        if kind:
            return _KIND_OF_NOUN.get(kind)
    return None


def _shape(body: str) -> str:
    """The kind of a token inside code markup, from its shape alone."""
    body = body.strip()
    if re.fullmatch(r"(?:~|\.{1,2})?/[^\s]*|[A-Za-z]:\\\S*|~", body):
        return PATH
    if re.fullmatch(r"--?[A-Za-z][\w-]*(?:=\S+)?", body):
        return OPTION
    if re.fullmatch(r"\$\{?[A-Za-z_]\w*\}?|[A-Z][A-Z0-9_]{2,}", body) and not body.isdigit():
        return VARIABLE
    if re.fullmatch(r"\d+(?:\.\d+){1,3}", body):
        return VERSION_KIND
    if " " in body:
        if re.search(r"[()=;\[\]{}<>\"']", body):
            return CODE
        return COMMAND
    if re.fullmatch(r"\.[A-Za-z0-9]{1,6}", body):
        return FILENAME  # an extension in markup: ``.txt``
    extension = re.fullmatch(r"[\w.+-]*\.([A-Za-z0-9]{1,6})", body)
    if extension and extension.group(1).lower() in EXTENSIONS:
        return FILENAME
    return IDENTIFIER


@lru_cache(maxsize=8)
def _nouns(language: str):
    """(nouns → kind, adjectives, endings of plain words that are not names, whether the name follows the noun)."""
    (lang,) = languages(language)
    endings = tuple({*lang.data.ADJECTIVE_ENDINGS, *lang.data.COMMON_ENDINGS, *lang.data.INFLECTION_ENDINGS})
    # In a language whose adjectives follow the noun (French), a name follows its noun: "le paquet whois".
    return lang.technical_nouns, lang.common_adjectives | lang.sentence_openers, endings, bool(lang.adjective_endings)


def _inline_commands(text: str, language: str | None):
    """A word followed by options, and the arguments after them: "dpkg --configure -a", "journalctl -b"."""
    for m in _COMMAND_WORD.finditer(text):
        word = m.group("cmd")
        if is_function_word(fold(word)) or word.isdigit():
            continue
        end = m.end()
        seen_option = False
        position = end
        while True:
            arg = _ARGUMENT.match(text, position)
            if arg is None:
                break
            value = arg.group("arg")
            if value.startswith("-"):
                seen_option = True
            elif is_function_word(fold(value)) or not seen_option:
                break
            position = arg.end()
            end = position
        if seen_option:
            yield m.start(), end


def _after_technical_nouns(text: str, language: str | None):
    """Lower-case names placed by a technical noun: "le paquet whois", "la commande chage", "the
    unattended-upgrades package", "the package apt-listbugs". Read in the text's language only."""
    code = language if language in LANGUAGES else detect_language(text) if language is None else None
    if code is None:
        return
    nouns, adjectives, endings, noun_first = _nouns(code)
    articles = "|".join(re.escape(a) for a in LANGUAGES[code].articles)
    alternation = "|".join(sorted((re.escape(n) for n in nouns), key=len, reverse=True))
    folded = fold(text)
    if len(folded) != len(text):
        return
    # noun then name: "la commande chage", "the package apt-listbugs" (plain words only where names follow nouns)
    for m in re.finditer(
        rf"(?<![\w-])({alternation})[ \t\u00a0]+([a-z0-9][\w.+-]*[\w+]|[a-z]{{2}})(?![\w'’-])", folded
    ):
        name = text[m.start(2) : m.end(2)]
        if name != name.lower() or name != folded[m.start(2) : m.end(2)]:
            continue  # capitals or accents: a word of the language or a proper name
        if not _plausible_name(name, adjectives, endings, special_only=not noun_first):
            continue
        yield m.start(2), m.end(2), _KIND_OF_NOUN.get(nouns[m.group(1)], IDENTIFIER)
    if noun_first:
        return
    # name then noun: "the unattended-upgrades package", "the reset command"
    for m in re.finditer(rf"(?<![\w-])({articles})[ \t]+([a-z0-9][\w.+-]*[\w+])[ \t]+({alternation})(?![\w-])", folded):
        name = text[m.start(2) : m.end(2)]
        if name != name.lower() or not _plausible_name(name, adjectives, endings):
            continue
        yield m.start(2), m.end(2), _KIND_OF_NOUN.get(nouns[m.group(3)], IDENTIFIER)


_KIND_OF_NOUN = {"command": COMMAND, "package": PACKAGE, "identifier": IDENTIFIER, "filename": FILENAME}


def _plausible_name(name: str, adjectives, endings, special_only: bool = False) -> bool:
    """A program's name rather than a word: marked by "-", "_", ".", "+" or digits, or a plain word
    without the endings of the language's inflected words."""
    folded = fold(name)
    if is_function_word(folded) or folded in adjectives or name.isdigit():
        return False
    if any(c in name for c in "-_.+") or any(c.isdigit() for c in name):
        return True
    if special_only:
        return False
    return not any(folded.endswith(fold(e)) and len(folded) > len(e) + 1 for e in endings)


def spans_of_kinds(text: str, kinds, language: str | None = None) -> list[Span]:
    """The technical spans of ``text`` whose kind is one of ``kinds``."""
    wanted = set(kinds)
    return [s for s in technical_spans(text, language) if s.kind in wanted]
