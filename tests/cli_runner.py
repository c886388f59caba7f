"""A runner for CLI tests, after click.testing.CliRunner: it invokes ``qa.cli.main`` in-process and passes in
everything a command reads from its surroundings, instead of a test patching them:

- the environment: ``env`` (a dict of QA_* variables) becomes ``Settings.from_env(env)``, given as ``settings=``;
  the process's environment is never read for an option of qa;
- the models: the fakes of tests/fakes.py by default (``models=``);
- standard input: ``stdin`` text (``stdin=``);
- the terminal: ``terminal`` says whether standard input and output are terminals (``terminal=``, a
  qa.cli_output.Terminal); by default neither is, as in a pipe;
- the working folder: ``cwd``, for the tests about names relative to it (``contextlib.chdir``, for the call only).

Standard output and standard error are captured (``contextlib.redirect_stdout``/``redirect_stderr``, as click's
runner swaps the streams) and returned with the exit status in a ``Result``.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import fakes

from qa.cli import main
from qa.cli_output import Terminal
from qa.config import Settings

# A terminal whose $TERM shows OSC 8 links, for tests of what qa does on a terminal.
TERMINAL = Terminal(stdin=True, stdout=True, term="xterm-256color")
PIPE = Terminal(stdin=False, stdout=False, term="")


@dataclass(frozen=True)
class Result:
    """What a command did: its exit status and what it wrote."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout


class CliRunner:
    """Invokes ``qa`` commands with the given environment (``env``, QA_* variables) and models."""

    def __init__(self, env: Mapping[str, str | os.PathLike] | None = None, models=fakes.MODELS):
        self.env = {name: str(value) for name, value in (env or {}).items()}
        self.models = models

    def settings(self, env: Mapping[str, str | os.PathLike] | None = None) -> Settings:
        """The settings a command is given: this runner's environment, updated with ``env``."""
        return Settings.from_env({**self.env, **{name: str(value) for name, value in (env or {}).items()}})

    def invoke(
        self,
        *argv: str | os.PathLike,
        stdin: str | io.TextIOBase | None = None,
        terminal: Terminal | bool = False,
        env: Mapping[str, str | os.PathLike] | None = None,
        cwd: str | os.PathLike | None = None,
        settings: Settings | None = None,
        chat=None,
    ) -> Result:
        """Run ``qa ARGV``; ``stdin`` is the text piped in (none: an empty pipe), ``terminal`` True for a terminal
        (``TERMINAL``) or a Terminal, ``env`` more variables for this call, ``cwd`` the folder it runs in,
        ``settings`` given as they are (instead of ``env``), ``chat`` what `qa chat` opens (main's ``chat``)."""
        if isinstance(terminal, bool):
            terminal = TERMINAL if terminal else PIPE
        stream = stdin if stdin is None or not isinstance(stdin, str) else io.StringIO(stdin)
        out, err = io.StringIO(), io.StringIO()
        folder = contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext()
        with folder, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(
                    [os.fspath(arg) for arg in argv],
                    models=self.models,
                    settings=settings if settings is not None else self.settings(env),
                    stdin=stream if stream is not None else io.StringIO(""),
                    terminal=terminal,
                    chat=chat,
                )
            except SystemExit as exc:  # argparse's usage errors, --help and --version, as click's runner takes them
                code = exc.code if isinstance(exc.code, int) else 1
        return Result(code, out.getvalue(), err.getvalue())


def private_env(folder: Path) -> dict[str, str]:
    """The variables that keep a command's data in ``folder``: its history and its named collections."""
    return {"QA_HISTORY": str(folder / "history.db"), "QA_DATA_DIR": str(folder / "data")}
