"""The short answer: the span of the quoted passage that answers a typed question (a date, a
quantity, a name, a command...), the one the question's matched words pull hardest, less the words
the question already says; in a table row, the cell of the column the question names."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from qa import text as textmod
from qa.documents import ROW, Passage
from qa.lang import Span
from qa.lang.numbers import PERCENT, measures
from qa.lang.questions import MONEY, NAME, OTHER, PATH, PERSON, QUANTITY, asks_a_rate, asks_plural, classify
from qa.retrieval import Retrieval, indexed_language
from qa.span_reading import (
    SpanReader,
    asked_measure,
    counted_forms,
    pull_on,
    question_forms,
    row_cells,
    type_spans,
    unit_in,
)
from qa.tuning import (
    COMMON_NAME_SLOPE,
    COUNTED_UNIT,
    ENUMERATION_PLURAL,
    ENUMERATION_SINGULAR,
    NOT_PERSON_SHAPE,
    OPENING_WORD,
    PERSON_SHAPE,
)

if TYPE_CHECKING:
    from qa.answering import Scored  # which holds a ShortAnswers


class ShortAnswers:
    """Picks the short answer in a passage, with the span judgments of ``reader``."""

    def __init__(self, reader: SpanReader):
        self.reader = reader
        self.index = reader.index

    def short_answer(self, kind: str, passage: Passage, retrieval: Retrieval, best: Scored):
        """The span answering a typed question: the one the question's matched words pull hardest."""
        spans = [
            trimmed
            for span in type_spans(kind, passage)
            if (trimmed := self._without_mentions(kind, span, passage, retrieval)) is not None
        ]
        if kind == QUANTITY:
            spans = self.of_asked_unit(spans, passage, retrieval)
        if kind == PATH:
            # A bare extension (".ly") is the end of a file's name: the answer to "which extension", while
            # "which file" wants the whole name beside it ("ly/property-init.ly"); a dot file (".gitignore")
            # that ends no other name of the passage is a whole name.
            if classify(retrieval.question).extension:
                spans = [s for s in spans if _bare_extension(s.text)] or spans
            else:
                spans = [s for s in spans if not _ends_another(s, spans)]
        previous = self.reader.previous_in_paragraph(passage, retrieval)
        spans = [s for s in spans if not self.reader.about_another_name(s, passage, retrieval, previous)]
        if kind == OTHER or not spans:
            return "", None
        if passage.kind == ROW:
            span = self._row_answer(kind, passage, retrieval, spans)
            return span.text, (span.start, span.end)
        anchors, clauses = self.reader.anchors(passage, retrieval), self.reader.clauses(passage)
        plural = asks_plural(retrieval.question)

        def pull(span) -> float:
            return pull_on(kind, span, anchors, clauses) or 1e-6

        question_folded, question_terms = question_forms(retrieval, self.index)
        language = self.reader.language(passage)

        counted = counted_forms(retrieval, self.index) if kind == QUANTITY else None

        def counts_what_is_asked(span) -> bool:
            """The quantity's unit is what the question counts, else a word of the question."""
            return unit_in(span, counted or (question_folded, question_terms), language)

        def plausibility(span) -> float:
            factor = 1.0
            words = span.text.split()
            enumeration = re.search(r"\s(?:et|and|&|ou|or)\s|,\s", span.text) is not None
            if enumeration:
                factor *= ENUMERATION_PLURAL if plural else ENUMERATION_SINGULAR
            if kind in (NAME, PERSON):
                # A lone capitalised word opening a sentence may be grammar, not a name.
                opening = not passage.text[: span.start].strip() and len(words) == 1
                if opening and not any(c.isupper() or c.isdigit() for c in span.text[1:]):
                    factor *= OPENING_WORD
                factor *= self._specificity(words, passage.source)
            if kind in (QUANTITY, MONEY) and counts_what_is_asked(span):
                factor *= COUNTED_UNIT
            if kind == PERSON:
                # People are named with two or three plain capitalised words.
                person_like = 2 <= len(words) <= 3 and all(w[:1].isupper() and w[1:].islower() for w in words)
                factor *= PERSON_SHAPE if person_like else NOT_PERSON_SHAPE
            return factor

        span = max(spans, key=lambda s: (pull(s) * plausibility(s), -s.start))
        return span.text, (span.start, span.end)

    def of_asked_unit(self, spans: list[Span], passage: Passage, retrieval: Retrieval) -> list[Span]:
        """The quantities of ``spans`` that may be the one asked: of the measure asked ("combien de
        temps": a duration, else any), of what the question counts ("how many employees" is not
        answered by "six models"), a share for a share question and only for one. None, rather
        than a quantity of another thing: a near miss is not an answer."""
        measure = asked_measure(retrieval.question)
        if measure is not None:
            # "Combien de temps": the unit says the measure ("10 jours"), whatever the question counts.
            if measured := [s for s in spans if measure in measures(s.text)]:
                return measured
        spans = [s for s in spans if not self.reader.counts_another_thing(s, passage, retrieval)]
        # A percentage answers a question about a share ("what percentage of the audience"), and
        # only such a question ("how many people": 22 million, not 41.6 %). Without a percentage, a
        # share may be a bare ratio ("0.7"), never a count of something ("12,000 visitors").
        form = classify(retrieval.question)
        if form.share:
            shares = [s for s in spans if s.kind == PERCENT] or [s for s in spans if _is_ratio(s.text)]
            # A rate may be measured in its own units ("a frame rate of 60 frames per second").
            return shares or (spans if asks_a_rate(form) else [])
        return [s for s in spans if s.kind != PERCENT]

    def another_unit(self, kind: str, passages: list[Passage], retrieval: Retrieval) -> bool:
        """What would be quoted holds quantities, none of them of what a quantity question asks."""
        if kind != QUANTITY:
            return False
        found = [(p, spans) for p in passages if (spans := self.reader.read(kind, p, lambda p=p: type_spans(kind, p)))]
        return bool(found) and not any(self.of_asked_unit(spans, p, retrieval) for p, spans in found)

    def _row_answer(self, kind: str, passage: Passage, retrieval: Retrieval, spans: list[Span]) -> Span:
        """The cell of a table row that answers: the one in the column the question names ("which
        package" → the "paquet" column), or next to the cell it names ("the port of imaps"),
        else the row's first column, which says what the row is about."""
        folded, terms = question_forms(retrieval, self.index)
        language = self.reader.language(passage)
        kept = {(s.start, s.end) for s in spans}
        cells = row_cells(kind, passage)
        mentioned = {column for column, _, span in cells if (span.start, span.end) not in kept}

        def named(title: str) -> tuple[int, int]:
            """How many words of the title the question says as written, and through a
            translation: "version = unstable" over "version = stable" for "the unstable
            version", whose translations may reach "stable" too."""
            title_words = [w for w in textmod.words(title) if textmod.is_content_word(w)]
            written = sum(textmod.fold(w) in folded for w in title_words)
            translated = sum(textmod.stem(w, language) in terms for w in title_words)
            return written, translated

        def fit(cell) -> tuple:
            column, title, span = cell
            written, translated = named(title)
            return (written + translated > 0, written, translated, column - 1 in mentioned, -column)

        best = max((c for c in cells if (c[2].start, c[2].end) in kept), key=fit, default=None)
        return best[2] if best is not None else spans[0]

    def _without_mentions(self, kind: str, span, passage: Passage, retrieval: Retrieval):
        """The span less the words the question already says at its edges
        ("Doubao IA" for "which company makes Doubao" is "IA"), or None if nothing is left.
        A quantity keeps its unit ("21 jours" for "how many days")."""
        if self.reader.repeats_question(span, passage.text, retrieval, passage.source):
            return None
        if kind not in (NAME, PERSON):
            return span
        pieces = list(re.finditer(r"\S+", span.text))

        def dropped(piece: str) -> bool:
            # What the question says, and the "et"/"and" left dangling once it is gone.
            return self.reader.mentioned(piece, retrieval, passage.source) or textmod.is_function_word(
                textmod.fold(piece)
            )

        while pieces and dropped(pieces[0].group(0)):
            pieces.pop(0)
        while pieces and dropped(pieces[-1].group(0)):
            pieces.pop()
        if not pieces:
            return None
        start, end = span.start + pieces[0].start(), span.start + pieces[-1].end()
        text = passage.text[start:end].rstrip(",;:")
        return Span(start, start + len(text), text)

    def _specificity(self, words: list[str], source: str) -> float:
        """Names found in many passages ("IA", the documents' own subject) are seldom
        what a question asks for; rare ones ("Janus-Pro", "ByteDance") are."""
        language = indexed_language(self.index, source)
        lexical = self.index.lexical
        shares = []
        for word in words:
            if textmod.is_content_word(word):
                tid = lexical.term_id(textmod.stem(word, language))
                shares.append(lexical.document_frequency(tid) / max(lexical.doc_count, 1) if tid is not None else 0.0)
        return 1.0 / (1.0 + COMMON_NAME_SLOPE * min(shares)) if shares else 1.0


# A share written without a percent sign: a fraction below one ("0.7", "0,7", ".7") or a ratio ("1/3", "3:1"). A
# number alone of another size is a count ("12,000") and no share; a unit run into the digits ("70B") neither.
_RATIO = re.compile(r"0*[.,]\d+|\d+\s*[/:]\s*\d+")


def _is_ratio(text: str) -> bool:
    return _RATIO.fullmatch(text.strip()) is not None


def _bare_extension(text: str) -> bool:
    """ ".ily", ".kicad_pro": the end of a file's name written alone."""
    return text.startswith(".") and "/" not in text and "." not in text[1:]


def _ends_another(span, spans) -> bool:
    """A bare extension that ends another span of the passage (".ly" beside "ly/property-init.ly")."""
    return _bare_extension(span.text) and any(o is not span and o.text.endswith(span.text) for o in spans)
