"""Pytest fixtures for the loopback arXiv and LLM servers.

Use them from a ``conftest.py`` with ``from tests.harness.fixtures_services import *``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.papers.arxiv import ARXIV_RATE_LIMITER, ArxivService
from tests.harness.arxiv import FakeArxiv
from tests.harness.hf_papers import FakeDailyPapers
from tests.harness.llm import FakeLLM

__all__ = ["arxiv_service", "fake_arxiv", "fake_feed", "fake_llm", "fresh_arxiv_rate_limit"]


@pytest.fixture
async def fake_arxiv() -> AsyncIterator[FakeArxiv]:
    """A started fake arXiv API replaying the recorded responses."""
    async with FakeArxiv() as fake:
        yield fake


@pytest.fixture
async def fake_feed() -> AsyncIterator[FakeDailyPapers]:
    """A started fake of the Hugging Face Daily Papers API serving the shared fixtures."""
    async with FakeDailyPapers() as fake:
        yield fake


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLLM]:
    """A started OpenAI-compatible fake; set ``fake_llm.api_key`` to demand a key."""
    async with FakeLLM() as fake:
        yield fake


@pytest.fixture
def fresh_arxiv_rate_limit() -> Iterator[None]:
    """Start the process-wide arXiv limiter from scratch (no slot carried over)."""
    ARXIV_RATE_LIMITER.reset()
    yield
    ARXIV_RATE_LIMITER.reset()


@pytest.fixture
def arxiv_service(fake_arxiv: FakeArxiv, fresh_arxiv_rate_limit: None) -> ArxivService:
    """An :class:`ArxivService` on the fake with test-sized delays (no rate-limit wait)."""
    return ArxivService(
        fake_arxiv.query_url_format,
        min_interval=0.0,
        max_attempts=4,
        backoff_base=0.01,
        timeout=2.0,
    )
