"""Training questions generated from manuals (qa.train.generate) and the list of manuals (qa.train.manuals).

The documents are invented here, one sentence per kind of fact, so each kind's question can be checked:
it reads as a question, its answer stands in the lines it cites and not in the question itself.
"""

from __future__ import annotations

import json
import os

import pytest

from qa.documents import lines_of
from qa.errors import UsageError
from qa.evaluation import contains, normalize
from qa.train import generate, manuals

GUIDE_EN = r"""Widget guide
============

The Widget Transfer Protocol (WTP) moves widgets between hosts.
The XQZ module logs every transfer, and XQZ output goes to the journal.

The default listening port is 8731.
Widgets travel over the backup port when the main link fails.
The backup port is slower than the main link.
Frobnicator 2.0 was released in March 2019.
A widget crate holds 24 widgets.
A crate label can be up to 40 characters long.

The frob command removes stale widgets from the queue.
The --dry-run option lists stale widgets without deleting a single file.
Widget settings are stored in /etc/widgets/widgets.conf.
Press Ctrl+R to reload the widget list.
The crate differ knows how to generate diffs between two crates.
To open the crate editor, choose Tools → Crates → Editor.
A widget that has lost its owner is called an orphan.
The crate registry, also known as the ledger, records every transfer.

How to empty the queue
----------------------

1. Run ``frob --all`` to remove every stale widget.
2. Restart the widget daemon.

Filesystems are chosen at install time. ext4 is the default filesystem for new installs.
The widget.color setting defaults to blue.
FTBFS stands for Fails To Build From Source.

Options
-------

--unified=<n>
    Generate diffs with <n> lines of context instead of the usual three.

--summary
    Shows a short digest of the crate contents.
"""

GUIDE_FR = """Guide des widgets
=================

Le Protocole de Transfert de Widgets (PTW) déplace les widgets entre les machines.

La commande frob supprime les widgets périmés de la file.
Pour vider la file, utilisez la commande ``frob --all``.
Un widget sans propriétaire est appelé un orphelin.
Les réglages sont stockés dans /etc/widgets/widgets.conf.
La valeur par défaut du délai est 30 secondes.
Frobnicator 2.0 a été publié en mars 2019.
Une caisse contient 24 widgets.
Appuyez sur Ctrl+R pour recharger la liste.
Les machines sont livrées prêtes. zsh est le shell par défaut sur ces machines.
"""

MACROS = "Macros\n\nThe \\frobcrate macro draws a crate in the margin.\n"

# For each kind, a question the invented documents answer, and its answer.
EXPECTED = {
    ("acronym", "en"): ("WTP", "Widget Transfer Protocol"),
    ("acronym", "fr"): ("PTW", "Protocole de Transfert de Widgets"),
    ("acronym", "en", 2): ("FTBFS", "Fails To Build From Source"),
    ("default", "en", 2): ("What is the default filesystem?", "ext4"),
    ("default", "en", 3): ("What is the default widget.color setting?", "blue"),
    ("default", "fr", 2): ("Quel est le shell par défaut ?", "zsh"),
    ("default", "en"): ("What is the default listening port?", "8731"),
    ("default", "fr"): ("Quelle est la valeur par défaut du délai ?", "30 secondes"),
    ("date", "en"): ("When was Frobnicator 2.0 released?", "March 2019"),
    ("date", "fr"): ("Quand Frobnicator 2.0 a-t-il été publié ?", "mars 2019"),
    ("count", "en"): ("How many widgets does a widget crate hold?", "24"),
    ("count", "fr"): ("Combien de widgets contient une caisse ?", "24"),
    ("limit", "en"): ("How long can a crate label be?", "40 characters"),
    ("command", "en"): ("Which command removes stale widgets from the queue?", "frob"),
    ("command", "fr"): ("Quelle commande supprime les widgets périmés de la file ?", "frob"),
    ("option", "en"): ("Which option lists stale widgets without deleting a single file?", "--dry-run"),
    ("option", "en", 2): ("Which option do I use to generate diffs with <n> lines of context", "--unified"),
    ("option", "en", 3): ("Which option shows a short digest of the crate contents?", "--summary"),
    ("path", "en"): ("Where are widget settings stored?", "/etc/widgets/widgets.conf"),
    ("path", "fr"): ("Où les réglages sont-ils stockés ?", "/etc/widgets/widgets.conf"),
    ("shortcut", "en"): ("reload the widget list", "Ctrl+R"),
    ("shortcut", "fr"): ("recharger la liste", "Ctrl+R"),
    ("menu", "en"): ("open the crate editor", "Tools → Crates → Editor"),
    ("keyword", "en"): ("Which macro draws a crate in the margin?", "\\frobcrate"),
    ("term", "en"): ("What is a widget that has lost its owner called?", "orphan"),
    ("term", "fr"): ("un widget sans propriétaire", "orphelin"),
    ("alias", "en"): ("the crate registry", "ledger"),
    ("howto", "en"): ("empty the queue", "frob --all"),
}


