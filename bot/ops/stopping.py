"""Stopping while the bot works: nothing new starts, what runs ends, then the database closes.

APScheduler's asyncio executor cancels the jobs it runs when the scheduler shuts down, and a
job cancelled while it waits for an aiosqlite call leaves that call running in the
connection's thread: the transaction is cut half-way and the connection may never be closed,
which kept the process from exiting. The bot therefore pauses the scheduler, tells its
features to start nothing new (a reminder's pending retry is given up; its claim stays for
the takeover at the next start), and waits for the running jobs, at most :data:`STOP_GRACE`
seconds, before it shuts the scheduler down and closes the database.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from apscheduler.executors.asyncio import AsyncIOExecutor

log = logging.getLogger(__name__)

# Longer than SQLite's busy_timeout (10 s, storage.db): a call waiting for another
# connection's lock ends by itself before a job is cancelled.
STOP_GRACE = 12.0
UNWIND = 2.0  # for a cancelled job to run its cleanup


class DrainingExecutor(AsyncIOExecutor):  # type: ignore[misc]  # APScheduler has no types
    """APScheduler's asyncio executor that can also wait for the jobs it is running."""

    def running(self) -> list[asyncio.Future[Any]]:
        # AsyncIOExecutor keeps the task of every job it runs until the job ends.
        pending: set[asyncio.Future[Any]] = getattr(self, "_pending_futures", set())
        return [f for f in pending if not f.done()]

    async def drain(self, grace: float) -> bool:
        """Wait until no job runs, at most ``grace`` seconds; then cancel what still runs
        (and let it unwind before the database closes). False if something was cancelled."""
        running = self.running()
        if not running:
            return True
        log.info("waiting up to %.0f s for %d running job(s) to end", grace, len(running))
        _, pending = await asyncio.wait(running, timeout=grace)
        if not pending:
            return True
        log.warning("%d job(s) still running after %.0f s: stopping them", len(pending), grace)
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=UNWIND)
        return False
