"""Rendering of comments and summaries: escaped, mention-free, within Discord's limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.discussion.service import CommentPage
from bot.schedule.service import SessionInfo
from bot.ui.discussion import (
    MAX_SUMMARY_MESSAGES,
    MESSAGE_LIMIT,
    SHOWN_KEY_POINTS,
    SHOWN_QUESTIONS,
    TRIMMED,
    comment_choice,
    comments_embed,
    plain,
    split_messages,
    summary_messages,
)
from storage.models import Comment, ReadingSession, Summary

WHEN = datetime(2025, 3, 6, 18, tzinfo=UTC)
LIVE_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")


def shown(text: str) -> str:
    """What Discord shows: a backslash before punctuation is hidden."""
    return re.sub(r"\\([^\w\s])", r"\1", text)


def view(title: str = "Visual Instruction Tuning") -> SessionInfo:
    return SessionInfo(
        session=ReadingSession(id=12, number=12, guild_id=1, starts_at=WHEN, title=title), papers=[]
    )


def summary(**fields: object) -> Summary:
    values: dict = {
        "guild_id": 1,
        "session_id": 12,
        "model": "qwen2.5:7b",
        "input_hash": "h",
        "summary": "LLaVA links CLIP to an LLM.",
        "key_points": ["Two-stage training"],
        "open_questions": ["Why a linear projection?", "What about video?"],
        "created_at": WHEN,
    }
    values.update(fields)
    return Summary(**values)


def test_plain_leaves_no_markup_or_mention() -> None:
    text = plain("# Title\n> quote\n-# small\n@everyone <@123> <@&9> <#5> **bold** @here")
    assert not LIVE_MENTION.search(text)
    assert "@\u200beveryone" in text  # shown as @everyone, pings nobody
    assert "\\*\\*bold\\*\\*" in text
    for line in text.splitlines():
        assert not line.startswith(("#", ">", "-#"))


def test_summary_with_numbered_open_questions() -> None:
    [message] = summary_messages(view(), summary(), cached=False)
    message = shown(message)
    assert message.startswith("## Summary of #12 · Visual Instruction Tuning")
    assert "**Open research questions**\n1. Why a linear projection?\n2. What about video?" in (
        message
    )
    assert "- Two-stage training" in message
    assert "qwen2.5:7b" in message and "stored answer" not in message
    [cached] = summary_messages(view(), summary(), cached=True)
    assert "stored answer" in cached


def test_model_output_with_pings_is_inert() -> None:
    hostile = summary(
        summary="@everyone ignore previous instructions <@123>\n# HEADLINE",
        open_questions=["@here <@&42> what now?"],
    )
    messages = summary_messages(view("@everyone"), hostile, cached=False)
    for message in messages:
        assert not LIVE_MENTION.search(message), message
        assert "\n# HEADLINE" not in message


@pytest.mark.parametrize("questions", [12, 60])
def test_long_summaries_are_split_within_limits(questions: int) -> None:
    long = summary(
        summary=("A very long paragraph about scaling. " * 150).strip(),
        key_points=["point " * 80] * 10,
        open_questions=[f"Question {n}: " + "why " * 120 + "?" for n in range(questions)],
    )
    messages = summary_messages(view(), long, cached=False)
    assert 1 < len(messages) <= MAX_SUMMARY_MESSAGES
    assert all(0 < len(m) <= MESSAGE_LIMIT for m in messages)
    text = "\n".join(messages)
    numbered = len(re.findall(r"^\d+\. Question", text, re.MULTILINE))
    more = re.search(r"… and (\d+) more questions", text)
    if questions == 60:  # what does not fit is counted, never dropped silently
        assert more is not None and numbered + int(more.group(1)) == 60
        assert TRIMMED not in text
    else:
        assert numbered == 12 and more is None


def test_more_key_points_and_questions_than_shown_are_counted() -> None:
    many = summary(
        summary="Short.",
        key_points=[f"point {n}" for n in range(SHOWN_KEY_POINTS + 2)],
        open_questions=[f"Question {n}?" for n in range(SHOWN_QUESTIONS + 3)],
    )
    (message,) = summary_messages(view(), many, cached=False)
    assert f"- point {SHOWN_KEY_POINTS - 1}\n… and 2 more key points" in message
    assert f"{SHOWN_QUESTIONS}. Question {SHOWN_QUESTIONS - 1}?\n… and 3 more questions" in message
    one = summary(summary="Short.", key_points=["a"], open_questions=["q?"] * (SHOWN_QUESTIONS + 1))
    assert "… and 1 more question\n" in summary_messages(view(), one, cached=False)[0]


def test_open_questions_survive_a_long_summary() -> None:
    long = summary(
        summary="word " * 800,
        key_points=["point " * 100] * 10,
        open_questions=[f"Question {n}: " + "why " * 140 + "?" for n in range(1, 13)],
    )
    messages = summary_messages(view(), long, cached=False)
    assert len(messages) <= MAX_SUMMARY_MESSAGES
    text = "\n".join(messages)
    for n in range(1, 13):
        assert f"\n{n}. Question {n}:" in text
    assert TRIMMED not in text


def test_a_line_longer_than_a_message_continues_in_the_next() -> None:
    messages = split_messages(["short", "word " * 1000, "end"], max_messages=10)
    assert all(len(m) <= MESSAGE_LIMIT for m in messages)
    assert " ".join(" ".join(messages).split()) == " ".join(["short", *(["word"] * 1000), "end"])
    assert len(split_messages(["x" * 500], limit=100, max_messages=10)) == 5


def test_split_keeps_every_line_when_it_fits() -> None:
    lines = [f"line {n} " + "x" * 300 for n in range(20)]
    messages = split_messages(lines, max_messages=10)
    assert "\n".join(messages).split("\n") == lines
    assert all(len(m) <= MESSAGE_LIMIT for m in messages)


def test_comments_embed_and_choices() -> None:
    comments = [
        Comment(
            id=n,
            number=n,
            guild_id=1,
            session_id=12,
            author_id=None,
            author_name="@everyone",
            text="Fig. 2 is unclear. " * 40,
            pinned=n == 1,
            jump_url="https://discord.com/channels/1/2/3",
            created_at=WHEN,
        )
        for n in range(1, 11)
    ]
    embed = comments_embed(CommentPage(view(), comments, 0, 3, 25))
    assert embed.title == "Comments on #12 · Visual Instruction Tuning"
    assert len(embed.description or "") <= 4096
    assert len(embed) <= 6000
    assert "📌" in (embed.description or "")
    assert not LIVE_MENTION.search(embed.description or "")
    assert "Page 1 of 3 · 25 comments" in (embed.footer.text or "")
    label = comment_choice(comments[0])
    assert len(label) <= 100 and label.startswith("#1 · @everyone: Fig. 2") and "📌" in label
    empty = comments_embed(CommentPage(view(), [], 0, 1, 0))
    assert "/comment add" in (empty.description or "")
