"""The Discord side of publishing to GitHub: the preview, where the markers go, the settings.

``/export publish`` runs :func:`publish_flow`: it reads GitHub, asks where the schedule goes
when the README has no markers yet, shows the diff with *Publish* / *Cancel*, and writes
only after *Publish*. Everything shown from GitHub or the schedule is in a code block or
escaped, and no message mentions anyone.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import UserError
from bot.publish.markers import Placement
from bot.publish.plan import BOT_BRANCH, PublishPlan, PublishResult
from bot.text import clean_line, shorten
from bot.ui.checks import ensure_organizer, guild_id_of
from bot.ui.render import COLOUR, escape, safe_url
from bot.ui.views import BaseView, Confirm
from storage.models import PublishMode, PublishTarget

if TYPE_CHECKING:
    from bot.container import Services

MESSAGE_LIMIT = 2000
DIFF_FILE = "publish.diff"
HEADINGS_SHOWN = 23  # a menu holds 25 options: start, end and this many headings
NONE = discord.AllowedMentions.none()
CUT_NOTE = "\n… (cut: the whole diff is attached)"


def _fenced(text: str) -> str:
    """``text`` safe inside a ```diff block (a ``` in the README cannot end it)."""
    return text.replace("```", "`\u200b``")


def preview_text(plan: PublishPlan, limit: int = MESSAGE_LIMIT) -> tuple[str, bool]:
    """The message showing what a publish would change, and whether the diff was cut
    (then the whole diff goes along as a file)."""
    head = (
        f"**Publish to {escape(plan.repository)}** ({escape(plan.branch)}"
        + (", as a pull request" if plan.mode == PublishMode.PULL_REQUEST else "")
        + f")\n{escape(plan.changes())}\n"
    )
    tail = "\nPress **Publish** to commit it, or **Cancel**."
    diff = plan.diff()
    if not diff:
        return head + tail, False
    room = (
        limit - len(head) - len(tail) - len("```diff\n\n```\n… (cut: the whole diff is attached)")
    )
    shown = _fenced(diff)
    cut = len(shown) > room
    if cut:
        shown = shown[: max(0, room)].rsplit("\n", 1)[0]
    body = f"```diff\n{shown}\n```" + (CUT_NOTE if cut else "")
    return head + body + tail, cut


def _url(url: str | None) -> str:
    target = safe_url(url)
    return f"<{target}>" if target else "(no link)"


def result_text(result: PublishResult) -> str:
    plan = result.plan
    where = f"{escape(plan.repository)} ({escape(plan.branch)})"
    if result.commit is None:
        return f"Nothing to publish: {where} already shows this schedule."
    if result.pull is not None:
        why = (
            f"{escape(plan.branch)} accepts changes only through pull requests "
            f"({escape(shorten(result.protected, 200))}), so "
            if result.protected
            else ""
        )
        verb = "opened" if result.pull.created else "updated"
        return (
            f"Published for review: {why}pull request #{result.pull.number} was {verb} from "
            f"{escape(BOT_BRANCH)}: {_url(result.url)}"
        )
    return f"Published to {where}: {_url(result.url)}"


def diff_file(plan: PublishPlan) -> discord.File:
    text = plan.diff() + "\n\n# " + plan.calendar_change().describe(plan.calendar.path) + "\n"
    return discord.File(io.BytesIO(text.encode("utf-8")), filename=DIFF_FILE)


class PlacementPicker(BaseView):
    """Where the schedule goes in a README that has no markers yet."""

    def __init__(self, headings: list[str], *, owner_id: int) -> None:
        super().__init__(owner_id=owner_id, timeout=120)
        self.value: Placement | None = None
        self.interaction: discord.Interaction | None = None
        self.headings = headings[:HEADINGS_SHOWN]
        options = [
            discord.SelectOption(label="At the end of the file", value="end", default=True),
            discord.SelectOption(label="At the start (after any front matter)", value="start"),
        ]
        options += [
            discord.SelectOption(label=shorten(f"After “{h}”", 100), value=f"h{index}")
            for index, h in enumerate(self.headings)
        ]
        self.menu: discord.ui.Select[PlacementPicker] = discord.ui.Select(
            custom_id="publish:place", placeholder="Where should the schedule go?", options=options
        )
        # discord.py's documented way to give a Select its callback without subclassing it
        self.menu.callback = self._chosen  # type: ignore[method-assign]
        self.add_item(self.menu)

    async def _chosen(self, interaction: discord.Interaction) -> None:
        value = self.menu.values[0]
        if value.startswith("h"):
            self.value = Placement("after", self.headings[int(value[1:])])
        else:
            self.value = Placement("start" if value == "start" else "end")
        self.interaction = interaction
        self.stop()


def _actor(interaction: discord.Interaction) -> str:
    user = interaction.user
    name = clean_line(getattr(user, "display_name", None) or user.name) or str(user.id)
    return f"{shorten(name, 80)} on Discord"


async def publish_flow(interaction: discord.Interaction, services: Services) -> None:
    """``/export publish``: preview, then publish after the organizer confirms."""
    await ensure_organizer(interaction, services)
    guild_id = guild_id_of(interaction)
    await interaction.response.defer(ephemeral=True, thinking=True)
    plan = await services.publish.prepare(guild_id)
    # Each step answers on the interaction that led to it (the command, a menu, a button).
    step: discord.Interaction = interaction
    if plan.needs_placement and plan.placement is None:
        picker = PlacementPicker(plan.headings, owner_id=interaction.user.id)
        picker.message = await interaction.followup.send(
            f"{escape(plan.readme.path)} in {escape(plan.repository)} has no reading-group "
            "markers yet. Where should the schedule go? (Nothing around it is changed.)",
            view=picker,
            ephemeral=True,
            wait=True,
            allowed_mentions=NONE,
        )
        await picker.wait()
        if picker.interaction is None or picker.value is None:
            await picker.message.edit(
                content="Nothing was published (no answer within two minutes).", view=None
            )
            return
        step = picker.interaction
        await step.response.defer()
        plan = plan.placed(picker.value)
    if not plan.changed:
        await _answer(
            step,
            interaction,
            f"Nothing to publish: {escape(plan.repository)} ({escape(plan.branch)}) already "
            "shows this schedule.",
        )
        return
    content, cut = preview_text(plan)
    confirm = Confirm(owner_id=interaction.user.id, confirm_label="Publish", cancel_label="Cancel")
    confirm.confirm.style = discord.ButtonStyle.success
    confirm.message = await _answer(
        step, interaction, content, view=confirm, file=diff_file(plan) if cut else None
    )
    await confirm.wait()
    if confirm.interaction is None:
        await confirm.message.edit(
            content="Nothing was published (no answer within a minute).", view=None
        )
        return
    await confirm.interaction.response.defer()
    if not confirm.value:
        await confirm.interaction.edit_original_response(
            content="Nothing was published.", view=None, attachments=[]
        )
        return
    try:
        result = await services.publish.publish(plan, actor=_actor(interaction))
    except UserError as error:  # the preview's message says why, in place of the buttons
        await confirm.interaction.edit_original_response(
            content=escape(str(error)), view=None, attachments=[], allowed_mentions=NONE
        )
        return
    await confirm.interaction.edit_original_response(
        content=result_text(result), view=None, attachments=[]
    )


async def _answer(
    step: discord.Interaction,
    command: discord.Interaction,
    content: str,
    *,
    view: discord.ui.View | None = None,
    file: discord.File | None = None,
) -> Any:
    """A new ephemeral message after the command, or an edit of the menu's message."""
    missing: Any = discord.utils.MISSING
    if step is command:
        return await command.followup.send(
            content,
            ephemeral=True,
            wait=True,
            allowed_mentions=NONE,
            view=view if view is not None else missing,
            file=file if file is not None else missing,
        )
    return await step.edit_original_response(
        content=content,
        view=view,
        attachments=[file] if file is not None else [],
        allowed_mentions=NONE,
    )


