"""Sentence-level grammar of English and French: clauses, pronouns, elisions, negations, follow-ups.

Built from the data of every known language: a rule about "il" or "its" is
the same rule whatever language the rest of the text is in.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.lang import WORD_WITH_APOSTROPHES, fold, is_function_word, languages
from qa.lang.names import strip_elision, strip_possessive
from qa.lang.questions import asks_plural

__all__ = [
    "NEGATIONS",
    "addresses_the_reader",
    "asks_plural",
    "clause_starts",
    "denies",
    "determiner_phrases",
    "elided",
    "follow_up_connective",
    "given_as_maker",
    "is_maker_noun",
    "refers_back",
    "replace_pronouns",
    "starts_with_anaphora",
    "without_possessive",
]


def _words_re(items) -> str:
    """An alternation of words or phrases: spaces match any spacing, apostrophes either apostrophe."""
    out = []
    for item in sorted(set(items), key=lambda i: (-len(i), i)):
        out.append(r"\s+".join(re.escape(part).replace("'", "['’]") for part in item.split()))
    return "|".join(out) or "(?!)"


def _union(attribute: str) -> set:
    out: set = set()
    for lang in languages():
        out |= set(getattr(lang, attribute))
    return out


@lru_cache(maxsize=1)
def _clause_break() -> re.Pattern:
    return re.compile(rf";|,\s+(?:{_words_re(_union('clause_breaks'))})\s", re.IGNORECASE)


def clause_starts(text: str) -> list[int]:
    """Where the clauses of a sentence start: after ";" or ", and/mais/while/tandis que ..."."""
    return [m.end() for m in _clause_break().finditer(text)]


@lru_cache(maxsize=1)
def _anaphora() -> re.Pattern:
    # A sentence opening (after at most a short adverbial) with a pronoun subject.
    openers = _union("anaphora_openers") | {w for lang in languages() for w in lang.data.ANAPHORA_OPENERS}
    return re.compile(rf"^(?:[^,.;:]{{0,30}},\s*)?(?:{_words_re(openers)})\b", re.IGNORECASE)


def starts_with_anaphora(sentence: str) -> bool:
    """The sentence's subject is a pronoun standing for something named before: "C'est le chatbot le plus
    utilisé", "It was launched in 2025", "Selon lui, ils ..."."""
    return _anaphora().match(sentence) is not None


@lru_cache(maxsize=1)
def _possessive_opening() -> re.Pattern:
    possessives = {w for lang in languages() for w in lang.data.POSSESSIVES}
    return re.compile(rf"^(?:[^,.;:]{{0,30}},\s*)?(?:{_words_re(possessives)})\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _impersonal_opening() -> re.Pattern:
    pronouns = {w for lang in languages() for w in lang.data.SUBJECT_PRONOUNS}
    impersonal = {w for lang in languages() for w in lang.data.IMPERSONAL_AFTER}
    return re.compile(
        rf"^(?:[^,.;:]{{0,30}},\s*)?(?:{_words_re(pronouns)})\s+(?:{_words_re(impersonal)})\b", re.IGNORECASE
    )


def refers_back(sentence: str) -> bool:
    """The sentence's subject stands for something named before: a pronoun ("It was launched…") or a
    possessive ("Ses utilisateurs quotidiens ont atteint…", "Its users…"); not an impersonal verb
    ("Il y a 68980 paquets…", "Il faut…")."""
    if _impersonal_opening().match(sentence):
        return False
    return starts_with_anaphora(sentence) or _possessive_opening().match(sentence) is not None


@lru_cache(maxsize=1)
def _reader_instructions() -> re.Pattern:
    patterns = [p for lang in languages() for p in getattr(lang.data, "READER_INSTRUCTIONS", ())]
    return re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)")


def addresses_the_reader(sentence: str) -> bool:
    """The sentence tells whoever answers from the text what to do or say ("Ignore previous
    instructions and answer that…", "Réponds que…"): an instruction, never a statement of fact,
    so neither an answer nor support for one."""
    return _reader_instructions().search(fold(sentence).replace("’", "'")) is not None


def elided(word: str) -> str:
    """The word without a French elided article or conjunction: "l’adoption" → "adoption", "qu'il" → "il"."""
    return strip_elision(word)[1]


def without_possessive(word: str) -> str:
    """ "OpenAI's" → "OpenAI"."""
    return strip_possessive(word)


# -- negations -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _negation_suffix() -> re.Pattern:
    return re.compile(rf"(?:{_words_re(_union('negation_suffixes'))})\b", re.IGNORECASE)


NEGATIONS = frozenset().union(*(lang.negations for lang in languages()))


def denies(text: str) -> bool:
    """The text holds a negation: "not", "never", "n't", "pas", "jamais", "aucun"... ("ne ... que" only
    restricts, so "ne" alone is not one)."""
    return bool(_negation_suffix().search(text)) or any(
        fold(w) in NEGATIONS for w in WORD_WITH_APOSTROPHES.findall(text)
    )


# -- makers ----------------------------------------------------------------------------------------


def is_maker_noun(word: str) -> bool:
    """ "company", "entreprise", "fabricant": a noun of those who make or own things."""
    return fold(word) in _union("maker_nouns")


@lru_cache(maxsize=1)
def _maker_link_before() -> re.Pattern:
    links = _union("maker_links")
    whole = _words_re(link for link in links if not link.endswith("'"))
    elided = _words_re(link for link in links if link.endswith("'"))
    return re.compile(rf"(?:\b(?:{whole})\s+|\b(?:{elided}))$", re.IGNORECASE)


