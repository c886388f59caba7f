"""The structure reader (qa.reader) and the passages cut from it (qa.documents.split_passages).

Every sample is written here, invented for the test. Each test reads one small
document and checks the blocks or passages that come out of it; the span
checks at the end run over all the samples, with \\n and \\r\\n line endings.
"""

from __future__ import annotations

import re

import pytest

from qa import reader
from qa.documents import lines_of, split_passages

# -- helpers ---------------------------------------------------------------------


def blocks(text: str, suffix: str = ".txt") -> list[tuple[str, str]]:
    return [(b.kind, b.clean) for b in reader.read(text, suffix).blocks]


def kinds(text: str, suffix: str = ".txt") -> list[str]:
    return [b.kind for b in reader.read(text, suffix).blocks]


def passages(text: str, suffix: str = ".txt"):
    return split_passages(text, "doc" + suffix)


def only(items, **wanted):
    """The one item whose attributes have the wanted values."""
    found = [x for x in items if all(getattr(x, k) == v for k, v in wanted.items())]
    assert len(found) == 1, (wanted, items)
    return found[0]


_BREAK = re.compile(r"\r\n|\r|\n")


def line_of(text: str, offset: int) -> int:
    """1-based line of the character at offset, counted independently of qa.documents."""
    return 1 + len(_BREAK.findall(text, 0, offset))


# -- samples -----------------------------------------------------------------------

RST = """\
=====================
Le guide du jardinier
=====================

Premiers pas
============

La fonction :func:`len` compte les graines d'un sachet. Tapez ``quit()``
pour sortir de l'interpréteur, et lisez :pep:`636` pour le filtrage.

Un exemple de session::

    >>> sachet = ["radis", "carotte"]
    >>> len(sachet)
    2

.. note::

   Les graines se gardent au sec et à l'abri de la lumière.

Arroser
-------

Pour arroser, on appelle la fonction suivante :

.. code-block:: python
   :linenos:

   def arroser(plante):
       plante.eau += 1

>>> arroser(tomate)
>>> tomate.eau
1

- les radis poussent vite ;
- les carottes demandent de la patience.

1. Semer en ligne.
2. Éclaircir les semis.

.. toctree::
   :maxdepth: 2

   semis
   arrosage
"""

MARKDOWN = """\
# Carnet de cuisine

Ce carnet rassemble des recettes **faciles** et un peu de `code` pour
calculer les [quantités](https://example.org/quantites).

Les desserts
============

Quelques desserts
-----------------

- Tarte aux pommes
- [ ] Crème brûlée

1. Préchauffer le four.
2. Enfourner le plat.

Pour compter les parts :

```python
parts = gateau // 8
```

    reste = gateau % 8

| Plat  | Temps  |
|-------|--------|
| Tarte | 40 min |
| Flan  | 1 h    |

## Les soupes ##

Une soupe se prépare la veille.
"""

# A French paragraph hard-wrapped at about 70 columns, indented 4 spaces, with
# the path /etc/modules broken across a wrap.
WRAPPED = """\
Chapitre 4. Les modules du noyau

    Pour que le pilote soit chargé à chaque démarrage, on ajoute son nom
    dans un fichier de configuration du répertoire /etc/modules-load.d/
    ou, sur les systèmes plus anciens, directement dans le fichier /etc/
    modules. Le changement prend effet au prochain démarrage, sans autre
    manipulation de la part de l'administrateur ni redémarrage du service.

4.1. Arrêter la machine

    Pour arrêter la machine proprement, on peut utiliser cette commande
    depuis la ligne de commandes :

    # shutdown -h now

    La machine s'éteint alors après avoir fermé tous les programmes.
"""

# One long paragraph per line, no blank lines, and a short title line.
_LINE_1 = (
    "Les chats domestiques passent une grande partie de leur journée à dormir, souvent entre douze et "
    "seize heures, ce qui leur permet d'économiser leur énergie pour la chasse."
)
_LINE_2 = (
    "Leur sommeil alterne des phases légères et profondes, et un chat qui semble dormir reste souvent "
    "attentif aux bruits de la maison, prêt à se réveiller en un instant."
)
_LINE_3 = (
    "Les jeunes chatons jouent beaucoup plus que les adultes, car le jeu leur apprend à chasser, à grimper "
    "et à se défendre face aux autres animaux du voisinage immédiat."
)
ONE_PER_LINE = f"Le sommeil des chats\n{_LINE_1}\n{_LINE_2}\nLe jeu chez les chatons\n{_LINE_3}\n"

PLAIN_TABLE = """\
    Les outils suivants servent au potager, selon la saison et le sol.

    Tableau 2.1. Liste d'outils de jardinage utiles pour un petit
    potager

    +-----------------------------------------------------+
    | outil    |poids |usage                              |
    |----------+------+-----------------------------------|
    |bêche     |2 kg  |retourner la terre avant les semis |
    |          |      |de printemps                       |
    |----------+------+-----------------------------------|
    |          |      |tailler les haies et les arbustes  |
    |sécateur  |300 g |fruitiers en hiver                 |
    +-----------------------------------------------------+

    Note

    Un outil propre et sec dure bien plus longtemps qu'un outil rouillé.
"""


