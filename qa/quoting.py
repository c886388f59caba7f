"""What an answer quotes around its best passage, and the text the reader sees.

``Quoter`` chooses the passages: the section a heading or a line ending in ':' introduces, the
sentence a pronoun refers back to, the sentence of the paragraph that holds what was asked, the
neighbour that says it together with the best, and the further passages worth citing.
``compose_answer`` writes the short answer and the quote within MAX_ANSWER_CHARS.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from qa import text as textmod
from qa.documents import SENTENCE, Passage, same_paragraph
from qa.evaluation import MAX_ANSWER_CHARS
from qa.lang.grammar import starts_with_anaphora
from qa.retrieval import Candidate, Retrieval
from qa.span_reading import TYPED
from qa.tuning import RUNNER_UP_RANKS, SECTION_LOOKAHEAD

if TYPE_CHECKING:
    from qa.answering import Scored  # which holds a Quoter


class Quoter:
    """The passages an answer quotes, read from ``index`` around the best candidate."""

    def __init__(self, index):
        self.index = index

    def nearby(self, candidates: list[Candidate]) -> dict[int, Passage]:
        """The passages the candidates' contexts may need, in one query."""
        return self.index.passages.get(
            sorted({pid for c in candidates for pid in range(c.id - 1, c.id + SECTION_LOOKAHEAD + 1) if pid >= 0})
        )

    def context_ids(self, candidate: Candidate, nearby: dict[int, Passage] | None = None) -> list[int]:
        """Passages that give this one its meaning: its neighbours in the paragraph; for a heading,
        the start of the section it heads; for a sentence ending in ':', also what it introduces."""
        passage = candidate.passage
        if nearby is None:
            nearby = self.index.passages.get(list(range(candidate.id - 1, candidate.id + SECTION_LOOKAHEAD + 1)))
        if introduces(passage):  # a heading, or "Here are the keys:" before its list
            before = nearby.get(candidate.id - 1)
            out = [candidate.id - 1] if before is not None and same_paragraph(before, passage) else []
            for pid in range(candidate.id + 1, candidate.id + SECTION_LOOKAHEAD + 1):
                p = nearby.get(pid)
                if p is None or p.source != passage.source or is_heading(p):
                    break
                out.append(pid)
            return out
        return [
            pid
            for pid in (candidate.id - 1, candidate.id + 1)
            if (p := nearby.get(pid)) is not None and same_paragraph(p, passage)
        ]

    def answer_passages(self, candidate: Candidate) -> list[Passage]:
        """The passage, or for a heading or a line ending in ':' the passages it introduces."""
        passage = candidate.passage
        if not introduces(passage):
            return [passage]
        following = [p for _, p in self.index.passages.neighbours(candidate.id, 0, 12)][1:]
        body: list[Passage] = []
        for p in following:
            if p.source != passage.source or (body and is_heading(p)):
                break
            if body and not introduces(body[-1]) and not is_list_item(p) and not same_paragraph(body[-1], p):
                break
            body.append(p)
            if sum(len(b.text) for b in body) > MAX_ANSWER_CHARS and not is_list_item(p):
                break
        return body or [passage]

    def with_antecedent(self, candidate: Candidate, passages: list[Passage]) -> list[Passage]:
        """A sentence whose subject is a pronoun ("C'est le chatbot le plus utilisé") is
        quoted with the sentence before it, which names what the pronoun stands for."""
        if (
            len(passages) != 1
            or passages[0] is not candidate.passage
            or not starts_with_anaphora(candidate.passage.text)
        ):
            return passages
        before = self.index.passages.get([candidate.id - 1]).get(candidate.id - 1)
        if before is None or not same_paragraph(before, candidate.passage):
            return passages
        return [before, candidate.passage]

    def with_holder(self, kind: str, scored: list[Scored], passages: list[Passage]) -> list[Passage]:
        """A typed question whose best sentence holds nothing of the kind asked ("the number of its
        users has risen sharply") is answered by the best ranked sentence of the same paragraph that
        does ("its daily users reached 22.15 million"), quoted with it in reading order: the answer
        a sentence or two away from the one that names the subject."""
        best = scored[0]
        if (
            kind not in TYPED
            or best.type_spans
            or len(passages) != 1
            or passages[0] is not best.candidate.passage
            or passages[0].kind != SENTENCE
        ):
            return passages
        holder = next(
            (
                s.candidate.passage
                for s in scored[1:]
                if s.type_spans
                and s.candidate.passage.kind == SENTENCE
                and same_paragraph(s.candidate.passage, passages[0])
            ),
            None,
        )
        if holder is None:
            return passages
        return sorted([passages[0], holder], key=lambda p: p.start_char)

    def helps(self, other: Scored, kind: str, short: str, quoted: list[Passage], retrieval: Retrieval) -> bool:
        """Whether a further passage helps the reader check the answer: it states the answer again
        ("22,15 millions" in another article), or it names the question's subject and either holds
        something of the kind asked (another reading of the answer; any passage does, for a question
        answered by a sentence) or stands in the paragraph of a quoted passage (its context). A passage that shares only a word with the question ("DeepSeek
        n'est pas qu'une start-up." for "when was DeepSeek launched") is left out: --top-k is an upper
        bound. Checked on the development sets' gold sources (see the README's Quality section)."""
        passage = other.candidate.passage
        if short and _holds_value(short, passage.clean or passage.text):
            return True
        subject = retrieval.derive("subject", lambda: _subject_words(retrieval))
        if not subject or not subject <= set(other.candidate.matched):
            return False
        if kind not in TYPED or other.type_spans:
            return True
        return any(same_paragraph(passage, q) for q in quoted)

    def holder_about_another(self, kind: str, best: Scored, retrieval: Retrieval, passages: list[Passage]) -> bool:
        """The best sentence names the subject but holds nothing of the kind asked, and the sentences
        of its paragraph that do were set aside as said of another name ("Depuis février, des cours
        basés sur DeepSeek…" beside "…dépassant Doubao" for "when was Doubao launched"): the paragraph's
        answer is another thing's, so the documents do not say."""
        if kind not in TYPED or best.type_spans or len(passages) != 1 or passages[0] is not best.candidate.passage:
            return False
        set_aside = retrieval.derived.get(("about another name", kind), {})
        return any(same_paragraph(p, best.candidate.passage) for p in set_aside.values())

    def with_runner_up(self, scored: list[Scored], passages: list[Passage]) -> list[Passage]:
        """When the two best passages are consecutive sentences of one paragraph, both are quoted:
        one often names the subject and the next gives the answer ("Python's class mechanism
        adds classes…" / "It is a mixture of the class mechanisms found in C++ and Modula-3.")."""
        if len(passages) != 1 or len(scored) < 2 or passages[0] is not scored[0].candidate.passage:
            return passages
        best = scored[0].candidate
        second = next(
            (
                s.candidate
                for s in scored[1:RUNNER_UP_RANKS]
                if abs(best.id - s.candidate.id) == 1
                and same_paragraph(best.passage, s.candidate.passage)
                and {best.passage.kind, s.candidate.passage.kind} == {SENTENCE}
            ),
            None,
        )
        if second is None:
            return passages
        return [c.passage for c in sorted((best, second), key=lambda c: c.id)]


