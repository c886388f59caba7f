"""The conventions people expect of a CLI: --version, completion, stdin, batch output, terminals, JSON errors, plurals."""

from __future__ import annotations

import importlib.metadata
import json
import os
import pty
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import fakes
import pytest
from cli_runner import CliRunner
from fakes import UNLOADABLE

from qa.cli import build_parser, main
from qa.cli_output import Terminal
from qa.completion import subcommands as subcommands_of
from qa.errors import ModelUnavailable
from qa.text import count

ROOT = Path(__file__).resolve().parent.parent
QA = Path(sys.executable).parent / "qa"
FAKE_QA = ROOT / "tests" / "fake_qa.py"
SUBCOMMANDS = ["index", "ask", "chat", "eval", "completion"]
KEEPER = "When was the lighthouse keeper born?"
BRIDGE = "When did the bridge open?"


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, **kwargs)


@pytest.fixture
def indexed(in_tmp_path, tmp_path, fake_models, monkeypatch, capsys):
    """Two facts in one file, indexed with the fake models into idx/; the test runs in tmp_path."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "facts.txt").write_text(
        "The lighthouse keeper was born in 1901.\n\nThe bridge opened in 1932.\n"
    )
    assert main(["index", "docs", "--index", "idx"], models=fake_models) == 0
    return capsys.readouterr().out


# -- --version ---------------------------------------------------------------------------------------


def test_version_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"qa {importlib.metadata.version('qa')}\n"
    result = _run([str(QA), "--version"])
    assert result.returncode == 0 and result.stdout == f"qa {importlib.metadata.version('qa')}\n"


# -- shell completion ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_name_every_subcommand_and_option(shell, capsys):
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    parser = build_parser()
    subcommands = subcommands_of(parser)
    assert set(SUBCOMMANDS) <= set(subcommands)
    for name, (sub, _help) in subcommands.items():
        assert name in script
        for action in sub._actions:
            for option in action.option_strings:
                spelled = option if shell != "fish" else option.lstrip("-")
                assert spelled in script, (name, option)
    assert "--version" in script or "-l version" in script


def test_bash_completion_is_valid_and_completes(tmp_path):
    script = tmp_path / "qa.bash"
    script.write_text(_run([str(QA), "completion", "bash"]).stdout)
    assert _run(["bash", "-n", str(script)]).returncode == 0
    (tmp_path / "folder").mkdir()
    (tmp_path / "questions.jsonl").write_text("")
    probe = (
        f"source {script}\n"
        'for typed in "qa " "qa as" "qa ask --j" "qa completion " "qa index --index fol" "qa eval quest" "qa --v"; do\n'
        '    read -ra COMP_WORDS <<< "$typed"; [[ $typed == *" " ]] && COMP_WORDS+=("")\n'
        "    COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _shtab_qa\n"  # it sets a global $line
        '    echo "$typed=${COMPREPLY[*]}"\n'
        "done\n"
        "complete -p qa\n"
    )
    result = _run(["bash", "-c", probe], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    replies = dict(line.split("=", 1) for line in result.stdout.splitlines()[:-1])
    assert set(SUBCOMMANDS) <= set(replies["qa "].split())
    assert replies["qa as"] == "ask"
    assert replies["qa ask --j"] == "--json"
    assert replies["qa completion "] == "bash fish zsh"
    assert replies["qa index --index fol"] == "folder"
    assert replies["qa eval quest"] == "questions.jsonl"
    assert replies["qa --v"] == "--version"
    assert "-F _shtab_qa qa" in result.stdout.splitlines()[-1]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completion_is_valid_and_registers(tmp_path):
    script = tmp_path / "_qa"
    script.write_text(_run([str(QA), "completion", "zsh"]).stdout)
    assert _run(["zsh", "-n", str(script)]).returncode == 0
    # As the README says: eval "$(qa completion zsh)" after compinit.
    result = _run(["zsh", "-fc", f'autoload -U compinit; compinit -u -D; eval "$(<{script})"; echo "$_comps[qa]"'])
    assert result.stdout.strip() == "_shtab_qa" and not result.stderr, result.stderr


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completion_is_valid_and_completes(tmp_path):
    script = tmp_path / "qa.fish"
    script.write_text(_run([str(QA), "completion", "fish"]).stdout)
    assert _run(["fish", "--no-execute", str(script)]).returncode == 0
    probe = f'source {script}; complete -C "qa as"; complete -C "qa ask --js"; complete -C "qa completion "'
    result = _run(["fish", "--no-config", "-c", probe])
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["ask", "--json", "bash", "fish", "zsh"]


HISTORY_ACTIONS = ["list", "search", "show", "export"]


def test_bash_completion_completes_the_history_actions_and_their_options(tmp_path):
    script = tmp_path / "qa.bash"
    script.write_text(_run([str(QA), "completion", "bash"]).stdout)
    lines = [
        "qa history ",
        "qa history s",
        "qa history --limit 5 ",
        "qa history --l",
        "qa history show --j",
        "qa show --",
    ]
    probe = (
        f"source {script}\n"
        'for typed in "' + '" "'.join(lines) + '"; do\n'
        '    read -ra COMP_WORDS <<< "$typed"; [[ $typed == *" " ]] && COMP_WORDS+=("")\n'
        "    COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _shtab_qa\n"
        '    echo "$typed=${COMPREPLY[*]}"\n'
        "done\n"
    )
    result = _run(["bash", "-c", probe], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    replies = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert replies["qa history "].split() == HISTORY_ACTIONS
    assert replies["qa history s"] == "search show"
    assert replies["qa history --limit 5 "].split() == HISTORY_ACTIONS  # 5 is --limit's value, not an action
    assert replies["qa history --l"] == "--limit"
    assert replies["qa history show --j"] == "--json"
    assert replies["qa show --"] == "--help --index --collection --root"


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completion_completes_the_history_actions_and_their_options(tmp_path):
    script = tmp_path / "qa.fish"
    script.write_text(_run([str(QA), "completion", "fish"]).stdout)
    replies = {}
    for line in ("qa history ", "qa history show --", "qa show --"):
        result = _run(["fish", "--no-config", "-c", f'source {script}; complete -C "{line}"'])
        replies[line] = sorted(reply.split("\t")[0] for reply in result.stdout.splitlines())
    assert replies["qa history "] == sorted(HISTORY_ACTIONS)
    assert replies["qa history show --"] == ["--help", "--json"]  # not qa show's --root
    assert replies["qa show --"] == ["--collection", "--help", "--index", "--root"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
@pytest.mark.parametrize("loaded", ["fpath", "eval"])
def test_zsh_completion_completes_the_history_actions(tmp_path, loaded):
    """Typed into an interactive zsh (zpty), the script saved as _qa in $fpath or eval'd (the README's two ways),
    TAB after `qa history ` lists the actions."""
    (tmp_path / "_qa").write_text(_run([str(QA), "completion", "zsh"]).stdout)
    if loaded == "fpath":
        load = f"fpath=({tmp_path} $fpath); autoload -U compinit; compinit -u -D"
    else:
        load = f'autoload -U compinit; compinit -u -D; eval "$(<{tmp_path}/_qa)"'
    probe = f"""
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1=""; {load}'
zpty -w -n z "qa history "$'\\t'
local all="" chunk
for i in {{1..100}}; do
    zpty -r -t z chunk && all+=$chunk
    [[ $all == *export*list*search*show* ]] && break
    sleep 0.1
