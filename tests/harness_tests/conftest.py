"""Fixtures for the harness self-tests."""

from __future__ import annotations

import pytest

from tests.harness.discord import FakeDiscord
from tests.harness.discord.fixtures import *  # noqa: F403
from tests.harness.discord.fixtures import StartClient
from tests.harness_tests.sample_bot import SampleBot


@pytest.fixture
async def bot(fake_discord: FakeDiscord, start_client: StartClient) -> SampleBot:
    """The sample bot, logged in, synced and holding its guild."""
    sample = SampleBot(guild_id=fake_discord.guild.id)
    await start_client(sample)
    return sample
