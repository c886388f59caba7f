"""Text out of HTML files, with selectolax.

Libraries, compared on the Debian Reference (chapters 1-4, French) on this machine (2 shared cores): HTML (4
files, 828 KB): selectolax (the Lexbor engine, an HTML5 parser)
parses the four files in 15 ms, lxml in 14 ms (libxml2's HTML 4 parser);
trafilatura takes 0.72 s and, on these pages, dropped every section
heading, turned the admonitions into two-column tables and unfenced the
command blocks, and it gives no anchors. So the main text is found by a
walk over selectolax's tree: navigation (nav, header/footer outside the
content, elements whose role or class says navigation, table of contents,
breadcrumbs), scripts, styles and forms are dropped; headings keep their
level and anchor, lists their items, pre blocks their lines, tables one
line per row. selectolax was chosen over lxml for its HTML5 parsing (the
way browsers read broken markup) at the same speed, and a smaller wheel.

Extracted text: one block per paragraph, separated by blank lines; a
citation's lines count from the start of that text.
"""

from __future__ import annotations

import re

from qa import tuning
from qa.formats.extracted import HTML, Extracted, ExtractionError, Writer, inline, settle
from qa.text_blocks import CAPTION, CODE, HEADING, ITEM, PARAGRAPH, ROW, TERM, Block

_DROPPED_TAGS = {
    "script", "style", "noscript", "template", "nav", "form", "button", "select", "textarea", "svg", "canvas",
    "iframe", "object", "embed", "head", "title", "meta", "link", "aside", "dialog", "menu", "input", "label",
    "audio", "video", "map", "-comment", "!doctype",
}  # fmt: skip
_NAV_ROLES = {"navigation", "banner", "contentinfo", "search", "menu", "menubar", "complementary", "toolbar"}
_NAV_CLASS = re.compile(
    r"^(?:nav|navbar|navheader|navfooter|navigation|breadcrumbs?|toc|sidebar|sphinxsidebar|menu|skip-?link|"
    r"related|footer|header|site-header|site-footer|cookie[-\w]*|share|social)$",
    re.IGNORECASE,
)
_BLOCK_TAGS = {
    "address", "article", "blockquote", "body", "center", "dd", "details", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "header", "hgroup", "html", "li", "main", "ol", "p", "section", "summary",
    "ul", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption", "pre", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "br", "colgroup", "col",
}  # fmt: skip


