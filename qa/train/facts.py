"""Answerable questions: facts found by the sentence cues of each language (qa.lang.templates), and how-tos (a
task named by a heading or a lead-in, answered by its first step)."""

from __future__ import annotations

import random
import re
from functools import lru_cache

from qa import documents
from qa.evaluation import MAX_ANSWER_CHARS, contains
from qa.lang import fold, is_function_word
from qa.lang import get as get_language
from qa.lang import templates as T
from qa.lang.names import acronym_definitions
from qa.lang.technical import technical_spans
from qa.train.constants import (
    CROSS_LANGUAGE_SHARE,
    MAX_COMMAND_CHARS,
    MAX_PREDICATE_WORDS,
    MIN_COMMAND_CHARS,
    MIN_PATH_CHARS,
    STEP_PASSAGES_AFTER_HEADING,
)
from qa.train.drafts import (
    Draft,
    answer_at,
    article,
    articles,
    fill,
    goal_ok,
    phrase,
    spelled_out,
    subject_ok,
    swap_person,
    vague,
)

# -- facts from cues ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _cues(lang: str, kind: str) -> tuple[re.Pattern, ...]:
    # A sentence opening with a lower-case word ("zsh is ...") stays joined to the one before in a passage:
    # a cue's "^" also matches after a sentence's end.
    opening = r"(?:^|(?<=[.!?] ))"
    cues = [
        c.replace("(?:^|, )", f"(?:{opening}|, )", 1) if c.startswith("(?:^|, )") else c
        for c in T.CUES[lang].get(kind, ())
    ]
    return tuple(re.compile(re.sub(r"^\^", opening, c)) for c in cues)


def facts(
    passage: documents.Passage,
    lang: str,
    rng: random.Random,
    asked: tuple[str, ...],
    vocabulary: frozenset[str] = frozenset(),
    verbs: frozenset[str] = frozenset(),
) -> list[Draft]:
    """The questions one passage answers, in the languages ``asked`` (``vocabulary``: the words the folder
    writes in lower case, to tell a name from a word capitalised as a sentence's first)."""
    text = passage.clean
    out: list[Draft] = []
    for definition in acronym_definitions(text):
        acronym, expansion = definition.acronym.text, definition.expansion.text
        if is_function_word(fold(expansion.split()[0]), lang) or acronym in expansion:
            continue  # "(or the CERT coordination center)", "HEAD (--source=HEAD ...)": a gloss, not its words
        # Asked in the document's language, and in the other one half the time (the acronym needs no translation).
        for q_lang in [q for q in asked if q == lang or rng.random() < CROSS_LANGUAGE_SHARE]:
            filled = fill(q_lang, T.ACRONYM, {"acronym": acronym}, rng)
            if filled:
                out.append(Draft(T.ACRONYM, q_lang, filled[0], [expansion], passage, acronym, (T.ACRONYM, filled[1])))
    if passage.kind == documents.HEADING:
        return out  # a heading states no fact; the how-to questions it names are read with its steps
    if lang not in asked and not out:
        return out
    for kind in T.KINDS:
        for cue in _cues(lang, kind):
            for m in cue.finditer(text):
                draft = _draft(kind, m, text, lang, rng, asked, vocabulary, verbs)
                if draft is not None:
                    draft.passage = passage
                    out.append(draft)
    return out


