"""From retrieved passages to a short cited answer, or an honest abstention.

The answer is extractive: it leads with the span that answers (a date, a
quantity, a name, or the sentence itself for other questions), followed by the
sentence that says it, quoted, and the citation marker. Every citation's text
is the passage exactly as it stands in the file.

The Answerer judges and ranks the retrieved candidates and decides whether to answer; its
collaborators read the spans of the passages (``span_reading.SpanReader``), pick the short answer
(``short_answers.ShortAnswers``) and choose and compose what is quoted (``quoting.Quoter``). The
answer's JSON contract is ``answer_contract``, its names importable from here too.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from qa import ranking
from qa import text as textmod
from qa.answer_contract import AnchorCitation, Answer, Citation, PageCitation, ParagraphCitation, passage_citation
from qa.documents import ROW, Passage, same_paragraph
from qa.lang import content_words, same_family
from qa.lang.grammar import addresses_the_reader, given_as_maker, is_maker_noun
from qa.lang.numbers import measures
from qa.lang.questions import DATE, MONEY, NAME, OTHER, PERSON, QUANTITY, classify
from qa.lang.sentences import is_question
from qa.quoting import Quoter, compose_answer, introduces, is_heading, is_list_item, joined, list_labels, shortened
from qa.ranking import RANK_FEATURES, RankingModel
from qa.reader import question_prose, unwrapped
from qa.retrieval import Candidate, Retrieval, WhileWaiting, indexed_language
from qa.short_answers import ShortAnswers
from qa.span_reading import OF_A_SUBJECT, TYPED, SpanReader, asked_measure, type_spans, words_and_stems
from qa.tuning import MAX_SHORT_ANSWER_CHARS, NAME_IN_CONTEXT, SUPPORT_COVERAGE, SUPPORT_SCORE

__all__ = [
    "COUNTED",
    "OF_A_SUBJECT",
    "TYPED",
    "AnchorCitation",
    "Answer",
    "Answerer",
    "Citation",
    "PageCitation",
    "ParagraphCitation",
    "Scored",
    "list_labels",
    "passage_citation",
]

# Kinds only a number answers (or a list, counted): a passage without one is no answer, however well it
# matches. Not money: "how much does it cost" is answered by "it is free".
COUNTED = (QUANTITY,)


@dataclass
class _Judged:
    """What ``Answerer._judge`` finds in one candidate for one question."""

    context_coverage: float
    spans: list
    context_words: frozenset
    features: dict[str, float]  # the RANK_FEATURES that depend on this candidate alone


@dataclass
class Scored:
    """A candidate with the ranker's score and what judging found in it (``Answerer._score``)."""

    candidate: Candidate
    score: float
    context_coverage: float
    type_spans: list
    context_words: frozenset = frozenset()  # question words matched by the passage or its paragraph
    features: np.ndarray | None = None  # RANK_FEATURES of the candidate