def settings_embed(
    target: PublishTarget | None, *, token_set: bool, debounce_minutes: int
) -> discord.Embed:
    embed = discord.Embed(title="Publishing to GitHub", colour=COLOUR)
    if not token_set:
        embed.description = (
            "⚠️ The bot has no GITHUB_TOKEN: whoever runs it sets one (see .env.example) "
            "before anything can be published."
        )
    if target is None:
        embed.add_field(name="Repository", value="not set: `/publish setup repository:owner/name`")
        return embed
    embed.add_field(name="Repository", value=escape(target.repository))
    embed.add_field(name="Branch", value=escape(target.branch or "the default branch"))
    embed.add_field(name="README", value=escape(target.path))
    mode = (
        f"pull request from {BOT_BRANCH}"
        if target.mode == PublishMode.PULL_REQUEST
        else "commit to the branch (a pull request if it is protected)"
    )
    embed.add_field(name="Mode", value=mode, inline=False)
    auto = (
        f"on: at most once every {debounce_minutes} minutes after schedule changes"
        if target.auto
        else "off: publish with /export publish"
    )
    embed.add_field(name="Automatic publishing", value=auto, inline=False)
    if target.due_at is not None:
        embed.add_field(
            name="Pending", value=f"publishes {discord.utils.format_dt(target.due_at, 'R')}"
        )
    if target.last_published_at is not None:
        last = discord.utils.format_dt(target.last_published_at, "R")
        link = f" · {_url(target.last_url)}" if target.last_url else ""
        embed.add_field(name="Last published", value=f"{last}{link}", inline=False)
    if target.last_error:
        embed.add_field(
            name="⚠️ Last automatic publish failed",
            value=shorten(escape(target.last_error), 1000),
            inline=False,
        )
    return embed
