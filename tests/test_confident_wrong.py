"""Confident wrong answers an adversarial review found (issue 14, class 6), with the real models.

- Hundreds of unrelated dated notes beside the seeds must not move the launch date's short
  answer to another date of the sentence ("Au 31 janvier, DeepSeek …, ayant été lancée le
  11 janvier 2025": the date said of the launch, not the one next to the name).
- "When was the purple report filed?" over a folder that only dates the violet report: another
  report, so the documents do not say. Same with other qualifiers of the same kind (colours,
  versions, sizes, directions), in English and in French.
- A question that is only markup asks nothing: no answer.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parent.parent


def _engine(folder: Path, index: Path):
    from qa.api import Engine

    engine = Engine(index_dir=index, documents=[folder], root=folder.parent)
    engine.prepare(notice=lambda message: None)
    return engine


# -- many unrelated dated notes beside the seeds -------------------------------------------

_NOTES_FR = [
    "Réunion d'équipe sur le budget du trimestre.",
    "Acheter du pain, du lait et des pommes.",
    "Le nouveau projet de jardin a été lancé avec les voisins.",
    "Lancement de la nouvelle version du site interne.",
    "La campagne de recrutement a démarré aujourd'hui.",
    "Mise en service de la nouvelle imprimante au bureau.",
    "Envoyer le rapport mensuel à la direction.",
]
_NOTES_EN = [
    "Team meeting about the quarterly budget.",
    "The new garden project was launched with the neighbours.",
    "Launched the new version of the internal website.",
    "The hiring campaign started today.",
    "The new office printer went live.",
    "Remember to renew the car insurance.",
    "Send the monthly report to management.",
]
_MOIS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
_MONTHS = "January February March April May June July August September October November December".split()


@pytest.fixture(scope="module")
def flooded(tmp_path_factory):
    """The seeds and 300 short dated notes, many of them about something launched."""
    folder = tmp_path_factory.mktemp("flooded") / "docs"
    shutil.copytree(ROOT / "seeds", folder)
    chance = random.Random(7)
    for i in range(300):
        day, month, year = chance.randint(1, 28), chance.randrange(12), chance.choice([2024, 2025])
        if i % 2:
            head, body = f"Note du {day} {_MOIS[month]} {year}", chance.sample(_NOTES_FR, 2)
        else:
            head, body = f"Note of {_MONTHS[month]} {day}, {year}", chance.sample(_NOTES_EN, 2)
        (folder / f"note-{i:03d}.txt").write_text(f"{head}\n\n{' '.join(body)}\n", encoding="utf-8")
    return _engine(folder, folder.parent / "index")


@pytest.mark.parametrize(
    "question",
    [
        "When was DeepSeek launched?",
        "Quand DeepSeek a-t-il été lancé ?",
        "On what date was DeepSeek launched?",
        "À quelle date DeepSeek a-t-elle été lancée ?",
    ],
)
def test_dated_notes_do_not_move_the_launch_date(flooded, question):
    answer = flooded.answer(question)
    assert not answer.abstained, answer
    assert "11 janvier 2025" in answer.short_answer, answer.answer
    assert "31 janvier" not in answer.short_answer


# -- another one of the thing asked -----------------------------------------------------------

_HANDBOOK_EN = """Company handbook

The violet report was filed on 3 March 2024 by the finance team. It covers the spending of the first quarter.

The green report was filed on 12 June 2024. It lists the open hiring positions.

Version 2 of the billing service was released on 4 May 2021. It added invoices in euros.

The large plan costs 30 euros a month and includes ten users.

The north warehouse opened in September 2019 near the harbour.
"""

_HANDBOOK_FR = """Notes de l'équipe

Le rapport violet a été déposé le 3 mars 2024 par l'équipe financière.

La version 2 du service de facturation est sortie le 4 mai 2021.

La grande formule coûte 30 euros par mois.

L'entrepôt nord a ouvert en septembre 2019 près du port.
"""


def _folder_of(tmp_path_factory, name: str, text: str):
    folder = tmp_path_factory.mktemp(name) / "docs"
    folder.mkdir()
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return _engine(folder, folder.parent / "index")


@pytest.fixture(scope="module")
def handbook(tmp_path_factory):
    """An English file stating things of one of several of a kind."""
    return _folder_of(tmp_path_factory, "handbook", _HANDBOOK_EN)


@pytest.fixture(scope="module")
def equipe(tmp_path_factory):
    """The same in French. (Kept apart: across languages only numbers are compared, since
    "purple" and "le rapport violet" are one report.)"""
    return _folder_of(tmp_path_factory, "equipe", _HANDBOOK_FR)


@pytest.mark.parametrize(
    ("folder", "question"),
    [
        ("handbook", "When was the purple report filed?"),
        ("handbook", "When was the blue report filed?"),
        ("handbook", "Who filed the purple report?"),
        ("handbook", "When was version 3 of the billing service released?"),
        ("handbook", "When did the south warehouse open?"),
        ("equipe", "Quand le rapport bleu a-t-il été déposé ?"),
        ("equipe", "Quand la version 3 du service de facturation est-elle sortie ?"),
        ("equipe", "Quand l'entrepôt sud a-t-il ouvert ?"),
        ("equipe", "Combien coûte la petite formule ?"),
        ("equipe", "When was version 3 of the billing service released?"),  # numbers across languages
    ],
)
def test_another_of_the_same_kind_is_not_the_answer(request, folder, question):
    answer = request.getfixturevalue(folder).answer(question)
    assert answer.abstained, answer.answer


@pytest.mark.parametrize(
    ("folder", "question", "expected"),
    [
        ("handbook", "When was the violet report filed?", "3 March 2024"),
        ("handbook", "When was the green report filed?", "12 June 2024"),
        ("handbook", "When was version 2 of the billing service released?", "4 May 2021"),
        ("handbook", "When did the north warehouse open?", "September 2019"),
        ("handbook", "How much does the large plan cost?", "30 euros"),
        ("equipe", "Quand le rapport violet a-t-il été déposé ?", "3 mars 2024"),
        ("equipe", "Quand la version 2 du service de facturation est-elle sortie ?", "4 mai 2021"),
        ("equipe", "Combien coûte la grande formule ?", "30 euros"),
        ("equipe", "When was the purple report filed?", "3 mars 2024"),  # "violet" is French for purple
    ],
)
def test_the_one_asked_about_is_still_answered(request, folder, question, expected):
    answer = request.getfixturevalue(folder).answer(question)
    assert not answer.abstained, answer
    assert expected in answer.answer, answer.answer


# -- markup as a question ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "markup",
    [
        '<div class="answer"></div>',
        "<script>alert(1)</script>",
        '<p></p><span class="x"></span>',
        '<img src="launch.png" alt="">',
        "``` ```",
        "<!-- -->",
    ],
)
def test_markup_alone_is_not_answered(seeds_engine, markup):
    answer = seeds_engine.answer(markup)
    assert answer.abstained and not answer.citations


@pytest.mark.parametrize(
    "question",
    ["<b>When was DeepSeek launched?</b>", "**When** was `DeepSeek` launched?", "# When was DeepSeek launched?"],
)
def test_a_question_in_markup_is_answered_as_its_text(seeds_engine, question):
    answer = seeds_engine.answer(question)
    assert "11 janvier 2025" in answer.short_answer, answer.answer
