"""The Discord side of reminders: what a post looks like, how it is sent, the ping button.

The reminder service decides *what* is due and *whether* to post (it knows no Discord);
this module renders a :class:`~bot.reminders.service.ReminderPost` into a message, posts
it with retries, and looks for an earlier post of the same reminder after a crash. Previews
render the same object, so ``/reminders preview`` shows exactly what would be posted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bot.dates import discord_timestamp, format_date, utc_to_local
from bot.errors import NotConfigured
from bot.reminders.service import (
    LEAD,
    DeliveryBlocked,
    DeliveryFailed,
    DeliveryRejected,
    ReminderPost,
    format_lead,
)
from bot.schedule.readmodels import SessionInfo, headline
from bot.text import shorten
from bot.ui.checks import guild_id_of
from bot.ui.errors import report_error, send_ephemeral
from bot.ui.render import (
    COLOUR,
    EMBED_DESCRIPTION,
    EMBED_TITLE,
    FIELD_VALUE,
    escape,
    event_url,
    paper_line,
    session_embed,
)
from storage.models import GuildConfig, PaperRole

if TYPE_CHECKING:
    from bot.app import ReadingGroupBot
    from bot.container import Services

log = logging.getLogger(__name__)

PING_BUTTON_ID = "reminders:ping-toggle"
EMBED_BUDGET = 5800  # Discord allows 6000 characters across a message's embeds
MAX_WEEKLY_SESSIONS = 10
FIELD_NAME = 256
HISTORY_SCAN = 200  # messages looked at when checking whether a reminder was posted

# A role anyone may give themselves with the button must not carry power.
ELEVATED = discord.Permissions(
    administrator=True,
    manage_guild=True,
    manage_roles=True,
    manage_channels=True,
    manage_messages=True,
    manage_webhooks=True,
    manage_threads=True,
    manage_nicknames=True,
    manage_events=True,
    manage_expressions=True,
    kick_members=True,
    ban_members=True,
    moderate_members=True,
    mention_everyone=True,
    view_audit_log=True,
)


# --------------------------------------------------------------------------------------
# Rendering


@dataclass(frozen=True, slots=True)
class RenderedPost:
    content: str
    embed: discord.Embed
    allowed_mentions: discord.AllowedMentions
    view: discord.ui.View | None

    def kwargs(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "content": self.content,
            "embed": self.embed,
            "allowed_mentions": self.allowed_mentions,
        }
        if self.view is not None:
            values["view"] = self.view
        return values


def footer_text(post: ReminderPost) -> str:
    """The footer carries the reminder's reference: the look-up after a crash finds it."""
    if post.test:
        what = "Test post"
    elif post.kind == LEAD:
        what = f"Reminder {format_lead(post.lead_minutes or 0)} before"
    else:
        what = "Weekly announcement"
    return f"{what} · ref {post.ref}"


def render_post(post: ReminderPost) -> RenderedPost:
    embed = _lead_embed(post) if post.kind == LEAD else _weekly_embed(post)
    embed.set_footer(text=footer_text(post))
    lines: list[str] = []
    mentions = discord.AllowedMentions.none()
    if post.kind == LEAD:
        view = post.sessions[0]
        start = view.starts_at
        line = (
            f"⏰ Session #{view.number} starts {discord_timestamp(start, 'R')} "
            f"({discord_timestamp(start, 't')})."
        )
        if post.ping_role_id is not None:
            line = f"<@&{post.ping_role_id}> {line}"
            # Pings are opt-in per message: only this role, never @everyone or members.
            mentions = discord.AllowedMentions(
                everyone=False,
                users=False,
                replied_user=False,
                roles=[discord.Object(id=post.ping_role_id)],
            )
        lines.append(line)
    else:
        lines.append(f"📅 **{escape(_group(post.config))}: the coming week**")
    if post.late:
        lines.append(
            f"_Posted late: this was due {discord_timestamp(post.due_at, 'f')}, when I could "
            "not post._"
        )
    if post.test:
        lines.append("_Test post: not a scheduled reminder, and nobody is pinged._")
    view = PingRoleView() if post.offer_ping_button else None
    return RenderedPost("\n".join(lines), embed, mentions, view)