def _draft(
    kind: str,
    m: re.Match,
    text: str,
    lang: str,
    rng: random.Random,
    asked,
    vocabulary: frozenset[str] = frozenset(),
    verbs: frozenset[str] = frozenset(),
) -> Draft | None:
    groups = {k: v for k, v in m.groupdict().items() if v is not None}
    if "answer" not in groups:
        return None
    if kind == T.ACRONYM:
        return spelled_out(groups["subject"], groups["answer"], lang, rng, asked)
    found = answer_at(text, m.start("answer"), lang, kind, named="word" in groups)
    if not found:
        return None
    answer, span_kind = found
    if (
        len(answer) > MAX_ANSWER_CHARS
        or not any(c.isalnum() for c in answer)
        or kind == T.PATH
        and len(answer) < MIN_PATH_CHARS
    ):
        return None
    slots: dict[str, str] = {}
    answers = [answer]
    if "subject" in groups:
        subject = phrase(groups["subject"])
        bare = re.sub(rf"^{articles(lang)}", "", subject, flags=re.I) if kind == T.DATE else subject
        if not subject_ok(bare, lang):
            return None
        first = subject.split()[0]
        if m.start("subject") == 0 and kind != T.DATE and first.lower() in vocabulary and first[1:].islower():
            subject = subject[0].lower() + subject[1:]  # capitalised as the sentence's first word only
        if kind != T.TERM and re.search(rf"\b(?:{T.RELATIVES[lang]})\b", subject, re.IGNORECASE):
            return None  # a clause, not a noun phrase ("let's assume that gitweb")
        if kind == T.DEFAULT and fold(subject) in {fold(w) for w in T.GENERIC_NOUNS[lang]}:
            return None  # "the default value": of what? A single plain noun says too little.
        slots["subject"] = swap_person(subject, lang)
    if "described" in groups:  # a description opens with a capital: it reads inside a question in lower case
        for name in ("goal", "predicate"):
            if name in groups and not groups[name][1:2].isupper():
                groups[name] = groups[name][0].lower() + groups[name][1:]
    if any(re.search(T.UNSWAPPABLE[lang], groups.get(n, ""), re.IGNORECASE) for n in ("goal", "predicate", "subject")):
        return None
    if "goal" in groups:
        goal = phrase(groups["goal"])
        if not goal[:1].islower() or not goal_ok(swap_person(goal, lang), lang):
            return None
        if "described" in groups and (fold(goal.split()[0]) not in verbs or "--" in goal):
            return None  # a description opening with a noun ("Synonym for ..."), not a verb the folder uses
        slots["goal"] = swap_person(goal, lang)
    if "predicate" in groups:
        predicate = phrase(groups["predicate"])
        last = fold(predicate.split()[-1])
        end = m.end("predicate")
        if (
            end < len(text.rstrip())
            and text[end] not in ".;!?"
            or end >= len(text.rstrip())
            and text.rstrip()[-1:] not in ".!?"
        ):
            return None  # the sentence goes on (a colon, a list) or the passage was cut inside it
        if is_function_word(last, lang) or re.search(r"[(\[{]|https?|www\.", predicate) or vague(predicate, lang):
            return None  # cut off at a colon or a link: "... such as:"
        if len(predicate.split()) > MAX_PREDICATE_WORDS:
            return None
        slots["predicate"] = swap_person(predicate, lang)
    if "noun" in groups:
        noun = groups["noun"].lower()
        slots["noun"] = noun
        if lang == "fr":
            slots["which"] = T.WHICH_BY_GENDER["fr"]["f" if noun in T.FEMININE_NOUNS["fr"] else "m"]
    if groups.get("article") or kind in (T.PATH, T.ALIAS):  # an article the question can do without
        slots["article"] = article(groups.get("article"), lang)
    if "max" in groups:
        slots["max"] = groups["max"]
    if "of" in groups:
        slots["of"] = groups["of"] if groups["of"].endswith("'") else groups["of"]
    if kind == T.DATE:
        # A name ("Debian 1.1", "Git"), not a common noun opening the sentence ("Subsequent revisions").
        named = bare.split()
        if not all(w[:1].isupper() or w[:1].isdigit() for w in named) or (
            len(named) == 1 and groups["be"] in ("were", "ont été", "sont")
        ):
            return None
        slots["participle"] = groups["participle"]
        slots["be"] = _inverted_be(groups["be"], groups["participle"], lang)
        if lang == "en":
            first, _, rest = slots["subject"].partition(" ")
            if rest and fold(first) in get_language(lang).articles:  # "When was the Debian project founded?"
                slots["subject"] = f"{first.lower()} {rest}"
    if kind == T.TERM:
        slots["be"] = groups.get("be", "is")
    if kind == T.PATH and "participle" in groups:
        slots["participle"] = groups["participle"]
        auxiliary = groups.get("be") or groups["modal"]
        inverted = _inverted_be(auxiliary, groups["participle"], lang) if lang == "fr" else auxiliary
        slots["modal" if "modal" in groups else "be"] = inverted
    if kind in (T.COUNT, T.LIMIT):
        number, _, unit = answer.partition(" ")
        unit = unit.strip()
        if not unit or not re.fullmatch(r"[^\W\d_][\w'’-]*", unit) or is_function_word(fold(unit), lang):
            return None
        slots["unit"] = unit
        slots["de"] = "d'" if lang == "fr" and fold(unit)[0] in "aeiouyh" else "de "
        answers = [answer, number]
        if kind == T.COUNT:
            verb = groups["verb"]
            slots["verb"] = T.BASE_VERBS[lang].get(verb, verb)
            slots["does"] = "do" if verb in T.PLURAL_VERBS[lang] else "does"
        if kind == T.LIMIT and "max" not in groups and fold(unit) not in {fold(u) for u in T.LENGTH_UNITS[lang]}:
            return None
    if kind == T.OPTION and re.search(r"[=<\[]", answer):
        answers.append(re.split(r"[=<\[]", answer)[0])  # "--unified=<n>", or "--unified" as one would answer
    if kind == T.DATE and lang == "en" and not re.search(r"\d{4}", answer):
        return None  # an English date with no year ("on Monday", "in March") dates nothing
    key = kind
    if kind == T.PATH and "modal" in groups:
        key = "path_modal"
    if kind == T.LIMIT and "max" in groups:
        key = "limit_max"
    elif kind == T.LIMIT and not groups.get("article"):
        return None
    if kind == T.COMMAND and "goal" in groups and span_kind in ("identifier", "code"):
        if not re.search(r"[_.()]", answer):
            return None  # a plain word, not code
        key = "tool"  # a function or a snippet, not a command line: "What should I use to ...?"
    if kind == T.DEFAULT and "inverse" in groups and "default_is" in T.TEMPLATES[lang]:
        # "X est le Y par défaut": "Quel est le Y par défaut ?", "which" agreeing with the article.
        gender = T.ARTICLE_GENDERS[lang].get(fold(groups["article"].strip()))
        if gender is None:
            return None
        key, slots["which"] = "default_is", T.WHICH_BY_GENDER[lang][gender]
    elif kind == T.DEFAULT and re.fullmatch(r"[\w.$-]*[_.$][\w.$-]*|[A-Z][A-Z0-9_]+", slots.get("subject", "")):
        key, slots["token"] = "default_token", slots["subject"]
    languages = [q for q in asked if q == lang or key in T.CROSS_LANGUAGE]
    if not languages:
        return None
    q_lang = rng.choice(languages)
    filled = fill(q_lang, key, slots, rng)
    if filled is None:
        return None
    question, index = filled
    if kind == T.DATE and not re.fullmatch(r"\d{4}", answer) and index == _YEAR_TEMPLATE:
        question = T.TEMPLATES[q_lang][key][0].format(**slots)
        question = question[0].upper() + question[1:]
    return Draft(
        kind, q_lang, question, answers, None, slots.get("subject", slots.get("goal", "")), (key, index, slots)
    )


