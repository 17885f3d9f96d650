"""Publishing against the loopback GitHub: one commit, markers, conflicts, protection, PRs."""

from __future__ import annotations

import asyncio
import re

import pytest
from icalendar import Calendar

from bot.errors import InvalidInput
from bot.publish.github import PublishConflict, PublishError
from bot.publish.markers import END, START, Placement, section_of
from bot.publish.plan import BOT_BRANCH
from bot.schedule.calendar import session_uid
from tests.conftest import SHARED_DIR
from tests.publish.conftest import GUILD, HAND_WRITTEN, World


async def test_first_publish_adds_the_section_and_the_calendar_in_one_commit(world: World) -> None:
    session = await world.add_session("2025-02-06", "Code Reading Group")
    before = world.head()
    plan = await world.publish.prepare(GUILD)
    assert plan.needs_placement and plan.placement is None
    assert plan.headings == ["Lab reading group", "How to join"]
    assert "+| 06.02.2025 | Code Reading Group |" in plan.diff()
    assert plan.summary().endswith("schedule.ics: new file with 1 event")
    assert world.head() == before  # preparing writes nothing

    result = await world.publish.publish(plan, actor="olga")
    assert result.commit == world.head()
    commit = world.repo.commits[world.head()]
    assert commit.parents == [before]  # one commit with both files, on top of the branch
    assert commit.message.startswith("Update the reading group schedule (README.md, schedule.ics)")
    assert "Published by olga: 1 session." in commit.message
    readme = world.repo.file("README.md").decode()  # type: ignore[union-attr]
    assert readme.startswith(HAND_WRITTEN.decode())  # hand-written text untouched
    assert readme.endswith(f"{END}\n")
    calendar_url = f"{world.repo.html_url}/raw/main/schedule.ics"
    assert f"subscribe in your calendar app with {calendar_url}" in readme
    calendar = Calendar.from_ical(world.repo.file("schedule.ics"))
    assert [str(e["uid"]) for e in calendar.walk("VEVENT")] == [session_uid(GUILD, session.id)]
    target = await world.publish.target(GUILD)
    assert target is not None and target.last_url == result.url and target.placement == "end"


