"""Question templates and the sentence cues they are drawn from, per language: data only, read by qa.train.generate.

Each kind of fact a manual states has, in each language:

- ``CUES[lang][kind]``: regular expressions over a passage as a reader sees it
  (``Passage.clean``). Named groups: ``answer`` (where the answer starts; the
  generator takes the typed span found there), ``subject`` (what the fact is
  about: a noun phrase), ``goal`` (an infinitive phrase: what a step does),
  ``predicate`` (a verb phrase), ``article``, ``be``, ``participle``, ``verb``,
  ``unit``, ``noun``, ``of``; empty groups mark a cue: ``word`` (a plain word
  may answer there: "defaults to blue"), ``inverse`` (the answer is the
  sentence's subject: "zsh est le shell par défaut").
- ``TEMPLATES[lang][kind]``: questions a user would ask, with the same names
  as slots. The answer never appears in them: it is what they ask for.

A template in another language than the document's is used only for the
kinds whose slots need no translation (``CROSS_LANGUAGE``): an acronym, a
technical token.
"""

from __future__ import annotations

# Kinds of facts (the "kind" field of a generated question).
ACRONYM, DATE, COUNT, LIMIT, DEFAULT = "acronym", "date", "count", "limit", "default"
COMMAND, OPTION, PATH, KEYWORD, SHORTCUT, MENU = "command", "option", "path", "keyword", "shortcut", "menu"
TERM, ALIAS, HOWTO = "term", "alias", "howto"
KINDS = (ACRONYM, DATE, COUNT, LIMIT, DEFAULT, COMMAND, OPTION, PATH, KEYWORD, SHORTCUT, MENU, TERM, ALIAS, HOWTO)

# A noun phrase of one to six words (checked further by the generator: no grammar word at its ends).
_NP = r"[\w][\w.+/'’-]*(?: [\w][\w.+/'’-]*){0,5}?"
_NP_LONG = r"[\w][\w.+/'’-]*(?: [\w][\w.+/'’-]*){0,11}?"  # with a relative clause: "a package that ..."
# A verb in the third person opening a predicate ("lists", "makes"), not "is", "was" or "this".
_VERB_S = r"(?!(?:is|was|has|does|this|its|as|us|thus|plus|less|unless|always|sometimes|perhaps)\b)[a-z]{2,}s\b"
# A French verb in the third person opening a predicate ("affiche", "permet"), not a grammar word.
_VERB_3_FR = (
    r"(?!(?:est|cette|une|elle|même|comme|entre|contre|avant|tout|fait|sans|dont|que|qui|et|peut|doit)\b)"
    r"[a-zéèêàâîôûç]{3,}(?:e|t)\b"
)
_PATH_WORDS_EN = (
    r"stored|kept|located|found|defined|configured|listed|saved|written|placed|installed|specified|declared|recorded|"
    r"described|put|shipped|created|generated"
)
_PATH_WORDS_FR = (
    r"(?:stocké|enregistré|situé|défini|configuré|placé|installé|conservé|décrit|listé|rangé|sauvegardé|déclaré|mis|"
    r"créé|généré)(?:e|s|es)?"
)
# A technical name whose default a manual states: "core.editor", "MAX_SIZE".
_TOKEN = r"[A-Za-z][\w-]*[._][\w.-]*\w|[A-Z][A-Z0-9]*_[A-Z0-9_]+"
# The same, capitalised, opening a description ("Shows the ...").
_VERB_S_CAP = r"(?!(?:Is|Was|Has|Does|This|Its|As|Thus|Unless|Always|Sometimes|Perhaps)\b)[A-Z][a-z]+s\b"
# An option as a reference's option list names it: "--unified=<n>", "-U<n>", "--[no-]color".
_OPTION_TERM = r"--?[A-Za-z][\w-]*(?:=\S+|\[=\S+\]|<\w+>)?"
# A phrase running to the end of the clause.
_REST = r"[^.;:!?(),]{6,140}?"

