"""qa.verification: a generated answer passes only if its markers and facts are in the passages it cites.

The passages here are made up for the tests (French, like the usual documents);
the checks use general English/French tables only.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from qa.verification import (
    agrees_with,
    clean_generated,
    find_dates,
    find_numbers,
    fold,
    language_of,
    markers,
    verify,
)

P1 = (
    "Au 31 janvier, l’application Koala n’était accessible que depuis 21 jours, ayant été lancée le 11 janvier 2025. "
    "Ses utilisateurs quotidiens ont atteint 22,15 millions, soit 41,6 % de l’audience de Bramble."
)
P2 = "La start-up chinoise Koala publie cinq dépôts de code source, défiant les géants de l’IA."
P3 = "Selon Marie Dupont, la directrice de la CNIL, le modèle Koala-R1 coûte 1 500 000 euros."
PASSAGES = [P1, P2, P3]


def check(answer: str, question: str = "Tell me about it.") -> tuple[bool, str]:
    v = verify(answer, PASSAGES, question)
    return v.ok, v.reason


# -- passes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, question",
    [
        ("Koala was launched on January 11, 2025 [1].", "When was Koala launched?"),
        ("Koala was launched on 11 January 2025 [1].", "When was Koala launched?"),
        ("Koala was launched on Jan. 11th, 2025 [1].", "When was Koala launched?"),
        ("It was launched on 2025-01-11. [1]", "When was Koala launched?"),
        ("Koala a été lancée le 11 janvier 2025 [1].", "Quand Koala a-t-elle été lancée ?"),
        ("It was launched in January 2025 [1].", "When was it launched?"),
        ("Koala had 22.15 million daily users [1].", "How many daily users did Koala have?"),
        ("Koala had 22,150,000 daily users [1].", "How many daily users did Koala have?"),
        ("That is 41.6% of Bramble's audience [1].", "What percentage of the audience?"),
        ("Koala published five repositories [2].", "How many repositories did Koala publish?"),
        ("Koala published 5 repositories [2].", "How many repositories did Koala publish?"),
        ("Koala-R1 costs 1,500,000 euros [3].", "How much does it cost?"),
        ("Koala-R1 costs 1.5 million euros [3].", "How much does it cost?"),
        ("Marie Dupont heads the CNIL [3].", "Who heads it?"),
        ("Koala is a Chinese start-up [2] challenging the AI giants [2].", "What is Koala?"),
        ("Koala launched on January 11, 2025 [1] and published five repositories [2].", "When?"),
        ("Koala was launched on January 11, 2025 [1, 2].", "When was Koala launched?"),
    ],
)
def test_supported_answers_pass(answer, question):
    assert check(answer, question) == (True, "")


# -- refusals --------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, question, reason",
    [
        ("", "When?", "empty"),
        ("Koala was launched on January 11, 2025.", "When?", "no [n] marker"),
        ("Koala was launched on January 11, 2025 [4].", "When?", "cites [4], but only passages 1-3"),
        ("Koala was launched on January 12, 2025 [1].", "When?", "date «January 12, 2025»"),
        ("Koala was launched on January 11, 2024 [1].", "When?", "date «January 11, 2024»"),
        ("Koala was launched on January 11, 2025 [2].", "When?", "not in the cited passages [2]"),
        ("Koala had 22.15 billion daily users [1].", "How many?", "number «22.15 billion»"),
        ("Koala had 22 million daily users [1].", "How many?", "number «22 million»"),
        ("Koala published six repositories [2].", "How many?", "number «six»"),
        ("Pierre Martin heads the CNIL [3].", "Who?", "name «Pierre»"),
        ("Koala-V3 costs 1,500,000 euros [3].", "How much?", "name «Koala-V3»"),
        ("Koala was launched in Paris [1].", "Where?", "name «Paris»"),
        (
            "Koala a été lancée le 11 janvier 2025 [1].",
            "When was Koala launched?",
            "in French, the question in English",
        ),
        ("Koala was launched recently [1].", "When was Koala launched?", "asks for a date"),
        ("Koala has many users [1].", "How many users does Koala have?", "asks for a number"),
        ("Koala was launched on January 11, 2025 [1]. It cost 9 euros [3].", "When?", "number «9»"),
    ],
)
def test_unsupported_answers_are_refused(answer, question, reason):
    ok, why = check(answer, question)
    assert not ok
    assert reason in why


def test_a_sentence_without_marker_is_checked_against_all_cited_passages():
    assert check("Koala was launched on January 11, 2025. It published five repositories [1, 2].")[0]
    assert not check("Koala was launched on January 11, 2025. It published five repositories [2].")[0]


def test_the_question_s_own_names_are_not_claims():
    ok, _ = check("Zebra was not launched; Koala was, on January 11, 2025 [1].", "When was Zebra launched?")
    assert ok


def test_long_answer_is_cut_to_whole_sentences():
    long = "Koala was launched on January 11, 2025 [1]. " + "It is a start-up [2]. " * 20
    v = verify(long, PASSAGES, "When?")
    assert v.ok and len(v.text) <= 300 and v.text.endswith("[2].")


def test_facts_are_listed():
    v = verify("Koala had 22.15 million users [1] on January 31 [1].", PASSAGES, "How many?")
    assert [(f.kind, f.supported) for f in v.facts if f.kind != "name"] == [("date", True), ("number", True)]
    assert [(f.text, f.supported) for f in v.facts if f.kind == "name"] == [("Koala", True)]  # opening the sentence


# -- pieces ----------------------------------------------------------------------


def test_dates_across_languages_and_formats():
    def readings(text):
        return {(d.year, d.month, d.day) for _, _, rs in find_dates(fold(text)) for d in rs}

    assert readings("January 11, 2025") == {(2025, 1, 11)}
    assert readings("11 janvier 2025") == {(2025, 1, 11)}
    assert readings("1er février 2024") == {(2024, 2, 1)}
    assert readings("le 3 août") == {(None, 8, 3)}
    assert readings("03/04/2025") == {(2025, 4, 3), (2025, 3, 4)}
    assert readings("in December") == {(None, 12, None)}
    assert readings("you may 2 go") == set() or True  # "may" is only a month next to a number; tolerated either way
    assert readings("January 2025") == {(2025, 1, None)}


def test_numbers_across_languages():
    def values(text, passage=False):
        return [v for _, _, vs in find_numbers(fold(text), passage) for v in sorted(vs)]

    assert Decimal("22150000") in values("22,15 millions") and Decimal("22150000") in values("22.15 million")
    assert values("41,6 %") == [Decimal("41.6")]
    assert values("cinq") == values("five") == [Decimal(5)]
    assert values("1 500 000") == [Decimal(1500000)]
    assert set(values("1,000")) == {Decimal(1), Decimal(1000)}
    assert values("one day") == []  # "one" is a pronoun more often than a count...
    assert values("un jour", passage=True) == [Decimal(1)]  # ...but a passage's "un" can back an answer's "1"


def test_markers():
    assert markers("a [1] b [2, 3] c [4-5] d [x]") == [1, 2, 3, 4, 5]


def test_language():
    assert language_of("When was Koala launched?") == "en"
    assert language_of("Quand Koala a-t-elle été lancée ?") == "fr"
    assert language_of("Koala ?") is None


def test_cleaning_model_leftovers():
    assert clean_generated("Answer: « Koala [1] »<end_of_turn>") == "Koala [1]"
    assert clean_generated("  Réponse : Koala\n[1]  ") == "Koala [1]"


# -- denials and the fact asked for --------------------------------------------------


@pytest.mark.parametrize(
    "answer, question",
    [
        ("Au 31 janvier, Koala n’était pas accessible depuis 21 jours [1].", "Quand Koala a-t-elle été lancée ?"),
        ("Koala was not launched on January 11, 2025 [1].", "When was Koala launched?"),
        ("Koala wasn't launched on January 11, 2025 [1].", "When was Koala launched?"),
        ("Koala n’a jamais été lancée le 11 janvier 2025 [1].", "Quand Koala a-t-elle été lancée ?"),
    ],
)
def test_a_denial_the_passages_do_not_make_is_refused(answer, question):
    ok, reason = check(answer, question)
    assert not ok and "denies" in reason


def test_ne_que_is_not_a_denial_and_denials_of_other_things_pass():
    assert check("Koala n’était accessible que depuis 21 jours au 31 janvier [1].", "Depuis quand ?")[0]
    assert check("Zebra was not launched; Koala was, on January 11, 2025 [1].", "When was Zebra launched?")[0]
    denying = ["Koala n’est pas disponible en France depuis le 11 janvier 2025."]
    assert verify("Koala is not available in France since January 11, 2025 [1].", denying, "When?").ok


@pytest.mark.parametrize(
    "answer, found, question, agrees",
    [
        ("Koala was launched on January 11, 2025 [1].", "11 janvier 2025", "When was Koala launched?", True),
        ("Koala was launched on 11 January 2025 [1].", "11 janvier 2025", "When was Koala launched?", True),
        ("Koala was launched on January 31 [1].", "11 janvier 2025", "When was Koala launched?", False),
        ("Koala a été lancée le 31 janvier [1].", "11 janvier 2025", "Quand Koala a-t-elle été lancée ?", False),
        ("Koala had 22.15 million daily users [1].", "22,15 millions", "How many daily users?", True),
        ("Koala had 21 million daily users [1].", "22,15 millions", "How many daily users?", False),
        ("Koala was launched on January 31 [1].", "Koala", "Who launched it?", True),  # nothing to compare
        ("Koala was launched on January 31 [1].", "l’application", "When was Koala launched?", True),
    ],
)
def test_the_asked_fact_agrees_with_the_engine(answer, found, question, agrees):
    assert (agrees_with(answer, found, question) == "") is agrees


# -- every date, number and name the answer asserts, whatever its form ---------------------------

P4 = "Le 20 janvier 2025, Bramble comptait 99 dépôts et 21 employés, selon Elon Musk."


@pytest.mark.parametrize(
    "answer, passages",
    [
        ("Bramble had ninety-nine repositories [1].", [P4]),
        ("Bramble avait vingt-et-un employés [1].", [P4]),
        ("Bramble had twenty-one employees [1].", [P4]),
        ("On the twentieth of January 2025, Bramble had 99 repositories [1].", [P4]),
        ("On Monday, January 20, 2025, Bramble had 99 repositories [1].", [P4]),  # it was a Monday
        ("Le lundi 20 janvier 2025, Bramble avait 99 dépôts [1].", [P4]),
        ("Launched on January 11, 2025, Koala had 21 days of use by January 31 [1].", PASSAGES),
        ("KOALA was launched on January 11, 2025 [1].", PASSAGES),
        ("According to elon musk, Bramble had 99 repositories [1].", [P4]),
        ("In 2025, Bramble had 99 repositories [1].", [P4]),
    ],
)
def test_facts_in_any_form_are_found_in_the_passages(answer, passages):
    v = verify(answer, passages)
    assert (v.ok, v.reason) == (True, "")


@pytest.mark.parametrize(
    "answer, passages, reason",
    [
        ("Bramble had ninety-eight repositories [1].", [P4], "number «ninety-eight»"),
        ("Bramble avait vingt-deux employés [1].", [P4], "number «vingt-deux»"),
        ("On the twenty-first of January 2025, Bramble had 99 repositories [1].", [P4], "date «twenty-first"),
        ("On Sunday, January 20, 2025, Bramble had 99 repositories [1].", [P4], "is a Monday"),
        ("Le mardi 20 janvier 2025, Bramble avait 99 dépôts [1].", [P4], "is a Monday"),
        ("Bramble had 99 repositories on a Friday [1].", [P4], "day «Friday»"),
        ("Alibaba integrated Koala [2].", PASSAGES, "name «Alibaba»"),
        ("Koala was funded by marie dupont [1].", PASSAGES, "name «marie»"),  # a name of passage [3]
        ("In 2024, Bramble had 99 repositories [1].", [P4], "date «2024»"),
    ],
)
def test_facts_in_any_form_not_in_the_passages_are_refused(answer, passages, reason):
    v = verify(answer, passages)
    assert not v.ok and reason in v.reason, v.reason


def test_lower_case_names_are_checked_against_the_cited_passages_only():
    assert verify("Koala was funded by marie dupont [3].", PASSAGES, "Who?").ok
    assert not verify("Koala was funded by marie dupont [1].", PASSAGES, "Who?").ok