def _leader(title: str, page: int, width: int = 70) -> str:
    return f"{title} {'.' * (width - len(title) - len(str(page)) - 2)} {page}"


# A table of contents whose dot leaders fill the width the text is wrapped at.
DOT_LEADERS = f"""\
Table des matières :

{_leader("1. Présentation du logiciel", 1)}
{_leader("2. Installation sur un poste", 4)}
{_leader("3. Utilisation au quotidien", 9)}

1. Présentation du logiciel

    Ce guide décrit un petit outil imaginaire qui range des photos de
    vacances dans des dossiers datés, sans jamais modifier les fichiers
    d'origine ni leurs métadonnées, et sans rien envoyer sur le réseau.

2. Installation sur un poste

    L'outil s'installe depuis une archive que l'on décompresse dans son
    dossier personnel, puis on ajoute ce dossier au chemin de recherche.

3. Utilisation au quotidien

    Lancez l'outil puis choisissez un dossier de photos à ranger.
"""

# A table of contents of numbered lines, read as headings, before the headings they repeat.
NUMBERED_TOC = """\
Chapitre 3. Le jardin potager

    3.1. Choisir l'emplacement
    3.2. Préparer la terre
    3.3. Arroser sans gaspiller

3.1. Choisir l'emplacement

    Un potager demande au moins six heures de soleil direct par jour,
    loin des grands arbres dont les racines boivent l'eau du sol.

3.2. Préparer la terre

    On retourne la terre à l'automne et on y mêle du compost mûr pour
    la nourrir pendant l'hiver, puis on la laisse reposer.

3.3. Arroser sans gaspiller

    Arrosez le soir, au pied des plantes, avec l'eau de pluie que l'on
    récupère dans une cuve :

    $ cuve --niveau
    niveau : 80 %

    Une cuve pleine suffit pour une semaine d'été.
"""

LISTING = """\
Installer l'archive

    Décompressez l'archive dans votre dossier personnel, puis vérifiez
    son contenu. Voici ce que le terminal affiche alors :

    photos-0.3/
    photos-0.3/setup.cfg
    photos-0.3/LISEZMOI

    Le fichier LISEZMOI décrit les options de la ligne de commande.
"""

SAMPLES = {
    "rst": (RST, ".rst"),
    "markdown": (MARKDOWN, ".md"),
    "wrapped": (WRAPPED, ".txt"),
    "one_per_line": (ONE_PER_LINE, ".txt"),
    "plain_table": (PLAIN_TABLE, ".txt"),
    "dot_leaders": (DOT_LEADERS, ".txt"),
    "numbered_toc": (NUMBERED_TOC, ".txt"),
    "listing": (LISTING, ".txt"),
}


# -- format --------------------------------------------------------------------------


def test_sniff_recognises_rst_in_a_txt_file():
    assert reader.sniff_format(RST, ".txt") == reader.RST
    assert reader.read(RST, ".txt").format == reader.RST


def test_sniff_recognises_markdown_by_its_signs():
    text = "# Titre\n\nDu texte avec un [lien](https://example.org).\n\n```\ncode\n```\n\n## Suite\n\nFin.\n"
    assert reader.sniff_format(text, ".txt") == reader.MARKDOWN


def test_sniff_reads_plain_prose_as_plain_text():
    assert reader.sniff_format(WRAPPED, ".txt") == reader.PLAIN
    assert reader.sniff_format(ONE_PER_LINE, ".txt") == reader.PLAIN


def test_the_suffix_decides_before_the_markup():
    assert reader.sniff_format(WRAPPED, ".md") == reader.MARKDOWN
    assert reader.sniff_format(WRAPPED, ".RST") == reader.RST
    assert reader.sniff_format(MARKDOWN, ".markdown") == reader.MARKDOWN


# -- reStructuredText ------------------------------------------------------------------


def test_rst_headings_with_overline_and_underline_get_levels_in_order_of_appearance():
    headings = [(b.clean, b.level) for b in reader.read(RST, ".rst").blocks if b.kind == reader.HEADING]
    assert headings == [("Le guide du jardinier", 1), ("Premiers pas", 2), ("Arroser", 3)]
    # the span is the title alone, not its adornments
    doc = reader.read(RST, ".rst")
    first = doc.blocks[0]
    assert doc.text[first.start : first.end] == "Le guide du jardinier"


