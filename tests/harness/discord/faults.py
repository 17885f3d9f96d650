"""Failures injected on demand: rate limits, server errors, missing permissions."""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from dataclasses import dataclass

from aiohttp import web

_PLACEHOLDER = re.compile(r"\{[^/{}]+\}")

_DEFAULT_MESSAGES = {
    50001: "Missing Access",
    50013: "Missing Permissions",
    10003: "Unknown Channel",
    10008: "Unknown Message",
    10062: "Unknown interaction",
}

_STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def compile_path_pattern(pattern: str) -> re.Pattern[str]:
    """Accept a regex or a template such as ``/channels/{channel_id}/messages``."""
    return re.compile(_PLACEHOLDER.sub(r"[^/]+", pattern))


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response with exactly ``Content-Type: application/json``.

    discord.py compares the header verbatim; aiohttp's ``json_response`` adds a
    charset, which would make the client treat the body as text.
    """
    all_headers = {"Content-Type": "application/json"}
    if headers:
        all_headers.update(headers)
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


def error_response(status: int, code: int, message: str, errors: object = None) -> web.Response:
    body: dict[str, object] = {"message": message, "code": code}
    if errors is not None:
        body["errors"] = errors
    return json_response(body, status=status)


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    retry_after: float
    global_: bool
    times: int | None
    code: int | None
    message: str | None
    raw: str | None = None  # answered as text/html instead of Discord's JSON
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, method: str, path: str) -> bool:
        if self.exhausted:
            return False
        if self.method != "*" and self.method != method:
            return False
        return self.pattern.fullmatch(path) is not None

    def response(self) -> web.Response:
        self.hits += 1
        if self.raw is not None:
            return web.Response(status=self.status, text=self.raw, content_type="text/html")
        if self.status == 429:
            return self._rate_limited()
        code = self.code if self.code is not None else 0
        if self.message is not None:
            message = self.message
        elif code in _DEFAULT_MESSAGES:
            message = _DEFAULT_MESSAGES[code]
        else:
            message = f"{self.status}: {_STATUS_TEXT.get(self.status, 'Error')}"
        return error_response(self.status, code, message)

    def _rate_limited(self) -> web.Response:
        body = {
            "message": "You are being rate limited.",
            "retry_after": self.retry_after,
            "global": self.global_,
        }
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, math.ceil(self.retry_after))),
            "X-RateLimit-Scope": "global" if self.global_ else "user",
        }
        if self.global_:
            headers["X-RateLimit-Global"] = "true"
            body["code"] = 0
        else:
            headers.update(
                {
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
                    "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
                    "X-RateLimit-Bucket": uuid.uuid5(uuid.NAMESPACE_URL, self.pattern.pattern).hex,
                }
            )
        return json_response(body, status=429, headers=headers)


class FaultRegistry:
    """``fake.faults``: rules consulted before any request is handled."""

    def __init__(self) -> None:
        self.rules: list[Fault] = []

    def add(
        self,
        method: str,
        path_pattern: str,
        status: int = 429,
        retry_after: float = 0.05,
        global_: bool = False,
        times: int | None = 1,
        *,
        code: int | None = None,
        message: str | None = None,
        raw: str | None = None,
    ) -> Fault:
        """Answer matching requests with ``status`` for the next ``times`` calls.

        ``path_pattern`` is matched against the path after ``/api/v10`` (full
        match), either as a regex or with ``{placeholders}``. ``times=None``
        means until :meth:`clear`. For 403 pass ``code=50013`` (Missing
        Permissions) or ``code=50001`` (Missing Access). ``raw`` answers with that text as
        an HTML page (what a misconfigured proxy or captive portal sends) instead of JSON.
        """
        fault = Fault(
            method=method.upper(),
            pattern=compile_path_pattern(path_pattern),
            status=status,
            retry_after=retry_after,
            global_=global_,
            times=times,
            code=code,
            message=message,
            raw=raw,
        )
        self.rules.append(fault)
        return fault

    def missing_permissions(self, method: str, path_pattern: str, times: int | None = 1) -> Fault:
        return self.add(method, path_pattern, status=403, code=50013, times=times)

    def missing_access(self, method: str, path_pattern: str, times: int | None = 1) -> Fault:
        return self.add(method, path_pattern, status=403, code=50001, times=times)

    def clear(self) -> None:
        self.rules.clear()

    def match(self, method: str, path: str) -> Fault | None:
        for fault in self.rules:
            if fault.matches(method, path):
                return fault
        return None
