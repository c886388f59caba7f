"""Unanswerable questions that sound close: an acronym the folder uses but never spells out, or a subject swapped
for another one the folder names with the same head noun, kept only when no passage states that fact for it."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict

from qa import documents
from qa.evaluation import normalize
from qa.lang import content_words, fold, is_function_word
from qa.lang import get as get_language
from qa.lang import templates as T
from qa.lang.dates import date_spans
from qa.lang.names import acronym_definitions
from qa.lang.numbers import find_quantities
from qa.lang.technical import technical_spans
from qa.train.constants import (
    ACRONYM_TOKEN,
    LANGS,
    MAX_ACRONYM_LETTERS,
    MIN_ACRONYM_LETTERS,
    MIN_ACRONYM_USES,
    MIN_NAMING_WORD_CHARS,
)
from qa.train.drafts import Draft, articles, fill, subject_ok

# -- unanswerable: close questions the folder does not answer ------------------------------------


class Folder:
    """Word look-ups over every passage, to tell whether the folder states a fact."""

    def __init__(self, passages: list[documents.Passage]):
        self.passages = passages
        self.normalized = [f" {normalize(p.text)} {normalize(p.clean)} " for p in passages]
        self.by_word: dict[str, set[int]] = defaultdict(set)
        for i, text in enumerate(self.normalized):
            for word in set(text.split()):
                self.by_word[word].add(i)

    def lower_word(self, word: str) -> bool:
        """Whether some passage writes ``word`` in lower case."""
        pattern = re.compile(rf"(?<![\w.-]){re.escape(word)}(?![\w-])")
        return any(pattern.search(p.clean) for i in self.by_word.get(word, ()) for p in (self.passages[i],))

    def variable(self, word: str) -> bool:
        """Whether some passage uses ``word`` as a variable ("$HOME", "TMPDIR=/tmp"): a name, not an acronym."""
        pattern = re.compile(rf"\${re.escape(word)}\b|\b{re.escape(word)}=")
        return any(pattern.search(self.passages[i].text) for i in self.by_word.get(word.lower(), ()))

    def with_all(self, words) -> set[int]:
        """Passages holding every one of ``words`` (normalised as score.py does)."""
        keys = [w for word in words for w in normalize(word).split()]
        if not keys:
            return set()
        found = set(self.by_word.get(keys[0], ()))
        for key in keys[1:]:
            found &= self.by_word.get(key, set())
        return found

    def holds(self, answer: str) -> bool:
        return any(f" {normalize(answer)} " in text for text in self.normalized) if normalize(answer) else False


def unanswerable(drafts: list[Draft], folder: Folder, rng: random.Random, asked, wanted: int) -> list[Draft]:
    out: list[Draft] = []
    # Half acronyms the folder never spells out, the rest (and what acronyms leave) subjects swapped for another.
    out += _undefined_acronyms(folder, rng, asked, wanted // 2)
    out += _swapped_subjects(drafts, folder, rng, wanted - len(out))
    return out


def _undefined_acronyms(folder: Folder, rng: random.Random, asked, wanted: int) -> list[Draft]:
    defined: set[str] = set()
    used: Counter = Counter()
    for p in folder.passages:
        defined.update(d.acronym.text.rstrip("s") for d in acronym_definitions(p.clean))
        for m in ACRONYM_TOKEN.finditer(p.clean):
            used[m.group(0).rstrip("s")] += 1
    # A word set in capitals ("README", "HOME") that the folder also writes in lower case is no acronym.
    candidates = sorted(
        a
        for a, n in used.items()
        if n >= MIN_ACRONYM_USES
        and a not in defined
        and MIN_ACRONYM_LETTERS <= len(a) <= MAX_ACRONYM_LETTERS
        and not folder.lower_word(a.lower())
        and not folder.variable(a)
    )
    rng.shuffle(candidates)
    out = []
    for acronym in candidates:
        if len(out) >= wanted:
            break
        if _spelled_anywhere(acronym, folder) or any(
            folder.with_all([acronym, cue]) for cue in T.FACT_WORDS[T.ACRONYM]
        ):
            continue
        q_lang = rng.choice(asked)
        filled = fill(q_lang, T.ACRONYM, {"acronym": acronym}, rng)
        if filled:
            out.append(Draft(T.ACRONYM, q_lang, filled[0], [], None, acronym, answerable=False))
    return out


def _spelled_anywhere(acronym: str, folder: Folder) -> bool:
    """Some run of words in the folder whose initials spell the acronym (its expansion, written out)."""
    letters = acronym.lower()
    glue = r"\s+(?:\w{1,4}\s+)?"  # a short grammar word may stand between ("Federal Bureau of Investigation")
    spelled = re.compile(r"\b" + glue.join(rf"{c}[a-z]+" for c in letters) + r"\b")
    return any(spelled.search(text) for text in folder.normalized)


def _swapped_subjects(drafts: list[Draft], folder: Folder, rng: random.Random, wanted: int) -> list[Draft]:
    """The question of an answerable draft about another subject with the same head noun, that no passage answers."""
    if wanted <= 0:
        return []
    phrases = _noun_phrases(folder)
    pool = [
        d
        for d in drafts
        if d.kind in (T.DEFAULT, T.COUNT, T.PATH, T.DATE, T.TERM) and _has_slots(d.template) and d.subject
    ]
    rng.shuffle(pool)
    out = []
    for draft in pool:
        if len(out) >= wanted:
            break
        subject = draft.subject
        words = subject.split()
        head = fold(words[-1]) if draft.lang != "fr" or draft.kind == T.DATE else fold(words[0])
        if draft.kind == T.DATE:
            others = [s for s in phrases["name"] if s != subject and fold(s.split()[0]) == fold(words[0])]
        else:
            others = [
                s for s in phrases[draft.lang].get(head, ()) if fold(s) != fold(subject) and subject_ok(s, draft.lang)
            ]
        if not others:
            continue
        other = rng.choice(sorted(others))
        if not _states(draft.kind, other, folder):
            key, index, slots = draft.template
            question = T.TEMPLATES[draft.lang][key][index].format(**(slots | {"subject": other}))
            question = re.sub(r"\s+", " ", question).strip()
            question = question[0].upper() + question[1:]
            out.append(Draft(draft.kind, draft.lang, question, [], None, other, answerable=False))
    return out


def _has_slots(template: tuple) -> bool:
    """A draft's template is kept with its slots ((key, index, slots)): the question can be asked of another subject."""
    return bool(template) and isinstance(template[-1], dict)


