"""Near misses: questions about another named thing than the documents speak of (issue 26, class 5),
with the real models.

On the seeds, a date, a number or a price said of DeepSeek is no answer about Doubao or ChatGPT,
and what the documents say of DeepSeek-R1 is no answer about DeepSeek-R2: the documents do not
say; nor is a name the best passage gives beside the subject's ("Avec Janus-Pro, une IA rivalisant avec
DALL-E 3") a licence, a city or a maker it never speaks of. The same questions about what the documents do
speak of are still answered. A small folder
of versioned names (Python 3.11, Debian 12, a model "Falcon-R1") checks versions in English and
French.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.model


@pytest.mark.parametrize(
    "question",
    [
        # another product in the subject's place
        "When was Doubao launched?",
        "Quand Doubao a-t-il été lancé ?",
        "How many daily active users does ChatGPT have in China?",
        "Combien d'utilisateurs actifs quotidiens ChatGPT a-t-il en Chine ?",
        "When was ChatGPT launched?",
        "Quand ChatGPT a-t-il été lancé ?",
        "How many daily active users does Janus-Pro have?",
        "How many code repositories did OpenAI publish?",
        "Combien de dépôts de code OpenAI a-t-il publiés ?",
        "When did Tencent launch WeChat?",
        "When was Qwen released?",
        # the thing asked about is named, but nothing dates it
        "When was Janus-Pro launched?",
        "Quand Janus-Pro a-t-il été lancé ?",
        "When did Huawei launch its smartphones?",
        # another version
        "How many parameters does DeepSeek-R2 have?",
        "Combien de paramètres compte DeepSeek-R2 ?",
        "Under which license is DeepSeek-R2 distributed?",
        "Sous quelle licence DeepSeek-V3 est-il distribué ?",
        "How many parameters does DALL-E 2 have?",
        # a name asked for by its kind, where the best passage says nothing but the subject's name
        "What license is DALL-E 3 released under?",
        "What license is Janus-Pro released under?",
        "Sous quelle licence Janus-Pro est-il publié ?",
        "Sous quelle licence DALL-E 3 est-il distribué ?",
        "Quelle est la licence de Doubao ?",
        "What programming language is DeepSeek written in?",
        "Dans quel langage de programmation Janus-Pro est-il écrit ?",
        "Which city is ByteDance based in?",
        "What operating system does Janus-Pro run on?",
        "Sur quelle puce Janus-Pro fonctionne-t-il ?",
        "Which company makes DALL-E 3?",
        "Quelle entreprise a créé Janus-Pro ?",
        # a person asked for by a role the best passage never speaks of
        "Who is the founder of Doubao?",
        "Who is the CEO of Huawei?",
        "Qui est le PDG de ByteDance ?",
        # a doer asked by a verb of making or leading, where what would be quoted says no such doing
        "Who created Janus-Pro?",
        "Who developed Janus-Pro?",
        "Qui a conçu Janus-Pro ?",
        "Who leads Huawei?",
        "Qui dirige Huawei ?",
        "Who founded Huawei?",
        "Who founded DeepSeek?",
        "Qui a fondé DeepSeek ?",
        "Who runs ByteDance?",
        "Who owns Great Wall Motors?",
        "Who wrote DeepSeek's code?",  # "Xi Jinping, le dirigeant": a leading said, no writing
        # a count, a share or a price asked, where what would be quoted holds only another unit or none
        "How many employees does DeepSeek have?",
        "How many engineers work at DeepSeek?",
        "How many GPUs did DeepSeek use?",
        "How many offices does DeepSeek have?",
        # people of another role counted ("utilisateurs", "audiences")
        "Combien de salariés compte ByteDance ?",
        "Combien d'abonnés compte Doubao ?",
        "How many subscribers does Doubao have?",
        "How many developers does DeepSeek have?",  # "six modèles": things, not people
        "Combien de visiteurs compte DeepSeek ?",
        "Combien de serveurs utilise DeepSeek ?",
        "What is the market share of Doubao?",
        "What is DeepSeek's market share?",
        "Quelle est la part de marché de DeepSeek ?",
        "Quelle part de marché détient Doubao ?",
        "What percentage of the market does Doubao hold?",
        "What is the price of Janus-Pro?",
        "How much does Janus-Pro cost?",
        "What is the price of DeepSeek-R1?",
        "Quel est le prix de DeepSeek-R1 ?",
        "Quel est le prix de Janus-Pro ?",
        "Combien coûte Janus-Pro ?",
    ],
)
def test_a_near_miss_is_not_answered(seeds_engine, question):
    answer = seeds_engine.answer(question)
    assert answer.abstained, answer.answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many daily users does Doubao have?", "16,95 millions"),
        ("Combien d'utilisateurs quotidiens Doubao a-t-il ?", "16,95 millions"),
        ("When did Baidu introduce Ernie?", "2023"),
        ("En quelle année Baidu a-t-il introduit Ernie ?", "2023"),
        ("How many daily active users did DeepSeek reach?", "22,15 millions"),
        ("What share of ChatGPT's daily audience does DeepSeek have?", "41,6 %"),
        ("When was DeepSeek launched?", "11 janvier 2025"),
        ("Under which license is DeepSeek-R1 distributed?", "MIT"),
        ("How many parameters does the largest distilled DeepSeek-R1 model have?", "70"),
        ("Which company makes Doubao?", "ByteDance"),  # "Doubao, l'IA de ByteDance": given as its maker
        ("Which DeepSeek model rivals DALL-E 3?", "Janus-Pro"),
        # counted by what they are, or in the unit asked
        ("How many people use DeepSeek every day?", "22,15 millions"),
        ("Combien de personnes utilisent DeepSeek chaque jour ?", "22,15 millions"),
        ("Combien d'utilisateurs a DeepSeek ?", "22,15 millions"),
        ("How many models did DeepSeek open-source?", "six"),
        ("How many users does Doubao have?", "16,95 millions"),  # its audience: its users
        ("Combien d'utilisateurs compte Doubao ?", "16,95 millions"),
        ("Qui dirige la Chine ?", "Xi Jinping"),  # "Xi Jinping, le dirigeant"
        ("Qui a incité ses responsables à utiliser au moins deux applications d'IA ?", "Liang Zhanfan"),
        ("How many source code repositories did DeepSeek publish?", "cinq"),
        ("Quelle entreprise a intégré DeepSeek dans son système d'exploitation mobile ?", "Huawei"),
        ("Which car manufacturer is integrating DeepSeek into its connected vehicles?", "Great Wall Motors"),
    ],
)
def test_what_the_documents_say_is_still_answered(seeds_engine, question, expected):
    answer = seeds_engine.answer(question)
    assert not answer.abstained, answer
    assert expected in answer.short_answer, answer.answer


_RELEASES = """Release notes

