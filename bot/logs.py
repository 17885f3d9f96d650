"""Logging set-up: secrets kept out of every record, what members typed out of every
traceback, routine lines of libraries kept quiet."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable
from typing import Any

_TOKEN_SHAPE = re.compile(r"[MNO][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,40}")
_BEARER = re.compile(r"(?i)(bearer\s+|api[_-]?key[=:]\s*|authorization:\s*token\s+)[^\s'\"]+")
# GitHub's token formats: classic and fine-grained personal access tokens, OAuth, App
# installation (ghs_), user-to-server and refresh tokens.
_GITHUB_TOKEN = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")


class RedactingFilter(logging.Filter):
    """Replaces known secrets, and anything shaped like a bot token, with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        text = _TOKEN_SHAPE.sub("[redacted]", text)
        text = _GITHUB_TOKEN.sub("[redacted]", text)
        return _BEARER.sub(lambda m: m.group(1) + "[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if record.exc_info and record.exc_info[1] is not None and record.exc_text is None:
            record.exc_text = scrubbed_traceback(record.exc_info[1])
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


# discord.py warns at every start that voice needs PyNaCl/davey; this bot has no voice.
_VOICE_WARNING = "voice will NOT be supported"


class NoVoiceWarning(logging.Filter):
    """On ``discord.client``: drops the warnings about voice libraries that are not
    installed (the bot never joins a voice channel)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _VOICE_WARNING not in str(record.msg)


class SchedulerToDebug(logging.Filter):
    """On the handler: APScheduler's routine lines ("Running job …", "executed
    successfully", every minute) become DEBUG records, shown only at LOG_LEVEL=DEBUG."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("apscheduler") and record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return self.level <= logging.DEBUG
        return True


# Exception types whose message is written by code, not made of input: kept in the log.
_SAFE_MESSAGES = (
    AttributeError,
    TypeError,
    NameError,
    ImportError,
    NotImplementedError,
    AssertionError,
    RecursionError,
    ZeroDivisionError,
    OSError,
    TimeoutError,
    RuntimeError,
)
_SAFE_MODULES = ("discord", "asyncio", "aiohttp")


def _safe_message(exc: BaseException) -> str:
    """The part of an exception's message that cannot carry what a member typed."""
    statement = getattr(exc, "statement", None)
    orig = getattr(exc, "orig", None)
    if isinstance(statement, str):  # SQLAlchemy: the driver's first line and the SQL text
        first = str(orig or "").strip().splitlines()
        return f"{first[0] if first else ''} [SQL: {' '.join(statement.split())}]"
    module = type(exc).__module__ or ""
    if module.startswith(("sqlite3", "asyncpg")):  # the driver's first line: no values
        lines = str(exc).strip().splitlines()
        return lines[0] if lines else ""
    if isinstance(exc, _SAFE_MESSAGES) or module.startswith(_SAFE_MODULES):
        return str(exc)
    return "(message not logged: it may hold what a member typed)"


def scrubbed_traceback(exc: BaseException) -> str:
    """``exc``'s traceback, causes included, as Python prints it but with only the
    messages that cannot hold user text (no statement values, no input echoed back)."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts: list[str] = []
    for item in reversed(chain):
        if parts:
            parts.append("\nDuring or because of the above, this was raised:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(item.__traceback__))
        name = f"{type(item).__module__}.{type(item).__qualname__}"
        parts.append(f"{name}: {_safe_message(item)}\n")
    return "".join(parts).rstrip("\n")


class ScrubbingFormatter(logging.Formatter):
    """Every traceback in the log (``log.exception`` anywhere, discord.py's own included)
    without the messages that could hold what a member typed."""

    def formatException(self, ei: Any) -> str:
        error = ei[1] if isinstance(ei, tuple) else None
        if isinstance(error, BaseException):
            return scrubbed_traceback(error)
        return super().formatException(ei)


def setup_logging(level: int, secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        ScrubbingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    handler.addFilter(RedactingFilter(secrets))
    handler.addFilter(SchedulerToDebug(level))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # discord.py logs every gateway event at DEBUG; keep it at INFO unless asked.
    logging.getLogger("discord").setLevel(max(level, logging.INFO))
    voice = logging.getLogger("discord.client")
    if not any(isinstance(f, NoVoiceWarning) for f in voice.filters):
        voice.addFilter(NoVoiceWarning())
    # Never a statement with its values, a request body or a prompt, at any level:
    # SQLAlchemy's echo, aiosqlite's "executing …" lines, the OpenAI client's request dumps.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(max(level, logging.INFO))
    logging.getLogger("openai").setLevel(max(level, logging.INFO))
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