def test_rst_markup_is_cleaned_but_the_text_stays_verbatim():
    doc = reader.read(RST, ".rst")
    paragraph = next(b for b in doc.blocks if b.kind == reader.PARAGRAPH)
    assert paragraph.clean == (
        "La fonction len compte les graines d'un sachet. Tapez quit() pour sortir de l'interpréteur, "
        "et lisez PEP 636 pour le filtrage."
    )
    assert ":func:`len`" in RST[paragraph.start : paragraph.end]
    found = passages(RST, ".rst")
    first = found[2]
    assert first.text == "La fonction :func:`len` compte les graines d'un sachet."
    assert first.clean == "La fonction len compte les graines d'un sachet."
    second = found[3]
    assert second.text == "Tapez ``quit()``\npour sortir de l'interpréteur, et lisez :pep:`636` pour le filtrage."
    assert second.clean == "Tapez quit() pour sortir de l'interpréteur, et lisez PEP 636 pour le filtrage."


@pytest.mark.parametrize(
    "raw, clean",
    [
        (":func:`len`", "len"),
        (":meth:`str.split`", "str.split"),
        (":py:func:`~os.path.join`", "os.path.join"),
        (":ref:`le tutoriel <tut-intro>`", "le tutoriel"),
        ("``quit()``", "quit()"),
        (":pep:`636`", "PEP 636"),
        (":rfc:`2822`", "RFC 2822"),
        ("Par exemple::", "Par exemple:"),
        ("Par exemple ::", "Par exemple"),
        ("le `site <https://example.org>`_ du projet", "le site du projet"),
        ("un mot *important* et **très** important", "un mot important et très important"),
        ("voir la note [1]_ plus bas", "voir la note plus bas"),
        # markup broken across a hard wrap
        ("lancez ``python\n-m pip install --upgrade`` puis", "lancez python -m pip install --upgrade puis"),
        ("le mot *très\nimportant* ici", "le mot très important ici"),
    ],
)
def test_rst_inline_markup(raw, clean):
    assert reader.clean_inline(raw, reader.RST) == clean


def test_plain_text_keeps_what_looks_like_markup():
    assert reader.clean_inline("a ``b``  c\n  d", reader.PLAIN) == "a ``b`` c d"


def test_rst_literal_block_after_double_colon_is_code_joined_to_its_introduction():
    doc = reader.read(RST, ".rst")
    code = next(b for b in doc.blocks if b.kind == reader.CODE)
    assert RST[code.start : code.end] == '>>> sachet = ["radis", "carotte"]\n    >>> len(sachet)\n    2'
    passage = only(passages(RST, ".rst"), kind="code", start_line=11)
    assert passage.text.startswith("Un exemple de session::\n\n    >>> sachet")
    assert passage.text.endswith(">>> len(sachet)\n    2")
    assert passage.clean == 'Un exemple de session: >>> sachet = ["radis", "carotte"] >>> len(sachet) 2'
    assert passage.section == "Premiers pas"


def test_rst_code_block_directive_is_code_its_options_skipped_and_joined_to_its_introduction():
    doc = reader.read(RST, ".rst")
    code = [RST[b.start : b.end] for b in doc.blocks if b.kind == reader.CODE]
    assert "def arroser(plante):\n       plante.eau += 1" in code
    assert not any(":linenos:" in c for c in code)
    passage = next(p for p in passages(RST, ".rst") if "def arroser" in p.text)
    assert passage.kind == "code"
    assert passage.text.startswith("Pour arroser, on appelle la fonction suivante :\n\n.. code-block:: python")
    assert passage.clean == "Pour arroser, on appelle la fonction suivante : def arroser(plante): plante.eau += 1"
    assert passage.section == "Arroser"


def test_rst_doctest_block_is_code():
    doc = reader.read(RST, ".rst")
    code = [RST[b.start : b.end] for b in doc.blocks if b.kind == reader.CODE]
    assert ">>> arroser(tomate)\n>>> tomate.eau\n1" in code


def test_rst_note_is_a_label_and_its_body_prose():
    found = blocks(RST, ".rst")
    n = found.index(("label", "Note"))
    assert found[n + 1] == ("paragraph", "Les graines se gardent au sec et à l'abri de la lumière.")
    assert not any(p.clean == "Note" or ".. note::" in p.text for p in passages(RST, ".rst"))
    assert any(p.clean == "Les graines se gardent au sec et à l'abri de la lumière." for p in passages(RST, ".rst"))


def test_rst_lists_are_items_and_a_numbered_item_is_one_passage():
    items = [clean for kind, clean in blocks(RST, ".rst") if kind == reader.ITEM]
    assert items == [
        "- les radis poussent vite ;",
        "- les carottes demandent de la patience.",
        "1. Semer en ligne.",
        "2. Éclaircir les semis.",
    ]
    found = passages(RST, ".rst")
    semer = only(found, clean="Semer en ligne.")
    assert semer.text == "1. Semer en ligne."  # the "1." is not a sentence of its own
    assert not any(p.clean in ("1.", "2.") for p in found)
    assert only(found, clean="les radis poussent vite ;").text == "- les radis poussent vite ;"


def test_rst_toctree_is_a_table_of_contents_and_gives_no_passage():
    doc = reader.read(RST, ".rst")
    toc = [b for b in doc.blocks if b.kind == reader.TOC]
    assert len(toc) == 1 and RST[toc[0].start : toc[0].end].startswith(".. toctree::")
    assert RST[toc[0].start : toc[0].end].endswith("arrosage")
    assert not any("semis\n" in p.text or "toctree" in p.text or p.clean == "arrosage" for p in passages(RST, ".rst"))


