"""Retrieval and answering with the small deterministic fake encoders (no torch, fast)."""

from __future__ import annotations

import hashlib
import re

import fakes
import numpy as np
import pytest

from qa.answering import Answerer, says_only_its_names
from qa.documents import decode
from qa.indexing import build_index
from qa.lang.questions import DATE, MONEY, NAME, PERSON, QUANTITY, QUOTE, classify, spans_for
from qa.lexical import build as build_lexical
from qa.retrieval import Retriever
from qa.store import IndexStore
from qa.text import fold, is_content_word, stem, words

DOCS = {
    "harbour.txt": (
        "The harbour of Brest opened in 1865.\n"
        "It handles 3,2 million tonnes of goods each year.\n"
        "Its director, Marie Kervella, said: « The harbour must grow ».\n"
    ),
    "bridge.md": "# The bridge\n\nThe bridge over the river was designed by Jean Prouvé in 1932. It is 300 metres long.\n",
}


class SpreadHashMultilingual:
    """Each word spread over 8 of 512 dimensions: distinct words stay far apart
    (cosine about 0.1), so the fake never invents a translation."""

    name = "fake-spread-multilingual"
    dimension = 512

    def encode(self, texts, progress=None):
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()) or ["_"]:
                digest = hashlib.blake2b(word.encode(), digest_size=16).digest()
                for i in range(8):
                    out[row, digest[2 * i] * 2 % self.dimension] += 1.0 if digest[2 * i + 1] & 1 else -1.0
            out[row] /= max(float(np.linalg.norm(out[row])), 1e-6)
        return out


def _answerer_over(tmp_path, files: dict[str, str]) -> tuple[Answerer, object]:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in files.items():
        (docs / name).write_text(text, encoding="utf-8")
    store = IndexStore(tmp_path / "index")
    multilingual = SpreadHashMultilingual()
    semantic = fakes.FakeSemantic()
    build_index([docs], store, fakes.FakeEmbedder(), multilingual, root=tmp_path, semantic=semantic)
    loaded = store.load()
    retriever = Retriever(loaded, fakes.FakeEmbedder(loaded.manifest.model), multilingual, semantic)
    return Answerer(loaded, retriever, fakes.lexical_model()), docs


def _sure_answerer(tmp_path, files: dict[str, str]) -> Answerer:
    """``_answerer_over`` with an abstainer sure of every best passage: what is judged is the answer layer's own
    checks (however sure the abstainer is, what would be quoted cannot say it)."""
    answerer, _ = _answerer_over(tmp_path, files)
    answerer.model = fakes.sure_model()
    return answerer


@pytest.fixture
def answerer(tmp_path, fake_models):
    return _answerer_over(tmp_path, DOCS)


def test_answer_cites_the_passage_that_says_it(answerer):
    engine, docs = answerer
    answer = engine.answer("When did the harbour of Brest open?")
    assert not answer.abstained
    assert answer.short_answer == "1865"
    assert answer.answer.startswith("1865")
    first = answer.citations[0]
    assert first.source.endswith("docs/harbour.txt") and first.start_line == first.end_line == 1
    text = decode((docs / "harbour.txt").read_bytes())
    assert first.text in text.splitlines()[first.start_line - 1]


def test_typed_short_answers(answerer):
    engine, _ = answerer
    assert engine.answer("How many tonnes of goods does the harbour handle?").short_answer.startswith("3,2 million")
    assert engine.answer("Who designed the bridge over the river?").short_answer == "Jean Prouvé"
    assert engine.answer("What did the director of the harbour say?").short_answer == "The harbour must grow"


def test_answers_stay_short_and_cited(answerer):
    engine, _ = answerer
    answer = engine.answer("How long is the bridge?")
    assert len(answer.answer) <= 300
    assert answer.citations and "300 metres" in answer.citations[0].text


def test_abstains_when_the_question_names_something_absent(answerer):
    engine, _ = answerer
    answer = engine.answer("Who is the mayor of Lisbon?")
    assert answer.abstained and answer.answer == "" and answer.citations == []


def test_abstains_on_unrelated_question(answerer):
    engine, _ = answerer
    assert engine.answer("What colour are penguins?").abstained


def _kind(question: str) -> str:
    return classify(question).kind


