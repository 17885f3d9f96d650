"""Hostile text, other groups' tables, problems reported line by line, files that are not
schedules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.dates import utc_to_local
from bot.errors import InvalidInput
from bot.markdown.render import authors_text
from bot.markdown.service import decode_markdown
from bot.markdown.syntax import plain_text, split_row
from storage.db import Database
from storage.models import Comment, CommentSource, Paper, PaperRole, ReadingSession, SessionKind
from tests.services.markdown_helpers import GUILD, OTHER_GUILD, make_service

LONG = "x" * 2990 + " end|of|it"
HOSTILE = [
    "a | b || c \\| d",
    "</details><details><summary>pwned</summary>",
    "<script>alert(1)</script>",
    "@everyone and @here",
    LONG,
    "**bold** _it_ `code` [link](javascript:alert(1)) ![img](https://x.y/i.png) $x$ ~~s~~ &amp; \\",
    "see https://evil.example/raw and <https://evil.example/auto>",
]
DEFUSED = {"@everyone and @here": "@\u200beveryone and @\u200bhere"}


async def _hostile_schedule(db: Database) -> None:
    start = datetime(2025, 1, 2, 17, 0, tzinfo=UTC)
    async with db.unit() as uow:
        for index, text in enumerate(HOSTILE):
            paper = await uow.papers.add(
                Paper(
                    guild_id=GUILD,
                    ref_key=f"url:https://example.org/{index}",
                    url=f"https://example.org/{index}",
                    title=text,
                    authors=[text, "Ada Lovelace"],
                    code_links=[[text, f"https://github.com/x/{index}"]],
                    source="manual",
                )
            )
            special = await uow.sessions.add(
                ReadingSession(
                    guild_id=GUILD,
                    starts_at=start + timedelta(days=14 * index),
                    kind=SessionKind.SPECIAL,
                    title=text,
                )
            )
            single = await uow.sessions.add(
                ReadingSession(
                    guild_id=GUILD, starts_at=start + timedelta(days=14 * index + 7), kind="paper"
                )
            )
            await uow.sessions.set_papers(GUILD, single.id, [(paper, PaperRole.MAIN, None)])  # type: ignore[arg-type]
            await uow.comments.add(
                Comment(
                    guild_id=GUILD,
                    session_id=special.id,
                    text=text,
                    pinned=True,
                    source=CommentSource.COMMAND,
                )
            )
            topic = await uow.readinglist.ensure_topic(GUILD, f"Topic {index}")
            topic.name = text[:200]  # a name the path would not allow
            await uow.readinglist.add_item(
                GUILD, topic, paper, label=text[:300], read=index % 2 == 0
            )


async def test_hostile_text_stays_inside_its_cell(db: Database) -> None:
    await _hostile_schedule(db)
    text = (await make_service(db).export(GUILD)).text
    lines = text.split("\n")
    rows = [line for line in lines if re.match(r"^\| \d\d\.\d\d\.\d{4} \|", line)]
    assert len(rows) == 2 * len(HOSTILE)
    for index, value in enumerate(HOSTILE):
        special = split_row(rows[2 * index])
        paper = split_row(rows[2 * index + 1])
        assert len(special) == len(paper) == 6
        assert plain_text(special[1]) == value  # Paper cell: the title, exactly
        # Comments are markdown as members type it in Discord: they read the same.
        assert plain_text(special[5]) == plain_text(value)
        assert plain_text(paper[1]) == value  # the paper's title as link text
        assert paper[1].endswith(f"](https://example.org/{index})")
        assert plain_text(paper[2]) == authors_text([value, "Ada Lovelace"])
        assert paper[3].endswith(f"](https://github.com/x/{index})")
    # Outside the table only our own HTML: no <script>, no </details> but the real ones.
    assert not re.search(r"(?<!\\)<script", text)
    details_lines = [line for line in lines if "details>" in line]
    assert details_lines == ["<details>", "</details>"] * len(HOSTILE)
    summaries = [line for line in lines if line.startswith("<summary>")]
    assert len(summaries) == len(HOSTILE)
    assert "&lt;/details&gt;&lt;details&gt;&lt;summary&gt;pwned&lt;/summary&gt;" in summaries[1]
    assert "\\@everyone" in text and not re.search(r"(?<![\\&#\w])@everyone", text)


async def test_hostile_text_comes_back_the_same(db: Database) -> None:
    await _hostile_schedule(db)
    exported = (await make_service(db).export(GUILD)).text
    report = await make_service(db).import_text(OTHER_GUILD, exported)
    assert len(report.created) == 2 * len(HOSTILE)
    assert [str(i) for i in report.issues if "mention" not in str(i)] == []
    async with db.unit() as uow:
        rows = await uow.sessions.all(OTHER_GUILD)
        specials = [r for r in rows if r.kind == SessionKind.SPECIAL]
        assert [r.title for r in specials] == [DEFUSED.get(v, v) for v in HOSTILE]
        for row, value in zip(specials, HOSTILE, strict=True):
            comments = await uow.comments.for_session(OTHER_GUILD, row.id)  # type: ignore[arg-type]
            assert len(comments) == 1
            assert plain_text(comments[0].text) == plain_text(DEFUSED.get(value, value))
        topics = sorted((t.position, t.name) for t in await uow.readinglist.topics(OTHER_GUILD))
        assert [name for _, name in topics] == [DEFUSED.get(v, v)[:200] for v in HOSTILE]
    # and a second export of the copy is a fixed point
    again = (await make_service(db).export(OTHER_GUILD)).text
    third = await make_service(db).import_text(OTHER_GUILD, again)
    assert not third.changed


WEEK_TABLE = """# Autumn term

