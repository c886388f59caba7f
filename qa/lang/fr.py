"""French: data only, read by qa.lang's grammars. General vocabulary and grammar, never words of a document.

Words are written in lower case with their accents; qa.lang folds them where it compares folded text.
"""

CODE = "fr"
NAME = "French"
STEMMER = "french"
LETTERS = "àâæçéèêëîïôœùûüÿ"

# Grammar words: left out of indexing and matching. Changing this list changes the index terms.
FUNCTION_WORDS = frozenset(
    """a à afin ai aie aient ainsi alors as au aucun aucune aupres auquel aussi autre autres aux auxquels avaient
    avais avait avant avec avez aviez avions avoir avons ayant c ça car ce ceci cela celle celles celui cependant
    ces cet cette ceux chaque chez ci comme comment d dans de dont des desquels deux donc du duquel elle elles
    en encore entre es est et étaient étais était etc été êtes étiez étions être eu eue eurent eus eut eux fait
    fut furent fus ici il ils j je jusqu l la là laquelle le lequel les lesquels leur leurs lors lorsque lui m
    ma mais me même mêmes mes moi moins mon n ne ni nos notre nous on ont or ou où par parce pas pendant peu
    peut plus plutôt pour pourquoi qu quand que quel quelle quelles quels qui quoi s sa sans se selon ses si
    sien soi soit sommes son sont sous suis sur t ta te tes toi ton tous tout toute toutes très tu un une
    vers via voici voilà vos votre vous y a-t-il est-ce combien depuis déjà plusieurs certains certaines
    quelques chacun chacune quiconque""".split()
)
TELLING_WORDS = frozenset(
    """a-t-elle a-t-on a-t-ils a-t-elles est-il est-elle sont-ils sont-elles peut-on faut-il doit-on puis-je
    dois-je s'agit-il aujourd'hui""".split()
)
SENTENCE_OPENERS = frozenset(
    """oui non aujourd'hui hier demain actuellement récemment enfin ensuite puis désormais néanmoins toutefois
    pourtant également notamment finalement premièrement deuxièmement bref voilà note attention exemple
    d'abord hors grâce malgré parmi durant dès contre sauf outre environ plusieurs certains certaines quelques
    tel telle tels telles""".split()
)
COMMON_ENDINGS = (
    "ment",
    "tion",
    "tions",
    "é",
    "ée",
    "és",
    "ées",
    "ait",
    "aient",
    "ant",
    "eur",
    "eurs",
    "ique",
    "iques",
)

MONTHS = {
    "janvier": 1, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "août": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
}  # fmt: skip
MONTH_ABBREVIATIONS = {
    "janv": 1, "févr": 2, "fév": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10, "nov": 11, "déc": 12,
}  # fmt: skip
AMBIGUOUS_MONTHS = frozenset({"mars"})
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAY_ABBREVIATIONS: dict[str, int] = {}
DAY_WORDS = frozenset({"jour"})  # "le vingtième jour de janvier"
DATE_ARTICLES = frozenset({"le", "la", "l'", "du", "au", "cette"})
DATE_OF = frozenset({"de", "d'"})
DATE_PARTS = {"début": "start", "mi": "middle", "milieu": "middle", "fin": "end"}
PERIOD_WORDS = {"mois": "month", "année": "year", "an": "year"}
YEAR_CONTEXT = frozenset(
    "en depuis dès de d' jusqu'en avant après pendant vers entre et à année an courant fin début mi l'an".split()
)