def test_question_types_in_both_languages():
    assert _kind("When was it launched?") == DATE
    assert _kind("Quand a-t-il été lancé ?") == DATE
    assert _kind("How many users does it have?") == QUANTITY
    assert _kind("Combien d'employés ?") == QUANTITY
    assert _kind("How much did it cost?") == MONEY
    assert _kind("Quel est le chiffre d'affaires ?") == MONEY
    assert _kind("Who is the CEO?") == PERSON
    assert _kind("Qui a incité ses responsables ?") == PERSON
    assert _kind("Which company makes it?") == NAME
    assert _kind("What did the president tell them?") == QUOTE


def test_spans_find_dates_quantities_and_names():
    sentence = (
        "Au 31 janvier, il était ouvert depuis 21 jours, lancé le 11 janvier 2025 par Great Wall Motors et ByteDance."
    )
    assert [s.text for s in spans_for(DATE, sentence)] == ["31 janvier", "11 janvier 2025"]
    assert [s.text for s in spans_for(QUANTITY, sentence)] == ["21 jours"]
    names = [s.text for s in spans_for(NAME, sentence)]
    assert "Great Wall Motors" in names and "Great Wall Motors et ByteDance" in names
    for span in spans_for(NAME, sentence):
        assert sentence[span.start : span.end] == span.text


def test_words_are_folded_and_stemmed_per_language():
    assert fold("Lancée") == "lancee"
    assert stem("lancée", "fr") == stem("Lancé", "fr") == "lanc"
    assert stem("users", "en") == stem("user", "en")
    indexed = [stem(w, "fr") for w in words("Les utilisateurs de l'application") if is_content_word(w)]  # as qa.lexical
    assert indexed == [stem("utilisateurs", "fr"), stem("application", "fr")]
    assert is_content_word("AI") and is_content_word("X") and not is_content_word("L") and not is_content_word("the")


def test_bm25_prefers_the_rarer_word():
    index = build_lexical([("apple banana", "en"), ("apple cherry", "en"), ("apple apple", "en")])
    cherry = index.term_id(stem("cherry", "en"))
    apple = index.term_id(stem("apple", "en"))
    scores, matched = index.best_match_scores([[(apple, 1.0)], [(cherry, 1.0)]])
    assert int(scores.argmax()) == 1
    assert matched[1].tolist() == [0.0, 1.0, 0.0]
    assert index.idf(cherry) > index.idf(apple)


def test_focus_word_names_what_the_question_is_about():
    def focus_word(question: str) -> str | None:
        return classify(question).focus

    assert focus_word("How many employees does it have?") == "employees"
    assert focus_word("Combien d'employés compte-t-elle ?") == "employes"
    assert focus_word("Who is the founder of the harbour?") == "founder"
    assert focus_word("Quel est le nom du fondateur ?") == "fondateur"
    assert focus_word("When did it open?") is None


def test_abstains_when_the_role_asked_is_nowhere(answerer):
    engine, _ = answerer
    # The harbour is there, its director too, but nothing about who founded it.
    assert engine.answer("Who is the founder of the harbour of Brest?").abstained


def test_composed_answers_never_exceed_300_characters():
    from qa.documents import Passage
    from qa.evaluation import MAX_ANSWER_CHARS
    from qa.quoting import compose_answer, shortened

    long_passage = Passage("a.txt", 1, 1, 0, 900, "word " * 180, 1, 1)
    for short in ("", "1865", shortened("Label ; " * 80, 150), "x" * 290):
        text = compose_answer(short, [long_passage, long_passage], (10, 14))
        assert len(text) <= MAX_ANSWER_CHARS and text.startswith(short)


def test_a_person_is_named_with_two_or_three_words():
    """ "Who founded X" is not answered by a lone capitalised word (a model, a company, a place)."""
    from qa.lang import Span
    from qa.span_reading import _person_like

    text = "Il a été conçu par Liang Zhanfan, à partir de Qwen et de Llama."
    for name, expected in (("Liang Zhanfan", True), ("Qwen", False), ("Llama", False)):
        start = text.index(name)
        assert _person_like(Span(start, start + len(name), name), text) is expected, name


class ThreadedSemantic(fakes.FakeSemantic):
    """The retrieval model's ``submit_queries``: the question's vector computed on another thread."""

    def __init__(self):
        from concurrent.futures import ThreadPoolExecutor

        self.worker = ThreadPoolExecutor(1)
        self.threads: list[str] = []

    def submit_queries(self, texts):
        import threading

        def encode():
            self.threads.append(threading.current_thread().name)
            return self.encode_queries(texts)

        return self.worker.submit(encode)


