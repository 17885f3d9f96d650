"""A loopback OpenAI-compatible chat server, like a local vLLM/Ollama/llama.cpp endpoint.

``/v1/embeddings`` answers deterministic vectors: the words of each input hashed into
``embedding_dimensions`` buckets (counts, then normalised), so texts sharing words get
close vectors, as with a real model; ``fail_embeddings`` injects HTTP errors.

Point the real client at it: ``openai.AsyncOpenAI(base_url=fake.base_url, api_key=...)``.
Answers come from a script (strings, dicts sent as JSON, or callables that see the request
body), every request is recorded with its headers, and faults can be injected for the next
N requests: 429 with ``retry-after``, 500/503, a hung response, truncated or invalid JSON
content, content missing fields, a body without ``choices``, ``finish_reason: "length"``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiohttp import web

from tests.harness.loopback import LoopbackServer

__all__ = ["DEFAULT_REPLY", "FakeLLM", "LLMFault", "LLMRequest", "Reply", "estimate_tokens"]

DEFAULT_REPLY = "[fake-llm: unscripted reply — the test did not script an answer]"

Reply = str | dict[str, Any] | list[Any] | Callable[[dict[str, Any]], "str | dict[str, Any]"]


class LLMFault(StrEnum):
    RATE_LIMITED = "429"
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    TIMEOUT = "timeout"
    TRUNCATED_JSON = "truncated_json"
    INVALID_JSON = "invalid_json"
    MISSING_FIELDS = "missing_fields"
    NO_CHOICES = "no_choices"
    LENGTH = "length"


# Faults that answer with an HTTP error and leave the scripted reply for the retry.
_HTTP_FAULTS = {
    LLMFault.RATE_LIMITED: (429, "rate_limit_error", "rate_limit_exceeded", "Rate limit reached."),
    LLMFault.SERVER_ERROR: (500, "server_error", None, "The server had an error."),
    LLMFault.UNAVAILABLE: (503, "server_error", None, "The model is overloaded."),
}


def estimate_tokens(text: str) -> int:
    """Characters / 4, the rule of thumb OpenAI documents (at least 1 for non-empty text)."""
    return math.ceil(len(text) / 4) if text else 0


@dataclass(frozen=True, slots=True)
class LLMRequest:
    time: float
    method: str
    path: str
    headers: dict[str, str]
    body_text: str
    json: dict[str, Any] | None = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.json or {}).get("messages", []))

    @property
    def model(self) -> str | None:
        return (self.json or {}).get("model")

    @property
    def response_format(self) -> dict[str, Any] | None:
        return (self.json or {}).get("response_format")

    @property
    def max_tokens(self) -> int | None:
        body = self.json or {}
        return body.get("max_completion_tokens", body.get("max_tokens"))

    @property
    def authorization(self) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == "authorization"), None)

    @property
    def prompt_text(self) -> str:
        """All message contents joined (text parts of multi-part contents included)."""
        return "\n".join(_content_text(message.get("content")) for message in self.messages)


@dataclass(slots=True)
class _Fault:
    kind: LLMFault
    retry_after: float | None = None
    drop: Sequence[str] | None = None


@dataclass(slots=True)
class _Stats:
    unscripted: int = 0
    completions: int = 0
    served: list[str] = field(default_factory=list)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


class FakeLLM(LoopbackServer):
    """The fake server. Use ``async with FakeLLM() as llm:`` or ``start()``/``close()``."""

    def __init__(
        self,
        *,
        models: Sequence[str] = ("fake-model",),
        api_key: str | None = None,
        max_context_tokens: int | None = None,
    ) -> None:
        super().__init__()
        self.models = list(models)
        self.api_key = api_key
        self.max_context_tokens = max_context_tokens
        self.requests: list[LLMRequest] = []
        self.responder: Callable[[dict[str, Any]], str | dict[str, Any]] | None = None
        self.stats = _Stats()
        self._script: deque[Reply] = deque()
        self._faults: deque[_Fault] = deque()
        self.embedding_dimensions = 256
        self._embedding_faults: deque[int] = deque()

    # -- life cycle -------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/embeddings", self._embeddings)

    @property
    def base_url(self) -> str:
        """What to pass as ``base_url`` to ``openai.AsyncOpenAI``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- script and faults ------------------------------------------------------------

    def reply(self, *replies: Reply) -> None:
        """Queue replies: strings are sent as is, dicts/lists as JSON, callables get the body."""
        self._script.extend(replies)

    def fail_next(
        self,
        fault: LLMFault | str,
        times: int = 1,
        *,
        retry_after: float | None = None,
        drop: Sequence[str] | None = None,
    ) -> None:
        """Answer the next ``times`` chat requests with ``fault``.

        HTTP faults (429, 500, 503, timeout) leave the scripted reply queued for the retry;
        content faults spoil the next scripted reply. ``drop`` names the JSON keys that
        ``MISSING_FIELDS`` removes (default: all of them).
        """
        kind = LLMFault(fault)
        for _ in range(times):
            self._faults.append(_Fault(kind, retry_after, drop))

    def fail_embeddings(self, status: int = 503, times: int = 1) -> None:
        """Answer the next ``times`` embedding requests with HTTP ``status``."""
        self._embedding_faults.extend([status] * times)

    @property
    def embedding_requests(self) -> list[LLMRequest]:
        return [r for r in self.requests if r.path.endswith("/embeddings")]

    @property
    def pending_replies(self) -> int:
        return len(self._script)

    @property
    def completions(self) -> list[LLMRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def last(self) -> LLMRequest:
        return self.completions[-1]

    # -- handlers ---------------------------------------------------------------------

    def _record(self, request: web.Request, body_text: str) -> LLMRequest:
        try:
            parsed = json.loads(body_text) if body_text else None
        except json.JSONDecodeError:
            parsed = None
        recorded = LLMRequest(
            time=time.monotonic(),
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            body_text=body_text,
            json=parsed if isinstance(parsed, dict) else None,
        )
        self.requests.append(recorded)
        return recorded

    def _unauthorized(self, recorded: LLMRequest) -> web.Response | None:
        if self.api_key is None or recorded.authorization == f"Bearer {self.api_key}":
            return None
        return _error(
            401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
        )

    async def _models(self, request: web.Request) -> web.Response:
        recorded = self._record(request, "")
        if (denied := self._unauthorized(recorded)) is not None:
            return denied
        data = []
        for model in self.models:
            item: dict[str, Any] = {
                "id": model,
                "object": "model",
                "created": 0,
                "owned_by": "fake",
            }
            if self.max_context_tokens is not None:
                item["max_model_len"] = self.max_context_tokens
            data.append(item)
        return web.json_response({"object": "list", "data": data})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        recorded = self._record(request, await request.text())
        if (denied := self._unauthorized(recorded)) is not None:
            return denied
        body = recorded.json
        if body is None or not isinstance(body.get("messages"), list) or not body.get("model"):
            return _error(
                400, "Expected a JSON body with 'model' and 'messages'.", "invalid_request_error"
            )
        prompt_tokens = estimate_tokens(recorded.prompt_text)
        if self.max_context_tokens is not None:
            wanted = prompt_tokens + (recorded.max_tokens or 0)
            if wanted > self.max_context_tokens:
                return _error(
                    400,
                    f"This model's maximum context length is {self.max_context_tokens} tokens. "
                    f"However, you requested {wanted} tokens.",
                    "invalid_request_error",
                    "context_length_exceeded",
                )

        fault = self._faults.popleft() if self._faults else None
        if fault is not None and fault.kind in _HTTP_FAULTS:
            status, kind, code, message = _HTTP_FAULTS[fault.kind]
            headers = {}
            if fault.retry_after is not None:
                headers["retry-after"] = f"{fault.retry_after:g}"
                headers["retry-after-ms"] = f"{fault.retry_after * 1000:g}"
            return _error(status, message, kind, code, headers)
        if fault is not None and fault.kind is LLMFault.TIMEOUT:
            await self.hold()

        content, finish_reason = self._next_content(body, fault)
        self.stats.completions += 1
        self.stats.served.append(content)
        completion_tokens = estimate_tokens(content)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        reply_id = f"chatcmpl-fake-{len(self.requests)}"
        created = int(time.time())
        model = str(body["model"])
        if body.get("stream"):
            return await self._stream(request, reply_id, created, model, content, finish_reason)
        payload: dict[str, Any] = {
            "id": reply_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": usage,
        }
        if fault is not None and fault.kind is LLMFault.NO_CHOICES:
            del payload["choices"]
        return web.json_response(payload)

    def embed(self, text: str) -> list[float]:
        """The vector this server answers for ``text``."""
        vector = [0.0] * self.embedding_dimensions
        for word in re.findall(r"[a-z0-9]{3,}", text.lower()):
            bucket = int(hashlib.blake2b(word.encode(), digest_size=4).hexdigest(), 16)
            vector[bucket % self.embedding_dimensions] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]

    async def _embeddings(self, request: web.Request) -> web.Response:
        recorded = self._record(request, await request.text())
        if (denied := self._unauthorized(recorded)) is not None:
            return denied
        if self._embedding_faults:
            status = self._embedding_faults.popleft()
            return _error(status, "The embedding model is unavailable.", "server_error")
        body = recorded.json or {}
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not body.get("model") or not isinstance(inputs, list) or not inputs:
            return _error(
                400, "Expected a JSON body with 'model' and 'input'.", "invalid_request_error"
            )
        if not all(isinstance(i, str) for i in inputs):
            return _error(400, "Every input must be a string.", "invalid_request_error")
        as_base64 = body.get("encoding_format") == "base64"  # what the openai client asks
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": _base64_floats(self.embed(text)) if as_base64 else self.embed(text),
            }
            for i, text in enumerate(inputs)
        ]
        tokens = sum(estimate_tokens(t) for t in inputs)
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    def _next_content(self, body: dict[str, Any], fault: _Fault | None) -> tuple[str, str]:
        if self._script:
            item = self._script.popleft()
            reply = item(body) if callable(item) else item
        elif self.responder is not None:
            reply = self.responder(body)
        else:
            self.stats.unscripted += 1
            reply = DEFAULT_REPLY
        kind = fault.kind if fault is not None else None
        if kind is LLMFault.MISSING_FIELDS:
            if isinstance(reply, dict):
                drop = set(fault.drop) if fault is not None and fault.drop else set(reply)
                reply = {k: v for k, v in reply.items() if k not in drop}
            else:
                reply = {}
        content = reply if isinstance(reply, str) else json.dumps(reply, ensure_ascii=False)
        if kind is LLMFault.TRUNCATED_JSON:
            return content[: max(1, len(content) // 2)], "stop"
        if kind is LLMFault.LENGTH:
            # Cut where max_tokens would have (4 characters a token), else halfway.
            max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
            cut = 4 * int(max_tokens) if max_tokens else len(content) // 2
            return content[: max(1, min(cut, len(content) - 1))], "length"
        if kind is LLMFault.INVALID_JSON:
            return "Sure! Here is the JSON you asked for: {summary: 'unquoted', }", "stop"
        return content, "stop"

    async def _stream(
        self,
        request: web.Request,
        reply_id: str,
        created: int,
        model: str,
        content: str,
        finish_reason: str,
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        def chunk(delta: dict[str, Any], finish: str | None) -> bytes:
            data = {
                "id": reply_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(data)}\n\n".encode()

        await response.write(chunk({"role": "assistant", "content": ""}, None))
        for start in range(0, len(content), 16):
            await response.write(chunk({"content": content[start : start + 16]}, None))
        await response.write(chunk({}, finish_reason))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def _base64_floats(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


def _error(
    status: int,
    message: str,
    kind: str,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return web.json_response(body, status=status, headers=headers)
