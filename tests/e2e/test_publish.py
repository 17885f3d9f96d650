"""/publish setup and /export publish end to end: the real bot, the fake Discord and the
fake GitHub; automatic publishing by the fake clock, across a restart."""

from __future__ import annotations

from typing import Any

import pytest

from bot.publish.auto import DEBOUNCE
from cogs.publish import WAKE_JOB
from tests.e2e.conftest import App
from tests.harness.github import FakeGitHub, FakeRepo
from tests.harness.github.fixtures import fake_github

__all__ = ["fake_github"]

REPOSITORY = "lab/reading-group"
README = b"# Lab reading group\n\nWe meet on Thursdays.\n\n## Schedule\n\nSee below.\n"


@pytest.fixture
def app_settings_overrides(fake_github: FakeGitHub) -> dict[str, Any]:
    return {
        "github_token": fake_github.token,
        "github_api_url": fake_github.api_url,
        "github_timeout_seconds": 2.0,
    }


@pytest.fixture
def repo(fake_github: FakeGitHub) -> FakeRepo:
    return fake_github.add_repo(REPOSITORY, files={"README.md": README})


async def _setup(app: App, **options: Any) -> Any:
    reply = await app.slash(app.organizer, "publish setup", repository=REPOSITORY, **options)
    assert reply.content.startswith("Saved."), reply.content
    return reply


async def _session(app: App, date: str, title: str) -> None:
    reply = await app.slash(app.organizer, "session add", date=date, kind="special", title=title)
    await reply.final()


async def test_publish_with_preview_after_choosing_where_it_goes(app: App, repo: FakeRepo) -> None:
    setup = await _setup(app)
    fields = {f["name"]: f["value"] for f in setup.embeds[0]["fields"]}
    assert fields["Repository"] == "lab/reading-group"
    assert fields["Automatic publishing"].startswith("off")
    await _session(app, "2025-02-06", "Code Reading Group")
    head = repo.branches["main"]

    reply = await app.slash(app.organizer, "export publish")
    await reply.final()
    assert reply.ephemeral and "has no reading-group markers yet" in reply.content
    await app.discord.select(app.organizer, reply, "publish:place", ["h1"])  # after "Schedule"
    await app.until(lambda: "Press **Publish**" in reply.content, "the preview")
    assert "+| 06.02.2025 | Code Reading Group |" in reply.content
    assert "after the heading “Schedule”" in reply.content
    assert repo.branches["main"] == head  # the preview wrote nothing

    await app.discord.click(app.organizer, reply, label="Publish")
    await app.until(lambda: reply.content.startswith("Published"), "the publish")
    assert (
        reply.content
        == f"Published to lab/reading-group (main): <{repo.html_url}/commit/{repo.branches['main']}>"
    )
    assert reply.components == []
    text = (repo.file("README.md") or b"").decode()
    assert text.startswith(
        "# Lab reading group\n\nWe meet on Thursdays.\n\n## Schedule\n\n<!-- reading-group:start -->"
    )
    assert text.endswith("<!-- reading-group:end -->\n\nSee below.\n")
    assert "Published by olga on Discord" in repo.commits[repo.branches["main"]].message

    again = await app.slash(app.organizer, "export publish")
    await again.final()
    assert again.content.startswith("Nothing to publish: lab/reading-group (main) already shows")


async def test_cancel_and_a_conflict_publish_nothing(app: App, repo: FakeRepo) -> None:
    await _setup(app, path="docs/schedule.md")  # a new file: nothing to ask
    await _session(app, "2025-02-06", "Code Reading Group")
    head = repo.branches["main"]
    reply = await app.slash(app.organizer, "export publish")
    await reply.final()
    assert "docs/schedule.md: new file" in reply.content
    await app.discord.click(app.organizer, reply, label="Cancel")
    await app.until(lambda: reply.content == "Nothing was published.", "the cancellation")
    assert repo.branches["main"] == head

    reply = await app.slash(app.organizer, "export publish")
    await reply.final()
    upstream = repo.commit_files(
        "main", {"docs/schedule.md": b"# Ours\n"}, "Start the schedule page", "alice"
    )
    await app.discord.click(app.organizer, reply, label="Publish")
    await app.until(lambda: "changed on GitHub since I read it" in reply.content, "the conflict")
    assert f"commit {upstream.sha[:7]} by alice" in reply.content
    assert reply.components == []
    assert repo.file("docs/schedule.md") == b"# Ours\n"  # never overwritten