def test_the_retrieval_model_reads_the_question_on_its_own_thread(answerer):
    engine, _ = answerer
    question = "When did the harbour of Brest open?"
    expected = engine.answer(question)
    threaded = ThreadedSemantic()
    engine.retriever.semantic = threaded
    answer = engine.answer(question)
    assert threaded.threads and all(name != "MainThread" for name in threaded.threads)
    assert (answer.short_answer, answer.confidence) == (expected.short_answer, expected.confidence)
    assert [c.to_dict() for c in answer.citations] == [c.to_dict() for c in expected.citations]


def test_passage_readings_are_kept_between_questions_and_bounded(answerer, monkeypatch):
    import qa.span_reading

    engine, _ = answerer
    questions = ["When did the harbour of Brest open?", "Who designed the bridge?", "How long is the bridge?"]
    first = [engine.answer(q) for q in questions]
    read = dict(engine.span_reader._readings)
    assert read  # the candidates' words and spans, read once...
    again = [engine.answer(q) for q in questions]
    assert engine.span_reader._readings == read  # ... and not again
    monkeypatch.setattr(qa.span_reading, "PASSAGE_READINGS_KEPT", 3)
    engine.span_reader._readings.clear()
    bounded = [engine.answer(q) for q in reversed(questions)][::-1]
    assert 0 < len(engine.span_reader._readings) <= 3
    assert [(a.short_answer, a.abstained, a.confidence) for a in again + bounded] == [
        (a.short_answer, a.abstained, a.confidence) for a in first + first
    ]


class AliasMultilingual(SpreadHashMultilingual):
    """Some words brought close to another, as close as a translation and no closer than a name's
    (similarity about 0.75): "alongside" to "mit", as the real vocabulary vectors hold the German
    "mit" close to "with"."""

    name = "fake-alias-multilingual"

    def __init__(self, aliases: dict[str, str]):
        self.aliases = aliases

    def encode(self, texts, progress=None):
        own = super().encode(texts, progress)
        alias = super().encode([self.aliases.get(t.lower(), t) for t in texts])
        blended = np.where(
            np.array([t.lower() in self.aliases for t in texts])[:, None], alias + 0.9 * own, own
        ).astype(np.float32)
        return blended / np.linalg.norm(blended, axis=1, keepdims=True)


def test_a_term_the_documents_write_as_a_name_is_no_translation_of_an_ordinary_word(tmp_path, fake_models):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "licence.txt").write_text(
        "The engine ships under the MIT licence, with the weights.\n\n"
        "Its manual sits beside the code, next to the examples.\n",
        encoding="utf-8",
    )
    store = IndexStore(tmp_path / "index")
    multilingual = AliasMultilingual({"alongside": "mit", "near": "beside"})
    build_index([docs], store, fakes.FakeEmbedder(), multilingual, root=tmp_path, semantic=fakes.FakeSemantic())
    loaded = store.load()
    retriever = Retriever(loaded, fakes.FakeEmbedder(loaded.manifest.model), multilingual, fakes.FakeSemantic())
    lex = loaded.lexical
    mit, beside = lex.term_id(stem("mit", "en")), lex.term_id(stem("beside", "en"))
    assert retriever._written_as_name(mit) and not retriever._written_as_name(beside)

    words = ["alongside", "near"]
    expanded = retriever._expand(words, multilingual.encode(words), "en")
    alongside, near = ({t for t, _ in w.expansions} for w in expanded)
    assert mit not in alongside  # the ordinary word is not translated by the acronym...
    assert beside in near  # ... while an ordinary word still is
    similarities = dict(expanded[0].expansions) | dict(expanded[1].expansions)
    assert 0.6 <= similarities[beside] < 0.8


def test_words_the_documents_use_take_their_vectors_from_the_vocabulary(answerer):
    engine, _ = answerer
    retriever = engine.retriever
    asked: list[list[str]] = []
    real = retriever.multilingual

    class Counting:
        def encode(self, texts, progress=None):
            asked.append(list(texts))
            return real.encode(texts, progress)

    retriever.multilingual = Counting()
    question = "When did the harbour of zanzibar open?"
    question_vector, word_vectors = retriever._multilingual_vectors(question, ["harbour", "zanzibar", "harbour"])
    assert asked == [[question, "zanzibar"]]  # "harbour" is in the documents, "zanzibar" is not
    harbour = retriever._surface_ids["harbour"]
    np.testing.assert_allclose(word_vectors[0], engine.index.terms.reconstruct(harbour))
    np.testing.assert_allclose(word_vectors[2], word_vectors[0])
    np.testing.assert_allclose(word_vectors[1], real.encode(["zanzibar"])[0], atol=1e-6)
    np.testing.assert_allclose(question_vector[0], real.encode([question])[0], atol=1e-6)


