"""What publishing knows of GitHub without its client: errors, files, pull requests.

Kept apart from :mod:`bot.publish.github` so that the plan, the preview and the automatic
publisher can be loaded at start without the GitHub client library (loaded on first
publish).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.errors import NotConfigured, UserError


class PublishError(UserError):
    """Publishing failed; the message says why and what to do. Nothing was committed.

    ``retry_at``: when trying again makes sense (rate limits, time-outs, GitHub errors);
    None for failures that need the organizer (token, permission, repository, branch)."""

    def __init__(self, message: str, *, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class TokenMissing(NotConfigured):
    """The bot has no GITHUB_TOKEN."""


class PublishConflict(PublishError):
    """The file changed on GitHub since it was read: nothing was overwritten."""


class NotFastForward(Exception):
    """The branch moved since its head was read."""


class BranchProtected(Exception):
    """The branch accepts changes only through pull requests."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RepoInfo:
    full_name: str
    default_branch: str
    html_url: str
    private: bool


@dataclass(frozen=True, slots=True)
class RemoteFile:
    path: str
    data: bytes
    sha: str  # the git blob sha


@dataclass(frozen=True, slots=True)
class UpstreamCommit:
    sha: str
    url: str
    message: str  # first line
    author: str

    def describe(self) -> str:
        return f"commit {self.sha[:7]} by {self.author}: “{self.message}” ({self.url})"


@dataclass(frozen=True, slots=True)
class PullRequestInfo:
    number: int
    url: str
    created: bool


def blob_sha(data: bytes) -> str:
    """Git's blob sha of ``data`` (what GitHub reports as a file's ``sha``)."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