@pytest.fixture
def manual_folder(tmp_path):
    folder = tmp_path / "manual"
    folder.mkdir()
    (folder / "guide.txt").write_text(GUIDE_EN, encoding="utf-8")
    (folder / "guide-fr.txt").write_text(GUIDE_FR, encoding="utf-8")
    (folder / "macros.txt").write_text(MACROS, encoding="utf-8")
    return folder


def _run(folder, out, *args) -> list[dict]:
    assert generate.main([str(folder), "--out", str(out), *args]) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_each_kind_gives_a_question_answered_by_its_passage(manual_folder, tmp_path):
    records = _run(manual_folder, tmp_path / "q.jsonl")
    answerable = [r for r in records if r["answerable"]]
    for (kind, lang, *_), (wording, answer) in EXPECTED.items():
        found = [
            r
            for r in answerable
            if r["kind"] == kind and r["lang"] == lang and wording in r["question"] and answer in r["answers"]
        ]
        assert found, f"no {kind} question in {lang} like {wording!r} -> {answer!r}"
    for r in answerable:
        assert r["question"].endswith("?") and r["question"][0].isupper()
        assert not contains(r["question"], r["answers"]), r  # the answer is asked for, not given
        cited = r["passage"]
        text = (manual_folder / cited["source"]).read_text(encoding="utf-8")
        assert contains(lines_of(text, cited["start_line"], cited["end_line"]), r["answers"]), r
        assert r["sources"] == [cited["source"]]
        assert set(r) >= {"id", "lang", "question", "answerable", "answers", "sources", "package", "kind"}


def test_a_french_question_is_asked_about_an_english_acronym(manual_folder, tmp_path):
    # Half of the acronyms are also asked in the other language: some seed gives one (they need no translation).
    asked = set()
    for seed in range(6):
        records = _run(manual_folder, tmp_path / f"q{seed}.jsonl", "--seed", str(seed))
        asked |= {r["question"] for r in records if r["kind"] == "acronym" and r["lang"] == "fr" and r["answerable"]}
    assert any("WTP" in q for q in asked)


def test_unanswerable_questions_are_close_and_not_answered_by_the_folder(manual_folder, tmp_path):
    records = _run(manual_folder, tmp_path / "q.jsonl", "--lang", "en")
    unanswerable = [r for r in records if not r["answerable"]]
    questions = {r["question"] for r in unanswerable}
    # An acronym the folder uses but never spells out; a subject the folder names, with the same head
    # noun as one whose default it states, whose default it does not state.
    assert any("XQZ" in q for q in questions)
    assert "What is the default backup port?" in questions
    assert all(r["answers"] == [] and r["sources"] == [] for r in unanswerable)
    lines = [normalize(line) for p in manual_folder.iterdir() for line in p.read_text(encoding="utf-8").splitlines()]
    assert [line for line in lines if "backup port" in line]
    assert not [line for line in lines if "backup port" in line and "default" in line]
    assert all(r["lang"] == "en" for r in records)


def test_questions_are_deduplicated_and_capped_per_passage(manual_folder, tmp_path):
    # The same manual shipped twice (as HTML and text, say) states each fact twice: asked once.
    (manual_folder / "copy.txt").write_text(GUIDE_EN, encoding="utf-8")
    records = _run(manual_folder, tmp_path / "q.jsonl")
    facts = [(r["kind"], r["lang"], tuple(r["answers"])) for r in records if r["answerable"] and r["kind"] != "howto"]
    assert len(facts) == len(set(facts))
    assert len({normalize(r["question"]) for r in records}) == len(records)
    per_passage = {}
    for r in records:
        if r["answerable"]:
            key = (r["passage"]["source"], r["passage"]["start_line"])
            per_passage[key] = per_passage.get(key, 0) + 1
    assert max(per_passage.values()) <= generate.MAX_PER_PASSAGE


def test_the_same_seed_gives_the_same_questions(manual_folder, tmp_path):
    first = (tmp_path / "a.jsonl", tmp_path / "b.jsonl")
    _run(manual_folder, first[0], "--seed", "7")
    _run(manual_folder, first[1], "--seed", "7")
    assert first[0].read_bytes() == first[1].read_bytes()


def test_limit_caps_the_number_of_questions(manual_folder, tmp_path):
    records = _run(manual_folder, tmp_path / "q.jsonl", "--limit", "5")
    assert len(records) == 5


