"""/import markdown, /export markdown and /export pin end to end on the fake Discord."""

from __future__ import annotations

import discord

from tests.conftest import SHARED_DIR
from tests.e2e.conftest import App
from tests.harness.discord import Upload

README = (SHARED_DIR / "examples" / "schedule-readme.md").read_bytes()
FUTURE = b"""# Future group

---
| Date | Paper | Authors | Code | Demo | Comments |
| :--- | :---- | :------ | :--- | :--- | :------- |
| 06.02.2025 | [Visual Instruction Tuning](https://arxiv.org/abs/2304.08485) | H. Liu, C. Li | | | |
| 13.02.2025 | Continue | | | | |
---
"""


async def _count(app: App) -> int:
    async with app.services.db.unit() as uow:
        return await uow.sessions.count(app.guild.id, include_cancelled=True)


async def _topics(app: App) -> list[str]:
    async with app.services.db.unit() as uow:
        return [t.path for t in await uow.readinglist.topics(app.guild.id)]


async def test_import_shows_a_preview_and_writes_only_after_confirm(app: App) -> None:
    reply = await app.slash(app.organizer, "import markdown", file=("README.md", README))
    await reply.final()
    assert reply.ephemeral
    assert "Sessions: 35 would be created, 0 would be updated, 0 unchanged." in reply.content
    assert "line 9: the Code column holds text, not a link; read as a comment" in reply.content
    assert len(reply.content) <= 2000
    assert reply.files and reply.files[0].name == "import-report.txt"  # too long for a message
    report = reply.files[0].data.decode()
    assert "line 40: would create 24.02.2025 · RLHF Block. Part 4." in report
    assert await _count(app) == 0  # the preview wrote nothing
    assert await _topics(app) == []

    done = await app.discord.click(app.organizer, reply, label="Import")
    assert done is not None
    await app.until(lambda: reply.content.startswith("Imported."), "the import to finish")
    assert "Sessions: 35 created" in reply.content
    assert reply.components == []  # the buttons are gone
    assert await _count(app) == 35
    assert "Representation Learning/Fusion" in await _topics(app)
    config = await app.services.guilds.get(app.guild.id)
    assert config.group_name == "multimodal-reading-group"

    again = await app.slash(app.organizer, "import markdown", file=("README.md", README))
    await again.final()
    assert again.content.startswith("Nothing to import")
    assert "35 unchanged" in again.content
    assert again.components == []
    assert await _count(app) == 35


async def test_import_can_be_cancelled(app: App) -> None:
    reply = await app.slash(app.organizer, "import markdown", file=("README.md", README))
    await reply.final()
    await app.discord.click(app.organizer, reply, label="Cancel")
    await app.until(lambda: reply.content == "Nothing was imported.", "the cancellation")
    assert await _count(app) == 0


async def test_only_the_organizer_who_asked_can_confirm(app: App) -> None:
    reply = await app.slash(app.organizer, "import markdown", file=("README.md", README))
    await reply.final()
    stranger = await app.discord.click(app.admin, reply, label="Import")
    assert "someone else's command" in stranger.content
    assert await _count(app) == 0


async def test_members_cannot_import(app: App) -> None:
    reply = await app.slash(app.member, "import markdown", file=("README.md", README))
    assert reply.ephemeral
    assert "Only organizers can do this" in reply.content
    assert await _count(app) == 0


async def test_a_file_over_the_upload_limit_is_refused_unread(app: App) -> None:
    big = README + b"\n" + b"x" * (10 * 1024 * 1024)
    reply = await app.slash(app.organizer, "import markdown", file=("huge.md", big))
    assert reply.ephemeral
    assert "over Discord's upload limit here (10 MiB)" in reply.content
    assert "Nothing was imported" in reply.content
    downloads = app.discord.requests_matching("GET", r".*/attachments/.*")
    assert downloads == []  # refused before downloading
    assert await _count(app) == 0


async def test_undecodable_and_foreign_files_are_refused(app: App) -> None:
    latin1 = "| Date | Paper |\n| --- | --- |\n| 01.02.2024 | Café |\n".encode("latin-1")
    reply = await app.slash(app.organizer, "import markdown", file=Upload("latin.md", latin1))
    await reply.final()
    assert "not UTF-8 text" in reply.content
    prose = await app.slash(
        app.organizer, "import markdown", file=("notes.md", b"# Notes\n\nJust some text.\n")
    )
    await prose.final()
    assert "This file is not a schedule" in prose.content
    assert await _count(app) == 0


