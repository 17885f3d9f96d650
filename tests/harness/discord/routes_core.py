"""Identity and discovery routes, plus the CDN that serves attachments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .models import JSON
from .rest import not_found, ok, snowflake

if TYPE_CHECKING:
    from .server import FakeDiscord


def application_payload(fake: FakeDiscord) -> JSON:
    world = fake.world
    return {
        "id": str(world.application_id),
        "name": world.bot.username,
        "icon": None,
        "description": "A bot under test.",
        "summary": "",
        "type": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "a" * 64,
        "owner": world.owner.payload(),
        "team": None,
        "flags": 0,
        "bot": world.bot.payload(),
        "hook": True,
        "is_monetized": False,
        "is_verified": False,
        "is_discoverable": False,
        "rpc_origins": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "tags": [],
        "approximate_guild_count": len(world.guilds),
        "approximate_user_install_count": 0,
        "integration_types_config": {"0": {}, "1": {}},
        "install_params": None,
        "custom_install_url": None,
    }


def register(app: web.Application, fake: FakeDiscord) -> None:
    world = fake.world
    api = fake.api_prefix

    async def me(request: web.Request) -> web.Response:
        return ok(
            {
                **world.bot.payload(),
                "verified": True,
                "mfa_enabled": False,
                "locale": "en-US",
                "email": None,
            }
        )

    async def user(request: web.Request) -> web.Response:
        found = world.users.get(snowflake(request, "user_id"))
        if found is None:
            raise not_found(10013, "User")
        return ok(found.payload())

    async def application(request: web.Request) -> web.Response:
        return ok(application_payload(fake))

    async def gateway(request: web.Request) -> web.Response:
        return ok({"url": f"ws://{request.host}/gateway"})

    async def gateway_bot(request: web.Request) -> web.Response:
        return ok(
            {
                "url": f"ws://{request.host}/gateway",
                "shards": fake.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    async def cdn(request: web.Request) -> web.Response:
        attachment = world.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None or attachment.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=attachment.data, headers={"Content-Type": attachment.content_type})

    app.router.add_get(f"{api}/users/@me", me)
    app.router.add_get(api + "/users/{user_id}", user)
    app.router.add_get(f"{api}/oauth2/applications/@me", application)
    app.router.add_get(f"{api}/applications/@me", application)
    app.router.add_get(f"{api}/gateway", gateway)
    app.router.add_get(f"{api}/gateway/bot", gateway_bot)
    app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", cdn)