NUMBER_WORDS = {
    "zéro": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
    "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60, "septante": 70, "huitante": 80,
    "octante": 80, "nonante": 90, "cent": 100, "mille": 1000, "douzaine": 12,
}  # fmt: skip
# Plural forms the grammar accepts after a multiplier: "quatre-vingts", "deux cents".
PLURAL_NUMBER_WORDS = {"vingts": "vingt", "cents": "cent", "douzaines": "douzaine"}
DOZENS = frozenset({"douzaine"})
AMBIGUOUS_NUMBER_WORDS = frozenset({"un", "une"})
ONE_ARTICLES = frozenset({"un", "une"})
NUMBER_JOINERS = frozenset({"et"})  # "vingt et un", "soixante et onze"
ORDINALS = {
    "premier": 1, "première": 1, "unième": 1, "second": 2, "seconde": 2, "deuxième": 2, "troisième": 3,
    "quatrième": 4, "cinquième": 5, "sixième": 6, "septième": 7, "huitième": 8, "neuvième": 9, "dixième": 10,
    "onzième": 11, "douzième": 12, "treizième": 13, "quatorzième": 14, "quinzième": 15, "seizième": 16,
    "vingtième": 20, "trentième": 30, "quarantième": 40, "cinquantième": 50, "soixantième": 60,
    "centième": 100, "millième": 1000,
}  # fmt: skip
COMMON_ORDINALS = frozenset({"premier", "première", "second", "seconde"})
ORDINAL_SUFFIXES = ("er", "re", "ère", "e", "ème", "eme", "ième", "ieme", "nd", "nde")
# French "billion" is a million million (English "trillion").
SCALES = {
    "mille": 10**3, "millier": 10**3, "milliers": 10**3, "million": 10**6, "millions": 10**6, "milliard": 10**9,
    "milliards": 10**9, "billion": 10**12, "billions": 10**12, "trillion": 10**18, "trillions": 10**18,
}  # fmt: skip
SCALE_ABBREVIATIONS = {"k": 10**3, "M": 10**6, "m": 10**6, "Md": 10**9, "md": 10**9, "Mds": 10**9, "mds": 10**9}
PERCENT_WORDS = ("pour cent", "pourcent", "pour-cent")
CURRENCIES = {
    "euro": "EUR", "euros": "EUR", "dollar": "USD", "dollars": "USD", "livres sterling": "GBP",
    "livre sterling": "GBP", "yen": "JPY", "yens": "JPY", "yuan": "CNY", "yuans": "CNY", "franc": "CHF",
    "francs": "CHF", "roupie": "INR", "roupies": "INR", "rouble": "RUB", "roubles": "RUB", "won": "KRW",
    "wons": "KRW",
}  # fmt: skip
# Nouns naming what a quantity measures ("combien de temps"), and the units that measure it.
MEASURES = {"temps": "duration", "durée": "duration", "délai": "duration", "période": "duration"}
UNITS = dict.fromkeys(
    """seconde secondes s minute minutes min heure heures h jour jours journée journées semaine semaines mois
    an ans année années ms milliseconde millisecondes""".split(),
    "duration",
)
UNIT_LINKS = frozenset({"de", "d'"})  # "22 millions d'utilisateurs", "1,5 milliard de dollars"
# Nouns before a number that says where something is, not how much ("section 1.1", "page 12").
REFERENCE_NOUNS = frozenset(
    """section sections chapitre chapitres figure fig tableau tableaux page pages p annexe partie étape ligne lignes colonne colonnes port équation note exemple paragraphe""".split()
)

