"""One INFO line every ten minutes: servers, gateway latency and pending reminders."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.app import HEALTH_LINE_JOB
from tests.e2e.conftest import START, App


async def test_the_health_line_every_ten_minutes(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    job = app.bot.scheduler.get_job(HEALTH_LINE_JOB)
    assert job is not None
    assert job.trigger.interval == timedelta(minutes=10)

    async with app.services.db.unit() as uow:  # a reminder claimed and not posted yet
        await uow.reminders.try_claim(
            guild_id=app.guild.id,
            dedupe_key="before:1:2025-01-06T10:00",
            kind="before",
            due_at=START,
            session_id=None,
            owner="another-process",
            now=START,
            lease_expired_before=START - timedelta(minutes=5),
        )
    planned = app.services.reminders.planned_count()
    with caplog.at_level(logging.INFO, logger="bot.health"):
        line = await app.bot.log_health()
    assert line is not None
    latency_ms = f"{app.bot.latency * 1000:.0f}"
    assert line == (
        f"health: 1 server, gateway latency {latency_ms} ms, reminders pending {planned} "
        "(1 claimed or waiting for a permission)"
    )
    [record] = [r for r in caplog.records if r.name == "bot.health"]
    assert (record.levelno, record.getMessage()) == (logging.INFO, line)
