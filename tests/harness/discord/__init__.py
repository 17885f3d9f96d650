"""A loopback fake of Discord (REST + gateway) for end-to-end tests of a real discord.py bot.

Usage, in a conftest.py::

    from tests.harness.discord.fixtures import *  # fake_discord, start_client

and in a test::

    async def test_hello(fake_discord, start_client):
        bot = MyBot(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        await start_client(bot)                      # READY + GUILD_CREATE received
        await bot.tree.sync()                        # or let the bot sync in setup_hook
        alice = fake_discord.guild.add_member("alice")
        reply = await fake_discord.slash(alice, "hello", name="Bob")
        assert reply.content == "Hello Bob"

Every request body is validated against Discord's OpenAPI document and its
documented limits; anything Discord would reject is answered like Discord
does and recorded in ``fake_discord.violations``, which fails the test at
teardown unless the test declared it with ``expect_violation``/``expecting_violations``.
See tests/harness/README.md for the whole API.
"""

from .client import RunningClient, fast_client_options, pointed_at, start_client
from .faults import Fault, FaultRegistry
from .interactions import CommandUnavailable, Upload
from .models import Channel, Guild, Member, Role, User
from .recording import HarnessTimeout, RecordedRequest, Violation
from .replies import InteractionFailed, InteractionReply, ReplyFile
from .server import FakeDiscord

__all__ = [
    "Channel",
    "CommandUnavailable",
    "FakeDiscord",
    "Fault",
    "FaultRegistry",
    "Guild",
    "HarnessTimeout",
    "InteractionFailed",
    "InteractionReply",
    "Member",
    "RecordedRequest",
    "ReplyFile",
    "Role",
    "RunningClient",
    "Upload",
    "User",
    "Violation",
    "fast_client_options",
    "pointed_at",
    "start_client",
]
