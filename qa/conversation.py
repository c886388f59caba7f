"""Follow-up questions, resolved against the earlier turns of a conversation.

"When was DeepSeek launched?" then "And how many daily users does it have?":
the second question alone names nothing, so it is searched as "How many daily
users does DeepSeek have?". The rules are grammar only (connectives, pronouns,
name-like words, from qa.lang), in English and French; no word of any document
is known here. The chat shows the resolved question, so a wrong guess is
visible at once.

Imports no Textual: the chat and the tests share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from qa.lang import WORD_WITH_APOSTROPHES, fold, is_function_word
from qa.lang.grammar import determiner_phrases, elided, follow_up_connective, replace_pronouns, without_possessive
from qa.lang.names import is_name_like

# A follow-up this short with no name of its own continues the previous topic.
_ELLIPTIC_WORDS = 4


def names(question: str, sentence_start: bool = True) -> list[str]:
    """Name-like phrases of a question, in order; consecutive names form one ("Great Wall Motors").

    ``sentence_start`` is false for the rest of a sentence ("Baidu?" after "What about").
    """
    found: list[str] = []
    previous_end = -2
    for i, match in enumerate(WORD_WITH_APOSTROPHES.finditer(question)):
        word = match.group(0)
        if not is_name_like(word, sentence_initial=sentence_start and i == 0):
            continue
        clean = without_possessive(elided(word))
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
    for match in determiner_phrases(question):
        noun = WORD_WITH_APOSTROPHES.findall(match.group(0))[-1]
        if not is_function_word(fold(elided(noun))):
            return match.group(0)
    return None


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
    connective = follow_up_connective(question)
    body = question[connective.end() :] if connective else question
    if not body.strip(" ?!."):
        return question

    own_names = names(body, sentence_start=not connective)
    if connective and own_names and _only_names(body):
        # "What about Baidu?": the earlier question, asked about something else.
        return previous.replace(subject, own_names[0], 1)

    replaced = replace_pronouns(body, subject)
    if replaced != body:
        return _capitalised(replaced)
    if not own_names and (connective or len(WORD_WITH_APOSTROPHES.findall(body)) <= _ELLIPTIC_WORDS):
        stem = body.rstrip(" ?!.")
        return _capitalised(f"{stem} ({subject}){body[len(stem) :]}")
    return _capitalised(body) if connective else question


def _only_names(text: str) -> bool:
    words = WORD_WITH_APOSTROPHES.findall(text)
    return all(is_name_like(w) or is_function_word(fold(elided(w))) for w in words)


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
