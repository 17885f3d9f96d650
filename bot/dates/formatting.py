"""How dates are shown: the display formats a server can choose (and whether they write the
day first), the short day of a note about the clocks, and Discord timestamps.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.dates.common import MONTHS

# Display formats the guild can choose, in the README's spirit (default DD.MM.YYYY).
DATE_FORMATS: dict[str, str] = {
    "DD.MM.YYYY": "%d.%m.%Y",
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "D MMM YYYY": "%-d %b %Y",
    "MMM D, YYYY": "%b %-d, %Y",
}


def format_date(value: date, fmt: str) -> str:
    pattern = DATE_FORMATS.get(fmt, DATE_FORMATS["DD.MM.YYYY"])
    if "%-d" in pattern:
        pattern = pattern.replace("%-d", str(value.day))
    return value.strftime(pattern)


def day_first(date_format: str) -> bool | None:
    """Whether the server's date format writes the day before the month (None: it does not
    say, as in YYYY-MM-DD)."""
    return {
        "DD.MM.YYYY": True,
        "DD/MM/YYYY": True,
        "D MMM YYYY": True,
        "MM/DD/YYYY": False,
        "MMM D, YYYY": False,
    }.get(date_format)


def short_day(day: date) -> str:
    """'25 Oct 2026', whatever the server's date format (a note about the clocks)."""
    return f"{day.day} {MONTHS[day.month - 1][:3].title()} {day.year}"


def discord_timestamp(moment: datetime, style: str = "F") -> str:
    """``<t:UNIX:F>``: every member sees the time in their own zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"
