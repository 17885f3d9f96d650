"""The health line: one INFO line every ten minutes saying the bot is alive and how it is.

``servers 3, gateway latency 42 ms, reminders pending 5 (0 claimed or waiting for a
permission)``: the servers and latency come from the Discord side, the planned reminders
from the reminder plan, the waiting ones from the ledger (one query).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from storage.db import Database

log = logging.getLogger("bot.health")


@dataclass(frozen=True, slots=True)
class Heartbeat:
    servers: int
    latency: float | None  # seconds; None before the first heartbeat of the gateway
    planned: int | None  # reminders planned ahead (None: the reminders are not loaded)
    open_in_ledger: int

    def line(self) -> str:
        if self.latency is None or not math.isfinite(self.latency):
            latency = "gateway latency unknown (not connected)"
        else:
            latency = f"gateway latency {self.latency * 1000:.0f} ms"
        planned = "?" if self.planned is None else str(self.planned)
        servers = f"{self.servers} server{'' if self.servers == 1 else 's'}"
        return (
            f"health: {servers}, {latency}, reminders pending {planned} "
            f"({self.open_in_ledger} claimed or waiting for a permission)"
        )


async def heartbeat(
    db: Database, *, servers: int, latency: float | None, planned: int | None
) -> Heartbeat:
    async with db.unit() as uow:
        waiting = await uow.reminders.count_open()
    return Heartbeat(servers, latency, planned, waiting)


async def log_heartbeat(
    db: Database, *, servers: int, latency: float | None, planned: int | None
) -> str:
    line = (await heartbeat(db, servers=servers, latency=latency, planned=planned)).line()
    log.info("%s", line)
    return line
