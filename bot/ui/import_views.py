"""The choice under an ``/import markdown`` preview: import keeping what the server holds,
import replacing the values in conflict, or cancel."""

from __future__ import annotations

from typing import Any

import discord

from bot.ui.views import BaseView

KEEP, OVERWRITE, CANCEL = "keep", "overwrite", "cancel"


class ImportChoice(BaseView):
    """Buttons for the member who asked; ``await view.wait()``, then read ``choice``.

    The overwrite button is there only when the preview found conflicts."""

    def __init__(self, *, owner_id: int, conflicts: int, timeout: float = 60) -> None:
        super().__init__(owner_id=owner_id, timeout=timeout)
        self.choice: str | None = None
        self.interaction: discord.Interaction | None = None
        if conflicts:
            self.keep.label = "Import, keep the server's values"
        else:
            self.remove_item(self.overwrite)

    async def _choose(self, interaction: discord.Interaction, choice: str) -> None:
        self.choice, self.interaction = choice, interaction
        self.stop()

    @discord.ui.button(label="Import", style=discord.ButtonStyle.primary)
    async def keep(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await self._choose(interaction, KEEP)

    @discord.ui.button(label="Import and overwrite", style=discord.ButtonStyle.danger)
    async def overwrite(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await self._choose(interaction, OVERWRITE)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await self._choose(interaction, CANCEL)
