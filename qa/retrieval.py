"""Find the passages that answer a question: three rankings, one fused list.

- dense: the sentence-transformers model (question vs passage, FAISS);
- multilingual: the multilingual encoder's sentence vectors (FAISS);
- lexical: BM25 where each question word also matches the index terms that
  translate or inflect it (nearest vocabulary vectors, FAISS), so an English
  question reaches French passages word by word.

The lexical side also tells how much of the question a passage covers, which
is what abstention is decided on: a passage that matches only the words every
passage has ("DeepSeek") does not answer a question about its CEO.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field

import numpy as np

from qa import text as textmod
from qa.documents import Passage
from qa.lang import names
from qa.lang.questions import classify
from qa.lexical import LexicalMatch
from qa.store import LoadedIndex
from qa.tuning import (
    CANDIDATES_PER_RANKING,
    NAME_EVIDENCE_PASSAGES,
    NAME_TRANSLATION_SIMILARITY,
    NAME_WEIGHT,
    RRF_K,
    SECTION_PASSAGES,
    SECTIONS_EXPANDED,
    TRANSLATION_CSLS,
    TRANSLATION_SIMILARITY,
    TRANSLATIONS_PER_WORD,
    UNMATCHED_WORD_WEIGHT,
)


@dataclass
class QuestionWord:
    word: str
    weight: float  # idf of its best index term, or of an unseen term
    expansions: list[tuple[int, float]]  # (term id, similarity)
    is_name: bool = False  # a proper name, acronym or model name the documents spell the same way
    # Index terms of the same kind, translations or not: among its nearest in the vocabulary
    # vectors, and nearer to it than each is to its own nearest on average (CSLS > 0):
    # "violet" and "green" for "purple", "north" for "south".
    kin: frozenset[int] = frozenset()


@dataclass
class Candidate:
    id: int
    passage: Passage
    score: float
    dense: float = 0.0
    multilingual: float = 0.0
    semantic: float = 0.0  # the retrieval model: the passage in its context
    paragraph: float = 0.0  # the retrieval model: the passage's whole paragraph
    section: float = 0.0  # the retrieval model: the title of the section the passage stands in
    lexical: float = 0.0
    coverage: float = 0.0  # share of the question's weight this passage matches
    matched: list[str] = field(default_factory=list)


@dataclass
class Retrieval:
    question: str
    language: str
    words: list[QuestionWord]
    candidates: list[Candidate]
    matched: LexicalMatch | None = None  # matched[w, passage]: similarity by which word w matched
    # What the answerer derives from the question alone, each computed once (``derive``).
    derived: dict[object, object] = field(default_factory=dict, repr=False)

    def derive(self, name: str, compute):
        """``compute()``, once per question: later calls with the same name get the first value."""
        if name not in self.derived:
            self.derived[name] = compute()
        return self.derived[name]

    def matched_words(self, passage_id: int) -> set[str]:
        if self.matched is None:
            return set()
        return self.derive(
            ("matched_words", passage_id), lambda: {self.words[i].word for i in self.matched.words_in(passage_id)}
        )


# What ``Retriever.search`` calls while the retrieval model still reads the question: the
# provisional retrieval, and whether it is still reading.
WhileWaiting = Callable[[Retrieval, Callable[[], bool]], None]


class Retriever:
    def __init__(self, index: LoadedIndex, question_encoder, multilingual, semantic):
        self.index = index
        self.question_encoder = question_encoder
        self.multilingual = multilingual
        self.semantic = semantic
        self._names: dict[int, bool] = {}  # term id -> written as a name (_written_as_name)
        self._surface_ids: dict[str, int] | None = None  # the vocabulary's written forms, read on first use

    # Whether the rankings of the two question encoders are searched while the retrieval model
    # still reads the question (``search``'s ``while_waiting``). A cluster says no: each search
    # there is a round trip to the shards, and its four searches leave together (qa.cluster).
    searches_ahead = True

    def search(self, question: str, while_waiting: WhileWaiting | None = None) -> Retrieval:
        """The candidates for ``question``, fused from every ranking, with their signals.

        ``while_waiting(provisional, waiting)`` is called once everything but the retrieval
        model's vector is known, if that model is still reading the question (on a slow core
        it is the longest step): ``provisional`` holds the candidates of the other rankings,
        without the retrieval model's similarities, and shares ``derived`` with the retrieval
        returned; ``waiting()`` turns False as soon as the vector is there.
        """
        # The retrieval model reads the question on its own thread meanwhile: it is the longest
        # of the three encoders, so it starts first and everything else is done while it runs.
        semantic_pending = self._submit_semantic(question)
        language = textmod.detect_language(question)
        cues = classify(question).cue_words
        surface_words = self._split_unknown_compounds(
            [w for w in textmod.content_words(question) if not _frames_the_question(w, cues)]
        )
        question_multi, word_vectors = self._multilingual_vectors(question, [w.lower() for w in surface_words])

        words = self._expand(surface_words, word_vectors, language)
        # Only the passages that contain a question word are scored (no array
        # over every passage: a million passages cost what their postings cost).
        lexical = self.index.lexical.match([w.expansions for w in words])
        coverage = lexical.coverage([w.weight for w in words])
        question_dense = self.question_encoder.encode([question])
        queries = {"dense": question_dense, "multilingual": question_multi}
        k = min(CANDIDATES_PER_RANKING, self.index.manifest.passage_count)
        rankings = {"lexical": [int(i) for i in lexical.top(k)]}
        derived: dict[object, object] = {}
        if while_waiting is not None and self.searches_ahead and not semantic_pending.done():
            rankings.update((name, self._ranking(name, query, k)) for name, query in queries.items())
            provisional = self._candidates(rankings, queries, lexical, coverage, words)
            try:
                while_waiting(
                    Retrieval(question, language, words, provisional, lexical, derived),
                    lambda: not semantic_pending.done(),
                )
            except BaseException:
                wait([semantic_pending])  # the worker is left idle for the next question
                raise
        question_semantic = semantic_pending.result()
        self._encoded(question_multi, question_dense, question_semantic)
        queries.update(semantic=question_semantic, paragraphs=question_semantic)
        for name, query in queries.items():
            if name not in rankings:
                rankings[name] = self._ranking(name, query, k)
        candidates = self._candidates(rankings, queries, lexical, coverage, words)
        return Retrieval(question, language, words, candidates, lexical, derived)

    def _ranking(self, name: str, query: np.ndarray, k: int) -> list[int]:
        """The ``k`` passages nearest ``query`` in the passage vector index ``name``."""
        _, ids = getattr(self.index, name).search(query, k)
        return [int(i) for i in ids[0] if i >= 0]

    def _candidates(
        self,
        rankings: dict[str, list[int]],
        queries: dict[str, np.ndarray],
        lexical: LexicalMatch,
        coverage: np.ndarray,
        words: list[QuestionWord],
    ) -> list[Candidate]:
        """Every passage of the rankings, fused by reciprocal rank, with its similarity to each query
        (those of ``queries``; a vector index not asked gives 0), best first."""
        fused: dict[int, float] = {}
        for ranking in rankings.values():
            for rank, pid in enumerate(ranking):
                fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
        # A heading that matches the question brings its section: the answer is
        # often in a sentence that names none of the question's words.
        section_of = self.index.section_of
        count = self.index.manifest.passage_count
        headings = [pid for pid in rankings.get("semantic", []) if section_of[pid] == pid][:SECTIONS_EXPANDED]
        for heading in headings:
            for pid in range(heading + 1, min(count, heading + 1 + SECTION_PASSAGES)):
                if section_of[pid] != heading:
                    break
                fused.setdefault(pid, 0.0)
        ids = list(fused)
        # Exact similarities for every candidate, not only those each ranking returned.
        similarities = {
            name: dict(zip(ids, _similarities(getattr(self.index, name), ids, query[0]), strict=True))
            for name, query in queries.items()
        }
        section_similarity: dict[int, float] = {}
        if "semantic" in queries:
            headings = sorted({int(section_of[pid]) for pid in ids if section_of[pid] >= 0})
            section_similarity = dict(
                zip(headings, _similarities(self.index.semantic, headings, queries["semantic"][0]), strict=True)
            )
        passages = self.index.passages.get(ids)
        candidates = [
            Candidate(
                id=pid,
                passage=passages[pid],
                score=score,
                section=section_similarity.get(int(section_of[pid]), 0.0),
                lexical=lexical.score(pid),
                coverage=lexical.at(coverage, pid),
                matched=[words[i].word for i in lexical.words_in(pid)],
                dense=similarities["dense"].get(pid, 0.0),
                multilingual=similarities["multilingual"].get(pid, 0.0),
                semantic=similarities.get("semantic", {}).get(pid, 0.0),
                paragraph=similarities.get("paragraphs", {}).get(pid, 0.0),
            )
            for pid, score in fused.items()
        ]
        candidates.sort(key=lambda c: (-c.score, c.id))
        return candidates

    def _multilingual_vectors(self, question: str, lowered: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The question's multilingual vector, and each word's: a word the documents use has its
        vector in the vocabulary already (the index encoded its lower-cased form), so only the
        others are encoded, with the question."""
        if self._surface_ids is None:
            self._surface_ids = {}
            for tid, surface in enumerate(self.index.lexical.surfaces):
                self._surface_ids.setdefault(surface, tid)
        known: dict[str, np.ndarray] = {}
        for word in lowered:
            tid = self._surface_ids.get(word)
            if tid is not None and word not in known:
                try:
                    known[word] = self.index.terms.reconstruct(tid)
                except (RuntimeError, AttributeError):  # an index type that cannot give its vectors back
                    break
        unknown = [w for w in dict.fromkeys(lowered) if w not in known]
        encoded = self.multilingual.encode([question] + unknown)
        known.update(zip(unknown, encoded[1:], strict=True))
        words = np.vstack([known[w] for w in lowered]) if lowered else encoded[1:1]
        return encoded[:1], words.astype(np.float32, copy=False)

    def _submit_semantic(self, question: str) -> Future:
        """Start the retrieval model on the question; the future gives its vector.

        On its own thread where the encoder has one (qa.semantic.SemanticEncoder.submit_queries):
        the two numpy encoders and the word matching run here meanwhile.
        """
        submit = getattr(self.semantic, "submit_queries", None)
        if submit is None:
            done: Future = Future()
            done.set_result(self.semantic.encode_queries([question]))
            return done
        pending = submit([question])
        # Let the worker take the interpreter now: otherwise it starts at this thread's next
        # release, measured 0.7 ms later, and the retrieval model is the longest step.
        time.sleep(0)
        return pending

    def _encoded(self, question_multi: np.ndarray, question_dense: np.ndarray, question_semantic: np.ndarray) -> None:
        """Called once the question's three vectors are known, before the vector searches that remain
        (all four where ``searches_ahead`` is False, as on a cluster, which sends them together here)."""

    def _split_unknown_compounds(self, words: list[str]) -> list[str]:
        """ "open-source" asked, "open source" written: a hyphenated word the index
        does not know is searched as its parts."""
        out: list[str] = []
        for word in words:
            parts = [p for p in word.split("-") if textmod.is_content_word(p)]
            known = any(self.index.lexical.term_id(textmod.stem(word, lang)) is not None for lang in ("fr", "en"))
            if len(parts) > 1 and not known:
                out.extend(p for p in parts if p not in out)
            elif word not in out:
                out.append(word)
        return out

    def _expand(self, surface_words: list[str], vectors: np.ndarray, language: str) -> list[QuestionWord]:
        lex = self.index.lexical
        out: list[QuestionWord] = []
        if not surface_words:
            return out
        k = min(TRANSLATIONS_PER_WORD, lex.doc_count and len(lex.terms))
        sims, ids = self.index.terms.search(np.ascontiguousarray(vectors, dtype=np.float32), k) if k else (None, None)
        for i, word in enumerate(surface_words):
            options: dict[int, float] = {}
            name = is_name_like(word)
            for lang in ("fr", "en"):
                tid = lex.term_id(textmod.stem(word, lang))
                # A name matches itself, not whatever shares its stem ("Paris" is no "pari").
                if tid is not None and (not name or textmod.fold(lex.surfaces[tid]) == textmod.fold(word)):
                    options[tid] = 1.0
            kin: set[int] = set()
            if sims is not None:
                own_hubness = float(sims[i].mean())
                for sim, tid in zip(sims[i], ids[i], strict=True):
                    if tid < 0 or word.isdigit():
                        continue  # a number means itself: 31 is not 41
                    csls = 2 * float(sim) - own_hubness - float(self.index.term_hubness[tid])
                    if csls > 0:
                        kin.add(int(tid))
                    if sim < (NAME_TRANSLATION_SIMILARITY if name else TRANSLATION_SIMILARITY):
                        continue
                    if sim < NAME_TRANSLATION_SIMILARITY and self._written_as_name(int(tid)):
                        continue  # "alongside" is no "MIT", whatever the German "mit" means
                    if csls >= TRANSLATION_CSLS:
                        options[int(tid)] = max(options.get(int(tid), 0.0), float(sim))
            if options:
                best = max(options, key=lambda t: (options[t], -lex.document_frequency(t)))
                weight = lex.idf(best)
            elif name:
                weight = lex.idf(None)
            else:
                # An ordinary word with no counterpart in the index is more often
                # a translation the vocabulary vectors missed than a sign the
                # documents are off-topic, so it counts for less.
                weight = lex.idf(None) * UNMATCHED_WORD_WEIGHT
            # A capitalised word found only through a translation ("Chinese" ->
            # "chinois") is an ordinary word of the documents' language, not a name.
            name = name and (not options or max(options.values()) >= 0.999)
            if name:
                # Names say what the question is about; a passage without them
                # is about something else, however many other words it shares.
                weight *= NAME_WEIGHT
            out.append(QuestionWord(word, weight, sorted(options.items()), name, frozenset(kin)))
        return out

    def _written_as_name(self, term_id: int) -> bool:
        """Whether the documents write this term as a name or an acronym ("MIT", "Debian").

        Its vocabulary vector is that of its lower-cased form, another word at times (the
        German "mit", the English "us"): such a term translates a question word only as
        closely as a name does. Judged on the first few passages that hold it, headings
        (every word capitalised) aside, once per term."""
        known = self._names.get(term_id)
        if known is not None:
            return known
        lex = self.index.lexical
        term = lex.terms[term_id]
        docs = lex.match([[(term_id, 1.0)]]).docs  # in id order; on a cluster, from the shards
        passages = self.index.passages.get([int(d) for d in docs[:NAME_EVIDENCE_PASSAGES]])
        forms = []
        for passage in passages.values():
            text = passage.clean or passage.text
            if names.is_title_case(text):
                continue
            language = indexed_language(self.index, passage.source)
            for n, word in enumerate(textmod.words(text)):
                if textmod.stem(word, language) == term:
                    forms.append(names.is_name_like(word, sentence_initial=n == 0))
        self._names[term_id] = written = bool(forms) and all(forms)
        return written


def indexed_language(index, source: str) -> str:
    """The language the index stemmed this file's words in."""
    return index.manifest.files.get(source, {}).get("language", "fr")


def _frames_the_question(word: str, cues: frozenset[str]) -> bool:
    """A word saying what kind of answer is wanted (``cues``: "name" in "what is the name of") or
    how the question is put, not what it is about: "doit", and "doit-il", "vaut-il" (the verb and
    its subject pronoun)."""
    head, *rest = textmod.fold(word).split("-")
    framing = head in cues or head in textmod.MODAL_WORDS or (bool(rest) and textmod.is_function_word(head))
    return framing and all(textmod.is_function_word(p) for p in rest)


def _similarities(index, ids: list[int], query: np.ndarray) -> list[float]:
    if not ids:
        return []
    try:
        vectors = index.reconstruct_batch(np.asarray(ids, dtype=np.int64))
    except RuntimeError:  # index types without batch reconstruction
        vectors = np.vstack([index.reconstruct(int(i)) for i in ids])
    return [float(x) for x in vectors @ query]


def is_name_like(word: str) -> bool:
    """Proper names, acronyms and model names, as a question writes them (qa.lang.names)."""
    return names.is_name_like(word)
