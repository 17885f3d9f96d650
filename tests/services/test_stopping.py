"""The scheduler's executor at a stop: running jobs are waited for, within a bound."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.ops.stopping import DrainingExecutor


@pytest.fixture
async def jobs() -> AsyncIterator[tuple[AsyncIOScheduler, DrainingExecutor]]:
    executor = DrainingExecutor()
    scheduler = AsyncIOScheduler(timezone="UTC", executors={"default": executor})
    scheduler.start()
    yield scheduler, executor
    if scheduler.running:
        scheduler.shutdown(wait=False)


async def test_a_running_job_is_waited_for_until_it_ends(
    jobs: tuple[AsyncIOScheduler, DrainingExecutor],
) -> None:
    scheduler, executor = jobs
    started, release = asyncio.Event(), asyncio.Event()
    ended: list[str] = []

    async def job() -> None:
        started.set()
        await release.wait()  # e.g. a database call that has not answered yet
        ended.append("done")

    scheduler.add_job(job, "date", run_date=datetime.now(UTC))
    await asyncio.wait_for(started.wait(), 5)
    scheduler.pause()
    draining = asyncio.create_task(executor.drain(30))
    await asyncio.sleep(0)
    assert not draining.done()
    release.set()
    assert await asyncio.wait_for(draining, 5) is True
    assert ended == ["done"]  # the job finished its work; it was not cancelled


async def test_a_job_still_running_after_the_bound_is_cancelled_and_unwinds(
    jobs: tuple[AsyncIOScheduler, DrainingExecutor],
) -> None:
    scheduler, executor = jobs
    started = asyncio.Event()
    cleaned: list[str] = []

    async def stuck() -> None:
        started.set()
        try:
            await asyncio.Event().wait()  # never ends by itself
        finally:
            cleaned.append("cleanup")

    scheduler.add_job(stuck, "date", run_date=datetime.now(UTC))
    await asyncio.wait_for(started.wait(), 5)
    assert await executor.drain(0.05) is False
    assert cleaned == ["cleanup"]  # cancelled and unwound before drain returned
    assert executor.running() == []


async def test_nothing_running_returns_at_once(
    jobs: tuple[AsyncIOScheduler, DrainingExecutor],
) -> None:
    _, executor = jobs
    assert await executor.drain(30) is True
