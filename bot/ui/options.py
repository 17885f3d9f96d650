"""Slash-command option types and descriptions shared by the cogs.

Each type carries the length the services enforce, so Discord's client stops over-long input
before it is sent; each description is written once and reads the same in every command.
"""

from __future__ import annotations

from discord import app_commands

from bot.readinglist.service import TOPIC_PATH_LIMIT
from bot.text import NAME_LIMIT, TITLE_LIMIT

# Dates and times as members type them (read by bot.dates).
DateText = app_commands.Range[str, 1, 60]
DayText = app_commands.Range[str, 1, 40]
TimeText = app_commands.Range[str, 1, 20]
Minutes = app_commands.Range[int, 5, 720]

# Papers: one reference, several, and the README's Code/Demo cells.
PaperRef = app_commands.Range[str, 1, 500]
PaperRefs = app_commands.Range[str, 1, 6000]
PaperList = app_commands.Range[str, 1, 1000]
MorePapers = app_commands.Range[str, 1, 2000]
Authors = app_commands.Range[str, 1, 1000]
LinkCell = app_commands.Range[str, 1, 1500]

# Names and short texts.
Title = app_commands.Range[str, 1, TITLE_LIMIT]
Name = app_commands.Range[str, 1, NAME_LIMIT]
Note = app_commands.Range[str, 1, 300]
TopicPath = app_commands.Range[str, 1, TOPIC_PATH_LIMIT]
BlockPart = app_commands.Range[int, 1, 999]

# Descriptions used by more than one command.
SESSION_DEFAULT = "The session (default: the one in progress or the last one)"
DATE = "Day of the session: 2025-02-07, 07.02.2025 or 'next thursday'"
BACKFILL = "Allow a date in the past"
NOTES = "Anything else worth knowing"
PRIVATE_LIST = "Show the list only to you"
