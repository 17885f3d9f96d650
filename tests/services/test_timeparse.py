"""Dates and times as members type them; the guild's zone across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.dates import (
    WeeklySlot,
    clock_change,
    format_date,
    local_to_utc,
    next_weekly,
    parse_date,
    parse_time,
    search_timezones,
    split_date_time,
    split_zone,
    timezone,
    weekly_clock_changes,
)
from bot.errors import InvalidInput

TODAY = date(2025, 2, 3)  # a Monday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-02-07", date(2025, 2, 7)),
        ("07.02.2025", date(2025, 2, 7)),
        ("7.2.2025", date(2025, 2, 7)),
        ("25/12/2025", date(2025, 12, 25)),
        ("12/25/2025", date(2025, 12, 25)),
        ("03/03/2025", date(2025, 3, 3)),
        ("7 Feb 2025", date(2025, 2, 7)),
        ("7th February 2025", date(2025, 2, 7)),
        ("February 7, 2025", date(2025, 2, 7)),
        ("Feb. 7 2025", date(2025, 2, 7)),
        ("today", TODAY),
        ("tomorrow", date(2025, 2, 4)),
        ("thursday", date(2025, 2, 6)),
        ("Thu", date(2025, 2, 6)),
        ("next thursday", date(2025, 2, 6)),
        ("next monday", date(2025, 2, 10)),
        ("monday", TODAY),
        ("  2025-02-07  ", date(2025, 2, 7)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


def test_ambiguous_slash_date_is_refused_with_both_spellings() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_date("03/04/2025", TODAY)
    message = str(info.value)
    assert "ambiguous" in message
    assert "3 April or 4 March" in message
    assert "2025-04-03" in message


@pytest.mark.parametrize(
    "text", ["31.02.2025", "2025-13-01", "someday", "", "32/01/2025", "x" * 100, "Febtober 3 2025"]
)
def test_bad_dates(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_date(text, TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:00", time(18)),
        ("18.30", time(18, 30)),
        ("6pm", time(18)),
        ("6:30 PM", time(18, 30)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("9h15", time(9, 15)),
        ("7", time(7)),
    ],
)
def test_times(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "13pm", "18:75", "noonish", ""])
def test_bad_times(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_time(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-02-07 18:00", ("2025-02-07", "18:00")),
        ("2025-02-07T18:00", ("2025-02-07", "18:00")),
        ("next thursday 6pm", ("next thursday", "6pm")),
        ("7 Feb 2025 6:30 pm", ("7 Feb 2025", "6:30 pm")),
        ("7 Feb 2025", ("7 Feb 2025", None)),
        ("07.02.2025", ("07.02.2025", None)),
    ],
)
def test_split_date_time(text: str, expected: tuple[str, str | None]) -> None:
    assert split_date_time(text) == expected


def test_local_time_follows_dst_in_berlin() -> None:
    winter = local_to_utc(date(2025, 3, 27), time(18), "Europe/Berlin")
    summer = local_to_utc(date(2025, 4, 3), time(18), "Europe/Berlin")
    assert winter == datetime(2025, 3, 27, 17, tzinfo=UTC)
    assert summer == datetime(2025, 4, 3, 16, tzinfo=UTC)


def test_a_time_skipped_by_dst_is_refused() -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        local_to_utc(date(2025, 3, 9), time(2, 30), "America/New_York")


def test_weekly_slot_keeps_wall_clock_across_dst() -> None:
    slot = WeeklySlot(weekday=0, at=time(10))  # Mondays 10:00
    before = datetime(2025, 10, 20, 15, tzinfo=UTC)  # 11:00 EDT, after that Monday's slot
    first = next_weekly(before, slot, "America/New_York")
    second = next_weekly(first, slot, "America/New_York")
    third = next_weekly(second, slot, "America/New_York")
    assert first == datetime(2025, 10, 27, 14, tzinfo=UTC)  # EDT, UTC-4
    assert second == datetime(2025, 11, 3, 15, tzinfo=UTC)  # EST after 2 Nov, UTC-5
    assert third == datetime(2025, 11, 10, 15, tzinfo=UTC)


def test_weekly_slot_in_a_dst_gap_moves_an_hour_later() -> None:
    slot = WeeklySlot(weekday=6, at=time(2, 30))  # Sundays 02:30
    moment = next_weekly(datetime(2025, 3, 27, tzinfo=UTC), slot, "Europe/Berlin")
    assert moment.astimezone(timezone("Europe/Berlin")).hour == 3


def test_unknown_timezone_and_search() -> None:
    with pytest.raises(InvalidInput, match="Unknown time zone"):
        timezone("Mars/Olympus_Mons")
    assert search_timezones("berl")[0] == "Europe/Berlin"
    assert "America/New_York" in search_timezones("new york")
    assert len(search_timezones("a")) == 25


def test_date_formats() -> None:
    day = date(2024, 2, 1)
    assert format_date(day, "DD.MM.YYYY") == "01.02.2024"
    assert format_date(day, "YYYY-MM-DD") == "2024-02-01"
    assert format_date(day, "D MMM YYYY") == "1 Feb 2024"
    assert format_date(day, "MMM D, YYYY") == "Feb 1, 2024"


@pytest.mark.parametrize(
    ("text", "date_format", "expected"),
    [
        ("03/04/2025", "DD/MM/YYYY", date(2025, 4, 3)),
        ("03/04/2025", "MM/DD/YYYY", date(2025, 3, 4)),
        ("03-04-2025", "DD/MM/YYYY", date(2025, 4, 3)),
        ("Thu 07.02.2025", "DD.MM.YYYY", date(2025, 2, 7)),
        ("Jan 9, 2025", "MM/DD/YYYY", date(2025, 1, 9)),
        ("Sep 12, 2025", "MMM D, YYYY", date(2025, 9, 12)),
        ("12 Sep 2025", "D MMM YYYY", date(2025, 9, 12)),
        ("12.09", "DD.MM.YYYY", date(2025, 9, 12)),  # no year: the next one
        ("Jan 9", "DD.MM.YYYY", date(2026, 1, 9)),
        ("2025年3月6日", "DD.MM.YYYY", date(2025, 3, 6)),
    ],
)
def test_dates_in_the_servers_format(text: str, date_format: str, expected: date) -> None:
    assert parse_date(text, TODAY, date_format) == expected


def test_every_format_the_bot_shows_reads_back() -> None:
    from bot.dates import DATE_FORMATS

    day = date(2025, 4, 3)
    for name in DATE_FORMATS:
        assert parse_date(format_date(day, name), TODAY, name) == day, name


def test_clock_change_tells_twice_from_skipped_from_ordinary() -> None:
    twice = clock_change(date(2025, 11, 2), time(1, 30), "America/New_York")
    assert twice is not None and twice.repeated
    assert twice.note() == (
        "01:30 happens twice on 2 Nov 2025 (the clocks go back); I used the first "
        "(EDT, UTC-4), not the second (EST, UTC-5). For the second, write the time as "
        "01:30 EST."
    )
    assert "as asked, I used the second (EST, UTC-5)." in twice.note(second=True)
    assert local_to_utc(date(2025, 11, 2), time(1, 30), "America/New_York") == datetime(
        2025, 11, 2, 5, 30, tzinfo=UTC
    )
    assert clock_change(date(2025, 11, 2), time(3, 0), "America/New_York") is None
    assert clock_change(date(2025, 10, 26), time(2, 30), "Asia/Tokyo") is None


def test_a_half_hour_change_is_measured_not_assumed() -> None:
    # Lord Howe Island moves its clocks by 30 minutes; its zone names are only offsets.
    skipped = clock_change(date(2025, 10, 5), time(2, 15), "Australia/Lord_Howe")
    assert skipped is not None and not skipped.repeated
    assert "jump forward 30 minutes that night (UTC+10:30 → UTC+11)" in skipped.note()
    assert "e.g. 02:45" in skipped.note()
    slot = WeeklySlot(weekday=6, at=time(2, 15))
    after = datetime(2025, 10, 1, tzinfo=UTC)
    assert next_weekly(after, slot, "Australia/Lord_Howe") == datetime(
        2025,
        10,
        4,
        15,
        45,
        tzinfo=UTC,  # 02:45 at UTC+11
    )
    changes = weekly_clock_changes(after, slot, "Australia/Lord_Howe")
    assert [(c.day, c.repeated) for c in changes] == [(date(2025, 10, 5), False)]
    assert weekly_clock_changes(after, slot, "UTC") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("02:30 CET", ("02:30", "CET")),
        ("2:30 cest", ("2:30", "cest")),
        ("02:30 UTC+1", ("02:30", "UTC+1")),
        ("02:30+01:00", ("02:30", "+01:00")),
        ("6pm EST", ("6pm", "EST")),
        ("6pm", ("6pm", None)),
        ("6 pm", ("6 pm", None)),
        ("next fri", ("next fri", None)),
    ],
)
def test_split_zone(text: str, expected: tuple[str, str | None]) -> None:
    assert split_zone(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("26.10.2025 02:30 CET", ("26.10.2025", "02:30 CET")),
        ("2025-10-26T02:30 UTC+1", ("2025-10-26", "02:30 UTC+1")),
        ("7 Feb", ("7 Feb", None)),
        ("next fri", ("next fri", None)),
    ],
)
def test_a_zone_stays_with_the_time_in_the_date(
    text: str, expected: tuple[str, str | None]
) -> None:
    assert split_date_time(text) == expected


def test_a_zone_picks_one_of_two_times_and_must_fit() -> None:
    day, at = date(2025, 10, 26), time(2, 30)
    assert local_to_utc(day, at, "Europe/Berlin", "CET") == datetime(
        2025, 10, 26, 1, 30, tzinfo=UTC
    )
    assert local_to_utc(day, at, "Europe/Berlin", "+02:00") == datetime(
        2025, 10, 26, 0, 30, tzinfo=UTC
    )
    assert local_to_utc(date(2025, 2, 6), time(18), "Europe/Berlin", "UTC+1") == datetime(
        2025, 2, 6, 17, tzinfo=UTC
    )
    with pytest.raises(InvalidInput, match=r"is CET \(UTC\+1\), not CEST"):
        local_to_utc(date(2025, 2, 6), time(18), "Europe/Berlin", "CEST")
