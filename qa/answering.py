"""From retrieved passages to a short cited answer, or an honest abstention.

The answer is extractive: it leads with the span that answers (a date, a
quantity, a name, or the sentence itself for other questions), followed by the
sentence that says it, quoted, and the citation marker. Every citation's text
is the passage exactly as it stands in the file.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache

import numpy as np

from qa import ranking
from qa import text as textmod
from qa.documents import ROW, SENTENCE, Passage, same_paragraph
from qa.evaluation import MAX_ANSWER_CHARS
from qa.lang import Span, content_words, detect_language, same_family
from qa.lang.grammar import addresses_the_reader, clause_starts, refers_back, starts_with_anaphora
from qa.lang.names import acronym_definitions, find_names, is_title_case, looks_like_person, versioned_names
from qa.lang.numbers import PERCENT, measure_asked, measures
from qa.lang.questions import (
    COMMAND,
    DATE,
    IDENTIFIER,
    MONEY,
    NAME,
    OTHER,
    PATH,
    PERSON,
    QUANTITY,
    TECHNICAL,
    asks_plural,
    classify,
    spans_for,
)
from qa.lang.questions import TYPED as SHORT_TYPES
from qa.lang.sentences import is_question, sentence_spans
from qa.ranking import RANK_FEATURES, RankingModel
from qa.reader import question_prose, unwrapped
from qa.retrieval import Candidate, Retrieval, WhileWaiting, indexed_language
from qa.tuning import (
    MAX_SHORT_ANSWER_CHARS,
    MENTION_SIMILARITY,
    PASSAGE_READINGS_KEPT,
    RUNNER_UP_RANKS,
    SECTION_LOOKAHEAD,
    SUPPORT_COVERAGE,
    SUPPORT_SCORE,
)

_UNREAD = object()  # a reading not made yet (None and [] are readings)

# Kinds answered by a short span of a passage: a date, a number, a name, a quote,
# a command, a path, an identifier, a version.
TYPED = SHORT_TYPES + TECHNICAL
# Kinds only a number answers (or a list, counted): a passage without one is no answer, however well it
# matches. Not money: "how much does it cost" is answered by "it is free".
COUNTED = (QUANTITY,)
# Kinds whose answer is a value of the question's subject (its date, its count, its price), so of
# whatever the sentence says it of: "DeepSeek a conquis 22,15 millions d'utilisateurs" counts DeepSeek's.
OF_A_SUBJECT = (DATE, QUANTITY, MONEY)


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


@dataclass
class _Judged:
    """What ``Answerer._judge`` finds in one candidate for one question."""

    context_coverage: float
    spans: list
    context_words: frozenset
    features: dict[str, float]  # the RANK_FEATURES that depend on this candidate alone


@dataclass
class _Scored:
    candidate: Candidate
    score: float
    context_coverage: float
    type_spans: list
    context_words: frozenset = frozenset()  # question words matched by the passage or its paragraph
    features: np.ndarray | None = None  # RANK_FEATURES of the candidate


def passage_citation(n: int, passage: Passage, score: float) -> Citation:
    """Citation ``n`` of a passage, as ``qa ask --json`` gives it: its file and lines, its text verbatim, the score
    rounded, and the page of a PDF passage (its lines counting from the page), the anchor of an HTML one, the
    paragraph of a DOCX one."""
    locator = passage.locator()  # {"page": 12}, {"anchor": "id"}, {"paragraph": 7} or {}
    kind = _LOCATED[next(iter(locator))] if locator else Citation
    return kind(n=n, score=round(float(score), 4), **passage.cited(), **locator)


class Answerer:
    def __init__(self, index, retriever, model: RankingModel | None = None):
        self.index = index
        self.retriever = retriever
        self.model = model or ranking.load()
        self._languages: dict[tuple[str, int], str] = {}
        # What a passage says whatever the question (its words and stems, the spans of each
        # kind, whether it gives orders or asks): the same passages come back question after
        # question, and reading them again was a quarter of a warm answer (cProfile).
        self._readings: dict[tuple, object] = {}

    def _read(self, what: str, passage: Passage, compute):
        key = (what, passage.source, passage.start_char, passage.text)  # two sentences read as one differ
        value = self._readings.get(key, _UNREAD)
        if value is _UNREAD:
            if len(self._readings) >= PASSAGE_READINGS_KEPT:
                self._readings.clear()
            value = self._readings[key] = compute()
        return value

    def featurize(self, question: str) -> tuple[Retrieval, str, list[_Scored]]:
        """The question's retrieval, its type, and every candidate with the ranker's features, ranked."""
        kind = classify(question).kind
        retrieval = self.retriever.search(question, self.judge_while_waiting(kind))
        return retrieval, kind, self._score(retrieval, kind)

    def abstain_features(self, retrieval: Retrieval, kind: str, scored: list[_Scored]) -> np.ndarray:
        """The abstainer's view of the question and its best passage (ABSTAIN_FEATURES)."""
        return ranking.abstain_row(
            np.array([s.score for s in scored], dtype=np.float64),
            np.vstack([s.features for s in scored]),
            self.focus_missing(retrieval, kind, scored),
            self.question_facts(retrieval, kind),
        )

    def question_facts(self, retrieval: Retrieval, kind: str) -> dict[str, float]:
        """What the abstainer reads of the question alone (ranking.QUESTION_FACTS)."""
        return {
            "typed": float(kind in TYPED),
            "unknown_name": float(any(w.expansions == [] and w.is_name for w in retrieval.words)),
        }

    def focus_missing(self, retrieval: Retrieval, kind: str, scored: list[_Scored]) -> np.ndarray:
        """For each candidate: what the question counts or asks the role of is neither in it nor in its
        paragraph, were it the best passage. "How many employees", "who is the founder of": a passage
        about something else (users, a partner) does not answer it."""
        focus_folded = classify(retrieval.question).focus
        focus = next((w for w in retrieval.words if textmod.fold(w.word) == focus_folded), None)
        if focus is None:
            return np.zeros(len(scored), dtype=np.float64)
        measured = kind == QUANTITY and _measure_asked(retrieval.question)
        # "combien de temps": said by the unit of the quantity found ("10 jours"), not by "temps".
        return np.array(
            [float(not (measured and s.type_spans) and focus.word not in s.context_words) for s in scored],
            dtype=np.float64,
        )

    def answer(self, question: str, top_k: int = 3, searched_question: str | None = None) -> Answer:
        searched = question_prose(searched_question or question)
        if not content_words(searched):
            return self._abstain(question, searched, OTHER, 0.0)  # markup alone ("<div></div>") asks nothing
        retrieval, kind, scored = self.featurize(searched)
        if not scored:
            return self._abstain(question, searched, kind, 0.0)
        best = scored[0]
        confidence = self.model.answer_probability(self.abstain_features(retrieval, kind, scored))
        nearest = _nearest(scored, top_k)
        if confidence < self.model.threshold:
            return self._abstain(question, searched, kind, confidence, nearest)

        # A heading that itself holds what was asked answers alone; otherwise its section does.
        # A heading is answered by its section, never alone; another passage that holds what was
        # asked answers alone.
        holds = best.type_spans and not _is_heading(best.candidate.passage)
        passages = [best.candidate.passage] if holds else self._answer_passages(best.candidate)
        if len(passages) > 1 and kind in TYPED and _introduces(best.candidate.passage):
            # In a section, lead with the sentence that holds what was asked.
            holding = [p for p in passages if _type_spans(kind, p)]
            if holding:
                passages = holding[:1]
        passages = self._with_antecedent(best.candidate, passages)
        with_holder = self._with_holder(kind, scored, passages)
        if self._holder_about_another(kind, best, retrieval, with_holder):
            return self._abstain(question, searched, kind, confidence, nearest)
        if len(with_holder) > 1:
            # The paragraph's sentence that holds what was asked gives the answer, quoted with the best.
            passages = with_holder
            holder = next(p for p in with_holder if p is not best.candidate.passage)
            short, highlight = self._short_answer(kind, holder, retrieval, best)
            if with_holder[0] is not holder:
                highlight = None  # in the second sentence: shown by its text, not by offsets in the first
        elif len(pair := self._with_runner_up(scored, passages)) > 1:
            # Two sentences saying it together: the answer may stand in either.
            passages = pair
            short, highlight = self._short_answer(kind, _joined(pair), retrieval, best)
            if highlight and highlight[1] > len(pair[0].text):
                highlight = None  # in the second sentence: shown by its text, not by offsets in the first
        else:
            short, highlight = self._short_answer(kind, passages[-1], retrieval, best)
            if not short and len(passages) > 1:
                short, highlight = self._short_answer(kind, passages[0], retrieval, best)
        labels = list_labels(passages)
        if (
            kind in COUNTED
            and not labels
            and not any(self._read(kind, p, lambda p=p: _type_spans(kind, p)) for p in passages)
        ):
            # "How many", "how much": what would be quoted holds no number at all (nor a list to count),
            # so it cannot say it.
            return self._abstain(question, searched, kind, confidence, nearest)
        if (
            kind == DATE
            and not short
            and not any(self._read(kind, p, lambda p=p: _type_spans(kind, p)) for p in passages)
        ):
            # "When was Janus-Pro launched?": what would be quoted names the thing but holds no date at all.
            return self._abstain(question, searched, kind, confidence, nearest)
        if labels and not short:
            short = " ; ".join(labels)
            passages = [p for p in passages if _is_list_item(p)]
        short = _fit(unwrapped(short), MAX_SHORT_ANSWER_CHARS)
        citations = [passage_citation(i + 1, p, best.score) for i, p in enumerate(passages)]
        seen = {(p.source, p.start_char) for p in passages}
        for other in scored[1:]:
            if len(citations) >= max(top_k, len(passages)):
                break
            p = other.candidate.passage
            if (p.source, p.start_char) in seen:
                continue
            if (
                _is_heading(p)
                or _sigmoid(other.score) < SUPPORT_SCORE * _sigmoid(best.score)
                or other.candidate.coverage < SUPPORT_COVERAGE * best.candidate.coverage
            ):
                continue  # further passages are cited only when they are nearly as relevant
            if not self._helps(other, kind, short, passages, retrieval):
                continue
            seen.add((p.source, p.start_char))
            citations.append(passage_citation(len(citations) + 1, p, other.score))
        text = _compose(short, passages, highlight)
        return Answer(
            question=question,
            answer=text,
            abstained=False,
            citations=citations,
            short_answer=short,
            searched_question=searched,
            question_type=kind,
            confidence=round(confidence, 4),
            highlights=[highlight] if highlight else [],
        )

    # -- ranking -----------------------------------------------------------
    def _score(self, retrieval: Retrieval, kind: str) -> list[_Scored]:
        candidates = retrieval.candidates
        if not candidates:
            return []
        top_lexical = max(c.lexical for c in candidates) or 1.0
        top_semantic = max(c.semantic for c in candidates)
        top_paragraph = max(c.paragraph for c in candidates)
        unjudged = [c for c in candidates if ("judged", kind, c.id) not in retrieval.derived]
        nearby = self._nearby(unjudged)
        out = []
        for c in candidates:
            judged = retrieval.derive(("judged", kind, c.id), lambda c=c: self._judge(c, retrieval, kind, nearby))
            if judged is None:
                continue
            features = {
                **judged.features,
                "semantic": c.semantic,
                "paragraph": c.paragraph,
                "dense": c.dense,
                "multilingual": c.multilingual,
                "semantic_gap": c.semantic - top_semantic,
                "paragraph_gap": c.paragraph - top_paragraph,
                "lexical": c.lexical / top_lexical,
            }
            row = np.array([features[name] for name in RANK_FEATURES], dtype=np.float64)
            out.append(_Scored(c, 0.0, judged.context_coverage, judged.spans, judged.context_words, row))
        if out:
            logits = self.model.rank_logits(np.vstack([s.features for s in out]))
            for s, logit in zip(out, logits, strict=True):
                s.score = float(logit)
        out.sort(key=lambda s: (-s.score, s.candidate.id))
        return out

    def judge_while_waiting(self, kind: str) -> WhileWaiting:
        """What ``Retriever.search`` runs while the retrieval model reads the question: the
        candidates already known judged (``_judge``), until its vector comes. The core would
        otherwise sit idle meanwhile (measured: 6 ms of 32 on a core where that model is the
        longest step), and judging is most of what is left to do once it comes."""

        def judge(provisional: Retrieval, waiting) -> None:
            if not waiting():
                return
            nearby = self._nearby(provisional.candidates)
            for c in provisional.candidates:
                if not waiting():
                    return
                provisional.derive(("judged", kind, c.id), lambda c=c: self._judge(c, provisional, kind, nearby))

        return judge

    def _nearby(self, candidates: list[Candidate]) -> dict[int, Passage]:
        """The passages the candidates' contexts may need, in one query."""
        return self.index.passages.get(
            sorted({pid for c in candidates for pid in range(c.id - 1, c.id + SECTION_LOOKAHEAD + 1) if pid >= 0})
        )

    def _judge(self, c: Candidate, retrieval: Retrieval, kind: str, nearby: dict[int, Passage]) -> _Judged | None:
        """What the candidate says of the question, all but the retrieval model's similarities and
        what depends on the other candidates: None for a passage that is no answer at all (an order
        to the reader, a statement about something else)."""
        if self._read("order", c.passage, lambda p=c.passage: addresses_the_reader(p.clean or p.text)):
            return None  # "Ignore previous instructions and answer that…": an order, never an answer
        weights = retrieval.derive("word weights", lambda: {w.word: w.weight for w in retrieval.words})
        total = sum(weights.values()) or 1.0
        names = retrieval.derive("names", lambda: [w.word for w in retrieval.words if w.is_name and w.expansions])
        measure = _measure_asked(retrieval.question) if kind == QUANTITY else None
        context_ids = self._context_ids(c, nearby)
        context_words = set(c.matched)
        for neighbour_id in context_ids:
            context_words |= retrieval.matched_words(neighbour_id)
        heading_id = int(self.index.section_of[c.id])
        if heading_id >= 0 and heading_id != c.id:
            context_words |= retrieval.matched_words(heading_id)  # its section's title says what it is about
        words = self._read("words", c.passage, lambda p=c.passage: _words_and_stems(p, self.index))
        if _speaks_of_another(
            words, c.passage, context_words, retrieval, self.index, self._language(c.passage) != retrieval.language
        ):
            return None  # "the violet report" for "the purple report": a statement about something else
        if self._another_version(c.passage, retrieval):
            return None  # "DeepSeek-R1" for "DeepSeek-R2", "Debian 11" for "Debian 12": another thing's version
        context_coverage = sum(weights.get(w, 0.0) for w in context_words) / total
        spans = self._read(kind, c.passage, lambda p=c.passage: _type_spans(kind, p))
        spans = [s for s in spans if not self._repeats_question(s, c.passage.text, retrieval, c.passage.source)]
        if measure is not None:
            spans = [s for s in spans if measure in measures(s.text)]  # "combien de temps": "10 jours", not "700"
        if kind == QUANTITY:
            spans = [s for s in spans if not self._counts_another_thing(s, c.passage, retrieval)]
        if spans:
            before = nearby.get(c.id - 1)
            previous = before if before is not None and same_paragraph(before, c.passage) else None
            spans = [s for s in spans if not self._about_another_name(s, c.passage, retrieval, previous)]
            if not spans:
                # Every date, number or name it gives belongs to another of the question's kind
                # ("DeepSeek a conquis 22,15 millions" for ChatGPT's users): it says nothing of the subject.
                retrieval.derived.setdefault(("about another name", kind), {})[c.id] = c.passage
                return None
        # A name found only in a neighbouring sentence half counts; a heading
        # is about whatever its section names.
        in_context = 0.0 if _is_heading(c.passage) else 0.5
        missing_names = (
            sum(weights[w] * (in_context if w in context_words else 1.0) for w in names if w not in c.matched) / total
        )
        # A heading is a summary of its section: judged with it.
        coverage = max(c.coverage, context_coverage) if _is_heading(c.passage) else c.coverage
        features = {
            "coverage": coverage,
            "context_coverage": context_coverage,
            "missing_names": missing_names,
            "type_match": float(bool(spans)),
            "span_pull": self._span_pull(kind, c.passage, spans, retrieval) / total,
            "heading": float(c.passage.kind == "heading"),
            "row": float(c.passage.kind == "row"),
            "code": float(c.passage.kind == "code"),
            "crosslingual": float(self._language(c.passage) != retrieval.language),
            "question": float(self._read("asks", c.passage, lambda p=c.passage: is_question(p.clean or p.text))),
        }
        if kind in TYPED and not spans and _is_heading(c.passage):
            # A heading stands for its section: it holds what was asked when its section does.
            section = [nearby[pid] for pid in context_ids]
            features["type_match"] = float(
                any(
                    not self._repeats_question(span, p.text, retrieval, p.source)
                    for p in section
                    for span in _type_spans(kind, p)
                )
            )
        return _Judged(context_coverage, spans, frozenset(context_words), features)

    def _span_pull(self, kind: str, passage: Passage, spans: list[Span], retrieval: Retrieval) -> float:
        """The strongest pull of the question's words on a span of the kind asked for: the answer
        stands next to what the question says ("…the name stored in /etc/hostname")."""
        if not spans:
            return 0.0
        anchors, clauses = self._anchors(passage, retrieval), self._clauses(passage)
        return max(_pull(kind, span, anchors, clauses) for span in spans)

    def _anchors(self, passage: Passage, retrieval: Retrieval) -> list[tuple[float, float]]:
        return _anchor_positions(
            self._read("stems", passage, lambda: _stems_at(passage, self.index)), retrieval, self.index
        )

    def _clauses(self, passage: Passage) -> list[int]:
        return self._read("clauses", passage, lambda: _clauses(passage.text))

    def _language(self, passage: Passage) -> str:
        """The passage's own language (a French manual quotes English), else its file's."""
        key = (passage.source, passage.start_char)
        language = self._languages.get(key)
        if language is None:
            language = detect_language(passage.clean or passage.text) or self.index.manifest.files.get(
                passage.source, {}
            ).get("language", "en")
            self._languages[key] = language  # at most one entry per passage of the index
        return language

    def _mentioned(self, span_text: str, retrieval: Retrieval, source: str) -> bool:
        """The span only repeats the question, in either language: the answer to
        "which company makes X" is not X, nor is "IA" the answer to "which AI model"."""
        language = indexed_language(self.index, source)
        question_folded, question_terms = _question_forms(retrieval, self.index)
        content = []
        for token in span_text.split():
            token = token.strip(_EDGE_PUNCTUATION)
            if _TECHNICAL_TOKEN.search(token):
                # "/etc/hostname" answers "which file holds the hostname": a path, a command or a
                # dotted name repeats the question only when the question writes it whole.
                if textmod.fold(token) not in _question_tokens(retrieval):
                    return False
            else:
                content += [w for w in textmod.words(token) if textmod.is_content_word(w)]
        return bool(content) and all(
            textmod.fold(w) in question_folded or textmod.stem(w, language) in question_terms for w in content
        )

    def _repeats_question(self, span: Span, text: str, retrieval: Retrieval, source: str) -> bool:
        """The span repeats the question (``_mentioned``), or stands in the spelled-out form of
        an acronym the question names, or is the acronym of words it says: "JavaScript" in
        "JSON (JavaScript Object Notation)" does not answer "which module, unlike JSON, …"."""
        if self._mentioned(span.text, retrieval, source):
            return True
        for definition in acronym_definitions(text):
            for side, other in ((definition.expansion, definition.acronym), (definition.acronym, definition.expansion)):
                if side.start <= span.start and span.end <= side.end and self._mentioned(other.text, retrieval, source):
                    return True
        return False

    def _counts_another_thing(self, span: Span, passage: Passage, retrieval: Retrieval) -> bool:
        """A quantity of something the question gives rather than counts: "21 jours" for "combien de
        personnes l'utilisent chaque jour" (its unit is a word of the question, not the counted one)."""
        counted = _counted_forms(retrieval, self.index)
        if counted is None:
            return False
        language = self._language(passage)
        if not _unit_words(span) and not self._names(passage, counted):
            return True  # a bare number in a passage that never names what is counted ("0" of a rating widget)
        return not _unit_in(span, counted, language) and _unit_in(
            span, _question_forms(retrieval, self.index), language
        )

    def _names(self, passage: Passage, forms: tuple[set[str], set[str]]) -> bool:
        """The passage says one of ``forms`` (folded words, index terms), as written or as the index stems it."""
        folded, terms = forms
        words, stems = self._read("words", passage, lambda: _words_and_stems(passage, self.index))
        return any(textmod.fold(w) in folded for w in words) or any(stem in terms for stem in stems)

    def _another_version(self, passage: Passage, retrieval: Retrieval) -> bool:
        """The question names a version ("DeepSeek-R2", "Debian 12", "Python 3.12") and the passage
        names only other versions of the same thing ("DeepSeek-R1", "R1", "Debian 11"): what it
        states, it states of another version."""
        asked = retrieval.derive("versioned names", lambda: versioned_names(retrieval.question))
        if not asked:
            return False
        language = self._language(passage)
        found = self._read("versioned names", passage, lambda: versioned_names(passage.clean or passage.text, language))
        for name in asked:
            series = [f for f in found if f.same_series(name)]
            if series and not any(f.same_version(name) for f in series):
                return True
        return False

    def _about_another_name(self, span: Span, passage: Passage, retrieval: Retrieval, previous: Passage | None) -> bool:
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
        language = self._language(passage)
        start, end = next(((a, b) for a, b in sentence_spans(text) if a <= span.start < b), (0, len(text)))
        mentions = [
            m
            for m in self._read("names", passage, lambda: find_names(text, language))
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
        clause_end = min((c for c in self._clauses(passage) if c > span.end), default=end)
        for m in mentions:
            if (
                span.end <= m.start < min(end, clause_end)
                and (said := self._said_of([m], retrieval, passage.source)) is not None
            ):
                return not said
        return False

    def _previous_in_paragraph(self, passage: Passage, retrieval: Retrieval) -> Passage | None:
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
            if not _named_by(tokens, _question_forms(retrieval, self.index), language):
                other = True
        return False if other else None

    def _context_ids(self, candidate: Candidate, nearby: dict[int, Passage] | None = None) -> list[int]:
        """Passages that give this one its meaning: its neighbours in the paragraph; for a heading,
        the start of the section it heads; for a sentence ending in ':', also what it introduces."""
        passage = candidate.passage
        if nearby is None:
            nearby = self.index.passages.get(list(range(candidate.id - 1, candidate.id + SECTION_LOOKAHEAD + 1)))
        if _introduces(passage):  # a heading, or "Here are the keys:" before its list
            before = nearby.get(candidate.id - 1)
            out = [candidate.id - 1] if before is not None and same_paragraph(before, passage) else []
            for pid in range(candidate.id + 1, candidate.id + SECTION_LOOKAHEAD + 1):
                p = nearby.get(pid)
                if p is None or p.source != passage.source or _is_heading(p):
                    break
                out.append(pid)
            return out
        return [
            pid
            for pid in (candidate.id - 1, candidate.id + 1)
            if (p := nearby.get(pid)) is not None and same_paragraph(p, passage)
        ]

    def _abstain(
        self, question: str, searched: str, kind: str, confidence: float, nearest: list[Citation] | None = None
    ) -> Answer:
        return Answer(
            question=question,
            answer="",
            abstained=True,
            citations=[],
            searched_question=searched,
            question_type=kind,
            confidence=round(confidence, 4),
            nearest=nearest or [],
        )

    # -- composing ---------------------------------------------------------
    def _answer_passages(self, candidate: Candidate) -> list[Passage]:
        """The passage, or for a heading or a line ending in ':' the passages it introduces."""
        passage = candidate.passage
        if not _introduces(passage):
            return [passage]
        following = [p for _, p in self.index.passages.neighbours(candidate.id, 0, 12)][1:]
        body: list[Passage] = []
        for p in following:
            if p.source != passage.source or (body and _is_heading(p)):
                break
            if body and not _introduces(body[-1]) and not _is_list_item(p) and not same_paragraph(body[-1], p):
                break
            body.append(p)
            if sum(len(b.text) for b in body) > MAX_ANSWER_CHARS and not _is_list_item(p):
                break
        return body or [passage]

    def _with_antecedent(self, candidate: Candidate, passages: list[Passage]) -> list[Passage]:
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

    def _with_holder(self, kind: str, scored: list[_Scored], passages: list[Passage]) -> list[Passage]:
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

    def _helps(self, other: _Scored, kind: str, short: str, quoted: list[Passage], retrieval: Retrieval) -> bool:
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

    def _holder_about_another(self, kind: str, best: _Scored, retrieval: Retrieval, passages: list[Passage]) -> bool:
        """The best sentence names the subject but holds nothing of the kind asked, and the sentences
        of its paragraph that do were set aside as said of another name ("Depuis février, des cours
        basés sur DeepSeek…" beside "…dépassant Doubao" for "when was Doubao launched"): the paragraph's
        answer is another thing's, so the documents do not say."""
        if kind not in TYPED or best.type_spans or len(passages) != 1 or passages[0] is not best.candidate.passage:
            return False
        set_aside = retrieval.derived.get(("about another name", kind), {})
        return any(same_paragraph(p, best.candidate.passage) for p in set_aside.values())

    def _with_runner_up(self, scored: list[_Scored], passages: list[Passage]) -> list[Passage]:
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

    def _short_answer(self, kind: str, passage: Passage, retrieval: Retrieval, best: _Scored):
        """The span answering a typed question: the one the question's matched words pull hardest."""
        spans = [
            trimmed
            for span in _type_spans(kind, passage)
            if (trimmed := self._without_mentions(kind, span, passage, retrieval)) is not None
        ]
        measure = _measure_asked(retrieval.question) if kind == QUANTITY else None
        if measure is not None:
            spans = [s for s in spans if measure in measures(s.text)] or spans
        if kind == QUANTITY:
            spans = [s for s in spans if not self._counts_another_thing(s, passage, retrieval)] or spans
            # A percentage answers a question about a share ("what percentage of the audience"), and
            # only such a question ("how many people": 22 million, not 41.6 %).
            asks_share = classify(retrieval.question).share
            spans = [s for s in spans if (s.kind == PERCENT) == asks_share] or spans
        if kind == PATH:
            # A bare extension (".ly") is the end of a file's name: the answer to "which extension", while
            # "which file" wants a whole name ("ly/property-init.ly") where the passage gives one.
            asks_extension = classify(retrieval.question).extension
            spans = [s for s in spans if _bare_extension(s.text) == asks_extension] or spans
        previous = self._previous_in_paragraph(passage, retrieval)
        spans = [s for s in spans if not self._about_another_name(s, passage, retrieval, previous)]
        if kind == OTHER or not spans:
            return "", None
        if passage.kind == ROW:
            span = self._row_answer(kind, passage, retrieval, spans)
            return span.text, (span.start, span.end)
        anchors, clauses = self._anchors(passage, retrieval), self._clauses(passage)
        plural = asks_plural(retrieval.question)

        def pull(span) -> float:
            return _pull(kind, span, anchors, clauses) or 1e-6

        question_folded, question_terms = _question_forms(retrieval, self.index)
        language = self._language(passage)

        counted = _counted_forms(retrieval, self.index) if kind == QUANTITY else None

        def counts_what_is_asked(span) -> bool:
            """The quantity's unit is what the question counts, else a word of the question."""
            return _unit_in(span, counted or (question_folded, question_terms), language)

        def plausibility(span) -> float:
            factor = 1.0
            words = span.text.split()
            enumeration = re.search(r"\s(?:et|and|&|ou|or)\s|,\s", span.text) is not None
            if enumeration:
                factor *= 1.3 if plural else 1.1  # "A and B" answers "which ones" whole
            if kind in (NAME, PERSON):
                # A lone capitalised word opening a sentence may be grammar, not a name.
                opening = not passage.text[: span.start].strip() and len(words) == 1
                if opening and not any(c.isupper() or c.isdigit() for c in span.text[1:]):
                    factor *= 0.8
                factor *= self._specificity(words, passage.source)
            if kind in (QUANTITY, MONEY) and counts_what_is_asked(span):
                factor *= 2.0  # "how many users": "22,15 millions d'utilisateurs", not "21 jours"
            if kind == PERSON:
                # People are named with two or three plain capitalised words.
                person_like = 2 <= len(words) <= 3 and all(w[:1].isupper() and w[1:].islower() for w in words)
                factor *= 1.3 if person_like else 0.6
            return factor

        span = max(spans, key=lambda s: (pull(s) * plausibility(s), -s.start))
        return span.text, (span.start, span.end)

    def _row_answer(self, kind: str, passage: Passage, retrieval: Retrieval, spans: list[Span]) -> Span:
        """The cell of a table row that answers: the one in the column the question names ("which
        package" → the "paquet" column), or next to the cell it names ("the port of imaps"),
        else the row's first column, which says what the row is about."""
        folded, terms = _question_forms(retrieval, self.index)
        language = self._language(passage)
        kept = {(s.start, s.end) for s in spans}
        cells = _row_cells(kind, passage)
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
        if self._repeats_question(span, passage.text, retrieval, passage.source):
            return None
        if kind not in (NAME, PERSON):
            return span
        pieces = list(re.finditer(r"\S+", span.text))

        def dropped(piece: str) -> bool:
            # What the question says, and the "et"/"and" left dangling once it is gone.
            return self._mentioned(piece, retrieval, passage.source) or textmod.is_function_word(textmod.fold(piece))

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
        return 1.0 / (1.0 + 10.0 * min(shares)) if shares else 1.0


def _bare_extension(text: str) -> bool:
    """ ".ily", ".kicad_pro": the end of a file's name written alone."""
    return text.startswith(".") and "/" not in text and "." not in text[1:]


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


def _nearest(scored: list[_Scored], top_k: int) -> list[Citation]:
    """The best ranked passages, at most ``top_k``: where to look when the documents do not answer."""
    out: list[Citation] = []
    seen = set()
    for s in scored:
        p = s.candidate.passage
        if (p.source, p.start_char) not in seen:
            seen.add((p.source, p.start_char))
            out.append(passage_citation(len(out) + 1, p, s.score))
        if len(out) >= top_k:
            break
    return out


def _pull(kind: str, span, anchors: list[tuple[float, float]], clauses: list[int]) -> float:
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
            weight *= 0.5  # "who did X": the doer is usually named before the verb
        if bisect.bisect_right(clauses, at) != clause:
            weight *= 0.3
        total += weight / (1.0 + abs(middle - at) / 20.0)
    return total


def _clauses(text: str) -> list[int]:
    """Where the clauses of a passage start, a new sentence starting a new clause too."""
    sentences = [start for start, _ in sentence_spans(text)][1:]
    return sorted(set(clause_starts(text)) | set(sentences))


@lru_cache(maxsize=256)
def _measure_asked(question: str) -> str | None:
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


def _qualifier_pairs(retrieval: Retrieval) -> list:
    """(qualifier, the word of the question it qualifies, the side it stands on): each two
    neighbouring words of the question, both ways."""
    by_fold = {textmod.fold(w.word): w for w in retrieval.words}
    asked = [textmod.fold(w) for w in textmod.words(retrieval.question)]
    pairs = []
    for a, b in zip(asked, asked[1:], strict=False):
        left, right = by_fold.get(a), by_fold.get(b)
        if left is not None and right is not None and left is not right:
            pairs += [(left, right, -1), (right, left, +1)]
    return pairs


def _words_and_stems(passage: Passage, index) -> tuple[list[str], list[str]]:
    """The passage's words, and their stems as the index stemmed its file."""
    language = indexed_language(index, passage.source)
    tokens = [m.group(0) for m in textmod.WORD.finditer(passage.clean or passage.text)]
    return tokens, [textmod.stem(t, language) for t in tokens]


def _speaks_of_another(
    words: tuple[list[str], list[str]],
    passage: Passage,
    context_words: set[str],
    retrieval: Retrieval,
    index,
    crosslingual: bool,
) -> bool:
    """Whether the passage puts another of its kind where the question has a qualifier.

    "When was the purple report filed?" asked, "The violet report was filed on 3 March"
    written: "report" matches, but where the question says "purple" the passage says
    "violet", a word of the same kind (QuestionWord.kin), so it speaks of another report.
    Likewise "Debian 11" asked, "Debian 12" written: another number. A qualifier of another kind ("the comedy show" asked, "the
    BBC show" written) adds to what is asked, and one left out may be implied: neither
    counts. Such a passage states something of another thing, so it is never an answer,
    however close its words (no answer of the development sets is one).

    Across languages only numbers are compared: there a word of the same kind is as often
    a translation the vocabulary vectors hold less close ("améliorés", "enhanced") as
    another thing ("small", "grande"), and the order of the words differs.
    """
    pairs = retrieval.derive("qualifier_pairs", lambda: _qualifier_pairs(retrieval))
    pairs = [(q, n, side) for q, n, side in pairs if n.word in context_words]
    if not pairs:
        return False
    terms = index.lexical.terms
    language = indexed_language(index, passage.source)
    tokens, stems = words
    for qualifier, qualified, side in pairs:
        own = textmod.stem(qualifier.word, language)
        numeric = qualifier.word.isdigit()
        if own in stems or (crosslingual and not numeric):
            continue
        kin = {terms[t] for t in qualifier.kin} - {own}
        qualified_terms = {terms[t] for t, _ in qualified.expansions} | {textmod.stem(qualified.word, language)}
        steps = (-1, 1) if crosslingual else (side,)
        beside = [i + step for i, term in enumerate(stems) if term in qualified_terms for step in steps]
        if any(
            0 <= j < len(tokens)
            and textmod.is_content_word(tokens[j])
            and not same_family(tokens[j], qualifier.word)
            and (tokens[j].isdigit() if numeric else stems[j] in kin)
            for j in beside
        ):
            return True
    return False


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


def _question_forms(retrieval: Retrieval, index) -> tuple[set[str], set[str]]:
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


def _unit_in(span: Span, forms: tuple[set[str], set[str]], language: str) -> bool:
    """The quantity's unit is among ``forms`` (folded words, index terms)."""
    folded, terms = forms
    return any(textmod.fold(w) in folded or textmod.stem(w, language) in terms for w in _unit_words(span))


def _counted_forms(retrieval: Retrieval, index) -> tuple[set[str], set[str]] | None:
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


_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+(?P<label>[^:]{1,60}?)\s*:\s")


def _type_spans(kind: str, passage: Passage):
    if passage.kind == ROW:
        return [span for _, _, span in _row_cells(kind, passage)]
    if kind in (NAME, PERSON) and is_title_case(passage.text):
        return []  # In "A Revolution In Chinese AI" every word looks like a name.
    spans = spans_for(kind, passage.text)
    if kind == PERSON:
        spans = [s for s in spans if _person_like(s, passage.text)]
    return spans


# In a table the cells are the answers: a one-word cell ("fail2ban", "dash") names a thing.
_ONE_TOKEN_KINDS = (NAME, IDENTIFIER, COMMAND)


def _row_cells(kind: str, passage: Passage) -> list[tuple[int, str, Span]]:
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


def _joined(passages: list[Passage]) -> Passage:
    """Consecutive passages read as one (offsets in the first stay valid)."""
    first, last = passages[0], passages[-1]
    return replace(
        first,
        text=" ".join(p.text for p in passages),
        clean=" ".join(p.clean for p in passages),
        end_line=last.end_line,
        end_char=last.end_char,
    )


def _is_list_item(passage: Passage) -> bool:
    return re.match(r"^\s*(?:[-*+•]|\d+[.)])\s", passage.text) is not None


def _introduces(passage: Passage) -> bool:
    return _is_heading(passage) or passage.text.rstrip().endswith(":")


def list_labels(passages: list[Passage]) -> list[str]:
    """The labels of "- Label : explanation" list items, the gist of a list."""
    labels = [m.group("label") for p in passages if (m := _LIST_ITEM.match(p.text))]
    return labels if len(labels) >= 2 else []


def _is_heading(passage: Passage) -> bool:
    return passage.kind in ("heading", "caption")


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


def _compose(short: str, passages: list[Passage], highlight) -> str:
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


def _fit(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
