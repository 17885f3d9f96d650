"""The whole domain as SQLModel tables. Every row is scoped by ``guild_id``.

Discord ids (snowflakes) are 64-bit and stored as BIGINT. Times are aware UTC datetimes
(:class:`storage.types.UTCDateTime`). Enumerations are stored as short strings so that adding
a value needs no database-specific enum migration.

The schema itself is owned by the Alembic migrations in ``storage/migrations``; a test checks
that these models and the migration head agree.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

# Naming convention so constraint names are stable across SQLite and PostgreSQL and
# Alembic can refer to them in later migrations.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Keyed(Protocol):
    id: int | None


def id_of(row: Keyed) -> int:
    """The primary key of a row that has been saved (flushed): ``id`` is ``None`` before."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id


def _snowflake(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=BigInteger, nullable=nullable, index=index)


def _guild_id() -> Any:
    return Field(sa_type=BigInteger, nullable=False, index=True)


def _number() -> Any:
    """The row's number within its server (see ``storage.repositories.numbering``); set by
    the repository that inserts the row, never by hand."""
    return Field(default=None, sa_type=Integer, nullable=False)


def _numbered(table: str) -> Index:
    """The unique index of a numbered table: one ``number`` per server (an index rather than
    a constraint so that SQLite adds it to an existing table without rebuilding it)."""
    return Index(f"uq_{table}_guild_number", "guild_id", "number", unique=True)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _fk(target: str, *, ondelete: str, nullable: bool, index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index
        ),
    )


class SessionKind(StrEnum):
    """The six kinds of session the group's README holds."""

    PAPER = "paper"  # one paper
    CONTINUE = "continue"  # continues an earlier session ("Continue", "Still (sic!) continue")
    BLOCK_PART = "block_part"  # "**RLHF Block.** Part 2. ..."
    TOPIC = "topic"  # a topic with several papers ("Knowledge Distillation")
    SPECIAL = "special"  # "Code Reading Group"
    TBA = "tba"  # a date with nothing yet


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class PaperRole(StrEnum):
    MAIN = "main"
    SEE_ALSO = "see_also"


class PaperSource(StrEnum):
    ARXIV = "arxiv"  # metadata fetched from arXiv
    MANUAL = "manual"  # a member gave the metadata (OpenReview, distill.pub, a PDF...)
    IMPORT = "import"  # read from a markdown schedule


class ProposalStatus(StrEnum):
    OPEN = "open"
    WITHDRAWN = "withdrawn"
    SCHEDULED = "scheduled"


class CommentSource(StrEnum):
    COMMAND = "command"
    MESSAGE = "message"  # the "Log as discussion comment" context menu
    THREAD = "thread"  # imported from a session thread
    IMPORT = "import"  # the Comments column of an imported schedule


class DeliveryStatus(StrEnum):
    CLAIMED = "claimed"  # an instance is posting it (or crashed while doing so)
    SENT = "sent"
    SKIPPED = "skipped"  # its session already happened while the bot was down
    BLOCKED = "blocked"  # Discord refused (missing access); kept pending


# --------------------------------------------------------------------------------------
# Guild configuration and bookkeeping


class GuildConfig(SQLModel, table=True):
    """Per-server settings, changed with ``/setup`` and ``/reminders``."""

    __tablename__ = "guild_settings"

    guild_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    group_name: str | None = Field(default=None, sa_type=String(200))
    timezone: str = Field(default="UTC", sa_type=String(64))
    meeting_weekday: int | None = None  # 0 = Monday ... 6 = Sunday
    meeting_time: time | None = Field(default=None, sa_type=Time)
    session_minutes: int = 60
    date_format: str = Field(default="DD.MM.YYYY", sa_type=String(32))
    organizer_role_id: int | None = _snowflake()
    announcement_channel_id: int | None = _snowflake()
    event_channel_id: int | None = _snowflake()  # voice/stage channel for scheduled events
    event_location: str | None = Field(default=None, sa_type=String(100))
    events_enabled: bool = True
    weekly_enabled: bool = False
    weekly_weekday: int = 0
    weekly_time: time = Field(default=time(10, 0), sa_type=Time)
    lead_times_minutes: list[int] = Field(default_factory=lambda: [60], sa_type=JSON)
    lead_reminders_enabled: bool = True
    ping_role_id: int | None = _snowflake()
    threads_enabled: bool = False
    export_pin_channel_id: int | None = _snowflake()
    export_pin_message_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class GuildNotice(SQLModel, table=True):
    """Notices the organizers must get once (e.g. "grant Manage Events"), not on every try."""

    __tablename__ = "guild_notices"

    guild_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    key: str = Field(sa_type=String(100), primary_key=True)
    created_at: datetime = _created()


