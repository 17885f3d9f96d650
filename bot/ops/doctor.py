"""The checks of ``python -m bot doctor`` that need no Discord: the token's shape, the
database and its schema revision, the LLM endpoint and arXiv. Each gives a :class:`Check`;
:func:`render` prints them as a table of what is fine and what to fix."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from bot.settings import Settings

OK, FIX, SKIP, INFO = "ok", "FIX", "skip", "info"
TIMEOUT = 10.0
ARXIV_PROBE = "1605.08386"  # any paper arXiv has; one request, no retries


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str  # ok, FIX, skip, info
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == FIX


def token_shape(token: str | None) -> Check:
    """A bot token is three dot-separated base64 parts; the first is the bot's user id."""
    name = "Discord token"
    if token is None or not token.strip():
        return Check(name, FIX, "DISCORD_TOKEN is not set (Developer Portal → Bot → Reset Token)")
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        return Check(
            name,
            FIX,
            "DISCORD_TOKEN does not look like a bot token (three parts separated by dots)",
        )
    head = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        user_id = base64.urlsafe_b64decode(head.encode()).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        user_id = ""
    if not user_id.isdigit():
        return Check(
            name, FIX, "DISCORD_TOKEN's first part is not a bot id: copy the whole token again"
        )
    return Check(name, OK, f"shaped like a bot token (bot id {user_id})")


async def database(settings: Settings) -> tuple[Check, Check | None]:
    """Whether the database answers, and whether its schema is the one this version wants."""
    from storage.db import Database, StorageError, describe_url

    try:
        db = await Database.open(settings.database_url)
    except StorageError as exc:
        return Check("Database", FIX, str(exc)), None
    try:
        where = describe_url(db.url)
        damage = await db.damage()
        if damage is not None:
            return Check("Database", FIX, damage), None
        current = await db.current_revision()
        head = db.head_revision()
    finally:
        await db.close()
    answered = Check("Database", OK, f"{where} answers")
    if current == head:
        return answered, Check("Schema", OK, f"at revision {head}")
    if current is None:
        return answered, Check(
            "Schema", FIX, "empty database: start the bot or run `python -m bot migrate`"
        )
    try:
        from alembic.script import ScriptDirectory

        from storage.db import alembic_config

        ScriptDirectory.from_config(alembic_config()).get_revision(current)
    except Exception:
        return answered, Check(
            "Schema", FIX, f"revision {current} is newer than this bot ({head}): upgrade the bot"
        )
    return answered, Check(
        "Schema", FIX, f"at {current}, this bot needs {head}: run `python -m bot migrate`"
    )


async def llm(settings: Settings) -> Check:
    name = "LLM endpoint"
    if not settings.llm_enabled:
        return Check(name, SKIP, "not configured (optional: /summarize and /paper tldr need it)")
    import openai

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
    client = openai.AsyncOpenAI(
        api_key=key, base_url=settings.openai_base_url, timeout=TIMEOUT, max_retries=0
    )
    where = settings.openai_base_url or "OpenAI"
    try:
        models = [m.id async for m in client.models.list()]
    except openai.AuthenticationError:
        return Check(name, FIX, f"{where} refused OPENAI_API_KEY")
    except openai.APIStatusError as exc:
        return Check(name, FIX, f"{where} answered HTTP {exc.status_code}")
    except openai.APIError as exc:
        return Check(name, FIX, f"{where} does not answer ({exc.__class__.__name__})")
    finally:
        await client.close()
    if models and settings.llm_model not in models:
        return Check(
            name, FIX, f"{where} answers but has no model {settings.llm_model!r} (LLM_MODEL)"
        )
    return Check(name, OK, f"{where} answers; model {settings.llm_model}")


async def arxiv(settings: Settings) -> Check:
    from bot.errors import ServiceUnavailable
    from bot.papers.arxiv import ArxivService

    service = ArxivService(
        settings.arxiv_api_url, min_interval=0.0, max_attempts=1, timeout=TIMEOUT
    )
    try:
        found = await service.fetch([ARXIV_PROBE])
    except ServiceUnavailable as exc:
        return Check("arXiv", FIX, f"does not answer: {exc}")
    if ARXIV_PROBE not in found:
        return Check("arXiv", FIX, "answers, but not with papers (check ARXIV_API_URL)")
    return Check("arXiv", OK, "answers")


def render(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = [f"{'check'.ljust(width)}  status  detail", f"{'-' * width}  ------  ------"]
    for check in checks:
        lines.append(f"{check.name.ljust(width)}  {check.status.ljust(6)}  {check.detail}")
    failed = [c for c in checks if c.failed]
    lines.append("")
    lines.append(
        f"{len(failed)} thing{'s' if len(failed) != 1 else ''} to fix" if failed else "all fine"
    )
    return "\n".join(lines) + "\n"