def test_the_words_of_an_acronym_the_question_names_do_not_answer_it(tmp_path, fake_models):
    text = "The harbour office sends its tide tables as JSON (JavaScript Object Notation) to the pilots.\n"
    engine, _ = _answerer_over(tmp_path, {"office.txt": text})
    # "JavaScript Object Notation" is JSON spelled out: it repeats the question.
    question = "Which module, unlike JSON, does the harbour office use for its tide tables?"
    _, _, scored = engine.featurize(question)
    assert scored[0].candidate.passage.source.endswith("office.txt")
    assert [span.text for span in scored[0].type_spans] == []
    assert "JavaScript" not in engine.answer(question).short_answer


def test_a_name_the_question_writes_whole_is_not_its_answer(tmp_path, fake_models):
    # "Orca-Pro" is a hyphenated name: the question writes it whole, so the span only repeats the question.
    text = "With Orca-Pro, a model rivalling Heron, the harbour lab shows it can innovate.\n"
    engine, _ = _answerer_over(tmp_path, {"lab.txt": text})
    question = "What license is Orca-Pro released under?"
    _, kind, scored = engine.featurize(question)
    assert kind == NAME and scored[0].candidate.passage.source.endswith("lab.txt")
    assert "Orca-Pro" not in [span.text for span in scored[0].type_spans]
    assert engine.answer(question).short_answer != "Orca-Pro"
    # A name the question does not write is still a span.
    _, _, scored = engine.featurize("What license is Heron released under?")
    assert "Orca-Pro" in [span.text for span in scored[0].type_spans]


_LAB = (
    "With Orca-Pro, a model rivalling Heron, the harbour lab shows it can innovate.\n\n"
    "Petrel, the assistant of Gannet, guides the harbour pilots.\n"
)


def _answerer_blind_to_the_focus(tmp_path) -> Answerer:
    """An answerer over _LAB whose abstainer answers from a passage naming the question's subject and gives
    no weight to a missing focus, as the fitted one does (a right answer's passage often lacks it: "the
    command" of a passage showing the command)."""
    from qa.ranking import ABSTAIN_FEATURES

    engine, _ = _answerer_over(tmp_path, {"lab.txt": _LAB})
    model = fakes.lexical_model()
    model.abstainer.weights[ABSTAIN_FEATURES.index("focus_missing")] = 0.0
    model.abstainer.bias = -2.0
    return Answerer(engine.index, engine.retriever, model)


@pytest.mark.parametrize(
    "question",
    [
        "What license is Heron released under?",
        "Which company makes Orca-Pro?",  # Heron is named beside Orca-Pro, not as its maker
        "What license is Petrel released under?",  # Gannet makes Petrel: no license
        "In which city is Petrel based?",
        "Who is the founder of Orca-Pro?",  # a person by a role the passage never speaks of
    ],
)
def test_a_passage_that_only_names_the_subject_says_no_name_of_the_kind_asked(tmp_path, fake_models, question):
    engine = _answerer_blind_to_the_focus(tmp_path)
    retrieval, kind, scored = engine.featurize(question)
    focus_missing = engine.focus_missing(retrieval, kind, scored[:1])[0]
    assert kind in (NAME, PERSON) and says_only_its_names(retrieval, kind, scored[0], focus_missing)
    assert engine.answer(question).abstained


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which company makes Petrel?", "Gannet"),  # given as its maker: "the assistant of Gannet"
        ("Which model rivals Heron?", "Orca-Pro"),  # the passage says "model"
    ],
)
def test_a_name_of_the_kind_asked_is_still_the_answer(tmp_path, fake_models, question, expected):
    answer = _answerer_blind_to_the_focus(tmp_path).answer(question)
    assert not answer.abstained and answer.short_answer == expected, answer


def test_a_table_cell_labelled_with_what_is_asked_gives_its_value(tmp_path, fake_models):
    table = (
        "# Releases\n\nHow versions and codenames relate:\n\n"
        "| calendar | version = stable | version = unstable |\n"
        "|---|---|---|\n"
        "| after the release of bullseye | codename = bullseye | codename = sid |\n"
    )
    engine, _ = _answerer_over(tmp_path, {"releases.md": table})
    question = "What is the codename of the unstable version?"
    retrieval, kind, scored = engine.featurize(question)
    row = next(s for s in scored if "bullseye" in s.candidate.passage.text)
    assert kind == NAME and [span.text for span in row.type_spans] == ["bullseye", "sid"]
    # Of the two, the one in the column the question names.
    assert engine.short_answers.short_answer(kind, row.candidate.passage, retrieval, row)[0] == "sid"


