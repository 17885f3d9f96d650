"""Logs carry no user text, even at DEBUG and when a write fails; the member is told what
happened to what they typed."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from sqlmodel import select

from bot.logs import setup_logging
from storage.models import Comment
from tests.e2e.conftest import App
from tests.e2e.test_discussion import past_session

SECRET = "My private remark 7f3a: the encoder leaks the test split"


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """LOG_LEVEL=DEBUG as ``python -m bot`` sets it up; what its handler writes."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    setup_logging(logging.DEBUG)
    written = io.StringIO()
    [handler] = [h for h in root.handlers if h not in saved[0]]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(written)
    caplog.set_level(logging.DEBUG)
    root.addHandler(caplog.handler)
    try:
        yield written
    finally:
        root.handlers[:], root.level = saved[0], saved[1]


async def test_a_failed_comment_write_logs_no_comment_and_gives_it_back(
    app: App,
    debug_log: io.StringIO,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sid = await past_session(app)
    saved = await app.slash(app.member, "comment add", text="A first remark that is saved")
    assert "Logged comment #1" in saved.content
    async with app.services.db.engine.begin() as conn:  # the next write fails in SQLite
        await conn.exec_driver_sql(
            "CREATE TRIGGER refuse_comments BEFORE INSERT ON comments "
            "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"
        )

    reply = await app.slash(app.member, "comment add", text=SECRET)

    stderr = debug_log.getvalue()
    logged = stderr + caplog.text
    assert SECRET not in logged  # never the comment
    assert "first remark" not in logged  # nor the one saved before, at any level
    assert reply.ephemeral
    assert reply.content.startswith("Nothing was saved: the database failed (error id `")
    assert "Nothing you entered was lost" not in reply.content
    assert reply.content.endswith("what you entered is below, so you can send it again.")
    assert reply.embeds[0]["title"] == "What you entered"
    assert SECRET in reply.embeds[0]["description"]
    error_id = reply.content.split("`")[1]

    assert f"error id {error_id} in /comment add" in stderr  # the failure is in the log...
    assert "disk quota exceeded" in stderr and "INSERT INTO comments" in stderr
    assert "DEBUG" in stderr  # ...which ran at DEBUG
    async with app.services.db.unit() as uow:
        texts = (await uow.tx.scalars(select(Comment.text).where(Comment.session_id == sid))).all()
    assert texts == ["A first remark that is saved"]


async def test_other_failures_do_not_claim_nothing_was_lost(app: App) -> None:
    async def broken(interaction):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    command = app.bot.tree.get_command("help")
    assert command is not None
    original = command.callback
    command._callback = broken  # type: ignore[attr-defined]
    try:
        reply = await app.slash(app.member, "help")
    finally:
        command._callback = original  # type: ignore[attr-defined]
    assert "I cannot tell whether your change was saved" in reply.content
    assert "Nothing you entered was lost" not in reply.content
    assert reply.embeds == []