CUES = {
    "en": {
        DEFAULT: (
            rf"\b[Tt]he default (?P<subject>{_NP}) (?:is|are) (?:set to )?(?P<answer>\S)",
            rf"(?:^|, )[Tt]he (?P<subject>{_NP}) defaults to (?P<word>)(?P<answer>\S)",
            rf"\b[Bb]y default,? the (?P<subject>{_NP}) (?:is|are) (?:set to )?(?P<answer>\S)",
            rf"(?:^|, )(?P<answer>\S+) is the default (?P<subject>{_NP})(?P<word>)(?=[.,;:]| (?:for|in|on|when|if|of)\b)",
            rf"^(?P<subject>{_TOKEN}) defaults to (?P<word>)(?P<answer>\S)",
            rf"\b(?P<subject>{_TOKEN}) \((?:default|defaults to):? (?P<answer>\S)",
        ),
        ACRONYM: (
            r"\b(?P<subject>[A-Z][A-Z0-9]{1,7}) (?:stands for|is short for|is an abbreviation (?:of|for)|is an acronym "
            r"(?:of|for)) (?P<answer>[^,.;:()]{3,80})",
        ),
        COUNT: (
            rf"(?:^|, )(?P<article>[Tt]he|[Aa]n?|[Ee]ach|[Ee]very) (?P<subject>{_NP}) "
            r"(?P<verb>has|have|contains|contain|holds|hold|uses|use|takes|take|consists of|supports|support|accepts|accept) "
            r"(?:at most |up to |exactly |only )?(?P<answer>\d)",
        ),
        LIMIT: (
            rf"(?:^|, )(?P<article>[Tt]he|[Aa]n?|[Ee]ach) (?P<subject>{_NP}) (?:must|should|can|may|cannot|can't) "
            r"(?:not )?(?:be )?(?:longer than|more than|exceed|at most|up to|no (?:longer|more) than) (?P<answer>\d)",
            rf"\b[Tt]he (?P<max>maximum) (?P<subject>{_NP}) (?:is|are) (?P<answer>\d)",
        ),
        DATE: (
            r"(?:^|, )(?P<subject>(?:[Tt]he )?[A-Z][\w.+-]*(?: [\w.+-]+){0,4}?) (?P<be>was|were) "
            r"(?P<participle>(?:first )?(?:released|published|founded|created|introduced|started|begun|written|announced|"
            r"adopted|added|designed|developed|launched|frozen|renamed|approved|formed)) (?:in|on) (?P<answer>\S)",
        ),
        COMMAND: (
            r"^[Tt]he (?P<answer>\S+) (?P<noun>command|program|utility|tool) (?P<predicate>(?:is used to|can be used to|"
            rf"{_VERB_S})[^.;:!?]{{6,120}})",
            rf"^(?:[Yy]ou can )?(?:[Uu]se|[Rr]un|[Tt]ype|[Ee]xecute|[Ii]nvoke) (?:the )?(?P<answer>\S)[^,;]*? "
            rf"(?:command )?to (?P<goal>{_REST})[.;]",
            rf"^[Tt]o (?P<goal>{_REST}), (?:you can |you should |you must |simply )?(?:use|run|type|execute|invoke|enter) "
            r"(?:the (?:command )?)?(?P<answer>\S)",
            rf"^(?P<answer>\S+) is an? (?:[\w-]+ ){{0,2}}?(?P<noun>tool|program|utility|command|script|daemon) "
            rf"(?:that|which) (?P<predicate>{_VERB_S}[^.;:!?]{{6,120}})",
            rf"^(?P<answer>\S+) is an? (?:[\w-]+ ){{0,2}}?(?P<noun>tool|program|utility|command|script) to (?P<goal>{_REST})[.;]",
        ),
        OPTION: (
            rf"^[Tt]he (?P<answer>--?\w\S*) (?P<noun>option|flag|switch) (?P<predicate>(?:is used to|{_VERB_S})[^.;:!?]{{6,120}})",
            rf"^(?:[Yy]ou can )?[Uu]se (?:the )?(?P<answer>--?\w\S*) (?:option |flag |switch )?to (?P<goal>{_REST})[.;]",
            # A reference's option list: "--unified=<n>: Generate diffs with <n> lines of context."
            rf"^(?P<answer>{_OPTION_TERM}):{{0,2}} (?P<described>)(?P<goal>(?!{_VERB_S_CAP})[A-Z][a-z]+ [^.;:!?()]{{6,140}})\.?$",
            rf"^(?P<answer>{_OPTION_TERM}):{{0,2}} (?P<described>)(?P<predicate>{_VERB_S_CAP}[^.;:!?()]{{6,120}})\.?$",
        ),
        KEYWORD: (
            r"^[Tt]he (?P<answer>\S+) (?P<noun>keyword|statement|function|method|macro|directive|variable|field|"
            rf"setting|module|package|environment) (?P<predicate>(?:is used to|{_VERB_S})[^.;:!?]{{6,120}})",
            rf"^(?P<answer>\S+) is an? (?:[\w-]+ ){{0,2}}?(?P<noun>package|library|module|function|variable|field) "
            rf"(?:that|which) (?P<predicate>{_VERB_S}[^.;:!?]{{6,120}})",
        ),
        PATH: (
            rf"(?:^|, )(?P<article>[Tt]he|[Aa]ll|[Ee]ach|[Yy]our)? ?(?P<subject>{_NP}) (?P<be>is|are) "
            r"(?P<participle>stored|kept|located|found|defined|configured|listed|saved|written|placed|installed|"
            r"specified|declared|recorded|described) in (?:the (?:file|directory|folder) )?(?P<answer>[/~$.])",
            rf"(?:^|, )(?P<article>[Tt]he|[Aa]ll|[Ee]ach|[Yy]our)? ?(?P<subject>{_NP}) (?P<modal>must|should|can|may) be "
            rf"(?P<participle>{_PATH_WORDS_EN}) in (?:the (?:file|directory|folder) )?(?P<answer>[/~$.])",
            r"^[Tt]he (?:file|directory) (?P<answer>[/~$.\w]\S*) (?P<predicate>(?:contains|holds|lists|defines|describes|"
            r"controls|configures|specifies|stores)[^.;:!?]{6,120})",
        ),
        SHORTCUT: (
            rf"(?:^|, )(?:[Pp]ress|[Tt]ype|[Hh]it|[Uu]se) (?P<answer>\S)[^,;]*? to (?P<goal>{_REST})[.;]",
            rf"^[Tt]o (?P<goal>{_REST}), (?:press|type|hit|use) (?P<answer>\S)",
        ),
        MENU: (
            rf"^[Tt]o (?P<goal>{_REST}), (?:select|choose|click|go to|open|use) (?:the )?(?P<answer>\S)",
            rf"(?:^|, )(?:[Ss]elect|[Cc]hoose|[Cc]lick|[Gg]o to|[Oo]pen) (?:the )?(?P<answer>\S)[^,;]*? to (?P<goal>{_REST})[.;]",
        ),
        TERM: (
            rf"^(?P<article>[Aa]n?|[Tt]he) (?P<subject>{_NP_LONG}) (?P<be>is|are) (?:usually |often |commonly |also )?"
            r"(?:called|known as|referred to as|named|termed) (?P<answer>\S)",
        ),
        ALIAS: (
            rf"(?:^|, )(?P<article>[Tt]he |[Aa]n? )?(?P<subject>{_NP}), (?:also|sometimes|often) (?:known as|called|named|"
            r"referred to as) (?P<answer>\S)",
        ),
        HOWTO: (
            rf"^[Tt]o (?P<goal>{_REST}),? (?:follow these steps|do the following|proceed as follows|run|type|use)\b",
        ),
        # Headings that name a task: "How to build a package".
        "heading": (r"^[Hh]ow to (?P<goal>.{6,100}?)\??$", r"^[Hh]ow do I (?P<goal>.{6,100}?)\??$"),
    },
    "fr": {
        DEFAULT: (
            rf"\b[Ll]a valeur par défaut (?P<of>de la |de l'|du |des |de |d')(?P<subject>{_NP}) (?:est|vaut) (?P<answer>\S)",
            rf"^[Pp]ar défaut,? (?P<article>le |la |les |l')(?P<subject>{_NP}) (?:est|vaut|sont|valent) (?P<answer>\S)",
            rf"^(?P<answer>\S+) est (?P<article>le |la )(?P<subject>{_NP}) par défaut(?P<inverse>)(?P<word>)",
            rf"^(?P<subject>{_TOKEN}) vaut (?P<word>)(?P<answer>\S+) par défaut",
            rf"\b(?P<subject>{_TOKEN}) \((?:par défaut|défaut) ?:? (?P<answer>\S)",
        ),
        ACRONYM: (
            r"\b(?P<subject>[A-Z][A-Z0-9]{1,7}) (?:signifie|veut dire|est l'abréviation de|est le sigle de|est l'acronyme "
            r"de) (?P<answer>[^,.;:()]{3,80})",
        ),
        COUNT: (
            rf"(?:^|, )(?P<article>[Ll]e|[Ll]a|[Ll]es|[Uu]n|[Uu]ne|[Cc]haque) (?P<subject>{_NP}) "
            r"(?P<verb>a|ont|contient|contiennent|comporte|comportent|compte|comptent|possède|possèdent|accepte|acceptent|"
            r"utilise|utilisent) (?:au plus |jusqu'à |exactement |seulement )?(?P<answer>\d)",
        ),
        LIMIT: (
            rf"\b[Ll]a (?P<max>taille|longueur) maximale (?P<of>de la |de l'|du |des |de |d')(?P<subject>{_NP}) est (?:de )?"
            r"(?P<answer>\d)",
        ),
        DATE: (
            r"(?:^|, )(?P<subject>(?:[Ll]e |[Ll]a |[Ll]es |[Ll]')?[A-Z][\w.+-]*(?: [\w.+-]+){0,4}?) "
            r"(?P<be>a été|ont été|est|sont) (?P<participle>(?:publié|sorti|fondé|créé|lancé|adopté|introduit|écrit|"
            r"annoncé|ajouté|conçu|développé|gelé|renommé|approuvé)(?:e|s|es)?) (?:en|le|au|début|fin) (?P<answer>\S)",
        ),
        COMMAND: (
            rf"^[Ll]a (?P<noun>commande) (?P<answer>\S+) (?P<predicate>{_VERB_3_FR}[^.;:!?]{{6,120}})",
            r"^(?P<answer>\S+) est un (?:[\w-]+ ){0,2}?(?P<noun>outil|programme|utilitaire|script|démon) qui "
            r"(?P<predicate>[^.;:!?]{6,120})",
            rf"^[Pp]our (?P<goal>{_REST}), (?:il suffit d'|on peut |vous pouvez |il faut )?(?:utilisez|utiliser|lancez|lancer|"
            r"exécutez|exécuter|tapez|taper|saisissez|saisir|invoquez) (?:la commande )?(?P<answer>\S)",
            rf"^(?:[Uu]tilisez|[Ll]ancez|[Ee]xécutez|[Tt]apez) (?:la commande )?(?P<answer>\S)[^,;]*? pour (?P<goal>{_REST})[.;]",
        ),
        OPTION: (
            r"^[Ll]'(?P<noun>option) (?P<answer>--?\w\S*) (?P<predicate>(?:permet|sert|affiche|indique|force|désactive|"
            r"active|empêche|ajoute|supprime|rend)\b[^.;:!?]{6,120})",
            rf"^[Uu]tilisez (?:l'option )?(?P<answer>--?\w\S*) (?:option )?pour (?P<goal>{_REST})[.;]",
            rf"^(?P<answer>{_OPTION_TERM}):{{0,2}} (?P<described>)(?P<goal>[A-ZÉ][a-zéèêàç]+(?:er|ir|re) [^.;:!?()]{{6,140}})\.?$",
        ),
        KEYWORD: (
            r"^(?:[Ll]a|[Ll]e|[Ll]') ?(?P<noun>fonction|variable|directive|macro|paquet|module|instruction|paramètre|"
            r"champ|mot-clé) (?P<answer>\S+) (?P<predicate>(?:permet|sert|affiche|indique|contient|définit|crée|renvoie|"
            r"retourne|fournit|installe|gère|contrôle)\b[^.;:!?]{6,120})",
            r"^(?P<answer>\S+) est une? (?:[\w-]+ ){0,2}?(?P<noun>paquet|bibliothèque|module|fonction|variable|champ) qui "
            r"(?P<predicate>[^.;:!?]{6,120})",
        ),
        PATH: (
            rf"(?:^|, )(?P<article>[Ll]e |[Ll]a |[Ll]es |[Ll]')(?P<subject>{_NP}) (?P<be>est|sont) "
            r"(?P<participle>(?:stocké|enregistré|situé|défini|configuré|placé|installé|conservé|décrit|listé|rangé|"
            r"sauvegardé|déclaré)(?:e|s|es)?) dans (?:le fichier |le répertoire |le dossier )?(?P<answer>[/~$.])",
            rf"(?:^|, )(?P<article>[Ll]e |[Ll]a |[Ll]es |[Ll]')(?P<subject>{_NP}) (?P<modal>doit|doivent|peut|peuvent) être "
            rf"(?P<participle>{_PATH_WORDS_FR}) dans (?:le fichier |le répertoire |le dossier )?(?P<answer>[/~$.])",
            r"^[Ll]e (?:fichier|répertoire) (?P<answer>[/~$.\w]\S*) (?P<predicate>(?:contient|liste|définit|décrit|"
            r"contrôle|configure|indique|stocke)\b[^.;:!?]{6,120})",
        ),
        SHORTCUT: (
            rf"(?:^|, )(?:[Aa]ppuyez sur|[Tt]apez|[Uu]tilisez) (?P<answer>\S)[^,;]*? pour (?P<goal>{_REST})[.;]",
            rf"^[Pp]our (?P<goal>{_REST}), (?:appuyez sur|tapez|utilisez) (?P<answer>\S)",
        ),
        MENU: (
            rf"^[Pp]our (?P<goal>{_REST}), (?:sélectionnez|choisissez|cliquez sur|allez dans|ouvrez) (?:le menu )?(?P<answer>\S)",
        ),
        TERM: (
            rf"^(?P<article>[Uu]n|[Uu]ne|[Ll]e|[Ll]a|[Ll]es|[Ll]') ?(?P<subject>{_NP_LONG}) (?:est|sont) "
            r"(?:généralement |souvent |aussi |également )?(?:appelée?s?|nommée?s?|dite?s?|désignée?s? sous le nom d[e'])"
            r" ?(?P<answer>\S)",
        ),
        ALIAS: (
            rf"(?:^|, )(?P<article>[Ll]e |[Ll]a |[Ll]es |[Ll]'|[Uu]n |[Uu]ne )?(?P<subject>{_NP}), (?:aussi|également|parfois) "
            r"(?:appelée?s?|nommée?s?|connue?s? sous le nom d[e']) ?(?P<answer>\S)",
        ),
        HOWTO: (
            rf"^[Pp]our (?P<goal>{_REST}),? (?:procédez comme suit|suivez ces étapes|faites comme suit|tapez|lancez)\b",
        ),
        "heading": (r"^[Cc]omment (?P<goal>.{6,100}?)\s*\??$",),
    },
}

