"""One chat completion from an OpenAI-compatible endpoint, with retries.

Talks to OpenAI, or a local vLLM / Ollama / llama.cpp server, through ``openai.AsyncOpenAI``
(imported on first use: a bot without an LLM never loads it). Rate limits (429), time-outs,
connection failures and 5xx answers are retried with exponential back-off (or the server's
``retry-after``); every other failure becomes one clear message. The API key goes to the
client and nowhere else: errors and logs name a status or a cause, never the text of an
exception (a provider's 401 message may echo part of the key).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.errors import NotConfigured, ServiceUnavailable
from bot.llm.prompts import SUMMARY_SCHEMA

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

ENABLE_HINT = (
    "The LLM features are off: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server such "
    "as Ollama, vLLM or llama.cpp) in the bot's environment and restart it."
)


@dataclass(slots=True)
class Usage:
    """Requests made on behalf of one command."""

    requests: int = 0


@dataclass
class ChatClient:
    api_key: str | None
    base_url: str | None
    model: str
    timeout: float = 60.0
    max_attempts: int = 3
    backoff_base: float = 1.0
    backoff_max: float = 20.0
    _client: openai.AsyncOpenAI | None = field(default=None, repr=False)
    _format_modes: list[str] = field(
        default_factory=lambda: ["json_schema", "json_object", "none"], repr=False
    )

    def __post_init__(self) -> None:
        self.api_key = self.api_key or None
        self.base_url = self.base_url or None
        self.max_attempts = max(1, self.max_attempts)

    def __repr__(self) -> str:  # never show the key, e.g. in a debugger or a log line
        return f"ChatClient(model={self.model!r}, base_url={self.base_url!r})"

    @property
    def enabled(self) -> bool:
        return self.api_key is not None or self.base_url is not None

    def require_enabled(self) -> None:
        """Raise the one-line "how to enable" message when no endpoint is configured."""
        if not self.enabled:
            raise NotConfigured(ENABLE_HINT)

    def _client_or_raise(self) -> openai.AsyncOpenAI:
        self.require_enabled()
        if self._client is None:
            import openai

            # A local server needs no key, but the client insists on one.
            self._client = openai.AsyncOpenAI(
                api_key=self.api_key or "not-needed",
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,  # retries and back-off are ours, so they can be reported
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    def _response_format(self) -> dict[str, Any] | None:
        mode = self._format_modes[0]
        if mode == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": "session_notes", "schema": SUMMARY_SCHEMA, "strict": True},
            }
        if mode == "json_object":
            return {"type": "json_object"}
        return None

    async def complete(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        usage: Usage,
        *,
        structured: bool,
    ) -> tuple[str | None, str | None]:
        """The content and finish reason of one chat completion.

        Rate limits (429), time-outs, connection failures and 5xx answers are retried with
        exponential back-off (or the server's ``retry-after``); then a clear message."""
        import openai

        client = self._client_or_raise()
        for attempt in range(1, self.max_attempts + 1):
            kwargs: dict[str, Any] = {
                "model": self.model,
                "messages": messages,
                "max_tokens": max_tokens,
                "temperature": 0.2,
            }
            response_format = self._response_format() if structured else None
            if response_format is not None:
                kwargs["response_format"] = response_format
            usage.requests += 1
            try:
                completion = await client.chat.completions.create(**kwargs)
            except openai.BadRequestError as exc:
                if _context_exceeded(exc):
                    raise ServiceUnavailable(
                        "The prompt is longer than the model's context window: lower "
                        "LLM_TOKEN_BUDGET so long discussions are split into smaller parts."
                    ) from None
                if response_format is not None and len(self._format_modes) > 1:
                    # Some local servers do not know this response_format: ask more plainly.
                    dropped = self._format_modes.pop(0)
                    log.warning("LLM endpoint refused response_format %s; falling back", dropped)
                    return await self.complete(messages, max_tokens, usage, structured=structured)
                raise ServiceUnavailable(
                    "The LLM endpoint refused the request (HTTP 400); check LLM_MODEL and the "
                    "server's log."
                ) from None
            except openai.AuthenticationError:
                raise NotConfigured(
                    "The LLM endpoint refused the API key (HTTP 401): check OPENAI_API_KEY."
                ) from None
            except openai.PermissionDeniedError:
                raise NotConfigured(
                    "The LLM endpoint denied access (HTTP 403): check OPENAI_API_KEY and the "
                    "model's permissions."
                ) from None
            except openai.NotFoundError:
                raise NotConfigured(
                    f"The LLM endpoint does not know the model {self.model!r} (HTTP 404): check "
                    "LLM_MODEL and OPENAI_BASE_URL."
                ) from None
            except (openai.APIConnectionError, openai.RateLimitError) as exc:
                reason = _reason(exc)
                if attempt < self.max_attempts:
                    delay = self._delay(attempt, exc)
                    log.warning(
                        "LLM request failed (%s); retry %d of %d in %.2f s",
                        reason,
                        attempt,
                        self.max_attempts - 1,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    continue
                log.warning("LLM request failed (%s); giving up after %d tries", reason, attempt)
                raise ServiceUnavailable(self._give_up_message(exc, attempt)) from None
            except openai.APIStatusError as exc:
                if exc.status_code >= 500 and attempt < self.max_attempts:
                    delay = self._delay(attempt, exc)
                    log.warning(
                        "LLM request failed (HTTP %d); retry %d of %d in %.2f s",
                        exc.status_code,
                        attempt,
                        self.max_attempts - 1,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    continue
                log.warning("LLM request failed (HTTP %d)", exc.status_code)
                raise ServiceUnavailable(self._give_up_message(exc, attempt)) from None
            except openai.APIError:
                log.warning("LLM reply could not be read")
                raise ServiceUnavailable(
                    "The LLM endpoint sent an answer I could not read; try again later."
                ) from None
            if not completion.choices:
                return None, None
            choice = completion.choices[0]
            return choice.message.content, choice.finish_reason
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, exc: Exception) -> float:
        delay: float = self.backoff_base * 2 ** (attempt - 1)
        response = getattr(exc, "response", None)
        if response is not None:
            header = response.headers.get("retry-after")
            try:
                if header is not None:
                    delay = max(delay, float(header))
            except ValueError:
                pass
        return min(delay, self.backoff_max)

    def _give_up_message(self, exc: Exception, attempts: int) -> str:
        import openai

        tries = f"{attempts} tr{'y' if attempts == 1 else 'ies'}"
        if isinstance(exc, openai.APITimeoutError):
            return (
                f"The LLM endpoint did not answer within {self.timeout:g} s ({tries}). Nothing "
                "was changed; try again later or raise LLM_TIMEOUT_SECONDS."
            )
        if isinstance(exc, openai.RateLimitError):
            return (
                f"The LLM endpoint is rate-limiting requests (HTTP 429, {tries}). Nothing was "
                "changed; try again in a minute."
            )
        if isinstance(exc, openai.APIConnectionError):
            return (
                f"I could not reach the LLM endpoint ({tries}). Nothing was changed; check "
                "OPENAI_BASE_URL or try again later."
            )
        status = getattr(exc, "status_code", "?")
        return (
            f"The LLM endpoint failed (HTTP {status}, {tries}). Nothing was changed; try again "
            "later."
        )


def _reason(exc: Exception) -> str:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    return "connection failed"


def _context_exceeded(exc: openai.BadRequestError) -> bool:
    code = getattr(exc, "code", None)
    if code == "context_length_exceeded":
        return True
    body = exc.body if isinstance(exc.body, dict) else {}
    message = str(body.get("message", "")).lower()
    return "context length" in message or "context window" in message
