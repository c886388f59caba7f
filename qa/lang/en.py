"""English: data only, read by qa.lang's grammars. General vocabulary and grammar, never words of a document.

Words are written in lower case with their accents; qa.lang folds them where it compares folded text.
"""

CODE = "en"
NAME = "English"
STEMMER = "english"
# Letters the language writes beyond a-z (loanwords aside): a word with other letters is not English.
LETTERS = ""

# Grammar words: left out of indexing and matching. Changing this list changes the index terms.
FUNCTION_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each either few for from further had
    has have having he her here hers herself him himself his how however i if in into is it its itself
    just least less let like many may me might more most much must my myself neither no nor not now of off
    on once only or other our ours ourselves out over own per same shall she should since so some such than
    that the their theirs them themselves then there these they this those through thus to too under until
    up upon us very was we were what when where whether which while who whom whose why will with within
    without would yet you your yours yourself yourselves according as also already still ever
    every several another others everyone everything anyone anything someone something nobody whatever
    whichever whoever""".split()
)
# Frequent words that tell English from other languages (with FUNCTION_WORDS, for detection only).
TELLING_WORDS = frozenset("isn't doesn't don't didn't wasn't aren't can't won't it's that's there's i'm".split())
# Words opening a sentence that are not names even though capitalised there.
SENTENCE_OPENERS = frozenset(
    """yes okay ok today yesterday tomorrow currently recently finally first firstly second secondly third lastly
    overall meanwhile moreover furthermore additionally instead indeed therefore hence otherwise besides
    unfortunately fortunately notably specifically similarly likewise nevertheless nonetheless namely unlike
    instance example note please despite although though unlike among across along around behind beyond
    toward towards amid except whereas whilst unless several another every various numerous""".split()
)
# Endings of inflected or derived common words: a capitalised word ending so at a sentence's start is not
# taken for a name ("Launched in 2025, ..."). Names seldom end so.
COMMON_ENDINGS = ("ed", "ing", "ly", "tion", "tions", "sion", "ment", "ments", "ness", "ity", "ities", "ous", "ive")

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip
MONTH_ABBREVIATIONS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
}  # fmt: skip
# Month names that are also common words: a month only next to a day or a year ("May 2", not "may go").
AMBIGUOUS_MONTHS = frozenset({"may", "march"})
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_ABBREVIATIONS = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5}
DAY_WORDS = frozenset({"day"})  # "the twentieth day of January"
DATE_ARTICLES = frozenset({"the", "on", "this"})  # "on the 20th of January", "the end of this year"
DATE_OF = frozenset({"of"})  # "20th of January", "end of January"
# Parts of a period: "early January", "the end of 2024", "mid-February".
DATE_PARTS = {"beginning": "start", "start": "start", "early": "start", "mid": "middle", "middle": "middle",
              "end": "end", "late": "end"}  # fmt: skip
PERIOD_WORDS = {"month": "month", "year": "year"}  # "the end of the month"
# Words before a bare year that make it a date: "in 2023", "since 1998".
YEAR_CONTEXT = frozenset(
    "in since from until till by before after of during around circa between and to year early late mid".split()
)

# Cardinal number words, each a base the numbers grammar composes ("ninety-nine", "two hundred and five").
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12,
}  # fmt: skip
# Number words that multiply by their value: "two dozen".
DOZENS = frozenset({"dozen"})
# Number words more often a pronoun or an article than a count: a number only inside a compound.
AMBIGUOUS_NUMBER_WORDS = frozenset({"one"})
# Articles that count as one before a multiplier or a scale: "a hundred", "a million".
ONE_ARTICLES = frozenset({"a", "an", "one"})
NUMBER_JOINERS = frozenset({"and"})  # "one hundred and five"
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70,
    "eightieth": 80, "ninetieth": 90, "hundredth": 100, "thousandth": 1000,
}  # fmt: skip
# Ordinal words too common in other senses to be checked as numbers on their own ("first released").
COMMON_ORDINALS = frozenset({"first", "second"})
ORDINAL_SUFFIXES = ("st", "nd", "rd", "th")  # 1st, 22nd, 3rd, 20th
# Scale words multiply what precedes them. English "billion" is a thousand million.
SCALES = {
    "thousand": 10**3, "thousands": 10**3, "million": 10**6, "millions": 10**6, "billion": 10**9,
    "billions": 10**9, "trillion": 10**12, "trillions": 10**12,
}  # fmt: skip
# Written right after the digits ("5k", "7B", "3bn"), case as shown.
SCALE_ABBREVIATIONS = {"k": 10**3, "K": 10**3, "m": 10**6, "M": 10**6, "mn": 10**6, "bn": 10**9, "B": 10**9}
PERCENT_WORDS = ("percent", "per cent")
CURRENCIES = {
    "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP", "pounds": "GBP",
    "sterling": "GBP", "yen": "JPY", "yuan": "CNY", "yuans": "CNY", "renminbi": "CNY", "franc": "CHF",
    "francs": "CHF", "rupee": "INR", "rupees": "INR", "won": "KRW", "ruble": "RUB", "rubles": "RUB",
}  # fmt: skip
# Nouns naming what a quantity measures ("how much time"), and the units that measure it.
MEASURES = {"time": "duration", "duration": "duration", "period": "duration", "delay": "duration"}
UNITS = dict.fromkeys(
    """second seconds sec secs s minute minutes min mins hour hours hr hrs h day days week weeks month months
    year years ms millisecond milliseconds""".split(),
    "duration",
)
UNIT_LINKS = frozenset({"of"})  # "22 million of users" is rare, "millions of dollars" is not
# Nouns before a number that says where something is, not how much ("section 1.1", "page 12").
REFERENCE_NOUNS = frozenset(
    """section sections chapter chapters figure fig table tables page pages pp p appendix part step line lines column columns port equation eq footnote note item paragraph example listing""".split()
)

# Questions. Interrogative phrases and the kind of answer they ask for (folded, as regular expressions
# over single spaces; the questions grammar adds the word boundaries).
QUESTION_PHRASES = (
    ("when", "date"),
    ("since when", "date"),
    ("how long ago", "date"),
    ("how many", "quantity"),
    ("how much", "quantity"),
    ("how (?:long|far|big|large|old|tall|high|heavy|often|wide|deep|fast)", "quantity"),
    ("who|whom", "person"),
    ("whose", "person"),
)
# "How much did it cost": money when one of these verbs follows "how much".
MONEY_VERBS = frozenset(
    "cost costs spend spent pay paid earn earned raise raised invest invested worth charge charged sell sold".split()
)
# Questions about a procedure: "how do I ...", "how to ...", "how can we ...".
HOW_PATTERNS = (
    r"how (?:do|does|can|could|should|would|must|may|might|will) (?:i|you|we|one|they|people|someone|users?)\b",
    r"how to\b",
    r"how (?:is|are) (?:\w+ ){1,4}(?:done|made|installed|configured|set up|enabled|disabled|run|started)\b",
    r"what(?:'s| is) the (?:best |right |correct |proper )?way to\b",
    r"what (?:steps|should i do)\b",
)
# "When" asking in what case, not on what date: "when should I use a tuple", "when do I need to call
# close()", "when to prefer a set". Only "should" alone says it; other modals ask dates too ("when can I
# expect the delivery"), so they need a verb of choosing or doing after them.
CONDITION_PATTERNS = (
    r"when (?:should|shall) (?:i|you|we|one|they|people|someone|users?)\b",
    r"when (?:do|does|can|could|must|may|might|would) (?:i|you|we|one|they|people|someone|users?) "
    r"(?:(?:need|have|want) to )?(?:use|choose|prefer|pick|avoid|call|apply|run|consider|enable|disable)\b",
    r"when to\b",
    r"when (?:is|are) (?:it|they) (?:\w+ )?(?:necessary|needed|required|useful|better|best|safe|wise|preferable)\b",
)
# Questions asking what to type: a command.
COMMAND_PATTERNS = (
    r"what (?:else )?(?:do|can|could|should|must|would) (?:i|you|we|one) (?:type|enter|run|execute|use to)\b",
    r"which (?:command line|commandline)\b",
)
# "Where" asks for a path when the question is about storing or finding a file.
WHERE_WORDS = frozenset({"where"})
STORAGE_VERBS = frozenset(
    """keep keeps kept store stores stored save saves saved put puts located locate live lives install installs
    installed cache caches cached write writes written placed""".split()
)
# Phrases asking for a name whatever the noun: "what is it called", "named after".
NAME_PATTERNS = (r"called", r"(?:nick)?named")
# "What did X say": a quote ({saying} stands for SAYING_VERBS).
QUOTE_PATTERNS = (r"what (?:did|does|do|has|have) (?:[\w'-]+ ){{1,6}}?(?:{saying})",)
# Words after which "when" or "who" is still the question's own ("And when?", "So who ...").
QUESTION_LEADS = frozenset("and so but then also or".split())
# Auxiliaries after an interrogative: "when was", "who did" (not "when it runs").
AUXILIARIES = frozenset("is was are were did does do will would can could has have had should must may might".split())
# Head of a noun phrase: English puts it last ("the string method"), French first ("la méthode de chaîne").
HEAD_FIRST = False
# Verbs of saying: "what did X say" asks for a quote.
SAYING_VERBS = frozenset(
    "say said tell told declare declared announce announced write wrote reply replied answer".split()
)
# Determiners of "which X" / "what X" questions, and those that say several are wanted.
WHICH_WORDS = frozenset({"which", "what"})
PLURAL_WHICH_WORDS = frozenset()
# "who is the X of": the person asked for.
WHO_WORDS = frozenset({"who"})
# "what is the X of": X says what is asked; "what are the X": several.
COPULAS = frozenset({"is", "was", "are", "were"})
PLURAL_COPULAS = frozenset({"are", "were"})
# "How much": a quantity, or money when a verb or noun of money follows.
AMOUNT_PHRASES = frozenset({"how much"})
ARTICLES = frozenset({"a", "an", "the"})
# Words joining a noun to its complement: "the name of the founder".
NOUN_LINKS = frozenset({"of"})
# Nouns that say what kind of answer a question wants ("which company" → a name). General vocabulary.
# Keyboard keys as manuals name them: modifiers ("Ctrl+") and named keys ("Ctrl+Enter"), as written.
MODIFIER_KEYS = "Ctrl Control Alt AltGr Shift Meta Cmd Command Super Option Fn"
KEY_NAMES = "Enter Return Esc Escape Tab Space Spacebar Delete Del Backspace Home End PgUp PgDn PageUp PageDown Insert Ins Up Down Left Right"
# Small words between two capitalised words of a menu item ("Color to Alpha").
MENU_LINKS = "to as of the and"
KIND_NOUNS = {
    # answered by a proper name
    **dict.fromkeys(
        """company companies firm firms business businesses manufacturer manufacturers maker makers carmaker
        carmakers developer developers startup start-up startups organisation organization organisations
        organizations institution institutions agency agencies government university universities school schools
        bank banks brand brands product products model models app apps application applications software platform
        platforms service services website websites site sites network networks chatbot chatbots assistant
        assistants ai chip chips processor processors framework frameworks language languages license licence
        licenses licences city cities country countries region regions province provinces state states port ports
        airport airports river rivers newspaper newspapers media channel channels team teams party parties
        codename show shows series film films movie movies book books novel novels song songs album albums game
        games prize prizes award awards distribution distributions project projects browser browsers""".split(),
        "name",
    ),
    **dict.fromkeys("name names codename nickname".split(), "name"),
    # answered by a command
    **dict.fromkeys("command commands".split(), "command"),
    # answered by a path or a file name
    **dict.fromkeys("menu menus submenu submenus menubar".split(), "path"),  # a path through the menus
    **dict.fromkeys("file files directory directories folder folders path paths extension extensions".split(), "path"),
    **dict.fromkeys("character characters sign signs symbol symbols".split(), "symbol"),  # a sign to type
    # answered by a key or a chord of keys ("a key" alone may be a setting's name: an identifier)
    **dict.fromkeys(
        "shortcut shortcuts keystroke keystrokes keybinding keybindings hotkey hotkeys accelerator accelerators".split(),
        "key",
    ),
    # answered by an identifier of code or of a system
    **dict.fromkeys(
        """function functions method methods module modules class classes exception exceptions error errors keyword
        keywords statement statements instruction instructions clause clauses package packages variable variables
        group groups daemon daemons tool tools program programs utility utilities shell shells library libraries
        option options flag flags parameter parameters argument arguments attribute attributes field fields setting
        settings directive directives operator operators decorator decorators builtin built-in
        interpreter interpreters component components key keys protocol protocols property properties macro macros
        environment environments block blocks specifier specifiers""".split(),
        "identifier",
    ),
    # answered by a version
    **dict.fromkeys("version versions release releases".split(), "version"),
    # answered by a date or a quantity
    **dict.fromkeys("date dates day days year years month months time".split(), "date"),
    **dict.fromkeys(
        """number percentage percentages share proportion fraction size sizes population amount total length
        distance height weight age count width widths depth thickness resolution speed rate frequency temperature
        capacity margin margins spacing value values""".split(),
        "quantity",
    ),
    **dict.fromkeys(
        """price prices cost costs revenue revenues turnover budget salary salaries funding valuation worth
        capitalisation capitalization""".split(),
        "money",
    ),
}
# Kind nouns made of two words.
KIND_PHRASES = {
    "device file": "path", "device files": "path", "file name": "path", "environment variable": "identifier",
    "environment variables": "identifier", "market value": "money", "market cap": "money", "stock price": "money",
    "share price": "money", "net worth": "money", "sales figures": "money", "operating system": "name",
    "command line": "command",
}  # fmt: skip
# Nouns of those who make or own things: a name given as the maker or owner of what the question names
# ("the assistant of Gannet", "Heron by Gannet", "Gannet's Heron") answers "which company makes it", though the
# passage never says "company" (qa.answering.Answerer.says_only_its_names).
MAKER_NOUNS = frozenset(
    """company companies firm firms business businesses manufacturer manufacturers maker makers carmaker carmakers
    developer developers startup start-up startups organisation organization organisations organizations
    institution institutions agency agencies government university universities bank banks brand brands team teams
    publisher publishers vendor vendors owner owners lab labs laboratory laboratories""".split()
)
# The words that give a name as the maker or owner of the noun before it ("the assistant of Gannet", "by Gannet").
MAKER_LINKS = frozenset({"of", "by"})
# Person nouns: "which person", "which author" ask for a person.
PERSON_NOUNS = frozenset(
    """person people man woman author authors founder founders creator creators inventor ceo president director
    leader chairman chairwoman writer""".split()
)
# Words that say what kind of answer is wanted, not what it is about (left out of matching).
CUE_WORDS = frozenset("name names called date year years day number percentage amount".split())
# Modal verbs the function words leave (see qa.lang.fr): how the question is put, not what it is about.
MODAL_WORDS = frozenset("ought needs able".split())

# Pronoun subjects that open a sentence about something named before ("It was launched ...").
ANAPHORA_OPENERS = ("it", "this", "these", "they", "he", "she")
# Words addressed to whoever reads the text to answer from it (a prompt injection), not statements
# of fact: regular expressions over folded text (no accents, lower case).
READER_INSTRUCTIONS = (
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|these\s+|my\s+)?"
    r"(?:(?:previous|prior|above|earlier|preceding|former|original)\s+(?:instructions?|prompts?|rules|directions)"
    r"|instructions?)\b",
    # An order to say something, where a sentence or a clause starts ("…, and answer that …").
    r"(?:^|\band\s+|[,;:]\s*)(?:now\s+)?(?:answer|reply|respond|say|state|claim)\s+that\b",
    r"\byou\s+(?:must|should|will|shall)\s+(?:now\s+|always\s+)?(?:answer|reply|respond|say|state)\b",
)
SUBJECT_PRONOUNS = frozenset({"it", "they", "them", "he", "she", "him"})
# Possessives standing for "<topic>'s" (English has no article to put back, hence None).
POSSESSIVES = {"its": None, "their": None, "his": None}
# Subject pronouns put after the verb with a hyphen ("a-t-il", "utilise-t-elle").
INVERSION = False
POSSESSIVE_SUFFIX = ("'s", "’s")
# Connectives opening a follow-up question ("And ...", "What about ...").
FOLLOW_UP_CONNECTIVES = ("and what about", "what about", "how about", "and", "also", "so", "but", "then")
DETERMINERS = frozenset({"the"})
ELISIONS = frozenset()
NEGATIONS = frozenset("not never no none nobody nothing neither nor".split())
NEGATION_SUFFIXES = ("n't", "n’t")
CONJUNCTIONS = frozenset({"and", "or", "&"})
# Words after a comma that open a new clause: "X did A, and Y did B".
CLAUSE_BREAKS = ("and", "but", "while", "whereas")
# Lower-case particles inside personal names ("Ludwig van Beethoven").
NAME_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "del", "della", "du", "bin", "ibn"})
# Abbreviations that end in a dot inside a sentence (written without their final dot).
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st sr jr vs etc e.g i.e cf no nos fig figs vol vols p pp approx ca inc corp ltd co dept
    est ed eds al ch sec esp incl""".split()
)
# Nouns after (or before) which a lower-case token is the name of a program, package, file...
TECHNICAL_NOUNS = {
    **dict.fromkeys("command commands utility tool program".split(), "command"),
    **dict.fromkeys("package packages".split(), "package"),
    **dict.fromkeys(
        "module modules function method class daemon service group option flag variable keyword statement".split(),
        "identifier",
    ),
    **dict.fromkeys("file files directory folder".split(), "filename"),
}
# Endings of inflected English words, which a program's name after a technical noun does not have.
INFLECTION_ENDINGS = ("ing", "ed", "ly")
# Adjectives that stand between an article and a technical noun ("the following command"): not names.
COMMON_ADJECTIVES = frozenset(
    """following same new other main default previous next first last whole single specific appropriate above below
    standard corresponding original actual real simple basic special given current old right wrong correct proper
    entire only own usual normal whole particular relevant necessary required optional additional various several
    certain different similar separate maximum minimum total average""".split()
)
# French-only grammar, empty in English.
PLURAL_NUMBER_WORDS: dict[str, str] = {}
IMPERSONAL_AFTER = ()
IMPERSONAL_INVERTED = ()
IMPERSONAL_BEFORE = ()
ELIDED_CONJUNCTIONS = ()
ADJECTIVE_ENDINGS = ()
# Plural nouns without the plural ending: "how many people", "how many children".
IRREGULAR_PLURALS = frozenset("people children men women data media criteria phenomena mice feet teeth geese".split())
# Nouns of a share: a question with one asks for a percentage ("what share of the audience"); another
# "how many" is not answered by one ("how many people": 22 million, not 41.6 %).
SHARE_WORDS = frozenset("percentage percentages percent share proportion proportions fraction ratio rate".split())
# Those of them that may also be measured in units of their own: "the unemployment rate" is a percentage, "the
# frame rate" 60 frames per second, "the sample rate" 44.1 kHz.
RATE_WORDS = frozenset("rate rates ratio ratios".split())
# Nouns that count without saying what: "how many people use it" is answered by a count of its users,
# "how many kinds of boats" by "8 kinds" or "eight boat types".
GENERIC_COUNTED = frozenset("people persons individuals kinds sorts types varieties".split())
# Words asking for the end of a file's name (".ily"), not the whole name ("ly/property-init.ly").
EXTENSION_WORDS = frozenset("extension extensions suffix suffixes".split())
# People counted by what they are to something, each word with its group (the groups are the same in every
# language): "how many employees" is not answered by a count of users, in any language, however near the words
# are in the vocabulary vectors.
PEOPLE_BY_ROLE = {
    **dict.fromkeys("user users".split(), "users"),
    # An audience is counted as users, viewers, listeners or readers.
    **dict.fromkeys("audience audiences".split(), ("users", "viewers", "listeners", "readers")),
    **dict.fromkeys("employee employees staff worker workers personnel".split(), "employees"),
    **dict.fromkeys("customer customers client clients buyer buyers".split(), "customers"),
    **dict.fromkeys("subscriber subscribers".split(), "subscribers"),
    **dict.fromkeys("member members".split(), "members"),
    **dict.fromkeys("visitor visitors".split(), "visitors"),
    **dict.fromkeys("student students pupil pupils".split(), "students"),
    **dict.fromkeys("teacher teachers".split(), "teachers"),
    **dict.fromkeys("engineer engineers".split(), "engineers"),
    **dict.fromkeys("developer developers".split(), "developers"),
    **dict.fromkeys("shareholder shareholders".split(), "shareholders"),
    **dict.fromkeys("investor investors".split(), "investors"),
    **dict.fromkeys("inhabitant inhabitants resident residents".split(), "inhabitants"),
    **dict.fromkeys("reader readers".split(), "readers"),
    **dict.fromkeys("viewer viewers".split(), "viewers"),
    **dict.fromkeys("listener listeners".split(), "listeners"),
    **dict.fromkeys("follower followers".split(), "followers"),
    **dict.fromkeys("player players".split(), "players"),
    **dict.fromkeys("passenger passengers".split(), "passengers"),
    **dict.fromkeys("patient patients".split(), "patients"),
    **dict.fromkeys("voter voters".split(), "voters"),
}
# Verbs of making, founding, leading or owning, and the nouns of those who do it, each with its kind of doing (the
# kinds are the same in every language): "who created X", "who leads X" ask by their verb for the one who does it
# (a person or a maker), and a passage that says no such doing ("Heron and Gannet Works use it"), or one of
# another kind ("Y, the leader, met…" for "who wrote X"), names no one who does; "whom does the mill welcome" asks
# for no doer. Matched by their stems: past forms that stem otherwise are listed.
AGENT_WORDS = {
    **dict.fromkeys(
        """create created found founded cofound cofounded co-found co-founded establish established start started
        invent invented design designed develop developed build built make made write wrote written author authored
        founder founders creator creators inventor inventors designer designers developer developers maker makers
        writer""".split(),
        "making",
    ),
    **dict.fromkeys(
        """lead leads led head headed run runs ran direct directed manage managed chair chaired ceo president
        director leader leaders chairman chairwoman""".split(),
        "leading",
    ),
    **dict.fromkeys("own owns owned owner owners".split(), "owning"),
}
