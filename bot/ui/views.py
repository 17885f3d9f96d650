"""Base views and modals whose errors follow the single error path, plus shared views."""

from __future__ import annotations

import contextlib
from typing import Any

import discord

from bot.ui.errors import report_error, send_ephemeral


class BaseView(discord.ui.View):
    """A view whose failures become a clear ephemeral message.

    With ``owner_id`` set, only that member may use it (others are told so); on timeout its
    components are disabled on the message it is attached to.
    """

    def __init__(self, *, owner_id: int | None = None, timeout: float | None = 180.0) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.Message | discord.InteractionMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if self.owner_id is not None and interaction.user.id != self.owner_id:
            await send_ephemeral(interaction, "These buttons belong to someone else's command.")
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_error(interaction, error)

    def disable_all(self) -> None:
        for child in self.children:
            if isinstance(child, discord.ui.Button | discord.ui.Select):
                child.disabled = True

    async def on_timeout(self) -> None:
        self.disable_all()
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)


class BaseModal(discord.ui.Modal):
    async def on_error(  # type: ignore[override]  # a Modal's on_error gets no item
        self, interaction: discord.Interaction, error: Exception
    ) -> None:
        await report_error(interaction, error)


class Confirm(BaseView):
    """Asks the invoking member to confirm; ``await view.wait()`` then read ``value``."""

    def __init__(self, *, owner_id: int, confirm_label: str, cancel_label: str = "Keep it") -> None:
        super().__init__(owner_id=owner_id, timeout=60)
        self.value: bool | None = None
        self.interaction: discord.Interaction | None = None
        self.confirm.label = confirm_label
        self.cancel.label = cancel_label

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        self.value, self.interaction = True, interaction
        self.stop()

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        self.value, self.interaction = False, interaction
        self.stop()
