"""The gateway websocket: HELLO, IDENTIFY/READY, heartbeats, RESUME, INVALID_SESSION.

Frames are plain-text JSON (no zlib), which discord.py accepts even though it
asks for compression in the URL. Every dispatched event gets a per-session
sequence number and is kept, so a client that RESUMEs after a dropped
connection gets everything it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .models import JSON
from .recording import Violation, ViolationLog
from .state import World

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16

_EVENT_INTENTS = {
    "GUILD_CREATE": GUILDS,
    "GUILD_UPDATE": GUILDS,
    "GUILD_DELETE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS,
    "GUILD_ROLE_UPDATE": GUILDS,
    "GUILD_ROLE_DELETE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "CHANNEL_UPDATE": GUILDS,
    "CHANNEL_DELETE": GUILDS,
    "CHANNEL_PINS_UPDATE": GUILDS,
    "THREAD_CREATE": GUILDS,
    "THREAD_UPDATE": GUILDS,
    "THREAD_DELETE": GUILDS,
    "THREAD_MEMBERS_UPDATE": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": GUILD_MEMBERS,
    "MESSAGE_CREATE": GUILD_MESSAGES,
    "MESSAGE_UPDATE": GUILD_MESSAGES,
    "MESSAGE_DELETE": GUILD_MESSAGES,
    "MESSAGE_REACTION_ADD": GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE": GUILD_MESSAGE_REACTIONS,
    "GUILD_SCHEDULED_EVENT_CREATE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": GUILD_SCHEDULED_EVENTS,
}


@dataclass
class GatewayFrame:
    """One frame on the wire, for tests that want to look at the protocol."""

    direction: str  # "in" (client -> fake) or "out"
    op: int
    t: str | None
    s: int | None
    time: float


@dataclass
class Session:
    id: str
    intents: int
    shard: list[int] | None
    seq: int = 0
    buffer: list[JSON] = field(default_factory=list)
    connection: Connection | None = None
    invalidated: bool = False

    def wants(self, event: str, data: JSON, bot_id: int) -> bool:
        needed = _EVENT_INTENTS.get(event)
        if needed is None:
            return True
        if event == "GUILD_MEMBER_UPDATE" and str(data.get("user", {}).get("id")) == str(bot_id):
            return True
        return bool(self.intents & needed)

    def serves(self, guild_id: int | None) -> bool:
        """Discord sends a guild's events to shard ``(guild_id >> 22) % shard_count`` only."""
        if guild_id is None or not self.shard:
            return True
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id

    def frame(self, event: str, data: JSON) -> JSON:
        self.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
        self.buffer.append(frame)
        return frame


CLOSE_TIMEOUT = 2.0
"""Seconds a connection may take to close or flush at shutdown before it is cut off."""


