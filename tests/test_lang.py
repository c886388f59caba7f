"""qa.lang: one language layer, English and French as data, one grammar per kind of thing.

Made-up sentences, plus real-looking technical prose (hard-wrapped, reStructuredText
markup, prompts) of the kind found in manuals; a language not known here (German)
turns the typed rules off.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from qa import lang
from qa.lang import en, fr
from qa.lang.dates import Date, find_dates, weekday_agrees
from qa.lang.grammar import (
    clause_starts,
    denies,
    elided,
    follow_up_connective,
    given_as_maker,
    is_maker_noun,
    replace_pronouns,
    starts_with_anaphora,
)
from qa.lang.names import (
    acronym_definitions,
    find_names,
    is_capitalised_name,
    is_name_like,
    is_title_case,
    looks_like_person,
)
from qa.lang.numbers import find_money, find_numbers, find_quantities, parse_number_words
from qa.lang.questions import agent_verb, asks_plural, classify, counts_generically, counts_other_people, spans_for
from qa.lang.sentences import sentence_spans, sentences
from qa.lang.technical import technical_spans

# -- the data and the Language built from it ----------------------------------------------------


def test_both_languages_define_the_same_data():
    public = {name for name in vars(en) if name.isupper()}
    assert public == {name for name in vars(fr) if name.isupper()}
    assert set(lang.LANGUAGES) == {"en", "fr"}
    assert lang.get("fr").stemmer == "french" and lang.get("de") is None and lang.get(None) is None


def test_no_word_of_an_evaluation_corpus_in_the_data():
    from qa.lang import technical

    forbidden = {"deepseek", "debian", "python", "apt", "dpkg", "koala", "chatgpt", "linux", "systemd", "deb", "pyw"}
    for module in (en, fr, technical):
        for name, value in vars(module).items():
            if not name.isupper():
                continue
            items = value if isinstance(value, (frozenset, tuple, dict)) else [value]
            text = " ".join(str(i) for i in items).lower()
            assert not any(f" {w} " in f" {text} " for w in forbidden), name


def test_language_data_is_folded_for_the_grammars():
    french = lang.get("fr")
    assert french.months["fevrier"] == 2 and "février" not in french.months
    assert french.data.MONTHS["février"] == 2  # the module keeps its accents
    assert french.scales["milliard"] == 10**9 and lang.get("en").scales["billion"] == 10**9
    assert french.scales["billion"] == 10**12  # French "billion" is English "trillion"


# -- words ----------------------------------------------------------------------------------------


def test_fold_words_and_stems():
    assert lang.fold("Lancée l’ÉTÉ") == "lancee l'ete"
    assert lang.fold_aligned("Lancée œuvre ﬁn") == "lancee œuvre ﬁn"  # same length, offsets kept
    assert lang.words("l'adoption de DeepSeek-R1.5 !") == ["l", "adoption", "de", "DeepSeek-R1.5"]
    assert lang.stem("lancée", "fr") == lang.stem("Lancé", "fr") == "lanc"
    assert lang.stem("users", "en") == lang.stem("user", "en")
    assert lang.stem("Häuser", "de") == "hauser"  # an unknown language is only folded
    assert lang.content_words("Les utilisateurs de l'application AI") == ["utilisateurs", "application", "AI"]
    # Quantifiers and indefinite pronouns say nothing of the subject: word by word they "translate" to
    # whatever rare word is nearest ("every" to "quiconque").
    assert lang.content_words("How many people use it every day?") == ["people", "use", "day"]
    assert lang.content_words("Plusieurs paquets ont quelques défauts") == ["paquets", "défauts"]
    assert (
        lang.is_function_word("the") and lang.is_function_word("the", "en") and not lang.is_function_word("the", "fr")
    )


@pytest.mark.parametrize(
    "text, code",
    [
        ("When was the application launched?", "en"),
        ("Quand l'application a-t-elle été lancée ?", "fr"),
        ("C'est un symbole.", "fr"),
        ("How many daily active users did it reach?", "en"),
        ("Wann wurde die Anwendung veröffentlicht und wie viele Nutzer hat sie?", None),
        ("Das ist ein Test.", None),
        ("¿Cuándo fue lanzada la aplicación?", None),
        ("Koala ?", None),
        ("", None),
    ],
)
def test_detect_language(text, code):
    assert lang.detect_language(text) == code


def test_qa_text_keeps_its_names_for_older_callers():
    from qa import text

    assert text.detect_language("Koala ?") == "en"  # never None there
    assert text.stem("lancée", "fr") == lang.stem("lancée", "fr")
    assert text.NUMBER_WORDS["cinq"] == 5 and "one" not in text.NUMBER_WORDS
    assert "nom" in text.ANSWER_CUE_WORDS and text.UNSAFE_CHARACTERS.search("\x1b[31m")


# -- sentences ------------------------------------------------------------------------------------


def split(text, language=None):
    return [text[s:e] for s, e in sentence_spans(text, language=language)]


def test_hard_wrapped_sentences_keep_exact_offsets():
    text = "  Le modèle a été lancé le 11 janvier\n    2025. Ses utilisateurs ont atteint\n    22,15 millions.  "
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "Le modèle a été lancé le 11 janvier\n    2025.",
        "Ses utilisateurs ont atteint\n    22,15 millions.",
    ]
    assert sentence_spans(text, 20, 60)[0][0] == 20  # a window of a larger text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Use a queue, e.g. The deque type. It is fast.", ["Use a queue, e.g. The deque type.", "It is fast."]),
        ("M. Dupont est là. Mme Durand aussi.", ["M. Dupont est là.", "Mme Durand aussi."]),
        ("Written by Richard M. Stallman. He agrees.", ["Written by Richard M. Stallman.", "He agrees."]),
        ("It is in Jan. 11 of this year. Yes.", ["It is in Jan. 11 of this year.", "Yes."]),
        ("Call sys.path.append here. Then 2.6.30 works.", ["Call sys.path.append here.", "Then 2.6.30 works."]),
        ("Voir /etc/ modules et /etc/fstab. Puis.", ["Voir /etc/ modules et /etc/fstab.", "Puis."]),
        ("Type ``quit(). Then`` to leave. Next.", ["Type ``quit(). Then`` to leave.", "Next."]),
        ("Run `a. B` now. Done.", ["Run `a. B` now.", "Done."]),
        (
            "Quand\u00a0? Demain\u202f! Pourquoi ? Parce que.",
            ["Quand\u00a0?", "Demain\u202f!", "Pourquoi ?", "Parce que."],
        ),
        ("Il a dit « Bonjour. » Puis il est parti.", ["Il a dit « Bonjour. »", "Puis il est parti."]),
        ("Wait... « Quoi ? » (Then) it ends.", ["Wait...", "« Quoi ? »", "(Then) it ends."]),
        ("It costs 5 € etc. and more. Fin.", ["It costs 5 € etc. and more.", "Fin."]),
        ("ends here. lower case goes on.", ["ends here. lower case goes on."]),
    ],
)
def test_sentence_boundaries(text, expected):
    assert split(text) == expected


def test_an_unknown_language_splits_on_punctuation_alone():
    assert split("Dr. Müller kam. Er ging.", language="de") == ["Dr.", "Müller kam.", "Er ging."]
    assert split("Dr. Müller kam. Er ging.", language="en") == ["Dr. Müller kam.", "Er ging."]
    assert sentences("Un. Deux.") == ["Un.", "Deux."]


# -- dates ----------------------------------------------------------------------------------------


def readings(text, language=None):
    return [(d.text, sorted(d.values, key=str)) for d in find_dates(text, language)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("lancée le 11 janvier 2025.", [("11 janvier 2025", [(2025, 1, 11)])]),
        ("le 1er février", [("1er février", [(None, 2, 1)])]),
        ("on January 11, 2025 and Jan. 12", [("January 11, 2025", [(2025, 1, 11)]), ("Jan. 12", [(None, 1, 12)])]),
        ("le 2025-01-11", [("2025-01-11", [(2025, 1, 11)])]),
        ("le 11/01/2025", [("11/01/2025", [(2025, 1, 11), (2025, 11, 1)])]),
        ("le 13/01/2025", [("13/01/2025", [(2025, 1, 13)])]),  # no 13th month
        ("en janvier 2025", [("janvier 2025", [(2025, 1, None)])]),
        ("the twentieth of January 2025", [("twentieth of January 2025", [(2025, 1, 20)])]),
        ("le vingtième jour de janvier", [("vingtième jour de janvier", [(None, 1, 20)])]),
        ("le vingt et un mars", [("vingt et un mars", [(None, 3, 21)])]),
        ("January twenty-first, 2025", [("January twenty-first, 2025", [(2025, 1, 21)])]),
        ("début février", [("début février", [(None, 2, None)])]),
        ("the end of January 2024", [("end of January 2024", [(2024, 1, None)])]),
        ("mi-février", [("mi-février", [(None, 2, None)])]),
        ("En 2023, Baidu a présenté Ernie.", [("2023", [(2023, None, None)])]),
        ("since 1998.", [("1998", [(1998, None, None)])]),
        ("in December", [("December", [(None, 12, None)])]),
        ("it has 2048 bytes", []),  # a year's digits, but a count
        ("you may go", []),  # "may" is a month only next to a number
        ("le 30 février", [("février", [(None, 2, None)])]),  # no such day: the month alone
    ],
)
def test_dates(text, expected):
    assert readings(text) == expected


def test_date_parts_and_periods():
    (start_of_month,) = find_dates("des cours depuis le début du mois")
    assert (start_of_month.text, start_of_month.part, start_of_month.period) == ("début du mois", "start", "month")
    (late,) = find_dates("late 2024")
    assert late.part == "end" and late.values == {(2024, None, None)}


def test_weekdays_agree_or_not():
    saturday, sunday, monday = (
        find_dates("Saturday, January 11, 2025")[0],
        find_dates("Sunday, January 11, 2025")[0],
        find_dates("le lundi 13 janvier 2025")[0],
    )
    assert saturday.text == "Saturday, January 11, 2025" and saturday.weekday == 5
    assert weekday_agrees(saturday) is True and weekday_agrees(sunday) is False and weekday_agrees(monday) is True
    assert weekday_agrees(find_dates("January 11, 2025")[0]) is None  # no weekday named
    (alone,) = find_dates("a meeting on Tuesday")
    assert alone.weekday == 1 and not alone.readings


def test_dates_of_an_unknown_language_are_numeric_only():
    assert readings("am 11. Januar 2025 oder 2025-01-11", language="de") == [("2025-01-11", [(2025, 1, 11)])]
    assert Date(2025, 1, 11) < Date(2025, 2, 1)


# -- numbers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "words, value, ordinal",
    [
        ("ninety-nine", 99, False),
        ("vingt-et-un", 21, False),
        ("vingt et un", 21, False),
        ("quatre-vingt-dix", 90, False),
        ("quatre-vingt-dix-neuf", 99, False),
        ("soixante-douze", 72, False),
        ("soixante et onze", 71, False),
        ("deux cents", 200, False),
        ("mille deux cents", 1200, False),
        ("three thousand four hundred and two", 3402, False),
        ("nineteen hundred", 1900, False),
        ("two dozen", 24, False),
        ("twentieth", 20, True),
        ("twenty-first", 21, True),
        ("vingt et unième", 21, True),
        ("quatre-vingtième", 80, True),
        ("dix-septième", 17, True),
        ("premier", 1, True),
    ],
)
def test_number_words(words, value, ordinal):
    assert parse_number_words(words) == [(0, len(words), value, ordinal)]


def test_number_words_that_are_not_one_number():
    assert [v for _, _, v, _ in parse_number_words("twenty twenty")] == [20, 20]
    assert parse_number_words("one") == [] and parse_number_words("un") == []  # a pronoun, an article
    assert parse_number_words("un", include_ambiguous=True) == [(0, 2, 1, False)]
    assert parse_number_words("cinq cents", "en") == []  # French words are not English numbers


def values(text, **kwargs):
    return [(m.text, sorted(m.values), m.kind) for m in find_numbers(text, **kwargs)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("22,15 millions d’utilisateurs", [("22,15 millions", [Decimal("22150000")], "number")]),
        ("41,6 % de l'audience", [("41,6 %", [Decimal("41.6")], "percent")]),
        ("41.6% of it", [("41.6%", [Decimal("41.6")], "percent")]),
        ("1,234 users", [("1,234", [Decimal("1.234"), Decimal("1234")], "number")]),  # English or French
        ("1 500 000 euros", [("1 500 000 euros", [Decimal("1500000")], "money")]),
        ("1\u202f500 habitants", [("1\u202f500", [Decimal("1500")], "number")]),
        ("1,5 milliard de dollars", [("1,5 milliard de dollars", [Decimal("1.5E9")], "money")]),
        ("$20 million", [("$20 million", [Decimal("2E7")], "money")]),
        ("3 billion", [("3 billion", [Decimal("3E9"), Decimal("3E12")], "number")]),  # en or fr "billion"
        ("14B models", [("14B", [Decimal("1.4E10")], "number")]),
        ("ninety-nine problems", [("ninety-nine", [Decimal(99)], "number")]),
        ("the 20th and the third", [("20th", [Decimal(20)], "ordinal"), ("third", [Decimal(3)], "ordinal")]),
        ("Linux 2.6.30", [("2.6.30", [], "version")]),
        ("Python 3.1 and DALL-E 3", [("3.1", [Decimal("3.1")], "version"), ("3", [Decimal(3)], "version")]),
        ("depuis la version 5.6", [("5.6", [Decimal("5.6")], "version")]),
        ("un million d'utilisateurs", [("un million", [Decimal("1E6")], "number")]),
        ("a thousand and one nights", [("a thousand and one", [Decimal(1001)], "number")]),
        ("a dozen eggs", [("a dozen", [Decimal(12)], "number")]),
        ("R1, GPT-4, x86, 4o, 10:30", []),
        ("one day", []),
    ],
)
def test_numbers(text, expected):
    assert values(text) == expected


def test_units_quantities_and_money():
    sentence = "Au 31 janvier, ouvert depuis 21 jours, il comptait 22,15 millions d’utilisateurs, soit 41,6 %."
    assert [s.text for s in find_quantities(sentence)] == ["21 jours", "22,15 millions d’utilisateurs", "41,6 %"]
    (count,) = [m for m in find_numbers("five source repositories")]
    assert count.unit == "source" and count.number_text == "five"
    assert [s.text for s in find_quantities("Linux 2.6.30 and Python 3.1, released in 2009")] == []
    assert [s.text for s in find_money("It cost $5.5 million, or 300 000 €, not 12 users.")] == [
        "$5.5 million",
        "300 000 €",
    ]
    assert find_numbers("20 USD")[0].currency == "USD" and find_numbers("5 livres sterling")[0].currency == "GBP"


def test_lengths_of_typesetting_and_references_are_read_as_such():
    # A unit of measure written against its number, and a length without its leading zero, are quantities.
    assert [s.text for s in find_quantities("The body is 10pt, the margin 2cm, the rule .08em thick.")] == [
        "10pt",
        "2cm",
        ".08em",
    ]
    (rule,) = find_numbers(".08em")
    assert rule.unit == "em" and rule.values == {Decimal("0.08")}
    # ... but a number glued to other letters is part of a name, and a scale stays a scale.
    assert [s.text for s in find_quantities("the 3D view of 64bit builds")] == []
    # A number after a noun saying where something is locates it: no answer to "how many".
    assert [s.text for s in find_quantities("Rules are heavier (see section 1.1) on page 12.")] == []
    assert [s.text for s in find_quantities("Voir la section 3.2 et le tableau 4.", "fr")] == []
    assert [s.text for s in find_quantities("It puts the cursor in line 10 at column 5.")] == []
    assert [s.text for s in find_quantities("Le port 111 est le mappeur de ports.", "fr")] == []  # a port's number
    assert [s.text for s in find_quantities("It opens about 20 ports.")] == ["20 ports"]
    assert [s.text for s in find_quantities("The manual has 12 pages and 3 tables.")] == ["12 pages", "3 tables"]


# -- names ----------------------------------------------------------------------------------------


def test_names():
    sentence = "Au 31 janvier, il a été lancé par Great Wall Motors et ByteDance, rivaux de DALL-E 3 et de l’IA."
    assert [n.text for n in find_names(sentence)] == ["Great Wall Motors", "ByteDance", "DALL-E 3", "IA"]
    names = find_names("Le modèle Janus-Pro. The CEO met Charles de Gaulle and Richard M. Stallman in January.")
    assert [n.text for n in names] == ["Janus-Pro", "CEO", "Charles de Gaulle", "Richard M. Stallman"]
    (opening, later) = find_names("Alibaba integrated it with Qwen.")
    assert (opening.text, opening.sentence_initial, later.sentence_initial) == ("Alibaba", True, False)


def test_name_likeness():
    assert is_name_like("DeepSeek") and is_name_like("R1") and is_name_like("MIT") and is_name_like("l’IA")
    assert is_name_like("Paris") and not is_name_like("Paris", sentence_initial=True)
    assert not is_name_like("January") and not is_name_like("The") and not is_name_like("I")
    assert is_capitalised_name("Alibaba") and is_capitalised_name("Koala")
    assert not any(is_capitalised_name(w) for w in ["Launched", "Users", "Lancée", "Actuellement", "However", "Le"])


def test_persons_and_titles():
    assert looks_like_person("Liang Zhanfan") and looks_like_person("Richard M. Stallman")
    assert looks_like_person("Charles de Gaulle")
    assert not looks_like_person("Great Wall Motors Ltd") and not looks_like_person("DeepSeek")
    assert is_title_case("A Revolution In Chinese Models") and not is_title_case("A revolution in Chinese models")


@pytest.mark.parametrize(
    ("text", "acronym", "expansion"),
    [
        ("the data format called JSON (JavaScript Object Notation) is", "JSON", "JavaScript Object Notation"),
        ("It is run by the Free Software Foundation (FSF) since", "FSF", "Free Software Foundation"),
        ("le secrétaire du Parti communiste chinois (PCC) a", "PCC", "Parti communiste chinois"),
        ("the Federal Bureau of Investigation (FBI) said", "FBI", "Federal Bureau of Investigation"),
    ],
)
def test_acronyms_a_text_defines(text, acronym, expansion):
    (definition,) = acronym_definitions(text)
    assert definition.acronym.text == acronym == text[definition.acronym.start : definition.acronym.end]
    assert definition.expansion.text == expansion == text[definition.expansion.start : definition.expansion.end]


@pytest.mark.parametrize("text", ["install pip (the package installer)", "call f(BAR) now", "the CPU (a chip) runs"])
def test_a_parenthesis_that_spells_nothing_defines_no_acronym(text):
    assert acronym_definitions(text) == ()


# -- technical tokens -----------------------------------------------------------------------------


def technical(text, kind=None):
    return [(s.text, s.kind) for s in technical_spans(text) if kind is None or s.kind == kind]


def test_a_command_after_a_prompt():
    text = "Dans le mode normal, vous pouvez arrêter le\n    système depuis la ligne de commandes :\n\n    # shutdown -h now\n"
    assert technical(text, "command") == [("shutdown -h now", "command")]
    assert technical("    $ sudo update-alternatives --config editor", "command") == [
        ("update-alternatives --config editor", "command")
    ]
    assert technical("# Installation\n\nText.", "command") == []  # a Markdown heading


def test_commands_in_prose_and_manual_pages():
    assert ("dpkg --configure -a", "command") in technical("lancez dpkg --configure -a pour finir")
    assert ("journalctl -b", "command") in technical("Use journalctl -b to see the log")
    assert ("depmod -a", "command") in technical("Lancez « depmod -a » pour corriger ce problème.")
    text = "Des comptes d’utilisateurs supplémentaires peuvent être créés avec la\n    commande adduser(8) par root."
    assert technical(text) == [("adduser", "command")]
    assert technical("See fstab(5).") == [("fstab", "filename")]
    assert technical("with the -a option or --configure") == [("-a", "option"), ("--configure", "option")]


def test_identifiers_in_markup():
    text = "There is another method, :meth:`str.zfill`, which pads a numeric string on the left with zeros."
    assert technical(text) == [("str.zfill", "identifier")]
    assert technical("use :class:`~collections.deque` or :envvar:`PYTHONPATH`") == [
        ("collections.deque", "identifier"),
        ("PYTHONPATH", "variable"),
    ]
    assert technical("then call ``quit()``.") == [("quit()", "identifier")]
    assert technical("following command: ``quit()``.") == [("quit()", "command")]  # the noun says what it is
    assert technical("See :ref:`tut-modules` and :pep:`8`.") == []  # cross-references are prose
    assert technical("cache in ``__pycache__`` and call `importlib.reload`") == [
        ("__pycache__", "identifier"),
        ("importlib.reload", "identifier"),
    ]


def test_paths_files_and_extensions():
    assert technical("dans le répertoire « /var/cache/apt/archives » jusqu’à", "path") == [
        ("/var/cache/apt/archives", "path")
    ]
    assert technical("Edit ~/.bashrc or C:\\Users\\me", "path") == [("~/.bashrc", "path"), ("C:\\Users\\me", "path")]
    wrapped = "comme décrit dans « /usr/share/doc/\n    unattended-upgrades/README »."
    assert technical(wrapped, "path") == [("/usr/share/doc/\n    unattended-upgrades/README", "path")]
    assert technical("put it in a ``requirements.txt`` file, a .txt or ``.pyw`` script") == [
        ("requirements.txt", "filename"),
        (".txt", "filename"),
        (".pyw", "filename"),  # an extension in markup, known or not
    ]
    assert technical("a .pyw script") == []  # outside markup, an unknown extension needs a word or a glob
    assert technical("the extension .pyw, or *.pyz") == [(".pyw", "filename"), (".pyz", "filename")]
    assert technical("Use the .then method") == []
    assert technical("a script.pyw file") == [("script.pyw", "identifier")]  # a dotted word: a known extension only
    assert technical("and/or 11/01/2025 https://example.org/x") == []


def test_dotted_names_variables_and_versions():
    assert technical("messages go to sys.stderr, e.g. here") == [("sys.stderr", "identifier")]
    assert technical("set $HOME and MAX_SIZE, see python.org") == [("$HOME", "variable"), ("MAX_SIZE", "variable")]
    assert technical("Since Linux 2.6.30, and Python 3.1") == [
        ("Linux 2.6.30", "version"),
        ("2.6.30", "version"),
        ("Python 3.1", "version"),
        ("3.1", "version"),
    ]


def test_literal_blocks_quoted_commands_camel_case_and_keys():
    text = "To leave the environment, type::\n\n    deactivate\n\ninto the terminal.\n"
    assert technical(text) == [("deactivate", "command")]
    prose = "    Voir ci-dessous :\n\n    la suite du texte\n"
    assert technical(prose) == []  # not indented under the colon's line: prose
    assert technical('|List of units |"systemd-analyze blame"|') == [("systemd-analyze blame", "command")]
    assert technical("it raises IndexError, press F10 or Ctrl-D") == [
        ("IndexError", "identifier"),
        ("F10", "key"),
        ("Ctrl-D", "key"),
    ]


def test_commands_of_markup_languages():
    assert technical("Use \\frenchspacing, or \\cmidrule* in a \\book block.") == [
        ("\\frenchspacing", "command"),
        ("\\cmidrule*", "command"),
        ("\\book", "command"),
    ]
    # A Windows path and a one-letter escape are not commands.
    assert technical("Edit C:\\Users\\me or print('a\\nb')", "command") == []


def test_manual_nouns_ask_for_identifiers():
    for question in (
        "Which Voice property lets me choose where fingerings go?",
        "Which booktabs macro draws the top rule?",
        "Quelle propriété règle la taille ?",
        "Quel bloc faut-il utiliser pour plusieurs PDF ?",
    ):
        assert classify(question).kind == "identifier", question


def test_lower_case_names_placed_by_a_technical_noun():
    assert technical("Le paquet unattended-upgrades est destiné") == [("unattended-upgrades", "package")]
    assert technical("la commande whois et le groupe dialout") == [("whois", "command"), ("dialout", "identifier")]
    assert technical("la commande interne, le paquet non libre, les paquets seront") == []  # French words
    assert technical("install the apt-listbugs package") == [("apt-listbugs", "package")]
    assert technical("la commande suivante, the following command, the package cache") == []


# -- questions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question, kind",
    [
        ("When was Koala launched?", "date"),
        ("Quand Koala a-t-il été lancé ?", "date"),
        ("Depuis quand est-il ouvert ?", "date"),
        ("In what year did Bramble introduce it?", "date"),
        ("How many daily users did Koala reach?", "quantity"),
        ("Combien d'employés compte Koala ?", "quantity"),
        ("What percentage of the audience does it have?", "quantity"),
        ("Quelles tailles ont les modèles ?", "quantity"),
        ("How much did it cost to train?", "money"),
        ("Quel est le chiffre d'affaires de Koala ?", "money"),
        ("Who wrote the chapter on floating-point arithmetic?", "person"),
        ("Qui a incité ses responsables à l'utiliser ?", "person"),
        ("Which company makes Koala?", "name"),
        ("Quelle entreprise a intégré Koala ?", "name"),
        ("What is the name of its model?", "name"),
        ("What did the president tell them?", "quote"),
        ("Qu'a dit le président ?", "quote"),
        ("Which command tells me which installed package a given file came from?", "command"),
        ("What do I type to turn the machine off right away?", "command"),
        ("Quelle commande sert à gérer la durée de validité d'un mot de passe ?", "command"),
        ("Where does the package manager keep the files it has downloaded?", "path"),
        ("Which device file hands out null characters when you read it?", "path"),
        ("Dans quel fichier définit-on les options de montage des disques ?", "path"),
        ("Où est stocké le fichier de configuration ?", "path"),
        ("Which exception do I get if I index a string past its last character?", "identifier"),
        ("Which string method pads a numeric string with zeros?", "identifier"),
        ("What is the common base class of all exceptions?", "identifier"),
        ("Quel démon faut-il faire tourner pour se servir de la souris ?", "identifier"),
        ("Quelle variable d'environnement indique un fichier à exécuter ?", "identifier"),
        ("Since which kernel version has this been the default?", "version"),
        ("Depuis quelle version est-ce le comportement par défaut ?", "version"),
        ("How do I see the logs from the last boot?", "how"),
        ("Comment ajouter un nouvel utilisateur sur la machine ?", "how"),
        ("I'm done working in it. How do I get out of it?", "how"),
        ("What is the capital of France?", "other"),
        ("Quelles sont les clés du succès ?", "other"),
        ("Which exception does an iterator raise when it has run out of items?", "identifier"),  # not "when"
        ("What encoding is assumed when nothing is declared?", "other"),
        # "when" asking in what case: answered by a condition, not a date
        ("When should I use a frozen set rather than a set?", "other"),
        ("When to call flush() on a stream?", "other"),
        ("When is it better to subclass than to wrap?", "other"),
        ("Quand faut-il activer le démon ?", "other"),
        ("Quand utiliser un tuple plutôt qu'une liste ?", "other"),
        ("When does the licence expire?", "date"),
        ("Quand ouvre la bibliothèque ?", "date"),
        ("Quand sortira la prochaine version ?", "date"),
        ("When can I expect the delivery?", "date"),  # other modals ask dates too
        ("Quand dois-je payer la taxe ?", "date"),
        ("Quand l'hiver commence-t-il ?", "date"),  # a noun in -er is no infinitive
        ("Quand le premier album est-il sorti ?", "date"),
        # a "when" clause that sets the scene before the question asks: the question after the comma decides
        ("When the server starts, how many workers does it spawn?", "quantity"),
        ("When the parser meets a tab, which exception does it raise?", "identifier"),
        ("Quand on installe le paquet, combien de fichiers sont créés ?", "quantity"),
        ("When was the archive moved, and by whom?", "date"),  # "when" asks: an auxiliary follows it
        ("Quand le pont a-t-il été fermé, et par qui ?", "date"),  # ... or the clause is inverted
        ("When, exactly, did the bridge open?", "date"),
        # what a measurement or a value is asks for a quantity ("10pt", "0.7", "12 %")
        ("What is the default value of the option?", "quantity"),
        ("Quelle est la valeur par défaut de ce paramètre ?", "quantity"),
        ("What is the default width of the heavy rules?", "quantity"),
        ("Which built-in function hands me both the position and the value in a loop?", "identifier"),
    ],
)
def test_question_kinds(question, kind):
    assert classify(question).kind == kind


def test_question_focus_plural_and_cues():
    assert classify("How many daily active users did it reach?").focus == "users"
    assert classify("Combien d'employés compte-t-elle ?").focus == "employes"
    assert classify("Who is the founder of the harbour?").focus == "founder"
    assert classify("Quel est le nom du fondateur ?").focus == "fondateur"
    assert classify("Which company makes it?").focus == "company"
    assert classify("When did it open?").focus is None
    # An English "how many" phrase ends at its plural head, irregular plurals included.
    assert classify("How many people use Koala every day?").counted == ("people",)
    assert classify("How many people use Koala every day?").focus == "people"
    assert classify("How many daily active users did it reach?").counted == ("daily", "active", "users")
    assert classify("How many data points are kept?").focus == "points"
    assert classify("How many packages contain files?").counted == ("packages",)
    # "the number of files" counts files, as "how many files" does; "the width" counts nothing.
    assert classify("What is the maximum number of files it keeps open?").counted == ("files",)
    assert classify("What is the default width of the rules?").counted == ()
    # A number that names or picks one is not a count: "the phone number of", "the number of the bus".
    assert classify("What is the phone number of the help desk?").counted == ()
    assert classify("What is the number of the bus to the airport?").counted == ()
    assert asks_plural("Which models were used?") and asks_plural("Quelles tailles ont-ils ?")
    assert asks_plural("Which two languages did it borrow from?")
    assert not asks_plural("Quelle variable d'environnement indique un fichier ?")
    assert not asks_plural("Which class is the base?") and not asks_plural("Which company makes it?")
    form = classify("In what year was the name chosen?")
    assert form.cue_words == {"year", "name"} and form.language == "en" and form.typed


def test_a_question_about_a_share_is_told_from_a_count():
    assert classify("What percentage of the audience does it have?").share
    assert classify("Quelle part de l'audience représente-t-il ?").share
    assert classify("Is it above 40 %?").share
    assert not classify("How many people use Koala every day?").share
    assert not classify("Combien de personnes l'utilisent ?").share
    # A share word past the interrogative phrase says what the question is about, not what it asks.
    assert not classify("How many users share a licence?").share
    assert not classify("Quand le dernier train part-il ?").share
    assert not classify("How many shares does the founder hold?").share
    # A share as the noun asked for, after a word that says of what.
    assert classify("What is the market share of Acme?").share
    assert classify("What is Acme's market share?").share
    assert classify("Quelle est la part de marché d'Acme ?").share


def test_people_and_kinds_are_counted_without_saying_what():
    assert counts_generically(classify("How many people use the ferry every day?"))
    assert counts_generically(classify("Combien de sortes d'espaces de noms le noyau propose-t-il ?"))
    assert not counts_generically(classify("How many employees does Acme have?"))
    assert not counts_generically(classify("Combien de serveurs utilise Acme ?"))


@pytest.mark.parametrize(
    ("question", "unit", "other"),
    [
        ("Combien de salariés compte Acme ?", "millions d'utilisateurs", True),
        ("How many employees does Acme have?", "visiteurs", True),  # across languages too
        ("How many subscribers does Acme have?", "millions d'audiences", True),
        ("How many users does Acme have?", "millions d'utilisateurs", False),
        ("How many users does Acme have?", "millions d'audiences", False),  # an app's audience is its users
        ("Combien d'employés compte Acme ?", "salariés", False),
        ("How many developers does Acme have?", "modèles", True),  # things, not people
        ("How many employees does Acme have?", "personnes", False),  # people without saying what may be them
        ("How many people use Acme?", "utilisateurs", False),  # counted without saying what
        ("How many models did Acme publish?", "utilisateurs", False),  # not people: left to the translations
    ],
)
def test_people_of_one_role_are_not_counted_by_people_of_another(question, unit, other):
    assert counts_other_people(classify(question), unit.replace("'", " ").split()) is other


@pytest.mark.parametrize(
    ("question", "verb"),
    [
        ("Who created Orca-Pro?", "created"),
        ("Who leads the harbour?", "leads"),
        ("Who was Orca-Pro designed by?", "designed"),
        ("Qui a fondé la foire ?", "fondé"),
        ("Qui dirige le port ?", "dirige"),
        ("Whom does the mill welcome?", None),  # asks for no doer
        ("Qui a incité ses responsables à utiliser deux applications ?", None),
    ],
)
def test_a_verb_of_making_or_leading_asks_for_a_doer(question, verb):
    form = classify(question)
    assert agent_verb(question.rstrip(" ?").split(), form.language) == verb


@pytest.mark.parametrize(
    ("question", "cues", "counted"),
    [
        ("What day was the harbour opened?", {"day"}, ()),
        ("Quel est le nom du fondateur ?", {"nom"}, ()),
        ("What is the number of daily users?", {"number"}, ("daily", "users")),  # counts as "how many" does
        # Past the interrogative phrase, a cue word says what the question is about.
        ("How many people take the ferry every day?", set(), ("people",)),
        # Its adjectives agree with the head that opens the phrase; the verb and subject after it do not.
        ("Combien de personnes prennent le ferry chaque jour ?", set(), ("personnes",)),
        ("Combien de bateaux compte le port ?", set(), ("bateaux",)),
        ("Combien de serveurs utilise Acme ?", set(), ("serveurs",)),
        ("Combien d'utilisateurs actifs quotidiens compte Acme ?", set(), ("utilisateurs", "actifs", "quotidiens")),
        ("How many source code repositories were published?", set(), ("source", "code", "repositories")),
    ],
)
def test_cue_words_belong_to_the_interrogative_phrase(question, cues, counted):
    form = classify(question)
    assert form.cue_words == cues and form.counted == counted


def test_a_question_in_an_unknown_language_gets_no_typed_rule():
    form = classify("Wann wurde die Anwendung gestartet und wie viele Nutzer hat sie?")
    assert (form.kind, form.language, form.typed) == ("other", None, False)
    assert spans_for("date", "am 11. Januar 2025", language="de") == []


def test_spans_for_each_kind():
    sentence = (
        "Au 31 janvier, il était ouvert depuis 21 jours, lancé le 11 janvier 2025 par Great Wall Motors et ByteDance."
    )
    assert [s.text for s in spans_for("date", sentence)] == ["31 janvier", "11 janvier 2025"]
    assert [s.text for s in spans_for("quantity", sentence)] == ["21 jours"]
    names = [s.text for s in spans_for("name", sentence)]
    assert "Great Wall Motors" in names and "Great Wall Motors et ByteDance" in names
    for span in spans_for("name", sentence):
        assert sentence[span.start : span.end] == span.text
    assert [s.text for s in spans_for("quantity", "tailles de 14B, 32B et 70B")][-1] == "14B, 32B et 70B"
    assert [s.text for s in spans_for("quote", "Il a dit : « montrer leur talent ».")] == ["montrer leur talent"]
    assert [s.text for s in spans_for("command", "    $ journalctl -b\n")] == ["journalctl -b"]
    assert [s.text for s in spans_for("path", "in /etc/hostname and hosts.txt")] == ["/etc/hostname", "hosts.txt"]
    assert [s.text for s in spans_for("version", "since Linux 2.6.30")] == ["Linux 2.6.30", "2.6.30"]
    assert spans_for("other", sentence) == []


# -- grammar --------------------------------------------------------------------------------------


def test_clauses_anaphora_elisions_negations():
    text = "X a publié A, et Y a publié B; Z aussi, but W did not"
    assert [text[i : i + 2] for i in clause_starts(text)] == ["Y ", " Z", "W "]
    assert starts_with_anaphora("C’est le chatbot le plus utilisé.") and starts_with_anaphora("Ça marche.")
    assert starts_with_anaphora("In 2024, it was launched.") and not starts_with_anaphora("Koala was launched.")
    assert elided("l’application") == "application" and elided("qu'il") == "il" and elided("Paris") == "Paris"
    assert denies("Koala wasn't launched") and denies("n’a jamais été lancée") and not denies("n’était que là")


@pytest.mark.parametrize(
    ("text", "name", "maker"),
    [
        ("Petrel, l’assistant de Gannet, guide les pilotes.", "Gannet", True),
        ("le modèle d’Orca, publié hier", "Orca", True),
        ("Petrel, développé par Gannet.", "Gannet", True),
        ("Petrel by Gannet guides the pilots.", "Gannet", True),
        ("Gannet's Petrel guides the pilots.", "Gannet", True),
        ("Gannet’s Petrel guides the pilots.", "Gannet’s", True),
        ("Avec Orca, une IA rivalisant avec Heron, le laboratoire innove.", "Heron", False),
        ("Avec Orca, une IA rivalisant avec Heron, le laboratoire innove.", "Orca", False),
        ("Gannets guide the pilots.", "Gannet", False),
    ],
)
def test_a_name_given_as_a_maker(text, name, maker):
    at = text.index(name)
    assert given_as_maker(text, at, at + len(name)) is maker


def test_maker_nouns_in_both_languages():
    assert is_maker_noun("company") and is_maker_noun("Entreprise") and is_maker_noun("société")
    assert not is_maker_noun("licence") and not is_maker_noun("city") and not is_maker_noun("ville")


def test_follow_up_grammar():
    assert follow_up_connective("And what about Qwen?").group(0) == "And what about "
    assert follow_up_connective("Et qu’en est-il de Qwen ?") is not None and follow_up_connective("Koala?") is None
    assert replace_pronouns("Combien d’utilisateurs a-t-il ?", "Koala") == "Combien d’utilisateurs Koala a-t-il ?"
    assert replace_pronouns("what is its licence?", "Koala") == "what is Koala's licence?"
    assert replace_pronouns("ses utilisateurs quotidiens ?", "Koala") == "les utilisateurs quotidiens de Koala ?"
    assert replace_pronouns("Combien y a-t-il d’utilisateurs ? Il faut voir.", "Koala") == (
        "Combien y a-t-il d’utilisateurs ? Il faut voir."
    )


def test_a_hyperlink_reference_opens_no_literal():
    """The closing backtick of "`JSON …\n<https://json.org>`_" is not the start of a literal
    running to the next role ("_.  The standard module called :mod")."""
    text = (
        "the popular data interchange format called `JSON (JavaScript Object Notation)\n"
        "<https://json.org>`_.  The standard module called :mod:`json` can take Python data. See `the guide`_."
    )
    spans = [s.text for s in technical_spans(text, "en")]
    assert "json" in spans
    assert not any("standard module" in s or "guide" in s for s in spans), spans


def test_same_family_tells_forms_of_a_word_from_other_words():
    assert lang.same_family("noyau", "noyaux") and lang.same_family("actifs", "actives")
    assert lang.same_family("SMTP", "smtplib")
    assert not lang.same_family("purple", "violet") and not lang.same_family("north", "south")


def test_a_question_naming_a_measure_asks_for_its_units():
    from qa.lang.numbers import measure_asked, measures

    assert classify("Combien de temps un paquet reste-t-il dans unstable ?").focus == "temps"
    assert measure_asked("temps") == measure_asked("time") == measure_asked("duree") == "duration"
    assert measure_asked("utilisateurs") is None and measure_asked(None) is None
    assert measures("10 jours") == measures("3 hours") == measures("2 ans") == {"duration"}
    assert measures("700") == set() and measures("22,15 millions d'utilisateurs") == set()


def test_modal_verbs_frame_a_question_without_being_its_topic():
    from qa.retrieval import _frames_the_question

    cues = classify("What is the name and the date of the release?").cue_words
    for word in ("doit-il", "doit", "peut-on", "faut-il", "vaut-il", "devrait", "name", "date"):
        assert _frames_the_question(word, cues), word
    for word in ("paquet", "mûrir", "Debian", "package", "launched", "pouvoirs"):
        assert not _frames_the_question(word, cues), word
    assert not _frames_the_question("date", frozenset())  # a cue word outside the interrogative phrase


def test_a_sentence_refers_back_by_a_pronoun_or_a_possessive_not_an_impersonal_verb():
    from qa.lang.grammar import refers_back

    assert refers_back("Ses utilisateurs quotidiens ont atteint 22,15 millions.")
    assert refers_back("Its users reached 2 million in May.")
    assert refers_back("Il a choisi de divulguer le code source.")
    assert not refers_back("Il y a actuellement 68980 paquets disponibles.")
    assert not refers_back("Il faut redémarrer le service.")
    assert not refers_back("Sesame opens the door.")
    assert not refers_back("Depuis février, des cours d'IA sont dispensés.")


def test_versioned_names():
    from qa.lang.names import versioned_names

    found = {(v.series, v.version) for v in versioned_names("DeepSeek-R1-Zero, Python 3.12, Debian 12, GPT-4 et R1")}
    assert found == {("DeepSeek", "R1"), ("Python", "3.12"), ("Debian", "12"), ("GPT", "4"), ("", "R1")}
    assert versioned_names("Janus-Pro and DALL-E") == []
    (r2,) = versioned_names("How many parameters does DeepSeek-R2 have?")
    (r1,) = versioned_names("son modèle de raisonnement R1")
    assert r1.same_series(r2) and not r1.same_version(r2)  # "R1" alone is of the R series
    (py3,) = versioned_names("Python 3 is here")
    (py312,) = versioned_names("What is new in Python 3.12?")
    (py311,) = versioned_names("Python 3.11 was released")
    assert py3.same_version(py312) and not py311.same_version(py312)
    (debian,) = versioned_names("Debian 12")
    assert not debian.same_series(py312)


def test_what_a_text_says_a_thing_is_called_answers_a_name_question():
    """ "What is X called?" asks for a term, which is often no proper name: the words after a naming
    verb are what is asked, past articles and pronouns."""
    assert [s.text for s in spans_for("name", "A syllable sung over several notes is called a melisma.", "en")] == [
        "melisma"
    ]
    said = "On appelle ceci un mélisme : une syllabe chantée sur plus d’une note."
    assert [s.text for s in spans_for("name", said, "fr")] == ["mélisme"]
    assert "bandeaux" in [s.text for s in spans_for("name", "Ces objets sont appelés des bandeaux.", "fr")]
    # A person is still a proper name: a term is no answer to "who".
    assert [s.text for s in spans_for("person", "A syllable sung over several notes is called a melisma.", "en")] == []


def test_menu_paths_and_key_chords_of_manuals_are_answers():
    """A path through an application's menus and a chord of keys are what "which menu", "where in the
    menus" and "which shortcut" ask for, in English and French."""

    def found(text):
        return [(s.text, s.kind) for s in spans_for("identifier", text)]

    assert found("Open it through Image → Scale Image.") == [("Image → Scale Image", "menu")]
    assert found("Use Filters > Blur > Gaussian Blur to soften it.") == [("Filters > Blur > Gaussian Blur", "menu")]
    assert found("Select Image → Mode → RGB first.") == [("Image → Mode → RGB", "menu")]  # "Select" opens the sentence
    assert found("Choisissez Édition ▸ Préférences puis validez avec Ctrl+Entrée.") == [
        ("Édition ▸ Préférences", "menu"),
        ("Ctrl+Entrée", "key"),
    ]
    assert found("Press Shift+Ctrl+E to export, F10 for the menu.") == [("Shift+Ctrl+E", "key"), ("F10", "key")]
    assert found("If x > 3 then A > B holds.") == []  # a comparison is no menu
    # The arrows of plain-text manuals.
    assert found("Adjust it with the Edit --> Preferences dialog.") == [("Edit --> Preferences", "menu")]
    assert found("Choose File => Save As.") == [("File => Save As", "menu")]
    assert found("if a --> b then") == []
    assert classify("Where in the menus do I find the blur filter?").kind == "path"
    assert classify("Dans quel menu se trouve la commande ?").kind == "path"


