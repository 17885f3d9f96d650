"""The wake-up armed as a wake-up ends is not dropped when its time has already come.

A wake-up that ends with reminders still due (they fell due during a long run under load)
arms the next one for "now". APScheduler counts the ending run as running until the event
loop's next turn, and a job that falls due before then is skipped and removed: no wake-up
was left at all (bench/load.py: 38 of 100 due reminders posted).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES

from cogs.reminders import MAX_PASSES, WAKE_JOB
from tests.e2e.conftest import App


async def test_the_next_wake_up_runs_when_reminders_are_still_due_at_the_end(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    cog: Any = app.bot.get_cog("RemindersCog")
    service = app.services.reminders
    real_run = service.run_due
    loop = asyncio.get_running_loop()
    skipped, second_wake = asyncio.Event(), asyncio.Event()
    runs = 0

    def listener(event: Any) -> None:
        if event.job_id == WAKE_JOB:
            loop.call_soon_threadsafe(skipped.set)

    app.bot.scheduler.add_listener(listener, EVENT_JOB_MAX_INSTANCES)

    async def counted_run() -> list[Any]:
        nonlocal runs
        runs += 1
        if runs > MAX_PASSES:  # a pass of the wake-up armed at the end of the first
            second_wake.set()
        return await real_run()

    monkeypatch.setattr(service, "run_due", counted_run)
    # Something is due at every look: each pass is followed by another, and the wake-up
    # ends after its last pass with a reminder still due.
    monkeypatch.setattr(service, "next_wake", app.clock.now)
    cog.arm(app.clock.now())
    waits = [asyncio.ensure_future(second_wake.wait()), asyncio.ensure_future(skipped.wait())]
    await asyncio.wait(waits, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    for waiting in waits:
        waiting.cancel()
    monkeypatch.undo()
    assert not skipped.is_set(), "the wake-up armed at the end of a run was dropped"
    assert second_wake.is_set()