def _holds_value(short: str, text: str) -> bool:
    """The text states the short answer: as written, or with the same numbers in the same order
    ("11 janvier 2025" in "launched on 11 January 2025", across languages)."""
    if textmod.fold(" ".join(short.split())) in textmod.fold(" ".join(text.split())):
        return True
    numbers = re.findall(r"\d+", short)
    if not numbers:
        return False
    found = re.findall(r"\d+", text)
    return any(found[i : i + len(numbers)] == numbers for i in range(len(found) - len(numbers) + 1))


def _subject_words(retrieval: Retrieval) -> set[str]:
    """What the question is about: its names the documents hold, else its weightiest word."""
    names = {w.word for w in retrieval.words if w.is_name and w.expansions}
    if names:
        return names
    matched = [w for w in retrieval.words if w.expansions]
    return {max(matched, key=lambda w: w.weight).word} if matched else set()


def joined(passages: list[Passage]) -> Passage:
    """Consecutive passages read as one (offsets in the first stay valid)."""
    first, last = passages[0], passages[-1]
    return replace(
        first,
        text=" ".join(p.text for p in passages),
        clean=" ".join(p.clean for p in passages),
        end_line=last.end_line,
        end_char=last.end_char,
    )


def is_list_item(passage: Passage) -> bool:
    return re.match(r"^\s*(?:[-*+•]|\d+[.)])\s", passage.text) is not None


def introduces(passage: Passage) -> bool:
    return is_heading(passage) or passage.text.rstrip().endswith(":")


_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+(?P<label>[^:]{1,60}?)\s*:\s")


def list_labels(passages: list[Passage]) -> list[str]:
    """The labels of "- Label : explanation" list items, the gist of a list."""
    labels = [m.group("label") for p in passages if (m := _LIST_ITEM.match(p.text))]
    return labels if len(labels) >= 2 else []


def is_heading(passage: Passage) -> bool:
    return passage.kind in ("heading", "caption")


def compose_answer(short: str, passages: list[Passage], highlight) -> str:
    """Short answer first, then the quoted evidence as a reader sees it (markup removed, whitespace
    normalised), trimmed around the answer to fit in MAX_ANSWER_CHARS whatever the lengths involved."""
    marker = " " + "".join(f"[{n}]" for n in range(1, len(passages) + 1))
    quote = " ".join((p.clean or " ".join(p.text.split())) for p in passages)
    lead = f"{short} — " if short else ""
    room = MAX_ANSWER_CHARS - len(lead) - len(marker) - 2
    if short and room < 40:
        return short + marker  # no room left for a useful quote
    if len(quote) > room:
        at = quote.find(short) if short else -1
        if at >= 0:
            center = at + len(short) // 2
        elif highlight and len(passages) == 1:
            center = (highlight[0] + highlight[1]) * len(quote) // max(1, 2 * len(passages[0].text))
        else:
            center = 0
        start = max(0, min(center - room // 2, len(quote) - room))
        piece = quote[start : start + room - 2]
        quote = ("…" if start > 0 else "") + piece.strip() + "…"
    return f"{lead}«{quote}»{marker}" if short else f"{quote}{marker}"


def shortened(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