def test_a_question_for_a_shortcut_is_answered_by_keys():
    """ "Which shortcut", "quelle touche": a chord of keys or a key written as keys are labelled, not any
    identifier of the passage; a named key written as a plain word is prose."""
    assert classify("Which keyboard shortcut opens the preferences dialog?").kind == "key"
    assert classify("Quelle touche valide la saisie ?").kind == "key"
    assert classify("Which key in the [settings] section sets the tab width?").kind == "identifier"

    def keys(text):
        return [s.text for s in spans_for("key", text, "en")]

    assert keys("Preferences | Ctrl-Alt-P | Opens preferences dialog") == ["Ctrl-Alt-P"]
    assert keys("The key to start autocompletion can be changed, by default it is TAB.") == ["TAB"]
    assert keys("Press <Enter> to confirm.") == ["Enter"]
    assert keys("Enter the name of the GEANY_MAX_AUTOCOMPLETE_WORDS variable at the End.") == []
    # Capitals beside capitals are a heading or a keyword, and before "=" a variable.
    assert keys("RETURN VALUE: see HTTP DELETE and LEFT JOIN, HOME=/root, HAUT DE PAGE.") == []
    assert keys("Press TAB or ESC to leave.") == ["TAB", "ESC"]
    # A shorthand of a markup language is a command: "quel raccourci" in a typesetting manual.
    assert keys("Le raccourci \\omit fait disparaître l'objet.") == ["\\omit"]


