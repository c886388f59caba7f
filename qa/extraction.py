"""What a question asks for, and where that kind of thing stands in a sentence.

Question types come from the interrogative words of English and French
(when/quand → a date, how many/combien → a quantity, who/qui → a person,
which company/quelle entreprise → a name). Spans are found with patterns for
dates, quantities and proper names in either language. Nothing here names a
word of any particular document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qa.text import ANSWER_CUE_WORDS, ENGLISH_MONTHS, FRENCH_MONTHS, NUMBER_WORDS, fold, is_function_word

DATE, QUANTITY, MONEY, PERSON, NAME, QUOTE, OTHER = "date", "quantity", "money", "person", "name", "quote", "other"
TYPED = (DATE, QUANTITY, MONEY, PERSON, NAME, QUOTE)

# Month names as written and folded ("août", "aout"), longest first.
_MONTHS = "|".join(
    sorted({form for m in ENGLISH_MONTHS | FRENCH_MONTHS for form in (m, fold(m))}, key=len, reverse=True)
)
_DATE_PATTERNS = [
    rf"\b\d{{1,2}}(?:er)?\s+(?:{_MONTHS})(?:\s+\d{{4}})?\b",
    rf"\b(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b",
    rf"\b(?:{_MONTHS})\s+\d{{4}}\b",
    r"\b\d{4}-\d{2}-\d{2}\b",
    r"\b(?:1[89]|20)\d{2}\b",
    r"\b(?:d[ée]but|fin|milieu)\s+(?:du\s+mois|de\s+l['’]ann[ée]e|(?:de\s+|d['’])(?:" + _MONTHS + r"))\b",
    r"\b(?:beginning|end|middle)\s+of\s+(?:the\s+)?(?:month|year|" + _MONTHS + r")\b",
    rf"\b(?:{_MONTHS})\b",
]
_DATE = re.compile("|".join(f"(?:{p})" for p in _DATE_PATTERNS), re.IGNORECASE)

# Number words that start a quantity: the counts from two to twelve and the round
# 20, 30, 100 and 1000; the rarer words of NUMBER_WORDS ("quinze", "forty", "douzaine") are not read here.
_NUMBER_WORDS = "|".join(
    w for w, n in NUMBER_WORDS.items() if (2 <= n <= 12 or n in (20, 30, 100, 1000)) and w != "douzaine"
)
_SCALE = r"(?:millions?|milliards?|billions?|thousands?|milliers?|mille|k|M|Md|B)\b"
_UNIT = r"(?:%|pour\s*cent|percent|€|\$|euros?|dollars?|yuans?)"
_QUANTITY = re.compile(
    rf"(?<![\w-])(?:\d+(?:[ \u202f\u00a0]\d{{3}})*(?:[.,]\d+)?|(?:{_NUMBER_WORDS})\b)"
    rf"(?:\s*{_SCALE})?(?:\s*{_UNIT})?"
    rf"(?:\s+(?:d['’]|de\s+|of\s+)?[^\W\d_]+)?",
    re.IGNORECASE,
)
# A name: capitalised words (with inner capitals, digits or hyphens), possibly
# several in a row, e.g. "Great Wall Motors", "Janus-Pro", "DALL-E 3".
_NAME = re.compile(
    r"(?<![\w-])(?:[A-Z][\w]*(?:-[\w]+)*|[A-Z]{2,}\d*)(?:\s+(?:[A-Z][\w]*(?:-[\w]+)*|\d+[A-Za-z]?))*(?![\w-])"
)

# Kinds of things that are answered by a proper name ("which company", "quel
# logiciel"), in English and French, singular and plural. General vocabulary.
_NAMED_KINDS = """company companies firm firms business manufacturer manufacturers maker makers carmaker carmakers
developer developers startup start-up startups organisation organization organisations organizations institution
agency agencies government university universities school bank banks brand brands product products model models
app apps application applications software program tool tools platform platforms service services website websites
site sites network networks chatbot chatbots assistant ai chip chips processor processors framework library
language languages license licence licenses licences operating system city cities country countries region
regions province state states port ports airport river newspaper media channel team teams group groups party
entreprise entreprises societe societes firme constructeur constructeurs fabricant fabricants editeur editeurs
organisme agence gouvernement universite universites ecole banque banques marque marques produit produits
modele modeles application applications logiciel logiciels outil outils plateforme plateformes service services
site sites reseau reseaux chatbot chatbots assistant ia puce puces processeur processeurs bibliotheque langage
langue licence licences systeme ville villes pays region regions etat etats aeroport fleuve journal chaine
equipe equipes groupe groupes parti""".split()

_TYPE_RULES = [
    (
        MONEY,
        r"\b(?:how much (?:\w+ ){0,3}(?:cost|costs|spend|spent|pay|paid|earn|earned|raise|raised|invest|invested|worth)|"
        r"cost|costs|price|prices|revenue|revenues|turnover|sales figures?|budget|salary|salaries|funding|valuation|"
        r"market (?:cap|capitalisation|capitalization|value)|stock price|share price|net worth|"
        r"combien (?:\w+ ){0,3}(?:coute|coutent|coute-t-il|paye|gagne|vaut|investi|leve)|cout|couts|prix|"
        r"chiffre d'affaires|budget|salaire|salaires|financement|valorisation|valeur boursiere|"
        r"capitalisation boursiere|cours de l'action|cours de bourse)\b",
    ),
    (
        QUOTE,
        r"\b(?:what (?:did|does|do) (?:[\w'-]+ ){1,6}(?:say|tell|declare|announce|write|reply|answer)|"
        r"qu'(?:a|ont) (?:[\w'-]+ ){0,6}(?:dit|declare|affirme|annonce|repondu)|"
        r"qu'est-ce qu[e'] ?(?:[\w'-]+ ){1,6}(?:a|ont) (?:dit|declare|affirme|annonce))\b",
    ),
    (
        DATE,
        r"\b(?:when|what date|which date|what day|what year|which year|since when|how long ago|quand|quelle date|"
        r"quel jour|quelle annee|en quelle annee|depuis quand|a quelle date|in what year)\b",
    ),
    (
        QUANTITY,
        r"\b(?:how many|how much|how long|how far|how big|how large|how old|how tall|how high|how heavy|what percentage|what share|what proportion|what number|what fraction|"
        r"what is the (?:population|number|amount|total|size)|quel(?:le)? est (?:la population|le nombre|le montant|le total)|"
        r"combien|quelle longueur|quelle distance|quel age|quelle hauteur|quel poids|quel pourcentage|quelle part|quelle proportion|quel nombre|what size|what sizes|quelles? tailles?)\b",
    ),
    (PERSON, r"^(?:who|whom|qui)\b|\b(?:who|qui) (?:is|was|est|etait|a|did|does)\b"),
    (
        NAME,
        r"\b(?:which|what|quel|quelle|quels|quelles)\s+(?:[\w-]+\s+){0,2}?(?:" + "|".join(_NAMED_KINDS) + r")\b"
        r"|\bname\b|\bnom\b|\bcalled\b|\bappelle\b",
    ),
]


def question_type(question: str) -> str:
    folded = fold(question)
    for kind, pattern in _TYPE_RULES:
        if re.search(pattern, folded):
            return kind
    return OTHER


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


_MONEY = re.compile(
    rf"(?:[$€£¥]\s*\d[\d\s.,]*(?:\s*{_SCALE})?|\d[\d\s.,]*(?:\s*{_SCALE})?(?:\s*(?:de\s+|d['’]|of\s+)?)"
    r"\s*(?:[$€£¥]|euros?|dollars?|yuans?|yens?|livres|pounds|USD|EUR|CNY))",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"«\s*([^»]{3,300}?)\s*»|“([^”]{3,300}?)”|\"([^\"]{3,300}?)\"")


def spans_of(kind: str, sentence: str) -> list[Span]:
    """Spans of ``sentence`` that can answer a question of type ``kind``, in order."""
    return list(_spans(kind, sentence))


@lru_cache(maxsize=16_384)
def _spans(kind: str, sentence: str) -> tuple[Span, ...]:
    if kind == QUOTE:
        out = []
        for match in _QUOTED.finditer(sentence):
            group = next(g for g in (1, 2, 3) if match.group(g) is not None)
            out.append(Span(match.start(group), match.end(group), match.group(group)))
        return tuple(out)
    patterns = {DATE: _DATE, QUANTITY: _QUANTITY, MONEY: _MONEY, PERSON: _NAME, NAME: _NAME}
    if kind not in patterns:
        return ()
    out = []
    for match in patterns[kind].finditer(sentence):
        words = list(re.finditer(r"\S+", match.group(0)))
        first, last = _trim_function_words([w.group(0) for w in words])
        if first > last:
            continue
        start, end = match.start() + words[first].start(), match.start() + words[last].end()
        text = sentence[start:end]
        if kind in (PERSON, NAME) and (
            not any(c.isalpha() for c in text) or (first == last and is_function_word(fold(text)))
        ):
            continue  # "Le", "Il", "The": capitalised by grammar, not names
        out.append(Span(start, end, text))
    if kind == QUANTITY:
        dates = _spans(DATE, sentence)
        out = [q for q in out if not any(q.start < d.end and d.start < q.end for d in dates)]
    if kind in (PERSON, NAME, QUANTITY):
        out = _merge_coordinated(out, sentence)
    return tuple(out)


_SEPARATOR = re.compile(r"^\s*(?:,\s*)?(?:(?P<conjunction>et|and|&|ou|or)\s*)?$", re.IGNORECASE)


def _merge_coordinated(spans: list[Span], sentence: str) -> list[Span]:
    """ "Azure et GitHub", "7B, 8B, 14B": items of one enumeration answer together.

    A run is an enumeration when a conjunction joins it or it has three items
    or more; "des Chinois, Tencent, ..." is not one. The single items stay
    available too, for questions that want only one.
    """
    merged: list[Span] = []
    run: list[Span] = []
    conjunctions = 0
    for span in [*spans, None]:
        separator = _SEPARATOR.match(sentence[run[-1].end : span.start]) if span is not None and run else None
        if separator and sentence[run[-1].end : span.start].strip():
            run.append(span)
            conjunctions += bool(separator.group("conjunction"))
            continue
        if len(run) >= 3 or (len(run) == 2 and conjunctions):
            merged.append(Span(run[0].start, run[-1].end, sentence[run[0].start : run[-1].end]))
        run = [span] if span is not None else []
        conjunctions = 0
    return spans + merged


def _trim_function_words(words: list[str]) -> tuple[int, int]:
    """Indexes of the first and last words worth keeping: patterns may take a dangling "de l" or "Au"."""
    first, last = 0, len(words) - 1

    def dangling(word: str) -> bool:
        return is_function_word(fold(word).strip("'’,.;:")) or (len(word) == 1 and word.isalpha() and word.islower())

    while last > first and dangling(words[last]):
        last -= 1
    while first < last and is_function_word(fold(words[first])):
        first += 1
    return first, last


_FOCUS = re.compile(
    r"\b(?:how many|combien (?:de|d')|(?:who|what) (?:is|was|are|were) the|qui (?:est|etait|sont) (?:le|la|les|l')|"
    r"(?:quel|quelle|quels|quelles) (?:est|etait|sont) (?:le|la|les|l'))\s*"
)


def focus_word(question: str) -> str | None:
    """What the question asks about, when its form says so: the thing a "how many"
    counts ("employees"), the role or attribute in "who/what is the X of"
    ("founder", "population"). Folded; None when the question has no such form."""
    folded = fold(question)
    match = _FOCUS.search(folded)
    if not match:
        return None
    words = [
        w for w in re.findall(r"[\w-]+", folded[match.end() :]) if not is_function_word(w) and w not in ANSWER_CUE_WORDS
    ]
    return words[0] if words else None