def test_rst_contents_list_repeating_the_headings_is_a_table_of_contents():
    text = """\
Sommaire :

- Les semis
- La récolte
- La conservation

Les semis
=========

On sème au printemps, quand la terre s'est réchauffée.

La récolte
==========

On récolte le matin, avant la chaleur.

La conservation
===============

Les légumes se gardent à la cave.
"""
    assert kinds(text, ".rst") == ["paragraph", "toc", "toc", "toc"] + ["heading", "paragraph"] * 3
    found = passages(text, ".rst")
    assert [p.clean for p in found if p.kind == "heading"] == ["Les semis", "La récolte", "La conservation"]
    assert [p.start_line for p in found if p.clean == "Les semis"] == [7]
    assert not any(p.start_line in (3, 4, 5) for p in found)


def test_rst_grid_table_rows_merge_multiline_cells():
    text = """\
Les outils
==========

+------------+---------------------------+
| Outil      | Usage                     |
+============+===========================+
| Bêche      | retourner la terre        |
|            | avant les semis           |
+------------+---------------------------+
| Arrosoir   | arroser les semis         |
+------------+---------------------------+
"""
    doc = reader.read(text, ".rst")
    rows = [b for b in doc.blocks if b.kind == reader.ROW]
    assert [r.clean for r in rows] == [
        "Outil | Usage",
        "Bêche | retourner la terre avant les semis",
        "Arrosoir | arroser les semis",
    ]
    assert text[rows[1].start : rows[1].end] == (
        "| Bêche      | retourner la terre        |\n|            | avant les semis           |"
    )
    found = passages(text, ".rst")
    assert [p.kind for p in found] == ["heading", "row", "row", "row"]
    assert [(p.start_line, p.end_line) for p in found[1:]] == [(5, 5), (7, 8), (10, 10)]
    assert all(p.section == "Les outils" for p in found)


def test_rst_directives_that_state_a_fact_are_read_as_the_sentence_sphinx_shows():
    text = """\
Lighthouse lamps
================

.. sectionauthor:: Ada Keeper <ada@example.org>

The lamp burns oil.

.. versionchanged:: 2.1
   The lamp burns ``kerosene``
   since the refit.

.. versionadded:: 1.4

.. index:: lamp
"""
    assert blocks(text, ".rst") == [
        ("heading", "Lighthouse lamps"),
        ("paragraph", "Section author: Ada Keeper."),
        ("paragraph", "The lamp burns oil."),
        ("paragraph", "Changed in version 2.1: The lamp burns kerosene since the refit."),
        ("paragraph", "New in version 1.4."),
    ]
    author = only(passages(text, ".rst"), clean="Section author: Ada Keeper.")
    assert author.text == ".. sectionauthor:: Ada Keeper <ada@example.org>" and author.section == "Lighthouse lamps"


def test_rst_object_descriptions_name_what_their_body_says():
    text = """\
Lamp methods
============

.. method:: Lamp.light(fuel)
   :noindex:

   Light the lamp with the given fuel.  The wick must be trimmed first.

   It returns the burning time.

.. envvar:: LAMP_HOME

   The folder where the lamp keeps its logs.

The keeper reads the logs every morning.
"""
    found = passages(text, ".rst")
    first = only(found, clean="Lamp.light(fuel): Light the lamp with the given fuel.")
    assert first.text.startswith(".. method:: Lamp.light(fuel)") and first.context == "Lamp methods — Lamp.light(fuel)"
    assert only(found, clean="It returns the burning time.").context == "Lamp methods — Lamp.light(fuel)"
    assert only(found, clean="The wick must be trimmed first.").context == "Lamp methods — Lamp.light(fuel)"
    assert (
        only(found, clean="LAMP_HOME: The folder where the lamp keeps its logs.").context == "Lamp methods — LAMP_HOME"
    )
    assert only(found, clean="The keeper reads the logs every morning.").context == "Lamp methods"  # after the body


def test_list_items_carry_the_sentence_that_leads_into_them():
    text = """\
Keeping the lamp
================

The keeper trims the wick each morning. For a clean flame we recommend the following:

- paraffin for the summer months;
- colza oil in winter.

The lamp room is locked at night.

- a list without a lead-in.
"""
    found = passages(text, ".txt")
    lead = "Keeping the lamp — For a clean flame we recommend the following:"
    assert only(found, clean="paraffin for the summer months;").context == lead
    assert only(found, clean="colza oil in winter.").context == lead
    assert only(found, clean="a list without a lead-in.").context == "Keeping the lamp"