class Connection:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        path: str,
        on_sent: Callable[[JSON], None],
        transport: asyncio.BaseTransport | None = None,
    ):
        self.ws = ws
        self._transport = transport
        self.path = path
        self.session: Session | None = None
        self._queue: asyncio.Queue[JSON | Callable[[], None] | None] = asyncio.Queue()
        self._on_sent = on_sent
        self._writer = asyncio.create_task(self._write())

    def send(self, frame: JSON) -> None:
        self._queue.put_nowait(frame)

    def after_sent(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once every frame queued so far has been written."""
        self._queue.put_nowait(callback)

    async def _write(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            if callable(item):
                item()
                continue
            if self.ws.closed:
                continue
            try:
                await self.ws.send_str(json.dumps(item))
            except (ConnectionError, RuntimeError):
                continue
            self._on_sent(item)

    async def stop(self) -> None:
        """Stop writing; a writer stuck on a peer that stopped reading is cut off."""
        self._queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(self._writer, CLOSE_TIMEOUT)

    async def close(self) -> None:
        """Close as a shutting-down server does, within ``CLOSE_TIMEOUT`` whatever the peer does.

        aiohttp's close waits for the peer's close frame and for a concurrent reader
        without a limit of its own; past that the connection is dropped instead.
        """
        if not self.ws.closed:
            try:
                await asyncio.wait_for(
                    self.ws.close(code=1001, message=b"Server shutting down"), CLOSE_TIMEOUT
                )
            except TimeoutError:
                if self._transport is not None:
                    self._transport.abort()
        await self.stop()


class Gateway:
    """Serves ``/gateway`` and ``/gateway/resume`` and dispatches state changes."""

    heartbeat_interval_ms = 41_250

    def __init__(self, world: World, violations: ViolationLog, token: Callable[[], str]) -> None:
        self.world = world
        self.violations = violations
        self._token = token
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.frames: list[GatewayFrame] = []
        self.identifies = 0
        self.resumes = 0
        self.ready_count = 0
        self.resumed_count = 0
        self.accepting = asyncio.Event()
        self.accepting.set()
        world.set_emitter(self.dispatch)

    # ---------------------------------------------------------------- dispatch

    def dispatch(self, event: str, data: JSON) -> None:
        guild_id = event_guild_id(event, data)
        for session in list(self.sessions.values()):
            if session.invalidated or not session.wants(event, data, self.world.bot.id):
                continue
            if not session.serves(guild_id):
                continue
            frame = session.frame(event, self._shape_for(session, event, data))
            if session.connection is not None:
                session.connection.send(frame)

    def _shape_for(self, session: Session, event: str, data: JSON) -> JSON:
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            return strip_content(data, session.intents, self.world.bot.id)
        if event == "GUILD_CREATE" and not session.intents & GUILD_MEMBERS:
            data = dict(data)
            data["members"] = [
                m for m in data.get("members", []) if m["user"]["id"] == str(self.world.bot.id)
            ]
        return data

    # --------------------------------------------------------------- protocol

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await self.accepting.wait()
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = Connection(ws, request.path, self._record_out, request.transport)
        self.connections.append(conn)
        conn.send(
            {
                "op": HELLO,
                "t": None,
                "s": None,
                "d": {"heartbeat_interval": self.heartbeat_interval_ms},
            }
        )
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(message.data)
                self._record_in(payload)
                await self._on_frame(conn, request, payload)
        finally:
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
                if ws.close_code in (1000, 1001):
                    # A clean close from the client ends the session; it cannot be resumed.
                    session.invalidated = True
            self.connections.remove(conn)
            await conn.stop()
            self.world.changed()
        return ws

    async def _on_frame(self, conn: Connection, request: web.Request, payload: JSON) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == HEARTBEAT:
            conn.send({"op": HEARTBEAT_ACK, "t": None, "s": None, "d": None})
        elif op == IDENTIFY:
            await self._identify(conn, request, data or {})
        elif op == RESUME:
            self._resume(conn, data or {})
        elif op == REQUEST_MEMBERS:
            self._members_chunk(conn, data or {})
        elif op in (PRESENCE, VOICE_STATE):
            pass
        else:
            self.violations.record(
                Violation("gateway", "WS", request.path, f"unknown gateway opcode {op}", payload)
            )
            await conn.ws.close(code=4001, message=b"Unknown opcode")

    def _token_ok(self, token: Any) -> bool:
        return isinstance(token, str) and token.removeprefix("Bot ") == self._token()

    async def _identify(self, conn: Connection, request: web.Request, data: JSON) -> None:
        if not self._token_ok(data.get("token")):
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        session = Session(uuid.uuid4().hex, int(data.get("intents") or 0), data.get("shard"))
        self.sessions[session.id] = session
        self.identifies += 1
        if session.shard is not None and not self._valid_shard(session.shard):
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        guilds = [g for g in self.world.guilds.values() if session.serves(g.id)]
        ready: JSON = {
            "v": 10,
            "user": {
                **self.world.bot.payload(),
                "verified": True,
                "mfa_enabled": False,
                "email": None,
            },
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": f"ws://{request.host}/gateway/resume",
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east"],
            "user_settings": {},
            "auth": {},
            "application": {"id": str(self.world.application_id), "flags": 0},
            "_trace": ['["fake-discord-gateway",{"micros":0}]'],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        conn.session = session
        session.connection = conn
        conn.send(session.frame("READY", ready))
        for guild in guilds:
            payload = self._shape_for(
                session, "GUILD_CREATE", self.world.guild_create_payload(guild)
            )
            conn.send(session.frame("GUILD_CREATE", payload))
        conn.after_sent(self._ready_sent)

    @staticmethod
    def _valid_shard(shard: Any) -> bool:
        return (
            isinstance(shard, list)
            and len(shard) == 2
            and all(isinstance(v, int) for v in shard)
            and 0 <= shard[0] < shard[1]
        )

    def shard_sessions(self) -> dict[int, int]:
        """Live connections per shard id (unsharded connections count as shard 0)."""
        counts: dict[int, int] = {}
        for conn in self.live_connections():
            assert conn.session is not None
            shard = conn.session.shard[0] if conn.session.shard else 0
            counts[shard] = counts.get(shard, 0) + 1
        return counts

    def _ready_sent(self) -> None:
        self.ready_count += 1
        self.world.changed()

    def _resumed_sent(self) -> None:
        self.resumed_count += 1
        self.world.changed()

    def _resume(self, conn: Connection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or session.invalidated or not self._token_ok(data.get("token")):
            conn.send({"op": INVALID_SESSION, "t": None, "s": None, "d": False})
            return
        last_seen = int(data.get("seq") or 0)
        # Atomic (no awaits): replay, attach, then confirm.
        for frame in session.buffer:
            if frame["s"] > last_seen:
                conn.send(frame)
        conn.session = session
        session.connection = conn
        self.resumes += 1
        conn.send(session.frame("RESUMED", {"_trace": ['["fake-discord-gateway",{"micros":0}]']}))
        conn.after_sent(self._resumed_sent)

    def _members_chunk(self, conn: Connection, data: JSON) -> None:
        guild = self.world.guild(int(data.get("guild_id", 0)))
        if guild is None or conn.session is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = (data.get("query") or "").lower()
        members = [
            m.payload()
            for m in guild.members.values()
            if (not wanted or m.id in wanted) and m.user.username.lower().startswith(query)
        ]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        conn.send(conn.session.frame("GUILD_MEMBERS_CHUNK", chunk))

    # ------------------------------------------------------------ test control

    def _record_in(self, payload: JSON) -> None:
        loop = asyncio.get_running_loop()
        self.frames.append(
            GatewayFrame(
                "in", payload.get("op", -1), payload.get("t"), payload.get("s"), loop.time()
            )
        )

    def _record_out(self, payload: JSON) -> None:
        loop = asyncio.get_running_loop()
        self.frames.append(
            GatewayFrame(
                "out", payload.get("op", -1), payload.get("t"), payload.get("s"), loop.time()
            )
        )

    def live_connections(self) -> list[Connection]:
        return [c for c in self.connections if c.session is not None and not c.ws.closed]

    async def drop(self, code: int = 4000) -> int:
        """Close every live connection the way a network blip would."""
        dropped = 0
        for conn in list(self.connections):
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
            if not conn.ws.closed:
                dropped += 1
                await conn.ws.close(code=code, message=b"Connection dropped by the test")
        return dropped

    async def invalidate(self, resumable: bool = False) -> int:
        count = 0
        for conn in self.live_connections():
            session = conn.session
            assert session is not None
            if not resumable:
                session.invalidated = True
                session.connection = None
            conn.send({"op": INVALID_SESSION, "t": None, "s": None, "d": resumable})
            count += 1
        return count

    async def reconnect_request(self) -> int:
        """Send op 7 RECONNECT; the client closes and RESUMEs."""
        count = 0
        for conn in self.live_connections():
            conn.send({"op": RECONNECT, "t": None, "s": None, "d": None})
            count += 1
        return count

    async def close(self) -> None:
        for conn in list(self.connections):
            await conn.close()


_GUILD_OBJECT_EVENTS = ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE")


def event_guild_id(event: str, data: JSON) -> int | None:
    """The guild an event belongs to (it decides the shard), or None for global events."""
    raw = data.get("id") if event in _GUILD_OBJECT_EVENTS else data.get("guild_id")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def strip_content(data: JSON, intents: int, bot_id: int) -> JSON:
    """Without the MESSAGE_CONTENT intent Discord blanks other users' messages."""
    if intents & MESSAGE_CONTENT:
        return data
    author = data.get("author", {}).get("id")
    mentioned = any(u.get("id") == str(bot_id) for u in data.get("mentions", []))
    if author == str(bot_id) or mentioned or "guild_id" not in data:
        return data
    stripped = dict(data)
    stripped.update({"content": "", "embeds": [], "attachments": [], "components": []})
    return stripped
