"""What the fake saw: recorded requests, contract violations and change waiters."""

# Waits take explicit timeouts so a failure can say what it was waiting for.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


class HarnessTimeout(AssertionError):
    """Raised when something the test waits for does not happen in time."""


@dataclass
class UploadedFile:
    field_name: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP request the client made, and what the fake answered."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    time: float
    status: int | None = None
    response: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


@dataclass
class Violation:
    """A request that breaks Discord's contract (schema, limits, deadlines, routes)."""

    kind: str
    method: str
    path: str
    message: str
    detail: Any = None
    expected: bool = False

    def __str__(self) -> str:
        return f"[{self.kind}] {self.method} {self.path}: {self.message}"


@dataclass
class _Expectation:
    kind: str | None
    path: re.Pattern[str] | None
    times: int | None
    matched: int = 0

    def matches(self, violation: Violation) -> bool:
        if self.times is not None and self.matched >= self.times:
            return False
        if self.kind is not None and violation.kind != self.kind:
            return False
        return self.path is None or self.path.search(violation.path) is not None

    def describe(self) -> str:
        parts = [f"kind={self.kind!r}"] if self.kind else []
        if self.path is not None:
            parts.append(f"path~{self.path.pattern!r}")
        count = "at least once" if self.times is None else f"x{self.times}"
        return f"expect_violation({', '.join(parts)}) {count}"


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Notifier:
    """Wakes waiters whenever the fake's state changes."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait_for(
        self,
        probe: Callable[[], T | None],
        timeout: float,
        describe: Callable[[], str],
        poll: float | None = None,
    ) -> T:
        """Return ``probe()`` once it is not None; re-checked after every change
        (and every ``poll`` seconds, for state the fake cannot observe)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = probe()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise HarnessTimeout(f"timed out after {timeout:.2f} s waiting for {describe()}")
            # One future and one timer per wake-up (cheap: hundreds of waiters at once, as
            # under load, are woken on every change).
            waiter = loop.create_future()
            self._waiters.add(waiter)
            timer = loop.call_later(min(remaining, poll or remaining), _wake, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiters.discard(waiter)


class ViolationLog:
    """Collects violations and decides at teardown which ones were expected."""

    def __init__(self) -> None:
        self.items: list[Violation] = []
        self._expectations: list[_Expectation] = []
        self._catchers: list[list[Violation]] = []

    def record(self, violation: Violation) -> Violation:
        for catcher in self._catchers:
            catcher.append(violation)
            violation.expected = True
        if not violation.expected:
            for expectation in self._expectations:
                if expectation.matches(violation):
                    expectation.matched += 1
                    violation.expected = True
                    break
        self.items.append(violation)
        return violation

    def expect(self, kind: str | None = None, *, path: str | None = None, times: int | None = 1):
        expectation = _Expectation(kind, re.compile(path) if path else None, times)
        # Violations that already happened count too.
        for violation in self.items:
            if not violation.expected and expectation.matches(violation):
                expectation.matched += 1
                violation.expected = True
        self._expectations.append(expectation)
        return expectation

    @contextmanager
    def expecting(self) -> Iterator[list[Violation]]:
        caught: list[Violation] = []
        self._catchers.append(caught)
        try:
            yield caught
        finally:
            self._catchers.remove(caught)

    def unexpected(self) -> list[Violation]:
        return [v for v in self.items if not v.expected]

    def unmet_expectations(self) -> list[str]:
        return [
            e.describe() + f" (matched {e.matched})"
            for e in self._expectations
            if e.matched < (1 if e.times is None else e.times)
        ]

    def problems(self) -> list[str]:
        out = [f"unexpected violation {v}" for v in self.unexpected()]
        out += [f"unmet {desc}" for desc in self.unmet_expectations()]
        return out
