"""What a publish is made of: the server's settings as typed, the plan shown before
anything is written, and the result. No GitHub calls and no database here."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.errors import InvalidInput
from bot.publish.markers import Placement, splice
from bot.publish.remote import PublishError, PullRequestInfo, RemoteFile
from bot.publish.render import CalendarChange, calendar_change, calendar_path, unified_diff
from storage.models import PublishMode, PublishTarget

BOT_BRANCH = "reading-group/schedule"  # the branch pull requests are opened from
REPOSITORY_LIMIT = 200  # owner/name, or the repository's URL
BRANCH_LIMIT = 255
PATH_LIMIT = 400

_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})"
_REPO = r"[A-Za-z0-9._-]{1,100}"
_REPOSITORY = re.compile(rf"^(?:https?://[^/\s]+/)?({_OWNER})/({_REPO}?)(?:\.git)?/?$")
_BAD_BRANCH = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|^[/.-]|[/.]$|\.lock$|/\.")
_BAD_PATH = re.compile(r"[\x00-\x1f\x7f\\?#%]")


# ----------------------------------------------------------------------------------------
# Settings checks (members type these)


def parse_repository(text: str) -> str:
    """``owner/name`` (a repository URL is accepted too)."""
    match = _REPOSITORY.match(text.strip())
    if match is None or len(text.strip()) > REPOSITORY_LIMIT or match.group(2) in (".", ".."):
        raise InvalidInput(
            f"{text.strip()[:100]!r} is not a repository: write it as owner/name, e.g. "
            "my-lab/reading-group."
        )
    return f"{match.group(1)}/{match.group(2)}"


def parse_branch(text: str) -> str:
    value = text.strip()
    if not value or len(value) > BRANCH_LIMIT or _BAD_BRANCH.search(value):
        raise InvalidInput(f"{value[:100]!r} is not a branch name git accepts.")
    return value


def parse_path(text: str) -> str:
    value = text.strip().strip("/")
    parts = value.split("/")
    if (
        not value
        or len(value) > PATH_LIMIT
        or _BAD_PATH.search(value)
        or any(part in ("", ".", "..", ".git") for part in parts)
    ):
        raise InvalidInput(
            f"{text.strip()[:100]!r} is not a file path in a repository: use e.g. README.md "
            "or docs/schedule.md."
        )
    if value == calendar_path(value):
        raise InvalidInput("schedule.ics is where the calendar goes; pick the README's path.")
    return value


def parse_mode(text: str) -> str:
    value = text.strip().lower().replace("-", "_").replace(" ", "_")
    if value in ("commit", "direct"):
        return PublishMode.COMMIT
    if value in ("pull_request", "pr", "pull"):
        return PublishMode.PULL_REQUEST
    raise InvalidInput("The mode is commit (straight to the branch) or pull_request.")


# ----------------------------------------------------------------------------------------
# Plans and results


@dataclass(slots=True)
class FileChange:
    path: str
    old: bytes | None  # None: the file does not exist yet
    old_sha: str | None
    new: bytes

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def text(self) -> str:
        return self.new.decode("utf-8")


@dataclass(slots=True)
class Rendered:
    """What the server's schedule looks like now (no GitHub needed)."""

    export_text: str
    calendar: bytes
    sessions: int
    digest: str
    at: datetime  # changes noted after this are not in it


@dataclass(slots=True)
class PublishPlan:
    guild_id: int
    repository: str
    branch: str
    mode: str
    html_url: str
    head: str  # the commit both files were read at
    readme: FileChange
    calendar: FileChange
    rendered: Rendered
    section: str  # what goes between the markers
    placement: Placement | None  # where the markers go in a file without them
    needs_placement: bool  # the file exists and has no markers: ask where they go
    headings: list[str] = field(default_factory=list)

    def placed(self, placement: Placement) -> PublishPlan:
        """The same plan with the markers at ``placement`` (no new reads)."""
        if not self.needs_placement or self.readme.old is None:
            return self
        text = splice(
            self.readme.old.decode("utf-8"), self.section, placement, name=self.readme.path
        )
        readme = FileChange(
            self.readme.path, self.readme.old, self.readme.old_sha, text.encode("utf-8")
        )
        return replace(self, readme=readme, placement=placement)

    @property
    def changed(self) -> bool:
        return self.readme.changed or self.calendar.changed

    @property
    def files(self) -> list[FileChange]:
        return [self.readme, self.calendar]

    def diff(self) -> str:
        old = None if self.readme.old is None else self.readme.old.decode("utf-8")
        return unified_diff(old, self.readme.text, self.readme.path)

    def calendar_change(self) -> CalendarChange:
        return calendar_change(self.calendar.old, self.calendar.new)

    def summary(self) -> str:
        return f"{self.repository} ({self.branch}) · {self.changes()}"

    def changes(self) -> str:
        readme = self.readme
        if readme.old is None:
            what = f"{readme.path}: new file"
        elif not readme.changed:
            what = f"{readme.path}: unchanged"
        elif self.needs_placement:
            where = (self.placement or Placement()).describe()
            what = f"{readme.path}: the schedule section is added {where}"
        else:
            what = f"{readme.path}: the schedule section changes"
        return f"{what} · {self.calendar_change().describe(self.calendar.path)}"


@dataclass(frozen=True, slots=True)
class PublishResult:
    plan: PublishPlan
    commit: str | None  # None: nothing was written (GitHub already had it)
    url: str | None  # the commit's or the pull request's page
    pull: PullRequestInfo | None = None
    protected: str | None = None  # why a direct commit was refused (then: a pull request)

    def describe(self) -> str:
        plan = self.plan
        if self.commit is None:
            return f"Nothing to publish: {plan.repository} already shows this schedule."
        if self.pull is not None:
            why = (
                f"{plan.branch} accepts changes only through pull requests ({self.protected}), so "
                if self.protected
                else ""
            )
            verb = "opened" if self.pull.created else "updated"
            return (
                f"Published for review: {why}pull request #{self.pull.number} was {verb} "
                f"from {BOT_BRANCH} into {plan.branch}: {self.pull.url}"
            )
        return f"Published to {plan.repository} ({plan.branch}): {self.url}"


def digest(target: PublishTarget, export_text: str, calendar: bytes) -> str:
    h = hashlib.sha256()
    for part in (target.repository, target.branch or "", target.path, target.mode):
        h.update(part.encode() + b"\0")
    h.update(export_text.encode("utf-8") + b"\0")
    h.update(calendar)
    return h.hexdigest()


def decode_remote(remote: RemoteFile | None) -> str | None:
    if remote is None:
        return None
    try:
        return remote.data.decode("utf-8")
    except UnicodeDecodeError:
        raise PublishError(
            f"{remote.path} on GitHub is not UTF-8 text; the bot cannot edit it without "
            "damaging it. Save it as UTF-8 (or pick another path). Nothing was published."
        ) from None


def commit_message(plan: PublishPlan, actor: str | None) -> str:
    changed = ", ".join(f.path for f in plan.files if f.changed)
    sessions = plan.rendered.sessions
    how = f"Published by {actor}" if actor else "Published automatically after schedule changes"
    return (
        f"Update the reading group schedule ({changed})\n\n"
        f"{how}: {sessions} session{'s' if sessions != 1 else ''}. Only the part of "
        f"{plan.readme.path} between the reading-group markers is written by the bot.\n"
    )
