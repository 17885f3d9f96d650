"""The fake holds the bot to Discord's contract: schema, limits, deadlines, routes."""

from __future__ import annotations

from typing import Any

import aiohttp
import discord
import pytest
from discord.http import Route

from tests.harness.discord import FakeDiscord, InteractionFailed
from tests.harness.discord.recording import Violation, ViolationLog
from tests.harness.discord.rest import ApiError, Body, check_body
from tests.harness.discord.validation import openapi_path, validate_body
from tests.harness_tests.sample_bot import SampleBot

CALLBACK = r"/interactions/\d+/[^/]+/callback"


def _errors(method: str, path: str, body: Any, *, multipart: bool = False) -> ApiError:
    with pytest.raises(ApiError) as caught:
        check_body(method, path, Body(json=body, multipart=multipart))
    return caught.value


def _codes(error: ApiError, *path: str | int) -> list[str]:
    node: Any = error.errors
    for part in path:
        node = node[str(part)]
    return [e["code"] for e in node["_errors"]]


# ------------------------------------------------------------ pure validation


def test_openapi_document_is_read_from_shared_testdata(monkeypatch: pytest.MonkeyPatch) -> None:
    assert openapi_path().parts[-4:] == ("shared", "testdata", "discord-api", "openapi.json")
    assert openapi_path().is_file()
    monkeypatch.setenv("DISCORD_OPENAPI_PATH", "/elsewhere/openapi.json")
    assert str(openapi_path()) == "/elsewhere/openapi.json"


def test_valid_bodies_pass() -> None:
    check_body("POST", "/channels/1/messages", Body(json={"content": "hello"}))
    check_body(
        "POST",
        "/interactions/1/tok/callback",
        Body(json={"type": 4, "data": {"content": "x" * 2000, "flags": 64}}),
    )
    check_body("PUT", "/applications/1/commands", Body(json=[{"name": "ping", "description": "p"}]))


def test_schema_errors_are_shaped_like_discords() -> None:
    error = _errors("POST", "/channels/1/messages", {"content": 5, "embeds": [{"title": 7}]})
    assert error.status == 400
    assert error.code == 50035
    assert error.violation == "schema"
    assert _codes(error, "content") == ["BASE_TYPE_INVALID"]
    assert _codes(error, "embeds", 0, "title") == ["BASE_TYPE_INVALID"]


def test_union_errors_point_at_the_matching_branch() -> None:
    error = _errors("POST", "/interactions/1/tok/callback", {"type": 9, "data": {"title": "t"}})
    assert set(error.errors["data"]) >= {"custom_id", "components"}  # type: ignore[index]


def test_multipart_attachment_ids_may_be_integers() -> None:
    body = {"content": "f", "attachments": [{"id": 0, "filename": "a.txt"}]}
    assert validate_body("POST", "/channels/1/messages", body, multipart=True) == []
    assert validate_body("POST", "/channels/1/messages", body) != []


def test_allowed_mention_ids_may_be_integers() -> None:
    body = {"content": "<@&5>", "allowed_mentions": {"parse": [], "roles": [5], "users": [6]}}
    assert validate_body("POST", "/channels/1/messages", body) == []
    assert body["allowed_mentions"]["roles"] == [5]  # the recorded body is left as sent
    wrong = {"content": "x", "allowed_mentions": {"parse": [], "roles": [{"id": 5}]}}
    assert validate_body("POST", "/channels/1/messages", wrong) != []


def _rows(count: int, per_row: int = 1) -> list[dict[str, Any]]:
    return [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 1, "label": "b", "custom_id": f"b{r}-{i}"}
                for i in range(per_row)
            ],
        }
        for r in range(count)
    ]


def _embed(**fields: Any) -> dict[str, Any]:
    return {"type": "rich", **fields}


