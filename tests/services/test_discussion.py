"""The discussion log on SQLite and PostgreSQL (no Discord)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.discussion.service import (
    COMMENT_LIMIT,
    DiscussionService,
    IncomingMessage,
)
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.events import CommentsChanged, EventBus
from bot.schedule.service import ScheduleService
from storage.db import Database
from storage.models import CommentSource
from storage.repositories import CommentRepository
from tests.harness.clock import FakeClock
from tests.services.discussion_data import (
    ALICE,
    BOB,
    GUILD,
    LLAVA,
    NOW,
    ORGANIZER,
    OTHER_GUILD,
    add_comment,
    add_paper,
    add_session,
    all_comments,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def seen() -> list[CommentsChanged]:
    return []


@pytest.fixture
def service(db: Database, clock: FakeClock, seen: list[CommentsChanged]) -> DiscussionService:
    events = EventBus()

    async def record(event: CommentsChanged) -> None:
        seen.append(event)

    events.subscribe(CommentsChanged, record)
    schedule = ScheduleService(db, events, clock)
    return DiscussionService(db, events, clock, schedule)


@pytest.fixture
async def sessions(db: Database) -> dict[str, int]:
    paper = await add_paper(db, GUILD, LLAVA)
    return {
        "last_week": await add_session(db, GUILD, NOW - timedelta(days=7, minutes=30)),
        "now": await add_session(db, GUILD, NOW - timedelta(minutes=30), papers=[paper]),
        "next_week": await add_session(db, GUILD, NOW + timedelta(days=7)),
    }


def message(message_id: int, text: str, **extra: object) -> IncomingMessage:
    fields: dict = {
        "message_id": message_id,
        "author_name": "bob",
        "author_id": BOB,
        "text": text,
        "channel_id": 42,
        "jump_url": f"https://discord.com/channels/{GUILD}/42/{message_id}",
        "created_at": NOW - timedelta(minutes=5),
    }
    fields.update(extra)
    return IncomingMessage(**fields)  # type: ignore[arg-type]


# ------------------------------------------------------------------ which session


async def test_default_session_is_the_one_in_progress_then_the_most_recent(
    service: DiscussionService, sessions: dict[str, int], clock: FakeClock
) -> None:
    assert (await service.resolve_session(GUILD)).id == sessions["now"]
    clock.advance(hours=2)  # it ended: still the most recent one
    assert (await service.resolve_session(GUILD)).id == sessions["now"]
    clock.set(NOW + timedelta(days=7, minutes=10))
    assert (await service.resolve_session(GUILD)).id == sessions["next_week"]
    assert (await service.resolve_session(GUILD, sessions["last_week"])).id == sessions["last_week"]


async def test_no_session_yet_is_a_clear_message(
    service: DiscussionService, sessions: dict[str, int]
) -> None:
    with pytest.raises(NotFound, match="No session has started yet"):
        await service.resolve_session(OTHER_GUILD)
    with pytest.raises(NotFound, match="not in this server"):
        await service.resolve_session(OTHER_GUILD, sessions["now"])  # another server's


async def test_a_session_thread_means_its_session(
    service: DiscussionService, sessions: dict[str, int]
) -> None:
    await service.attach_thread(GUILD, sessions["last_week"], thread_id=5555)
    assert (await service.resolve_session(GUILD, thread_id=5555)).id == sessions["last_week"]
    assert (await service.resolve_session(GUILD, thread_id=6666)).id == sessions["now"]
    # Another server cannot reach it through the thread id.
    with pytest.raises(NotFound):
        await service.resolve_session(OTHER_GUILD, thread_id=5555)


# ------------------------------------------------------------------ logging


async def test_add_saves_on_the_current_session(
    service: DiscussionService,
    sessions: dict[str, int],
    db: Database,
    seen: list[CommentsChanged],
) -> None:
    logged = await service.add(
        GUILD,
        text="Fig. 2 is unclear.\nHow do they obtain a vector for a bag-of-words?",
        author_id=ALICE,
        author_name="alice",
    )
    assert logged.created
    assert logged.session.id == sessions["now"]
    [stored] = await all_comments(db, GUILD, sessions["now"])
    assert stored.id == logged.comment.id
    assert stored.text == "Fig. 2 is unclear.\nHow do they obtain a vector for a bag-of-words?"
    assert stored.author_id == ALICE
    assert stored.source == CommentSource.COMMAND
    assert stored.created_at == NOW
    assert seen == [CommentsChanged(GUILD, sessions["now"], pinned=False)]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("   ", "empty"),
        ("ping @everyone about this", "mention"),
        ("see <@1234>", "mention"),
        ("x" * (COMMENT_LIMIT + 1), "limit"),
    ],
)
async def test_bad_comments_are_refused_and_nothing_is_saved(
    service: DiscussionService, sessions: dict[str, int], db: Database, text: str, problem: str
) -> None:
    with pytest.raises(InvalidInput, match=problem):
        await service.add(GUILD, text=text, author_id=ALICE, author_name="alice")
    assert await all_comments(db, GUILD, sessions["now"]) == []


async def test_logging_the_same_message_twice_keeps_one_copy(
    service: DiscussionService, sessions: dict[str, int], db: Database
) -> None:
    first = await service.log_message(
        GUILD, message(77, "Why a linear projection?"), logged_by=ALICE
    )
    second = await service.log_message(
        GUILD, message(77, "Why a linear projection?"), logged_by=ORGANIZER
    )

    assert first.created and not second.created
    assert second.comment.id == first.comment.id
    [stored] = await all_comments(db, GUILD, sessions["now"])
    assert stored.message_id == 77
    assert stored.author_id == BOB and stored.author_name == "bob"
    assert stored.logged_by == ALICE
    assert stored.jump_url == f"https://discord.com/channels/{GUILD}/42/77"
    assert stored.source == CommentSource.MESSAGE
    assert stored.created_at == NOW - timedelta(minutes=5)  # when it was said


async def test_a_message_logged_on_another_session_stays_there(
    service: DiscussionService, sessions: dict[str, int]
) -> None:
    await service.log_message(
        GUILD, message(78, "text"), logged_by=ALICE, session_id=sessions["last_week"]
    )
    again = await service.log_message(GUILD, message(78, "text"), logged_by=ALICE)
    assert not again.created
    assert again.session.id == sessions["last_week"]


async def test_two_members_logging_one_message_at_once_keep_one_copy(
    service: DiscussionService, sessions: dict[str, int], db: Database
) -> None:
    results = await asyncio.gather(
        *(
            service.log_message(GUILD, message(79, "Is the projector enough?"), logged_by=who)
            for who in (ALICE, BOB, ORGANIZER)
        )
    )
    assert sorted(r.created for r in results) == [False, False, True]
    assert len({r.comment.id for r in results}) == 1
    assert len(await all_comments(db, GUILD, sessions["now"])) == 1


async def test_an_insert_that_loses_the_race_returns_the_winner(
    service: DiscussionService,
    sessions: dict[str, int],
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The other member's insert lands between our duplicate check and our insert: the
    unique message id refuses ours, and the member is told it is already logged."""
    winner = await service.log_message(GUILD, message(90, "Same message"), logged_by=BOB)
    real = CommentRepository.by_message
    stale_reads = 2  # the service's check and the repository's check both miss it

    async def stale(self: CommentRepository, message_id: int):  # type: ignore[no-untyped-def]
        nonlocal stale_reads
        if stale_reads:
            stale_reads -= 1
            return None
        return await real(self, message_id)

    monkeypatch.setattr(CommentRepository, "by_message", stale)
    loser = await service.log_message(GUILD, message(90, "Same message"), logged_by=ALICE)

    assert stale_reads == 0
    assert not loser.created
    assert loser.comment.id == winner.comment.id
    assert len(await all_comments(db, GUILD, sessions["now"])) == 1


