"""Files changed since indexing (issue 11): checked in the background after each answer, offered for a
refresh (F5), which prepares a new engine over the same index and swaps it in.

A part of ``ChatApp`` (qa.tui.app), which it is mixed into: its methods use the app's state and widgets."""

from __future__ import annotations

from qa.errors import QAError
from qa.tui.freshness import can_refresh, changed_sources, renewed
from qa.tui.messages import LoadProgress, Refreshed, Stale
from qa.tui.threads import in_background
from qa.tui.widgets import LoadStatus


class RefreshActions:
    def _check_freshness(self, answer) -> None:
        """In the background: did the files this answer cites change since they were indexed?"""
        sources = [c.source for c in answer.citations]
        if not sources or self.refreshing or not can_refresh(self.engine):
            return
        engine = self.engine

        def check() -> None:
            try:
                changed = changed_sources(engine, sources)
            except Exception:  # noqa: BLE001 - a check that fails offers nothing; the answer is shown
                return
            if changed:
                self.post_message(Stale(changed))

        in_background(check, "qa-freshness")

    def on_stale(self, event: Stale) -> None:
        new = [s for s in event.sources if s not in self.stale]
        if not new or self.refreshing or not self.is_running:
            return
        self.stale.update(new)
        named = new[0] if len(new) == 1 else f"{new[0]} and {len(new) - 1} more cited file{'s' * (len(new) > 2)}"
        self.notify(
            f"{named} changed since it was indexed: this answer quotes the indexed text. F5 refreshes the index.",
            title="Changed file" + ("s" if len(new) > 1 else ""),
            severity="warning",
            timeout=20,
        )

    def action_refresh(self) -> None:
        """Re-read the files changed since indexing (the engine's own refresh, in a new engine over the same
        index) and answer from them from now on. It starts once the answer under way is in, and the questions
        asked meanwhile wait for it: the refresh replaces the index generation the old engine reads."""
        if self.refreshing:
            self.notify("The index is being refreshed already.")
            return
        if self.state != "ready" or not can_refresh(self.engine):
            self.notify("No index to refresh here.", severity="warning")
            return
        self.refreshing = True
        self.sub_title = "refreshing the index…"
        status = self.query_one(LoadStatus)
        status.start("Refreshing the index from the files as they are now…")
        status.display = True
        if not self.answering:
            self._start_refresh()

    def _start_refresh(self) -> None:
        fresh = renewed(self.engine)

        def progress(stage: str, done: int, total: int) -> None:
            self.post_message(LoadProgress(stage, done, total))

        def refresh() -> None:
            try:
                fresh.prepare(notice=lambda m: self.notify(m, markup=False), progress=progress)
            except QAError as exc:
                self.post_message(Refreshed(error=exc.message))
            except Exception as exc:  # noqa: BLE001 - reading or loading fails in many library-specific ways
                self.post_message(Refreshed(error=f"could not refresh the index ({type(exc).__name__}: {exc})"))
            else:
                self.post_message(Refreshed(fresh))

        self._refresh_started = True
        in_background(refresh, "qa-refresh")

    def on_refreshed(self, event: Refreshed) -> None:
        self.refreshing = self._refresh_started = False
        if not self.is_running:
            return
        self.query_one(LoadStatus).display = False
        self._show_mode()
        if event.error:
            self.notify(event.error, title="Not refreshed", severity="error", timeout=20)
        else:
            self.engine = event.engine
            self.stale.clear()
            self.notify("The index is up to date: the next answers quote the files as they are now.", title="Refreshed")
        self._pump()