QUESTION_PHRASES = (
    ("quand", "date"),
    ("depuis quand", "date"),
    ("jusqu'a quand", "date"),
    ("combien", "quantity"),
    ("qui", "person"),
    ("a qui", "person"),
    ("de qui", "person"),
    ("par qui", "person"),
)
MONEY_VERBS = frozenset(
    """coute coutent coute-t-il coute-t-elle coutera coute coutait paye payent payee paie paient gagne gagnent
    vaut valent investi leve levee depense depensee rapporte vendu""".split()
)
HOW_PATTERNS = (
    r"comment (?:faire|fait-on|peut-on|puis-je|doit-on|dois-je|faut-il|on|je|est-ce qu)\b",
    r"comment (?:(?:s'|se |me |m'|l'|le |la |les )?[a-z-]+(?:er|ir|re))\b",
    r"que (?:faut-il|dois-je|doit-on) faire\b",
    r"quelle est la (?:meilleure |bonne )?(?:facon|maniere|methode|procedure) (?:de|d'|pour)\b",
)
# "Quand" demandant dans quel cas, non à quelle date : "quand faut-il utiliser un tuple", "quand choisir X".
# Un verbe de choix ou d'usage le dit ; sans lui, "quand faut-il payer la taxe" demande une date, et un
# mot en -er ou -ir après "quand" est aussi bien un nom ("quand l'hiver commence-t-il").
CONDITION_PATTERNS = (
    r"quand (?:(?:faut-il|dois-je|doit-on|devrait-on|peut-on|puis-je|convient-il|vaut-il mieux) )?"
    r"(?:(?:s'|se |me |m'|l'|le |la |les )?(?:utiliser|employer|choisir|preferer|eviter|appeler|lancer|executer"
    r"|activer|desactiver|recourir))\b",
    r"quand (?:est-il|est-ce) (?:\w+ )?(?:necessaire|utile|preferable|conseille|recommande|judicieux)\b",
)
COMMAND_PATTERNS = (
    r"(?:que|qu'est-ce que|qu'est-ce qu'il) (?:dois-je|doit-on|faut-il|peut-on|puis-je|je dois|on doit|il faut) "
    r"(?:taper|saisir|lancer|executer|entrer)\b",
    r"quelle ligne de commandes?\b",
)
WHERE_WORDS = frozenset({"où"})
STORAGE_VERBS = frozenset(
    """stocke stockes stockee stockees stocker stockent range ranges rangee rangees ranger rangent conserve conserves
    conservee conservees conserver conservent enregistre enregistres enregistree enregistrees enregistrer place
    places placee placees installe installes installee installees sauvegarde sauvegardes sauvegardee garde gardes
    gardee met mis mise mettre ecrit ecrits ecrite""".split()
)
SAYING_VERBS = frozenset("dit declare affirme annonce repondu ecrit explique".split())
WHICH_WORDS = frozenset({"quel", "quelle", "quels", "quelles", "lequel", "laquelle", "lesquels", "lesquelles"})
PLURAL_WHICH_WORDS = frozenset({"quels", "quelles", "lesquels", "lesquelles"})
WHO_WORDS = frozenset({"qui"})
COPULAS = frozenset({"est", "était", "sont", "étaient"})
PLURAL_COPULAS = frozenset({"sont", "étaient"})
AMOUNT_PHRASES = frozenset({"combien"})
ARTICLES = frozenset({"un", "une", "le", "la", "les", "l'", "d'", "de", "du", "des"})
NOUN_LINKS = frozenset({"de", "d'", "du", "des"})
# Keyboard keys as manuals name them: modifiers ("Ctrl+") and named keys ("Ctrl+Entrée"), as written.
MODIFIER_KEYS = "Ctrl Alt AltGr Maj Shift Cmd Fn"
KEY_NAMES = "Entrée Échap Tab Tabulation Espace Suppr Retour Début Fin Inser Haut Bas Gauche Droite"
# Small words between two capitalised words of a menu item ("Gestion des Comptes").
MENU_LINKS = "de du des la le les et sous en à"
KIND_NOUNS = {
    **dict.fromkeys(
        """entreprise entreprises société sociétés firme firmes constructeur constructeurs fabricant fabricants
        éditeur éditeurs organisme organismes agence agences gouvernement université universités école écoles
        banque banques marque marques produit produits modèle modèles application applications logiciel logiciels
        plateforme plateformes service services site sites réseau réseaux chatbot chatbots assistant assistants ia
        puce puces processeur processeurs langage langages langue langues licence licences système systèmes ville
        villes pays région régions état états aéroport aéroports fleuve fleuves journal journaux chaîne chaînes
        équipe équipes parti partis nom noms film films livre livres émission émissions série séries jeu jeux
        distribution distributions projet projets navigateur navigateurs port ports""".split(),
        "name",
    ),
    **dict.fromkeys("commande commandes".split(), "command"),
    **dict.fromkeys("menu menus sous-menu sous-menus".split(), "path"),  # a path through the menus
    **dict.fromkeys(
        "fichier fichiers répertoire répertoires dossier dossiers chemin chemins extension extensions périphérique "
        "périphériques".split(),
        "path",
    ),
    **dict.fromkeys("caractère caractères signe signes symbole symboles".split(), "symbol"),  # a sign to type
    **dict.fromkeys("raccourci raccourcis touche touches".split(), "key"),  # a key or a chord of keys
    **dict.fromkeys(
        """fonction fonctions méthode méthodes module modules classe classes exception exceptions erreur erreurs
        mot-clé mots-clés mot-clef mots-clefs instruction instructions clause clauses paquet paquets paquetage
        paquetages variable variables groupe groupes démon démons outil outils programme programmes utilitaire
        utilitaires shell shells bibliothèque bibliothèques option options paramètre paramètres argument arguments
        attribut attributs champ champs réglage réglages directive directives opérateur opérateurs décorateur
        décorateurs interpréteur interpréteurs composant composants protocole protocoles propriété
        propriétés macro macros environnement environnements bloc blocs""".split(),
        "identifier",
    ),
    **dict.fromkeys("version versions".split(), "version"),
    **dict.fromkeys("date dates jour jours année années mois heure".split(), "date"),
    **dict.fromkeys(
        """nombre pourcentage part proportion taille tailles population montant total longueur distance hauteur
        poids âge durée largeur largeurs profondeur épaisseur résolution vitesse taux fréquence température
        capacité marge marges espacement valeur valeurs""".split(),
        "quantity",
    ),
    **dict.fromkeys(
        "prix coût coûts budget salaire salaires financement valorisation capitalisation".split(),
        "money",
    ),
}
KIND_PHRASES = {
    "chiffre d'affaires": "money", "valeur boursière": "money", "capitalisation boursière": "money",
    "cours de l'action": "money", "cours de bourse": "money", "variable d'environnement": "identifier",
    "variables d'environnement": "identifier", "nom de code": "name", "ligne de commande": "command",
    "ligne de commandes": "command", "système d'exploitation": "name", "fichier de configuration": "path",
    "nom de fichier": "path",
}  # fmt: skip
# Noms de ceux qui font ou possèdent les choses (see qa.lang.en).
MAKER_NOUNS = frozenset(
    """entreprise entreprises société sociétés firme firmes constructeur constructeurs fabricant fabricants éditeur
    éditeurs organisme organismes agence agences gouvernement université universités banque banques marque marques
    équipe équipes start-up startup start-ups startups laboratoire laboratoires propriétaire propriétaires
    développeur développeurs""".split()
)
# "l'assistant de Gannet", "d'OpenAI", "développé par Gannet".
MAKER_LINKS = frozenset({"de", "d'", "du", "des", "par"})
PERSON_NOUNS = frozenset(
    """personne auteur auteurs autrice fondateur fondateurs fondatrice créateur créatrice inventeur inventrice pdg
    président présidente directeur directrice dirigeant dirigeante écrivain""".split()
)
NAME_PATTERNS = (r"appel(?:le|lent|e|ee|es|ees)", r"(?:sur)?nomm(?:e|ee|es|ees)")
QUOTE_PATTERNS = (
    r"qu'(?:a|ont|avait|avaient) (?:[\w'-]+ ){{0,6}}?(?:{saying})",
    r"qu'est-ce qu[e'] ?(?:[\w'-]+ ){{1,6}}?(?:a|ont|avait) (?:{saying})",
)
QUESTION_LEADS = frozenset("et alors donc mais puis ou".split())
AUXILIARIES = frozenset(
    """est est-ce a a-t-il a-t-elle ont ont-ils etait sont sera seront avait va vont doit peut""".split()
)
HEAD_FIRST = True
CUE_WORDS = frozenset("nom noms appelle appele appelee date annee annees jour pourcentage montant".split())
# Modal verbs: how the question is put ("doit-il", "peut-on", "faut-il"), not what it is about (left out of
# matching, not of indexing: "un paquet doit mûrir" asks about the package and its ripening).
MODAL_WORDS = frozenset(
    """doit dois doivent devoir devrait devraient devrais pouvoir peuvent pourrait pourraient pourrais puis
    faut falloir faudrait vaut""".split()
)