def test_bad_input_is_one_clear_line(manual_folder, tmp_path, capsys):
    assert generate.main([str(tmp_path / "missing"), "--out", str(tmp_path / "q.jsonl")]) == 2
    assert capsys.readouterr().err.startswith("qa: no such folder")
    assert generate.main([str(manual_folder), "--out", str(tmp_path / "q.jsonl"), "--limit", "0"]) == 2
    assert "--limit" in capsys.readouterr().err
    (manual_folder / "manual.json").write_text('{"package": "debian-faq"}', encoding="utf-8")
    assert generate.main([str(manual_folder), "--out", str(tmp_path / "q.jsonl")]) == 2
    assert "held out" in capsys.readouterr().err
    assert not (tmp_path / "q.jsonl").exists()


@pytest.mark.parametrize(
    "package", ["debian-faq", "debian-faq-fr", "gimp-help-en", "gimp-help-fr", "gnucash-docs", "gpredict"]
)
def test_held_out_manuals_are_refused(package, capsys):
    assert manuals.is_held_out(package)
    with pytest.raises(UsageError, match="held out"):
        manuals.manual(package)
    assert manuals.main([package, "--cache", "/nonexistent"]) == 2
    assert capsys.readouterr().err.startswith(f"qa: {package} is held out")


def test_no_declared_manual_is_held_out_and_each_is_tagged():
    assert not any(manuals.is_held_out(m.package) for m in manuals.MANUALS)
    assert all(m.language in ("en", "fr") for m in manuals.MANUALS)
    development = {"python-tutorial", "debian-reference-fr", "lilypond-fr", "pdf-manuals"}
    assert {m.folder for m in manuals.MANUALS if m.folder} <= development
    tagged = {m.package: m.folder for m in manuals.MANUALS}
    assert tagged["python3.11-doc"] == "python-tutorial"
    assert tagged["debian-reference-en"] == "debian-reference-fr"
    assert tagged["lilypond-doc-html-fr"] == "lilypond-fr"
    assert tagged["texlive-latex-base-doc"] == "pdf-manuals"


def test_a_fit_leaving_a_folder_out_leaves_its_manuals_out():
    kept = {m.package for m in manuals.manuals_for_fit(left_out="debian-reference-fr")}
    assert "debian-reference-en" not in kept and "maint-guide" in kept
    named = manuals.manuals_for_fit(left_out="python-tutorial", packages=["python3.11-doc", "git-doc"])
    assert [m.package for m in named] == ["git-doc"]
    with pytest.raises(UsageError, match="not a declared manual"):
        manuals.manual("no-such-manual")


def test_a_fetched_manual_is_unpacked_and_decompressed(tmp_path, monkeypatch):
    # apt-get and dpkg-deb are stood in for: the fetch's own work is the unpacking into the cache.
    import gzip
    import subprocess

    def fake_run(command, cwd, capture_output, text, check):
        if command[0] == "apt-get":
            (cwd / "maint-guide_1.0_all.deb").write_bytes(b"deb")
        else:
            root = tmp_path / command[-1]
            (root / "usr/share/doc/maint-guide").mkdir(parents=True)
            with gzip.open(root / "usr/share/doc/maint-guide/guide.txt.gz", "wt") as out:
                out.write(GUIDE_EN)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(manuals.subprocess, "run", fake_run)
    folder = manuals.fetch(manuals.manual("maint-guide"), tmp_path / "cache")
    assert folder == tmp_path / "cache" / "manuals" / "maint-guide"
    assert (folder / "root/usr/share/doc/maint-guide/guide.txt").read_text(encoding="utf-8") == GUIDE_EN
    info = json.loads((folder / "manual.json").read_text(encoding="utf-8"))
    assert info["package"] == "maint-guide" and info["version"] == "1.0" and info["decompressed"] == 1
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_translations_the_templates_cannot_read_are_dropped(tmp_path, monkeypatch):
    import subprocess

    def fake_run(command, cwd, capture_output, text, check):
        if command[0] == "apt-get":
            (cwd / "apt-doc_2.6_all.deb").write_bytes(b"deb")
        else:
            docs = tmp_path / command[-1] / "usr/share/doc/apt-doc"
            docs.mkdir(parents=True)
            for name in ("guide.text", "guide.fr.text", "guide.de.text", "guide.pt.text"):
                (docs / name).write_text("text", encoding="utf-8")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(manuals.subprocess, "run", fake_run)
    folder = manuals.fetch(manuals.manual("apt-doc"), tmp_path / "cache")
    kept = sorted(p.name for p in (folder / "root/usr/share/doc/apt-doc").iterdir())
    assert kept == ["guide.fr.text", "guide.text"]


# -- fetching a manual: its symbolic links (no network: apt-get and dpkg-deb are fakes on PATH) ----------------

_FAKE_APT_GET = """#!{python}
import pathlib, sys
assert sys.argv[1] == "download"
pathlib.Path(f"{{sys.argv[2]}}_1.0-1_all.deb").write_bytes(b"a fake package")
"""

