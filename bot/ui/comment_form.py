"""The form behind ``/comment add`` without text: long notes (up to the comment limit) with
line breaks, which a slash-command option cannot hold.

If saving fails (a mention in the text, say), the member gets the reason and the text back
as a file, so nothing typed is lost.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable

import discord

from bot.discussion.service import COMMENT_LIMIT
from bot.text import shorten
from bot.ui.errors import report_error
from bot.ui.views import BaseModal

log = logging.getLogger(__name__)

TEXT_ID = "comment:text"
MODAL_TITLE = 45  # Discord's limit for a modal's title
KEPT_FILE = "comment.txt"

Submitted = Callable[[discord.Interaction, str], Awaitable[None]]


class CommentModal(BaseModal):
    def __init__(self, session_label: str, *, on_submit: Submitted) -> None:
        super().__init__(title=shorten(f"Comment on {session_label}", MODAL_TITLE), timeout=1800)
        self.submitted = on_submit
        self.text: discord.ui.TextInput[CommentModal] = discord.ui.TextInput(
            label="Your comment or notes",
            style=discord.TextStyle.paragraph,
            placeholder="Write or paste your notes; line breaks are kept.",
            min_length=1,
            max_length=COMMENT_LIMIT,
            custom_id=TEXT_ID,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.submitted(interaction, self.text.value)

    async def on_error(  # type: ignore[override]  # a Modal's on_error gets no item
        self, interaction: discord.Interaction, error: Exception
    ) -> None:
        await report_error(interaction, error)
        text = self.text.value
        if not text:
            return
        try:
            await interaction.followup.send(
                "Your text was not saved; here it is, to fix and send again.",
                file=discord.File(io.BytesIO(text.encode()), filename=KEPT_FILE),
                ephemeral=True,
            )
        except discord.HTTPException as exc:
            log.warning("could not hand a refused comment back (HTTP %s)", exc.status)
