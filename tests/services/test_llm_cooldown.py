"""The per-member spacing of LLM calls, on the service clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.llm.cooldown import PRUNE_ABOVE, Cooldown, CoolingDown
from tests.harness.clock import FakeClock

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def test_a_turn_per_member_and_command_until_the_time_is_up() -> None:
    clock = FakeClock(START)
    cooldown = Cooldown(clock, 300)
    assert cooldown.claim(1, 10, "a TL;DR") is not None
    assert cooldown.claim(1, 11, "a TL;DR") is not None  # another member
    assert cooldown.claim(2, 10, "a TL;DR") is not None  # another server
    assert cooldown.claim(1, 10, "a fresh summary") is not None  # another command
    clock.advance(timedelta(seconds=299))
    with pytest.raises(CoolingDown) as refused:
        cooldown.claim(1, 10, "a TL;DR")
    assert refused.value.until == START + timedelta(seconds=300)
    assert f"<t:{int(refused.value.until.timestamp())}:R>" in str(refused.value)
    clock.advance(timedelta(seconds=1))
    assert cooldown.claim(1, 10, "a TL;DR") is not None


def test_released_turns_none_for_organizers_and_zero_turns_it_off() -> None:
    clock = FakeClock(START)
    cooldown = Cooldown(clock, 300)
    cooldown.release(cooldown.claim(1, 10, "x"))
    assert cooldown.claim(1, 10, "x") is not None  # a failed call cost no wait
    assert cooldown.claim(1, None, "x") is None
    off = Cooldown(clock, 0)
    assert off.claim(1, 10, "x") is None and off.claim(1, 10, "x") is None


def test_expired_turns_are_forgotten() -> None:
    clock = FakeClock(START)
    cooldown = Cooldown(clock, 1)
    for member in range(PRUNE_ABOVE):
        cooldown.claim(1, member, "x")
    clock.advance(timedelta(seconds=2))
    cooldown.claim(1, -1, "x")
    assert len(cooldown._until) == 1