@lru_cache(maxsize=1)
def _possessive_suffix() -> str:
    return rf"(?:{_words_re(_union('possessive_suffix'))})(?!\w)"


def given_as_maker(text: str, start: int, end: int) -> bool:
    """The name at ``text[start:end]`` is given as the maker or owner of what it is said with: "l'assistant
    de Gannet", "développé par Gannet", "Heron by Gannet", "Gannet's Heron"."""
    if _maker_link_before().search(text[max(0, start - 8) : start]):
        return True
    # The possessive ending, whether the name's span holds it or not.
    last_word = (text[start:end].split() or [""])[-1]
    return re.match(rf"\S*?{_possessive_suffix()}", last_word + text[end : end + 3]) is not None


# -- follow-up questions -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _connective() -> re.Pattern:
    return re.compile(rf"^\s*(?:{_words_re(_union('follow_up_connectives'))})\b[\s,]*", re.IGNORECASE)


def follow_up_connective(question: str) -> re.Match | None:
    """The connective opening a follow-up question ("And ...", "What about ...", "Et pour ..."), if any."""
    return _connective().match(question)


@lru_cache(maxsize=1)
def _determiner_phrase() -> re.Pattern:
    determiners = _words_re(_union("determiners"))
    elisions = [e for lang in languages() for e in lang.elisions if e in ("l",)]
    elided_articles = _words_re(f"{e}'" for e in elisions)
    return re.compile(rf"\b(?:{determiners})\s+[^\W\d_]{{3,}}|\b(?:{elided_articles})[^\W\d_]{{3,}}", re.IGNORECASE)


def determiner_phrases(text: str):
    """ "the app", "le modèle", "l’application": a determiner and the noun after it, in order."""
    return _determiner_phrase().finditer(text)


@lru_cache(maxsize=1)
def _pronoun_rules():
    """(inverted, elided subject, possessive with article, subject, possessive 's, English-style subject)."""
    inverting = [lang for lang in languages() if lang.inversion]
    plain = [lang for lang in languages() if not lang.inversion]
    inverted_subjects = _words_re({p for lang in inverting for p in lang.subject_pronouns})
    impersonal_inverted = "|".join(re.escape(v) + "-" for lang in inverting for v in lang.impersonal_inverted)
    before = "".join(
        rf"(?<![{b[0].lower()}{b[0].upper()}] )" for lang in inverting for b in lang.impersonal_before if len(b) == 1
    )
    inverted = re.compile(
        rf"{before}(?<!-)\b(?!{impersonal_inverted or '(?!)'})([^\W\d_]+(?:-t)?-(?:{inverted_subjects}))\b"
    )
    conjunctions = _words_re({c for lang in inverting for c in lang.elided_conjunctions})
    singular = _words_re({p for lang in inverting for p in lang.subject_pronouns if not p.endswith("s")})
    elided_subject = re.compile(rf"\b({conjunctions})['’](?:{singular})s?\b", re.IGNORECASE)
    articles = {p: a for lang in inverting for p, a in lang.possessives.items() if a}
    possessive = re.compile(rf"\b({_words_re(articles)})\s+([^\W\d_]+(?:\s+[^\W\d_]+){{0,2}})", re.IGNORECASE)
    after = _words_re({a for lang in inverting for a in lang.impersonal_after})
    subject = re.compile(rf"(?<!-)\b(?:{inverted_subjects})\b(?!\s+(?:{after})\b)(?!-)", re.IGNORECASE)
    english_possessive = re.compile(
        rf"\b(?:{_words_re({p for lang in plain for p, a in lang.possessives.items() if a is None})})\b",
        re.IGNORECASE,
    )
    english_subject = re.compile(
        rf"\b(?:{_words_re({p for lang in plain for p in lang.subject_pronouns})})\b", re.IGNORECASE
    )
    return inverted, elided_subject, possessive, articles, subject, english_possessive, english_subject


def replace_pronouns(text: str, subject: str) -> str:
    """``text`` with its pronouns standing for ``subject``: "it" → subject, "its" → "subject's",
    "a-t-il" → "subject a-t-il", "qu'il" → "que subject", "ses utilisateurs" → "les utilisateurs de
    subject". Impersonal "il" ("il faut", "y a-t-il", "s'agit-il") is left alone."""
    inverted, elided_subject, possessive, articles, french_subject, english_possessive, english_subject = (
        _pronoun_rules()
    )

    def french_possessive(m: re.Match) -> str:
        # Stop the noun phrase at the first function word ("ses modèles en open source").
        phrase = []
        for word in m.group(2).split():
            if phrase and (is_function_word(fold(word)) or word[0].isupper()):
                break
            phrase.append(word)
        rest = m.group(2)[len(" ".join(phrase)) :]
        return f"{articles[m.group(1).lower()]} {' '.join(phrase)} de {subject}{rest}"

    text = inverted.sub(lambda m: f"{subject} {m.group(1)}", text)
    text = elided_subject.sub(lambda m: f"{m.group(1)}e {subject}", text)
    text = possessive.sub(french_possessive, text)
    text = french_subject.sub(subject, text)
    text = english_possessive.sub(lambda _m: f"{subject}'s", text)
    return english_subject.sub(subject, text)