# The package as dpkg-deb -x unpacks it: a document, a compressed one, and symbolic links of every kind.
_FAKE_DPKG_DEB = """#!{python}
import gzip, os, pathlib, sys
assert sys.argv[1] == "-x"
doc = pathlib.Path(sys.argv[3]) / "usr/share/doc/fake-doc"
doc.mkdir(parents=True)
outside = {outside!r}
(doc / "manual.txt").write_text("The manual.\\n")
(doc / "notes.txt.gz").write_bytes(gzip.compress(b"Compressed notes.\\n"))
os.symlink(outside + "/notes.txt", doc / "notes.txt")  # nowhere, and outside: decompressing would write there
os.symlink("manual.txt", doc / "index.txt")  # inside, to a file there: kept
os.symlink(outside + "/secret.txt", doc / "secret.txt")  # outside, absolute
os.symlink("../../../../../" + pathlib.Path(outside).name + "/secret.txt", doc / "up.txt")  # outside, relative
os.symlink(outside, doc / "javascript")  # a folder outside
os.symlink("gone.txt", doc / "gone.txt.gz")  # nowhere inside
os.symlink("loop-b", doc / "loop-a")  # a loop
os.symlink("loop-a", doc / "loop-b")
"""


def test_a_fetched_manual_keeps_no_link_outside_itself_or_to_nowhere(in_tmp_path, tmp_path, monkeypatch, capsys):
    import sys

    bin_dir, outside = tmp_path / "bin", tmp_path / "outside"
    bin_dir.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("Not the manual's.\n")
    for name, script in (("apt-get", _FAKE_APT_GET), ("dpkg-deb", _FAKE_DPKG_DEB)):
        (bin_dir / name).write_text(script.format(python=sys.executable, outside=str(outside)))
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")

    assert manuals.main(["git-doc", "--cache", str(tmp_path / "cache")]) == 0
    folder = tmp_path / "cache" / "manuals" / "git-doc"
    doc = folder / "root" / "usr/share/doc/fake-doc"
    assert sorted(outside.iterdir()) == [outside / "secret.txt"]  # nothing written through a link
    assert (doc / "notes.txt").read_text() == "Compressed notes.\n" and not (doc / "notes.txt").is_symlink()
    assert (doc / "index.txt").is_symlink() and (doc / "index.txt").read_text() == "The manual.\n"
    left = {p.name for p in doc.iterdir()}
    assert left == {"manual.txt", "notes.txt", "index.txt"}
    info = json.loads((folder / "manual.json").read_text())
    skipped = info["links_skipped"]
    assert set(skipped) == {
        f"usr/share/doc/fake-doc/{name}"
        for name in ("notes.txt", "secret.txt", "up.txt", "javascript", "gone.txt.gz", "loop-a", "loop-b")
    }
    assert skipped["usr/share/doc/fake-doc/secret.txt"].startswith("points outside the package")
    assert skipped["usr/share/doc/fake-doc/gone.txt.gz"].startswith("points nowhere")
    out, err = capsys.readouterr()
    assert out == f"git-doc: {folder}\n"
    assert err == "qa: git-doc: 7 symbolic links skipped (pointing outside the package or nowhere): see manual.json\n"


def test_the_generator_s_numbers_are_named_with_their_reason():
    """Every bound of the generator is a constant at the top of a module (qa.train.constants holds them), with a
    comment saying why it is what it is: none left in the code of its functions (0, 1 and 2, counts and halves,
    and cache sizes aside)."""
    import ast
    import inspect

    from qa.train import constants, drafts, facts, unanswerable

    bare, unexplained, named = [], [], 0
    for module in (generate, constants, drafts, facts, unanswerable):
        tree = ast.parse(inspect.getsource(module))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for statement in function.body:
                for node in ast.walk(statement):
                    number = isinstance(node, ast.Constant) and type(node.value) in (int, float)
                    if number and node.value not in (0, 1, 2):
                        bare.append(f"{module.__name__}.{function.name}: {node.value}")
        source = inspect.getsource(module).splitlines()
        numbers = [
            node.lineno - 1
            for node in tree.body
            if isinstance(node, ast.Assign)
            and all(
                isinstance(n, ast.Constant) and type(n.value) in (int, float)
                for n in ast.walk(node.value)
                if not isinstance(n, (ast.Tuple, ast.Load))
            )
        ]
        named += len(numbers)

        def explained(i: int, source=source, numbers=numbers) -> bool:  # a comment on its line, or above it
            return "#" in source[i] or source[i - 1].startswith("#") or (i - 1 in numbers and explained(i - 1))

        unexplained += [source[i] for i in numbers if not explained(i)]
    assert bare == []
    assert named >= 10
    assert unexplained == []
