"""What real READMEs write, as small files: structure, dates, papers, the reading list, and
hostile files whose limits are reported, never applied silently."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import InvalidInput
from bot.markdown.parse import parse_document
from bot.markdown.tables import MAX_CELL, MAX_COLUMNS
from storage.db import Database
from tests.services.markdown_helpers import GUILD, make_service

TODAY = date(2025, 3, 1)


def _rows(text: str, **kwargs: str) -> list[tuple[str, str, list[str], str | None]]:
    doc = parse_document(text, today=TODAY, **kwargs)
    return [
        (r.day.isoformat(), r.kind, [p.ref.title for p in r.papers], r.presenter_name)
        for r in doc.rows
    ]


def test_continuation_rows_add_their_papers_to_the_session_above() -> None:
    text = (
        "| Date | Paper | Presenter |\n|---|---|---|\n"
        "| 2020-01-10 | [Paper A](https://arxiv.org/abs/2001.00001) | Ada |\n"
        "| | [Paper B](https://arxiv.org/abs/2001.00002) | Ada |\n"
        "|  | [Paper C](https://openreview.net/forum?id=c) | Bob |\n"
        "| 2020-01-17 | [Paper D](https://arxiv.org/abs/2001.00004) | Cy |\n"
        "| | [Paper E](https://arxiv.org/abs/2001.00005) | |\n"
    )
    doc = parse_document(text, today=TODAY)
    assert _rows(text) == [
        ("2020-01-10", "paper", ["Paper A", "Paper B", "Paper C"], "Ada, Bob"),
        ("2020-01-17", "paper", ["Paper D", "Paper E"], "Cy"),
    ]
    assert [str(i) for i in doc.issues] == [
        "line 4: no date: continues the session of line 3",
        "line 5: no date: continues the session of line 3",
        "line 7: no date: continues the session of line 6",
    ]


def test_structure_real_files_have() -> None:
    text = (
        '+++\ntitle = "Spring reading"\nyear = 2024\n+++\r\n'
        "<!-- # Not the name\n| Date | Paper |\n|---|---|\n| 2024-01-01 | hidden |\n-->\r\n"
        "## Term 1\r\n"
        "Date|Paper|Speaker\r\n---|---|---\r\n"
        "Mar 1|[A Long Title For A Paper](https://arxiv.org/abs/2401.00001)|Ada\r\n"
        "|Mar 8 |First Paper Title: A Study.<br>Second Paper Title: Another Study.|Bob|\r\n"
        "\n## Term 2\n\n"
        "| When | Topic | Lead |\n|:-:|:-:|:-:|\n"
        "|22-29/03/2024|[X one][x] and [Y two](https://openreview.net/forum?id=y)|-|\n"
        "|5th April| [broken]() | TBD |\n"
        "\n[x]: https://aclanthology.org/2024.x-1\n"
    )
    doc = parse_document(text, today=TODAY)
    assert doc.title == "Spring reading"  # the front matter; the comment is ignored
    assert _rows(text) == [
        ("2024-03-01", "paper", ["A Long Title For A Paper"], "Ada"),
        ("2024-03-08", "paper", ["First Paper Title: A Study", "Second Paper Title: Another Study"], "Bob"),
        ("2024-03-22", "paper", ["X one", "Y two"], None),  # a range means its first day
        ("2024-04-05", "special", [], None),
    ]  # fmt: skip
    assert doc.rows[-1].paper_cell == "broken"  # an empty link is its text
    assert any("from the front matter (year: 2024)" in str(i) for i in doc.issues)


@pytest.mark.parametrize(
    ("cells", "date_format", "expected", "said"),
    [
        (["03/04/2025", "10/04/2025"], "DD/MM/YYYY", ["2025-04-03", "2025-04-10"], "day first"),
        (["03/04/2025", "10/04/2025"], "MM/DD/YYYY", ["2025-03-04", "2025-10-04"], "month first"),
        (["03/04/2025", "13/04/2025"], "MM/DD/YYYY", ["2025-04-03", "2025-04-13"], "'13/04/2025'"),
        (
            ["22-01-19", "22-01-26", "22-02-09"],
            "DD.MM.YYYY",
            ["2022-01-19", "2022-01-26", "2022-02-09"],
            "first number",
        ),
        (["29/03/21", "05/04/21"], "DD.MM.YYYY", ["2021-03-29", "2021-04-05"], ""),
        (
            ["February 10, 2020", "10th Feb, 2017", "Mar 1, 2023", "08-Oct-2024"],
            "DD.MM.YYYY",
            ["2020-02-10", "2017-02-10", "2023-03-01", "2024-10-08"],
            "",
        ),
        (["Dec 3", "Jan 7"], "DD.MM.YYYY", ["2024-12-03", "2025-01-07"], "nearest to today"),
    ],
)
def test_a_table_settles_how_its_dates_are_read(
    cells: list[str], date_format: str, expected: list[str], said: str
) -> None:
    text = "| Date | Paper |\n|---|---|\n" + "".join(
        f"|{c}| Talk {i} |\n" for i, c in enumerate(cells)
    )
    doc = parse_document(text, date_format=date_format, today=TODAY)
    assert [r.day.isoformat() for r in doc.rows] == expected
    notes = " ".join(str(i) for i in doc.issues)
    assert said in notes


def test_the_reading_list_is_only_what_is_one() -> None:
    text = (
        "---\ntags: [ml, papers]\n---\n# Group\n\n"
        "[![build](https://img.shields.io/badge/x.svg)](https://ci.example.org)\n\n"
        "## Contents\n\n- [Schedule](#schedule)\n- [Reading list](#reading-list)\n\n"
        "## Contributors\n\n- Ada Lovelace\n- [Grace Hopper](https://github.com/grace)\n\n"
        "## About\n\n- we meet weekly\n- bring snacks\n\n"
        "## Reading list\n\n"
        "- [x] [Attention Is All You Need](https://arxiv.org/abs/1706.03762)\n"
        "- [ ] Scaling Laws for Neural Language Models\n"
        "- [BERT: Pre-training of Deep Bidirectional Transformers](https://aclanthology.org/N19-1423/)\n"
        "- a note to ourselves\n"
    )
    doc = parse_document(text, today=TODAY)
    assert [t.name for t in doc.topics] == ["Reading list"]
    assert [(i.ref.title, i.read) for i in doc.topics[0].items] == [
        ("Attention Is All You Need", True),
        ("Scaling Laws for Neural Language Models", False),
        ("BERT: Pre-training of Deep Bidirectional Transformers", False),
    ]


async def test_hostile_files_get_their_limits_reported(sqlite_db: Database) -> None:
    service = make_service(sqlite_db)
    wide = "| Date | Paper | " + " | ".join(f"c{i}" for i in range(10_000)) + " |\n"
    wide += "|" + "---|" * 10_002 + "\n"
    wide += (
        "| 2025-01-09 | [A Paper Title Here](https://arxiv.org/abs/2401.00001) |"
        + " x |" * 10_000
        + "\n"
    )
    report = await service.import_text(GUILD, wide)
    assert len(report.created) == 1
    assert f"line 1: the table has 10,002 columns; only the first {MAX_COLUMNS} are read" in str(
        report.notes[0]
    )
    assert "line 3: 9,938 cell(s) beyond the last column were ignored" in [
        str(i) for i in report.notes
    ]

    big = "x" * (5 * 1024 * 1024)
    huge = (
        "| Date | Paper |\n|---|---|\n"
        f"| 2025-01-16 | {big} |\n"
        "| 2025-01-23 | [Another Paper Title](https://arxiv.org/abs/2401.00002) |\n"
    )
    report = await service.import_text(GUILD, huge)
    assert [c.date_text for c in report.created] == ["23.01.2025"]
    assert [str(i) for i in report.skipped] == [
        f"line 3: skipped: a cell of 5,242,880 characters, more than the {MAX_CELL:,} a cell may hold"
    ]

    hidden = (
        "# Group\n\n<details>\n<summary>Past sessions</summary>\n\n"
        "| Date | Paper |\n|---|---|\n| 2025-01-30 | [Hidden Paper Title](https://arxiv.org/abs/2401.00003) |\n"
        "\n</details>\n"
    )
    report = await service.import_text(GUILD, hidden)
    assert [c.date_text for c in report.created] == ["30.01.2025"]
    assert (
        "line 6: a schedule table inside <details> Past sessions; read as part of the schedule"
        in [str(i) for i in report.notes]
    )
    assert report.topics_created == 0  # a <details> around a table is not a reading-list topic


@pytest.mark.parametrize(
    "text",
    [
        "# Notes\n\n- a heading and bullets\n- nothing more\n",
        "| Name | Score |\n| --- | --- |\n| Ada | 3 |\n",
    ],
)
async def test_files_that_are_not_schedules_are_refused_in_one_line(
    sqlite_db: Database, text: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        await make_service(sqlite_db).import_text(GUILD, text)
    assert "\n" not in str(info.value)


def test_plain_citations_slash_separated_and_links_to_materials() -> None:
    text = (
        "| Date | Paper |\n|---|---|\n"
        "| 2024-01-05 | Deep Residual Learning for Image Recognition. / Attention Is All You Need. |\n"
        "| 2024-01-12 | [Slides](https://drive.google.com/x) |\n"
        "| 2024-01-19 | 9. Failure Detection / 10. Leader Election |\n"
        "| 2024-01-26 | [GPT-2](https://cdn.openai.com/language_models_are_unsupervised.pdf) and "
        "[T5](https://jmlr.org/papers/v21/20-074.html) |\n"
    )
    assert _rows(text) == [
        ("2024-01-05", "paper", ["Deep Residual Learning for Image Recognition", "Attention Is All You Need"], None),
        ("2024-01-12", "special", [], None),  # a link to slides is not a paper
        ("2024-01-19", "special", [], None),  # chapters of a book: a topic
        ("2024-01-26", "paper", ["GPT-2", "T5"], None),
    ]  # fmt: skip