async def test_message_text_keeps_mentions_as_written_but_empty_messages_are_refused(
    service: DiscussionService, sessions: dict[str, int], db: Database
) -> None:
    logged = await service.log_message(
        GUILD, message(80, "@\u200beveryone look at Table 3"), logged_by=ALICE
    )
    assert logged.comment.text == "@\u200beveryone look at Table 3"
    with pytest.raises(InvalidInput, match="no text"):
        await service.log_message(GUILD, message(81, "  \n "), logged_by=ALICE)
    with pytest.raises(InvalidInput, match="4,000"):
        await service.log_message(GUILD, message(82, "y" * 4001), logged_by=ALICE)
    assert len(await all_comments(db, GUILD, sessions["now"])) == 1


# ------------------------------------------------------------------ reading


async def test_pages_of_comments(
    service: DiscussionService, sessions: dict[str, int], db: Database
) -> None:
    for number in range(23):
        await add_comment(db, GUILD, sessions["now"], f"comment {number}")
    await add_comment(db, OTHER_GUILD, sessions["now"], "not ours")

    first = await service.page(GUILD, number=0, per_page=10)
    last = await service.page(GUILD, number=99, per_page=10)

    assert (first.total, first.pages, first.number) == (23, 3, 0)
    assert [c.text for c in first.items] == [f"comment {n}" for n in range(10)]
    assert last.number == 2
    assert [c.text for c in last.items] == ["comment 20", "comment 21", "comment 22"]
    empty = await service.page(GUILD, sessions["last_week"])
    assert (empty.total, empty.pages, empty.items) == (0, 1, [])


