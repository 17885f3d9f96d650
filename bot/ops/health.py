"""The optional HTTP endpoint (HEALTH_PORT): ``/healthz`` and ``/metrics``.

``/healthz`` answers 200 when the gateway is connected and the database answers within a
second, 503 otherwise, with a small JSON body saying which; ``/metrics`` is the Prometheus
text format. The Docker HEALTHCHECK (``python -m bot healthcheck``) asks ``/healthz``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.ops.metrics import CONTENT_TYPE_LATEST, BotMetrics

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 1.0


class HealthServer:
    def __init__(
        self,
        metrics: BotMetrics,
        *,
        gateway_ok: Callable[[], bool],
        database_ok: Callable[[], Awaitable[bool]],
        host: str = "0.0.0.0",  # inside a container the probe comes from outside
        port: int,
    ) -> None:
        self.metrics = metrics
        self.gateway_ok = gateway_ok
        self.database_ok = database_ok
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        log.info("health and metrics on port %d (/healthz, /metrics)", self.port)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _database(self) -> bool:
        try:
            return await asyncio.wait_for(self.database_ok(), DATABASE_TIMEOUT)
        except Exception:  # any failure, including the time-out, means "not answering"
            return False

    async def _healthz(self, request: web.Request) -> web.Response:
        gateway = self.gateway_ok()
        database = await self._database()
        body = {
            "gateway": "connected" if gateway else "disconnected",
            "database": "ok" if database else "not answering",
        }
        status = 200 if gateway and database else 503
        return web.Response(
            status=status, text=json.dumps(body), headers={"Content-Type": "application/json"}
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