def _group(config: GuildConfig) -> str:
    return shorten(config.group_name or "Reading group", 100)


def _lead_embed(post: ReminderPost) -> discord.Embed:
    return session_embed(post.sessions[0], post.config)


def _when_line(view: SessionInfo, config: GuildConfig) -> str:
    local = utc_to_local(view.starts_at, config.timezone)
    return (
        f"{discord_timestamp(view.starts_at, 'F')} ({discord_timestamp(view.starts_at, 'R')}) · "
        f"{format_date(local.date(), config.date_format)} {local:%H:%M} {config.timezone}"
    )


def _session_value(view: SessionInfo, config: GuildConfig, limit: int) -> str:
    s = view.session
    lines = [_when_line(view, config)]
    if s.presenter_id:
        lines.append(f"Presenter: <@{s.presenter_id}>")
    elif s.presenter_name:
        lines.append(f"Presenter: {escape(s.presenter_name)}")
    papers = view.papers or view.continues_papers
    for linked in papers:
        prefix = "See also: " if linked.role == PaperRole.SEE_ALSO else ""
        lines.append(f"• {prefix}{paper_line(linked.paper, linked.label)}")
    if s.discord_event_id:
        lines.append(f"[Discord event]({event_url(s.guild_id, s.discord_event_id)})")
    return _fit(lines, limit)


def _fit(lines: list[str], limit: int) -> str:
    """Whole lines up to ``limit`` characters (a cut link would break its markdown)."""
    text = ""
    for index, line in enumerate(lines):
        candidate = f"{text}\n{line}" if text else line
        if len(candidate) > limit:
            more = f"\n… and {len(lines) - index} more"
            if len(text) + len(more) <= limit:
                return text + more
            return text or shorten(line, limit)
        text = candidate
    return text or "—"


