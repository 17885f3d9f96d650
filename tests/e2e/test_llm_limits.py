"""What members meet around the LLM commands: errors only they see, nothing the model said
dropped without a word, and a per-member cooldown on the calls that cost (organizers exempt),
on the bot's clock."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.conftest import App
from tests.e2e.test_discussion import ANSWER, EPHEMERAL, past_session
from tests.harness.llm import LLMFault

LLAVA = "2304.08485"  # added to the fake arXiv by past_session


def timestamp(app: App, seconds: float) -> str:
    return f"<t:{int((app.clock.now() + timedelta(seconds=seconds)).timestamp())}:R>"


async def summarize(app: App, member: object, **options: object) -> str:
    reply = await app.slash(member, "summarize", **options)
    await reply.final()
    assert not reply.ephemeral
    return reply.content


async def test_summarize_without_a_session_answers_only_the_member_at_once(app: App) -> None:
    reply = await app.slash(app.member, "summarize")
    assert not reply.deferred and reply.ephemeral
    assert "No session has started yet" in reply.content
    assert reply.followups == []
    assert app.llm.requests == []


async def test_a_failure_after_deferring_is_shown_only_to_the_member(app: App) -> None:
    await past_session(app)
    await app.slash(app.member, "comment add", text="Projection layers again.")
    app.llm.fail_next(LLMFault.INVALID_JSON, times=2)
    reply = await app.slash(app.member, "summarize")
    (error,) = await reply.wait_followups(1)
    assert error["flags"] & EPHEMERAL and "not the structured summary" in error["content"]
    assert reply.message is None  # no public trace of the failure in the channel
    public = [m for m in app.discord.channel_messages(app.channel) if "structured" in m["content"]]
    assert public == []


async def test_more_questions_than_shown_are_counted(app: App) -> None:
    await past_session(app)
    await app.slash(app.member, "comment add", text="What about video?")
    app.llm.reply(
        {
            "summary": "Short.",
            "key_points": [f"Point {n}" for n in range(12)],
            "open_questions": [f"Question {n}?" for n in range(15)],
        }
    )
    text = await summarize(app, app.member)
    assert "- Point 9\n… and 2 more key points" in text
    assert "12. Question 11?\n… and 3 more questions" in text


async def test_refresh_is_limited_per_member_and_organizers_are_not(app: App) -> None:
    assert app.services.llm.cooldown.seconds == app.settings.llm_cooldown_seconds == 300
    await past_session(app)
    await app.slash(app.member, "comment add", text="Is the projector enough?")
    app.llm.responder = lambda body: ANSWER

    await summarize(app, app.member)  # a first summary: not limited
    await summarize(app, app.member, refresh=True)
    assert len(app.llm.completions) == 2
    app.clock.advance(seconds=60)
    refused = await app.slash(app.member, "summarize", refresh=True)
    assert not refused.deferred and refused.ephemeral
    assert timestamp(app, 240) in refused.content
    assert len(app.llm.completions) == 2
    stored = await summarize(app, app.member)  # without refresh: the stored answer, free
    assert "stored answer" in stored

    other = app.guild.add_member("mia")
    await summarize(app, other, refresh=True)  # another member has their own turn
    await summarize(app, app.organizer, refresh=True)
    await summarize(app, app.organizer, refresh=True)  # organizers are not limited
    assert len(app.llm.completions) == 5

    app.clock.advance(seconds=240)
    await summarize(app, app.member, refresh=True)
    assert len(app.llm.completions) == 6


async def test_a_failed_call_costs_no_wait(app: App) -> None:
    await past_session(app)
    await app.slash(app.member, "comment add", text="Is the projector enough?")
    app.llm.fail_next(LLMFault.INVALID_JSON, times=2)
    failed = await app.slash(app.member, "summarize", refresh=True)
    (error,) = await failed.wait_followups(1)
    assert "not the structured summary" in error["content"]
    app.llm.responder = lambda body: ANSWER
    assert ANSWER["summary"] in await summarize(app, app.member, refresh=True)


async def test_tldr_is_limited_per_member(app: App) -> None:
    await past_session(app)  # stores the paper with its abstract
    app.llm.responder = lambda body: "LLaVA connects a vision encoder to an LLM."
    first = await app.slash(app.member, "paper tldr", ref=LLAVA)
    await first.final()
    assert "TL;DR" in first.text
    app.clock.advance(seconds=100)
    refused = await app.slash(app.member, "paper tldr", ref=LLAVA)
    assert not refused.deferred and refused.ephemeral
    assert "a TL;DR" in refused.content and timestamp(app, 200) in refused.content
    by_organizer = await app.slash(app.organizer, "paper tldr", ref=LLAVA)
    await by_organizer.final()
    assert "TL;DR" in by_organizer.text
    app.clock.advance(seconds=200)
    again = await app.slash(app.member, "paper tldr", ref=LLAVA)
    await again.final()
    assert "TL;DR" in again.text
