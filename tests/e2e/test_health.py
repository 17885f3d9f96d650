"""HEALTH_PORT: ``/healthz`` (gateway connected, database answering) and ``/metrics``."""

from __future__ import annotations

import socket
from typing import Any

import aiohttp
import pytest

from tests.e2e.conftest import App


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = _free_port()


@pytest.fixture
def app_settings_overrides() -> dict[str, Any]:
    return {"health_port": PORT}


async def get(path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{PORT}{path}") as r:
        return r.status, await r.text()


def sample(metrics: str, name: str) -> float:
    """The value of one sample line (``name`` with its labels, as Prometheus prints it)."""
    for line in metrics.splitlines():
        key, _, value = line.rpartition(" ")
        if key == name:
            return float(value)
    return 0.0


async def test_health_and_metrics(app: App) -> None:
    status, body = await get("/healthz")
    assert status == 200 and '"gateway": "connected"' in body and '"database": "ok"' in body

    app.discord.faults.add(
        "POST", r"/interactions/\d+/[^/]+/callback", status=429, retry_after=0.01, times=1
    )
    reply = await app.slash(app.member, "help")
    assert reply.embeds
    await app.slash(app.member, "session show", session=999)  # an error reply
    status, metrics = await get("/metrics")
    assert status == 200
    assert sample(metrics, 'bot_commands_total{command="help",outcome="ok"}') == 1.0
    assert sample(metrics, 'bot_commands_total{command="session show",outcome="error"}') == 1.0
    assert sample(metrics, 'bot_command_latency_seconds_count{command="help"}') == 1.0
    assert sample(metrics, "bot_discord_rate_limits_total") == 1.0
    assert sample(metrics, 'bot_discord_responses_total{status="429"}') == 1.0
    assert sample(metrics, "bot_gateway_connected") == 1.0
    assert "bot_reminders_pending" in metrics

    async with app.discord.gateway_outage():
        await app.discord.wait_for(
            lambda: True if not app.bot.gateway_connected() else None, 5, "the drop to be seen"
        )
        status, body = await get("/healthz")
        assert status == 503 and '"gateway": "disconnected"' in body
    status, _ = await get("/healthz")
    assert status == 200
