"""The question generator's numbers and token shapes (qa.train.generate), each with why it is what it is."""

from __future__ import annotations

import re

from qa.lang import templates as T

LANGS = ("en", "fr")
# Questions from one passage at most: a passage dense with cues would otherwise weigh more than whole files.
MAX_PER_PASSAGE = 2
# Share of unanswerable questions asked for (of the answerable count), as in the development sets.
UNANSWERABLE_SHARE = 0.25
# Share of the facts whose question needs no translation (an acronym, a token) also asked in the other language.
CROSS_LANGUAGE_SHARE = 0.5
# A subject of more words is a clause or a list the cue ran into, not a thing a question names.
MAX_SUBJECT_WORDS = 12
# A predicate of more words makes a question nobody types (and runs past MAX_QUESTION_WORDS once templated).
MAX_PREDICATE_WORDS = 16
# A question of as many words as the development questions have: 4 to 24 in the 221 of ../shared/eval, the upper
# bound left some room for a long subject or predicate.
MIN_QUESTION_WORDS, MAX_QUESTION_WORDS = 4, 30
# A file's language is told from its first passages (so many, and so many characters of them): a few pages tell
# English from French as well as a whole long manual does, which would cost its full length to count.
LANGUAGE_SAMPLE_PASSAGES = 200
LANGUAGE_SAMPLE_CHARS = 20_000
# An answer opens where its cue ends, or this many characters after: an opening quote or bracket and a space
# (« zsh », "`ls`"). Further on, the token belongs to the rest of the sentence.
ANSWER_OFFSET_CHARS = 2
# A term defined ("a bare repository is ...") is a name of a few words; longer, the cue caught a sentence.
MIN_TERM_CHARS, MAX_TERM_CHARS = 2, 60
MAX_TERM_WORDS = 4
# A path shorter than this ("/", "~/", "..") names no file or folder of its own to ask about.
MIN_PATH_CHARS = 4
# The steps of a how-to heading stand in the passages right after it: one or two sentences of introduction, then
# the list or the code. Further, they belong to another task.
STEP_PASSAGES_AFTER_HEADING = 3
# A first step's command line: shorter is no command with its argument, longer is no line one would answer with.
MIN_COMMAND_CHARS, MAX_COMMAND_CHARS = 4, 120
# A subject names something by a word of this many letters at least; shorter ones are grammar words and
# abbreviations ("of", "de", "le", "I/O"), which name nothing alone.
MIN_NAMING_WORD_CHARS = 3
# A word in capitals used once may be emphasis; used twice or more, the folder uses it as a term.
MIN_ACRONYM_USES = 2
# Two capitals are mostly units, options or abbreviations one does not ask the expansion of ("KB", "IO", "OK").
MIN_ACRONYM_LETTERS = 3
# Longer words in capitals are mostly names of variables or files ("TMPDIR", "OPTERR"), not acronyms.
MAX_ACRONYM_LETTERS = 5
# A domain language's keyword ("\section", "\relative") and a menu path ("File → Save As"): two to six items of up
# to about 30 characters each (longer, the arrow joins two sentences rather than menu items).
BACKSLASH_KEYWORD = re.compile(r"(?<![\\\w])\\[A-Za-z@]+\*?(?![\\\w])")
MENU_PATH = re.compile(r"[\w][\w .'’-]{0,30}?(?:\s*(?:→|▸|⇒|->|>)\s*[\w][\w .'’-]{0,30}?){1,5}(?=[\s.,;:)]|$)")
# The technical tokens that may answer each kind of question (qa.lang.technical's kinds).
ANSWER_SPANS = {
    T.COMMAND: frozenset({"command", "identifier", "code", "package"}),
    T.OPTION: frozenset({"option"}),
    T.KEYWORD: frozenset(
        {"identifier", "variable", "keyword", "code", "package", "command", "option", "filename", "key"}
    ),
    T.PATH: frozenset({"path", "filename"}),
    T.DEFAULT: frozenset(
        {"identifier", "variable", "keyword", "code", "package", "command", "option", "filename", "path", "key"}
    ),
}
KEY_SHAPE = re.compile(r"(?:Ctrl|Control|Alt|Shift|Meta|Cmd|Super)[-+]|F\d")
LOWER_WORD = re.compile(r"(?<![\w/.-])[^\W\d_A-Z]+(?![\w/.-])")
ACRONYM_TOKEN = re.compile(r"(?<![\w./-])[A-Z]{2,6}s?(?![\w/-])")
