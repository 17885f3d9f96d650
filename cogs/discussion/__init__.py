"""The discussion of a session: ``/comment`` (the log, threads, the message menu) and
``/summarize`` (the LLM's summary and open research questions)."""

from __future__ import annotations

from bot.app import ReadingGroupBot
from cogs.discussion.comments import DiscussionCog
from cogs.discussion.summarize import SummariesCog


async def setup(bot: ReadingGroupBot) -> None:
    await bot.add_cog(DiscussionCog(bot))
    await bot.add_cog(SummariesCog(bot))