ANAPHORA_OPENERS = ("c'est", "ce sont", "ce", "cela", "ça", "il", "elle", "ils", "elles")
# Words addressed to whoever reads the text to answer from it (see qa.lang.en), over folded text.
READER_INSTRUCTIONS = (
    r"\b(?:ignore[zr]?|oublie[zr]?|ne\s+tiens\s+pas\s+compte\s+d|ne\s+tenez\s+pas\s+compte\s+d)\w*\s*"
    r"(?:toutes\s+|tous\s+)?(?:les\s+|tes\s+|vos\s+|ces\s+)?(?:instructions?|consignes?|regles|directives)",
    # Un ordre de dire quelque chose, là où commence une phrase ou une proposition.
    r"(?:^|\bet\s+|[,;:]\s*)(?:maintenant\s+)?(?:reponds|repondez|dis|dites|affirme|affirmez)\s+que\b",
    r"\b(?:tu\s+dois|vous\s+devez)\s+(?:maintenant\s+|toujours\s+)?(?:repondre|dire|affirmer)\b",
)
SUBJECT_PRONOUNS = frozenset({"il", "elle", "ils", "elles"})
# Possessives and the article that replaces them before "de <topic>": "ses utilisateurs" → "les utilisateurs de X".
POSSESSIVES = {"son": "le", "sa": "la", "ses": "les", "leur": "le", "leurs": "les"}
# Subject pronouns put after the verb with a hyphen ("a-t-il", "utilise-t-elle").
INVERSION = True
POSSESSIVE_SUFFIX = ()
# "il" without a topic behind it: "il faut", "il y a", "il semble", "il s'agit".
IMPERSONAL_AFTER = ("y", "faut", "semble", "s'agit", "s’agit")
IMPERSONAL_INVERTED = ("faut", "agit")  # "faut-il", "s'agit-il"
IMPERSONAL_BEFORE = ("y",)  # "y a-t-il"
ELIDED_CONJUNCTIONS = ("qu", "lorsqu", "puisqu")  # "qu'il" → "que <topic>"
FOLLOW_UP_CONNECTIVES = ("et pour", "et qu'en est-il de", "et", "aussi", "alors", "donc", "mais", "puis")
DETERMINERS = frozenset({"le", "la", "les"})
ELISIONS = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu"})
# "ne ... que" only restricts, so "ne" and "n'" are not denials.
NEGATIONS = frozenset("pas jamais aucun aucune personne rien ni".split())
NEGATION_SUFFIXES = ()
CONJUNCTIONS = frozenset({"et", "ou"})
CLAUSE_BREAKS = ("et", "mais", "alors que", "tandis que")
NAME_PARTICLES = frozenset({"de", "du", "des", "d'"})
ABBREVIATIONS = frozenset(
    """m mme mmes mlle mlles mm me dr pr av apr j.-c p pp n° no art fig vol éd env etc cf ex c.-à-d ch chap réf
    hab tél""".split()
)
TECHNICAL_NOUNS = {
    **dict.fromkeys("commande commandes utilitaire outil programme".split(), "command"),
    **dict.fromkeys("paquet paquets paquetage".split(), "package"),
    **dict.fromkeys(
        "module modules fonction méthode classe démon service groupe option variable mot-clé instruction".split(),
        "identifier",
    ),
    **dict.fromkeys("fichier fichiers répertoire dossier".split(), "filename"),
}
# Endings of inflected French words (verbs, feminine and plural forms): a plain word so ending after a
# technical noun is French, not a program's name ("la commande interne", "les paquets seront").
INFLECTION_ENDINGS = ("e", "es", "ent", "ont", "er", "ir", "ez", "ais", "ait", "u", "us", "a")
COMMON_ADJECTIVES = frozenset(
    """suivant suivante suivants suivantes même mêmes nouveau nouvelle nouveaux nouvelles autre autres principal
    principale précédent précédente dernier dernière premier première seul seule standard approprié appropriée
    habituel habituelle normal normale correct correcte propre propres""".split()
)
# Endings of adjectives, which follow the noun in French ("la commande suivante"): not names.
ADJECTIVE_ENDINGS = (
    "ant", "ante", "ants", "antes", "ent", "ente", "é", "ée", "és", "ées", "if", "ive", "ifs", "ives", "el", "elle",
    "els", "elles", "ique", "iques", "aire", "aires", "able", "ables", "ible", "ibles", "al", "ale", "aux", "ales",
    "eux", "euse", "euses",
)  # fmt: skip
# Noms pluriels sans la marque du pluriel (s, x) : "combien de messieurs".
IRREGULAR_PLURALS = frozenset("messieurs mesdames mesdemoiselles".split())
# Noms d'une part : une question qui en contient une demande un pourcentage ("quelle part de l'audience").
SHARE_WORDS = frozenset("pourcentage pourcentages part proportion proportions fraction ratio taux".split())
# Celles qui se mesurent aussi en unités à elles : "le taux de chômage" est un pourcentage, "le taux
# d'échantillonnage" 44,1 kHz.
RATE_WORDS = frozenset("taux ratio ratios".split())
# Noms qui comptent sans dire quoi : "combien de personnes l'utilisent" se dit en utilisateurs,
# "combien de sortes d'espaces de noms" en "8 kinds" ou "huit types".
GENERIC_COUNTED = frozenset("personnes gens individus sortes types genres especes varietes".split())
# Words asking for the end of a file's name (".ily"), not the whole name ("ly/property-init.ly").
EXTENSION_WORDS = frozenset("extension extensions suffixe suffixes".split())
# Personnes comptées par ce qu'elles sont pour quelque chose, chaque mot avec son groupe (les mêmes groupes dans
# toutes les langues) : "combien de salariés" ne se dit pas en utilisateurs.
PEOPLE_BY_ROLE = {
    **dict.fromkeys("utilisateur utilisateurs utilisatrice utilisatrices usager usagers".split(), "users"),
    **dict.fromkeys("audience audiences".split(), ("users", "viewers", "listeners", "readers")),
    **dict.fromkeys(
        """salarié salariés salariée salariées employé employés employée employées personnel travailleur travailleurs
        ouvrier ouvriers collaborateur collaborateurs""".split(),
        "employees",
    ),
    **dict.fromkeys("client clients cliente clientes acheteur acheteurs".split(), "customers"),
    **dict.fromkeys("abonné abonnés abonnée abonnées".split(), "subscribers"),
    **dict.fromkeys("membre membres adhérent adhérents".split(), "members"),
    **dict.fromkeys("visiteur visiteurs visiteuse visiteuses".split(), "visitors"),
    **dict.fromkeys("étudiant étudiants étudiante étudiantes élève élèves".split(), "students"),
    **dict.fromkeys("enseignant enseignants enseignante enseignantes professeur professeurs".split(), "teachers"),
    **dict.fromkeys("ingénieur ingénieurs ingénieure ingénieures".split(), "engineers"),
    **dict.fromkeys("développeur développeurs développeuse développeuses".split(), "developers"),
    **dict.fromkeys("actionnaire actionnaires".split(), "shareholders"),
    **dict.fromkeys("investisseur investisseurs".split(), "investors"),
    **dict.fromkeys("habitant habitants habitante habitantes résident résidents".split(), "inhabitants"),
    **dict.fromkeys("lecteur lecteurs lectrice lectrices".split(), "readers"),
    **dict.fromkeys("spectateur spectateurs téléspectateur téléspectateurs".split(), "viewers"),
    **dict.fromkeys("auditeur auditeurs auditrice auditrices".split(), "listeners"),
    **dict.fromkeys("joueur joueurs joueuse joueuses".split(), "players"),
    **dict.fromkeys("passager passagers passagère passagères".split(), "passengers"),
    **dict.fromkeys("patient patients patiente patientes".split(), "patients"),
    **dict.fromkeys("électeur électeurs électrice électrices".split(), "voters"),
}
# Verbes de création, de fondation, de direction ou de possession, et les noms de ceux qui le font, chacun avec sa
# sorte (les mêmes dans toutes les langues) : "qui a créé X", "qui dirige X" demandent qui le fait (voir qa.lang.en).
# Comparés par leur racine ; les formes qui en ont une autre sont écrites.
AGENT_WORDS = {
    **dict.fromkeys(
        """créer créé créée fonder fondé fondée cofonder cofondé établir établi inventer inventé concevoir conçu
        conçue conçoit développer développé développée construire construit fabriquer fabriqué écrire écrit écrite
        rédiger rédigé fondateur fondateurs fondatrice créateur créatrice inventeur inventrice auteur auteurs autrice
        concepteur conceptrice développeur développeurs fabricant fabricants écrivain""".split(),
        "making",
    ),
    **dict.fromkeys(
        """diriger dirigé dirigée présider présidé gérer géré pdg président présidente directeur directrice dirigeant
        dirigeants dirigeante""".split(),
        "leading",
    ),
    **dict.fromkeys("posséder possédé détenir détient détenu propriétaire propriétaires".split(), "owning"),
}
