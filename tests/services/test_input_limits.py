"""Each length a slash-command option declares is enforced where the text is read, with a
clear message: input that arrives some other way (the command line, an older client, a
hand-made request) gets the same answer as Discord's client gives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.dates import (
    DATE_TIME_LIMIT,
    TIME_LIMIT,
    TIMEZONE_LIMIT,
    parse_time,
    split_date_time,
    timezone,
)
from bot.errors import InvalidInput
from bot.papers.refs import (
    AUTHORS_LIMIT,
    LINKS_LIMIT,
    REFS_LIMIT,
    parse_authors,
    parse_links,
    split_refs,
)
from bot.publish.plan import (
    BRANCH_LIMIT,
    PATH_LIMIT,
    REPOSITORY_LIMIT,
    parse_branch,
    parse_path,
    parse_repository,
)
from bot.reminders.plan import LEAD_TIMES_LIMIT, parse_lead_times

CASES: list[tuple[str, Callable[[str], Any], str, int]] = [
    ("time", parse_time, "6 pm", TIME_LIMIT),
    ("date and time", split_date_time, "2025-02-07 18:00", DATE_TIME_LIMIT),
    ("time zone", timezone, "Europe/Berlin", TIMEZONE_LIMIT),
    ("references", split_refs, "2304.08485 ", REFS_LIMIT),
    ("authors", parse_authors, "A. Author, ", AUTHORS_LIMIT),
    ("links", lambda text: parse_links(text, "code"), "https://github.com/a/b ", LINKS_LIMIT),
    ("repository", parse_repository, "https://github.com/lab/rg", REPOSITORY_LIMIT),
    ("branch", parse_branch, "main", BRANCH_LIMIT),
    ("path", parse_path, "docs/schedule.md", PATH_LIMIT),
    ("lead times", parse_lead_times, "24h, 1h", LEAD_TIMES_LIMIT),
]


@pytest.mark.parametrize(("what", "read", "valid", "limit"), CASES, ids=[c[0] for c in CASES])
def test_over_the_limit_is_refused_clearly(
    what: str, read: Callable[[str], Any], valid: str, limit: int
) -> None:
    read(valid)  # the shape itself is fine
    too_long = valid + "x" * (limit + 1 - len(valid))
    with pytest.raises(InvalidInput) as refused:
        read(too_long)
    assert len(str(refused.value)) < 300, f"the {what} message repeats the whole input"


def test_at_the_limit_is_read() -> None:
    item = "2304.08485 "
    count = REFS_LIMIT // len(item)
    refs = item * count + "," * (REFS_LIMIT % len(item))
    assert len(refs) == REFS_LIMIT
    assert split_refs(refs) == ["2304.08485"] * count
    lead = ("24h, " * LEAD_TIMES_LIMIT)[:LEAD_TIMES_LIMIT]
    assert parse_lead_times(lead) == [1440]
    assert split_date_time("next thursday 6:30 pm") == ("next thursday", "6:30 pm")
