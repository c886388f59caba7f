"""The spans of a passage that may answer a question, and what each is said of.

``SpanReader`` reads each passage once whatever the question (its words and stems, its spans of
each kind, its language, its names) and keeps the readings; it judges a span against the question:
whether it only repeats it, counts another thing, belongs to another name, or names another version,
and how hard the question's words pull on it. The Answerer's judging and the short answer share it.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

from qa import text as textmod
from qa.documents import ROW, Passage, same_paragraph
from qa.lang import NUMBER_WORDS, Span, detect_language, get
from qa.lang.grammar import clause_starts, refers_back
from qa.lang.names import acronym_definitions, find_names, is_title_case, looks_like_person, versioned_names
from qa.lang.numbers import measure_asked, measures
from qa.lang.questions import (
    COMMAND,
    DATE,
    IDENTIFIER,
    MONEY,
    NAME,
    PERSON,
    QUANTITY,
    TECHNICAL,
    agent_verb,
    classify,
    counts_generically,
    counts_other_people,
    doings,
    is_plural,
    people_roles,
    spans_for,
)
from qa.lang.questions import TYPED as SHORT_TYPES
from qa.lang.sentences import sentence_spans
from qa.retrieval import Retrieval, indexed_language
from qa.tuning import (
    DOER_BEFORE_VERB_PULL,
    MENTION_SIMILARITY,
    OTHER_CLAUSE_PULL,
    PASSAGE_READINGS_KEPT,
    PULL_DISTANCE,
)

_UNREAD = object()  # a reading not made yet (None and [] are readings)

# Kinds answered by a short span of a passage: a date, a number, a name, a quote,
# a command, a path, an identifier, a version.
TYPED = SHORT_TYPES + TECHNICAL
# Kinds whose answer is a value of the question's subject (its date, its count, its price), so of
# whatever the sentence says it of: "DeepSeek a conquis 22,15 millions d'utilisateurs" counts DeepSeek's.
OF_A_SUBJECT = (DATE, QUANTITY, MONEY)


class SpanReader:
    """The readings of the passages of ``index`` (kept across questions) and the judgments of their spans."""

    def __init__(self, index):
        self.index = index
        self._languages: dict[tuple[str, int], str] = {}
        # What a passage says whatever the question (its words and stems, the spans of each
        # kind, whether it gives orders or asks): the same passages come back question after
        # question, and reading them again was a quarter of a warm answer (cProfile).
        self._readings: dict[tuple, object] = {}

    def read(self, what: str, passage: Passage, compute):
        key = (what, passage.source, passage.start_char, passage.text)  # two sentences read as one differ
        value = self._readings.get(key, _UNREAD)
        if value is _UNREAD:
            if len(self._readings) >= PASSAGE_READINGS_KEPT:
                self._readings.clear()
            value = self._readings[key] = compute()
        return value

    def span_pull(self, kind: str, passage: Passage, spans: list[Span], retrieval: Retrieval) -> float:
        """The strongest pull of the question's words on a span of the kind asked for: the answer
        stands next to what the question says ("…the name stored in /etc/hostname")."""
        if not spans:
            return 0.0
        anchors, clauses = self.anchors(passage, retrieval), self.clauses(passage)
        return max(pull_on(kind, span, anchors, clauses) for span in spans)

    def anchors(self, passage: Passage, retrieval: Retrieval) -> list[tuple[float, float]]:
        return _anchor_positions(
            self.read("stems", passage, lambda: _stems_at(passage, self.index)), retrieval, self.index
        )

    def clauses(self, passage: Passage) -> list[int]:
        return self.read("clauses", passage, lambda: _clauses(passage.text))

    def language(self, passage: Passage) -> str:
        """The passage's own language (a French manual quotes English), else its file's."""
        key = (passage.source, passage.start_char)
        language = self._languages.get(key)
        if language is None:
            language = detect_language(passage.clean or passage.text) or self.index.manifest.files.get(
                passage.source, {}
            ).get("language", "en")
            self._languages[key] = language  # at most one entry per passage of the index
        return language

    def mentioned(self, span_text: str, retrieval: Retrieval, source: str) -> bool:
        """The span only repeats the question, in either language: the answer to
        "which company makes X" is not X, nor is "IA" the answer to "which AI model"."""
        language = indexed_language(self.index, source)
        question_folded, question_terms = question_forms(retrieval, self.index)
        content, written_whole = [], False
        for token in span_text.split():
            token = token.strip(_EDGE_PUNCTUATION)
            if _TECHNICAL_TOKEN.search(token):
                # "/etc/hostname" answers "which file holds the hostname": a path, a command or a
                # dotted name repeats the question only when the question writes it whole.
                if textmod.fold(token) not in _question_tokens(retrieval):
                    return False
                written_whole = True  # "Orca-Pro" does not answer "what license is Orca-Pro under"
            else:
                content += [w for w in textmod.words(token) if textmod.is_content_word(w)]
        return (bool(content) or written_whole) and all(
            textmod.fold(w) in question_folded or textmod.stem(w, language) in question_terms for w in content
        )

    def repeats_question(self, span: Span, text: str, retrieval: Retrieval, source: str) -> bool:
        """The span repeats the question (``mentioned``), or stands in the spelled-out form of
        an acronym the question names, or is the acronym of words it says: "JavaScript" in
        "JSON (JavaScript Object Notation)" does not answer "which module, unlike JSON, …"."""
        if self.mentioned(span.text, retrieval, source):
            return True
        for definition in acronym_definitions(text):
            for side, other in ((definition.expansion, definition.acronym), (definition.acronym, definition.expansion)):
                if side.start <= span.start and span.end <= side.end and self.mentioned(other.text, retrieval, source):
                    return True
        return False

    def counts_another_thing(self, span: Span, passage: Passage, retrieval: Retrieval) -> bool:
        """A quantity of something the question gives rather than counts: "21 jours" for "combien de
        personnes l'utilisent chaque jour" (its unit is a word of the question, not the counted one)."""
        counted = counted_forms(retrieval, self.index)
        if counted is None:
            return False
        language = self.language(passage)
        form = classify(retrieval.question)
        if counts_other_people(form, _unit_nouns(span, language)):
            # "12 000 visiteurs" for "combien de salariés", "six bateaux" for "how many
            # developers": people of another role or things, in any language, whatever the vocabulary vectors
            # hold near the word counted.
            return True
        if _unit_words(span) and counts_generically(form):
            # People are counted by what they are ("12 000 visiteurs" for "combien de personnes
            # viennent"), kinds by anything ("8 kinds"), neither by a measure ("21 jours").
            return bool(measures(span.text))
        if not self._names(passage, counted) and (not _unit_words(span) or _never_named(retrieval, counted)):
            # A passage that never names what is counted counts something else: a bare "0" of a rating
            # widget; "six models" for "how many employees" when no document names employees in any
            # language (one that does in words the translation misses, "68 980 paquets" for "how many
            # packages" in a French manual, may be the answer).
            return True
        if (
            language == retrieval.language
            and form.focus is not None
            and is_plural(form.focus, language)  # "how many boats", not "how long is the bridge"
            and _unit_nouns(span, language)
            and not measures(span.text)  # "10 jours" answers "combien de temps": a measure, not a count
            and not unit_in(span, counted, language)
            and not people_roles(form.counted) & people_roles(_unit_words(span))
        ):
            # In the question's own language a unit says what is counted as the question says it: "six
            # bateaux" does not count "stands" (across languages, a translation the vectors miss may: "68980
            # paquets" for "how many packages").
            return True
        return not unit_in(span, counted, language) and unit_in(span, question_forms(retrieval, self.index), language)

    def _names(self, passage: Passage, forms: tuple[set[str], set[str]]) -> bool:
        """The passage says one of ``forms`` (folded words, index terms), as written or as the index stems it."""
        folded, terms = forms
        words, stems = self.read("words", passage, lambda: words_and_stems(passage, self.index))
        return any(textmod.fold(w) in folded for w in words) or any(stem in terms for stem in stems)

    def another_version(self, passage: Passage, retrieval: Retrieval) -> bool:
        """The question names a version ("DeepSeek-R2", "Debian 12", "Python 3.12") and the passage
        names only other versions of the same thing ("DeepSeek-R1", "R1", "Debian 11"): what it
        states, it states of another version."""
        asked = retrieval.derive("versioned names", lambda: versioned_names(retrieval.question))
        if not asked:
            return False
        language = self.language(passage)
        found = self.read("versioned names", passage, lambda: versioned_names(passage.clean or passage.text, language))
        for name in asked:
            series = [f for f in found if f.same_series(name)]
            if series and not any(f.same_version(name) for f in series):
                return True
        return False

    def about_another_name(self, span: Span, passage: Passage, retrieval: Retrieval, previous: Passage | None) -> bool:
        """The span belongs to another named thing than the one the question names: "22,15
        millions" in "l'application DeepSeek a conquis 22,15 millions d'utilisateurs, soit la moitié
        du trafic de ChatGPT" does not count ChatGPT's users. What a span is said of is the names
        before it in its sentence (any of the question's names there keeps it), else, when
        the sentence refers back ("Ses utilisateurs…"), the names of the sentence before, else the
        first name after it in its clause. Names the question says in other words, neither. Only a
        value of something (a date, a quantity, a price) is judged so: a name, a command or a package
        asked for is itself what the statement is about ("le paquet apt-listbugs" for "which APT package")."""
        if not retrieval.derive(
            "value of a named subject",
            lambda: classify(retrieval.question).kind in OF_A_SUBJECT and any(w.is_name for w in retrieval.words),
        ):
            return False
        text = passage.text
        language = self.language(passage)
        start, end = next(((a, b) for a, b in sentence_spans(text) if a <= span.start < b), (0, len(text)))
        mentions = [
            m
            for m in self.read("names", passage, lambda: find_names(text, language))
            if start <= m.start < end and (m.end <= span.start or m.start >= span.end)
        ]
        said_before = self._said_of([m for m in mentions if m.end <= span.start], retrieval, passage.source)
        if said_before is not None:
            return not said_before
        if refers_back(text[start:end]):
            earlier, source = text[:start], passage.source
            if not earlier.strip() and previous is not None:
                earlier, source = previous.text, previous.source
            if earlier.strip():
                at = max((a for a, _ in sentence_spans(earlier)), default=0)
                named = self._said_of(find_names(earlier[at:], language), retrieval, source)
                if named is not None:
                    return not named
        clause_end = min((c for c in self.clauses(passage) if c > span.end), default=end)
        for m in mentions:
            if (
                span.end <= m.start < min(end, clause_end)
                and (said := self._said_of([m], retrieval, passage.source)) is not None
            ):
                return not said
        return False

    def doer_unsaid(self, retrieval: Retrieval, searched: str, passages: list[Passage]) -> bool:
        """A "who" question asking by its verb for the one who makes, founds, leads or owns something ("who
        created X", "qui dirige X"; not by a role noun, which ``focus_missing`` reads), where no quoted passage
        says a doing of that kind (AGENT_WORDS in its language: "le dirigeant" for "who leads", "section author"
        for "who wrote") nor the question's verb in a close translation ("created": "créé")."""
        if classify(searched).focus:
            return False
        verb = next((w for w in retrieval.words if agent_verb([w.word], retrieval.language)), None)
        if verb is None:
            return False
        asked = doings([verb.word], retrieval.language)
        close = {self.index.lexical.terms[t] for t, sim in verb.expansions if sim >= MENTION_SIMILARITY}
        for p in passages:
            tokens, stems = self.read("words", p, lambda p=p: words_and_stems(p, self.index))
            if asked & doings(tokens, self.language(p)) or close.intersection(stems):
                return False
        return True

    def previous_in_paragraph(self, passage: Passage, retrieval: Retrieval) -> Passage | None:
        """The sentence before a candidate passage in its paragraph, which a pronoun opening it refers to."""
        at = next((c.id for c in retrieval.candidates if c.passage is passage), None)
        if at is None or at == 0:
            return None
        before = self.index.passages.get([at - 1]).get(at - 1)
        return before if before is not None and same_paragraph(before, passage) else None

    def _said_of(self, mentions, retrieval: Retrieval, source: str) -> bool | None:
        """True when one of the names is a name of the question, False when another thing is named,
        None when neither (no name, or only words the question says otherwise: "China", "Chine")."""
        asked_forms = retrieval.derive("asked name forms", lambda: _asked_name_forms(retrieval, self.index))
        language = indexed_language(self.index, source)
        other = False
        for m in mentions:
            tokens = [t for t in textmod.words(m.text) if textmod.is_content_word(t)]
            if getattr(m, "sentence_initial", False) and len(tokens) == 1 and tokens[0][1:].islower():
                continue  # a capital opening a sentence says nothing ("Résultat", "Launched")
            if _named_by(tokens, asked_forms, language):
                return True
            if not _named_by(tokens, question_forms(retrieval, self.index), language):
                other = True
        return False if other else None


