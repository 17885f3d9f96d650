"""The words and limits every date rule shares: weekday and month names, the hint shown
with a date that cannot be read, and how long typed dates, times, periods and zones may be.
"""

from __future__ import annotations

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ABBREV = {name[:3]: i for i, name in enumerate(WEEKDAYS)}
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_LOOKUP = (
    {name: i + 1 for i, name in enumerate(MONTHS)}
    | {name[:3]: i + 1 for i, name in enumerate(MONTHS)}
    | {"sept": 9}
)


HELP_DATES = "Write the date as 2025-02-07 or 07.02.2025 (or 'next thursday')."

# What members may type (the slash-command options declare the same lengths).
DATE_LIMIT = 40  # a date: "2025-02-07", "next thursday"
DATE_TIME_LIMIT = 60  # a date with an optional time: "2025-02-07 18:00"
TIME_LIMIT = 20  # a time of day: "18:00", "6:30 pm"
PERIOD_LIMIT = 40  # a span of days: "2025-W06", "last 14 days"
TIMEZONE_LIMIT = 64  # an IANA name: "America/Argentina/ComodRivadavia"
