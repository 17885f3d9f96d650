"""GitHub's REST API for publishing, through githubkit (async), and its failures in words.

Reads use the contents API (a file and its git blob sha). A publish writes every file in
one commit through the git database API (a tree, a commit, then the branch moved to it
without force), so a failure at any step leaves the branch as it was: nothing is committed
half-way. Moving the branch is a compare-and-swap: if the branch moved meanwhile, GitHub
refuses it as "not a fast forward" and the caller looks again.

Every failure becomes a :class:`PublishError` whose message is one clear line for the
organizer (bad token, which permission is missing, repository or branch not found, rate
limits with the time to try again, time-outs). The token is sent to GitHub and nowhere else.

The API version is 2022-11-28, which github.com and GitHub Enterprise Server both serve.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Final, Self, cast
from urllib.parse import quote

import httpx
from githubkit import GitHub, TokenAuthStrategy
from githubkit.exception import (
    GitHubException,
    PrimaryRateLimitExceeded,
    RateLimitExceeded,
    RequestFailed,
    RequestTimeout,
)
from githubkit.typing import RetryOption
from githubkit_schemas.v2022_11_28.models import ContentFile, PullRequestSimple
from githubkit_schemas.v2022_11_28.types import ReposOwnerRepoGitTreesPostBodyPropTreeItemsType
from pydantic import ValidationError as PydanticValidationError

from bot.clock import Clock
from bot.publish.remote import (
    BranchProtected,
    NotFastForward,
    PublishConflict,
    PublishError,
    PullRequestInfo,
    RemoteFile,
    RepoInfo,
    TokenMissing,
    UpstreamCommit,
    blob_sha,
)
from bot.text import clean_line, shorten

__all__ = [
    "BranchProtected",
    "GitHubClient",
    "GitHubRepository",
    "NotFastForward",
    "PublishConflict",
    "PublishError",
    "PullRequestInfo",
    "RemoteFile",
    "RepoInfo",
    "TokenMissing",
    "UpstreamCommit",
    "blob_sha",
]

API_VERSION: Final = "2022-11-28"
FILE_LIMIT = 1_000_000  # the contents API returns a file's text only up to 1 MB

_PERMISSIONS = {
    "contents": "Contents",
    "pull_requests": "Pull requests",
    "metadata": "Metadata",
    "workflows": "Workflows",
    "administration": "Administration",
}
_LEVELS = {"write": "Read and write", "read": "Read-only", "admin": "Admin"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _one_line(text: object, limit: int = 200) -> str:
    return shorten(clean_line(_CONTROL.sub(" ", str(text))), limit)


def _error_body(exc: RequestFailed) -> dict[str, Any]:
    try:
        body = exc.response.raw_response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _github_message(exc: RequestFailed) -> str:
    body = _error_body(exc)
    message = _one_line(body.get("message") or exc.response.reason_phrase or "no reason given")
    details = []
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            details.append(_one_line(error.get("message") or error.get("code") or "", 120))
        elif isinstance(error, str):
            details.append(_one_line(error, 120))
    details = [d for d in details if d]
    return message + (f" ({'; '.join(details[:3])})" if details else "")


def _permission_names(header: str) -> str:
    """``contents=write,pull_requests=read`` → ``Contents: Read and write`` …"""
    names = []
    for alternative in header.split(";"):
        parts = []
        for item in alternative.split(","):
            key, _, level = item.strip().partition("=")
            if key:
                label = _PERMISSIONS.get(key, key.replace("_", " ").capitalize())
                parts.append(f"{label}: {_LEVELS.get(level, level or 'Read-only')}")
        if parts:
            names.append(" and ".join(parts))
    return " or ".join(names)


def _retry_policy(retries: int, backoff: float) -> Callable[[GitHubException, int], RetryOption]:
    """Retry GitHub's own errors (5xx) a few times; never rate limits or time-outs, which
    are reported with the time to try again instead of holding a command for minutes."""

    def decide(exc: GitHubException, count: int) -> RetryOption:
        if (
            count < retries
            and isinstance(exc, RequestFailed)
            and not isinstance(exc, RateLimitExceeded)
            and exc.response.status_code >= 500
        ):
            return RetryOption(True, timedelta(seconds=backoff * 2**count))
        return RetryOption(False)

    return decide


class GitHubClient:
    """One connection to the API, used as ``async with GitHubClient(...) as github:``."""

    def __init__(
        self,
        token: str,
        api_url: str,
        *,
        timeout: float,
        clock: Clock,
        server_retries: int = 2,
        backoff: float = 1.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.clock = clock
        self._github: GitHub[TokenAuthStrategy] = GitHub(
            TokenAuthStrategy(token),
            base_url=self.api_url + "/",
            timeout=timeout,
            user_agent="reading-group-bot",
            http_cache=False,  # a cached read would hide a change made upstream
            auto_retry=_retry_policy(server_retries, backoff),
        )
        self.rest = self._github.rest(API_VERSION)

    async def __aenter__(self) -> Self:
        await self._github.__aenter__()  # type: ignore[no-untyped-call]  # githubkit: untyped
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._github.__aexit__(exc_type, exc, traceback)

    def repository(self, full_name: str) -> GitHubRepository:
        owner, _, name = full_name.partition("/")
        return GitHubRepository(self, owner, name)

    @asynccontextmanager
    async def call(
        self,
        action: str,
        *,
        needs: str = "contents=read",
        missing: str | None = None,
        inspect: Callable[[RequestFailed], None] | None = None,
        final: bool = False,
    ) -> AsyncIterator[None]:
        """Turn githubkit's failures during ``action`` into one :class:`PublishError`.

        ``needs``: the permission the call needs, named when GitHub does not say it;
        ``missing``: the message for a 404; ``inspect``: looks at a refusal first (it may
        raise something more specific); ``final``: the call that makes a publish visible,
        which GitHub may have carried out even when its answer never came."""
        try:
            yield
        except RequestTimeout:
            if final:
                raise PublishError(
                    f"GitHub did not answer within {self.timeout:g} s while {action}, so I "
                    "cannot tell whether the change went through. Publish again: it shows "
                    "what is still missing and never publishes anything twice.",
                    retry_at=self.clock.now() + timedelta(minutes=1),
                ) from None
            raise PublishError(
                f"GitHub did not answer within {self.timeout:g} s while {action}; nothing was "
                "published. Try again in a moment.",
                retry_at=self.clock.now() + timedelta(minutes=1),
            ) from None
        except RateLimitExceeded as exc:
            raise self._rate_limited(exc, action) from None
        except RequestFailed as exc:
            if inspect is not None:
                inspect(exc)
            raise self._failed(exc, action, needs, missing) from None
        except (PydanticValidationError, ValueError):  # a 2xx answer not in GitHub's shape
            raise PublishError(
                f"GitHub's answer while {action} was not what its API describes (is "
                f"GITHUB_API_URL {self.api_url} GitHub's API?). Nothing was published."
            ) from None
        except GitHubException as exc:  # connection refused, DNS, TLS...
            cause = getattr(exc, "exc", exc)
            raise PublishError(
                f"Could not reach GitHub at {self.api_url} while {action} "
                f"({_one_line(type(cause).__name__)}); nothing was published. Check "
                "GITHUB_API_URL and the network, then try again.",
                retry_at=self.clock.now() + timedelta(minutes=5),
            ) from None
        except httpx.HTTPError as exc:
            raise PublishError(
                f"Could not reach GitHub at {self.api_url} while {action} "
                f"({type(exc).__name__}); nothing was published.",
                retry_at=self.clock.now() + timedelta(minutes=5),
            ) from None

    def _rate_limited(self, exc: RateLimitExceeded, action: str) -> PublishError:
        headers = exc.response.headers
        now = self.clock.now()
        if isinstance(exc, PrimaryRateLimitExceeded) and "x-ratelimit-reset" in headers:
            try:
                reset = datetime.fromtimestamp(int(headers["x-ratelimit-reset"]), tz=UTC)
            except (ValueError, OverflowError, OSError):
                reset = now + timedelta(hours=1)
            return PublishError(
                f"GitHub's API rate limit for GITHUB_TOKEN is used up (while {action}); it "
                f"resets at {reset:%H:%M} UTC. Nothing was published; try again after that.",
                retry_at=max(reset, now) + timedelta(seconds=5),
            )
        try:
            seconds = max(1, int(headers.get("retry-after", "60")))
        except ValueError:
            seconds = 60
        return PublishError(
            f"GitHub asked to slow down (secondary rate limit, while {action}): try again in "
            f"{seconds} s. Nothing was published.",
            retry_at=now + timedelta(seconds=seconds),
        )

    def _failed(
        self, exc: RequestFailed, action: str, needs: str, missing: str | None
    ) -> PublishError:
        status = exc.response.status_code
        message = _github_message(exc)
        headers = exc.response.headers
        if status == 401:
            return PublishError(
                f"GitHub rejected GITHUB_TOKEN (401 {message}): it is wrong, expired or "
                "revoked. Put a new token in the bot's environment and restart it. Nothing "
                "was published."
            )
        if status == 403:
            scopes = headers.get("x-accepted-oauth-scopes", "").strip()
            accepted = headers.get("x-accepted-github-permissions", "").strip()
            if scopes and not accepted:
                what = f"the `{scopes}` scope (classic token)"
            else:
                what = f"the permission {_permission_names(accepted or needs)}"
            return PublishError(
                f"GitHub refused {action} (403 {message}): GITHUB_TOKEN needs {what} on this "
                "repository. Grant it (fine-grained token or GitHub App settings) and try "
                "again. Nothing was published."
            )
        if status == 404:
            return PublishError(
                (missing or f"GitHub found nothing while {action} (404).")
                + " Nothing was published."
            )
        if status in (409, 422):
            return PublishError(
                f"GitHub refused {action} ({status} {message}). Nothing was published."
            )
        if status >= 500:
            return PublishError(
                f"GitHub had an internal error ({status}) while {action}; nothing was "
                "published. Try again later.",
                retry_at=self.clock.now() + timedelta(minutes=10),
            )
        return PublishError(
            f"GitHub answered {status} ({message}) while {action}. Nothing was published."
        )


def _quoted(path: str) -> str:
    return quote(path, safe="/")


class GitHubRepository:
    """The calls a publish makes on one repository."""

    def __init__(self, client: GitHubClient, owner: str, name: str) -> None:
        self.client = client
        self.owner = owner
        self.name = name
        self.full_name = f"{owner}/{name}"
        self._git = client.rest.git
        self._repos = client.rest.repos
        self._pulls = client.rest.pulls

    async def info(self) -> RepoInfo:
        async with self.client.call(
            f"reading {self.full_name}",
            needs="metadata=read",
            missing=f"The repository {self.full_name} does not exist, or GITHUB_TOKEN cannot "
            "see it (a fine-grained token or a GitHub App must be granted this repository).",
        ):
            repo = (await self._repos.async_get(self.owner, self.name)).parsed_data
        return RepoInfo(repo.full_name, repo.default_branch, repo.html_url, repo.private)

    async def head(self, branch: str) -> str:
        """The commit the branch points at."""

        def empty(exc: RequestFailed) -> None:
            if exc.response.status_code == 409:
                raise PublishError(
                    f"The repository {self.full_name} is empty: create its first commit on "
                    "GitHub (e.g. add a README), then publish. Nothing was published."
                )

        async with self.client.call(
            f"reading the branch {branch}",
            missing=f"The branch {branch!r} does not exist in {self.full_name}: create it, or "
            "pick another one with /publish setup branch.",
            inspect=empty,
        ):
            response = await self._git.async_get_ref(
                self.owner, self.name, "heads/" + _quoted(branch)
            )
            return response.parsed_data.object_.sha

    async def read(self, path: str, ref: str) -> RemoteFile | None:
        """The file at ``ref`` (a commit sha), or None when it does not exist there."""

        def absent(exc: RequestFailed) -> None:
            if exc.response.status_code == 404:
                raise FileNotFoundError(path)

        try:
            async with self.client.call(f"reading {path}", inspect=absent):
                response = await self._repos.async_get_content(
                    self.owner, self.name, _quoted(path), ref=ref
                )
                content = response.parsed_data
        except FileNotFoundError:
            return None
        if not isinstance(content, ContentFile):
            raise PublishError(
                f"{path} in {self.full_name} is not a file (it is a folder, link or "
                "submodule): choose another path with /publish setup path."
            )
        if content.encoding != "base64" or content.size > FILE_LIMIT:
            raise PublishError(
                f"{path} is larger than GitHub's contents API returns (1 MB); the bot cannot "
                "edit it safely. Publish to a smaller file. Nothing was published."
            )
        try:
            data = base64.b64decode(content.content, validate=False)
        except ValueError:
            raise PublishError(f"GitHub sent {path} in a form I cannot read.") from None
        return RemoteFile(path, data, content.sha)

    async def write_commit(self, parent: str, files: dict[str, str], message: str) -> str:
        """A commit on top of ``parent`` with ``files`` (path → text) changed; no branch
        points at it yet."""
        async with self.client.call("reading the branch's latest commit"):
            base_tree = (
                await self._git.async_get_commit(self.owner, self.name, parent)
            ).parsed_data.tree.sha
        entries: list[ReposOwnerRepoGitTreesPostBodyPropTreeItemsType] = [
            {"path": path, "mode": "100644", "type": "blob", "content": text}
            for path, text in files.items()
        ]
        async with self.client.call("writing the files", needs="contents=write"):
            tree = await self._git.async_create_tree(
                self.owner, self.name, tree=entries, base_tree=base_tree
            )
            tree_sha = tree.parsed_data.sha
        async with self.client.call("creating the commit", needs="contents=write"):
            created = await self._git.async_create_commit(
                self.owner,
                self.name,
                message=message,
                tree=tree_sha,
                parents=[parent],
            )
            return created.parsed_data.sha

    async def move_branch(self, branch: str, sha: str) -> None:
        """Point ``branch`` at ``sha`` if that is a fast forward (never force)."""

        def refused(exc: RequestFailed) -> None:
            if exc.response.status_code not in (409, 422):
                return
            text = _github_message(exc).lower()
            if "fast forward" in text or "fast-forward" in text:
                raise NotFastForward()
            if (
                "protected branch" in text
                or "pull request" in text
                or "rule" in text
                or "protected" in text
            ):
                raise BranchProtected(_github_message(exc))

        async with self.client.call(
            f"moving the branch {branch}",
            needs="contents=write",
            missing=f"The branch {branch!r} no longer exists in {self.full_name}.",
            inspect=refused,
            final=True,
        ):
            await self._git.async_update_ref(
                self.owner, self.name, "heads/" + _quoted(branch), sha=sha, force=False
            )

    async def set_branch(self, branch: str, sha: str) -> None:
        """Create ``branch`` at ``sha``, or move it there (the bot's own branch: forced)."""

        def exists(exc: RequestFailed) -> None:
            if exc.response.status_code == 422 and "already exists" in _github_message(exc).lower():
                raise FileExistsError()

        try:
            async with self.client.call(
                f"creating the branch {branch}", needs="contents=write", inspect=exists
            ):
                await self._git.async_create_ref(
                    self.owner, self.name, ref=f"refs/heads/{branch}", sha=sha
                )
            return
        except FileExistsError:
            pass
        async with self.client.call(f"updating the branch {branch}", needs="contents=write"):
            await self._git.async_update_ref(
                self.owner, self.name, "heads/" + _quoted(branch), sha=sha, force=True
            )

    async def open_pull(self, head: str, base: str, title: str, body: str) -> PullRequestInfo:
        """The open pull request from ``head`` into ``base``, opened if there is none."""
        async with self.client.call("looking for the pull request", needs="pull_requests=read"):
            found = await self._pulls.async_list(
                self.owner, self.name, state="open", head=f"{self.owner}:{head}", base=base
            )
            pulls = cast(Sequence[PullRequestSimple], found.parsed_data)
        for pull in pulls:
            return PullRequestInfo(pull.number, pull.html_url, created=False)
        async with self.client.call(
            "opening a pull request", needs="pull_requests=write", final=True
        ):
            created = await self._pulls.async_create(
                self.owner, self.name, title=title, head=head, base=base, body=body
            )
            opened = created.parsed_data
        return PullRequestInfo(opened.number, opened.html_url, created=True)

    async def last_commit(self, path: str, branch: str) -> UpstreamCommit | None:
        """The latest commit on ``branch`` that touched ``path`` (for conflict reports)."""
        async with self.client.call(f"reading the history of {path}"):
            response = await self._repos.async_list_commits(
                self.owner, self.name, sha=branch, path=path, per_page=1
            )
            commits = response.parsed_data
        for commit in commits:
            author = commit.commit.author
            name = (author.name if author else None) or (
                commit.author.login if commit.author and hasattr(commit.author, "login") else ""
            )
            return UpstreamCommit(
                commit.sha,
                commit.html_url,
                _one_line(commit.commit.message.split("\n", 1)[0], 100),
                _one_line(name or "someone", 60),
            )
        return None