async def test_search_for_autocomplete_is_scoped_by_server(
    service: DiscussionService, sessions: dict[str, int], db: Database
) -> None:
    mine = await add_comment(db, GUILD, sessions["now"], "What about 100% of_the data?")
    await add_comment(db, OTHER_GUILD, sessions["now"], "What about 100% of_the data?")
    assert [c.id for c in await service.search(GUILD, "100% of_")] == [mine.id]
    assert [c.id for c in await service.search(GUILD, f"#{mine.id}")] == [mine.id]
    assert await service.search(GUILD, "nothing like this") == []
    assert await service.search(OTHER_GUILD, f"{mine.id}") != [mine]


# ------------------------------------------------------------------ changing


async def test_remove_by_author_or_organizer_only(
    service: DiscussionService, sessions: dict[str, int], db: Database
) -> None:
    comment = await add_comment(db, GUILD, sessions["now"], "by alice")
    with pytest.raises(PermissionDenied, match="author"):
        await service.remove(GUILD, comment.id, actor_id=BOB, organizer=False)
    with pytest.raises(NotFound):
        await service.remove(OTHER_GUILD, comment.id, actor_id=ALICE, organizer=True)
    assert len(await all_comments(db, GUILD, sessions["now"])) == 1

    await service.remove(GUILD, comment.id, actor_id=ALICE, organizer=False)
    assert await all_comments(db, GUILD, sessions["now"]) == []

    other = await add_comment(db, GUILD, sessions["now"], "also alice")
    await service.remove(GUILD, other.id, actor_id=ORGANIZER, organizer=True)
    assert await all_comments(db, GUILD, sessions["now"]) == []


async def test_pins_feed_the_comments_column(
    service: DiscussionService,
    sessions: dict[str, int],
    db: Database,
    seen: list[CommentsChanged],
) -> None:
    a = await add_comment(db, GUILD, sessions["now"], "Fig. 2 is unclear.")
    await add_comment(db, GUILD, sessions["now"], "not pinned")

    _, changed = await service.set_pinned(GUILD, a.id, True)
    assert changed
    _, changed = await service.set_pinned(GUILD, a.id, True)
    assert not changed
    pinned = await service.pinned(GUILD, [sessions["now"], sessions["last_week"]])
    assert [c.text for c in pinned[sessions["now"]]] == ["Fig. 2 is unclear."]
    assert pinned[sessions["last_week"]] == []
    assert seen == [CommentsChanged(GUILD, sessions["now"], pinned=True)]

    await service.set_pinned(GUILD, a.id, False)
    assert (await service.pinned(GUILD, [sessions["now"]]))[sessions["now"]] == []
    with pytest.raises(NotFound):
        await service.set_pinned(OTHER_GUILD, a.id, True)


# ------------------------------------------------------------------ threads


async def test_import_a_thread_once(
    service: DiscussionService, sessions: dict[str, int], db: Database
) -> None:
    sid = sessions["last_week"]
    await service.attach_thread(GUILD, sid, thread_id=4242)
    already = await service.log_message(
        GUILD, message(500, "logged by hand before"), logged_by=ALICE, thread_id=4242
    )
    assert already.session.id == sid
    history = [
        message(500, "logged by hand before"),
        message(501, "The ablation in Table 4 is missing a baseline."),
        message(502, "", author_name="carol"),  # no Message Content: Discord gives no text
        message(503, "Session thread opened", from_bot=True),
        message(504, "And what about data contamination?", created_at=None),
    ]

    result = await service.import_messages(GUILD, sid, history, logged_by=ORGANIZER)
    again = await service.import_messages(GUILD, sid, history, logged_by=ORGANIZER)

    assert (result.added, result.already, result.without_text, result.skipped_bots) == (2, 1, 1, 1)
    assert (again.added, again.already) == (0, 3)
    stored = await all_comments(db, GUILD, sid)
    assert [c.message_id for c in stored] == [500, 501, 504]
    assert {c.source for c in stored[1:]} == {CommentSource.THREAD}
    assert stored[2].created_at == NOW  # no time given: the clock's


async def test_a_new_thread_shows_in_the_schedule_at_once(
    service: DiscussionService, sessions: dict[str, int]
) -> None:
    before = await service.resolve_session(GUILD)  # loads the read snapshot
    assert before.id == sessions["now"] and before.session.thread_id is None
    await service.attach_thread(GUILD, sessions["now"], thread_id=777)
    assert (await service.schedule.get(GUILD, sessions["now"])).session.thread_id == 777
    assert (await service.resolve_session(GUILD)).session.thread_id == 777