def pull_on(kind: str, span, anchors: list[tuple[float, float]], clauses: list[int]) -> float:
    """How hard the question's matched words pull on a span of the passage.

    Each matched word pulls by its weight, less with distance, much less from
    another clause: the date next to "lancée" beats the one next to "DeepSeek",
    and "X did A, and Y did B" keeps X with A.
    """
    middle = (span.start + span.end) / 2
    clause = bisect.bisect_right(clauses, middle)
    total = 0.0
    for at, weight in anchors:
        if kind == PERSON and at < middle:
            weight *= DOER_BEFORE_VERB_PULL  # "who did X": the doer is usually named before the verb
        if bisect.bisect_right(clauses, at) != clause:
            weight *= OTHER_CLAUSE_PULL
        total += weight / (1.0 + abs(middle - at) / PULL_DISTANCE)
    return total


def _clauses(text: str) -> list[int]:
    """Where the clauses of a passage start, a new sentence starting a new clause too."""
    sentences = [start for start, _ in sentence_spans(text)][1:]
    return sorted(set(clause_starts(text)) | set(sentences))


@lru_cache(maxsize=256)
def asked_measure(question: str) -> str | None:
    """What a quantity question measures ("combien de temps": a duration), worked out once per
    question for the ranking, the abstainer and the short answer."""
    return measure_asked(classify(question).focus)


