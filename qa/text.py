"""Language-aware word handling shared by indexing and questions.

Words are folded (lower case, accents removed, typographic apostrophes made
plain) and stemmed with the Snowball stemmer of the text's language, so
"lancée" and "Lancé", or "users" and "user", meet on the lexical side. Only
function words are listed here: they are grammar, not content of any document.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Characters a terminal would act on rather than show: C0 and C1 controls
# except tab (ESC starts colour, cursor and title sequences), DEL, the
# bidirectional marks and overrides that reorder what is shown ("Trojan
# Source"), and lone surrogates (bytes of a file name or command line that are
# not UTF-8, which cannot even be printed). Each caller decides what to put in
# their place: the CLI escapes them, the chat swaps them for visible symbols,
# questions drop them.
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# A word: letters and digits, joined by inner hyphens and dots ("open-source",
# "R1.5"). Apostrophes split ("l'adoption" gives "l", "adoption").
WORD = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*")
# The same, with inner apostrophes kept ("l'adoption", "isn't", "O'Neill"), for
# callers that look at elisions, possessives or negations themselves.
WORD_WITH_APOSTROPHES = re.compile(r"[^\W_]+(?:[-.'’][^\W_]+)*")

ENGLISH_FUNCTION_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each either few for from further had
    has have having he her here hers herself him himself his how however i if in into is it its itself
    just least less let like many may me might more most much must my myself neither no nor not now of off
    on once only or other our ours ourselves out over own per same shall she should since so some such than
    that the their theirs them themselves then there these they this those through thus to too under until
    up upon us very was we were what when where whether which while who whom whose why will with within
    without would yet you your yours yourself yourselves according as also already still ever""".split()
)
FRENCH_FUNCTION_WORDS = frozenset(
    """a à afin ai aie aient ainsi alors as au aucun aucune aupres auquel aussi autre autres aux auxquels avaient
    avais avait avant avec avez aviez avions avoir avons ayant c ça car ce ceci cela celle celles celui cependant
    ces cet cette ceux chaque chez ci comme comment d dans de dont des desquels deux donc du duquel elle elles
    en encore entre es est et étaient étais était etc été êtes étiez étions être eu eue eurent eus eut eux fait
    fut furent fus ici il ils j je jusqu l la là laquelle le lequel les lesquels leur leurs lors lorsque lui m
    ma mais me même mêmes mes moi moins mon n ne ni nos notre nous on ont or ou où par parce pas pendant peu
    peut plus plutôt pour pourquoi qu quand que quel quelle quelles quels qui quoi s sa sans se selon ses si
    sien soi soit sommes son sont sous suis sur t ta te tes toi ton tous tout toute toutes très tu un une
    vers via voici voilà vos votre vous y a-t-il est-ce combien depuis déjà""".split()
)
FUNCTION_WORDS = ENGLISH_FUNCTION_WORDS | FRENCH_FUNCTION_WORDS
# Words that say what kind of answer is wanted ("what is the name of", "in what
# year"), not what it is about: the question's type carries them instead.
ANSWER_CUE_WORDS = frozenset(
    """name names called date year years day number percentage amount nom noms appelle appele appelee date annee
    annees jour pourcentage montant""".split()
)
# Calendar and number words of English and French, for reading dates and
# quantities. French months keep their accents; fold() them where text is folded.
ENGLISH_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip
FRENCH_MONTHS = {
    "janvier": 1, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "août": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
}  # fmt: skip
MONTH_ABBREVIATIONS = {  # folded, English and French
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12, "janv": 1, "fevr": 2, "fev": 2, "avr": 4, "juil": 7,
}  # fmt: skip
ENGLISH_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FRENCH_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
# Number words, folded, and their values. "one", "un" and "une" are left out:
# far more often a pronoun or an article than a count.
NUMBER_WORDS = {
    # English
    "zero": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12,
    # French ("zero" and "six" are spelt as in English)
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
    "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "dix-sept": 17,
    "dix-huit": 18, "dix-neuf": 19, "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
    "soixante-dix": 70, "quatre-vingt": 80, "quatre-vingts": 80, "quatre-vingt-dix": 90, "cent": 100,
    "mille": 1000, "douzaine": 12,
}  # fmt: skip


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Lower case without accents; typographic apostrophes and dashes made plain."""
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Surface words in reading order (see WORD).

    Elisions are not removed here: "l'adoption" gives "l" and "adoption", and the
    single-letter elided articles drop out later as function words.
    """
    return WORD.findall(text)


def detect_language(text: str) -> str:
    """'fr' or 'en', from the share of each language's function words."""
    tokens = [fold(w) for w in words(text)]
    french = sum(1 for t in tokens if t in _folded(FRENCH_FUNCTION_WORDS) and t not in _folded(ENGLISH_FUNCTION_WORDS))
    english = sum(1 for t in tokens if t in _folded(ENGLISH_FUNCTION_WORDS) and t not in _folded(FRENCH_FUNCTION_WORDS))
    if any(c in text for c in "éèêàùçôîœ"):
        french += 1
    return "fr" if french > english else "en"


@lru_cache(maxsize=4)
def _folded(words_set: frozenset) -> frozenset:
    return frozenset(fold(w) for w in words_set)


@lru_cache(maxsize=2)
def _stemmer(language: str):
    import snowballstemmer  # here, not at the top: the CLI imports this module for UNSAFE_CHARACTERS alone

    return snowballstemmer.stemmer("french" if language == "fr" else "english")


def is_function_word(folded_word: str) -> bool:
    return folded_word in _folded(FUNCTION_WORDS)


def is_content_word(word: str) -> bool:
    """Worth indexing and matching: not grammar. Acronyms in capitals ("AI", "X")
    count even when their lower-case form is a function word ("ai")."""
    folded = fold(word)
    if word.isupper() and any(c.isalpha() for c in word):
        return len(word) >= 2 or not is_function_word(folded)
    return len(folded) >= 2 and not is_function_word(folded) or folded.isdigit()


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """The folded stem of a word. Stemming runs before folding because the
    French stemmer reads accents ("lancée" and "lancé" both give "lanc")."""
    lowered = word.lower().replace("’", "'")
    if any(ch.isdigit() for ch in lowered):
        return fold(lowered)
    return fold(_stemmer(language).stemWord(lowered))


def content_words(text: str) -> list[str]:
    """Content words as written (not folded), in order, without duplicates."""
    seen: set[str] = set()
    out = []
    for word in words(text):
        folded = fold(word)
        if not is_content_word(word) or folded in seen:
            continue
        seen.add(folded)
        out.append(word)
    return out