# The date template that asks for the year ("In what year was ...?"): an answer more precise than a bare year is
# asked with the first one ("When was ...?") instead.
_YEAR_TEMPLATE = 1


def _inverted_be(be: str, participle: str, lang: str) -> str:
    """The auxiliary as an inverted question puts it: "was" stays, "a été" becomes "a-t-il été"."""
    if lang != "fr":
        return be
    folded = participle.lower()
    pronoun = next(p for ending, p in T.PARTICIPLE_PRONOUNS["fr"] if folded.endswith(ending))
    head, _, rest = be.partition(" ")
    joint = "-t-" if head[-1] in "ae" else "-"
    return f"{head}{joint}{pronoun}{' ' + rest if rest else ''}"


# -- how-to: a task named by a heading or a lead-in, answered by its steps ----------------------


def howtos(passages: list[documents.Passage], lang: str, rng: random.Random, asked) -> list[Draft]:
    out = []
    heading_cues = _cues(lang, "heading")
    for i, p in enumerate(passages):
        goal = None
        if p.kind == documents.HEADING:
            for cue in heading_cues:
                m = cue.match(p.clean)
                if m:
                    goal = phrase(m.group("goal"))
                    break
            following = passages[i + 1 : i + 1 + STEP_PASSAGES_AFTER_HEADING]
            steps = [q for q in following if q.source == p.source and q.kind != documents.HEADING]
            steps = [q for q in steps if q.kind == documents.CODE or _STEP_MARKER.match(q.text)][:1]
        elif p.kind == documents.CODE:
            for cue in _cues(lang, T.HOWTO):
                m = cue.match(p.clean)
                if m:
                    goal = phrase(m.group("goal"))
                    break
            steps = [p]
        if not goal or lang not in asked or not goal_ok(swap_person(goal[0].lower() + goal[1:], lang), lang):
            continue
        step = steps[0] if steps else None
        answer = _first_step(step, lang) if step else None
        if not answer:
            continue
        filled = fill(lang, T.HOWTO, {"goal": swap_person(goal[0].lower() + goal[1:], lang)}, rng)
        if filled:
            out.append(Draft(T.HOWTO, lang, filled[0], [answer], step, goal, (T.HOWTO, filled[1])))
    return out


_STEP_MARKER = re.compile(r"\s*(?:[-*•]|\d{1,2}[.)]|[a-z][.)])\s+\S")


def _first_step(step: documents.Passage, lang: str) -> str | None:
    """What the first step says to do: the first line of its code, or the step's text when short."""
    if step.kind == documents.CODE:
        lines = step.text.splitlines()
        # The code starts after the introduction: past its first blank line, or its line ending in ":".
        starts = [k + 1 for k, line in enumerate(lines) if not line.strip() or line.rstrip().endswith(":")]
        code = [line.strip() for line in lines[starts[0] :]] if starts else []
        code = [re.sub(r"^[$#>]\s+", "", line) for line in code if line.strip() and not line.startswith("..")]
        if code and MIN_COMMAND_CHARS <= len(code[0]) <= MAX_COMMAND_CHARS and _looks_like_code(code[0], lang):
            return code[0]
        return None
    command = next((s.text for s in technical_spans(step.text, lang) if s.kind in ("command", "code")), None)
    if command and contains(step.clean, [command]):
        return command  # a short answer, as the development questions have: the command the step runs
    return None


def _looks_like_code(line: str, lang: str) -> bool:
    """A command line or a call: a program and its arguments, or a technical token opening the line."""
    if re.match(r"[a-z][\w.+-]*(?: +\S+)+$", line) and not is_function_word(fold(line.split()[0]), lang):
        return True
    return any(s.start == 0 and s.kind in ("command", "code", "identifier") for s in technical_spans(line, lang))
