"""The real bot logs in to the fake Discord, receives its server and answers a command."""

from __future__ import annotations

from tests.e2e.conftest import App


async def test_bot_logs_in_syncs_once_and_answers_help(app: App) -> None:
    assert app.bot.is_ready()
    assert app.bot.get_guild(app.guild.id) is not None
    registered = {c["name"] for c in app.discord.registered_commands()}
    assert {"help", "session", "setup"} <= registered
    syncs = app.discord.requests_matching("PUT", r"/applications/\d+/commands")
    assert len(syncs) == 1

    reply = await app.slash(app.member, "help")
    assert reply.ephemeral
    assert reply.embeds[0]["title"] == "Reading group assistant"
    fields = {f["name"] for f in reply.embeds[0]["fields"]}
    assert {"/session", "/setup", "/help"} <= fields


async def test_restart_does_not_sync_an_unchanged_tree(app: App) -> None:
    await app.restart()
    assert app.bot.is_ready()
    syncs = app.discord.requests_matching("PUT", r"/applications/\d+/commands")
    assert len(syncs) == 1  # the hash stored at the first start matched


async def test_unexpected_errors_show_an_id_not_a_traceback(app: App, caplog) -> None:  # type: ignore[no-untyped-def]
    async def broken(interaction):  # type: ignore[no-untyped-def]
        raise RuntimeError("database on fire")

    command = app.bot.tree.get_command("help")
    assert command is not None
    original = command.callback
    command._callback = broken  # type: ignore[attr-defined]
    try:
        reply = await app.slash(app.member, "help")
    finally:
        command._callback = original  # type: ignore[attr-defined]
    assert reply.ephemeral
    assert "error id" in reply.content
    assert "database on fire" not in reply.content
    assert "Traceback" not in reply.content
    error_id = reply.content.split("`")[1]
    assert any(error_id in record.getMessage() for record in caplog.records)