# Questions: "{slot}" is filled with what the cue's group of that name matched (made fit for a question).
TEMPLATES = {
    "en": {
        ACRONYM: (
            "What does {acronym} stand for?",
            "What is {acronym} short for?",
            "What does the acronym {acronym} mean?",
        ),
        DEFAULT: ("What is the default {subject}?",),
        "default_token": ("What is the default value of {token}?",),
        COUNT: ("How many {unit} {does} {article} {subject} {verb}?",),
        LIMIT: ("How long can {article} {subject} be?",),
        "limit_max": ("What is the maximum {subject}?",),
        DATE: ("When was {subject} {participle}?", "In what year was {subject} {participle}?"),
        COMMAND: (
            "Which {noun} {predicate}?",
            "Which command do I run to {goal}?",
            "What command can I use to {goal}?",
        ),
        "tool": ("What should I use to {goal}?", "What do I use to {goal}?"),
        OPTION: ("Which {noun} {predicate}?", "Which option do I use to {goal}?", "Which option {predicate}?"),
        KEYWORD: ("Which {noun} {predicate}?",),
        PATH: ("Where {be} {article} {subject} {participle}?", "Which file {predicate}?"),
        "path_modal": ("Where {modal} {article} {subject} be {participle}?",),
        SHORTCUT: ("Which key do I press to {goal}?", "What is the keyboard shortcut to {goal}?"),
        MENU: ("Which menu entry do I use to {goal}?", "Where in the menus can I {goal}?"),
        TERM: ("What {be} {article} {subject} called?", "What do you call {article} {subject}?"),
        ALIAS: ("What is another name for {article} {subject}?", "What else is {article} {subject} called?"),
        HOWTO: ("How do I {goal}?", "How can I {goal}?", "What are the steps to {goal}?"),
    },
    "fr": {
        ACRONYM: (
            "Que signifie le sigle {acronym} ?",
            "Que veut dire {acronym} ?",
            "De quoi {acronym} est-il l'abréviation ?",
        ),
        DEFAULT: ("Quelle est la valeur par défaut {of}{subject} ?", "Que vaut {article}{subject} par défaut ?"),
        "default_token": ("Quelle est la valeur par défaut de {token} ?",),
        "default_is": ("{which} est {article}{subject} par défaut ?",),
        COUNT: ("Combien {de}{unit} {verb} {article} {subject} ?",),
        "limit_max": ("Quelle est la {max} maximale {of}{subject} ?",),
        DATE: ("Quand {subject} {be} {participle} ?", "En quelle année {subject} {be} {participle} ?"),
        COMMAND: ("{which} {noun} {predicate} ?", "Quelle commande faut-il utiliser pour {goal} ?", "Comment {goal} ?"),
        "tool": ("Que faut-il utiliser pour {goal} ?", "Qu'utiliser pour {goal} ?"),
        OPTION: (
            "{which} {noun} {predicate} ?",
            "Quelle option faut-il utiliser pour {goal} ?",
            "Quelle option {predicate} ?",
        ),
        KEYWORD: ("{which} {noun} {predicate} ?",),
        PATH: ("Où {article}{subject} {be} {participle} ?", "Quel fichier {predicate} ?"),
        "path_modal": ("Où {article}{subject} {modal} être {participle} ?",),
        SHORTCUT: ("Sur quelle touche faut-il appuyer pour {goal} ?", "Quel raccourci clavier permet de {goal} ?"),
        MENU: ("Quel menu faut-il utiliser pour {goal} ?", "Où trouver dans les menus de quoi {goal} ?"),
        TERM: ("Comment appelle-t-on {article}{subject} ?", "Quel nom donne-t-on à {article}{subject} ?"),
        ALIAS: ("Quel est l'autre nom {of}{subject} ?", "Sous quel autre nom connaît-on {article}{subject} ?"),
        HOWTO: ("Comment {goal} ?", "Comment faire pour {goal} ?", "Quelles sont les étapes pour {goal} ?"),
    },
}

