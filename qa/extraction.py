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

from qa.text import fold, is_function_word

DATE, QUANTITY, PERSON, NAME, OTHER = "date", "quantity", "person", "name", "other"

_MONTHS = (
    "janvier|fevrier|février|mars|avril|mai|juin|juillet|aout|août|septembre|octobre|novembre|decembre|décembre|"
    "january|february|march|april|may|june|july|august|september|october|november|december"
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

# "un/une/one" are left out: far more often articles than counts.
_NUMBER_WORDS = (
    "deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|vingt|trente|cent|mille|"
    "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred|thousand|dozen"
)
_SCALE = r"(?:millions?|milliards?|billions?|thousands?|milliers?|mille|k|M|Md|B)"
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

_TYPE_RULES = [
    (
        DATE,
        r"\b(?:when|what date|which date|what day|what year|which year|since when|how long ago|quand|quelle date|"
        r"quel jour|quelle annee|en quelle annee|depuis quand|a quelle date|in what year)\b",
    ),
    (
        QUANTITY,
        r"\b(?:how many|how much|what percentage|what share|what proportion|what number|what fraction|"
        r"combien|quel pourcentage|quelle part|quelle proportion|quel nombre|what size|what sizes|quelles? tailles?)\b",
    ),
    (PERSON, r"^(?:who|whom|qui)\b|\b(?:who|qui) (?:is|was|est|etait|a|did|does)\b"),
    (
        NAME,
        r"\b(?:which|what|quel|quelle|quels|quelles)\s+(?:\w+\s+){0,2}?(?:company|companies|firm|manufacturer|"
        r"model|models|product|products|network|port|city|country|organisation|organization|chatbot|brand|app|"
        r"application|license|licence|entreprise|societe|modele|modeles|produit|produits|reseau|ville|pays|marque|"
        r"constructeur)\b|\bname\b|\bnom\b|\bcalled\b|\bappelle\b",
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


def spans_of(kind: str, sentence: str) -> list[Span]:
    """Spans of ``sentence`` that can answer a question of type ``kind``, in order."""
    patterns = {DATE: _DATE, QUANTITY: _QUANTITY, PERSON: _NAME, NAME: _NAME}
    if kind not in patterns:
        return []
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
        dates = spans_of(DATE, sentence)
        out = [q for q in out if not any(q.start < d.end and d.start < q.end for d in dates)]
    return out


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