def test_a_quantity_of_what_the_question_gives_is_not_what_it_counts(tmp_path, fake_models):
    # "chaque jour" is a word of the question, but it counts people: not "21 jours".
    text = "Depuis 21 jours, le ferry transporte 5 000 personnes chaque jour entre les deux ports.\n"
    engine, _ = _answerer_over(tmp_path, {"ferry.txt": text})
    question = "Combien de personnes le ferry transporte-t-il chaque jour ?"
    retrieval, kind, scored = engine.featurize(question)
    assert "jour" in [w.word for w in retrieval.words]  # past the interrogative phrase, a word like any other
    spans = [s.text for s in scored[0].type_spans]
    assert kind == QUANTITY and "5 000 personnes" in spans and "21 jours" not in spans
    assert engine.answer(question).short_answer == "5 000 personnes"


def test_a_bare_number_in_a_passage_that_never_names_what_is_counted_counts_something_else(tmp_path, fake_models):
    # "0" of a rating says nothing of ferries; "12" beside "ferries" does.
    documents = {
        "rating.txt": "The harbour guide of the ferry company. Average rating 0 / 5. Votes 0.\n",
        "fleet.txt": "The ferry company runs 12 ferries between the two ports.\n",
    }
    engine, _ = _answerer_over(tmp_path, documents)
    question = "How many ferries does the ferry company run?"
    _, kind, scored = engine.featurize(question)
    spans = [(s.candidate.passage.source.split("/")[-1], span.text) for s in scored for span in s.type_spans]
    assert kind == QUANTITY
    assert ("fleet.txt", "12 ferries") in spans and not [text for source, text in spans if source == "rating.txt"]


class HeldSemantic(fakes.FakeSemantic):
    """The retrieval model on a worker that answers only after ``polls`` asks whether it is done:
    the caller judges the candidates it already has meanwhile (Retriever.search's while_waiting)."""

    def __init__(self, polls: int):
        self.polls = polls
        self.asked = 0

    def submit_queries(self, texts):
        from concurrent.futures import Future

        semantic = self

        class Held(Future):
            def done(self):
                semantic.asked += 1
                if semantic.asked > semantic.polls and not super().done():
                    self.set_result(semantic.encode_queries(texts))
                return super().done()

            def result(self, timeout=None):
                if not super().done():
                    self.set_result(semantic.encode_queries(texts))
                return super().result(timeout)

        return Held()


QUESTIONS = (
    "When did the harbour of Brest open?",
    "Who designed the bridge over the river?",
    "How long is the bridge?",
    "Who directs the harbour?",
)


def _ranked(answerer: Answerer, question: str) -> list[tuple]:
    _, _, scored = answerer.featurize(question)
    return [(s.candidate.id, round(s.score, 9), tuple(np.round(s.features, 9))) for s in scored]


@pytest.mark.parametrize("polls", [1, 3, 1000])
def test_candidates_judged_while_the_retrieval_model_reads_rank_as_when_judged_after(
    tmp_path, fake_models, monkeypatch, polls
):
    # Two passages a ranking: the retrieval model's rankings bring candidates the others did not.
    monkeypatch.setattr("qa.retrieval.CANDIDATES_PER_RANKING", 2)
    answerer, _ = _answerer_over(tmp_path, DOCS)
    expected = {q: _ranked(answerer, q) for q in QUESTIONS}  # FakeSemantic: the vector is there at once
    held = HeldSemantic(polls)
    answerer.retriever.semantic = held
    seen = []
    judge = answerer.judge_while_waiting

    def watched(kind):
        inner = judge(kind)

        def run(provisional, waiting):
            seen.append([c.semantic for c in provisional.candidates])
            provisional_ids.append({c.id for c in provisional.candidates})
            inner(provisional, waiting)

        return run

    answerer.judge_while_waiting = watched
    provisional_ids = []
    for question in QUESTIONS:
        held.asked = 0
        assert _ranked(answerer, question) == expected[question]
    assert len(seen) == len(QUESTIONS) and all(seen)
    final_ids = [{row[0] for row in expected[q]} for q in QUESTIONS]
    assert any(early < final for early, final in zip(provisional_ids, final_ids, strict=True))
    assert all(similarity == 0.0 for sims in seen for similarity in sims)  # not known yet


