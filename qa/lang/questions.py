"""What a question asks for, from its interrogative words, in English and French.

"When"/"quand" asks for a date, "how many"/"combien" a quantity, "who"/"qui"
a person, "which company"/"quelle entreprise" a name, "which command"/"quelle
commande" a command, "which file"/"dans quel fichier" or "where is ... kept" a
path, "which function/module/package"/"quel module/paquet/démon" an
identifier, "since which version" a version, "how do I"/"comment + verb" a
procedure ("how"). The noun of "which X" decides (its head: the last noun in
English, the first in French). A question in a language not known here is
"other": no typed rule applies to it.

``spans_for(kind, text)`` gives the candidate answer spans of a kind in a text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from qa.lang import (
    CALENDAR_WORDS,
    GENERIC_COUNTED,
    NUMBER_WORDS,
    Language,
    Span,
    detect_language,
    fold,
    fold_aligned,
    get,
    is_function_word,
    languages,
    stem,
)
from qa.lang import dates as _dates
from qa.lang import names as _names
from qa.lang import numbers as _numbers
from qa.lang import technical as _technical
from qa.lang.sentences import sentence_spans

DATE, QUANTITY, MONEY, PERSON, NAME, QUOTE = "date", "quantity", "money", "person", "name", "quote"
COMMAND, PATH, IDENTIFIER, VERSION, HOW, OTHER = "command", "path", "identifier", "version", "how", "other"
SYMBOL = "symbol"  # "which character do I type": a sign set apart ("a tilde ‘~’")
KEY = "key"  # "which shortcut", "quelle touche": a key or a chord of keys ("Ctrl-Alt-P", "F9", "TAB")
TYPED = (DATE, QUANTITY, MONEY, PERSON, NAME, QUOTE)  # answered by a short span of a passage
TECHNICAL = (COMMAND, PATH, IDENTIFIER, VERSION, SYMBOL, KEY)  # answered by a technical token
KINDS = (*TYPED, *TECHNICAL, HOW, OTHER)


@dataclass(frozen=True)
class QuestionForm:
    """What a question asks for.

    - ``kind``: one of KINDS;
    - ``language``: "en", "fr", or None when not known (then ``kind`` is "other");
    - ``focus``: what the question asks about, folded ("employees" in "how many
      employees", "company" in "which company", "founder" in "who is the founder of");
    - ``plural``: it wants several things ("which models", "quelles tailles");
    - ``cue_words``: folded words saying what kind of answer is wanted ("name",
      "year"), not what it is about: to be left out of matching;
    - ``head``: the noun of "which X" / "what is the X" that decided the kind, if any.
    """

    kind: str
    language: str | None
    focus: str | None = None
    plural: bool = False
    cue_words: frozenset[str] = field(default_factory=frozenset)
    head: str | None = None
    counted: tuple[str, ...] = ()  # the words of what "how many" counts: ("source", "code", "repositories")
    share: bool = False  # it asks for a share ("what percentage", "quelle part"): a percentage answers it
    extension: bool = False  # it asks for a file name's extension ("which file extension"): ".ily" answers it

    @property
    def typed(self) -> bool:
        return self.kind in TYPED

    @property
    def technical(self) -> bool:
        return self.kind in TECHNICAL


@dataclass(frozen=True)
class _Match:
    at: int  # where the deciding words start in the folded question
    kind: str | None
    head: str | None = None
    focus: str | None = None
    plural: bool = False
    counted: tuple[str, ...] = ()


_TOKEN = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*|[,;:?!.()]")


def classify(question: str, language: str | None = None) -> QuestionForm:
    """The form of ``question`` (see QuestionForm). ``language`` defaults to the question's own."""
    return _classify(question, language)


@lru_cache(maxsize=4096)
def _classify(question: str, language: str | None) -> QuestionForm:
    code = language or detect_language(question)
    lang = get(code)
    if lang is None:
        return QuestionForm(OTHER, None)
    folded_all = fold_aligned(question).replace("’", "'")
    segments = [(s, e) for s, e in sentence_spans(question, language=code)] or [(0, len(question))]
    # The sentence that asks (ends with "?") comes first: "Ctrl-D doesn't work. What else can I type?"
    ordered = [s for s in reversed(segments) if "?" in question[s[0] : s[1]]] + [
        s for s in segments if "?" not in question[s[0] : s[1]]
    ]
    best: _Match | None = None
    asking = ""
    for start, end in ordered:
        best = _read(question[start:end], folded_all[start:end], lang)
        asking = re.sub(r"\s+", " ", folded_all[start:end])
        if best.kind is not None:
            break
    assert best is not None
    asked = asking[best.at :] if best.kind is not None else ""
    cue = _phrase_words(asked, lang, lang.cue_words)
    # A share is asked by a share word in the interrogative phrase ("what percentage of") or as the
    # head of the noun asked for ("what is the market share of", "quelle est la part de marché").
    share = "%" in question or bool(_phrase_words(asked, lang, lang.share_words)) or best.head in lang.share_words
    extension = best.head in lang.extension_words
    return QuestionForm(
        best.kind or OTHER, code, best.focus, best.plural, cue, best.head, best.counted, share, extension
    )


@lru_cache(maxsize=8)
def _interrogative_phrase_words(lang: Language) -> frozenset[str]:
    """Words an interrogative phrase is made of besides its cue words: "what is the", "combien de"."""
    return lang.auxiliaries | lang.copulas | lang.which_words | lang.who_words | lang.amount_phrases


def counts_generically(form: QuestionForm) -> bool:
    """The question counts with a noun that does not say what it counts ("how many people", "combien de
    sortes de"): a count of users, of kinds, answers it, though it never says the noun."""
    lang = get(form.language)
    return lang is not None and any(w in lang.generic_counted for w in form.counted)


def people_roles(words) -> frozenset[str]:
    """The groups of people that ``words`` name by what they are to something (PEOPLE_BY_ROLE, the same
    groups in every language): "salariés" and "employees" name employees, "utilisateurs" users."""
    folded = [fold(w) for w in words]
    groups = [lang.people_by_role[w] for lang in languages() for w in folded if w in lang.people_by_role]
    return frozenset(g for group in groups for g in ((group,) if isinstance(group, str) else group))


def counts_other_people(form: QuestionForm, unit_nouns) -> bool:
    """The question counts people of one role ("combien de salariés") and the quantity's unit names people of
    another ("12 000 visiteurs") or things ("six bateaux" for "how many developers"): a count of
    something else, however near the words. People counted without saying what ("500 personnes") may be them."""
    asked = people_roles(form.counted)
    if not asked or not unit_nouns:
        return False
    given = people_roles(unit_nouns)
    if given:
        return not asked & given
    return not any(fold(w) in GENERIC_COUNTED for w in unit_nouns)


def agent_verb(words, language: str | None) -> str | None:
    """The first of the question's ``words`` that says a making, a founding, a leading or an owning
    (AGENT_WORDS, a verb or a doer's noun): "who created X", "qui dirige X" ask for the one who does it."""
    return next((w for w in words if doings([w], language)), None)


def doings(words, language: str | None) -> frozenset[str]:
    """The kinds of doing ("making", "leading", "owning": AGENT_WORDS) that ``words`` say, verbs or nouns of
    doers: "créé" and "section author" say a making, "le dirigeant" a leading."""
    lang = get(language)
    if lang is None:
        return frozenset()
    stems = _agent_stems(lang)
    return frozenset(kind for w in words if (kind := stems.get(stem(w, lang.code))) is not None)


@lru_cache(maxsize=8)
def _agent_stems(lang: Language) -> dict[str, str]:
    return {stem(word, lang.code): kind for word, kind in lang.data.AGENT_WORDS.items()}


def asks_a_rate(form: QuestionForm) -> bool:
    """The share asked is a rate or a ratio ("what is the frame rate", "le taux de compression"): a percentage
    answers it, and without one a quantity in units of its own ("60 frames per second")."""
    lang = get(form.language)
    return lang is not None and form.head in lang.rate_words


def _phrase_words(asked: str, lang: Language, wanted: frozenset[str]) -> frozenset[str]:
    """The words of ``wanted`` within the interrogative phrase that opens ``asked``: cue words saying
    what kind of answer is wanted ("year" in "in what year", "name" in "what is the name of"), share
    words ("percentage" in "what percentage of"). Not "day" in "how many people use it every day", which
    says what is counted, nor "share" in "how many users share a licence": the phrase ends at its first
    word of another kind."""
    out = set()
    for token in re.findall(r"[^\W_]+", asked):
        if token in wanted:
            out.add(token)
        elif not (is_function_word(token) or token in _interrogative_phrase_words(lang)):
            break
    return frozenset(out)


def _read(original: str, folded: str, lang: Language) -> _Match:
    """The earliest interrogative of one sentence that says what is asked."""
    text = re.sub(r"\s+", " ", folded)  # same length as ``folded`` only where spaces were single
    if len(text) != len(folded):
        original = re.sub(r"\s+", " ", original)
    found: list[_Match] = []
    found += _phrase_matches(text, original.lower(), lang)
    found += _which_matches(text, original, lang)
    for pattern in lang.quote_patterns:
        for m in re.finditer(r"\b" + pattern.format(saying=_alternation(lang.saying_verbs)) + r"\b", text):
            found.append(_Match(m.start(), QUOTE))
    for pattern in lang.command_patterns:
        for m in re.finditer(r"\b" + pattern, text):
            found.append(_Match(m.start(), COMMAND))
    for pattern in lang.how_patterns:
        for m in re.finditer(r"\b" + pattern, text):
            found.append(_Match(m.start(), HOW))
    found = [m for m in found if not _sets_the_time(m, text, found, lang)]
    typed = [m for m in found if m.kind is not None]
    if typed:
        return min(typed, key=lambda m: (m.at, m.focus is None))
    for pattern in lang.name_patterns:
        if re.search(r"\b" + pattern + r"\b", text):
            return _Match(0, NAME)
    untyped = [m for m in found if m.head or m.focus]
    if untyped:
        first = min(untyped, key=lambda m: m.at)
        return _Match(first.at, None, first.head, first.focus, first.plural)
    return _Match(0, None)


def _sets_the_time(match: _Match, text: str, found: list[_Match], lang: Language) -> bool:
    """A "when" that opens a clause ended by a comma, another interrogative after it, sets the scene
    rather than asks: "When hyperref colours the links, what colour …?", "Quand on fait précéder une
    valeur du signe #, dans quel mode …?". "When was it launched, and by whom?" asks (an auxiliary
    follows "when"), and so does "Quand DeepSeek a-t-il été lancé, …" (the clause is inverted)."""
    if match.kind != DATE:
        return False
    comma = text.find(",", match.at)
    if comma < 0:
        return False
    clause = text[match.at : comma].split()
    if len(clause) < 3 or clause[1] in lang.auxiliaries or (lang.inversion and "-t-" in text[match.at : comma]):
        return False
    return any(other.at > comma and (other.kind is not None or other.head or other.focus) for other in found)


def _alternation(words) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


def _opens(text: str, at: int, lang: Language) -> bool:
    """An interrogative at ``at`` opens the question: only leads ("and", "so"), prepositions or
    punctuation before it ("And when?", "Since when", "Depuis quand")."""
    before = re.findall(r"[^\W_]+(?:[-'][^\W_]+)*", text[:at])
    return all(w in lang.question_leads or (is_function_word(w, lang.code) and len(before) <= 2) for w in before)


def _phrase_matches(text: str, lowered: str, lang: Language) -> list[_Match]:
    out = []
    for phrase, kind in lang.question_phrases:
        for m in re.finditer(rf"\b(?:{phrase})\b", text):
            after = text[m.end() :].split()
            following = after[0].strip("?,.!") if after else ""
            if kind in (DATE, PERSON) and not (
                _opens(text, m.start(), lang)
                or following in lang.auxiliaries
                or not following
                or (lang.inversion and "-t-" in following)  # "quand a-t-il"
            ):
                continue  # "when it runs", "qui a ..." inside a sentence: not the question's own
            if kind == DATE and any(re.match(pattern, text[m.start() :]) for pattern in lang.condition_patterns):
                continue  # "when should I use a tuple": in what case, not on what date
            if kind == QUANTITY and m.group(0) in lang.amount_phrases:
                window = after[:5]
                if any(w.strip("?,.!") in lang.money_verbs for w in window) or any(
                    lang.kind_nouns.get(w.strip("?,.!")) == MONEY for w in window
                ):
                    out.append(_Match(m.start(), MONEY))
                    continue
            focus = _count_focus(after, lang) if kind == QUANTITY else None
            counted = tuple(_counted_run(after, lang)) if kind == QUANTITY else ()
            out.append(_Match(m.start(), kind, focus=focus, counted=counted))
    for m in re.finditer(rf"(?<![\w-])({_alternation(lang.where_words)})(?![\w-])", lowered):
        # "where" asks for a path when about storing something or about a file
        words = set(re.findall(r"[^\W_]+(?:[-'][^\W_]+)*", text[m.end() :]))
        if words & lang.storage_verbs or any(lang.kind_nouns.get(w) == PATH for w in words):
            out.append(_Match(m.start(), PATH))
    return out


def _count_focus(after: list[str], lang: Language) -> str | None:
    """What a "how many" counts: "how many daily active users" → "users", "combien d'employés" → "employes"."""
    run = _counted_run(after, lang)
    if not run:
        return None
    if lang.head_first:
        return run[0]
    plural = [w for w in run if _is_plural(w, lang)]
    return plural[-1] if plural else run[-1]


def _counted_run(after: list[str], lang: Language) -> list[str]:
    """The words of what a "how many" counts: "source code repositories", "personnes"."""
    run: list[str] = []
    for raw in after:
        stop = False
        for piece in (p for p in raw.strip("?,.!;:()").split("'") if p):
            if is_function_word(piece) or piece in lang.auxiliaries:
                stop = bool(run)
                if stop:
                    break
                continue
            if piece not in lang.cue_words:
                run.append(piece)
        if stop or len(run) >= 3 or raw[-1:] in "?,.!;:":
            break
    if not lang.head_first:
        # The counted phrase ends at its head, the last of the plurals that open its first run of them:
        # "how many people use DeepSeek" (people), "how many data points" (points), "how many
        # packages contain files" (packages).
        first = next((i for i, w in enumerate(run) if _is_plural(w, lang)), None)
        if first is not None:
            run = _through_plurals(run, first, lang)
    elif run and _is_plural(run[0], lang):
        # The head opens the phrase and its adjectives agree with it: "utilisateurs actifs quotidiens",
        # not the verb and subject after it in "combien de serveurs utilise le port".
        run = _through_plurals(run, 0, lang)
    return run


def _through_plurals(run: list[str], first: int, lang: Language) -> list[str]:
    """``run`` up to the end of the plurals that follow one another from ``first`` (itself a plural)."""
    last = first
    while last + 1 < len(run) and _is_plural(run[last + 1], lang):
        last += 1
    return run[: last + 1]


def is_plural(word: str, language: str | None) -> bool:
    """The folded ``word`` has the shape of a plural noun ("bateaux", "users", "people")."""
    return _is_plural(fold(word), get(language))


def _is_plural(word: str, lang: Language | None = None) -> bool:
    if lang is not None and word in lang.irregular_plurals:
        return True
    return len(word) > 3 and word[-1] in "sx" and not word.endswith(("ss", "us", "is"))


def _which_matches(text: str, original: str, lang: Language) -> list[_Match]:
    """ "which X", "what X", "quel(le)(s) X", "what is the X", "quel est le X", "who is the X of"."""
    out = []
    which = _alternation(lang.which_words)
    copula = _alternation(lang.copulas)
    who = _alternation(lang.who_words)
    articles = _alternation(lang.articles - lang.noun_links | lang.determiners)
    for m in re.finditer(rf"\b(?P<which>{which}|{who})\b(?: (?P<copula>{copula}))?(?: (?:{articles})\b ?)?", text):
        is_who = m.group("which") in lang.who_words
        if is_who and not m.group("copula"):
            continue
        tokens = []
        for t in re.finditer(r"[^\W_]+(?:[-'][^\W_]+)*|[^\w\s]", text[m.end() :]):
            tokens.append((m.end() + t.start(), m.end() + t.end(), t.group(0)))
            if len(tokens) >= 6:
                break
        head, kind, plural = _head(tokens, original, lang)
        if is_who:
            # "who is the founder of": the role asked about
            determined = m.group(0).rstrip().split(" ")[-1] in lang.articles | lang.determiners
            out.append(_Match(m.start(), PERSON, focus=_first_content(tokens, lang) if determined else None))
            continue
        if head is None:
            continue
        plural = plural or m.group("which") in lang.plural_which_words or m.group("copula") in lang.plural_copulas
        if head in lang.cue_words:  # "the name of the founder": what the cue word is about
            linked = _linked_words(tokens, head, lang)
            focus = None if linked is None else _first_content([(0, 0, w) for w in linked], lang)
        else:
            linked, focus = None, head
        counted = _counted_after_cue(tokens, head, linked, lang) if kind == QUANTITY and linked else ()
        out.append(_Match(m.start(), kind, head, focus, plural, counted))
    return out


def _head(tokens, original: str, lang: Language) -> tuple[str | None, str | None, bool]:
    """(head noun, the kind it asks for, plural) of the noun phrase opening ``tokens``."""
    words: list[tuple[str, bool]] = []  # (folded word, written with a capital)
    counted = False
    for start, _end, word in tokens:
        if not word[0].isalnum():
            break
        if (word in NUMBER_WORDS or word.isdigit()) and word not in lang.ambiguous_number_words:
            if words:
                break
            counted = True  # "which two languages"
            continue
        capital = original[start : start + 1].isupper() if start < len(original) else False
        if is_function_word(word, lang.code) and not capital:
            if not words and word in lang.articles | lang.determiners:
                continue
            if not words:
                break  # "what did ...", "what do I type": no noun phrase
            if lang.head_first and (word in lang.noun_links or word == "d"):
                words.append((word, False))  # "nom de code", kept for the two-word kinds
                continue
            break
        words.append((word, capital))
        if len(words) >= 4:
            break
    if not words:
        return None, None, False
    phrase_text = " ".join(w for w, _ in words)
    for phrase, kind in sorted(lang.kind_phrases.items(), key=lambda kv: -len(kv[0])):
        if phrase_text.startswith(phrase) or (not lang.head_first and f" {phrase}" in f" {phrase_text}"):
            head = phrase.split()[-1] if not lang.head_first else phrase.split()[0]
            return head, kind, counted or _is_plural(head, lang)
    candidates = [
        (w, lang.kind_nouns.get(w) or (PERSON if w in lang.person_nouns else None))
        for w, capital in words
        if not capital and not is_function_word(w, lang.code)
    ]
    kinds = [(w, k) for w, k in candidates if k]
    if kinds:
        head, kind = kinds[0] if lang.head_first else kinds[-1]
        return head, kind, counted or _is_plural(head, lang)
    plain = [w for w, capital in words if not capital and not is_function_word(w, lang.code)]
    if not plain:
        return None, None, False
    head = plain[0] if lang.head_first else plain[min(len(plain), 3) - 1]
    return head, None, counted or _is_plural(head, lang)


def _counted_after_cue(tokens, head: str, linked: list[str], lang: Language) -> tuple[str, ...]:
    """What "what is the number of files" counts (the files, as "how many files" does; English: French asks
    "combien"), from the ``linked`` words after its cue word ``head``. Nothing for "the number of the bus" (which
    one), nor for "the phone number of ..." (a noun before the cue word: a number that names); an adjective
    may stand there ("the maximum number of files")."""
    words = [w for _, _, w in tokens]
    if linked[0] in lang.articles | lang.determiners or any(
        w not in lang.common_adjectives for w in words[: words.index(head)]
    ):
        return ()
    return tuple(_counted_run(linked, lang))


def _linked_words(tokens, head: str, lang: Language) -> list[str] | None:
    """The words after the link that follows ``head`` ("founder" in "the name of the founder", "le nom du
    fondateur"; "daily users" in "the number of daily users"), if one does."""
    words = [w for _, _, w in tokens]
    if head not in words:
        return None
    rest = words[words.index(head) + 1 :]
    link = next(
        (li for li in lang.noun_links if rest and (rest[0] == li or li.endswith("'") and rest[0].startswith(li))), None
    )
    if link is None:
        return None
    if rest[0] != link:
        return [rest[0][len(link) :], *rest[1:]]  # "d'environnement"
    return rest[1:]


def _first_content(tokens, lang: Language, skip: str | None = None) -> str | None:
    for _, _, word in tokens:
        for piece in word.split("'"):
            if not piece or piece == skip or not piece[0].isalnum():
                continue
            if is_function_word(piece, lang.code) or piece in lang.cue_words or piece in CALENDAR_WORDS:
                continue
            return piece
    return None


def asks_plural(question: str) -> bool:
    """ "Which models", "quelles tailles": the question wants several things."""
    return classify(question).plural


# -- answer spans --------------------------------------------------------------------------------

_QUOTED = re.compile(r"«[\s\u00a0\u202f]*([^»]{3,300}?)[\s\u00a0\u202f]*»|“([^”]{3,300}?)”|\"([^\"]{3,300}?)\"")
_SPAN_KINDS = {
    COMMAND: (_technical.COMMAND, _technical.PACKAGE, _technical.MENU),
    PATH: (_technical.PATH, _technical.FILENAME, _technical.MENU),
    IDENTIFIER: (
        _technical.IDENTIFIER, _technical.KEYWORD, _technical.VARIABLE, _technical.OPTION, _technical.PACKAGE,
        _technical.COMMAND, _technical.FILENAME, _technical.MENU, _technical.KEY,
    ),
    SYMBOL: (_technical.SYMBOL,),
    KEY: (_technical.KEY, _technical.COMMAND),  # a shortcut of a markup language is a command ("\omit")
    VERSION: (_technical.VERSION_KIND,),
    HOW: (
        _technical.COMMAND, _technical.CODE, _technical.IDENTIFIER, _technical.MENU, _technical.KEYWORD, _technical.KEY,
    ),
}  # fmt: skip


def spans_for(kind: str, text: str, language: str | None = None) -> list[Span]:
    """Candidate answer spans of ``kind`` in ``text``, in order: dates, quantities (with their unit),
    money, names (people among them), quotes, technical tokens. Coordinated names and quantities also
    come whole ("Azure et GitHub", "14B, 32B et 70B")."""
    return list(_spans_for(kind, text, language))


@lru_cache(maxsize=16_384)
def _spans_for(kind: str, text: str, language: str | None) -> tuple[Span, ...]:
    if language is not None and not languages(language):
        return ()
    if kind == DATE:
        return tuple(_dates.date_spans(text, language))
    if kind == QUANTITY:
        return tuple(merge_coordinated(_numbers.find_quantities(text, language), text))
    if kind == MONEY:
        return tuple(_numbers.find_money(text, language))
    if kind in (PERSON, NAME):
        spans = [Span(n.start, n.end, n.text, kind) for n in _names.find_names(text, language)]
        if kind == NAME:
            spans = sorted({*spans, *_named_terms(text, language)}, key=lambda s: (s.start, -s.end))
        return tuple(merge_coordinated(spans, text))
    if kind == QUOTE:
        out = []
        for m in _QUOTED.finditer(text):
            group = next(g for g in (1, 2, 3) if m.group(g) is not None)
            out.append(Span(m.start(group), m.end(group), m.group(group), QUOTE))
        return tuple(out)
    if kind in _SPAN_KINDS:
        return tuple(_technical.spans_of_kinds(text, _SPAN_KINDS[kind], language))
    return ()


_TERM_WORD = re.compile(r"[^\W\d_][\w'-]*")


def _named_terms(text: str, language: str | None) -> list[Span]:
    """What a text says a thing is called, names or not: "is called a melisma", "On appelle ceci un
    mélisme", "sont appelés des bandeaux". The words after a naming verb (the questions' NAME_PATTERNS),
    past articles and pronouns, up to three, to the first function word or punctuation."""
    folded = fold_aligned(text)
    out = []
    for lang in languages(language):
        for m in re.finditer(rf"\b(?:{'|'.join(lang.name_patterns)})\b", folded):
            at, words = m.end(), []
            while len(words) < 3:
                gap = re.match(r"[ \t\u00a0]*", folded[at:]).end()
                word = _TERM_WORD.match(folded, at + gap)
                if word is None:
                    break
                if is_function_word(word.group(), lang.code):
                    if words:
                        break
                    at = word.end()
                    continue
                words.append(word)
                at = word.end()
            if words:
                start, end = words[0].start(), words[-1].end()
                out.append(Span(start, end, text[start:end], NAME))
    return out


@lru_cache(maxsize=1)
def _conjunctions() -> str:
    words = set().union(*(lang.conjunctions for lang in languages()))
    return _alternation(words)


def merge_coordinated(spans: list[Span], text: str) -> list[Span]:
    """ "Azure et GitHub", "7B, 8B, 14B": items of one enumeration answer together.

    A run is an enumeration when a conjunction joins it or it has three items or
    more; "des Chinois, Tencent, ..." is not one. The single items stay
    available too, for questions that want only one.
    """
    separator = re.compile(rf"^\s*(?:,\s*)?(?:(?P<conjunction>{_conjunctions()})\s*)?$", re.IGNORECASE)
    merged: list[Span] = []
    run: list[Span] = []
    conjunctions = 0
    for span in [*spans, None]:
        gap = text[run[-1].end : span.start] if span is not None and run else ""
        joined = separator.match(gap) if span is not None and run else None
        if joined and gap.strip():
            run.append(span)
            conjunctions += bool(joined.group("conjunction"))
            continue
        if len(run) >= 3 or (len(run) == 2 and conjunctions):
            merged.append(Span(run[0].start, run[-1].end, text[run[0].start : run[-1].end], run[0].kind))
        run = [span] if span is not None else []
        conjunctions = 0
    return spans + merged
