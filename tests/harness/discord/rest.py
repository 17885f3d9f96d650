"""The REST front door: recording, auth, faults, validation, then the route.

Every request under ``/api/v10`` passes through :func:`make_middleware`:

1. it is recorded in ``fake.requests`` (answered status filled in afterwards);
2. a missing/wrong bot token gets 401 (interaction and webhook-token routes need none);
3. an injected fault (``fake.faults``) answers instead of the route;
4. the body is validated against the OpenAPI schema and Discord's documented
   limits; a failure is answered 400/50035 and recorded as a violation;
5. the route runs; :class:`ApiError` becomes Discord's JSON error shape.

Routes the fake does not implement answer 404 and record a violation.
"""

from __future__ import annotations

import asyncio
import json
import re
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import limits
from .faults import error_response, json_response
from .recording import RecordedRequest, UploadedFile, Violation
from .validation import FieldError, errors_object, find_operation, validate_body

if TYPE_CHECKING:
    from .server import FakeDiscord

API_PREFIX = "/api/v10"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_NO_AUTH = re.compile(r"/interactions/[^/]+/[^/]+/callback|/webhooks/[^/]+/[^/]+(/.*)?")


class ApiError(Exception):
    """Raised by routes; answered as ``{"message", "code"[, "errors"]}``."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: dict[str, Any] | None = None,
        violation: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.violation = violation


def not_found(code: int, what: str) -> ApiError:
    return ApiError(404, code, f"Unknown {what}")


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def missing_access() -> ApiError:
    return ApiError(403, 50001, "Missing Access")


def invalid_form(errors: list[FieldError], kind: str = "limit") -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", errors=errors_object(errors), violation=kind)


@dataclass
class Body:
    """The parsed request body: JSON (or ``payload_json``) plus uploaded files."""

    json: Any = None
    files: list[UploadedFile] = field(default_factory=list)
    multipart: bool = False


BODY_KEY = web.RequestKey("body", Body)


def body_of(request: web.Request) -> Body:
    return request[BODY_KEY]


def json_of(request: web.Request) -> dict[str, Any]:
    data = body_of(request).json
    return data if isinstance(data, dict) else {}


def form_error(field: str, code: str, message: str, *, violation: str | None = None) -> ApiError:
    """A 400/50035 with one field error."""
    return ApiError(
        400,
        50035,
        "Invalid Form Body",
        errors=errors_object([FieldError((field,), code, message)]),
        violation=violation,
    )


def snowflake(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit():
        raise form_error(
            name, "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.', violation="schema"
        )
    return int(raw)


def no_content() -> web.Response:
    return web.Response(status=204)


def ok(body: Any, status: int = 200) -> web.Response:
    return json_response(body, status=status)


async def _parse_body(request: web.Request) -> Body:
    if request.method in ("GET", "HEAD") or not request.body_exists:
        return Body()
    content_type = request.content_type
    if content_type.startswith("multipart/"):
        body = Body(multipart=True)
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                body.files.append(
                    UploadedFile(name, value.filename, value.content_type, value.file.read())
                )
            elif name == "payload_json":
                body.json = json.loads(value)
        return body
    raw = await request.read()
    if not raw:
        return Body()
    try:
        return Body(json=json.loads(raw))
    except ValueError as exc:
        raise ApiError(
            400, 50109, "The request body contains invalid JSON.", violation="schema"
        ) from exc


_LIMIT_CHECKS: dict[tuple[str, str], Callable[[Any], list[FieldError]]] = {
    ("post", "/channels/{channel_id}/messages"): limits.message_errors,
    ("patch", "/channels/{channel_id}/messages/{message_id}"): limits.message_errors,
    ("post", "/webhooks/{webhook_id}/{webhook_token}"): limits.message_errors,
    ("patch", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): limits.message_errors,
    (
        "patch",
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
    ): limits.message_errors,
    ("post", "/interactions/{interaction_id}/{interaction_token}/callback"): limits.callback_errors,
    ("post", "/guilds/{guild_id}/scheduled-events"): limits.scheduled_event_errors,
    (
        "patch",
        "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}",
    ): limits.scheduled_event_errors,
    ("post", "/channels/{channel_id}/threads"): limits.thread_errors,
    ("post", "/channels/{channel_id}/messages/{message_id}/threads"): limits.thread_errors,
}


def check_body(method: str, path: str, body: Body) -> None:
    """Schema first, then the documented limits; raises :class:`ApiError` 50035."""
    if body.json is None or method not in ("POST", "PUT", "PATCH"):
        return
    schema_errors = validate_body(method, path, body.json, multipart=body.multipart)
    if schema_errors:
        raise invalid_form(schema_errors, kind="schema")
    operation = find_operation(method, path)
    if operation is None:
        return
    check = _LIMIT_CHECKS.get((operation.method, operation.template))
    if check is not None:
        limit_errors = check(body.json)
        if limit_errors:
            raise invalid_form(limit_errors, kind="limit")


def make_middleware(fake: FakeDiscord) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/gateway") and request.headers.get("Upgrade"):
            return await handler(request)
        api = request.path.startswith(API_PREFIX + "/")
        path = request.path[len(API_PREFIX) :] if api else request.path
        loop = asyncio.get_running_loop()
        record = RecordedRequest(
            request.method,
            path,
            dict(request.query),
            None,
            [],
            loop.time(),
            headers=dict(request.headers),
        )
        fake.requests.append(record)
        try:
            response = await _handle(fake, request, handler, record, path, api)
        except ApiError as error:
            if error.violation is not None:
                fake.violation_log.record(
                    Violation(error.violation, request.method, path, error.message, error.errors)
                )
            response = error_response(error.status, error.code, error.message, error.errors)
        except Exception as exc:
            # A bug in the fake must not look like a Discord outage (which the
            # client would retry): answer 400 and fail the test at teardown.
            detail = traceback.format_exc()
            fake.violation_log.record(
                Violation("fake_error", request.method, path, f"the fake crashed: {exc!r}", detail)
            )
            response = error_response(400, 0, f"fake Discord internal error: {exc!r}")
        record.status = response.status
        if (
            isinstance(response, web.Response)
            and response.body
            and response.content_type == "application/json"
        ):
            assert isinstance(response.body, bytes)
            record.response = json.loads(response.body)
        fake.world.changed()
        return response

    return middleware


async def _handle(
    fake: FakeDiscord,
    request: web.Request,
    handler: Handler,
    record: RecordedRequest,
    path: str,
    api: bool,
) -> web.StreamResponse:
    body = await _parse_body(request)
    request[BODY_KEY] = body
    record.json, record.files = body.json, body.files
    if api and not _NO_AUTH.fullmatch(path):
        auth = request.headers.get("Authorization", "")
        if auth != f"Bot {fake.token}":
            return error_response(401, 0, "401: Unauthorized")
    fault = fake.faults.match(request.method, path)
    if fault is not None:
        return fault.response()
    if api:
        check_body(request.method, path, body)
    return await handler(request)


def unknown_route(fake: FakeDiscord) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        path = request.path.removeprefix(API_PREFIX)
        operation = find_operation(request.method, path)
        known = (
            f" (Discord has {operation.method.upper()} {operation.template})" if operation else ""
        )
        raise ApiError(
            404,
            0,
            f"404: Not Found - the fake does not implement {request.method} {path}{known}",
            violation="unknown_route",
        )

    return handle
