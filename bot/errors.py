"""Errors whose message is safe and useful to show to a Discord member.

Services raise these; the single interaction error handler turns them into an ephemeral
reply. Anything that is not a :class:`UserError` is treated as a bug: it is logged with a
short error id and the member only sees that id.
"""

from __future__ import annotations


class UserError(Exception):
    """A failure caused by input or state the member can act on.

    ``str(error)`` is shown to the member as is, so it must be one or two clear sentences
    that say what was wrong and what to do instead.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(UserError):
    """An option value that cannot be understood (a date, an id, a time zone...)."""


class NotFound(UserError):
    """The thing the member referred to does not exist in this server."""


class Conflict(UserError):
    """The request clashes with existing data (same time slot, part number taken...)."""


class PermissionDenied(UserError):
    """The member may not do this here."""


class NotConfigured(UserError):
    """A feature that needs configuration the server or the bot does not have yet."""


class ServiceUnavailable(UserError):
    """An outside service (arXiv, the LLM endpoint, Discord) failed after retries."""
