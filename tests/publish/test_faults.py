"""Every failure GitHub can answer gives one clear message, commits nothing, and the next
try works."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.publish.github import PublishError, TokenMissing
from bot.publish.plan import BOT_BRANCH
from bot.publish.service import PublishService
from tests.harness.github import FakeGitHub
from tests.harness.github.fixtures import github_client_factory
from tests.publish.conftest import GUILD, START, World

RESET = datetime(2025, 1, 6, 9, 42, 17, tzinfo=UTC)
Setup = Callable[[World], None]


def _bad_token(world: World) -> None:
    world.services.publish._client_factory = github_client_factory(
        world.github, world.clock, token="ghp_revoked000000000000000000000000000"
    )


def _no_contents_write(world: World) -> None:
    world.github.permissions["contents"] = "read"


def _classic_token_without_scope(world: World) -> None:
    world.github.fail(
        "POST", r".*/git/trees", 403, message="Must have admin rights to Repository.",
        headers={"x-accepted-oauth-scopes": "repo", "x-oauth-scopes": "read:org"},
    )  # fmt: skip


def _no_repository(world: World) -> None:
    world.github.visible = {"other/repo"}


def _branch_validation(world: World) -> None:
    world.github.fail("POST", r".*/git/trees", 422, message="Invalid tree info")


def _ref_conflict(world: World) -> None:
    world.github.fail(
        "PATCH", r".*/git/refs/heads/main", 409, message="Reference cannot be updated"
    )


def _primary_rate_limit(world: World) -> None:
    world.github.rate_limit_primary("GET", r".*/contents/.*", reset=RESET)


def _secondary_429(world: World) -> None:
    world.github.rate_limit_secondary("POST", r".*/git/commits", retry_after=30)


def _secondary_403(world: World) -> None:
    world.github.rate_limit_secondary("POST", r".*/git/trees", retry_after=90, status=403)


def _server_errors(world: World) -> None:
    world.github.fail("POST", r".*/git/trees", 500, times=3)


CASES: list[tuple[str, Setup, str, timedelta | None]] = [
    ("401", _bad_token, "GitHub rejected GITHUB_TOKEN (401 Bad credentials): it is wrong, expired or revoked", None),
    ("403 permission", _no_contents_write, "GITHUB_TOKEN needs the permission Contents: Read and write on this repository", None),
    ("403 scope", _classic_token_without_scope, "GITHUB_TOKEN needs the `repo` scope (classic token)", None),
    ("404 repository", _no_repository, "The repository lab/reading-group does not exist, or GITHUB_TOKEN cannot see it", None),
    ("422", _branch_validation, "GitHub refused writing the files (422 Invalid tree info)", None),
    ("409", _ref_conflict, "GitHub refused moving the branch main (409 Reference cannot be updated)", None),
    ("rate limit", _primary_rate_limit, "rate limit for GITHUB_TOKEN is used up (while reading README.md); it resets at 09:42 UTC", RESET - START + timedelta(seconds=5)),
    ("429", _secondary_429, "GitHub asked to slow down (secondary rate limit, while creating the commit): try again in 30 s", timedelta(seconds=30)),
    ("403 retry-after", _secondary_403, "try again in 90 s", timedelta(seconds=90)),
    ("5xx", _server_errors, "GitHub had an internal error (500) while writing the files", timedelta(minutes=10)),
]  # fmt: skip


async def test_each_fault_is_one_clear_message_and_the_next_try_works(world: World) -> None:
    original = world.services.publish._client_factory
    for number, (case, setup, message, retry_in) in enumerate(CASES):
        await world.add_session(f"2025-02-{number + 1:02d}", f"Session {case}")
        head = world.head()
        setup(world)
        with pytest.raises(PublishError) as caught:
            await world.publish.publish(await world.publish.prepare(GUILD))
        text = str(caught.value)
        assert message in text, case
        assert "nothing was published" in text.lower(), case
        assert "\n" not in text and world.github.token not in text, case
        assert caught.value.retry_at == (None if retry_in is None else START + retry_in), case
        assert world.head() == head and BOT_BRANCH not in world.repo.branches, case

        world.github.faults.clear()
        world.github.permissions["contents"] = "write"
        world.github.visible = None
        world.services.publish._client_factory = original
        result = await world.publish.publish(await world.publish.prepare(GUILD))
        assert result.commit == world.head() != head, case  # the next try works


async def test_an_answer_not_in_githubs_shape_is_one_line(world: World) -> None:
    world.github.fail("GET", r"/repos/lab/reading-group", 200, body={"name": "not a repository"})
    with pytest.raises(PublishError) as caught:
        await world.publish.prepare(GUILD)
    assert str(caught.value) == (
        "GitHub's answer while reading lab/reading-group was not what its API describes (is "
        f"GITHUB_API_URL {world.github.api_url} GitHub's API?). Nothing was published."
    )
    world.github.fail("GET", r".*/git/ref/heads/main", 200, body=["not", "a", "ref"])
    with pytest.raises(
        PublishError, match="reading the branch main was not what its API describes"
    ):
        await world.publish.prepare(GUILD)
    assert world.github.violations == []


async def test_a_missing_branch_and_an_empty_repository(
    world: World, fake_github: FakeGitHub
) -> None:
    await world.publish.configure(GUILD, branch="gh-pages")
    with pytest.raises(
        PublishError, match="The branch 'gh-pages' does not exist in lab/reading-group"
    ):
        await world.publish.prepare(GUILD)
    fake_github.add_repo("lab/empty", empty=True)
    await world.publish.configure(GUILD, repository="lab/empty", branch="-")
    with pytest.raises(PublishError, match="is empty: create its first commit"):
        await world.publish.prepare(GUILD)


async def test_a_missing_pull_request_permission_leaves_the_branch_alone(world: World) -> None:
    await world.publish.configure(GUILD, mode="pull_request")
    world.github.permissions["pull_requests"] = "read"
    await world.add_session("2025-02-06", "Code Reading Group")
    head = world.head()
    with pytest.raises(PublishError, match="needs the permission Pull requests: Read and write"):
        await world.publish.publish(await world.publish.prepare(GUILD))
    assert world.head() == head and world.repo.pulls == []
    world.github.permissions["pull_requests"] = "write"
    result = await world.publish.publish(await world.publish.prepare(GUILD))
    assert result.pull is not None and result.pull.created  # the bot's branch is reused


async def test_a_passing_server_error_is_retried(world: World) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")
    fault = world.github.fail("POST", r".*/git/trees", 502)
    result = await world.publish.publish(await world.publish.prepare(GUILD))
    assert fault.hits == 1 and result.commit == world.head()


def _short_timeout(world: World) -> None:
    """Time-outs after one second (once the first reads warmed everything up)."""
    world.services.publish._client_factory = github_client_factory(
        world.github, world.clock, timeout=1.0
    )


async def test_a_time_out_commits_nothing(world: World) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")
    head = world.head()
    plan = await world.publish.prepare(GUILD)
    _short_timeout(world)
    world.github.hang("POST", r".*/git/commits")
    with pytest.raises(
        PublishError,
        match=r"GitHub did not answer within 1 s while creating the commit; nothing was published",
    ):
        await world.publish.publish(plan)
    world.github.release()
    await world.github.wait_idle()
    assert world.head() == head
    result = await world.publish.publish(await world.publish.prepare(GUILD))
    assert result.commit == world.head() != head


async def test_a_time_out_on_the_last_step_says_it_may_have_gone_through(world: World) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")
    plan = await world.publish.prepare(GUILD)
    _short_timeout(world)
    world.github.hang("PATCH", r".*/git/refs/heads/main")
    with pytest.raises(
        PublishError, match=r"cannot tell whether the change went through\. Publish again"
    ):
        await world.publish.publish(plan)
    world.github.release()  # GitHub carries the change out after all
    await world.github.wait_idle()
    again = await world.publish.prepare(GUILD)
    assert not again.changed  # publishing again finds nothing left to do: nothing twice
    assert (await world.publish.publish(again)).commit is None


async def test_without_a_token_publishing_says_how_to_turn_it_on(world: World) -> None:
    settings = world.settings.model_copy(update={"github_token": None})
    service = PublishService(
        world.db, world.clock, settings=settings, markdown=world.services.markdown,
        schedule=world.services.schedule, guilds=world.services.guilds,
    )  # fmt: skip
    with pytest.raises(TokenMissing, match="the bot has no GITHUB_TOKEN"):
        await service.prepare(GUILD)
    assert world.github.requests == []