async def test_later_publishes_replace_only_the_section(world: World) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")
    await world.publish.publish(
        await world.publish.prepare(GUILD, Placement("after", "How to join"))
    )
    # The group edits the README on GitHub, around the section.
    text = world.repo.file("README.md").decode()  # type: ignore[union-attr]
    edited = text.replace("Everyone is welcome!", "Everyone is welcome, bring snacks!")
    world.repo.commit_files("main", {"README.md": edited.encode()}, "Snacks", "alice")

    await world.add_session("2025-02-13", "Paper Discussion")
    plan = await world.publish.prepare(GUILD)
    assert not plan.needs_placement
    added = [
        line
        for line in plan.diff().splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    assert added == ["+| 13.02.2025 | Paper Discussion |  |  |  |  |"]
    await world.publish.publish(plan)
    after = world.repo.file("README.md").decode()  # type: ignore[union-attr]
    assert "bring snacks" in after
    assert after.index("## How to join") < after.index(START)  # where it was put first
    assert section_of(after) == plan.section


async def test_nothing_changed_means_no_commit(world: World) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")
    await world.publish.publish(await world.publish.prepare(GUILD))
    head = world.head()
    writes = len(world.github.writes)
    plan = await world.publish.prepare(GUILD)
    assert not plan.changed
    result = await world.publish.publish(plan)
    assert result.commit is None and "already shows this schedule" in result.describe()
    assert world.head() == head and len(world.github.writes) == writes


async def test_a_file_that_does_not_exist_is_created(world: World) -> None:
    await world.publish.configure(GUILD, path="docs/schedule.md")
    await world.add_session("2025-02-06", "Code Reading Group")
    plan = await world.publish.prepare(GUILD)
    assert not plan.needs_placement and plan.readme.old is None
    assert plan.calendar.path == "docs/schedule.ics"
    await world.publish.publish(plan)
    assert world.repo.file("docs/schedule.md").decode().startswith(START)  # type: ignore[union-attr]
    assert world.repo.file("docs/schedule.ics") is not None
    assert world.repo.file("README.md") == HAND_WRITTEN


async def test_a_change_upstream_since_the_preview_is_a_conflict(world: World) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")
    plan = await world.publish.prepare(GUILD)
    upstream = world.repo.commit_files(
        "main", {"README.md": b"# Rewritten\n"}, "Rewrite the intro", "alice"
    )
    with pytest.raises(PublishConflict) as caught:
        await world.publish.publish(plan)
    message = str(caught.value)
    assert (
        f"README.md changed on GitHub since I read it (commit {upstream.sha[:7]} by alice: “Rewrite the intro”"
        in message
    )
    assert "Nothing was overwritten" in message
    assert world.head() == upstream.sha and world.repo.file("README.md") == b"# Rewritten\n"
    # Publishing again reads the new version and keeps it.
    await world.publish.publish(await world.publish.prepare(GUILD))
    assert world.repo.file("README.md").decode().startswith("# Rewritten\n")  # type: ignore[union-attr]


async def test_unrelated_upstream_commits_are_built_upon(world: World) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")
    plan = await world.publish.prepare(GUILD)
    other = world.repo.commit_files("main", {"slides/week1.pdf": b"%PDF"}, "Slides", "bob")
    result = await world.publish.publish(plan)
    assert world.repo.commits[world.head()].parents == [other.sha]
    assert result.commit == world.head()
    assert world.repo.file("slides/week1.pdf") == b"%PDF"


async def test_a_push_during_the_publish_is_never_overwritten(world: World) -> None:
    await world.add_session("2025-02-06", "Code Reading Group")
    plan = await world.publish.prepare(GUILD)
    world.github.hang("POST", r".*/git/commits")
    publishing = asyncio.create_task(world.publish.publish(plan))
    await world.github.hold_started.wait()
    pushed = world.repo.commit_files("main", {"slides/week1.pdf": b"%PDF"}, "Slides", "bob")
    world.github.release()
    result = await publishing
    assert result.commit == world.head()
    assert world.repo.commits[world.head()].parents == [pushed.sha]  # on top, not instead
    assert world.repo.file("slides/week1.pdf") == b"%PDF"


@pytest.mark.parametrize("how", ["classic", "ruleset"])
async def test_a_protected_branch_gets_a_pull_request_updated_in_place(
    world: World, how: str
) -> None:
    world.repo.protect("main", how)  # type: ignore[arg-type]
    await world.add_session("2025-02-06", "Code Reading Group")
    head = world.head()
    result = await world.publish.publish(await world.publish.prepare(GUILD))
    assert world.head() == head  # nothing on the protected branch
    assert result.pull is not None and result.pull.created and result.protected
    assert "accepts changes only through pull requests" in result.describe()
    (pull,) = world.repo.open_pulls()
    assert (pull.head, pull.base) == (BOT_BRANCH, "main")
    assert b"Code Reading Group" in world.repo.file("README.md", BOT_BRANCH)  # type: ignore[operator]

    await world.add_session("2025-02-13", "Paper Discussion")
    again = await world.publish.publish(await world.publish.prepare(GUILD))
    assert again.pull is not None and not again.pull.created and again.pull.number == pull.number
    assert len(world.repo.pulls) == 1
    assert world.repo.commits[world.repo.branches[BOT_BRANCH]].parents == [head]  # replaced
    assert b"Paper Discussion" in world.repo.file("README.md", BOT_BRANCH)  # type: ignore[operator]

    world.repo.merge(pull.number)
    assert b"Paper Discussion" in world.repo.file("README.md")  # type: ignore[operator]


async def test_pull_request_mode_never_commits_to_the_branch(world: World) -> None:
    await world.publish.configure(GUILD, mode="pull_request")
    await world.add_session("2025-02-06", "Code Reading Group")
    head = world.head()
    result = await world.publish.publish(await world.publish.prepare(GUILD))
    assert world.head() == head
    assert result.pull is not None and result.protected is None
    assert result.describe().startswith("Published for review: pull request #")
    target = await world.publish.target(GUILD)
    assert target is not None and target.pull_number == result.pull.number


async def test_the_group_readme_round_trips(world: World) -> None:
    readme = (SHARED_DIR / "examples" / "schedule-readme.md").read_bytes()
    world.repo.commit_files("main", {"README.md": readme})
    await world.services.markdown.import_text(GUILD, readme.decode())
    plan = await world.publish.prepare(GUILD, Placement("start"))
    await world.publish.publish(plan)
    published = world.repo.file("README.md")
    assert published is not None and published.endswith(readme)  # every byte of it kept
    assert (
        "| 01.02.2024 | [Visual Instruction Tuning](https://arxiv.org/abs/2304.08485) |"
        in plan.section
    )
    # and the published file imports again without changes
    report = await world.services.markdown.import_text(
        GUILD, section_of(published.decode()) or "", dry_run=True
    )
    assert not report.changed


async def test_settings_are_checked(world: World) -> None:
    cases = {
        "repository": ("not a repo", "not a repository"),
        "branch": ("feature..x", "not a branch name"),
        "path": ("../etc/passwd", "not a file path"),
        "mode": ("sometimes", "commit (straight to the branch) or pull_request"),
    }
    for option, (value, message) in cases.items():
        with pytest.raises(InvalidInput, match=re.escape(message)):
            await world.publish.configure(GUILD, **{option: value})
    target = await world.publish.configure(
        GUILD, repository="https://github.com/Lab/Reading.Group.git"
    )
    assert target.repository == "Lab/Reading.Group"
    with pytest.raises(PublishError, match="does not exist, or GITHUB_TOKEN cannot see it"):
        await world.publish.prepare(GUILD)
