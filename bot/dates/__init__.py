"""Dates and times as members type them, turned into aware UTC datetimes.

The guild's time zone decides what "Thursday 18:00" means, across DST changes. Ambiguous
forms ("03/04/2025": March or April?) are refused with a message that shows the unambiguous
spellings, never guessed.

Every date rule lives in this package, one module per job: the shared names and limits
(common), display formats (formatting), dates and times typed in commands (typed), written
dates and README date columns (written, column), time zones and clock changes (zones),
weekly slots (weekly) and periods of days (periods).
"""

from __future__ import annotations

from bot.dates.column import DateColumn, YearHint, read_date_column, year_hint
from bot.dates.common import (
    DATE_LIMIT,
    DATE_TIME_LIMIT,
    HELP_DATES,
    MONTHS,
    PERIOD_LIMIT,
    TIME_LIMIT,
    TIMEZONE_LIMIT,
    WEEKDAYS,
)
from bot.dates.formatting import DATE_FORMATS, day_first, discord_timestamp, format_date, short_day
from bot.dates.periods import (
    MAX_PERIOD_DAYS,
    PERIOD_HELP,
    Period,
    iso_week,
    last_days,
    month_period,
    parse_period,
)
from bot.dates.typed import parse_date, parse_time, parse_weekday, split_date_time, split_zone
from bot.dates.weekly import WeeklySlot, next_weekly, weekly_clock_changes, weekly_clock_notes
from bot.dates.written import WrittenDate, written_date
from bot.dates.zones import (
    ClockChange,
    all_timezones,
    clock_change,
    local_to_utc,
    search_timezones,
    timezone,
    utc_to_local,
)

__all__ = [
    "DATE_FORMATS",
    "DATE_LIMIT",
    "DATE_TIME_LIMIT",
    "HELP_DATES",
    "MAX_PERIOD_DAYS",
    "MONTHS",
    "PERIOD_HELP",
    "PERIOD_LIMIT",
    "TIMEZONE_LIMIT",
    "TIME_LIMIT",
    "WEEKDAYS",
    "ClockChange",
    "DateColumn",
    "Period",
    "WeeklySlot",
    "WrittenDate",
    "YearHint",
    "all_timezones",
    "clock_change",
    "day_first",
    "discord_timestamp",
    "format_date",
    "iso_week",
    "last_days",
    "local_to_utc",
    "month_period",
    "next_weekly",
    "parse_date",
    "parse_period",
    "parse_time",
    "parse_weekday",
    "read_date_column",
    "search_timezones",
    "short_day",
    "split_date_time",
    "split_zone",
    "timezone",
    "utc_to_local",
    "weekly_clock_changes",
    "weekly_clock_notes",
    "written_date",
    "year_hint",
]