Our sessions, every Thursday.

| Week | Date | Time | Place | Paper |
|------|------|------|-------|-------|
| 1 | 2024-09-12 | 16:00 | Room 101 | [Attention Is All You Need](https://arxiv.org/abs/1706.03762) |
| 2 | 2024-09-19 | 16:00-17:30 | Room 101 | [BERT](https://arxiv.org/abs/1810.04805), [RoBERTa](https://arxiv.org/abs/1907.11692) |
| 3 | 2024-09-26 | | Online | Reading week |
"""

PRESENTER_TABLE = """| Date | Presenter | Paper | Why should we care | Conference | Repo |
|---|---|---|---|---|---|
| Jan 9, 2025 | Alice | [Mamba](https://arxiv.org/abs/2312.00752) | Linear-time sequence models | COLM 2024 | https://github.com/state-spaces/mamba |
| Jan 16, 2025 | <@123456789012345678> | [Scaling Monosemanticity](https://transformer-circuits.pub/2024/scaling-monosemanticity/) | Interpretability at scale | | |
"""


async def test_a_week_time_place_table(db: Database) -> None:
    report = await make_service(db).import_text(GUILD, WEEK_TABLE)
    assert len(report.created) == 3
    assert [str(i) for i in report.issues] == [
        "line 3: not part of the schedule table or the reading list; ignored"
    ]
    async with db.unit() as uow:
        rows = await uow.sessions.all(GUILD)
        papers = await uow.sessions.papers_for([r.id for r in rows])  # type: ignore[misc]
    first, second, third = rows
    local = utc_to_local(first.starts_at, "Europe/Berlin")
    assert (local.date().isoformat(), local.time()) == ("2024-09-12", time(16, 0))
    assert first.details["columns"] == {"Week": "1", "Place": "Room 101"}
    assert first.notes == "Week: 1\nPlace: Room 101"
    assert [lp.paper.title for lp in papers[first.id]] == ["Attention Is All You Need"]
    assert second.kind == SessionKind.PAPER and second.duration_minutes == 90
    assert [lp.paper.ref_key for lp in papers[second.id]] == [
        "arxiv:1810.04805",
        "arxiv:1907.11692",
    ]
    assert (third.kind, third.title) == (SessionKind.SPECIAL, "Reading week")
    assert utc_to_local(third.starts_at, "Europe/Berlin").time() == time(18, 0)  # no time given
    assert third.details["columns"] == {"Week": "3", "Place": "Online"}
    again = await make_service(db).import_text(GUILD, WEEK_TABLE)
    assert not again.changed


async def test_a_presenter_table_with_unknown_columns(db: Database) -> None:
    report = await make_service(db).import_text(GUILD, PRESENTER_TABLE)
    assert len(report.created) == 2 and report.issues == []
    async with db.unit() as uow:
        first, second = await uow.sessions.all(GUILD)
        mamba = await uow.papers.by_key(GUILD, "arxiv:2312.00752")
    assert first.presenter_name == "Alice" and first.presenter_id is None
    assert second.presenter_id == 123456789012345678
    assert first.details["columns"] == {
        "Why should we care": "Linear-time sequence models",
        "Conference": "COLM 2024",
    }
    assert second.details["columns"] == {"Why should we care": "Interpretability at scale"}
    assert mamba is not None
    assert mamba.code_links == [["GitHub", "https://github.com/state-spaces/mamba"]]  # "Repo"
    exported = (await make_service(db).export(GUILD)).text
    assert (
        "| 09.01.2025 | [Mamba](https://arxiv.org/abs/2312.00752) |  "
        "| [GitHub](https://github.com/state-spaces/mamba) |  |  |"
    ) in exported


BROKEN = """# Broken

| Date | Paper | Authors |
| --- | --- | --- |
| 32.01.2024 | [A](https://arxiv.org/abs/2301.00001) | X |
| 03/04/2024 | [B](https://arxiv.org/abs/2301.00002) | Y |
| 05.02.2024 | [C](https://arxiv.org/abs/2301.00003) | Z | surplus |
| 05.02.2024 | [D](https://arxiv.org/abs/2301.00004) | W |
| | [E](https://arxiv.org/abs/2301.00005) | V |
| 12.02.2024 | Continue |

Some words between the table and the list.

<details>
<summary> Reading </summary>

- [x] [F](https://arxiv.org/abs/2301.00006) (a note after the link)
- [ ] A paper without a link
</details>
</details>
"""


async def test_problems_are_reported_line_by_line(db: Database) -> None:
    report = await make_service(db).import_text(GUILD, BROKEN)
    assert [str(i) for i in report.issues] == [
        "line 5: '32.01.2024' is not a date that exists; the row was skipped",
        "line 6: '03/04/2024' is ambiguous (day/month or month/day?); the row was skipped",
        "line 7: 1 cell(s) beyond the last column were ignored",
        "line 8: a second row for 05.02.2024 (line 7); skipped",
        "line 9: the row has no date; skipped",
        "line 12: not part of the schedule table or the reading list; ignored",
        "line 17: text after the link ignored: '(a note after the link)'",
        "line 20: </details> without a matching <details>; ignored",
    ]
    assert [c.date_text for c in report.created] == ["05.02.2024", "12.02.2024"]
    async with db.unit() as uow:
        first, second = await uow.sessions.all(GUILD)
        assert second.continues_id == first.id
        items = await uow.readinglist.items(GUILD)
    assert sorted((i.paper.title, i.item.read) for i in items) == [
        ("A paper without a link", False),
        ("F", True),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# Notes\n\nJust words, no schedule.\n", "This file is not a schedule"),
        ("| Name | Score |\n| --- | --- |\n| Ada | 3 |\n", "This file is not a schedule"),
        (
            "| Date | Paper |\n| --- | --- |\n| soon | [A](https://arxiv.org/abs/2301.00001) |\n",
            "The schedule table has no row that could be read",
        ),
        ("", "This file is not a schedule"),
    ],
)
async def test_files_that_are_not_schedules_write_nothing(
    db: Database, text: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        await make_service(db).import_text(GUILD, text)
    async with db.unit() as uow:
        assert await uow.sessions.count(GUILD) == 0
        assert await uow.papers.count(GUILD) == 0
        assert (
            await uow.guilds.get(GUILD) is None or (await uow.guilds.get(GUILD)).group_name is None
        )  # type: ignore[union-attr]


def test_uploads_must_be_utf8_text_within_the_limit() -> None:
    assert decode_markdown("\ufeff# Caf\u00e9\n".encode()) == "# Caf\u00e9\n"
    with pytest.raises(InvalidInput, match="not UTF-8 text"):
        decode_markdown("Caf\u00e9".encode("latin-1"))
    with pytest.raises(InvalidInput, match="not a text file"):
        decode_markdown(b"\x00\x01binary")
    with pytest.raises(InvalidInput, match="at most 1 MiB"):
        decode_markdown(b"x" * (1024 * 1024 + 1), limit=1024 * 1024)


@pytest.mark.parametrize(
    "date_format",
    ["DD.MM.YYYY", "YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "D MMM YYYY", "MMM D, YYYY"],
)
async def test_every_date_format_reads_back(sqlite_db: Database, date_format: str) -> None:
    async with sqlite_db.unit() as uow:
        await uow.guilds.update(GUILD, timezone="Europe/Berlin", date_format=date_format)
    service = make_service(sqlite_db)
    await service.import_text(GUILD, WEEK_TABLE)
    exported = (await service.export(GUILD)).text
    assert {"DD.MM.YYYY": "| 12.09.2024 |", "YYYY-MM-DD": "| 2024-09-12 |",
            "DD/MM/YYYY": "| 12/09/2024 |", "MM/DD/YYYY": "| 09/12/2024 |",
            "D MMM YYYY": "| 12 Sep 2024 |", "MMM D, YYYY": "| Sep 12, 2024 |"}[date_format] in exported  # fmt: skip
    report = await service.import_text(GUILD, exported)
    assert report.issues == [] and not report.changed