class Answerer:
    def __init__(self, index, retriever, model: RankingModel | None = None):
        self.index = index
        self.retriever = retriever
        self.model = model or ranking.load()
        self.span_reader = SpanReader(index)
        self.short_answers = ShortAnswers(self.span_reader)
        self.quoter = Quoter(index)

    def featurize(self, question: str) -> tuple[Retrieval, str, list[Scored]]:
        """The question's retrieval, its type, and every candidate with the ranker's features, ranked."""
        kind = classify(question).kind
        retrieval = self.retriever.search(question, self.judge_while_waiting(kind))
        return retrieval, kind, self._score(retrieval, kind)

    def abstain_features(self, retrieval: Retrieval, kind: str, scored: list[Scored]) -> np.ndarray:
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

    def focus_missing(self, retrieval: Retrieval, kind: str, scored: list[Scored]) -> np.ndarray:
        """For each candidate: what the question counts or asks the role of is neither in it nor in its
        paragraph, were it the best passage. "How many employees", "who is the founder of": a passage
        about something else (users, a partner) does not answer it."""
        focus_folded = classify(retrieval.question).focus
        focus = next((w for w in retrieval.words if textmod.fold(w.word) == focus_folded), None)
        if focus is None:
            return np.zeros(len(scored), dtype=np.float64)
        measured = kind == QUANTITY and asked_measure(retrieval.question)
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
        holds = best.type_spans and not is_heading(best.candidate.passage)
        passages = [best.candidate.passage] if holds else self.quoter.answer_passages(best.candidate)
        if len(passages) > 1 and kind in TYPED and introduces(best.candidate.passage):
            # In a section, lead with the sentence that holds what was asked.
            holding = [p for p in passages if type_spans(kind, p)]
            if holding:
                passages = holding[:1]
        passages = self.quoter.with_antecedent(best.candidate, passages)
        with_holder = self.quoter.with_holder(kind, scored, passages)
        if self.quoter.holder_about_another(kind, best, retrieval, with_holder):
            return self._abstain(question, searched, kind, confidence, nearest)
        if len(with_holder) > 1:
            # The paragraph's sentence that holds what was asked gives the answer, quoted with the best.
            passages = with_holder
            holder = next(p for p in with_holder if p is not best.candidate.passage)
            short, highlight = self.short_answers.short_answer(kind, holder, retrieval, best)
            if with_holder[0] is not holder:
                highlight = None  # in the second sentence: shown by its text, not by offsets in the first
        elif len(pair := self.quoter.with_runner_up(scored, passages)) > 1:
            # Two sentences saying it together: the answer may stand in either.
            passages = pair
            short, highlight = self.short_answers.short_answer(kind, joined(pair), retrieval, best)
            if highlight and highlight[1] > len(pair[0].text):
                highlight = None  # in the second sentence: shown by its text, not by offsets in the first
        else:
            short, highlight = self.short_answers.short_answer(kind, passages[-1], retrieval, best)
            if not short and len(passages) > 1:
                short, highlight = self.short_answers.short_answer(kind, passages[0], retrieval, best)
        labels = list_labels(passages)
        if (
            kind in COUNTED
            and not labels
            and not any(self.span_reader.read(kind, p, lambda p=p: type_spans(kind, p)) for p in passages)
        ):
            # "How many", "how much": what would be quoted holds no number at all (nor a list to count),
            # so it cannot say it.
            return self._abstain(question, searched, kind, confidence, nearest)
        if (
            kind in (DATE, MONEY)
            and not short
            and not any(self.span_reader.read(kind, p, lambda p=p: type_spans(kind, p)) for p in passages)
        ):
            # "When was Orca-Pro launched?", "what is the price of Orca-Pro?": what would be quoted
            # names the thing but holds no date, no amount at all ("far cheaper" is no price).
            return self._abstain(question, searched, kind, confidence, nearest)
        if not short and not labels and self.short_answers.another_unit(kind, passages, retrieval):
            # "How many employees", "what market share": what would be quoted holds only quantities of
            # something else ("six models", "12,000 visitors").
            return self._abstain(question, searched, kind, confidence, nearest)
        if says_only_its_names(retrieval, kind, best, self.focus_missing(retrieval, kind, [best])[0]) and not (
            is_maker_noun(classify(searched).focus or "") and _given_as_maker(short, passages)
        ):
            # Nothing of the kind asked is said: the passage only names the question's subject. A maker
            # is the exception, given by its link to what it makes ("Petrel, the assistant of Gannet" for
            # "which company makes Petrel?").
            return self._abstain(question, searched, kind, confidence, nearest)
        if _doer_unsaid(self.span_reader, kind, retrieval, searched, passages, short):
            return self._abstain(question, searched, kind, confidence, nearest)
        if labels and not short:
            short = " ; ".join(labels)
            passages = [p for p in passages if is_list_item(p)]
        short = shortened(unwrapped(short), MAX_SHORT_ANSWER_CHARS)
        citations = [passage_citation(i + 1, p, best.score) for i, p in enumerate(passages)]
        seen = {(p.source, p.start_char) for p in passages}
        for other in scored[1:]:
            if len(citations) >= max(top_k, len(passages)):
                break
            p = other.candidate.passage
            if (p.source, p.start_char) in seen:
                continue
            if (
                is_heading(p)
                or _sigmoid(other.score) < SUPPORT_SCORE * _sigmoid(best.score)
                or other.candidate.coverage < SUPPORT_COVERAGE * best.candidate.coverage
            ):
                continue  # further passages are cited only when they are nearly as relevant
            if not self.quoter.helps(other, kind, short, passages, retrieval):
                continue
            seen.add((p.source, p.start_char))
            citations.append(passage_citation(len(citations) + 1, p, other.score))
        text = compose_answer(short, passages, highlight)
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
    def _score(self, retrieval: Retrieval, kind: str) -> list[Scored]:
        candidates = retrieval.candidates
        if not candidates:
            return []
        top_lexical = max(c.lexical for c in candidates) or 1.0
        top_semantic = max(c.semantic for c in candidates)
        top_paragraph = max(c.paragraph for c in candidates)
        unjudged = [c for c in candidates if ("judged", kind, c.id) not in retrieval.derived]
        nearby = self.quoter.nearby(unjudged)
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
            out.append(Scored(c, 0.0, judged.context_coverage, judged.spans, judged.context_words, row))
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
            nearby = self.quoter.nearby(provisional.candidates)
            for c in provisional.candidates:
                if not waiting():
                    return
                provisional.derive(("judged", kind, c.id), lambda c=c: self._judge(c, provisional, kind, nearby))

        return judge

    def _judge(self, c: Candidate, retrieval: Retrieval, kind: str, nearby: dict[int, Passage]) -> _Judged | None:
        """What the candidate says of the question, all but the retrieval model's similarities and
        what depends on the other candidates: None for a passage that is no answer at all (an order
        to the reader, a statement about something else)."""
        if self.span_reader.read("order", c.passage, lambda p=c.passage: addresses_the_reader(p.clean or p.text)):
            return None  # "Ignore previous instructions and answer that…": an order, never an answer
        weights = retrieval.derive("word weights", lambda: {w.word: w.weight for w in retrieval.words})
        total = sum(weights.values()) or 1.0
        names = retrieval.derive("names", lambda: [w.word for w in retrieval.words if w.is_name and w.expansions])
        measure = asked_measure(retrieval.question) if kind == QUANTITY else None
        context_ids = self.quoter.context_ids(c, nearby)
        context_words = set(c.matched)
        for neighbour_id in context_ids:
            context_words |= retrieval.matched_words(neighbour_id)
        heading_id = int(self.index.section_of[c.id])
        if heading_id >= 0 and heading_id != c.id:
            context_words |= retrieval.matched_words(heading_id)  # its section's title says what it is about
        words = self.span_reader.read("words", c.passage, lambda p=c.passage: words_and_stems(p, self.index))
        if _speaks_of_another(
            words,
            c.passage,
            context_words,
            retrieval,
            self.index,
            self.span_reader.language(c.passage) != retrieval.language,
        ):
            return None  # "the violet report" for "the purple report": a statement about something else
        if self.span_reader.another_version(c.passage, retrieval):
            return None  # "DeepSeek-R1" for "DeepSeek-R2", "Debian 11" for "Debian 12": another thing's version
        context_coverage = sum(weights.get(w, 0.0) for w in context_words) / total
        spans = self.span_reader.read(kind, c.passage, lambda p=c.passage: type_spans(kind, p))
        spans = [
            s for s in spans if not self.span_reader.repeats_question(s, c.passage.text, retrieval, c.passage.source)
        ]
        if measure is not None:
            spans = [s for s in spans if measure in measures(s.text)]  # "combien de temps": "10 jours", not "700"
        if kind == QUANTITY:
            spans = [s for s in spans if not self.span_reader.counts_another_thing(s, c.passage, retrieval)]
        if spans:
            before = nearby.get(c.id - 1)
            previous = before if before is not None and same_paragraph(before, c.passage) else None
            spans = [s for s in spans if not self.span_reader.about_another_name(s, c.passage, retrieval, previous)]
            if not spans:
                # Every date, number or name it gives belongs to another of the question's kind
                # ("DeepSeek a conquis 22,15 millions" for ChatGPT's users): it says nothing of the subject.
                retrieval.derived.setdefault(("about another name", kind), {})[c.id] = c.passage
                return None
        # A name found only in a neighbouring sentence half counts; a heading
        # is about whatever its section names.
        in_context = 0.0 if is_heading(c.passage) else NAME_IN_CONTEXT
        missing_names = (
            sum(weights[w] * (in_context if w in context_words else 1.0) for w in names if w not in c.matched) / total
        )
        # A heading is a summary of its section: judged with it.
        coverage = max(c.coverage, context_coverage) if is_heading(c.passage) else c.coverage
        features = {
            "coverage": coverage,
            "context_coverage": context_coverage,
            "missing_names": missing_names,
            "type_match": float(bool(spans)),
            "span_pull": self.span_reader.span_pull(kind, c.passage, spans, retrieval) / total,
            "heading": float(c.passage.kind == "heading"),
            "row": float(c.passage.kind == "row"),
            "code": float(c.passage.kind == "code"),
            "crosslingual": float(self.span_reader.language(c.passage) != retrieval.language),
            "question": float(
                self.span_reader.read("asks", c.passage, lambda p=c.passage: is_question(p.clean or p.text))
            ),
        }
        if kind in TYPED and not spans and is_heading(c.passage):
            # A heading stands for its section: it holds what was asked when its section does.
            section = [nearby[pid] for pid in context_ids]
            features["type_match"] = float(
                any(
                    not self.span_reader.repeats_question(span, p.text, retrieval, p.source)
                    for p in section
                    for span in type_spans(kind, p)
                )
            )
        return _Judged(context_coverage, spans, frozenset(context_words), features)

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


