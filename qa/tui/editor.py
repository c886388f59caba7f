"""The chat handing the terminal to an editor: a question written in $VISUAL/$EDITOR (F2), the cited file
opened at its line (F4); and the commands that do it.

A part of ``ChatApp`` (qa.tui.app), which it is mixed into: its methods use the app's state and widgets."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from textual.app import SuspendNotSupported

from qa.tui.context import citation_ref, located, source_path
from qa.tui.widgets import QuestionInput, one_line


class EditorActions:
    async def action_compose(self) -> None:
        """Write the question in $VISUAL or $EDITOR (the chat suspended meanwhile), starting from what the
        question box holds; saved, it is asked (its lines joined into one question), and left empty, nothing
        is asked and the box keeps its text."""
        box = self.query_one(QuestionInput)
        with tempfile.TemporaryDirectory(prefix="qa-question-") as folder:
            path = Path(folder) / "question.txt"
            path.write_text(box.value + ("\n" if box.value else ""), encoding="utf-8")
            if not self._hand_over(compose_command(path, self.environ)):
                return
            try:
                written = path.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                self.notify(f"cannot read the question back: {exc.strerror or exc}", severity="error")
                return
        question = one_line(written)
        if not question:
            self.notify("Nothing written: no question asked.", severity="warning")
            return
        box.value = ""
        await self.ask(question)

    def _hand_over(self, command: list[str]) -> bool:
        """Run ``command`` on the terminal, the chat suspended meanwhile; False (said) if it could not run."""
        try:
            if self.is_headless:  # no terminal to hand over (the tests)
                status = subprocess.run(command, check=False).returncode
            else:
                with self.suspend():
                    status = subprocess.run(command, check=False).returncode
        except SuspendNotSupported:
            self.notify("This terminal cannot be handed over to an editor.", severity="error")
            return False
        except OSError as exc:
            self.notify(f"cannot run {command[0]}: {exc.strerror or exc}", severity="error")
            return False
        if status != 0:
            self.notify(f"{command[0]} exited with status {status}.", severity="warning")
        return True

    def action_open_citation(self) -> None:
        """Open the cited file at the line in $VISUAL or $EDITOR (else $PAGER), the chat suspended meanwhile."""
        citation = self._citation()
        if citation is None:
            return
        if located(citation):
            # The command finds the file from this index, wherever it is typed.
            index = (
                ""
                if getattr(self.engine, "is_default_index", True)
                else f" --index {shlex.quote(str(self.engine.index_dir))}"
            )
            self.notify(
                f"{citation.source} is not plain text: its lines are those of the extracted text."
                f" `qa show{index} {shlex.quote(citation_ref(citation))}` prints them.",
                severity="warning",
                markup=False,
            )
            return
        path = source_path(citation.source, self.engine)
        if path is None:
            self.notify(f"{citation.source} is not where it was indexed.", severity="error")
            return
        if self._hand_over(editor_command(path, citation.start_line, self.environ)):
            self._show_citation()  # the file may have changed: then a refresh is offered
            self._check_freshness(self.selected.answer)


# Editors told the line as FILE:LINE (-g for VS Code); the others take +LINE (vi, vim, nvim, nano, emacs,
# micro, kak), and less +LINEg.
_FILE_COLON_LINE = {"hx", "helix", "subl", "zed"}


def editor_command(path: Path, line: int, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The command that opens ``path`` at ``line``: $VISUAL, else $EDITOR, else $PAGER, else less or vi.

    These are the terminal's own conventions, shared by every program the person runs, not options of qa
    (qa.config.Settings): read from ``environ`` (the process's; the chat's ``environ``) when a file is opened."""
    spelled = environ.get("VISUAL") or environ.get("EDITOR") or environ.get("PAGER") or ""
    command = shlex.split(spelled) if spelled.strip() else ["less" if _which("less") else "vi"]
    program = Path(command[0]).name
    line = max(1, line)
    if program in ("code", "code-insiders", "codium"):
        return [*command, "-g", f"{path}:{line}"]
    if program in _FILE_COLON_LINE:
        return [*command, f"{path}:{line}"]
    if program == "less":
        return [*command, f"+{line}g", str(path)]
    return [*command, f"+{line}", str(path)]


def compose_command(path: Path, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The command that edits the question in ``path``: $VISUAL, else $EDITOR, else vi (a pager cannot write)."""
    spelled = environ.get("VISUAL") or environ.get("EDITOR") or ""
    command = shlex.split(spelled) if spelled.strip() else ["vi"]
    return [*command, str(path)]


def _which(program: str) -> bool:
    import shutil

    return shutil.which(program) is not None