def test_a_retriever_that_does_not_search_ahead_never_calls_while_waiting(tmp_path, fake_models):
    answerer, _ = _answerer_over(tmp_path, DOCS)
    answerer.retriever.semantic = HeldSemantic(1000)
    answerer.retriever.searches_ahead = False
    calls = []
    retrieval = answerer.retriever.search(QUESTIONS[0], lambda provisional, waiting: calls.append(provisional))
    assert calls == [] and retrieval.candidates


def test_a_typed_answer_a_few_sentences_away_in_the_paragraph_is_found_and_both_are_quoted(tmp_path, fake_models):
    answerer, _ = _answerer_over(
        tmp_path,
        {
            "mill.txt": (
                "The old mill of Kerlaz welcomes visitors from the whole region. Its wheel was rebuilt in oak. "
                "In summer 1,200 come each day.\n\nThe bakery next door opens at dawn.\n"
            )
        },
    )
    answer = answerer.answer("How many visitors does the old mill of Kerlaz welcome each day?")
    assert not answer.abstained
    assert answer.short_answer.startswith("1,200")
    quoted = [c.text for c in answer.citations[:2]]
    assert quoted == [
        "The old mill of Kerlaz welcomes visitors from the whole region.",
        "In summer 1,200 come each day.",
    ]


def test_a_count_is_not_answered_by_a_share_and_a_share_is(tmp_path, fake_models):
    answerer, _ = _answerer_over(
        tmp_path,
        {"fair.txt": "In 2024 the Kerlaz fair drew 35 % of the region's visitors, 12,000 in all.\n"},
    )
    assert answerer.answer("How many visitors did the Kerlaz fair draw in 2024?").short_answer.startswith("12,000")
    share = answerer.answer("What percentage of the region's visitors did the Kerlaz fair draw in 2024?")
    assert share.short_answer == "35 %"


def test_a_count_is_not_answered_by_a_passage_without_a_number(tmp_path, fake_models):
    answerer, _ = _answerer_over(
        tmp_path,
        {"mill.txt": "The old mill of Kerlaz welcomes visitors from the whole region.\n\nThe bakery opens at dawn.\n"},
    )
    # The same sentence answers what it says; it cannot say how many.
    assert not answerer.answer("Whom does the old mill of Kerlaz welcome?").abstained
    assert answerer.answer("How many visitors does the old mill of Kerlaz welcome?").abstained


_NAMED = {
    "apps.txt": (
        "Acme launched Rocket on 3 March 2024. Its daily users reached 2 million in May, twice those of Comet.\n\n"
        "By comparison, Zenith says that Comet has 900,000 daily users.\n\n"
        "The Falcon-R1 model has 40 billion parameters.\n"
    )
}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When was Rocket launched?", "3 March 2024"),
        ("How many daily users does Rocket have?", "2 million"),  # "Its" stands for Rocket
        ("How many daily users does Comet have?", "900,000"),
        ("How many parameters does Falcon-R1 have?", "40 billion"),
    ],
)
def test_a_value_is_answered_for_the_name_it_is_said_of(tmp_path, fake_models, question, expected):
    engine, _ = _answerer_over(tmp_path, _NAMED)
    answer = engine.answer(question)
    assert not answer.abstained, answer
    assert expected in answer.short_answer, answer.answer


@pytest.mark.parametrize(
    ("question", "elsewhere"),
    [
        ("When was Comet launched?", "3 March 2024"),  # Rocket's launch
        ("How many parameters does Falcon-R2 have?", "40 billion"),  # another version's
    ],
)
def test_a_value_said_of_another_name_is_not_the_answer(tmp_path, fake_models, question, elsewhere):
    engine, _ = _answerer_over(tmp_path, _NAMED)
    answer = engine.answer(question)
    assert answer.abstained, answer.answer
    assert elsewhere not in answer.answer and answer.citations == []


def test_further_citations_are_only_those_that_help(tmp_path, fake_models):
    engine, _ = _answerer_over(
        tmp_path,
        {
            "a.txt": (
                "The harbour of Brest opened in 1865.\n\nThe harbour of Brest is not only a harbour.\n\n"
                "The harbour had opened earlier, the town said:\n"
            ),
            "b.txt": "Records say the harbour of Brest opened its gates in 1865.\n",
        },
    )
    answer = engine.answer("When did the harbour of Brest open?", top_k=3)
    assert answer.short_answer == "1865"
    # the answer said again is kept; a passage sharing only words with the question is not, whatever --top-k
    assert [c.text for c in answer.citations] == [
        "The harbour of Brest opened in 1865.",
        "Records say the harbour of Brest opened its gates in 1865.",
    ]