done
print -r -- "$all"
zpty -d z
"""
    result = _run(["zsh", "-f", "-c", probe])
    for action in HISTORY_ACTIONS:
        assert f"{action} " in result.stdout, result.stdout


def test_history_list_is_what_history_alone_prints(capsys):
    assert main(["history"]) == 0
    alone = capsys.readouterr().out
    assert main(["history", "list", "--limit", "3", "--json"]) == 0
    assert main(["history", "list"]) == 0
    assert capsys.readouterr().out == alone


def test_completion_needs_a_known_shell(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["completion", "powershell"])
    assert caught.value.code == 2 and "invalid choice" in capsys.readouterr().err


# -- qa show ----------------------------------------------------------------------------------------------


def test_show_takes_the_file_line_column_labels_of_qa_ask_and_the_chat(in_tmp_path, tmp_path, capsys, monkeypatch):
    """Two passages of one line are named file:line:column (qa.citations.labels); qa show shows that line."""
    from qa.answering import passage_citation
    from qa.citations import labels
    from qa.documents import file_passages

    (tmp_path / "notes.txt").write_text("Intro line.\nThe bridge opened in 1932. It is 300 metres long.\n")
    citations = [
        passage_citation(n, p, 0.5) for n, p in enumerate(file_passages(tmp_path / "notes.txt", "notes.txt"), 1)
    ]
    named = labels(citations, tmp_path)
    assert named == ["notes.txt:1", "notes.txt:2:1", "notes.txt:2:28"]
    for label, citation in zip(named, citations, strict=True):
        assert main(["show", label]) == 0
        assert citation.text in capsys.readouterr().out
    assert main(["show", "--root", str(tmp_path), "notes.txt:2:28"]) == 0
    assert capsys.readouterr().out == "The bridge opened in 1932. It is 300 metres long.\n"
    assert main(["show", "missing.txt:2:28"]) == 6
    assert capsys.readouterr().err.strip().endswith("missing.txt: no such file")


# -- qa ask and standard input ------------------------------------------------------------------------


def test_ask_reads_questions_from_stdin_when_it_is_not_a_terminal(indexed, cli):
    result = cli.invoke("ask", "--index", "idx", "--json", stdin=f"{KEEPER}\n{BRIDGE}\n")
    assert result.exit_code == 0
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["question"] for a in answers] == [KEEPER, BRIDGE]
    assert [a["short_answer"] for a in answers] == ["1901", "1932"]
    result = cli.invoke("ask", "-", "--index", "idx", "--json", stdin=f"{KEEPER}\n")  # `-` still reads stdin
    assert result.exit_code == 0 and json.loads(result.stdout)["short_answer"] == "1901"


@pytest.mark.parametrize("stdin", ["", "\n", "\n  \n\t\n\r\n"])
@pytest.mark.parametrize("dash", [[], ["-"]])
def test_ask_with_no_question_on_stdin_is_a_usage_error(indexed, cli, stdin, dash):
    """Nothing to ask (an empty stdin, or blank lines only) is said in one line, exit 2, before anything loads:
    models that cannot load would say so first."""
    unloadable = CliRunner(cli.env, models=UNLOADABLE)
    result = unloadable.invoke("ask", *dash, "--index", "idx", stdin=stdin)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("qa: no question on standard input") and result.stderr.count("\n") == 1
    result = unloadable.invoke("ask", *dash, "--index", "idx", "--json", stdin=stdin)
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert error["code"] == 2 and error["error"].startswith("no question on standard input")


def test_real_ask_from_an_empty_stdin_exits_2(tmp_path):
    result = _run([sys.executable, str(FAKE_QA), "ask", "-"], cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("qa: no question on standard input") and result.stderr.count("\n") == 1


def test_ask_without_a_question_on_a_terminal_is_a_usage_error(cli, tmp_path):
    result = cli.invoke("ask", "--index", tmp_path / "none", terminal=True)  # no index: said if it went so far
    assert result.exit_code == 2
    assert "usage: qa ask" in result.stderr and "required: question" in result.stderr


def test_real_ask_reads_a_pipe(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "facts.txt").write_text(
        "The lighthouse keeper was born in 1901.\n\nThe bridge opened in 1932.\n"
    )
    assert _run([sys.executable, str(FAKE_QA), "index", "docs", "--index", "idx"], cwd=tmp_path).returncode == 0
    result = _run([sys.executable, str(FAKE_QA), "ask", "--index", "idx"], cwd=tmp_path, input=f"{KEEPER}\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1901 — «The lighthouse keeper was born in 1901.» [1]\n")
    # undecodable bytes on stdin: a notice, never a traceback
    result = subprocess.run(
        [sys.executable, str(FAKE_QA), "ask", "--index", "idx", "--json"],
        cwd=tmp_path,
        input=b"\xff\xfe\nWhen was the \xff lighthouse keeper born?\n",
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0 and b"Traceback" not in result.stderr
    lines = result.stdout.decode().splitlines()
    assert json.loads(lines[0])["code"] == 2 and json.loads(lines[1])["short_answer"] == "1901"


def test_plain_batch_output_has_a_blank_line_between_answers(indexed, cli):
    singles = []
    for question in (KEEPER, BRIDGE, "Who painted the moon?"):
        result = cli.invoke("ask", question, "--index", "idx")
        assert result.exit_code == 0
        singles.append(result.stdout)
    assert singles[2].startswith("The documents don't say: no passage answers this question.\n\n")
    # where to look all the same, marked as no answer and formatted like citations
    assert "\nNearest passages (not an answer):\n[1] docs/facts.txt:" in singles[2]
    result = cli.invoke("ask", "--index", "idx", stdin=f"{KEEPER}\n\x01\n{BRIDGE}\nWho painted the moon?\n")
    assert result.exit_code == 0
    assert result.stdout == "\n".join(singles)
    # two separators, and the blank line before each answer's citations and before the abstention's nearest passages
    assert result.stdout.count("\n\n") == 2 + 2 + 1
    assert result.stderr.count("the question is empty") == 1


# -- qa chat ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stdin_tty, stdout_tty", [(False, True), (True, False), (False, False)])
def test_chat_without_a_terminal_exits_2_before_loading(cli, tmp_path, stdin_tty, stdout_tty):
    # No index there and models that cannot load: either would be said had the chat gone so far.
    result = CliRunner(cli.env, models=UNLOADABLE).invoke(
        "chat", "--index", tmp_path / "none", terminal=Terminal(stdin=stdin_tty, stdout=stdout_tty, term="xterm")
    )
    assert result.exit_code == 2
    assert result.stderr == "qa: chat needs a terminal; use qa ask\n" and result.stdout == ""


def test_real_chat_in_a_pipe_exits_2_with_one_line():
    result = _run([str(QA), "chat"], input="When was DeepSeek launched?\n")
    assert result.returncode == 2
    assert result.stderr == "qa: chat needs a terminal; use qa ask\n" and result.stdout == ""


def test_real_chat_with_a_missing_index_exits_4_without_opening(tmp_path):
    """On a real terminal (a pty), `qa chat --index MISSING` says so in one line and never opens."""
    primary, secondary = pty.openpty()
    try:
        result = subprocess.run(
            [str(QA), "chat", "--index", str(tmp_path / "none")],
            stdin=secondary,
            stdout=secondary,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
    finally:
        os.close(secondary)
        os.close(primary)
    assert result.returncode == 4
    assert result.stderr.count("\n") == 1 and "no index in" in result.stderr and "qa index FOLDER" in result.stderr


def test_chat_with_a_damaged_index_exits_4_without_opening(tmp_path, cli):
    (tmp_path / "idx").mkdir()
    (tmp_path / "idx" / "CURRENT").write_text("gen-that-is-not-there\n")
    never = lambda engine, **options: pytest.fail("the chat must not open")  # noqa: E731
    result = cli.invoke("chat", "--index", tmp_path / "idx", terminal=True, chat=never)
    assert result.exit_code == 4
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("qa: ")


def test_chat_whose_loading_failed_exits_with_its_status(cli, tmp_path):
    """A failure met while the chat loads (a model, the default index) is shown there, then is the exit status."""

    def unloadable(name, settings=None):
        raise ModelUnavailable("the model cannot be loaded offline: pip install it")

    def chat(engine, llm=None, settings=None):  # the app: shows the failure, and the person quits
        with pytest.raises(ModelUnavailable):
            engine.prepare()
        assert engine.index_dir == tmp_path / "index"  # the engine's attributes through the watch on its loading
        return 0

    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "s.txt").write_text("A seed about the default index.\n", encoding="utf-8")
    elsewhere = replace(cli.settings(), default_index=tmp_path / "index", default_documents=tmp_path / "seeds")
    result = CliRunner(models=replace(fakes.MODELS, question_encoder=unloadable)).invoke(
        "chat", settings=elsewhere, terminal=True, chat=chat
    )
    assert result.exit_code == 3
    assert result.stderr == "qa: the model cannot be loaded offline: pip install it\n"


# -- errors under --json --------------------------------------------------------------------------------


def test_errors_are_json_on_stdout_under_json(tmp_path, capsys):
    assert main(["ask", "anything?", "--index", str(tmp_path / "none"), "--json"]) == 4
    captured = capsys.readouterr()
    error = json.loads(captured.out)
    assert set(error) == {"error", "code"} and error["code"] == 4 and "no index in" in error["error"]
    assert captured.out.count("\n") == 1 and captured.err == ""
    assert main(["ask", "   ", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["code"] == 2
    assert main(["eval", str(tmp_path / "missing.jsonl"), "--json"]) == 2
    assert "cannot read" in json.loads(capsys.readouterr().out)["error"]


def test_parser_errors_are_json_under_json(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["ask", "q", "--json", "--llm-timeout", "lots"])
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"error": "argument --llm-timeout: invalid float value: 'lots'", "code": 2}
    assert captured.err == ""
    # a bad whole number is refused by the option's own check: one line, JSON too
    assert main(["ask", "q", "--json", "--top-k", "lots"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"error": "--top-k must be a whole number from 1, not 'lots'", "code": 2}
    assert captured.err == ""


def test_errors_without_json_are_unchanged(tmp_path, capsys):
    assert main(["ask", "anything?", "--index", str(tmp_path / "none")]) == 4
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("qa: no index in") and captured.err.count("\n") == 1
    with pytest.raises(SystemExit):
        main(["ask", "q", "--llm-timeout", "lots"])
    captured = capsys.readouterr()
    assert captured.out == "" and "usage:" in captured.err


def test_real_json_error_from_the_program(tmp_path):
    result = _run([str(QA), "ask", "--json", "anything?", "--index", str(tmp_path / "none")])
    assert result.returncode == 4 and result.stderr == ""
    assert json.loads(result.stdout)["code"] == 4


# -- singular and plural ------------------------------------------------------------------------------------


def test_counts_are_singular_or_plural():
    assert [count(n, "passage") for n in (0, 1, 2)] == ["0 passages", "1 passage", "2 passages"]
    assert count(1, "file") == "1 file"


def test_index_report_counts_one_file_and_one_passage(in_tmp_path, tmp_path, fake_models, capsys, monkeypatch):
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "only.txt").write_text("The lighthouse keeper was born in 1901.\n")
    assert main(["index", "one", "--index", "idx1"], models=fake_models) == 0
    out = capsys.readouterr().out
    assert "indexed  one/only.txt: 1 passage\n" in out
    assert "\n1 file, 1 passage (1 embedded), 0 skipped, in " in out
    (tmp_path / "one" / "more.txt").write_text("The bridge opened in 1932. It is red.\n")
    assert main(["index", "one", "--index", "idx1"], models=fake_models) == 0
    out = capsys.readouterr().out
    assert "indexed  one/more.txt: 2 passages\n" in out and "\n2 files, 3 passages (" in out


def test_an_abstention_lists_its_nearest_passages_apart_from_citations(indexed, capsys, fake_models):
    assert main(["ask", "Who painted the moon?", "--index", "idx", "--json", "--top-k", "1"], models=fake_models) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["abstained"] is True and data["answer"] == "" and data["citations"] == []
    (nearest,) = data["nearest"]
    assert set(nearest) >= {"n", "source", "start_line", "end_line", "text", "score"}
    assert nearest["n"] == 1 and nearest["source"] == "docs/facts.txt"
    lines = Path("docs/facts.txt").read_text().splitlines()
    assert lines[nearest["start_line"] - 1] == nearest["text"]
    # an answer has its citations and no "nearest"
    assert main(["ask", KEEPER, "--index", "idx", "--json"], models=fake_models) == 0
    assert "nearest" not in json.loads(capsys.readouterr().out)


# -- the exit statuses ---------------------------------------------------------------------------------------


def test_the_readme_names_every_exit_status():
    """Every exit status the program can give is in the README's list (issue 26: 1 was not)."""
    import re

    import qa.cluster  # noqa: F401 - its error class (9) imports no Ray
    import qa.history  # noqa: F401 - its error class (8)
    from qa.errors import QAError

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    codes = {QAError.exit_code} | {cls.exit_code for cls in subclasses(QAError)} | {2, 130}  # argparse; ctrl+c
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("a non-zero exit status:")
    listed = {int(n) for n in re.findall(r"`(\d+)`", readme[start : readme.index("\n\n", start)])}
    assert codes <= listed, sorted(codes - listed)
    assert listed - codes == {0}  # a reader that stops early
