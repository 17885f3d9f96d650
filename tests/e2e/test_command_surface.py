"""What members meet before a command runs: the definitions the bot syncs to Discord.

Read from the body of the bulk overwrite the fake Discord recorded (checked there against
Discord's OpenAPI schema): every free-text option declares the length the bot enforces, so
Discord's client stops over-long input before it is sent, and every command but /help is
offered inside servers only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.candidates.service import QUERY_LIMIT
from bot.dates import DATE_LIMIT, DATE_TIME_LIMIT, PERIOD_LIMIT, TIME_LIMIT, TIMEZONE_LIMIT
from bot.discussion.service import COMMENT_LIMIT
from bot.guilds import EVENT_LOCATION_LIMIT, GROUP_NAME_LIMIT
from bot.papers.proposals import NOTE_LIMIT
from bot.papers.refs import AUTHORS_LIMIT, LINKS_LIMIT, REFS_LIMIT, URL_LIMIT
from bot.publish.plan import BRANCH_LIMIT, PATH_LIMIT, REPOSITORY_LIMIT
from bot.readinglist.service import TOPIC_PATH_LIMIT
from bot.reminders.plan import LEAD_TIMES_LIMIT
from bot.schedule.drafts import BLOCK_NAME_LIMIT
from bot.text import NOTES_LIMIT, TITLE_LIMIT
from tests.e2e.conftest import App
from tests.harness.discord import CommandUnavailable

STRING, SUB_COMMAND, SUB_COMMAND_GROUP = 3, 1, 2
GUILD, BOT_DM = 0, 1

# Every free-text option and the limit its service enforces. A new option fails the walk
# below until it has a limit and is listed here with the constant that enforces it.
ENFORCED: dict[str, int] = {
    "candidates set time": TIME_LIMIT,
    "comment add text": COMMENT_LIMIT,
    "export markdown since": DATE_LIMIT,
    "export markdown until": DATE_LIMIT,
    "paper candidates period": PERIOD_LIMIT,
    "paper candidates query": QUERY_LIMIT,
    "paper propose ref": REFS_LIMIT,
    "paper propose note": NOTE_LIMIT,
    "paper propose title": TITLE_LIMIT,
    "paper propose authors": AUTHORS_LIMIT,
    "paper info ref": URL_LIMIT,
    "paper tldr ref": URL_LIMIT,
    "paper edit ref": URL_LIMIT,
    "paper schedule date": DATE_TIME_LIMIT,
    "paper schedule time": TIME_LIMIT,
    "paper links ref": URL_LIMIT,
    "paper links code": LINKS_LIMIT,
    "paper links demo": LINKS_LIMIT,
    "publish setup repository": REPOSITORY_LIMIT,
    "publish setup branch": BRANCH_LIMIT,
    "publish setup path": PATH_LIMIT,
    "readinglist add ref": REFS_LIMIT,
    "readinglist add topic": TOPIC_PATH_LIMIT,
    "readinglist show topic": TOPIC_PATH_LIMIT,
    "readinglist mark-read ref": URL_LIMIT,
    "readinglist remove ref": URL_LIMIT,
    "readinglist remove topic": TOPIC_PATH_LIMIT,
    "reminders set time": TIME_LIMIT,
    "reminders set lead_times": LEAD_TIMES_LIMIT,
    "session add date": DATE_TIME_LIMIT,
    "session add time": TIME_LIMIT,
    "session add paper": REFS_LIMIT,
    "session add more_papers": REFS_LIMIT,
    "session add title": TITLE_LIMIT,
    "session add block": BLOCK_NAME_LIMIT,
    "session add notes": NOTES_LIMIT,
    "session continue date": DATE_TIME_LIMIT,
    "session continue time": TIME_LIMIT,
    "session continue title": TITLE_LIMIT,
    "session continue paper": REFS_LIMIT,
    "session continue notes": NOTES_LIMIT,
    "session edit title": TITLE_LIMIT,
    "session edit paper": REFS_LIMIT,
    "session edit more_papers": REFS_LIMIT,
    "session edit block": BLOCK_NAME_LIMIT,
    "session edit notes": NOTES_LIMIT,
    "session move date": DATE_TIME_LIMIT,
    "session move time": TIME_LIMIT,
    "session list block": BLOCK_NAME_LIMIT,
    "setup timezone": TIMEZONE_LIMIT,
    "setup meeting_time": TIME_LIMIT,
    "setup event_location": EVENT_LOCATION_LIMIT,
    "setup group_name": GROUP_NAME_LIMIT,
}


def synced(app: App) -> list[dict[str, Any]]:
    """The command definitions of the last bulk overwrite the bot sent."""
    puts = app.discord.requests_matching("PUT", r"/applications/\d+/commands")
    assert puts, "the bot never synced its commands"
    body = puts[-1].json
    assert isinstance(body, list)
    return body


def string_options(
    options: list[dict[str, Any]] | None, path: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    for option in options or []:
        where = f"{path} {option['name']}"
        if option["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP):
            yield from string_options(option.get("options"), where)
        elif option["type"] == STRING:
            yield where, option


async def test_every_free_text_option_declares_the_enforced_length(app: App) -> None:
    seen: dict[str, int | None] = {}
    for command in synced(app):
        for where, option in string_options(command.get("options"), command["name"]):
            if option.get("choices"):
                continue  # Discord accepts only the listed values
            seen[where] = option.get("max_length")
    unlimited = sorted(where for where, limit in seen.items() if limit is None)
    assert not unlimited, f"options without max_length: {unlimited}"
    unlisted = sorted(set(seen) - set(ENFORCED))
    assert not unlisted, f"list these options with the constant that enforces them: {unlisted}"
    wrong = {
        where: (seen[where], ENFORCED[where]) for where in seen if seen[where] != ENFORCED[where]
    }
    assert not wrong, f"declared vs enforced: {wrong}"
    assert set(ENFORCED) <= set(seen), f"gone: {sorted(set(ENFORCED) - set(seen))}"


async def test_discord_stops_a_title_over_the_limit_and_the_limit_itself_is_kept(
    app: App,
) -> None:
    with pytest.raises(CommandUnavailable, match="length"):
        await app.slash(
            app.organizer,
            "session add",
            date="2025-02-06",
            kind="tba",
            title="t" * (TITLE_LIMIT + 1),
        )
    title = "Long " + "t" * (TITLE_LIMIT - 5)
    reply = await app.slash(
        app.organizer, "session add", date="2025-02-06", kind="tba", title=title
    )
    await reply.final()
    found = re.search(r"session #(\d+)", reply.text)
    assert found, reply.text
    view = await app.services.schedule.get(app.guild.id, int(found.group(1)))
    assert view.session.title == title


async def test_only_help_is_offered_in_direct_messages(app: App) -> None:
    commands = synced(app)
    assert {c["name"] for c in commands} >= {"help", "session", "comment", "summarize", "setup"}
    for command in commands:
        contexts = command.get("contexts")
        if command["name"] == "help":
            assert contexts is not None and BOT_DM in contexts, command
        else:
            assert contexts == [GUILD], (command["name"], contexts)
            assert command.get("dm_permission") in (None, False), command["name"]


async def test_the_paper_form_declares_the_enforced_lengths(app: App) -> None:
    form = await app.slash(app.member, "paper propose", ref="https://openreview.net/forum?id=x1")
    assert form.modal is not None
    inputs = {
        c["custom_id"]: c["max_length"]
        for row in form.modal["components"]
        for c in row.get("components", [row])
        if "custom_id" in c
    }
    assert inputs == {"paper:title": TITLE_LIMIT, "paper:authors": AUTHORS_LIMIT}
