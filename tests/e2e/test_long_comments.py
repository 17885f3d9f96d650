"""Long comments: ``/comment add`` without text opens a form whose paragraph holds pasted
notes up to the comment limit; they are stored whole and reach the model in full."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.discussion.service import COMMENT_LIMIT
from bot.ui.comment_form import KEPT_FILE, TEXT_ID
from tests.e2e.conftest import App
from tests.e2e.test_discussion import ANSWER, comments_of, past_session
from tests.harness.discord import CommandUnavailable

PARAGRAPH = 2


def notes(length: int) -> str:
    """Pasted notes: numbered words over several lines, exactly ``length`` characters."""
    words = [f"w{n:04d}" for n in range(length // 6 + 1)]
    lines = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    text = "\n".join(lines)[:length]
    return text[:-1] + "." if text.endswith((" ", "\n")) else text


def text_input(reply: Any) -> dict[str, Any]:
    modal = reply.modal
    assert modal is not None, reply.text
    inputs = [c for row in modal["components"] for c in row.get("components", [row])]
    (found,) = [c for c in inputs if c.get("custom_id") == TEXT_ID]
    return found


async def test_a_comment_of_the_full_limit_goes_through_the_form_whole(app: App) -> None:
    sid = await past_session(app)
    form = await app.slash(app.member, "comment add")
    field = text_input(form)
    assert field["style"] == PARAGRAPH
    assert field["max_length"] == COMMENT_LIMIT == 4000
    assert f"#{sid}" in form.modal["title"]

    pasted = notes(COMMENT_LIMIT)
    assert len(pasted) == COMMENT_LIMIT and "\n" in pasted
    done = await app.discord.submit_modal(app.member, form, {TEXT_ID: pasted})
    assert done.ephemeral
    assert "4,000 characters" in done.content, done.content
    (stored,) = await comments_of(app, sid)
    assert stored.text == pasted  # whole, line breaks kept

    # Beyond the limit Discord's form refuses it before the bot sees it.
    again = await app.slash(app.member, "comment add")
    with pytest.raises(CommandUnavailable, match=str(COMMENT_LIMIT)):
        await app.discord.submit_modal(app.member, again, {TEXT_ID: pasted + "y"})
    assert len(await comments_of(app, sid)) == 1


async def test_a_refused_form_hands_the_text_back(app: App) -> None:
    sid = await past_session(app)
    form = await app.slash(app.member, "comment add", session=sid)
    pasted = notes(2500) + "\nthanks @everyone"
    refused = await app.discord.submit_modal(app.member, form, {TEXT_ID: pasted})
    assert refused.ephemeral and "mention" in refused.content
    (kept,) = await refused.wait_followups(1)
    (attachment,) = kept["attachments"]
    assert attachment["filename"] == KEPT_FILE
    (message,) = refused.record.followups
    assert message.attachments[0].data.decode() == pasted
    assert await comments_of(app, sid) == []


async def test_the_form_is_not_opened_without_a_session(app: App) -> None:
    reply = await app.slash(app.member, "comment add")
    assert reply.modal is None
    assert reply.ephemeral and "No session has started yet" in reply.content


async def test_a_long_comment_reaches_the_model_in_full(app: App) -> None:
    sid = await past_session(app)
    form = await app.slash(app.member, "comment add")
    pasted = notes(COMMENT_LIMIT)
    await app.discord.submit_modal(app.member, form, {TEXT_ID: pasted})
    app.services.llm.token_budget = 600  # the comment does not fit one prompt
    app.llm.responder = lambda body: ANSWER

    reply = await app.slash(app.member, "summarize", session=sid)
    await reply.final(timeout=10)
    assert len(app.llm.completions) > 2, "expected notes per part, then a merge"
    assert ANSWER["open_questions"][0] in reply.followups[0]["content"]
    prompts = "".join(m["content"] for r in app.llm.completions for m in r.messages)
    missing = [w for w in re.findall(r"w\d{4}", pasted) if w not in prompts]
    assert not missing, f"words never sent to the model: {missing[:5]}"
