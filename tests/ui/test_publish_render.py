"""The publish preview within Discord's limits: the diff cut at a line (whole diff attached),
code fences in the README unable to end the block, names escaped."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.publish.github import PullRequestInfo
from bot.publish.markers import Placement
from bot.publish.plan import FileChange, PublishPlan, PublishResult, Rendered
from bot.ui.publish import MESSAGE_LIMIT, preview_text, result_text

CALENDAR = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"


def _plan(old: bytes | None, new: bytes, *, repository: str = "lab/reading_group") -> PublishPlan:
    return PublishPlan(
        guild_id=1,
        repository=repository,
        branch="main",
        mode="commit",
        html_url=f"https://github.com/{repository}",
        head="0" * 40,
        readme=FileChange("README.md", old, "1" * 40 if old else None, new),
        calendar=FileChange("schedule.ics", CALENDAR, "2" * 40, CALENDAR),
        rendered=Rendered("", CALENDAR, 0, "x", datetime(2025, 1, 6, tzinfo=UTC)),
        section="",
        placement=None,
        needs_placement=False,
    )


def test_a_short_diff_is_shown_whole() -> None:
    content, cut = preview_text(_plan(b"# Group\n", b"# Group\n\nNew line\n"))
    assert not cut
    assert "**Publish to lab/reading\\_group** (main)" in content
    assert "```diff\n--- a/README.md\n+++ b/README.md\n" in content and "+New line\n```" in content
    assert "schedule.ics: unchanged (0 events)" in content
    assert content.endswith("Press **Publish** to commit it, or **Cancel**.")


def test_a_long_diff_is_cut_at_a_line_within_the_limit() -> None:
    new = b"".join(
        b"| %02d.02.2025 | A paper with a long title %d |\n" % (i % 28 + 1, i) for i in range(300)
    )
    content, cut = preview_text(_plan(None, new))
    assert cut and len(content) <= MESSAGE_LIMIT
    body = content.split("```diff\n", 1)[1].split("\n```", 1)[0]
    assert all(line.startswith(("+", "-", "@", " ")) for line in body.splitlines())
    assert "… (cut: the whole diff is attached)" in content


def test_code_fences_in_the_readme_cannot_end_the_block() -> None:
    content, _ = preview_text(_plan(b"x\n", b"x\n```\n@everyone <script>\n```\n"))
    assert content.count("```") == 2  # only the preview's own fence
    assert "`\u200b``" in content


def test_results_link_without_embeds_and_escape_names() -> None:
    plan = _plan(b"a\n", b"b\n", repository="lab/reading_group")
    done = result_text(PublishResult(plan, "3" * 40, f"{plan.html_url}/commit/{'3' * 40}"))
    assert done == f"Published to lab/reading\\_group (main): <{plan.html_url}/commit/{'3' * 40}>"
    pull = PullRequestInfo(7, f"{plan.html_url}/pull/7", created=False)
    review = result_text(
        PublishResult(
            plan,
            "3" * 40,
            pull.url,
            pull=pull,
            protected="Protected branch update failed for refs/heads/main.",
        )
    )
    assert review.startswith(
        "Published for review: main accepts changes only through pull requests"
    )
    assert "pull request #7 was updated" in review
    assert result_text(PublishResult(plan, None, None)).startswith("Nothing to publish")
    assert Placement.parse("start").describe() == "at the start"
