"""/session show: the columns an imported table had are shown with the session."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.schedule.readmodels import SessionInfo
from bot.ui.render import session_embed
from storage.models import GuildConfig, ReadingSession


def test_kept_columns_are_shown_with_their_links() -> None:
    session = ReadingSession(
        id=7,
        number=7,
        guild_id=1,
        starts_at=datetime(2023, 4, 10, 12, tzinfo=UTC),
        kind="special",
        title="Talk",
        presenter_name="Ada",
        details={
            "columns": {
                "周数": "06",
                "Slides": "[PPT](https://example.org/s.ppt) and [notes](notes/a.md)",
                "Place": "Room *1* @everyone",
            }
        },
    )
    embed = session_embed(SessionInfo(session, []), GuildConfig(guild_id=1))
    field = next(f for f in embed.fields if f.name == "From the imported table")
    assert field.value == (
        "**周数:** 06\n"
        "**Slides:** [PPT](https://example.org/s.ppt) and notes\n"
        "**Place:** Room \\*1\\* @\u200beveryone"
    )
