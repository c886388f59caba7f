"""Shell completion scripts for `qa completion bash|zsh|fish`, generated from the argparse parser.

bash and zsh come from shtab, which writes a static script: nothing of qa runs when TAB is pressed.
argcomplete, the other library that reads an argparse parser, covers fish too, but its scripts start qa at
every TAB to ask the parser: `qa as<TAB>` took 0.21-0.39 s here (Python, import qa.cli, build the parser),
against no time for a static script, and it would tie completion to the installed qa of the moment.
shtab writes no fish, so fish has the small generator below, which reads the same marks shtab reads: an
argument's ``choices``, and ``complete`` set to ``shtab.FILE`` or ``shtab.DIRECTORY`` (see qa.cli_parser.build_parser).
"""

from __future__ import annotations

import argparse

import shtab

SHELLS = ("bash", "fish", "zsh")


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script of ``parser`` for ``shell`` (one of SHELLS)."""
    if shell == "fish":
        return _fish_script(parser)
    # shtab's zsh script registers itself when eval'd or autoloaded from $fpath (README: Shell completion).
    return shtab.complete(parser, shell=shell)


def subcommands(parser: argparse.ArgumentParser) -> dict[str, tuple[argparse.ArgumentParser, str]]:
    """Each subcommand's parser and help, in the order they were added; {} for a parser without any.

    argparse offers no public way to list them, so this reads its actions, as shtab does.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._get_subactions()}
            return {name: (sub, helps.get(name, "")) for name, sub in action.choices.items()}
    return {}


# -- fish: shtab has none ------------------------------------------------------------------------------


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings]


def _positionals(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if not a.option_strings and not isinstance(a, argparse._SubParsersAction)]


def _short_help(action_or_text) -> str:
    text = action_or_text if isinstance(action_or_text, str) else (action_or_text.help or "")
    return text.split(" (")[0].split(", e.g.")[0].strip()


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _values(action: argparse.Action) -> str | None:
    """The `complete` flags that complete a value of ``action``: its choices, folders or files; None: free text."""
    if action.choices:
        return f" -x -a {_quote(' '.join(str(c) for c in action.choices))}"
    marked = getattr(action, "complete", None)
    if marked is shtab.DIRECTORY:
        return " -x -a '(__fish_complete_directories (commandline -ct))'"
    if marked is shtab.FILE:
        return " -r -F"
    return None


def _fish_lines(parser: argparse.ArgumentParser, condition: str) -> list[str]:
    lines = []
    for action in _options(parser):
        spelled = "".join(f" -l {o[2:]}" if o.startswith("--") else f" -s {o[1:]}" for o in action.option_strings)
        value = (_values(action) or " -x") if action.nargs != 0 else ""
        described = f" -d {_quote(_short_help(action))}" if action.help else ""
        lines.append(f"complete -c qa -n {condition}{spelled}{value}{described}")
    for action in _positionals(parser):
        values = _values(action)
        if values:
            lines.append(f"complete -c qa -n {condition}{values}")
    return lines


def _fish_script(parser: argparse.ArgumentParser) -> str:
    commands = subcommands(parser)
    lines = [
        "# fish completion for qa: qa completion fish | source, or save it as ~/.config/fish/completions/qa.fish",
        "complete -c qa -f",
        *_fish_lines(parser, "__fish_use_subcommand"),
    ]
    for name, (_sub, help_text) in commands.items():
        lines.append(f"complete -c qa -n __fish_use_subcommand -a {name} -d {_quote(_short_help(help_text))}")
    for name, (sub, _help) in commands.items():
        # `qa history show`: the show of qa history, not qa show.
        within = [other for other, (o, _h) in commands.items() if other != name and name in subcommands(o)]
        condition = f"__fish_seen_subcommand_from {name}" + "".join(
            f"; and not __fish_seen_subcommand_from {other}" for other in within
        )
        actions = subcommands(sub)
        if not actions:
            lines += _fish_lines(sub, _quote(condition))
            continue
        before = f"{condition}; and not __fish_seen_subcommand_from {' '.join(actions)}"
        lines += _fish_lines(sub, _quote(before))
        for action, (_leaf, help_text) in actions.items():
            lines.append(f"complete -c qa -n {_quote(before)} -a {action} -d {_quote(_short_help(help_text))}")
        for action, (leaf, _help) in actions.items():
            lines += _fish_lines(leaf, _quote(f"{condition}; and __fish_seen_subcommand_from {action}"))
    return "\n".join(lines) + "\n"
