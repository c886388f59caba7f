"""What an answer is, as ``qa ask --json``, the chat, the history and the MCP server give it: the
``Answer``, and its ``Citation``s (a page, an anchor or a paragraph added for PDF, HTML and DOCX
passages). ../shared/design.md documents the JSON; the README the fields."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from qa.documents import Passage
from qa.lang.questions import OTHER


@dataclass
class Citation:
    n: int
    source: str
    start_line: int
    end_line: int
    text: str
    score: float
    start_char: int = 0
    end_char: int = 0
    context_start_line: int = 0
    context_end_line: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


# A citation of a PDF, HTML or DOCX passage adds its locator to the fields above; the JSON
# has the field only then. A PDF citation's lines and offsets count from its page.
@dataclass
class PageCitation(Citation):
    page: int = 0


@dataclass
class AnchorCitation(Citation):
    anchor: str = ""


@dataclass
class ParagraphCitation(Citation):
    paragraph: int = 0


_LOCATED = {"page": PageCitation, "anchor": AnchorCitation, "paragraph": ParagraphCitation}


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    short_answer: str = ""
    searched_question: str = ""
    question_type: str = OTHER
    confidence: float = 0.0
    highlights: list[tuple[int, int]] = field(default_factory=list)  # (start, end) in citation 1's text
    answered_by: str = "extractive"  # or "llm": a generated answer that passed qa.verification
    # An abstention's nearest passages, to show where to look: never an answer, never in ``citations``.
    nearest: list[Citation] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("highlights")
        if not self.abstained:
            data.pop("nearest")  # an answer's passages are its citations
        return data


def passage_citation(n: int, passage: Passage, score: float) -> Citation:
    """Citation ``n`` of a passage, as ``qa ask --json`` gives it: its file and lines, its text verbatim, the score
    rounded, and the page of a PDF passage (its lines counting from the page), the anchor of an HTML one, the
    paragraph of a DOCX one."""
    locator = passage.locator()  # {"page": 12}, {"anchor": "id"}, {"paragraph": 7} or {}
    kind = _LOCATED[next(iter(locator))] if locator else Citation
    return kind(n=n, score=round(float(score), 4), **passage.cited(), **locator)