def _anchor_positions(stems: list[tuple[float, str]], retrieval: Retrieval, index) -> list[tuple[float, float]]:
    """(position, weight) of the words in a passage (``_stems_at``) that matched a question word.

    A name finds the passage; within it the answer stands by what the question says of
    the name: "ayant été lancée le 11 janvier", not "Au 31 janvier, DeepSeek…". So the
    names anchor only a passage where none of the question's other words stands.
    """
    term_weight = retrieval.derive("term_weight", lambda: _term_weights(retrieval, index))
    positions, names = [], []
    for middle, stem in stems:
        weight, is_name = term_weight.get(stem, (0.0, False))
        if weight:
            (names if is_name else positions).append((middle, weight))
    return positions or names


def _term_weights(retrieval: Retrieval, index) -> dict[str, tuple[float, bool]]:
    """Each index term a question word matched: its weight (the word's, by the similarity), and
    whether the word is a name."""
    term_weight: dict[str, tuple[float, bool]] = {}
    for w in retrieval.words:
        for t, similarity in w.expansions:
            term = index.lexical.terms[t]
            if w.weight * similarity > term_weight.get(term, (0.0, False))[0]:
                term_weight[term] = (w.weight * similarity, w.is_name)
    return term_weight


def _stems_at(passage: Passage, index) -> list[tuple[float, str]]:
    """(middle offset in its text, stem) of each word of the passage but function words."""
    language = indexed_language(index, passage.source)
    return [
        ((match.start() + match.end()) / 2, textmod.stem(match.group(0), language))
        for match in textmod.WORD.finditer(passage.text)
        if not textmod.is_function_word(textmod.fold(match.group(0)))
    ]