# Kinds whose slots are the same in every language (an acronym, a technical token): asked in the other language too.
CROSS_LANGUAGE = (ACRONYM, "default_token")

# Rewriting the reader's person as the asker's, in a goal or a predicate ("your files" -> "my files").
PERSON_SWAPS = {
    "en": {"your": "my", "yours": "mine", "yourself": "myself", "you": "I", "you are": "I am", "you were": "I was",
           "you'll": "I'll", "you're": "I'm", "you've": "I've", "lets you": "lets me", "helps you": "helps me",
           "allows you": "allows me", "tells you": "tells me", "gives you": "gives me", "shows you": "shows me",
           "asks you": "asks me", "for you": "for me", "to you": "to me", "with you": "with me", "let you": "let me",
           "help you": "help me", "allow you": "allow me"},
    "fr": {"vos": "mes", "vous": "me", "votre": "mon", "vous pouvez": "je peux", "vous voulez": "je veux",
           "vous devez": "je dois", "vous avez": "j'ai", "vous êtes": "je suis"},
}  # fmt: skip
# The reader's person where no swap reads right ("si vous utilisez": the verb would change too): no question.
UNSWAPPABLE = {"en": r"(?!)", "fr": r"\bvous (?!pouvez|voulez|devez|avez|êtes)\w+ez\b"}
# Base forms of the verbs COUNT's cues read ("has" -> "have"), for "How many ... does it have?".
BASE_VERBS = {
    "en": {"has": "have", "contains": "contain", "holds": "hold", "uses": "use", "takes": "take",
           "consists of": "consist of", "supports": "support", "accepts": "accept"},
    "fr": {"a": "possède", "ont": "possèdent"},
}  # fmt: skip
# Verbs that need a plural subject ("have", "ont"): their question keeps the subject's number.
PLURAL_VERBS = {"en": frozenset({"have", "contain", "hold", "use", "take", "support", "accept"}), "fr": frozenset()}
# The French pronoun that repeats a subject in an inverted question, read off the participle's agreement.
PARTICIPLE_PRONOUNS = {
    "fr": (("ées", "elles"), ("ée", "elle"), ("és", "ils"), ("es", "elles"), ("s", "ils"), ("e", "elle"), ("", "il"))
}
# "which" in French agrees with the noun it asks about.
WHICH_BY_GENDER = {"en": {}, "fr": {"f": "Quelle", "m": "Quel"}}
# Articles that tell a French noun's gender.
ARTICLE_GENDERS = {"en": {}, "fr": {"le": "m", "un": "m", "la": "f", "une": "f"}}
FEMININE_NOUNS = {
    "fr": frozenset({"commande", "option", "fonction", "variable", "directive", "macro", "instruction", "bibliothèque"})
}
# Units a LIMIT answer may carry that make "How long can X be?" fitting.
LENGTH_UNITS = {"en": frozenset({"characters", "chars", "bytes", "lines", "columns", "words", "digits", "letters"}),
                "fr": frozenset({"caractères", "octets", "lignes", "colonnes", "mots", "chiffres", "lettres"})}  # fmt: skip
