"""The life cycle shared by the loopback HTTP fakes (arXiv, LLM): an aiohttp app on a free
port of 127.0.0.1, and requests that a test holds until it releases them."""

from __future__ import annotations

import asyncio
from typing import Any, Self

from aiohttp import web


async def serve_on_loopback(app: web.Application, **options: Any) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on a free port of 127.0.0.1; the runner (for ``cleanup()``) and the port.

    Shutdown is bounded: requests still running are given one second."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0, **options)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, int(runner.addresses[0][1])


class LoopbackServer:
    """Subclasses add their routes in ``routes``. Use ``async with`` or ``start()``/``close()``."""

    def __init__(self) -> None:
        self.held = 0
        self.hold_started = asyncio.Event()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> Self:
        app = web.Application()
        self.routes(app)
        self._runner, self._port = await serve_on_loopback(app, handler_cancellation=True)
        return self

    async def close(self) -> None:
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._port

    async def hold(self) -> None:
        """Keep the current request waiting until ``release()`` (a time-out seen from the bot)."""
        self.held += 1
        self.hold_started.set()
        await self._release.wait()

    def release(self) -> None:
        """Let held requests answer now; later holds are not affected."""
        self._release.set()
        self._release = asyncio.Event()
