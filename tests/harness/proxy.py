"""A recording reverse proxy on loopback: what a REST proxy (nirn-proxy) or a gateway proxy
is to the bot. It forwards HTTP requests and websocket connections to a target server (the
fake Discord) and records each one, so a test can show that every request of the bot went
through the proxy's address."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import aiohttp
from aiohttp import WSMsgType, web

from .loopback import serve_on_loopback

# The Host header is passed on, as reverse proxies do, so the answers name the proxy.
_HOP_BY_HOP = {
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "content-encoding",
}


@dataclass
class ProxiedRequest:
    method: str
    path: str
    status: int | None = None


@dataclass
class RecordingProxy:
    target: str  # e.g. http://127.0.0.1:PORT
    requests: list[ProxiedRequest] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    frames: int = 0
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> RecordingProxy:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner, self.port = await serve_on_loopback(app)
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> RecordingProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request)
        assert self._session is not None
        record = ProxiedRequest(request.method, request.path)
        self.requests.append(record)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        body = await request.read()
        async with self._session.request(
            request.method,
            self.target + request.path_qs,
            headers=headers,
            data=body or None,
            allow_redirects=False,
        ) as answer:
            data = await answer.read()
            record.status = answer.status
            out = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
            return web.Response(status=answer.status, body=data, headers=out)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        self.websockets.append(request.path_qs)
        downstream = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await downstream.prepare(request)
        target = "ws" + self.target.removeprefix("http") + request.path_qs
        async with self._session.ws_connect(target, max_msg_size=0) as upstream:

            async def pump(source: object, sink: object) -> None:
                async for message in source:  # type: ignore[attr-defined]
                    self.frames += 1
                    if message.type is WSMsgType.TEXT:
                        await sink.send_str(message.data)  # type: ignore[attr-defined]
                    elif message.type is WSMsgType.BINARY:
                        await sink.send_bytes(message.data)  # type: ignore[attr-defined]
                    else:
                        break
                await sink.close()  # type: ignore[attr-defined]

            tasks = [
                asyncio.create_task(pump(upstream, downstream)),
                asyncio.create_task(pump(downstream, upstream)),
            ]
            _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        return downstream