def words_and_stems(passage: Passage, index) -> tuple[list[str], list[str]]:
    """The passage's words, and their stems as the index stemmed its file."""
    language = indexed_language(index, passage.source)
    tokens = [m.group(0) for m in textmod.WORD.finditer(passage.clean or passage.text)]
    return tokens, [textmod.stem(t, language) for t in tokens]


_EDGE_PUNCTUATION = "«»\"'“”‘’()[]{},;:!?."
# A token built of several parts joined by path, option or dotted-name signs.
_TECHNICAL_TOKEN = re.compile(r"\w[/\\._=-]+\w|^[/~]\w")


def _asked_name_forms(retrieval: Retrieval, index) -> tuple[set[str], set[str]]:
    """The names of the question, folded, and the index terms that write them."""
    asked = [w for w in retrieval.words if w.is_name]
    return {textmod.fold(w.word) for w in asked}, _close_terms(asked, index)


def _named_by(tokens: list[str], forms: tuple[set[str], set[str]], language: str) -> bool:
    folded, terms = forms
    return any(textmod.fold(t) in folded or textmod.stem(t, language) in terms for t in tokens)


def _question_tokens(retrieval: Retrieval) -> set[str]:
    return {textmod.fold(t.strip(_EDGE_PUNCTUATION)) for t in retrieval.question.split()}


def question_forms(retrieval: Retrieval, index) -> tuple[set[str], set[str]]:
    """The question's folded words, and the index terms that say the same thing
    (computed once per question)."""

    def compute() -> tuple[set[str], set[str]]:
        return {textmod.fold(w) for w in textmod.words(retrieval.question)}, _close_terms(retrieval.words, index)

    return retrieval.derive("question_forms", compute)


def _close_terms(words, index) -> set[str]:
    """The index terms that say what these question words say. Only close renderings count as
    the same thing said ("AI"/"IA" 0.83); a merely related term ("DeepSeek-R1" vs
    "DeepSeek-R1-Zero", 0.74) does not."""
    return {index.lexical.terms[t] for w in words for t, sim in w.expansions if sim >= MENTION_SIMILARITY}