def test_rst_table_directive_gives_a_caption_that_names_the_rows():
    text = """\
Les fruits
==========

.. table:: Saisons des fruits

   =========  ===========
   Fruit      Saison
   =========  ===========
   Cerise     juin
   Pomme      octobre
   =========  ===========

Suite du texte.
"""
    assert blocks(text, ".rst")[1:5] == [
        ("caption", "Saisons des fruits"),
        ("row", "Fruit | Saison"),
        ("row", "Cerise | juin"),
        ("row", "Pomme | octobre"),
    ]
    found = passages(text, ".rst")
    assert only(found, kind="caption").clean == "Saisons des fruits"
    assert only(found, clean="Pomme | octobre").context == "Les fruits — Saisons des fruits — Fruit | Saison"


def test_rst_indented_text_after_a_colon_without_double_colon_is_not_code():
    text = "Le texte suivant :\n\n    reste une citation en prose, sans code.\n\nFin du texte sur :func:`len`.\n"
    assert reader.CODE not in kinds(text, ".rst")


# -- Markdown ----------------------------------------------------------------------------


def test_markdown_headings_atx_and_setext():
    headings = [(b.clean, b.level) for b in reader.read(MARKDOWN, ".md").blocks if b.kind == reader.HEADING]
    assert headings == [
        ("Carnet de cuisine", 1),
        ("Les desserts", 1),
        ("Quelques desserts", 2),
        ("Les soupes", 2),
    ]


def test_markdown_paragraph_is_joined_and_cleaned():
    doc = reader.read(MARKDOWN, ".md")
    paragraph = next(b for b in doc.blocks if b.kind == reader.PARAGRAPH)
    assert paragraph.clean == "Ce carnet rassemble des recettes faciles et un peu de code pour calculer les quantités."
    assert MARKDOWN[paragraph.start : paragraph.end].endswith("[quantités](https://example.org/quantites).")
    sentence = only(passages(MARKDOWN, ".md"), start_line=3)
    assert (sentence.end_line, sentence.clean) == (4, paragraph.clean)


def test_markdown_items_lose_their_markers_and_checkboxes_in_passages():
    items = [clean for kind, clean in blocks(MARKDOWN, ".md") if kind == reader.ITEM]
    assert items == ["Tarte aux pommes", "Crème brûlée", "Préchauffer le four.", "Enfourner le plat."]
    found = passages(MARKDOWN, ".md")
    assert only(found, start_line=13).text == "- [ ] Crème brûlée"
    assert only(found, start_line=13).clean == "Crème brûlée"
    assert only(found, start_line=15).text == "1. Préchauffer le four."
    assert only(found, start_line=15).clean == "Préchauffer le four."
    assert not any(p.clean in ("1.", "2.") for p in found)


def test_markdown_fenced_and_indented_code():
    doc = reader.read(MARKDOWN, ".md")
    code = [MARKDOWN[b.start : b.end] for b in doc.blocks if b.kind == reader.CODE]
    assert code == ["parts = gateau // 8", "reste = gateau % 8"]  # fences excluded from the block
    found = passages(MARKDOWN, ".md")
    joined = only(found, clean="Pour compter les parts : parts = gateau // 8")
    assert joined.kind == "code"
    assert joined.text == "Pour compter les parts :\n\n```python\nparts = gateau // 8"
    assert (joined.start_line, joined.end_line) == (18, 21)
    assert not any(p.clean == "Pour compter les parts :" for p in found)


def test_markdown_table_rows():
    rows = [clean for kind, clean in blocks(MARKDOWN, ".md") if kind == reader.ROW]
    assert rows == ["Plat | Temps", "Tarte | 40 min", "Flan | 1 h"]


def test_markdown_list_of_links_to_the_headings_is_a_table_of_contents():
    text = """\
# Mon projet

Sommaire :

- [Démarrage rapide](#demarrage-rapide)
- [Configuration avancée](#configuration-avancee)
- [Questions fréquentes](#questions-frequentes)

## Démarrage rapide

Installez le paquet puis lancez la commande.

## Configuration avancée

Le fichier de réglages se trouve dans le dossier du projet.

## Questions fréquentes

Personne n'a encore posé de question.
"""
    assert kinds(text, ".md")[2:5] == ["toc"] * 3
    found = passages(text, ".md")
    assert not any(5 <= p.start_line <= 7 for p in found)
    assert [p.start_line for p in found if p.kind == "heading"] == [1, 9, 13, 17]
    assert only(found, start_line=15).section == "Configuration avancée"


# -- plain text -----------------------------------------------------------------------


def test_hard_wrapped_french_paragraph_is_one_paragraph():
    # The sample is really wrapped: every line but the last is full.
    body = WRAPPED.splitlines()[2:7]
    assert all(66 <= len(line) <= 76 for line in body[:-1]), [len(line) for line in body]
    doc = reader.read(WRAPPED, ".txt")
    paragraph = doc.blocks[1]
    assert paragraph.kind == reader.PARAGRAPH
    assert WRAPPED[paragraph.start : paragraph.end] == "\n".join(body).strip()
    assert "/etc/modules." in paragraph.clean  # the path the wrap cut after a slash is whole again
    found = passages(WRAPPED, ".txt")
    first, second = found[1], found[2]
    assert (first.kind, first.start_line, first.end_line) == ("sentence", 3, 6)
    assert first.text.endswith("dans le fichier /etc/\n    modules.")
    assert (second.start_line, second.end_line) == (6, 7)
    assert second.clean.startswith("Le changement prend effet") and second.clean.endswith("du service.")
    assert (first.context_start_line, first.context_end_line) == (3, 7)


