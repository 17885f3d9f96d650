"""Typed settings read from the environment and an optional ``.env`` file.

Every variable is documented in ``.env.example``. :func:`load_settings` turns any missing or
malformed value into a :class:`SettingsError` whose message is one line naming the variable,
so ``python -m bot`` can print it and exit with status 2 instead of a traceback.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.db import DEFAULT_DATABASE_URL

DEFAULT_ARXIV_QUERY_URL = "https://export.arxiv.org/api/query?{}"
DEFAULT_HF_ENDPOINT = "https://huggingface.co"
DEFAULT_GITHUB_API_URL = "https://api.github.com"

# Discord ids (snowflakes) are positive and fit a signed 64-bit column.
SNOWFLAKE_MAX = 2**63 - 1

_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class SettingsError(Exception):
    """A configuration problem, described in one line that names the variable."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        validate_default=True,
        # `NAME=` (as .env.example ships most names) means "not set": the default applies.
        env_ignore_empty=True,
    )

    discord_token: SecretStr | None = Field(default=None, description="Bot token")
    database_url: str = Field(default=DEFAULT_DATABASE_URL)
    # Connections each process keeps to the database, the extra ones it may open under load,
    # and how long a command waits for one before it answers that the bot is busy.
    database_pool_size: int = Field(default=10, ge=1)
    database_pool_overflow: int = Field(default=10, ge=0)
    database_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = Field(default=60.0, gt=0)
    llm_token_budget: int = Field(default=6000, ge=500)
    llm_cooldown_seconds: float = Field(default=300.0, ge=0)
    message_content_intent: bool = False
    default_timezone: str = "UTC"
    dev_guild_id: int | None = Field(default=None, gt=0, le=SNOWFLAKE_MAX)
    log_level: str = "INFO"
    arxiv_api_url: str = DEFAULT_ARXIV_QUERY_URL
    arxiv_min_interval_seconds: float = Field(default=3.0, ge=0)
    # Candidates from the Hugging Face Daily Papers feed
    hf_endpoint: str = DEFAULT_HF_ENDPOINT
    feed_timeout_seconds: float = Field(default=20.0, gt=0)
    feed_request_budget: int = Field(default=60, ge=1)
    feed_cache_minutes: float = Field(default=30.0, ge=0)
    embeddings_model: str | None = None
    github_token: SecretStr | None = None
    github_api_url: str = DEFAULT_GITHUB_API_URL
    github_timeout_seconds: float = Field(default=20.0, gt=0)
    # Scale-out: Discord sharding across processes, proxies in front of Discord, health.
    shard_count: int | None = Field(default=None, ge=1, le=65536)
    shard_ids: str | None = None
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    health_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
            ) from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.strip().upper()
        if upper not in _LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
        return upper

    def pool_options(self) -> dict[str, Any]:
        """The database engine's pool, as ``Database.open`` takes it."""
        return {
            "pool_size": self.database_pool_size,
            "max_overflow": self.database_pool_overflow,
            "pool_timeout": self.database_pool_timeout_seconds,
        }

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        if "://" not in value:
            raise ValueError("must be a URL such as sqlite+aiosqlite:///data/reading_group.db")
        return value

    @field_validator("arxiv_api_url")
    @classmethod
    def _arxiv_url_shape(cls, value: str) -> str:
        if "{}" not in value or not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL containing '{}' where the query goes")
        return value

    @field_validator("openai_base_url")
    @classmethod
    def _base_url_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as http://localhost:8000/v1")
        return value.strip()

    @field_validator("hf_endpoint")
    @classmethod
    def _hf_endpoint_shape(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://huggingface.co")
        return value

    @field_validator("embeddings_model")
    @classmethod
    def _embeddings_model_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()

    @field_validator("github_api_url")
    @classmethod
    def _github_url_shape(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                "must be an http(s) URL such as https://api.github.com or, for GitHub "
                "Enterprise Server, https://github.example.com/api/v3"
            )
        return value

    @field_validator("github_token")
    @classmethod
    def _blank_token_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        return SecretStr(value.get_secret_value().strip())

    @field_validator("shard_count", "health_port", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("shard_ids")
    @classmethod
    def _shard_ids_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_shard_ids(value)
        return value.strip()

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        ids = self.shard_id_list
        if ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT (the total number of shards)")
            outside = [i for i in ids if i >= self.shard_count]
            if outside:
                raise ValueError(
                    f"SHARD_IDS has {outside[0]}, but shards are numbered 0 to "
                    f"{self.shard_count - 1} with SHARD_COUNT={self.shard_count}"
                )
        return self

    @field_validator("discord_api_base")
    @classmethod
    def _api_base_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as http://nirn-proxy:8080/api/v10")
        if not re.search(r"/api/v\d+$", value):
            value += "/api/v10"
        return value

    @field_validator("discord_gateway_url")
    @classmethod
    def _gateway_url_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("must be a ws(s) URL such as ws://gateway-proxy:7878")
        return value

    @property
    def shard_id_list(self) -> list[int] | None:
        """The shards this process runs (None: all of ``shard_count``, or no sharding)."""
        return parse_shard_ids(self.shard_ids) if self.shard_ids else None

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None

    @property
    def llm_enabled(self) -> bool:
        """An LLM endpoint is usable with a key, a local base URL, or both."""
        return self.openai_api_key is not None or self.openai_base_url is not None

    def require_token(self) -> str:
        if self.discord_token is None or not self.discord_token.get_secret_value().strip():
            raise SettingsError(
                "DISCORD_TOKEN is not set: put your bot token in the environment or in .env "
                "(see .env.example)"
            )
        return self.discord_token.get_secret_value().strip()

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def parse_shard_ids(text: str) -> list[int]:
    """``"0,1"``, ``"2-3"`` or ``"0, 4-5"`` → sorted distinct shard ids."""
    ids: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        first, sep, last = part.partition("-")
        try:
            low = int(first)
            high = int(last) if sep else low
        except ValueError:
            raise ValueError(
                f"{part!r} is not a shard id: use numbers and ranges such as 0,1 or 0-3"
            ) from None
        if low < 0 or high < low:
            raise ValueError(f"{part!r} is not a shard range: use e.g. 0-3")
        ids.update(range(low, high + 1))
    if not ids:
        raise ValueError("names no shard: use numbers and ranges such as 0,1 or 0-3")
    return sorted(ids)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    message = first.get("msg", "invalid value")
    message = message.removeprefix("Value error, ")
    loc = first.get("loc")
    if not loc:  # a check across several variables: its message names them
        return message
    return f"{str(loc[0]).upper()} is invalid: {message}"


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Read the settings, or raise :class:`SettingsError` with one clear line."""
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    except UnicodeDecodeError:
        raise SettingsError(f"{env_file} is not UTF-8 text: save it again as UTF-8") from None
    except OSError as exc:
        raise SettingsError(f"cannot read {env_file}: {exc.strerror or exc}") from None