LIMIT_CASES = [
    pytest.param({"content": "x" * 2001}, ("content",), id="content-2001"),
    pytest.param({"embeds": [_embed(title="t" * 257)]}, ("embeds", 0, "title"), id="title"),
    pytest.param(
        {"embeds": [_embed(description="d" * 4097)]}, ("embeds", 0, "description"), id="desc"
    ),
    pytest.param(
        {"embeds": [_embed(fields=[{"name": "n", "value": "v"}] * 26)]},
        ("embeds", 0, "fields"),
        id="26-fields",
    ),
    pytest.param(
        {"embeds": [_embed(fields=[{"name": "n" * 257, "value": "v"}])]},
        ("embeds", 0, "fields", 0, "name"),
        id="field-name",
    ),
    pytest.param(
        {"embeds": [_embed(fields=[{"name": "n", "value": "v" * 1025}])]},
        ("embeds", 0, "fields", 0, "value"),
        id="field-value",
    ),
    pytest.param(
        {"embeds": [_embed(footer={"text": "f" * 2049})]},
        ("embeds", 0, "footer", "text"),
        id="footer",
    ),
    pytest.param(
        {"embeds": [_embed(author={"name": "a" * 257})]},
        ("embeds", 0, "author", "name"),
        id="author",
    ),
    pytest.param(
        {"embeds": [_embed(description="d" * 3500), _embed(description="d" * 2501)]},
        ("embeds",),
        id="embed-total-6000",
    ),
    pytest.param({"embeds": [_embed(title="t")] * 11}, ("embeds",), id="11-embeds"),
    pytest.param({"components": _rows(6)}, ("components",), id="6-rows"),
    pytest.param({"components": _rows(1, 6)}, ("components", 0, "components"), id="6-buttons"),
    pytest.param(
        {
            "components": [
                {
                    "type": 1,
                    "components": [{"type": 2, "style": 1, "label": "l" * 81, "custom_id": "c"}],
                }
            ]
        },
        ("components", 0, "components", 0, "label"),
        id="button-label",
    ),
    pytest.param(
        {
            "components": [
                {
                    "type": 1,
                    "components": [{"type": 2, "style": 1, "label": "l", "custom_id": "c" * 101}],
                }
            ]
        },
        ("components", 0, "components", 0, "custom_id"),
        id="custom-id",
    ),
    pytest.param(
        {
            "components": [
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 3,
                            "custom_id": "s",
                            "options": [{"label": str(i), "value": str(i)} for i in range(26)],
                        }
                    ],
                }
            ]
        },
        ("components", 0, "components", 0, "options"),
        id="26-options",
    ),
]


@pytest.mark.parametrize(("body", "where"), LIMIT_CASES)
def test_message_limits(body: dict[str, Any], where: tuple[str | int, ...]) -> None:
    for method, path, wrapped in [
        ("POST", "/channels/1/messages", body),
        ("PATCH", "/webhooks/1/tok/messages/@original", body),
        ("POST", "/interactions/1/tok/callback", {"type": 4, "data": body}),
    ]:
        error = _errors(method, path, wrapped)
        prefix = ("data",) if "interactions" in path else ()
        assert _codes(error, *prefix, *where), (method, path, error.errors)


@pytest.mark.parametrize(
    ("method", "path", "body", "where"),
    [
        pytest.param(
            "POST",
            "/interactions/1/tok/callback",
            {
                "type": 8,
                "data": {"choices": [{"name": str(i), "value": str(i)} for i in range(26)]},
            },
            ("data", "choices"),
            id="26-choices",
        ),
        pytest.param(
            "POST",
            "/interactions/1/tok/callback",
            {"type": 8, "data": {"choices": [{"name": "n" * 101, "value": "v"}]}},
            ("data", "choices", 0, "name"),
            id="choice-name",
        ),
        pytest.param(
            "POST",
            "/interactions/1/tok/callback",
            {
                "type": 9,
                "data": {
                    "custom_id": "m",
                    "title": "t" * 46,
                    "components": [
                        {
                            "type": 1,
                            "components": [{"type": 4, "custom_id": "a", "style": 1, "label": "A"}],
                        }
                    ],
                },
            },
            ("data", "title"),
            id="modal-title",
        ),
        pytest.param(
            "POST",
            "/guilds/1/scheduled-events",
            {
                "name": "n" * 101,
                "privacy_level": 2,
                "entity_type": 3,
                "scheduled_start_time": "2030-01-01T00:00:00+00:00",
                "scheduled_end_time": "2030-01-01T01:00:00+00:00",
                "entity_metadata": {"location": "x"},
            },
            ("name",),
            id="event-name",
        ),
        pytest.param(
            "PATCH",
            "/guilds/1/scheduled-events/2",
            {"description": "d" * 1001},
            ("description",),
            id="event-description",
        ),
        pytest.param(
            "POST", "/channels/1/threads", {"name": "n" * 101, "type": 11}, ("name",), id="thread"
        ),
    ],
)
def test_other_limits(method: str, path: str, body: Any, where: tuple[str | int, ...]) -> None:
    assert _codes(_errors(method, path, body), *where)