Python 3.11 was released on 24 October 2022. It runs up to 25 percent faster than the release before.

Debian 12 est sortie le 10 juin 2023 avec le noyau Linux 6.1.

The Falcon-R1 model has 40 billion parameters and was trained on 1,000 billion words.
"""


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    from qa.api import Engine

    folder = tmp_path_factory.mktemp("releases") / "docs"
    folder.mkdir()
    (folder / "releases.txt").write_text(_RELEASES, encoding="utf-8")
    engine = Engine(index_dir=folder.parent / "index", documents=[folder], root=folder.parent)
    engine.prepare(notice=lambda message: None)
    return engine


@pytest.mark.parametrize(
    "question",
    [
        "When was Python 3.12 released?",
        "Quand Python 3.10 est-il sorti ?",
        "When was Debian 11 released?",
        "Quand Debian 13 est-elle sortie ?",
        "How many parameters does Falcon-R2 have?",
        "Combien de paramètres a Falcon-R2 ?",
    ],
)
def test_another_version_is_not_the_answer(releases, question):
    answer = releases.answer(question)
    assert answer.abstained, answer.answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When was Python 3.11 released?", "24 October 2022"),
        ("Quand Debian 12 est-elle sortie ?", "10 juin 2023"),
        ("When was Debian 12 released?", "10 juin 2023"),
        ("How many parameters does Falcon-R1 have?", "40 billion"),
    ],
)
def test_the_version_asked_is_still_answered(releases, question, expected):
    answer = releases.answer(question)
    assert not answer.abstained, answer
    assert expected in answer.short_answer, answer.answer


def test_an_abstention_names_no_citation_but_its_nearest_passages(seeds_engine):
    answer = seeds_engine.answer("When was Doubao launched?", top_k=2)
    data = answer.to_dict()
    assert data["abstained"] and data["answer"] == "" and data["citations"] == []
    assert 1 <= len(data["nearest"]) <= 2
    root = Path(__file__).resolve().parent.parent
    for passage in data["nearest"]:
        lines = (root / passage["source"]).read_text(encoding="utf-8").splitlines()
        assert passage["text"].split("\n")[0] in lines[passage["start_line"] - 1]


def test_further_citations_help_the_answer(seeds_engine):
    """Issue 26, C: "DeepSeek n'est pas qu'une start-up." shares words with the question, no more."""
    launch = seeds_engine.answer("When was DeepSeek launched?", top_k=3)
    assert [c.text for c in launch.citations] == [
        "Au 31 janvier, DeepSeek n’était accessible que depuis 21 jours, ayant été lancée le 11 janvier 2025."
    ]
    users = seeds_engine.answer("How many daily active users did DeepSeek reach?", top_k=3)
    assert all("22,15 millions" in c.text or "DeepSeek" in c.text for c in users.citations)
    assert not any("Doubao" in c.text for c in users.citations)  # another app's users