def test_a_line_break_the_wrapping_did_not_force_starts_a_paragraph():
    text = """\
    Le service redémarre de lui-même après chaque mise à jour du noyau et
    n'a besoin d'aucune intervention.
    Les journaux se trouvent dans le dossier habituel du système et ils
    gardent une semaine d'historique, après quoi ils sont effacés.
"""
    found = blocks(text)
    assert [k for k, _ in found] == ["paragraph", "paragraph"]
    assert found[0][1].endswith("d'aucune intervention.")
    assert found[1][1].startswith("Les journaux")


def test_one_paragraph_per_line_keeps_each_line_and_finds_the_short_title_lines():
    assert blocks(ONE_PER_LINE) == [
        ("heading", "Le sommeil des chats"),
        ("paragraph", _LINE_1),
        ("paragraph", _LINE_2),
        ("heading", "Le jeu chez les chatons"),
        ("paragraph", _LINE_3),
    ]
    found = passages(ONE_PER_LINE)
    assert [(p.kind, p.start_line, p.end_line) for p in found] == [
        ("heading", 1, 1),
        ("sentence", 2, 2),
        ("sentence", 3, 3),
        ("heading", 4, 4),
        ("sentence", 5, 5),
    ]
    assert [p.section for p in found] == ["Le sommeil des chats"] * 3 + ["Le jeu chez les chatons"] * 2


def test_numbered_headings_and_their_levels():
    text = """\
Chapitre 1. Les réseaux domestiques

1.1. Le routeur

1.1.1. Brancher le câble

    Le câble va de la prise murale au port marqué « WAN » du routeur.

2. Les imprimantes

    Une imprimante partagée se déclare une seule fois sur le réseau.

Annexe A. Glossaire des termes

    Un routeur relie le réseau de la maison à celui du fournisseur.
"""
    headings = [(b.clean, b.level) for b in reader.read(text).blocks if b.kind == reader.HEADING]
    assert headings == [
        ("Chapitre 1. Les réseaux domestiques", 1),
        ("1.1. Le routeur", 2),
        ("1.1.1. Brancher le câble", 3),
        ("2. Les imprimantes", 1),
        ("Annexe A. Glossaire des termes", 1),
    ]
    found = passages(text)
    assert only(found, start_line=7).section == "1.1.1. Brancher le câble"
    assert only(found, start_line=11).section == "2. Les imprimantes"


def test_an_indented_numbered_list_stays_a_list():
    text = """\
    Pour changer le mot de passe, suivez ces étapes dans l'ordre donné,
    sans en sauter aucune, puis fermez la session et rouvrez-la.

     1. Ouvrir le panneau des réglages

     2. Choisir le compte de l'utilisateur

     3. Saisir deux fois le nouveau mot de passe
"""
    assert kinds(text) == ["paragraph", "item", "item", "item"]
    found = passages(text)
    assert [p.clean for p in found[-3:]] == [
        "Ouvrir le panneau des réglages",
        "Choisir le compte de l'utilisateur",
        "Saisir deux fois le nouveau mot de passe",
    ]


def test_bulleted_items_in_plain_text_join_their_wrapped_lines():
    text = """\
    Le paquet fournit trois programmes, chacun avec sa propre page de
    manuel et ses options :

      * trier(1) range les photos dans des dossiers datés selon la date
        de prise de vue ;
      * nommer(1) renomme les fichiers.
"""
    found = blocks(text)
    assert found[1:] == [
        ("item", "* trier(1) range les photos dans des dossiers datés selon la date de prise de vue ;"),
        ("item", "* nommer(1) renomme les fichiers."),
    ]


def test_a_command_joins_the_sentence_that_introduces_it():
    doc = reader.read(WRAPPED, ".txt")
    code = only(doc.blocks, kind=reader.CODE)
    assert WRAPPED[code.start : code.end] == "# shutdown -h now"
    found = passages(WRAPPED, ".txt")
    passage = next(p for p in found if "shutdown" in p.text)
    assert passage.kind == "code"
    assert passage.text == (
        "Pour arrêter la machine proprement, on peut utiliser cette commande\n"
        "    depuis la ligne de commandes :\n\n    # shutdown -h now"
    )
    assert passage.clean.endswith("depuis la ligne de commandes : # shutdown -h now")
    assert (passage.start_line, passage.end_line) == (11, 14)
    assert passage.section == "4.1. Arrêter la machine"
    assert not any(p.kind == "sentence" and "ligne de commandes" in p.text for p in found)
    # the sentence after the command is its own passage
    assert found[-1].clean == "La machine s'éteint alors après avoir fermé tous les programmes."