def test_holds_value_compares_the_numbers_across_languages():
    from qa.quoting import _holds_value

    assert _holds_value("11 janvier 2025", "It was launched on 11 January 2025.")
    assert _holds_value("22,15 millions", "a conquis 22,15 millions d'utilisateurs")
    assert not _holds_value("11 janvier 2025", "Au 31 janvier 2025, il était là.")
    assert not _holds_value("février", "Depuis janvier, rien.")


def test_a_file_question_is_answered_by_a_whole_name_and_an_extension_question_by_the_extension(tmp_path, fake_models):
    answerer, _ = _answerer_over(
        tmp_path,
        {
            "scores.txt": (
                "Open 'ly/property-init.ly' in the editor you use for your '.ly' files: it holds the definitions "
                "of the predefined tie commands.\n\nA file meant to be included is given the extension .ily instead.\n"
            )
        },
    )
    whole = answerer.answer("Which init file holds the definitions of the predefined tie commands?")
    assert whole.short_answer == "ly/property-init.ly"
    ending = answerer.answer("Which file extension is given to a file meant to be included?")
    assert ending.short_answer == ".ily"


_FAIR = {
    "fair.txt": (
        "The Kerlaz fair shows six boats and forty stalls every summer.\n\n"
        "In 2024 the Kerlaz fair drew 12,000 visitors from the whole region.\n\n"
        "Tickets to the Kerlaz fair are cheaper than last year, the organisers say.\n"
    )
}


@pytest.mark.parametrize(
    "question",
    [
        "How many employees does the Kerlaz fair have?",  # its passage counts boats and stalls
        "What is the market share of the Kerlaz fair?",  # a share asked, only a count of visitors said
        "Quelle est la part de marché de la foire de Kerlaz ?",
        "What is the price of a ticket to the Kerlaz fair?",  # "cheaper" is no amount
    ],
)
def test_a_typed_question_is_not_answered_by_a_quantity_of_another_unit_nor_without_one(
    tmp_path, fake_models, question
):
    # However sure the abstainer is that the passage answers: what it would quote cannot say it.
    answerer = _sure_answerer(tmp_path, _FAIR)
    answer = answerer.answer(question)
    assert answer.abstained, answer.answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many boats does the Kerlaz fair show?", "six boats"),
        ("How many visitors did the Kerlaz fair draw in 2024?", "12,000"),
        ("How many people did the Kerlaz fair draw in 2024?", "12,000"),  # people counted as visitors
    ],
)
def test_a_quantity_of_the_unit_asked_is_still_the_answer(tmp_path, fake_models, question, expected):
    answerer = _sure_answerer(tmp_path, _FAIR)
    assert answerer.answer(question).short_answer.startswith(expected)


def test_a_share_without_a_percent_sign_may_be_a_bare_ratio_never_a_count(tmp_path, fake_models):
    answerer = _sure_answerer(
        tmp_path, {"body.txt": "Without a size, the text body takes 0.7 of the paper, and 2cm of margins.\n"}
    )
    assert answerer.answer("What fraction of the paper does the text body take?").short_answer == "0.7"


def test_a_who_question_is_answered_by_the_person_its_passage_names(tmp_path, fake_models):
    text = "Orca-Pro was created by Anna Keller last spring, and the harbour uses it daily.\n"
    answerer = _sure_answerer(tmp_path, {"lab.txt": text})
    assert answerer.answer("Who created Orca-Pro?").short_answer == "Anna Keller"


_HARBOUR = {
    "harbour.txt": (
        "Heron and Gannet Works both rely on Orca-Pro in the harbour.\n\n"
        "With Orca-Pro, a model rivalling Heron, the harbour lab shows it can innovate.\n\n"
        "The mill welcomes visitors from the whole region every Sunday.\n\n"
        "The mill was founded by Anna Keller in 1865.\n\n"
        "Paul Meunier, le directeur du port, ouvre les portes chaque matin.\n\n"
        "Jane Marlow, the harbour director, presented the harbour guide to the pilots.\n"
    )
}