class BotState(SQLModel, table=True):
    """Process-wide key/value state, e.g. the hash of the last synced command tree."""

    __tablename__ = "bot_state"

    key: str = Field(sa_type=String(100), primary_key=True)
    value: str = Field(sa_type=Text)
    updated_at: datetime = _created()


# --------------------------------------------------------------------------------------
# Schedule


class ReadingSession(SQLModel, table=True):
    """One meeting of the group."""

    __tablename__ = "reading_sessions"
    __table_args__ = (
        Index("ix_reading_sessions_guild_starts", "guild_id", "starts_at"),
        # The read commands count and page a server's scheduled sessions by start time.
        Index("ix_reading_sessions_guild_status_starts", "guild_id", "status", "starts_at"),
        _numbered("reading_sessions"),
    )

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _guild_id()
    number: int = _number()
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    duration_minutes: int = 60
    kind: str = Field(default=SessionKind.PAPER, sa_type=String(16))
    title: str | None = Field(default=None, sa_type=Text)
    notes: str | None = Field(default=None, sa_type=Text)
    block_name: str | None = Field(default=None, sa_type=String(200))
    block_part: int | None = None
    continues_id: int | None = _fk("reading_sessions.id", ondelete="SET NULL", nullable=True)
    presenter_id: int | None = _snowflake()
    presenter_name: str | None = Field(default=None, sa_type=String(200))
    status: str = Field(default=SessionStatus.SCHEDULED, sa_type=String(16))
    discord_event_id: int | None = _snowflake()
    thread_id: int | None = _snowflake()
    source: str = Field(default="command", sa_type=String(16))
    # Free-form data that has no column of its own, e.g. the unknown columns of an imported
    # table ("Why should we care") or the raw cells of an imported row.
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_by: int | None = _snowflake()
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Paper(SQLModel, table=True):
    """A paper or other reading (blog post, PDF). Metadata is cached per server."""

    __tablename__ = "papers"
    __table_args__ = (UniqueConstraint("guild_id", "ref_key"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _guild_id()
    # "arxiv:2304.08485" for arXiv papers (version-free), "url:<url>" otherwise.
    ref_key: str = Field(sa_type=String(600))
    arxiv_id: str | None = Field(default=None, sa_type=String(64), index=True)
    arxiv_version: int | None = None
    url: str | None = Field(default=None, sa_type=String(2000))
    title: str = Field(sa_type=Text)
    authors: list[str] = Field(default_factory=list, sa_type=JSON)
    abstract: str | None = Field(default=None, sa_type=Text)
    categories: list[str] = Field(default_factory=list, sa_type=JSON)
    primary_category: str | None = Field(default=None, sa_type=String(64))
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    source_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    comment: str | None = Field(default=None, sa_type=Text)
    journal_ref: str | None = Field(default=None, sa_type=Text)
    doi: str | None = Field(default=None, sa_type=String(200))
    pdf_url: str | None = Field(default=None, sa_type=String(2000))
    # [[label, url], ...] in the README's style: [["GitHub", "https://..."], ...]
    code_links: list[list[str]] = Field(default_factory=list, sa_type=JSON)
    demo_links: list[list[str]] = Field(default_factory=list, sa_type=JSON)
    links_edited: bool = False  # an organizer edited the links: a refresh keeps them
    source: str = Field(default=PaperSource.ARXIV, sa_type=String(16))
    fetched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class SessionPaper(SQLModel, table=True):
    """A paper discussed in a session, in order, as main reading or "see also"."""

    __tablename__ = "session_papers"

    session_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("reading_sessions.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    paper_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    guild_id: int = _guild_id()
    position: int = 0
    role: str = Field(default=PaperRole.MAIN, sa_type=String(16))
    label: str | None = Field(default=None, sa_type=Text)  # link text when not the title


# --------------------------------------------------------------------------------------
# Proposals and votes


class Proposal(SQLModel, table=True):
    __tablename__ = "proposals"
    __table_args__ = (_numbered("proposals"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _guild_id()
    number: int = _number()
    paper_id: int = _fk("papers.id", ondelete="CASCADE", nullable=False)
    proposer_id: int = Field(sa_type=BigInteger)
    presenter_id: int | None = _snowflake()
    status: str = Field(default=ProposalStatus.OPEN, sa_type=String(16))
    session_id: int | None = _fk("reading_sessions.id", ondelete="SET NULL", nullable=True)
    channel_id: int | None = _snowflake()
    message_id: int | None = _snowflake()
    note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Vote(SQLModel, table=True):
    """One vote per member and proposal; a second click removes it."""

    __tablename__ = "votes"

    proposal_id: int = Field(
        sa_column=Column(Integer, ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    guild_id: int = _guild_id()
    created_at: datetime = _created()


# --------------------------------------------------------------------------------------
# Discussion and summaries


class Comment(SQLModel, table=True):
    __tablename__ = "comments"
    __table_args__ = (_numbered("comments"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _guild_id()
    number: int = _number()
    session_id: int = _fk("reading_sessions.id", ondelete="CASCADE", nullable=False)
    author_id: int | None = _snowflake()
    author_name: str = Field(default="", sa_type=String(200))
    text: str = Field(sa_type=Text)
    # The Discord message a comment was logged from; logging it twice keeps one copy.
    message_id: int | None = Field(default=None, sa_type=BigInteger, unique=True)
    channel_id: int | None = _snowflake()
    jump_url: str | None = Field(default=None, sa_type=String(300))
    pinned: bool = False  # goes to the Comments column of the exported schedule
    source: str = Field(default=CommentSource.COMMAND, sa_type=String(16))
    logged_by: int | None = _snowflake()
    created_at: datetime = _created()


class Summary(SQLModel, table=True):
    """An LLM summary of a session, keyed by the hash of exactly what the model was given."""

    __tablename__ = "summaries"
    __table_args__ = (UniqueConstraint("session_id", "model", "input_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _guild_id()
    session_id: int = _fk("reading_sessions.id", ondelete="CASCADE", nullable=False)
    model: str = Field(sa_type=String(200))
    input_hash: str = Field(sa_type=String(64))
    summary: str = Field(sa_type=Text)
    key_points: list[str] = Field(default_factory=list, sa_type=JSON)
    open_questions: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = _created()


# --------------------------------------------------------------------------------------
# Reading list


class ReadingTopic(SQLModel, table=True):
    """A topic of the reading list; topics nest ("Representation Learning / Fusion")."""

    __tablename__ = "reading_topics"
    __table_args__ = (UniqueConstraint("guild_id", "path"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _guild_id()
    parent_id: int | None = _fk("reading_topics.id", ondelete="CASCADE", nullable=True)
    name: str = Field(sa_type=String(200))
    path: str = Field(sa_type=String(1000))  # "Representation Learning/Fusion"
    position: int = 0


class ReadingItem(SQLModel, table=True):
    __tablename__ = "reading_items"
    __table_args__ = (UniqueConstraint("topic_id", "paper_id"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _guild_id()
    topic_id: int = _fk("reading_topics.id", ondelete="CASCADE", nullable=False)
    paper_id: int = _fk("papers.id", ondelete="CASCADE", nullable=False)
    label: str | None = Field(default=None, sa_type=String(300))  # "Liang et al."
    read: bool = False
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    position: int = 0
    added_by: int | None = _snowflake()
    created_at: datetime = _created()


# --------------------------------------------------------------------------------------
# Reminders


class ReminderDelivery(SQLModel, table=True):
    """The reminder ledger: one row per (session, reminder kind, due time).

    ``dedupe_key`` spells that triple out ("lead:60:s42:2025-02-07T17:00:00+00:00", or
    "weekly:guild:..." for the weekly announcement, which has no session) so the unique
    constraint holds also where ``session_id`` is NULL.
    """

    __tablename__ = "reminder_deliveries"
    __table_args__ = (UniqueConstraint("guild_id", "dedupe_key"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _guild_id()
    session_id: int | None = _fk("reading_sessions.id", ondelete="SET NULL", nullable=True)
    kind: str = Field(sa_type=String(32))
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    dedupe_key: str = Field(sa_type=String(200))
    status: str = Field(default=DeliveryStatus.CLAIMED, sa_type=String(16), index=True)
    claimed_by: str | None = Field(default=None, sa_type=String(64))
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    channel_id: int | None = _snowflake()
    message_id: int | None = _snowflake()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    late: bool = False
    detail: str | None = Field(default=None, sa_type=Text)


# --------------------------------------------------------------------------------------
# Publishing to GitHub


class PublishMode(StrEnum):
    COMMIT = "commit"  # commit to the branch directly (a pull request if it is protected)
    PULL_REQUEST = "pull_request"  # always through a pull request from the bot's branch


class PublishTarget(SQLModel, table=True):
    """Where a server publishes its schedule on GitHub (``/publish setup``), and the state of
    its automatic publishing.

    A pending automatic publish is ``due_at``: set by the first schedule change after the
    last publish, cleared once published. ``lease_until`` marks a publish in progress (a
    process that dies leaves it to expire); ``changed_at`` tells a change that arrived
    during a publish from one the publish already included.
    """

    __tablename__ = "publish_targets"

    guild_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    repository: str = Field(sa_type=String(200))  # "owner/name"
    branch: str | None = Field(default=None, sa_type=String(255))  # None: the default branch
    path: str = Field(default="README.md", sa_type=String(500))
    mode: str = Field(default=PublishMode.COMMIT, sa_type=String(16))
    auto: bool = False
    # Where the section goes in a file that has no markers yet ("end", "start",
    # "after:<heading>"), as chosen at the last publish that asked.
    placement: str | None = Field(default=None, sa_type=String(300))
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_hash: str | None = Field(default=None, sa_type=String(64))
    last_published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_url: str | None = Field(default=None, sa_type=String(500))
    pull_number: int | None = None
    last_error: str | None = Field(default=None, sa_type=Text)
    failures: int = 0
    created_at: datetime = _created()
    updated_at: datetime = _created()


# --------------------------------------------------------------------------------------
# Candidates from the Daily Papers feed


class FeedPaper(SQLModel, table=True):
    """A paper as the Daily Papers feed lists it: shared by every server (the feed is public).

    Filled from the list answers (title, abstract, upvotes, the day it was on the feed) and,
    within the request budget, from the paper's own answer (keywords, code and project
    links, Spaces). Everything here is untrusted text from outside and is escaped where shown.
    """

    __tablename__ = "feed_papers"

    arxiv_id: str = Field(sa_type=String(64), primary_key=True)
    title: str = Field(sa_type=Text)
    abstract: str = Field(default="", sa_type=Text)
    authors: list[str] = Field(default_factory=list, sa_type=JSON)
    upvotes: int = 0
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    feed_day: date | None = Field(default=None, sa_type=Date, index=True)
    keywords: list[str] = Field(default_factory=list, sa_type=JSON)
    github_repo: str | None = Field(default=None, sa_type=String(500))
    project_page: str | None = Field(default=None, sa_type=String(500))
    spaces: list[str] = Field(default_factory=list, sa_type=JSON)  # Hugging Face Space ids
    listed_at: datetime = _created()
    details_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PaperEmbedding(SQLModel, table=True):
    """An embedding vector, cached by model and the hash of exactly the text embedded."""

    __tablename__ = "paper_embeddings"

    model: str = Field(sa_type=String(200), primary_key=True)
    text_hash: str = Field(sa_type=String(64), primary_key=True)
    dimensions: int
    vector: bytes = Field(sa_type=LargeBinary)  # float32, little-endian
    created_at: datetime = _created()


class CandidateDigestConfig(SQLModel, table=True):
    """The weekly digest of candidates of one server (``/candidates set``); off by default."""

    __tablename__ = "candidate_digests"

    guild_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    enabled: bool = False
    channel_id: int | None = _snowflake()
    weekday: int = 0  # 0 = Monday ... 6 = Sunday
    at: time = Field(default=time(9, 0), sa_type=Time)
    count: int = 5
    created_at: datetime = _created()
    updated_at: datetime = _created()


ALL_TABLES = SQLModel.metadata