def _decode_html(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = re.search(rb"""charset\s*=\s*["']?([\w-]+)""", data[:4096], re.IGNORECASE)
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return data.decode("cp1252", errors="replace")


def extract_html(data: bytes) -> Extracted:
    from selectolax.lexbor import LexborHTMLParser

    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError("binary file (contains NUL bytes), not HTML")
    text = _decode_html(data)
    _check_attributes(text)
    try:
        tree = LexborHTMLParser(text)
    except Exception as exc:  # the parser's own errors vary by version
        raise ExtractionError(f"not readable HTML ({exc.__class__.__name__})") from None
    root = tree.css_first("main") or tree.css_first("[role=main]") or tree.body or tree.root
    articles = tree.css("article") if root is tree.body else []
    if len(articles) == 1:
        root = articles[0]
    if root is None:
        raise ExtractionError("HTML without a body")
    walker = _HtmlWalker()
    try:
        walker.walk(root)
    except RecursionError:
        raise ExtractionError("HTML nested too deeply to read") from None
    walker.flush()
    out = walker.out
    return Extracted(out.text(), HTML, settle(out.blocks), out.locators)


def _check_attributes(text: str) -> None:
    """Refuse a tag with more than tuning.HTML_ATTRIBUTES_PER_TAG attributes before the parser,
    whose work grows with the square of their number, reads it. Only tags long enough to hold
    that many (two characters each at least) are looked at, so the scan is one pass of a regex;
    a "<" before a letter starts a tag for an HTML parser, as it does here."""
    limit = tuning.HTML_ATTRIBUTES_PER_TAG
    # A quoted value is one unit, ">" inside it included (it does not end the tag for the parser either).
    for tag in re.finditer(rf"<[A-Za-z](?:\"[^\"]*\"|'[^']*'|[^'\"<>]){{{2 * limit},}}>", text):
        unquoted = re.sub(r"\"[^\"]*\"|'[^']*'", "", tag.group())
        # Each name with its unquoted value, if any; less the tag's own name.
        if len(re.findall(r"[^\s\"'<>/=]+(?:\s*=\s*[^\s\"'<>=]*)?", unquoted)) - 1 > limit:
            raise ExtractionError(f"a tag with more than {limit:,} attributes (the limit per tag)")


def _attributes(node) -> dict:
    try:
        return {k: v or "" for k, v in node.attributes.items()}
    except Exception:
        return {}


def _is_navigation(node, attributes: dict) -> bool:
    tag = node.tag
    if tag in _DROPPED_TAGS:
        return True
    if attributes.get("hidden") is not None and "hidden" in attributes:
        return True
    if attributes.get("aria-hidden") == "true":
        return True
    if attributes.get("role", "").lower() in _NAV_ROLES:
        return True
    classes = attributes.get("class", "").split() + [attributes.get("id", "")]
    if any(_NAV_CLASS.match(c) for c in classes if c):
        return True
    return tag in ("header", "footer") and node.parent is not None and node.parent.tag == "body"


def _next_element(node):
    """The next sibling element, past text between them."""
    sibling = node.next
    while sibling is not None and sibling.tag == "-text":
        sibling = sibling.next
    return sibling


class _HtmlWalker:
    def __init__(self) -> None:
        self.out = Writer()
        self.inline: list[str] = []
        self.kind = PARAGRAPH
        self.prefix = ""
        self.anchor = ""  # the id of the innermost section (or other element) around the text

    def flush(self) -> None:
        text = inline("".join(self.inline))
        self.inline = []
        if text:
            body = self.prefix + text if self.kind == ITEM else text
            self.out.block(self.kind, body)
            self.prefix = ""

    def walk(self, node) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                self.inline.append(child.text_content or "")
                continue
            attributes = _attributes(child)
            if _is_navigation(child, attributes):
                continue
            if tag not in _BLOCK_TAGS:
                if tag == "img" and attributes.get("alt") and not self.inline:
                    continue  # an icon's alt text ("[Note]") is not the text
                self.walk(child)
                continue
            self._block(child, tag, attributes)

    def _block(self, node, tag: str, attributes: dict) -> None:
        if tag == "br":
            self.inline.append("\n")
            return
        self.flush()
        outer_anchor = self.anchor
        if attributes.get("id") and tag in ("section", "div", "article"):
            self.anchor = attributes["id"]
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            anchor = attributes.get("id") or self._inner_anchor(node) or self.anchor
            start = self.out.block(HEADING, inline(node.text(deep=True, separator="")), level=int(tag[1]))
            if start is not None:
                self.out.locators.append((start, {"anchor": anchor} if anchor else {}))
        elif tag == "pre":
            text = node.text(deep=True, separator="").replace("\r\n", "\n").expandtabs(8).strip("\n")
            self.out.block(CODE, text)
        elif tag == "table":
            self._table(node)
        elif tag == "li":
            parent = node.parent
            ordered = parent is not None and parent.tag == "ol"
            kind, prefix = self.kind, self.prefix
            self.kind = ITEM
            self.prefix = f"{self._ordinal(node)}. " if ordered else "- "
            self.walk(node)
            self.flush()
            self.kind, self.prefix = kind, prefix
        elif tag in ("hr", "col", "colgroup"):
            pass
        elif tag == "dt" and getattr(_next_element(node), "tag", None) == "dd":
            # A term and its definition (Sphinx's "list.append(x)" and what it does): the
            # term names what the definition says, as reST's object descriptions do.
            self.out.block(TERM, inline(node.text(deep=True, separator="")))
        else:
            # A definition after its term: the term's block runs over it (see text_blocks.TERM).
            term_at = (
                len(self.out.blocks) - 1
                if tag == "dd" and self.out.blocks[-1:] and self.out.blocks[-1].kind == TERM
                else None
            )
            kind = self.kind
            if tag in ("p", "dd", "dt", "blockquote", "figcaption", "summary"):
                self.kind = PARAGRAPH if not (tag == "p" and self.kind == ITEM and self.prefix) else ITEM
            self.walk(node)
            self.flush()
            self.kind = kind
            if term_at is not None:
                term = self.out.blocks[term_at]
                self.out.blocks[term_at] = Block(TERM, term.start, self.out.length, term.clean, term.level)
        self.anchor = outer_anchor

    @staticmethod
    def _inner_anchor(node) -> str:
        """The last id inside a heading: an XHTML ``<a id="x"/>`` read as HTML stays open, so the
        headings after it hold a copy of it before their own."""
        found = ""
        for child in node.css("[id], a[name]"):
            found = child.attributes.get("id") or child.attributes.get("name") or found
        return found

    @staticmethod
    def _ordinal(node) -> int:
        n = 1
        sibling = node.prev
        while sibling is not None:
            if sibling.tag == "li":
                n += 1
            sibling = sibling.prev
        parent = node.parent
        start = parent.attributes.get("start") if parent is not None else None
        return n + (int(start) - 1 if start and start.lstrip("-").isdigit() else 0)

    def _table(self, node) -> None:
        caption = node.css_first("caption")
        if caption is not None:
            self.out.block(CAPTION, inline(caption.text(deep=True, separator=" ")))
        for row in node.css("tr"):
            # Rows of this table, not of a table nested in one of its cells.
            owner = row.parent
            while owner is not None and owner.tag != "table":
                owner = owner.parent
            if owner is None or owner.mem_id != node.mem_id:
                continue
            cells = []
            for cell in row.iter():
                if cell.tag not in ("td", "th"):
                    continue
                inner = cell.css_first("table")
                if inner is not None:
                    self.walk(cell)  # a layout table: its content is read as blocks
                    self.flush()
                    continue
                text = inline(cell.text(deep=True, separator=" "))
                if text:
                    cells.append(text)
            if len(cells) == 1:
                self.out.block(PARAGRAPH, cells[0])  # a layout row: one cell of prose
            elif cells:
                self.out.block(ROW, " | ".join(cells))