@pytest.mark.parametrize(
    "question",
    [
        "Who leads Heron?",  # "Gannet Works" is named beside Heron, leading nothing
        "Who created Orca-Pro?",  # the best passage names no one, and says nothing of creating
        "Who owns Heron?",
        "Qui a conçu Orca-Pro ?",
        "Who wrote the harbour guide?",  # presented by its director: a leading said, no writing
    ],
)
def test_a_who_question_asking_for_a_doer_is_not_answered_by_a_passage_saying_no_doing(tmp_path, fake_models, question):
    # However sure the abstainer is that the passage answers: it says nothing of who does it.
    answerer = _sure_answerer(tmp_path, _HARBOUR)
    answer = answerer.answer(question)
    assert answer.abstained, answer.answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who founded the mill?", "Anna Keller"),
        ("Qui dirige le port ?", "Paul Meunier"),  # "le directeur du port": a doer's noun
        ("Who leads the harbour?", "Jane Marlow"),  # "the harbour director": a leading said
        ("Whom does the mill welcome?", ""),  # no doer asked: a description answers it
    ],
)
def test_a_who_question_is_still_answered_where_the_passage_says_the_doing(tmp_path, fake_models, question, expected):
    answerer = _sure_answerer(tmp_path, _HARBOUR)
    answer = answerer.answer(question)
    assert not answer.abstained and answer.short_answer == expected, answer


def test_a_count_of_people_is_not_answered_by_people_of_another_role(tmp_path, fake_models):
    # The folder names employees and salariés elsewhere, so the count of visitors is not set aside as a count
    # of a thing no document names: only the people it counts tell it is another count.
    files = {
        "fair.txt": (
            "In 2024 the Kerlaz fair drew 12,000 visitors from the whole region.\n\n"
            "The employees of the fair wear red hats.\n"
        ),
        "foire.txt": (
            "En 2024, la foire de Kerlaz a attiré 12 000 visiteurs de toute la région.\n\n"
            "Les salariés de la foire portent des chapeaux rouges.\n"
        ),
    }
    answerer = _sure_answerer(tmp_path, files)
    for question in (
        "How many employees did the Kerlaz fair draw in 2024?",
        "Combien de salariés la foire de Kerlaz a-t-elle attirés en 2024 ?",
    ):
        assert answerer.answer(question).abstained, question
    assert answerer.answer("How many visitors did the Kerlaz fair draw in 2024?").short_answer.startswith("12,000")


_STALLS = {
    "fair.txt": "The Kerlaz fair shows six boats beside its stalls every summer.\n",
    "foire.txt": (
        "La foire de Plouzané expose six bateaux près de ses stands chaque été.\n\nLa foire de Plouzané dure 10 jours.\n"
    ),
}


@pytest.mark.parametrize(
    "question",
    ["How many stalls does the Kerlaz fair have?", "Combien de stands compte la foire de Plouzané ?"],
)
def test_a_count_in_the_questions_language_is_answered_only_in_the_unit_it_counts(tmp_path, fake_models, question):
    # The passage names stalls, so "six boats" is not set aside as a count of a thing it never names; in the
    # question's own language, its unit says it counts something else.
    answerer = _sure_answerer(tmp_path, _STALLS)
    answer = answerer.answer(question)
    assert answer.abstained, answer.answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many boats does the Kerlaz fair show?", "six boats"),
        ("Combien de bateaux expose la foire de Plouzané ?", "six bateaux"),
        ("Combien de temps dure la foire de Plouzané ?", "10 jours"),  # a measure: its unit is no count
    ],
)
def test_a_count_in_the_unit_it_counts_is_still_the_answer(tmp_path, fake_models, question, expected):
    answerer = _sure_answerer(tmp_path, _STALLS)
    assert answerer.answer(question).short_answer == expected


def test_a_share_is_not_answered_by_a_bare_count(tmp_path, fake_models):
    # "12,000" is no share, with its unit or without: only a fraction ("0.7") or a ratio ("1/3") may stand for one.
    answerer = _sure_answerer(tmp_path, {"fair.txt": "In 2024 the Kerlaz fair drew 12,000 from the whole region.\n"})
    assert answerer.answer("What is the market share of the Kerlaz fair?").abstained


@pytest.mark.parametrize(
    ("text", "question", "expected"),
    [
        (
            "The recording has a sample rate of 44.1 kHz on every track.\n",
            "What is the sample rate of the recording?",
            "44.1 kHz",
        ),
        (
            "The camera films at a frame rate of 60 frames per second.\n",
            "What rate does the camera film at?",
            "60 frames",
        ),
        (
            "Le moteur tourne avec un taux de compression de 10,5 sur route.\n",
            "Quel est le taux de compression du moteur ?",
            "10,5",
        ),
    ],
)
def test_a_rate_without_a_percentage_is_answered_in_its_own_units(tmp_path, fake_models, text, question, expected):
    # A rate or a ratio is a share only sometimes ("the unemployment rate": a percentage): without one, the
    # quantity the passage gives it in answers.
    answerer = _sure_answerer(tmp_path, {"rate.txt": text})
    assert answerer.answer(question).short_answer == expected
