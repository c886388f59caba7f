"""Follow-up questions, resolved against the earlier turns of a conversation.

"When was DeepSeek launched?" then "And how many daily users does it have?":
the second question alone names nothing, so it is searched as "How many daily
users does DeepSeek have?". The rules are grammar only (connectives, pronouns,
name-like words), in English and French; no word of any document is known here.
The chat shows the resolved question, so a wrong guess is visible at once.

Imports no Textual: the chat and the tests share it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from qa.text import WORD_WITH_APOSTROPHES, fold, is_function_word

# Connectives that open a follow-up ("And ...", "Et ...", "What about ...").
_CONNECTIVE = re.compile(
    r"^\s*(?:and\s+what\s+about|what\s+about|how\s+about|and|also|so|but|then|"
    r"et\s+pour|et\s+qu['’]en\s+est-il\s+de|et|aussi|alors|donc|mais|puis)\b[\s,]*",
    re.IGNORECASE,
)
_ELIDED = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_POSSESSIVE_S = re.compile(r"['’]s$", re.IGNORECASE)
_DETERMINER_PHRASE = re.compile(r"\b(?:the|le|la|les)\s+[^\W\d_]{3,}|\bl['’][^\W\d_]{3,}", re.IGNORECASE)

# Pronouns standing for the topic, and possessives standing for "topic's".
_EN_SUBJECT = re.compile(r"\b(?:it|they|them|he|she|him)\b", re.IGNORECASE)
_EN_POSSESSIVE = re.compile(r"\b(?:its|their|his)\b", re.IGNORECASE)
# French inversion "a-t-il", "utilise-t-elle": the topic goes before the verb
# ("Quand DeepSeek a-t-il été lancé ?" is correct French). "y a-t-il" and
# "faut-il" are impersonal: no topic behind them.
_FR_INVERTED = re.compile(r"(?<![yY] )(?<!-)\b(?!faut-|agit-)([^\W\d_]+(?:-t)?-(?:il|elle|ils|elles))\b")
_FR_ELIDED_SUBJECT = re.compile(r"\b(qu|lorsqu|puisqu)['’](?:il|elle)s?\b", re.IGNORECASE)
_FR_SUBJECT = re.compile(r"(?<!-)\b(?:il|elle|ils|elles)\b(?!\s+(?:y|faut|semble|s['’]agit)\b)(?!-)", re.IGNORECASE)
# The possessed noun and up to two adjectives after it: "ses utilisateurs quotidiens".
_FR_POSSESSIVE = re.compile(r"\b(son|sa|ses|leur|leurs)\s+([^\W\d_]+(?:\s+[^\W\d_]+){0,2})", re.IGNORECASE)
_FR_ARTICLE = {"son": "le", "sa": "la", "ses": "les", "leur": "le", "leurs": "les"}

# A follow-up this short with no name of its own continues the previous topic.
_ELLIPTIC_WORDS = 4


def _is_name_like(word: str, first: bool) -> bool:
    """Proper names, acronyms, model names: DeepSeek, OpenAI, R1, MIT, Xi Jinping.

    A capital on the first word only marks the sentence start, so there only
    inner capitals, digits or all capitals count.
    """
    word = _POSSESSIVE_S.sub("", _ELIDED.sub("", word))
    if len(word) < 2 or word == "I":
        return False
    if any(c.isdigit() for c in word) or word.isupper() or any(c.isupper() for c in word[1:]):
        return True
    return not first and word[0].isupper() and not is_function_word(fold(word))


def names(question: str, sentence_start: bool = True) -> list[str]:
    """Name-like phrases of a question, in order; consecutive names form one ("Great Wall Motors").

    ``sentence_start`` is false for the rest of a sentence ("Baidu?" after "What about").
    """
    found: list[str] = []
    previous_end = -2
    for i, match in enumerate(WORD_WITH_APOSTROPHES.finditer(question)):
        word = match.group(0)
        if not _is_name_like(word, first=sentence_start and i == 0):
            continue
        clean = _POSSESSIVE_S.sub("", _ELIDED.sub("", word))
        if found and question[previous_end : match.start()].strip() == "":
            found[-1] = f"{found[-1]} {clean}"
        else:
            found.append(clean)
        previous_end = match.end()
    return found


def topic(question: str) -> str | None:
    """What a question is about: its first name, else its first "the X" / "le X" phrase."""
    found = names(question)
    if found:
        return found[0]
    for match in _DETERMINER_PHRASE.finditer(question):
        noun = WORD_WITH_APOSTROPHES.findall(match.group(0))[-1]
        if not is_function_word(fold(_ELIDED.sub("", noun))):
            return match.group(0)
    return None


def _replace_pronouns(text: str, subject: str) -> str:
    def english_possessive(_m: re.Match) -> str:
        return f"{subject}'s"

    def french_possessive(m: re.Match) -> str:
        # Stop the noun phrase at the first function word ("ses modèles en open source").
        phrase = []
        for word in m.group(2).split():
            if phrase and (is_function_word(fold(word)) or word[0].isupper()):
                break
            phrase.append(word)
        rest = m.group(2)[len(" ".join(phrase)) :]
        return f"{_FR_ARTICLE[m.group(1).lower()]} {' '.join(phrase)} de {subject}{rest}"

    text = _FR_INVERTED.sub(lambda m: f"{subject} {m.group(1)}", text)
    text = _FR_ELIDED_SUBJECT.sub(lambda m: f"{m.group(1)}e {subject}", text)
    text = _FR_POSSESSIVE.sub(french_possessive, text)
    text = _FR_SUBJECT.sub(subject, text)
    text = _EN_POSSESSIVE.sub(english_possessive, text)
    return _EN_SUBJECT.sub(subject, text)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def resolve_followup(question: str, earlier: Sequence[str]) -> str:
    """The question to search for ``question``, given the earlier searched questions (oldest first).

    - a leading connective ("And", "Et", "What about") is dropped;
    - "What about X?" after "When was Y launched?" becomes "When was X launched?";
    - pronouns (it, its, they, il, elle, ses, a-t-il...) become the topic of the
      latest earlier question that has one;
    - a short follow-up naming nothing gets that topic appended.
    A question that needs none of this comes back unchanged.
    """
    question = question.strip()
    previous = next((q for q in reversed(earlier) if topic(q)), None)
    if previous is None:
        return question
    subject = topic(previous)
    assert subject is not None
    connective = _CONNECTIVE.match(question)
    body = question[connective.end() :] if connective else question
    if not body.strip(" ?!."):
        return question

    own_names = names(body, sentence_start=not connective)
    if connective and own_names and _only_names(body):
        # "What about Baidu?": the earlier question, asked about something else.
        return previous.replace(subject, own_names[0], 1)

    replaced = _replace_pronouns(body, subject)
    if replaced != body:
        return _capitalised(replaced)
    if not own_names and (connective or len(WORD_WITH_APOSTROPHES.findall(body)) <= _ELLIPTIC_WORDS):
        stem = body.rstrip(" ?!.")
        return _capitalised(f"{stem} ({subject}){body[len(stem) :]}")
    return _capitalised(body) if connective else question


def _only_names(text: str) -> bool:
    words = WORD_WITH_APOSTROPHES.findall(text)
    return all(_is_name_like(w, first=False) or is_function_word(fold(_ELIDED.sub("", w))) for w in words)


@dataclass
class Conversation:
    """The searched questions so far, to resolve the next follow-up against."""

    searched: list[str] = field(default_factory=list)

    def resolve(self, question: str) -> str:
        return resolve_followup(question, self.searched)

    def add(self, searched: str) -> None:
        self.searched.append(searched)

    def clear(self) -> None:
        self.searched.clear()