async def test_export_markdown_posts_the_readme_as_a_file(app: App) -> None:
    await app.services.markdown.import_text(app.guild.id, README.decode())
    reply = await app.slash(app.member, "export markdown")
    await reply.final()
    assert reply.ephemeral
    assert "35 sessions and 6 reading-list topics" in reply.content
    (file,) = reply.files
    assert file.name == "schedule.md"
    expected = await app.services.markdown.export(app.guild.id)
    assert file.data.decode() == expected.text
    assert file.data.startswith(b"# multimodal-reading-group\n\n---\n| Date | Paper |")

    narrow = await app.slash(app.member, "export markdown", since="2025-02-01", reading_list=False)
    await narrow.final()
    text = narrow.files[0].data.decode()
    assert "RLHF Block" in text and "Visual Instruction Tuning" not in text
    assert "<details>" not in text

    bad = await app.slash(app.member, "export markdown", since="31.02.2025")
    await bad.final()
    assert "since:" in bad.content and "not a date that exists" in bad.content


async def test_pinned_schedule_is_edited_in_place(app: App) -> None:
    await app.services.markdown.import_text(app.guild.id, FUTURE.decode())
    reply = await app.slash(app.organizer, "export pin", options={"channel": app.announcements})
    await reply.final()
    assert "pinned in" in reply.content
    (pinned,) = app.discord.pins(app.announcements)
    assert "Visual Instruction Tuning" in pinned["content"]
    assert "Continue" in pinned["content"]
    assert pinned["flags"] & 4  # embeds suppressed
    posted = len(app.discord.channel_messages(app.announcements))

    added = await app.slash(
        app.organizer, "session add", date="2025-02-20", kind="special", title="Code Reading Group"
    )
    await added.final()
    await app.until(
        lambda: "Code Reading Group" in app.discord.message(pinned["id"])["content"],
        "the pinned schedule to follow the new session",
    )
    assert len(app.discord.message_edits(pinned["id"])) == 1  # edited once, in place
    assert len(app.discord.channel_messages(app.announcements)) == posted  # nothing new posted
    assert [p["id"] for p in app.discord.pins(app.announcements)] == [pinned["id"]]

    # Once a session has ended it leaves the pin at the next change.
    app.clock.set(app.clock.now().replace(month=2, day=10))
    moved = await app.slash(app.organizer, "session move", session=3, date="2025-02-27")
    await moved.final()
    await app.until(
        lambda: "06.02.2025" not in app.discord.message(pinned["id"])["content"],
        "past sessions to leave the pin",
    )
    assert "`#1`" not in app.discord.message(pinned["id"])["content"]
    assert "27.02.2025" in app.discord.message(pinned["id"])["content"]
    config = await app.services.guilds.get(app.guild.id)
    assert config.export_pin_message_ids == [int(pinned["id"])]


async def test_pin_is_reposted_when_someone_deleted_it(app: App) -> None:
    await app.services.markdown.import_text(app.guild.id, FUTURE.decode())
    await (await app.slash(app.organizer, "export pin")).final()
    (first,) = app.discord.pins(app.channel)
    app.discord.world.delete_message(app.discord.stored_message(first))
    await (await app.slash(app.organizer, "session add", date="2025-02-20", kind="tba")).final()
    await app.until(lambda: len(app.discord.pins(app.channel)) == 1, "a new pinned message")
    (second,) = app.discord.pins(app.channel)
    assert second["id"] != first["id"]
    config = await app.services.guilds.get(app.guild.id)
    assert config.export_pin_message_ids == [int(second["id"])]


async def test_pin_without_permission_to_post_says_what_to_grant(app: App) -> None:
    app.discord.set_bot_permissions(
        app.guild, channel=app.announcements, deny=discord.Permissions(send_messages=True)
    )
    reply = await app.slash(app.organizer, "export pin", options={"channel": app.announcements})
    await reply.final()
    assert "I cannot post in" in reply.content
    config = await app.services.guilds.get(app.guild.id)
    assert config.export_pin_channel_id is None


async def test_members_cannot_pin_and_unpin_removes_it(app: App) -> None:
    refused = await app.slash(app.member, "export pin")
    assert "Only organizers can do this" in refused.content
    await (await app.slash(app.organizer, "export pin")).final()
    assert len(app.discord.pins(app.channel)) == 1
    await (await app.slash(app.organizer, "export unpin")).final()
    assert app.discord.pins(app.channel) == []
    config = await app.services.guilds.get(app.guild.id)
    assert config.export_pin_channel_id is None and config.export_pin_message_ids == []