def test_an_extension_standing_alone_is_a_file_name_whatever_it_is():
    """ "the extension .ily", "*.kicad_pro": a token that opens with a dot names an extension no list knows when
    a word for extensions or a glob says so; a dotted word is a file name only with a known extension."""

    def names(text):
        return [s.text for s in spans_for("path", text, "en")]

    assert names("Give the file the extension .ily instead.") == [".ily"]
    assert names("*.kicad_pro | Project file") == [".kicad_pro"]
    assert names("*.pretty | Footprint library folders.") == [".pretty"]
    assert names("Set it to .08em wide.") == []
    assert names("See connect.pretty for it.") == []
    assert names("Nous ouvrons ‘ly/property-init.ly’ comme les fichiers ‘.ly’.") == ["ly/property-init.ly"]
    assert names("It runs 24/7.The next line") == []


def test_a_question_for_a_sign_to_type_is_answered_by_a_sign_set_apart():
    """ "Quel caractère ajoute-t-on…", "which symbol…": a sign between quotes or brackets, not any
    identifier of a code block beside it."""
    assert classify("Quel caractère ajoute-t-on après une note pour la lier ?").kind == "symbol"
    assert classify("What symbol do I type to tie two notes?").kind == "symbol"
    assert [s.text for s in spans_for("symbol", "on ajoute un tilde ‘~’ à la première note liée.")] == ["~"]
    assert [s.text for s in spans_for("symbol", "Les commentaires s’introduisent par un point-virgule (;).")] == [";"]
    assert [s.text for s in spans_for("symbol", "LilyPond adds \\relative { c' e' g' } and f(x) here.")] == []
