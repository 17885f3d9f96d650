"""Publishing the schedule to the group's GitHub README (and its calendar file next to it).

A publish is two steps, so an organizer can look before anything is written:

1. :meth:`PublishService.prepare` renders the section (the markdown export and a calendar
   link) and the ``.ics`` file, reads both files at the branch's head, and splices the
   section between the markers: a :class:`PublishPlan` with the diff.
2. :meth:`PublishService.publish` writes the plan as one commit. If the branch moved since
   the plan was read, the files are compared by their blob sha: changed → a
   :class:`PublishConflict` naming the upstream commit (nothing is overwritten); unchanged →
   the commit goes on top of the new head. A branch that refuses direct commits (branch
   protection, rulesets) gets a pull request from the bot's branch instead; later
   publishes update that branch, and so the pull request, in place.

Automatic publishing after schedule changes is :mod:`bot.publish.auto`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.errors import InvalidInput, NotConfigured
from bot.guilds import GuildSettingsService
from bot.markdown.service import ExportOptions, MarkdownService
from bot.publish.github import (
    BranchProtected,
    GitHubClient,
    GitHubRepository,
    NotFastForward,
    PublishConflict,
    PublishError,
    TokenMissing,
)
from bot.publish.markers import Placement, has_markers, headings, splice
from bot.publish.plan import (
    BOT_BRANCH,
    FileChange,
    PublishPlan,
    PublishResult,
    Rendered,
    commit_message,
    decode_remote,
    digest,
    parse_branch,
    parse_mode,
    parse_path,
    parse_repository,
)
from bot.publish.render import calendar_path, raw_url, section
from bot.schedule.calendar import build_calendar
from bot.schedule.service import ScheduleService
from bot.settings import Settings
from storage.db import Database
from storage.models import PublishMode, PublishTarget

MOVES = 3  # how often a publish follows a branch that keeps moving before giving up


class PublishService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        settings: Settings,
        markdown: MarkdownService,
        schedule: ScheduleService,
        guilds: GuildSettingsService,
        client_factory: Callable[[], GitHubClient] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.markdown = markdown
        self.schedule = schedule
        self.guilds = guilds
        self._client_factory = client_factory

    # ------------------------------------------------------------------ settings

    @property
    def enabled(self) -> bool:
        return self.settings.github_token is not None

    async def target(self, guild_id: int) -> PublishTarget | None:
        async with self.db.unit() as uow:
            return await uow.publish.get(guild_id)

    async def configure(
        self,
        guild_id: int,
        *,
        repository: str | None = None,
        branch: str | None = None,
        path: str | None = None,
        mode: str | None = None,
        auto: bool | None = None,
    ) -> PublishTarget:
        """Change the server's publishing settings; the first call needs the repository."""
        changes: dict[str, Any] = {}
        if repository is not None:
            changes["repository"] = parse_repository(repository)
        if branch is not None:
            changes["branch"] = None if branch.strip() in ("", "-") else parse_branch(branch)
        if path is not None:
            changes["path"] = parse_path(path)
        if mode is not None:
            changes["mode"] = parse_mode(mode)
        if auto is not None:
            changes["auto"] = auto
        async with self.db.unit() as uow:
            current = await uow.publish.get(guild_id)
            if current is None and "repository" not in changes:
                raise InvalidInput(
                    "Give the repository first, e.g. /publish setup "
                    "repository:my-lab/reading-group."
                )
            moved = current is not None and any(
                name in changes and changes[name] != getattr(current, name)
                for name in ("repository", "branch", "path")
            )
            if moved:  # a new place: the old pull request and placement do not apply
                changes.update(placement=None, pull_number=None, published_hash=None)
            if auto is False:
                changes.update(due_at=None)
            return await uow.publish.save(guild_id, **changes)

    async def disconnect(self, guild_id: int) -> bool:
        async with self.db.unit() as uow:
            return await uow.publish.delete(guild_id)

    def _client(self) -> GitHubClient:
        if self._client_factory is not None:
            return self._client_factory()
        token = self.settings.github_token
        if token is None:
            raise TokenMissing(
                "Publishing to GitHub is off: the bot has no GITHUB_TOKEN. Whoever runs the "
                "bot sets it (see .env.example), then restarts it."
            )
        return GitHubClient(
            token.get_secret_value(),
            self.settings.github_api_url,
            timeout=self.settings.github_timeout_seconds,
            clock=self.clock,
        )

    async def _require_target(self, guild_id: int) -> PublishTarget:
        target = await self.target(guild_id)
        if target is None:
            raise NotConfigured(
                "No GitHub repository is set for this server: an organizer sets one with "
                "/publish setup repository:owner/name."
            )
        return target

    # ------------------------------------------------------------------ preparing

    async def render(self, guild_id: int, target: PublishTarget) -> Rendered:
        """The export and the calendar as they are now."""
        at = self.clock.now()
        exported = await self.markdown.export(guild_id, ExportOptions())
        config = await self.guilds.get(guild_id)
        sessions = await self.schedule.everything(guild_id, include_cancelled=True)
        calendar = build_calendar(
            guild_id,
            sessions,
            name=config.group_name or "Reading group",
            timezone=config.timezone,
        )
        return Rendered(
            exported.text,
            calendar,
            exported.sessions,
            digest(target, exported.text, calendar),
            at,
        )

    async def prepare(
        self,
        guild_id: int,
        placement: Placement | None = None,
        *,
        rendered: Rendered | None = None,
    ) -> PublishPlan:
        """Render, read both files at the branch's head, and splice: the plan to show."""
        target = await self._require_target(guild_id)
        rendered = rendered or await self.render(guild_id, target)
        async with self._client() as github:
            repo = github.repository(target.repository)
            info = await repo.info()
            branch = target.branch or info.default_branch
            head = await repo.head(branch)
            ics_path = calendar_path(target.path)
            readme = await repo.read(target.path, head)
            calendar = await repo.read(ics_path, head)
        old_text = decode_remote(readme)
        needs_placement = old_text is not None and not has_markers(old_text, target.path)
        chosen = placement
        if chosen is None and needs_placement and target.placement:
            chosen = Placement.parse(target.placement)
        body = section(rendered.export_text, subscribe_url=raw_url(info.html_url, branch, ics_path))
        new_text = splice(old_text, body, chosen, name=target.path)
        return PublishPlan(
            guild_id=guild_id,
            repository=info.full_name,
            branch=branch,
            mode=target.mode,
            html_url=info.html_url,
            head=head,
            readme=FileChange(
                target.path,
                readme.data if readme else None,
                readme.sha if readme else None,
                new_text.encode("utf-8"),
            ),
            calendar=FileChange(
                ics_path,
                calendar.data if calendar else None,
                calendar.sha if calendar else None,
                rendered.calendar,
            ),
            rendered=rendered,
            section=body,
            placement=chosen,
            needs_placement=needs_placement,
            headings=headings(old_text) if needs_placement and old_text else [],
        )

    # ------------------------------------------------------------------ publishing

    async def publish(self, plan: PublishPlan, *, actor: str | None = None) -> PublishResult:
        """Write the plan as one commit (or a pull request); see the module's docstring."""
        if not plan.changed:
            result = PublishResult(plan, None, None)
        else:
            async with self._client() as github:
                result = await self._write(github.repository(plan.repository), plan, actor)
        await self._record(plan, result)
        return result

    async def _base(self, repo: GitHubRepository, plan: PublishPlan) -> str:
        """The branch's head now, once both files are known to be as they were read."""
        head = await repo.head(plan.branch)
        if head == plan.head:
            return head
        for file in plan.files:
            now = await repo.read(file.path, head)
            if (now.sha if now else None) != file.old_sha:
                upstream = await repo.last_commit(file.path, plan.branch)
                by = f" ({upstream.describe()})" if upstream else ""
                state = "was deleted" if now is None else "changed"
                raise PublishConflict(
                    f"{file.path} {state} on GitHub since I read it{by}. Nothing was "
                    "overwritten: publish again to see the diff against the new version."
                )
        return head

    async def _write(
        self, repo: GitHubRepository, plan: PublishPlan, actor: str | None
    ) -> PublishResult:
        files = {f.path: f.new.decode("utf-8") for f in plan.files if f.changed}
        message = commit_message(plan, actor)
        for _ in range(MOVES):
            base = await self._base(repo, plan)
            commit = await repo.write_commit(base, files, message)
            if plan.mode == PublishMode.PULL_REQUEST:
                return await self._pull_request(repo, plan, commit, None)
            try:
                await repo.move_branch(plan.branch, commit)
            except NotFastForward:
                continue  # someone pushed meanwhile: look again
            except BranchProtected as protected:
                return await self._pull_request(repo, plan, commit, protected.reason)
            return PublishResult(plan, commit, f"{plan.html_url}/commit/{commit}")
        raise PublishError(
            f"{plan.branch} kept changing while I published; nothing was published. Try again "
            "in a moment.",
            retry_at=self.clock.now() + timedelta(minutes=1),
        )

    async def _pull_request(
        self, repo: GitHubRepository, plan: PublishPlan, commit: str, protected: str | None
    ) -> PublishResult:
        await repo.set_branch(BOT_BRANCH, commit)
        pull = await repo.open_pull(
            BOT_BRANCH,
            plan.branch,
            "Update the reading group schedule",
            "The reading group bot keeps this pull request up to date: every publish replaces "
            f"its commit with the current schedule ({plan.readme.path} and "
            f"{plan.calendar.path}). Merge it to publish the schedule.",
        )
        return PublishResult(plan, commit, pull.url, pull=pull, protected=protected)

    async def _record(self, plan: PublishPlan, result: PublishResult) -> None:
        values: dict[str, Any] = {
            "published_hash": plan.rendered.digest,
            "last_error": None,
            "failures": 0,
        }
        if result.url is not None:
            values["last_url"] = result.url
            values["last_published_at"] = self.clock.now()
        if result.pull is not None:
            values["pull_number"] = result.pull.number
        if plan.needs_placement and result.commit is not None:
            values["placement"] = str(plan.placement or Placement())
        async with self.db.unit() as uow:
            if await uow.publish.get(plan.guild_id) is not None:
                await uow.publish.save(plan.guild_id, **values)
                # A pending automatic publish of changes this one included is moot now.
                await uow.publish.settle(plan.guild_id, plan.rendered.at)
