"""Slash-command option types and descriptions shared by the cogs.

Each type carries the length the services enforce, imported from where it is enforced, so
Discord's client stops over-long input before it is sent and the two never disagree; each
description is written once and reads the same in every command.
"""

from __future__ import annotations

from discord import app_commands

from bot.candidates.service import QUERY_LIMIT
from bot.dates import DATE_LIMIT, DATE_TIME_LIMIT, PERIOD_LIMIT, TIME_LIMIT, TIMEZONE_LIMIT
from bot.discussion.service import COMMENT_LIMIT
from bot.guilds import EVENT_LOCATION_LIMIT, GROUP_NAME_LIMIT
from bot.papers.proposals import NOTE_LIMIT
from bot.papers.refs import AUTHORS_LIMIT, LINKS_LIMIT, REFS_LIMIT, URL_LIMIT
from bot.publish.plan import BRANCH_LIMIT, PATH_LIMIT, REPOSITORY_LIMIT
from bot.readinglist.service import TOPIC_PATH_LIMIT
from bot.reminders.plan import LEAD_TIMES_LIMIT
from bot.schedule.drafts import BLOCK_NAME_LIMIT
from bot.text import NAME_LIMIT, NOTES_LIMIT, TITLE_LIMIT

# Dates and times as members type them (read by bot.dates).
DateText = app_commands.Range[str, 1, DATE_TIME_LIMIT]  # a date, optionally with a time
DayText = app_commands.Range[str, 1, DATE_LIMIT]
TimeText = app_commands.Range[str, 1, TIME_LIMIT]
Period = app_commands.Range[str, 1, PERIOD_LIMIT]
TimeZoneName = app_commands.Range[str, 1, TIMEZONE_LIMIT]
Minutes = app_commands.Range[int, 5, 720]

# Papers: one reference, several, and the README's Code/Demo cells.
PaperRef = app_commands.Range[str, 1, URL_LIMIT]
PaperRefs = app_commands.Range[str, 1, REFS_LIMIT]
PaperList = PaperRefs
MorePapers = PaperRefs
Authors = app_commands.Range[str, 1, AUTHORS_LIMIT]
LinkCell = app_commands.Range[str, 1, LINKS_LIMIT]
CandidateQuery = app_commands.Range[str, 1, QUERY_LIMIT]

# Names and short texts.
Title = app_commands.Range[str, 1, TITLE_LIMIT]
Name = app_commands.Range[str, 1, NAME_LIMIT]  # a person's name
Notes = app_commands.Range[str, 1, NOTES_LIMIT]
Note = app_commands.Range[str, 1, NOTE_LIMIT]
CommentText = app_commands.Range[str, 1, COMMENT_LIMIT]
BlockName = app_commands.Range[str, 1, BLOCK_NAME_LIMIT]
TopicPath = app_commands.Range[str, 1, TOPIC_PATH_LIMIT]
BlockPart = app_commands.Range[int, 1, 999]
GroupName = app_commands.Range[str, 1, GROUP_NAME_LIMIT]
EventLocation = app_commands.Range[str, 1, EVENT_LOCATION_LIMIT]
LeadTimes = app_commands.Range[str, 1, LEAD_TIMES_LIMIT]

# Publishing to GitHub.
Repository = app_commands.Range[str, 3, REPOSITORY_LIMIT]
Branch = app_commands.Range[str, 1, BRANCH_LIMIT]
RepositoryPath = app_commands.Range[str, 1, PATH_LIMIT]

# Descriptions used by more than one command.
SESSION_DEFAULT = "The session (default: the one in progress or the last one)"
DATE = "Day of the session: 2025-02-07, 07.02.2025 or 'next thursday'"
BACKFILL = "Allow a date in the past"
NOTES = "Anything else worth knowing"
PRIVATE_LIST = "Show the list only to you"