def _noun_phrases(folder: Folder) -> dict:
    """Phrases of two or three words the folder uses, by head noun (last word in English, first in French),
    and names followed by a version ("Debian 10")."""
    found: dict = {"en": defaultdict(set), "fr": defaultdict(set), "name": set()}
    seen: dict = {lang: Counter() for lang in LANGS}
    for p in folder.passages:
        text = p.clean
        for lang in LANGS:
            for m in re.finditer(rf"{articles(lang)}((?:[^\W\d_][\w-]* ?){{2,3}})", text):
                words = m.group(1).split()
                phrase = words[:2]  # "the backup port when ...": "backup port"
                if len(phrase) == 2 and not any(
                    is_function_word(fold(w), lang) or len(w) < MIN_NAMING_WORD_CHARS for w in phrase
                ):
                    seen[lang][" ".join(phrase)] += 1
        for m in re.finditer(r"\b[A-Z][\w+-]+ \d+(?:\.\d+)?\b", text):
            found["name"].add(m.group(0))
    for lang in LANGS:
        head = 0 if get_language(lang).head_first else -1
        for phrase, count in seen[lang].items():
            if count >= 2:  # named more than once: a thing the folder is about, not a passing phrase
                found[lang][fold(phrase.split()[head])].add(phrase)
    return found


def _states(kind: str, subject: str, folder: Folder) -> bool:
    """Whether some passage speaks of ``subject`` with what would answer a question of that kind."""
    words = content_words(subject) or subject.split()
    holding = folder.with_all(words)
    if not holding:
        return True  # the phrase is not said as such (its words are apart): not a subject of the folder
    cue_words = T.FACT_WORDS.get(kind) or frozenset()
    for i in holding:
        text = folder.passages[i].clean
        if cue_words and any(w in cue_words for w in normalize(text).split()):
            return True
        if kind == T.DATE and date_spans(text):
            return True
        if kind == T.COUNT and find_quantities(text):
            return True
        if kind in (T.PATH, T.TERM) and (technical_spans(text) if kind == T.PATH else True):
            return True
    return False