async def test_a_protected_branch_opens_a_pull_request(app: App, repo: FakeRepo) -> None:
    repo.protect("main")
    await _setup(app, path="docs/schedule.md")
    await _session(app, "2025-02-06", "Code Reading Group")
    reply = await app.slash(app.organizer, "export publish")
    await reply.final()
    await app.discord.click(app.organizer, reply, label="Publish")
    await app.until(lambda: reply.content.startswith("Published for review"), "the pull request")
    (pull,) = repo.open_pulls()
    assert f"pull request #{pull.number} was opened" in reply.content
    assert "main accepts changes only through pull requests" in reply.content


async def test_only_organizers_publish_and_bad_settings_get_one_line(
    app: App, repo: FakeRepo
) -> None:
    denied = await app.slash(app.member, "publish setup", repository=REPOSITORY)
    assert denied.content.startswith("Only organizers can do this")
    denied = await app.slash(app.member, "export publish")
    assert denied.content.startswith("Only organizers can do this")
    bad = await app.slash(app.organizer, "publish setup", repository="just-a-name")
    assert (
        bad.content
        == "'just-a-name' is not a repository: write it as owner/name, e.g. my-lab/reading-group."
    )
    unset = await app.slash(app.organizer, "export publish")
    await unset.final()
    assert unset.content.startswith("No GitHub repository is set for this server")


async def test_automatic_publishing_follows_the_schedule_and_survives_a_restart(
    app: App, repo: FakeRepo
) -> None:
    await _setup(app, auto=True)
    await _session(app, "2025-02-06", "Code Reading Group")
    assert app.bot.scheduler.get_job(WAKE_JOB) is not None  # the wake-up is armed
    app.clock.advance(DEBOUNCE)
    (outcome,) = await app.services.auto_publish.run_due()
    assert outcome.status == "published"
    assert b"Code Reading Group" in (repo.file("README.md") or b"")
    assert repo.file("README.md", "main").startswith(README)  # type: ignore[union-attr]

    await _session(app, "2025-02-13", "Paper Discussion")
    await app.restart()  # the pending publish is in the database, not in memory
    assert app.bot.scheduler.get_job(WAKE_JOB) is not None
    app.clock.advance(DEBOUNCE)
    (outcome,) = await app.services.auto_publish.run_due()
    assert outcome.status == "published"
    assert b"Paper Discussion" in (repo.file("README.md") or b"")

    status = await app.slash(app.organizer, "publish setup")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert fields["Last published"].startswith("<t:")


async def test_without_a_token_the_bot_says_what_to_set(app: App, repo: FakeRepo) -> None:
    await _setup(app)
    app.settings = app.settings.model_copy(update={"github_token": None})
    await app.restart()
    status = await app.slash(app.organizer, "publish setup")
    assert "The bot has no GITHUB_TOKEN" in status.embeds[0]["description"]
    reply = await app.slash(app.organizer, "export publish")
    await reply.final()
    assert reply.content.startswith("Publishing to GitHub is off: the bot has no GITHUB_TOKEN.")
    assert app.discord.violations == []


async def _published_session_with_a_distill_paper(app: App) -> str:
    """Automatic publishing on, a session with a paper outside arXiv, published once."""
    await _setup(app, auto=True)
    url = "https://distill.pub/2021/multimodal-neurons/"
    form = await app.slash(app.organizer, "session add", date="2025-02-06", paper=url)
    sent = await app.discord.submit_modal(app.organizer, form, {"paper:title": "Multimodal"})
    await sent.final()
    app.clock.advance(DEBOUNCE)
    (outcome,) = await app.services.auto_publish.run_due()
    assert outcome.status == "published"
    return url


async def test_a_paper_edit_is_published_automatically(app: App, repo: FakeRepo) -> None:
    url = await _published_session_with_a_distill_paper(app)
    assert b"[Multimodal](" in (repo.file("README.md") or b"")

    edit = await app.slash(app.organizer, "paper edit", ref=url)
    title = "Multimodal Neurons in Artificial Neural Networks"
    done = await app.discord.submit_modal(app.organizer, edit, {"paper:edit:title": title})
    await done.final()
    assert "Saved the title" in done.text
    app.clock.advance(DEBOUNCE)
    (outcome,) = await app.services.auto_publish.run_due()
    assert outcome.status == "published"
    assert f"[{title}](".encode() in (repo.file("README.md") or b"")


async def test_code_links_set_with_paper_links_are_published_automatically(
    app: App, repo: FakeRepo
) -> None:
    url = await _published_session_with_a_distill_paper(app)
    code = "https://github.com/openai/CLIP-featurevis"
    assert code.encode() not in (repo.file("README.md") or b"")

    reply = await app.slash(app.organizer, "paper links", ref=url, code=code)
    await reply.final()
    assert "saved" in reply.text
    app.clock.advance(DEBOUNCE)
    (outcome,) = await app.services.auto_publish.run_due()
    assert outcome.status == "published"  # the Code cell changed: published without asking
    assert code.encode() in (repo.file("README.md") or b"")
