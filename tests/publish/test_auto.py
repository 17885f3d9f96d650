"""Automatic publishing: debounced by the (fake) clock, stored, crash-safe, skipped when
nothing changed."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.events import (
    CommentsChanged,
    GuildSettingsChanged,
    ReadingListChanged,
    ScheduleImported,
    SessionAction,
    SessionChanged,
)
from bot.publish.auto import DEBOUNCE, LEASE, AutoPublisher
from tests.publish.conftest import GUILD, START, World


@pytest.fixture
async def auto(world: World) -> AutoPublisher:
    await world.publish.configure(GUILD, auto=True)
    publisher = world.services.auto_publish
    world.services.events.connect(publisher)
    return publisher


def _commits_on_main(world: World) -> int:
    return len(world.repo.log("main"))


async def _due(world: World) -> datetime | None:
    target = await world.publish.target(GUILD)
    assert target is not None
    return target.due_at


async def test_a_burst_of_edits_makes_one_commit_ten_minutes_after_the_first(
    world: World, auto: AutoPublisher
) -> None:
    woken: list[datetime | None] = []
    auto.attach(woken.append)
    before = _commits_on_main(world)
    await world.add_session("2025-02-06", "Code Reading Group")
    world.clock.advance(minutes=3)
    await world.add_session("2025-02-13", "Paper Discussion")
    world.clock.advance(minutes=6)
    await world.add_session("2025-02-20", "Another One")
    assert await _due(world) == START + DEBOUNCE
    assert woken and woken[-1] == START + DEBOUNCE

    assert await auto.run_due() == []  # 9 minutes in: not yet
    assert world.github.requests == []
    world.clock.advance(minutes=1)
    (outcome,) = await auto.run_due()
    assert outcome.status == "published", outcome.detail
    assert _commits_on_main(world) == before + 1
    readme = world.repo.file("README.md")
    assert readme is not None and all(
        title in readme for title in (b"Code Reading Group", b"Paper Discussion", b"Another One")
    )
    commit = world.repo.commits[world.head()]
    assert "Published automatically after schedule changes" in commit.message
    assert await _due(world) is None and woken[-1] is None

    # The next change waits its own ten minutes: never two commits within ten minutes.
    world.clock.advance(minutes=1)
    await world.add_session("2025-02-27", "Later")
    assert await _due(world) == world.clock.now() + DEBOUNCE
    world.clock.advance(minutes=9, seconds=59)
    assert await auto.run_due() == []
    world.clock.advance(seconds=1)
    assert [o.status for o in await auto.run_due()] == ["published"]
    assert _commits_on_main(world) == before + 2


async def test_nothing_changed_is_skipped_without_asking_github(
    world: World, auto: AutoPublisher
) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")
    world.clock.advance(DEBOUNCE)
    await auto.run_due()
    requests = len(world.github.requests)
    await auto.request(GUILD)  # e.g. an edit that changes nothing in the README or calendar
    world.clock.advance(DEBOUNCE)
    (outcome,) = await auto.run_due()
    assert outcome.status == "unchanged"
    assert len(world.github.requests) == requests
    assert await _due(world) is None


async def test_a_publish_by_hand_settles_what_it_included(
    world: World, auto: AutoPublisher
) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")
    assert await _due(world) is not None
    await world.publish.publish(await world.publish.prepare(GUILD))
    assert await _due(world) is None  # nothing left for the automatic publish

    plan = await world.publish.prepare(GUILD)  # read before the next change...
    world.clock.advance(minutes=1)
    await world.add_session("2025-02-13", "Paper Discussion")
    await world.publish.publish(plan)  # ...so publishing it leaves that change pending
    assert await _due(world) == world.clock.now() + DEBOUNCE


async def test_pending_publishes_survive_a_restart_and_a_crash(
    world: World, auto: AutoPublisher
) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")

    again = world.services_again().auto_publish
    assert await again.next_due() == START + DEBOUNCE
    world.clock.advance(DEBOUNCE)
    # A process claims the publish and dies before finishing it.
    async with world.db.unit() as uow:
        assert await uow.publish.claim(GUILD, world.clock.now(), world.clock.now() + LEASE)
    async with world.db.unit() as uow:  # a second claim fails while the lease holds
        assert not await uow.publish.claim(GUILD, world.clock.now(), world.clock.now() + LEASE)
    assert await again.run_due() == []  # the lease still holds
    world.clock.advance(LEASE + timedelta(seconds=1))
    (outcome,) = await again.run_due()
    assert outcome.status == "published"
    assert b"Code Reading Group" in (world.repo.file("README.md") or b"")


async def test_two_processes_publish_once(world: World, auto: AutoPublisher) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")
    world.clock.advance(DEBOUNCE)
    before = _commits_on_main(world)
    first, second = await asyncio.gather(
        auto.run_due(), world.services_again().auto_publish.run_due()
    )
    assert sorted(o.status for o in first + second) == ["published"]
    assert _commits_on_main(world) == before + 1


async def test_a_change_during_a_publish_is_published_after_it(
    world: World, auto: AutoPublisher
) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")
    world.clock.advance(DEBOUNCE)
    world.github.hang("GET", r".*/contents/README\.md")
    running = asyncio.create_task(auto.run_due())
    await world.github.hold_started.wait()
    world.clock.advance(minutes=1)
    await world.add_session("2025-02-13", "Paper Discussion")  # arrives mid-publish
    world.github.release()
    (outcome,) = await running
    assert outcome.status == "published"
    readme = world.repo.file("README.md") or b""
    assert b"Code Reading Group" in readme and b"Paper Discussion" not in readme
    assert await _due(world) == world.clock.now() + DEBOUNCE  # due again, not lost
    world.clock.advance(DEBOUNCE)
    await auto.run_due()
    assert b"Paper Discussion" in (world.repo.file("README.md") or b"")


async def test_a_failure_is_kept_and_retried_when_github_allows(
    world: World, auto: AutoPublisher
) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")
    world.clock.advance(DEBOUNCE)
    reset = world.clock.now() + timedelta(minutes=30)
    world.github.rate_limit_primary("GET", r".*/git/ref/.*", reset=reset)
    (outcome,) = await auto.run_due()
    assert outcome.status == "failed"
    target = await world.publish.target(GUILD)
    assert target is not None and target.failures == 1
    assert target.last_error is not None and "rate limit" in target.last_error
    assert target.due_at == reset.replace(microsecond=0) + timedelta(seconds=5)
    world.clock.set(target.due_at)
    (outcome,) = await auto.run_due()
    assert outcome.status == "published"
    target = await world.publish.target(GUILD)
    assert target is not None and target.last_error is None and target.failures == 0


async def test_failures_that_need_an_organizer_back_off(world: World, auto: AutoPublisher) -> None:
    world.github.permissions["contents"] = "read"
    await world.add_session("2025-02-06", "Code Reading Group")
    world.clock.advance(DEBOUNCE)
    delays = []
    for _ in range(3):
        (outcome,) = await auto.run_due()
        assert outcome.status == "failed" and "Contents: Read and write" in outcome.detail
        due = await _due(world)
        assert due is not None
        delays.append(due - world.clock.now())
        world.clock.set(due)
    assert delays == [DEBOUNCE, DEBOUNCE * 2, DEBOUNCE * 4]


EVENTS: list[tuple[object, bool]] = [
    (SessionChanged(GUILD, 1, SessionAction.MOVED), True),
    (ScheduleImported(GUILD, (1, 2)), True),
    (CommentsChanged(GUILD, 1, pinned=True), True),
    (CommentsChanged(GUILD, 1, pinned=False), False),  # not in the README
    (GuildSettingsChanged(GUILD, frozenset({"date_format"})), True),
    (GuildSettingsChanged(GUILD, frozenset({"announcement_channel_id"})), False),
    (ReadingListChanged(GUILD), True),
    (SessionChanged(GUILD + 1, 1, SessionAction.CREATED), False),  # another server
]


async def test_what_makes_a_publish_pending(world: World, auto: AutoPublisher) -> None:
    for event, pending in EVENTS:
        await world.services.events.publish(event)
        assert (await _due(world) is not None) is pending, event
        async with world.db.unit() as uow:
            await uow.publish.save(GUILD, due_at=None)


async def test_nothing_is_pending_while_automatic_publishing_is_off(world: World) -> None:
    world.services.events.connect(world.services.auto_publish)
    await world.add_session("2025-02-06", "Code Reading Group")
    assert await _due(world) is None
    await world.publish.configure(GUILD, auto=True)
    await world.add_session("2025-02-13", "Paper Discussion")
    assert await _due(world) is not None
    await world.publish.configure(GUILD, auto=False)
    assert await _due(world) is None
