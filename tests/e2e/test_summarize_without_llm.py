"""Without an API key or base URL the bot runs, and /summarize and /paper tldr say in one
line how to enable them (no deferral, no request anywhere)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.llm.client import ENABLE_HINT
from tests.e2e.conftest import App


@pytest.fixture
def app_settings_overrides() -> dict[str, Any]:
    return {"openai_api_key": None, "openai_base_url": None}


async def test_summarize_without_llm_answers_how_to_enable_it(app: App) -> None:
    assert not app.settings.llm_enabled
    reply = await app.slash(
        app.organizer, "session add", date="2025-01-02", time="18:00", kind="tba", backfill=True
    )
    await reply.final()
    logged = await app.slash(app.member, "comment add", text="Still works without an LLM.")
    assert "Logged comment #1" in logged.content

    answer = await app.slash(app.member, "summarize")

    assert not answer.deferred
    assert answer.ephemeral
    assert answer.content == ENABLE_HINT
    assert "\n" not in answer.content
    assert app.llm.requests == []


async def test_paper_tldr_without_llm_answers_how_to_enable_it(app: App) -> None:
    reply = await app.slash(app.member, "paper tldr", ref="2304.08485")
    assert not reply.deferred
    assert reply.ephemeral
    assert reply.content == ENABLE_HINT
    assert app.arxiv.request_count == 0
    assert app.llm.requests == []