def test_prompt_lines_are_code():
    doc = reader.read(NUMBERED_TOC, ".txt")
    code = only(doc.blocks, kind=reader.CODE)
    assert NUMBERED_TOC[code.start : code.end] == "$ cuve --niveau\n    niveau : 80 %"
    passage = next(p for p in passages(NUMBERED_TOC) if "cuve --niveau" in p.text)
    assert passage.kind == "code" and passage.text.startswith("Arrosez le soir")


def test_a_terminal_listing_after_a_colon_is_code():
    doc = reader.read(LISTING, ".txt")
    assert [b.kind for b in doc.blocks] == ["heading", "paragraph", "code", "paragraph"]
    code = doc.blocks[2]
    assert LISTING[code.start : code.end] == "photos-0.3/\n    photos-0.3/setup.cfg\n    photos-0.3/LISEZMOI"
    found = passages(LISTING)
    listing = only(found, kind="code")
    assert listing.text.startswith("Voici ce que le terminal affiche alors :")
    assert listing.text.endswith("photos-0.3/LISEZMOI")
    assert found[1].clean.startswith("Décompressez l'archive")  # the sentence before stays alone


def test_plain_grid_table_with_caption_rows_and_merged_cells():
    found = blocks(PLAIN_TABLE)
    assert found[1:5] == [
        ("caption", "Tableau 2.1. Liste d'outils de jardinage utiles pour un petit potager"),
        ("row", "outil | poids | usage"),
        ("row", "bêche | 2 kg | retourner la terre avant les semis de printemps"),
        ("row", "sécateur | 300 g | tailler les haies et les arbustes fruitiers en hiver"),
    ]
    rows = [p for p in passages(PLAIN_TABLE) if p.kind == "row"]
    assert [(p.start_line, p.end_line) for p in rows] == [(7, 7), (9, 10), (12, 13)]
    caption = "Tableau 2.1. Liste d'outils de jardinage utiles pour un petit potager"
    assert rows[0].context == caption
    assert rows[2].context == caption + " — outil | poids | usage"


def test_plain_admonition_label_gives_no_passage():
    found = blocks(PLAIN_TABLE)
    assert found[-2:] == [
        ("label", "Note"),
        ("paragraph", "Un outil propre et sec dure bien plus longtemps qu'un outil rouillé."),
    ]
    assert not any(p.text == "Note" for p in passages(PLAIN_TABLE))


def test_dot_leader_table_of_contents_gives_no_passage_and_the_headings_do():
    doc = reader.read(DOT_LEADERS, ".txt")
    assert [b.kind for b in doc.blocks] == ["paragraph", "toc", "toc", "toc"] + ["heading", "paragraph"] * 3
    found = passages(DOT_LEADERS)
    assert not any("....." in p.text for p in found)
    assert [(p.clean, p.start_line) for p in found if p.kind == "heading"] == [
        ("1. Présentation du logiciel", 7),
        ("2. Installation sur un poste", 13),
        ("3. Utilisation au quotidien", 18),
    ]


def test_numbered_table_of_contents_before_the_headings_gives_no_passage():
    doc = reader.read(NUMBERED_TOC, ".txt")
    assert [b.kind for b in doc.blocks][:5] == ["heading", "toc", "toc", "toc", "heading"]
    found = passages(NUMBERED_TOC)
    assert [p.start_line for p in found if p.kind == "heading"] == [1, 7, 12, 17]
    assert not any(3 <= p.start_line <= 5 for p in found)
    assert only(found, start_line=9).section == "3.1. Choisir l'emplacement"


def test_consecutive_headings_listed_in_a_table_of_contents_stay_headings():
    text = """\
Sommaire

    Chapitre 2. Le verger
    2.1. Les arbres fruitiers
    2.1.1. La taille d'hiver

Chapitre 2. Le verger

2.1. Les arbres fruitiers

2.1.1. La taille d'hiver

    On taille les pommiers en février, hors période de gel, avec un
    sécateur bien affûté et désinfecté entre deux arbres.
"""
    doc = reader.read(text)
    assert [b.kind for b in doc.blocks] == ["label", "toc", "toc", "toc", "heading", "heading", "heading", "paragraph"]
    found = passages(text)
    assert [p.start_line for p in found if p.kind == "heading"] == [7, 9, 11]


# -- spans -------------------------------------------------------------------------------


def _endings(text: str, ending: str) -> str:
    return text.replace("\n", ending)


@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_block_span_is_the_exact_text(name, ending):
    text, suffix = SAMPLES[name]
    text = _endings(text, ending)
    doc = reader.read(text, suffix)
    assert doc.blocks
    previous_end = 0
    for block in doc.blocks:
        assert 0 <= block.start < block.end <= len(text)
        piece = text[block.start : block.end]
        assert piece == piece.strip() and piece  # trimmed to its visible text
        assert block.start >= previous_end  # in order, never overlapping
        previous_end = block.end
        assert block.clean == " ".join(block.clean.split()) and block.clean
        assert "\r" not in block.clean