def _unit_words(span: Span) -> list[str]:
    """The quantity's unit: its words that are not digits ("jours" of "21 jours"; none in "0")."""
    return [w for w in textmod.words(span.text) if textmod.is_content_word(w) and not w[:1].isdigit()]


def _unit_nouns(span: Span, language: str) -> list[str]:
    """The plural nouns of the quantity's unit, which say what it counts ("bateaux" of "six bateaux"): not its
    number words ("six"), its scale ("millions"), nor a verb or an adverb after it ("1,200 come each day")."""
    lang = get(language)
    scales = lang.scales if lang is not None else {}
    return [
        w
        for w in _unit_words(span)
        if textmod.fold(w) not in NUMBER_WORDS and textmod.fold(w) not in scales and is_plural(w, language)
    ]


def unit_in(span: Span, forms: tuple[set[str], set[str]], language: str) -> bool:
    """The quantity's unit is among ``forms`` (folded words, index terms)."""
    folded, terms = forms
    return any(textmod.fold(w) in folded or textmod.stem(w, language) in terms for w in _unit_words(span))


def _never_named(retrieval: Retrieval, counted: tuple[set[str], set[str]]) -> bool:
    """No word of the index says what the question counts, as written or translated."""
    folded, _ = counted
    return not any(w.expansions for w in retrieval.words if textmod.fold(w.word) in folded)


def counted_forms(retrieval: Retrieval, index) -> tuple[set[str], set[str]] | None:
    """What a "how many" question counts ("personnes" in "combien de personnes … chaque jour",
    "source code repositories"): its words folded, and the index terms that translate them;
    None when it names nothing it counts."""

    def compute():
        counted = set(classify(retrieval.question).counted)
        words = [w for w in retrieval.words if textmod.fold(w.word) in counted]
        if not words:
            return None
        return counted, _close_terms(words, index)

    return retrieval.derive("counted_forms", compute)


def type_spans(kind: str, passage: Passage):
    if passage.kind == ROW:
        return [span for _, _, span in row_cells(kind, passage)]
    if kind in (NAME, PERSON) and is_title_case(passage.text):
        return []  # In "A Revolution In Chinese AI" every word looks like a name.
    spans = spans_for(kind, passage.text)
    if kind == PERSON:
        spans = [s for s in spans if _person_like(s, passage.text)]
    return spans


# In a table the cells are the answers: a one-word cell ("fail2ban", "dash") names a thing.
_ONE_TOKEN_KINDS = (NAME, IDENTIFIER, COMMAND)


def row_cells(kind: str, passage: Passage) -> list[tuple[int, str, Span]]:
    """(column, column title, span) of each cell of a table row holding what ``kind`` asks for.

    A cell is found in the row's text by its first line (cells wrapped over several lines are
    merged in ``clean``); the column titles come from the header row the reader put in the context.
    """
    cells = [c.strip() for c in passage.clean.split(" | ")]
    titles = passage.context.rsplit(" — ", 1)[-1].split(" | ") if " | " in passage.context else []
    if len(titles) != len(cells):
        titles = [""] * len(cells)
    out, searched_from = [], 0
    for column, (title, cell) in enumerate(zip(titles, cells, strict=True)):
        if not cell:
            continue
        at = passage.text.find(cell.split()[0], searched_from)
        if at < 0:
            continue
        searched_from = at + 1
        found = spans_for(kind, cell)
        if found:
            for f in found:
                start = passage.text.find(f.text, at)
                if start >= 0:
                    out.append((column, title.strip(), Span(start, start + len(f.text), f.text, kind)))
        elif kind in _ONE_TOKEN_KINDS and len(cell.split()) == 1 and any(c.isalpha() for c in cell):
            out.append((column, title.strip(), Span(at, at + len(cell), cell, kind)))
        elif kind in _ONE_TOKEN_KINDS and (m := _STATED_VALUE.match(cell)):
            # "nom de code = sid": the cell states the value of what it labels.
            value = m.group("value")
            start = passage.text.find(value, at)
            if start >= 0:
                out.append((column, title.strip(), Span(start, start + len(value), value, kind)))
    return out


# A cell "label = value" (one word of value): "nom de code = sid", "version = 3.12".
_STATED_VALUE = re.compile(r"^[^=|]{1,40}?\s=\s(?P<value>[^\s=]*[^\W_][^\s=]*)$")


def _person_like(span, text: str) -> bool:
    """Two or three plain capitalised words ("Liang Zhanfan", "Richard M. Stallman"). One capitalised
    word alone is more often a product, a company or a place ("Qwen", "Microsoft") than a person
    named by surname only: taking it for one answers "who founded X" with a model's name."""
    return len(span.text.split()) >= 2 and looks_like_person(span.text)