def test_unexpected_and_unmet_violations_are_reported() -> None:
    log = ViolationLog()
    log.record(Violation("limit", "POST", "/channels/1/messages", "too long"))
    assert len(log.problems()) == 1
    log.expect("limit", path=r"/channels/\d+/messages")
    assert log.problems() == []
    log.expect("deadline")
    assert log.problems() == ["unmet expect_violation(kind='deadline') x1 (matched 0)"]
    with log.expecting() as caught:
        log.record(Violation("schema", "PUT", "/x", "bad"))
    assert [v.kind for v in caught] == ["schema"]
    assert FakeDiscord(default_guild=False).interaction_deadline == 3.0


# ------------------------------------------------------------ through the bot


async def test_over_long_interaction_reply_is_rejected(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    alice = fake_discord.guild.add_member("alice")
    with fake_discord.expecting_violations() as caught:
        reply = await fake_discord.slash(alice, "long")

    assert [v.kind for v in caught] == ["schema"]  # the callback schema says maxLength 2000
    rejected, accepted = fake_discord.requests_matching("POST", CALLBACK)
    assert rejected.status == 400
    assert rejected.response["code"] == 50035
    assert rejected.response["errors"]["data"]["content"]["_errors"][0]["code"] == (
        "BASE_TYPE_MAX_LENGTH"
    )
    assert accepted.status == 200
    assert reply.content == "Something went wrong: HTTPException"


async def test_over_long_channel_message_is_rejected(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    alice = fake_discord.guild.add_member("alice")
    general = fake_discord.guild.default_channel
    fake_discord.expect_violation("limit", path=r"/channels/\d+/messages")

    reply = await fake_discord.slash(alice, "announce", where=general, text="y" * 2001)

    assert reply.content == "failed 400"
    assert fake_discord.channel_messages(general) == []


async def test_invalid_body_is_caught(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    route = Route(
        "POST", "/channels/{channel_id}/messages", channel_id=fake_discord.guild.default_channel.id
    )
    with fake_discord.expecting_violations() as caught, pytest.raises(discord.HTTPException) as exc:
        await bot.http.request(route, json={"content": 5, "embeds": [{"title": 7}]})
    assert exc.value.code == 50035
    assert exc.value.status == 400
    assert caught[0].kind == "schema"
    assert "content" in caught[0].detail


async def test_embed_total_over_6000_is_rejected(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    channel = bot.get_channel(fake_discord.guild.default_channel.id)
    assert isinstance(channel, discord.TextChannel)
    embeds = [discord.Embed(description="d" * 3500), discord.Embed(description="d" * 3500)]
    fake_discord.expect_violation("limit")
    with pytest.raises(discord.HTTPException, match="Embed size exceeds"):
        await channel.send(embeds=embeds)


async def test_reply_after_the_deadline_is_unknown_interaction(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    fake_discord.interaction_deadline = 0.2
    bot.slowpoke_delay = 0.3
    alice = fake_discord.guild.add_member("alice")
    fake_discord.expect_violation("deadline", times=None)

    with pytest.raises(InteractionFailed, match="did not acknowledge /slowpoke"):
        await fake_discord.slash(alice, "slowpoke")

    late = await fake_discord.wait_for_request("POST", CALLBACK)
    assert late.status == 404
    assert late.response["code"] == 10062
    assert "0.2" in late.response["message"]


async def test_second_initial_callback_is_already_acknowledged(
    fake_discord: FakeDiscord, bot: SampleBot
) -> None:
    alice = fake_discord.guild.add_member("alice")
    reply = await fake_discord.slash(alice, "guildping")
    url = f"{fake_discord.api_url}/interactions/{reply.record.id}/{reply.record.token}/callback"

    with fake_discord.expecting_violations() as caught:
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json={"type": 4, "data": {"content": "again"}}) as response,
        ):
            body = await response.json()

    assert response.status == 400
    assert body["code"] == 40060
    assert [v.kind for v in caught] == ["already_acknowledged"]
    assert reply.content == "guild pong"


async def test_unimplemented_route_fails_loudly(fake_discord: FakeDiscord, bot: SampleBot) -> None:
    guild = bot.get_guild(fake_discord.guild.id)
    assert guild is not None
    with fake_discord.expecting_violations() as caught, pytest.raises(discord.NotFound):
        await guild.fetch_emojis()
    assert caught[0].kind == "unknown_route"
    assert "GET /guilds/" in caught[0].message