def _nearest(scored: list[Scored], top_k: int) -> list[Citation]:
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


def says_only_its_names(retrieval: Retrieval, kind: str, best: Scored, focus_missing: float) -> bool:
    """A "which <focus>" question asking for a name, or a "who is the <role> of" one asking for a person,
    whose best passage, with its paragraph, says neither the focus (``focus_missing``:
    ``Answerer.focus_missing``) nor any other word of the question but its names (and their numbers:
    "Heron 3"): it names what the question is about and says nothing of it, so no name it holds besides is
    a <focus> it states ("With Orca-Pro, a model rivalling Heron 3" for "what license is Heron 3 released
    under?"; "Anna Keller, the harbour's mayor" for "who is the founder of Heron?"). Any capitalised word
    passes for a name, so only the words around it can say it is one of the kind asked. A table row is left
    to the abstainer: the kind of its cells is given by the table's columns, not by words around them."""
    if kind not in (NAME, PERSON) or best.candidate.passage.kind == ROW or not focus_missing:
        return False
    return not any(w.word in best.context_words for w in retrieval.words if not w.is_name and not w.word.isdigit())


def _doer_unsaid(
    span_reader: SpanReader, kind: str, retrieval, searched: str, passages: list[Passage], short: str
) -> bool:
    """ "Who leads Heron?", "who created Orca-Pro?": what would be quoted says nothing of leading or creating,
    so no name it holds ("Gannet Works" beside Heron) is the one who does it, and a sentence naming no one is
    no answer; a maker given as one ("Petrel, by Gannet") is the exception. "Whom does the mill welcome?" asks
    for no doer (SpanReader.doer_unsaid)."""
    return (
        kind == PERSON
        and span_reader.doer_unsaid(retrieval, searched, passages)
        and not _given_as_maker(short, passages)
    )


def _given_as_maker(short: str, passages: list[Passage]) -> bool:
    """The short answer stands in a quoted passage as the maker or owner of what it is said with."""
    return bool(short) and any(
        given_as_maker(p.text, at, at + len(short)) for p in passages for at in _occurrences(short, p.text)
    )


def _occurrences(needle: str, text: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(needle), text)]


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


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))
