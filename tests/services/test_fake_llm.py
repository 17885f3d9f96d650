"""The fake LLM server as the real ``openai.AsyncOpenAI`` client sees it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from tests.harness.llm import DEFAULT_REPLY, FakeLLM, LLMFault, estimate_tokens

API_KEY = "sk-test-0123456789abcdef"
SYSTEM = "You summarise research papers for a reading group. Answer in JSON."
USER = "Title: Visual Instruction Tuning\nAbstract: We present LLaVA, a large multimodal model."


def chat(user: str = USER) -> list[Any]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


@pytest.fixture
async def client(fake_llm: FakeLLM) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(
        base_url=fake_llm.base_url, api_key=API_KEY, max_retries=0, timeout=5
    ) as client:
        yield client


async def test_scripted_text_reply_and_response_shape(
    fake_llm: FakeLLM, client: openai.AsyncOpenAI
) -> None:
    fake_llm.reply("LLaVA connects a vision encoder to an LLM.")

    completion = await client.chat.completions.create(model="qwen2.5-7b", messages=chat())

    assert completion.object == "chat.completion"
    assert completion.model == "qwen2.5-7b"
    assert completion.id
    assert completion.created > 0
    choice = completion.choices[0]
    assert choice.index == 0
    assert choice.message.role == "assistant"
    assert choice.message.content == "LLaVA connects a vision encoder to an LLM."
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == estimate_tokens(f"{SYSTEM}\n{USER}")
    assert completion.usage.completion_tokens == estimate_tokens(choice.message.content)
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


async def test_dict_reply_is_json_and_request_is_recorded(
    fake_llm: FakeLLM, client: openai.AsyncOpenAI
) -> None:
    summary = {"summary": "A multimodal chat model.", "key_points": ["GPT-4 data", "CLIP"]}
    fake_llm.reply(summary)

    completion = await client.chat.completions.create(
        model="fake-model",
        messages=chat(),
        response_format={"type": "json_object"},
        max_tokens=300,
        temperature=0.2,
    )

    assert json.loads(completion.choices[0].message.content or "") == summary
    request = fake_llm.last
    assert request.model == "fake-model"
    assert request.messages == chat()
    assert request.response_format == {"type": "json_object"}
    assert request.max_tokens == 300
    assert request.json is not None
    assert request.json["temperature"] == 0.2
    assert "Visual Instruction Tuning" in request.prompt_text


async def test_replies_are_served_in_order_then_the_marked_default(
    fake_llm: FakeLLM, client: openai.AsyncOpenAI
) -> None:
    fake_llm.reply("first", "second")

    answers = [
        (await client.chat.completions.create(model="m", messages=chat()))
        .choices[0]
        .message.content
        for _ in range(3)
    ]

    assert answers == ["first", "second", DEFAULT_REPLY]
    assert "unscripted" in DEFAULT_REPLY
    assert fake_llm.stats.unscripted == 1
    assert fake_llm.pending_replies == 0


async def test_callable_reply_sees_the_prompt(
    fake_llm: FakeLLM, client: openai.AsyncOpenAI
) -> None:
    def answer(body: dict[str, Any]) -> str:
        question = body["messages"][-1]["content"]
        return f"echo: {question.upper()}"

    fake_llm.responder = answer
    completion = await client.chat.completions.create(model="m", messages=chat("what is clip?"))
    assert completion.choices[0].message.content == "echo: WHAT IS CLIP?"

    fake_llm.reply(lambda body: {"n_messages": len(body["messages"])})
    completion = await client.chat.completions.create(model="m", messages=chat())
    assert json.loads(completion.choices[0].message.content or "") == {"n_messages": 2}


async def test_bearer_key_reaches_the_server_and_nowhere_else(
    fake_llm: FakeLLM, client: openai.AsyncOpenAI
) -> None:
    fake_llm.api_key = API_KEY
    fake_llm.reply("ok")

    await client.chat.completions.create(model="m", messages=chat())
    models = await client.models.list()

    assert [model.id for model in models.data] == ["fake-model"]
    assert len(fake_llm.requests) == 2
    for request in fake_llm.requests:
        assert request.authorization == f"Bearer {API_KEY}"
        others = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        assert API_KEY not in json.dumps(others)
        assert API_KEY not in request.body_text


async def test_wrong_key_is_refused(fake_llm: FakeLLM) -> None:
    fake_llm.api_key = API_KEY
    async with openai.AsyncOpenAI(
        base_url=fake_llm.base_url, api_key="sk-wrong", max_retries=0
    ) as wrong:
        with pytest.raises(openai.AuthenticationError):
            await wrong.chat.completions.create(model="m", messages=chat())


async def test_rate_limit_is_visible_with_retry_after(
    fake_llm: FakeLLM, client: openai.AsyncOpenAI
) -> None:
    fake_llm.reply("after the limit")
    fake_llm.fail_next(LLMFault.RATE_LIMITED, retry_after=7)

    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(model="m", messages=chat())

    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "7"
    assert fake_llm.pending_replies == 1  # the scripted reply waits for the retry
    completion = await client.chat.completions.create(model="m", messages=chat())
    assert completion.choices[0].message.content == "after the limit"


async def test_client_retries_a_429_after_the_given_delay(fake_llm: FakeLLM) -> None:
    fake_llm.reply("made it")
    fake_llm.fail_next(LLMFault.RATE_LIMITED, retry_after=0.05)
    async with openai.AsyncOpenAI(
        base_url=fake_llm.base_url, api_key=API_KEY, max_retries=1
    ) as retrying:
        completion = await retrying.chat.completions.create(model="m", messages=chat())

    assert completion.choices[0].message.content == "made it"
    first, second = fake_llm.completions
    assert second.time - first.time >= 0.05 - 0.01
    assert second.headers.get("x-stainless-retry-count") == "1"


@pytest.mark.parametrize(
    ("fault", "status"), [(LLMFault.SERVER_ERROR, 500), (LLMFault.UNAVAILABLE, 503)]
)
async def test_server_errors(
    fault: LLMFault, status: int, fake_llm: FakeLLM, client: openai.AsyncOpenAI
) -> None:
    fake_llm.fail_next(fault)
    with pytest.raises(openai.InternalServerError) as caught:
        await client.chat.completions.create(model="m", messages=chat())
    assert caught.value.status_code == status


async def test_timeout_is_visible_to_the_client(fake_llm: FakeLLM) -> None:
    fake_llm.reply("late but fine")
    fake_llm.fail_next(LLMFault.TIMEOUT)
    async with openai.AsyncOpenAI(
        base_url=fake_llm.base_url, api_key=API_KEY, max_retries=0, timeout=0.3
    ) as impatient:
        with pytest.raises(openai.APITimeoutError):
            await impatient.chat.completions.create(model="m", messages=chat())
        assert fake_llm.held == 1
        completion = await impatient.chat.completions.create(model="m", messages=chat())

    assert completion.choices[0].message.content == "late but fine"


async def test_held_reply_is_answered_once_released(
    fake_llm: FakeLLM, client: openai.AsyncOpenAI
) -> None:
    fake_llm.reply("released")
    fake_llm.fail_next(LLMFault.TIMEOUT)
    pending = asyncio.create_task(client.chat.completions.create(model="m", messages=chat()))

    await asyncio.wait_for(fake_llm.hold_started.wait(), timeout=5)
    assert not pending.done()
    fake_llm.release()
    completion = await asyncio.wait_for(pending, timeout=5)

    assert completion.choices[0].message.content == "released"


async def test_invalid_json_content(fake_llm: FakeLLM, client: openai.AsyncOpenAI) -> None:
    fake_llm.reply({"summary": "x"})
    fake_llm.fail_next(LLMFault.INVALID_JSON)

    completion = await client.chat.completions.create(model="m", messages=chat())

    with pytest.raises(json.JSONDecodeError):
        json.loads(completion.choices[0].message.content or "")


async def test_truncated_json_content(fake_llm: FakeLLM, client: openai.AsyncOpenAI) -> None:
    reply = {"summary": "LLaVA is a multimodal model.", "questions": ["Why CLIP?"]}
    fake_llm.reply(reply)
    fake_llm.fail_next(LLMFault.TRUNCATED_JSON)

    completion = await client.chat.completions.create(model="m", messages=chat())

    content = completion.choices[0].message.content or ""
    assert json.dumps(reply).startswith(content)
    assert completion.choices[0].finish_reason == "stop"
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)


async def test_missing_fields(fake_llm: FakeLLM, client: openai.AsyncOpenAI) -> None:
    fake_llm.reply({"summary": "s", "questions": ["q"], "tags": ["t"]})
    fake_llm.fail_next(LLMFault.MISSING_FIELDS, drop=["questions"])
    fake_llm.reply({"summary": "s"})
    fake_llm.fail_next(LLMFault.MISSING_FIELDS)

    first = await client.chat.completions.create(model="m", messages=chat())
    second = await client.chat.completions.create(model="m", messages=chat())

    assert json.loads(first.choices[0].message.content or "") == {"summary": "s", "tags": ["t"]}
    assert json.loads(second.choices[0].message.content or "") == {}


async def test_finish_reason_length(fake_llm: FakeLLM, client: openai.AsyncOpenAI) -> None:
    text = "A long answer that the model could not finish because of max_tokens."
    fake_llm.reply(text, text)
    fake_llm.fail_next(LLMFault.LENGTH, times=2)

    capped = await client.chat.completions.create(model="m", messages=chat(), max_tokens=5)
    uncapped = await client.chat.completions.create(model="m", messages=chat())

    assert capped.choices[0].finish_reason == "length"
    assert capped.choices[0].message.content == text[:20]
    assert capped.usage is not None
    assert capped.usage.completion_tokens == 5
    assert uncapped.choices[0].finish_reason == "length"
    assert uncapped.choices[0].message.content == text[: len(text) // 2]


async def test_reply_without_choices(fake_llm: FakeLLM, client: openai.AsyncOpenAI) -> None:
    fake_llm.fail_next(LLMFault.NO_CHOICES)

    completion = await client.chat.completions.create(model="m", messages=chat())

    assert not completion.choices


async def test_streaming(fake_llm: FakeLLM, client: openai.AsyncOpenAI) -> None:
    text = "Streaming works in small pieces, like a local server sends them."
    fake_llm.reply(text)

    stream = await client.chat.completions.create(model="m", messages=chat(), stream=True)
    pieces = [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]

    assert "".join(pieces) == text
    assert len(pieces) > 2


async def test_context_length_is_enforced() -> None:
    async with (
        FakeLLM(max_context_tokens=50) as small,
        openai.AsyncOpenAI(base_url=small.base_url, api_key=API_KEY, max_retries=0) as client,
    ):
        models = await client.models.list()
        assert models.data[0].model_extra == {"max_model_len": 50}
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(model="m", messages=chat("x" * 400), max_tokens=10)

    assert caught.value.code == "context_length_exceeded"
