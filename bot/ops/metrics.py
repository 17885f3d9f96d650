"""Prometheus metrics of one bot process (served on ``/metrics`` when HEALTH_PORT is set).

Each bot gets its own registry, so two bots in one process (tests, benchmarks) never share
counters. The Discord side feeds it: commands and their latency, reminder outcomes, and every
answer Discord gives the REST client (4xx, 5xx, 429 rate limits).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MAX_IN_FLIGHT = 10_000  # interactions waiting for their completion; older ones are dropped

__all__ = ["CONTENT_TYPE_LATEST", "BotMetrics"]


class BotMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.commands = Counter(
            "bot_commands",
            "Application commands handled, by command and outcome (ok or error)",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "bot_command_latency_seconds",
            "Time from receiving a command to the end of its handler",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.reminders = Counter(
            "bot_reminders",
            "Reminder outcomes: sent, recovered, skipped, blocked, held, failed",
            ["result"],
            registry=self.registry,
        )
        self.reminders_pending = Gauge(
            "bot_reminders_pending",
            "Reminders planned and not done yet (due or upcoming) for this process's servers",
            registry=self.registry,
        )
        self.discord_responses = Counter(
            "bot_discord_responses",
            "Answers of Discord's REST API to this process, by status code",
            ["status"],
            registry=self.registry,
        )
        self.discord_rate_limits = Counter(
            "bot_discord_rate_limits",
            "HTTP 429 answers from Discord (each one is waited out by discord.py)",
            registry=self.registry,
        )
        self.gateway_up = Gauge(
            "bot_gateway_connected",
            "1 while every shard of this process is connected",
            registry=self.registry,
        )
        self._started: dict[int, float] = {}

    # ------------------------------------------------------------------ commands

    def command_started(self, interaction_id: int) -> None:
        if len(self._started) >= MAX_IN_FLIGHT:
            self._started.pop(next(iter(self._started)))
        self._started[interaction_id] = time.perf_counter()

    def command_finished(self, interaction_id: int, command: str, outcome: str) -> None:
        began = self._started.pop(interaction_id, None)
        self.commands.labels(command or "unknown", outcome).inc()
        if began is not None:
            self.latency.labels(command or "unknown").observe(time.perf_counter() - began)

    # ------------------------------------------------------------------ reminders

    def reminder_outcomes(self, results: Iterable[str]) -> None:
        for result in results:
            self.reminders.labels(result).inc()

    def follow_pending(self, count: Callable[[], int]) -> None:
        self.reminders_pending.set_function(lambda: float(count()))

    def follow_gateway(self, connected: Callable[[], bool]) -> None:
        self.gateway_up.set_function(lambda: 1.0 if connected() else 0.0)

    # ------------------------------------------------------------------ Discord

    def discord_answered(self, status: int) -> None:
        if status >= 400:
            self.discord_responses.labels(str(status)).inc()
        if status == 429:
            self.discord_rate_limits.inc()

    def value(self, name: str, **labels: Any) -> float:
        """One sample's current value (0 when it was never set), for tests and benchmarks."""
        found = self.registry.get_sample_value(name, labels or None)
        return float(found or 0.0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
