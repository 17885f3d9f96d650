"""The scheduler's wake-up chain survives a busy run.

The wake-up is one APScheduler job (one instance at a time). A wake-up armed for a moment
that passes while another is still running is skipped by the scheduler and dropped, which
would leave no wake-up at all: reminders would wait for the next change of the schedule
(seen under load: most reminders of a busy minute were never posted). Arming therefore waits
for the running wake-up to end.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES

from cogs.reminders import WAKE_JOB
from tests.e2e.conftest import App


async def test_a_wake_up_armed_during_a_busy_run_is_not_dropped(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    cog: Any = app.bot.get_cog("RemindersCog")
    service = app.services.reminders
    real_run = service.run_due
    loop = asyncio.get_running_loop()
    skipped, finished = asyncio.Event(), asyncio.Event()

    def listener(event: Any) -> None:
        if event.job_id == WAKE_JOB:
            target = skipped if event.code == EVENT_JOB_MAX_INSTANCES else finished
            loop.call_soon_threadsafe(target.set)

    app.bot.scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_MAX_INSTANCES)

    async def busy_run() -> list[Any]:
        outcomes = await real_run()
        cog.arm(app.clock.now())  # something became due while this run was still going
        for _ in range(20):  # the run goes on for a while (the scheduler gets its turns)
            await asyncio.sleep(0)
        return outcomes

    monkeypatch.setattr(service, "run_due", busy_run)
    cog.arm(app.clock.now())
    await asyncio.wait_for(finished.wait(), 5)
    assert not skipped.is_set(), "a wake-up was dropped by the scheduler"
    assert app.bot.scheduler.get_job(WAKE_JOB) is not None, "no wake-up is armed any more"
