"""Pytest fixtures for the loopback GitHub: ``from tests.harness.github.fixtures import *``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.clock import Clock
from bot.publish.github import GitHubClient
from tests.harness.github.server import FakeGitHub

__all__ = ["fake_github", "github_client_factory"]


@pytest.fixture
async def fake_github() -> AsyncIterator[FakeGitHub]:
    """A started fake GitHub; the test fails if any request body broke GitHub's description."""
    async with FakeGitHub() as fake:
        yield fake
        assert fake.violations == [], fake.violations


def github_client_factory(
    fake: FakeGitHub, clock: Clock, *, timeout: float = 2.0, token: str | None = None
) -> Callable[[], GitHubClient]:
    """Clients of the product pointed at ``fake``, with test-sized back-off."""

    def make() -> GitHubClient:
        return GitHubClient(
            token or fake.token, fake.api_url, timeout=timeout, clock=clock, backoff=0.01
        )

    return make
