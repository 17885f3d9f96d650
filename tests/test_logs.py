"""Secrets never reach the log: known values and anything shaped like a bot token."""

from __future__ import annotations

import logging

import pytest

from bot.logs import RedactingFilter, setup_logging

TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


def test_known_secrets_and_token_shapes_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.redaction")
    log.addFilter(RedactingFilter(["sk-live-secret-key"]))
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            log.info("key %s and token %s", "sk-live-secret-key", TOKEN)
            log.info("header Authorization: Bearer sk-other-key-123")
            try:
                raise RuntimeError(f"failed with {TOKEN}")
            except RuntimeError:
                log.exception("boom")
    finally:
        log.filters.clear()
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "sk-live-secret-key" not in text
    assert TOKEN not in text
    assert "sk-other-key-123" not in text
    assert text.count("[redacted]") >= 4


def test_setup_logging_installs_the_filter(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging(logging.INFO, ["hunter2-secret"])
        logging.getLogger("bot.test").warning("the secret is hunter2-secret")
        err = capsys.readouterr().err
        assert "hunter2-secret" not in err
        assert "the secret is [redacted]" in err
    finally:
        root.handlers[:], root.level = saved[0], saved[1]


def test_github_tokens_are_redacted() -> None:
    redact = RedactingFilter([]).redact
    fine_grained = (
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS"
    )
    app_token = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
    text = redact(
        f"token {fine_grained}; installation {app_token}; "
        "headers {'Authorization': 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789'}"
    )
    assert "github_pat_" not in text and "ghs_16C7" not in text and "ghp_" not in text
    assert text.count("[redacted]") == 3


def test_scheduler_lines_are_debug_and_voice_warnings_are_silent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    executor = logging.getLogger("apscheduler.executors.default")
    client = logging.getLogger("discord.client")
    try:
        for level in (logging.INFO, logging.DEBUG):
            setup_logging(level)
            executor.info('Running job "%s" (scheduled at %s)', "wake", "10:00")
            client.warning("PyNaCl is not installed, voice will NOT be supported")
            client.warning("davey is not installed, voice will NOT be supported")
            client.warning("Shard ID %s heartbeat blocked for more than 10 seconds.", 0)
            err = capsys.readouterr().err
            assert "voice" not in err
            assert "heartbeat blocked" in err  # other warnings of discord.client stay
            if level == logging.INFO:
                assert "Running job" not in err
            else:
                assert 'DEBUG   apscheduler.executors.default: Running job "wake"' in err
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        client.filters.clear()


def test_tracebacks_in_the_log_leave_out_what_members_typed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    typed = "my unpublished idea about sparse attention"
    try:
        setup_logging(logging.DEBUG)
        log = logging.getLogger("bot.test")
        try:
            try:
                int(typed)
            except ValueError as exc:
                raise KeyError(typed) from exc
        except KeyError:
            log.exception("handler failed")
        err = capsys.readouterr().err
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    assert typed not in err
    assert "handler failed" in err
    assert "int(typed)" in err  # the frames stay: file, line and source
    assert "builtins.ValueError: (message not logged" in err
    assert "builtins.KeyError: (message not logged" in err