@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_passage_maps_back_to_the_file(name, ending):
    text, suffix = SAMPLES[name]
    text = _endings(text, ending)
    found = split_passages(text, "doc" + suffix)
    assert found
    previous_end = 0
    for p in found:
        assert p.text == text[p.start_char : p.end_char]
        assert p.text == p.text.strip()
        assert p.start_char >= previous_end
        previous_end = p.end_char
        assert p.start_line == line_of(text, p.start_char)
        assert p.end_line == line_of(text, p.end_char - 1)
        assert p.end_line - p.start_line == len(_BREAK.findall(p.text))
        assert p.text in lines_of(text, p.start_line, p.end_line)
        assert p.context_start_line <= p.start_line <= p.end_line <= p.context_end_line
        assert p.clean == " ".join(p.clean.split()) and "\r" not in p.clean
        assert p.kind in ("sentence", "heading", "caption", "row", "code")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_line_endings_do_not_change_the_structure(name):
    text, suffix = SAMPLES[name]
    crlf = _endings(text, "\r\n")
    assert [(b.kind, b.clean, b.level) for b in reader.read(text, suffix).blocks] == [
        (b.kind, b.clean, b.level) for b in reader.read(crlf, suffix).blocks
    ]
    lf_passages = split_passages(text, "doc" + suffix)
    crlf_passages = split_passages(crlf, "doc" + suffix)
    assert [(p.kind, p.clean, p.section, p.context, p.start_line, p.end_line) for p in lf_passages] == [
        (p.kind, p.clean, p.section, p.context, p.start_line, p.end_line) for p in crlf_passages
    ]


def test_sections_follow_the_headings():
    doc = reader.read(ONE_PER_LINE)
    assert reader.sections(doc.blocks) == ["Le sommeil des chats"] * 3 + ["Le jeu chez les chatons"] * 2
    assert reader.sections(reader.read("Une phrase seule, sans titre.\n").blocks) == [""]


def test_a_long_code_block_is_cut_in_pieces_that_keep_its_introduction():
    lines = "\n".join(f"    plante_{n} = semer({n})" for n in range(20))
    text = f"Le script suivant sème vingt plantes::\n\n{lines}\n"
    found = passages(text, ".rst")
    assert [p.kind for p in found] == ["code", "code"]
    first, second = found
    assert first.text.startswith("Le script suivant sème vingt plantes::")
    assert (first.start_line, first.end_line) == (1, 14)
    assert (second.start_line, second.end_line) == (15, 22)
    assert second.context == "Le script suivant sème vingt plantes:"
    assert second.clean.startswith("plante_12 = semer(12)")
    assert (second.context_start_line, second.context_end_line) == (3, 22)


@pytest.mark.parametrize(
    ("asked", "meant"),
    [
        ("<b>When was DeepSeek launched?</b>", "When was DeepSeek launched?"),
        ('<div class="answer"></div>', ""),
        ("<script>alert(1)</script> <p>", ""),
        ("What does the <br> tag do?", "What does the <br> tag do?"),  # a tag named, not markup
        ("Is 3 < 4 and 5 > 2?", "Is 3 < 4 and 5 > 2?"),
        (":func:`len` returns what?", "len returns what?"),
        ("How do I use ``sys.argv``?", "How do I use sys.argv?"),
        ("What does __init__ do?", "What does __init__ do?"),  # underscores name a method
        ("# **When** was [DeepSeek](https://example.com) launched?", "When was DeepSeek launched?"),
        ("What is `a &amp; b`?", "What is a &amp; b?"),  # entities are decoded only in HTML
    ],
)
def test_question_prose_drops_markup_and_keeps_its_text(asked, meant):
    assert reader.question_prose(asked) == meant


def test_a_numbered_heading_wrapped_like_the_text_is_one_heading():
    filler = "Le texte de la section, assez long pour fixer la largeur du retour à"  # 70 columns
    text = (
        f"{filler}\nfichier entier, comme un outil le ferait.\n\n"
        "4.5.3. « Pourquoi la commande su de GNU ne gère-t-elle pas le groupe\nwheel »\n\n"
        "    C’est la célèbre phrase de Richard M. Stallman en bas de\n    l’ancienne page info su.\n"
    )
    blocks = reader.read(text, ".txt").blocks
    headings = [b for b in blocks if b.kind == "heading"]
    assert [h.clean for h in headings] == [
        "4.5.3. « Pourquoi la commande su de GNU ne gère-t-elle pas le groupe wheel »"
    ]
    assert text[headings[0].start : headings[0].end].endswith("wheel »")
    # A numbered list item wrapped over two lines is no heading.
    item = f"{filler}\nfichier entier, comme un outil le ferait.\n\n1. Installez le paquet puis relancez la commande avec\nles droits du superutilisateur.\n\nSuite.\n"
    assert not [b for b in reader.read(item, ".txt").blocks if b.kind == "heading"]
