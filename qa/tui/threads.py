"""The chat's daemon threads. Not Textual thread workers: those run in asyncio's default executor, which
``App.run`` waits for on exit, so ctrl+q during a model load or an index build would hang until it finished."""

from __future__ import annotations

import asyncio
import contextlib
import threading


def in_background(work, name: str) -> None:
    threading.Thread(target=work, name=name, daemon=True).start()


async def off_the_ui_thread(work, name: str):
    """``work()`` computed in a daemon thread and awaited: the UI goes on meanwhile, and quitting never waits for
    it (a Textual thread worker runs in asyncio's default executor, which App.run waits for on exit)."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def settle(result, error: BaseException | None) -> None:
        if done.done():  # the awaiting worker was cancelled meanwhile
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)

    def run() -> None:
        try:
            result, error = work(), None
        except Exception as exc:  # noqa: BLE001 - raised where it is awaited
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the event loop is closed: the chat has quit
            loop.call_soon_threadsafe(settle, result, error)

    in_background(run, name)
    return await done