# Words saying a passage spells out an acronym, or states a kind of fact: an unanswerable question about
# a subject is kept only when no passage holds the subject near these.
FACT_WORDS = {
    ACRONYM: frozenset({"stand", "stands", "short", "abbreviation", "acronym", "means", "signifie", "sigle",
                        "acronyme", "abreviation"}),
    DEFAULT: frozenset({"default", "defaults", "defaut"}),
    COUNT: frozenset(),
    DATE: frozenset(),
    PATH: frozenset(),
}  # fmt: skip
# Words that cannot open or close a subject noun phrase beyond the language's grammar words.
NOT_SUBJECT = {
    "en": frozenset({"it", "this", "that", "these", "those", "there", "which", "what", "following", "above", "below",
                     "latter", "former", "same", "other", "different", "particular", "entire", "various", "certain"}),
    "fr": frozenset({"il", "elle", "ce", "cela", "ceci", "ils", "elles", "suivant", "suivante", "ci-dessus",
                     "ci-dessous", "même", "autre", "dernier", "dernière", "certain", "certaine", "ici"}),
}  # fmt: skip
# Words that leave a goal, a subject or a predicate pointing elsewhere ("check that this works"): such a
# question means nothing without the document, so none is asked.
VAGUE = {
    "en": r"\b(?:this|these|those|it|them|such|above|below|following|latter|former|here|there)\b",
    "fr": r"(?:\b(?:cela|ceci|ça|cette|ces|celui|celle|ci-dessus|ci-dessous|suivante?s?|précédente?s?|ici|là|le cas)\b"
    r"|\b(?:c'|ce\b))",
}
# What a goal opens with: an infinitive ("list the files", "afficher la liste", "se connecter").
INFINITIVE = {
    "en": r"[a-z][a-z-]+\b",
    "fr": r"(?:(?:se |s'|me |m'|vous |les |le |la |l'|en |y )?)[a-zàâçéèêëîïôûùüÿœ-]+(?:er|ir|re|oir)\b",
}
# Nouns that name no particular thing alone: "What is the default value?" asks about nothing.
GENERIC_NOUNS = {
    "en": frozenset(
        {
            "value",
            "values",
            "setting",
            "settings",
            "one",
            "index",
            "option",
            "behavior",
            "behaviour",
            "mode",
            "number",
            "default",
            "limit",
            "size",
            "name",
        }
    ),
    "fr": frozenset(
        {
            "valeur",
            "valeurs",
            "paramètre",
            "réglage",
            "option",
            "comportement",
            "mode",
            "nombre",
            "limite",
            "taille",
            "nom",
        }
    ),
}
# Words opening a relative clause: a subject holding one is a clause, not a noun phrase (TERM's excepted).
RELATIVES = {"en": "that|which|who|whom", "fr": "qui|que|dont|lequel|laquelle"}
# Words that mark an infinitive after them ("to list", "pour lister"): a verb is a word the folder writes there.
INFINITIVE_MARKERS = {"en": ("to",), "fr": ("pour", "de", "d'")}