def _weekly_embed(post: ReminderPost) -> discord.Embed:
    config = post.config
    sessions = post.sessions[:MAX_WEEKLY_SESSIONS]
    if sessions:
        count = len(post.sessions)
        description = f"{count} session{'s' if count != 1 else ''} in the coming week."
        if len(post.sessions) > len(sessions):
            description += f" The first {len(sessions)} are shown; see `/session list`."
    else:
        description = "Nothing is scheduled in the coming week, so no announcement is posted."
    embed = discord.Embed(
        title=shorten(f"This week · {escape(_group(config))}", EMBED_TITLE),
        description=shorten(description, EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    questions_budget = 0
    if post.open_questions and post.last_session is not None:
        questions_budget = min(FIELD_VALUE, 1200)
    used = len(embed.title or "") + len(description) + 120  # the footer
    per_field = 0
    if sessions:
        per_field = min(
            FIELD_VALUE,
            (EMBED_BUDGET - used - questions_budget - FIELD_NAME * len(sessions)) // len(sessions),
        )
    for view in sessions:
        name = shorten(f"#{view.number} · {headline(view)}", FIELD_NAME - 10)
        embed.add_field(
            name=escape(name)[:FIELD_NAME],
            value=_session_value(view, config, max(100, per_field)),
            inline=False,
        )
    if questions_budget and post.last_session is not None:
        last = post.last_session
        name = shorten(f"Open questions from #{last.number} · {headline(last)}", FIELD_NAME - 10)
        lines = [f"• {escape(shorten(q, 300))}" for q in post.open_questions]
        embed.add_field(
            name=escape(name)[:FIELD_NAME],
            value=_fit(lines, min(FIELD_VALUE, questions_budget)),
            inline=False,
        )
    return embed


# --------------------------------------------------------------------------------------
# Sending


class _Transient(Exception):
    pass


def _blocked_reason(error: discord.HTTPException) -> str:
    if error.code == 50001:
        return "missing access to the channel (50001)"
    if error.code == 50013:
        return "missing permissions in the channel (50013)"
    if error.code == 10003:
        return "the channel no longer exists (10003)"
    return f"Discord refused with {error.status} ({error.code or 'no code'})"


class DiscordReminderSender:
    """Posts reminders in a channel; the reminder service calls it through its protocol.

    A 429 is waited out and retried by discord.py itself (Discord's 429s are well-formed);
    5xx answers and network errors are retried here with exponential back-off, and before
    each retry the channel is checked so a post that did arrive is not sent again. 403 and a
    vanished channel raise :class:`DeliveryBlocked` (the reminder stays pending).
    """

    def __init__(
        self,
        bot: ReadingGroupBot,
        *,
        attempts: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
    ) -> None:
        self.bot = bot
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff

    def _channel(self, guild_id: int, channel_id: int) -> discord.PartialMessageable:
        # Works from the REST API alone: no cache, no gateway needed.
        return self.bot.get_partial_messageable(channel_id, guild_id=guild_id)

    async def send(self, post: ReminderPost, channel_id: int) -> int:
        guild = self.bot.get_guild(post.guild_id)
        role_id = post.ping_role_id
        if role_id is not None and guild is not None and guild.get_role(role_id) is None:
            post = replace(post, ping_role_id=None)  # the role was deleted: ping nobody
        rendered = render_post(post)
        channel = self._channel(post.guild_id, channel_id)
        started = discord.utils.utcnow() - timedelta(seconds=5)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.backoff, max=self.max_backoff),
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        first = True
        try:
            async for attempt in retrying:
                with attempt:
                    if not first:
                        # A 5xx may come after Discord stored the message: look first.
                        found = await self.find_posted(post.guild_id, channel_id, post.ref, started)
                        if found is not None:
                            return found
                    first = False
                    return await self._post_once(channel, rendered)
        except _Transient as exc:
            raise DeliveryFailed(str(exc)) from None
        raise DeliveryFailed("no attempt was made")  # pragma: no cover - tenacity always tries

    async def _post_once(self, channel: discord.PartialMessageable, rendered: RenderedPost) -> int:
        try:
            message = await channel.send(**rendered.kwargs())
        except discord.Forbidden as exc:
            raise DeliveryBlocked(_blocked_reason(exc)) from None
        except discord.NotFound as exc:
            raise DeliveryBlocked(_blocked_reason(exc)) from None
        except discord.DiscordServerError as exc:
            raise _Transient(f"Discord answered {exc.status}") from None
        except discord.RateLimited as exc:
            raise _Transient(f"rate limited for {exc.retry_after:.0f} s") from None
        except discord.HTTPException as exc:
            raise DeliveryRejected(f"{exc.status} ({exc.code}): {exc.text}") from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise _Transient(f"network error: {exc.__class__.__name__}") from None
        return message.id

    async def find_posted(
        self, guild_id: int, channel_id: int, ref: str, after: datetime
    ) -> int | None:
        if self.bot.user is None:
            raise DeliveryFailed("not logged in")
        me = self.bot.user.id
        channel = self._channel(guild_id, channel_id)
        try:
            async for message in channel.history(limit=HISTORY_SCAN, after=after):
                if message.author.id != me:
                    continue
                for embed in message.embeds:
                    if embed.footer and embed.footer.text and f"ref {ref}" in embed.footer.text:
                        return message.id
        except discord.Forbidden as exc:
            raise DeliveryBlocked(_blocked_reason(exc)) from None
        except discord.NotFound:
            return None
        except (discord.DiscordServerError, discord.RateLimited) as exc:
            raise DeliveryFailed(str(exc)) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DeliveryFailed(f"network error: {exc.__class__.__name__}") from None
        return None


# --------------------------------------------------------------------------------------
# The opt-in ping role


def ping_role_problem(role: discord.Role, config: GuildConfig) -> str | None:
    """Why ``role`` cannot be the opt-in reminder role (anyone can take it), or None."""
    if role.is_default():
        return (
            "@everyone cannot be the reminder role: reminders never ping everyone. Create a "
            "role members opt in to (e.g. 'Reading pings') and choose it."
        )
    if role.managed:
        return "That role is managed by an integration or a bot; choose a plain role."
    if config.organizer_role_id is not None and role.id == config.organizer_role_id:
        return "The organizer role cannot be the reminder role: anyone can take the latter."
    if role.permissions.value & ELEVATED.value:
        return (
            f"The role {escape(role.name)} carries moderator permissions, and anyone can give "
            "it to themselves with the reminder button. Choose a role without permissions."
        )
    return None


def ping_role_warnings(role: discord.Role, guild: discord.Guild | None) -> list[str]:
    """Things an organizer should fix so the role works (it is saved anyway)."""
    me = guild.me if guild is not None else None
    if me is None:
        return []
    warnings = []
    if not me.guild_permissions.manage_roles:
        warnings.append("Give my role Manage Roles so members can opt in with the button.")
    elif role >= me.top_role:
        warnings.append(
            f"Move my role above {escape(role.name)} (Server Settings → Roles) so I can add "
            "members to it."
        )
    if not role.mentionable and not me.guild_permissions.mention_everyone:
        warnings.append(
            f"{escape(role.name)} is not mentionable: turn on 'Allow anyone to @mention this "
            "role', or the reminders will not notify its members."
        )
    return warnings


async def toggle_ping_role(
    interaction: discord.Interaction, services: Services, want: bool | None
) -> str:
    """Add or remove the member's opt-in role; ``want`` None flips it."""
    guild_id = guild_id_of(interaction)
    config = await services.guilds.fresh(guild_id)
    if config.ping_role_id is None:
        raise NotConfigured(
            "This server has no reminder role yet; organizers choose one with "
            "`/reminders set ping_role:…`."
        )
    guild = interaction.guild
    member = interaction.user
    role = guild.get_role(config.ping_role_id) if guild is not None else None
    if role is None or not isinstance(member, discord.Member):
        raise NotConfigured(
            "The reminder role no longer exists; ask an organizer to choose one with "
            "`/reminders set ping_role:…`."
        )
    problem = ping_role_problem(role, config)
    if problem is not None:
        raise NotConfigured(f"{problem} (Ask an organizer.)")
    has = member.get_role(role.id) is not None
    target = (not has) if want is None else want
    if target == has:
        return (
            "You already get reminder pings."
            if has
            else "You do not get reminder pings (nothing to turn off)."
        )
    try:
        if target:
            await member.add_roles(role, reason="Opted in to reading-group reminder pings")
        else:
            await member.remove_roles(role, reason="Opted out of reading-group reminder pings")
    except discord.Forbidden:
        raise NotConfigured(
            f"I cannot change the {escape(role.name)} role: I need Manage Roles and my role "
            "must be above it. Ask an organizer."
        ) from None
    if target:
        return f"Done: reminders will ping you ({escape(role.name)}). Turn it off the same way."
    return f"Done: reminders will no longer ping you ({escape(role.name)} removed)."


class PingRoleView(discord.ui.View):
    """The button under reminders. Persistent: a stable custom_id, registered at start-up,
    so it works on messages posted before a restart."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(
        label="Reminder pings on/off",
        emoji="🔔",
        style=discord.ButtonStyle.secondary,
        custom_id=PING_BUTTON_ID,
    )
    async def toggle(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        bot: ReadingGroupBot = interaction.client  # type: ignore[assignment]
        await interaction.response.defer(ephemeral=True, thinking=True)
        message = await toggle_ping_role(interaction, bot.services, None)
        await send_ephemeral(interaction, message)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_error(interaction, error)
