"""Settings: defaults, .env, and one clear line per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings

VARIABLES = (
    "DISCORD_TOKEN",
    "DATABASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "LLM_MODEL",
    "DEFAULT_TIMEZONE",
    "DEV_GUILD_ID",
    "LOG_LEVEL",
    "ARXIV_API_URL",
    "ARXIV_MIN_INTERVAL_SECONDS",
    "LLM_TIMEOUT_SECONDS",
    "LLM_TOKEN_BUDGET",
    "LLM_COOLDOWN_SECONDS",
    "MESSAGE_CONTENT_INTENT",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_defaults_without_any_configuration(tmp_path: Path) -> None:
    settings = load_settings(env_file=tmp_path / "missing.env")
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.discord_token is None
    assert settings.default_timezone == "UTC"
    assert settings.log_level == "INFO"
    assert not settings.llm_enabled
    assert settings.arxiv_min_interval_seconds == 3.0
    assert settings.llm_cooldown_seconds == 300


def test_env_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "DISCORD_TOKEN=abc.def\nDEFAULT_TIMEZONE=Europe/Berlin\nDEV_GUILD_ID=42\n"
        "OPENAI_BASE_URL=http://localhost:11434/v1\nlog_level=debug\n"
    )
    monkeypatch.setenv("LLM_MODEL", "llama3")
    settings = load_settings(env_file=env)
    assert settings.require_token() == "abc.def"
    assert settings.default_timezone == "Europe/Berlin"
    assert settings.dev_guild_id == 42
    assert settings.llm_model == "llama3"
    assert settings.log_level == "DEBUG"
    assert settings.llm_enabled  # a local server needs no key
    assert "abc.def" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("DEV_GUILD_ID", "not-a-number", "integer"),
        ("DEV_GUILD_ID", "-5", "greater than 0"),
        ("LOG_LEVEL", "LOUD", "one of"),
        ("DATABASE_URL", "data.db", "must be a URL"),
        ("OPENAI_BASE_URL", "localhost:8000", "http"),
        ("ARXIV_API_URL", "https://export.arxiv.org/api/query", "'{}'"),
        ("LLM_TOKEN_BUDGET", "10", "greater than or equal"),
        ("LLM_COOLDOWN_SECONDS", "-1", "greater than or equal"),
    ],
)
def test_malformed_value_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings(env_file=tmp_path / "none.env")
    message = str(info.value)
    assert message.startswith(f"{name} is invalid")
    assert fragment in message
    assert "\n" not in message


def test_missing_token_is_one_line(tmp_path: Path) -> None:
    settings = load_settings(env_file=tmp_path / "none.env")
    with pytest.raises(SettingsError) as info:
        settings.require_token()
    assert str(info.value).startswith("DISCORD_TOKEN is not set")
    assert "\n" not in str(info.value)


def test_env_example_documents_every_variable() -> None:
    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text()
    for name in VARIABLES:
        assert f"{name}=" in example, name
        # each variable has a comment line right above it
        lines = example.splitlines()
        index = next(i for i, line in enumerate(lines) if line.lstrip("# ").startswith(f"{name}="))
        assert lines[index - 1].startswith("#"), name
