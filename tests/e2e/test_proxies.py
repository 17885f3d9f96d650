"""DISCORD_API_BASE and DISCORD_GATEWAY_URL: the real ``python -m bot`` behind proxies.

The child process is started with nothing but settings (no patched discord.py): every REST
request and the gateway connection must arrive at the proxy's address, which forwards them
to the fake Discord.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.harness.discord.fixtures import fake_discord
from tests.harness.discord.server import FakeDiscord
from tests.harness.proxy import RecordingProxy

__all__ = ["fake_discord"]

REPO = Path(__file__).resolve().parents[2]


async def test_every_request_goes_through_the_configured_proxies(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    async with RecordingProxy(fake_discord.base_url) as proxy:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
        env.update(
            DISCORD_TOKEN=fake_discord.token,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            DISCORD_API_BASE=f"{proxy.base_url}/api/v10",
            DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{proxy.port}/gateway",
            PYTHONPATH=str(REPO),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await fake_discord.wait_ready(1, timeout=30)
            await fake_discord.wait_for_request("PUT", r"/applications/\d+/commands", timeout=30)
            reply = await fake_discord.slash(fake_discord.guild.add_member("reader"), "help")
            assert reply.embeds[0]["title"] == "Reading group assistant"
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, stderr.decode()
    seen = [(r.method, r.path) for r in fake_discord.requests]
    proxied = [(r.method, r.path.removeprefix("/api/v10")) for r in proxy.requests]
    assert seen, "the bot made no request"
    assert proxied == seen  # every request the fake answered came through the proxy
    assert ("GET", "/users/@me") in proxied
    assert ("POST", f"/interactions/{reply.record.id}/{reply.record.token}/callback") in proxied
    assert [p.split("?")[0] for p in proxy.websockets] == ["/gateway"]
    assert proxy.frames > 0
