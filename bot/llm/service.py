"""Summaries, open research questions and TL;DRs from any OpenAI-compatible endpoint.

Knows nothing of Discord. The prompts and the parsing of answers are in
:mod:`bot.llm.prompts`, fitting material into the token budget in :mod:`bot.llm.chunking`,
the endpoint and its retries in :mod:`bot.llm.client`. A discussion that does not fit one
prompt is summarised in parts and the parts are merged: nothing is cut. A result is stored
with its model and the hash of its input; the same input returns the stored answer without
a call. The caller escapes what comes back and posts it without mentions.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.errors import InvalidInput, NotConfigured, NotFound, ServiceUnavailable
from bot.llm.chunking import Material, material_of, messages_tokens, paper_data, split_parts
from bot.llm.client import ENABLE_HINT, ChatClient, Usage
from bot.llm.cooldown import Cooldown
from bot.llm.prompts import (
    FINAL_MAX_TOKENS,
    PART_MAX_TOKENS,
    SYSTEM_FINAL,
    SYSTEM_MERGE,
    SYSTEM_MERGE_PARTIAL,
    SYSTEM_PART,
    SYSTEM_TLDR,
    TLDR_CHARS,
    TLDR_MAX_TOKENS,
    InvalidReply,
    chat,
    parse_summary,
    strip_fences,
)
from bot.schedule.service import ScheduleService, SessionInfo
from bot.settings import Settings
from bot.text import clean_block, shorten
from storage.db import Database
from storage.models import Paper, Summary

__all__ = ["ENABLE_HINT", "LLMService", "SummaryResult"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SummaryResult:
    session: SessionInfo
    summary: Summary
    cached: bool
    requests: int  # LLM requests this call made (0 when cached)
    parts: int  # 1 when everything fit one prompt


class LLMService:
    """Summaries, open questions and TL;DRs from an OpenAI-compatible endpoint."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        schedule: ScheduleService,
        *,
        api_key: str | None,
        base_url: str | None,
        model: str,
        timeout: float = 60.0,
        token_budget: int = 6000,
        cooldown_seconds: float = 0.0,
        max_attempts: int = 3,
        backoff_base: float = 1.0,
        backoff_max: float = 20.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.schedule = schedule
        self.model = model
        self.token_budget = token_budget
        # /summarize refresh:true and /paper tldr, per member (organizers are not limited).
        self.cooldown = Cooldown(clock, cooldown_seconds)
        self.chat = ChatClient(
            api_key,
            base_url,
            model,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
        )
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}
        self._tldr_cache: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def from_settings(
        cls, settings: Settings, db: Database, clock: Clock, schedule: ScheduleService
    ) -> LLMService:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return cls(
            db,
            clock,
            schedule,
            api_key=key,
            base_url=settings.openai_base_url,
            model=settings.llm_model,
            timeout=settings.llm_timeout_seconds,
            token_budget=settings.llm_token_budget,
            cooldown_seconds=settings.llm_cooldown_seconds,
        )

    def __repr__(self) -> str:  # never show the key, e.g. in a debugger or a log line
        return f"LLMService(model={self.model!r}, base_url={self.chat.base_url!r})"

    @property
    def enabled(self) -> bool:
        return self.chat.enabled

    def require_enabled(self) -> None:
        """Raise the one-line "how to enable" message when no endpoint is configured."""
        self.chat.require_enabled()

    async def aclose(self) -> None:
        await self.chat.aclose()

    async def summarize(
        self, guild_id: int, session_id: int | None, refresh: bool = False
    ) -> SummaryResult:
        """Summary and open questions of a session (default: the current or last one).

        The same input (papers and comments) returns the stored answer without a call
        unless ``refresh``. A failed call changes nothing: the log is only read."""
        self.require_enabled()
        view = await self._session(guild_id, session_id)
        lock = self._locks.setdefault((guild_id, view.id), asyncio.Lock())
        async with lock:
            async with self.db.unit() as uow:
                comments = await uow.comments.for_session(guild_id, view.id)
            material = material_of(view, comments)
            if not material.papers and not material.comments:
                raise InvalidInput(
                    f"Session #{view.number} has no papers and no logged comments yet, so there is "
                    "nothing to summarise. Log comments with /comment add."
                )
            input_hash = material.input_hash(self.model)
            if not refresh:
                async with self.db.unit() as uow:
                    stored = await uow.summaries.find(guild_id, view.id, self.model, input_hash)
                if stored is not None:
                    return SummaryResult(view, stored, cached=True, requests=0, parts=0)
            usage = Usage()
            answer, parts = await self._summarize_material(material, usage)
            summary = Summary(
                guild_id=guild_id,
                session_id=view.id,
                model=self.model,
                input_hash=input_hash,
                summary=answer["summary"],
                key_points=answer["key_points"],
                open_questions=answer["open_questions"],
                created_at=self.clock.now(),
            )
            async with self.db.unit() as uow:
                if await uow.sessions.get(guild_id, view.id) is None:
                    raise NotFound(f"Session #{view.number} was deleted meanwhile.")
                saved = await uow.summaries.save(summary)
            return SummaryResult(view, saved, cached=False, requests=usage.requests, parts=parts)

    async def _session(self, guild_id: int, session_id: int | None) -> SessionInfo:
        if session_id is not None:
            return await self.schedule.get(guild_id, session_id)
        view = await self.schedule.current_or_recent(guild_id)
        if view is None:
            raise NotFound(
                "No session has started yet, so there is no current session: pick one with "
                "the session option."
            )
        return view

    async def _summarize_material(
        self, material: Material, usage: Usage
    ) -> tuple[dict[str, Any], int]:
        whole = {"session": material.session, "papers": material.papers}
        whole["comments"] = material.comments
        messages = chat(SYSTEM_FINAL, whole)
        if messages_tokens(messages) <= self.token_budget:
            return await self._json(messages, FINAL_MAX_TOKENS, True, usage), 1

        # Too long for one prompt: notes per part, then merge the notes.
        parts = split_parts(material, self.token_budget)
        log.info("summary input split into %d parts (budget %d)", len(parts), self.token_budget)
        notes = []
        for index, part in enumerate(parts, start=1):
            data = {**material.brief(), "part": f"{index} of {len(parts)}", **part}
            notes.append(await self._json(chat(SYSTEM_PART, data), PART_MAX_TOKENS, False, usage))
        return await self._merge(material, notes, usage), len(parts)

    async def _merge(
        self, material: Material, notes: list[dict[str, Any]], usage: Usage
    ) -> dict[str, Any]:
        while True:
            for papers in (material.papers, None):
                data: dict[str, Any] = {"session": material.session}
                data.update({"papers": papers} if papers is not None else material.brief())
                data["part_notes"] = notes
                messages = chat(SYSTEM_MERGE, data)
                if messages_tokens(messages) <= self.token_budget:
                    return await self._json(messages, FINAL_MAX_TOKENS, True, usage)

            # Too many notes for one prompt: merge them in groups first.
            def group_prompt(group: list[dict[str, Any]]) -> list[dict[str, str]]:
                return chat(SYSTEM_MERGE_PARTIAL, {**material.brief(), "part_notes": group})

            groups: list[list[dict[str, Any]]] = [[]]
            for note in notes:
                if groups[-1] and (
                    messages_tokens(group_prompt([*groups[-1], note])) > self.token_budget
                ):
                    groups.append([])
                groups[-1].append(note)
            if all(len(group) < 2 for group in groups):
                raise NotConfigured(
                    "LLM_TOKEN_BUDGET is too small to merge the notes of this long "
                    "discussion: raise it (the default is 6000)."
                )
            merged = []
            for group in groups:
                if len(group) == 1:
                    merged.append(group[0])
                    continue
                merged.append(await self._json(group_prompt(group), PART_MAX_TOKENS, False, usage))
            notes = merged

    async def _json(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        need_questions: bool,
        usage: Usage,
    ) -> dict[str, Any]:
        """One structured answer; a malformed one is asked for once more, then reported."""
        problem = ""
        for attempt in (1, 2):
            content, finish = await self.chat.complete(messages, max_tokens, usage, structured=True)
            try:
                if finish == "length":
                    raise InvalidReply("cut off at max_tokens")
                return parse_summary(content, need_questions=need_questions)
            except InvalidReply as exc:
                problem = str(exc)
                log.warning("LLM reply unusable (%s), attempt %d of 2", problem, attempt)
        raise ServiceUnavailable(
            "The model's answer was not the structured summary I asked for, twice "
            f"({problem}), so nothing was posted. Try again later, or use a model that "
            "follows JSON instructions (LLM_MODEL)."
        )

    async def tldr(self, paper: Paper) -> str:
        """A short pre-reading summary of one paper from its abstract (plain text; escape it
        where it is shown: it is model output)."""
        self.require_enabled()
        if not paper.abstract or not paper.abstract.strip():
            raise InvalidInput(
                f"“{shorten(paper.title, 120)}” has no abstract stored, so there is nothing to "
                "summarise."
            )
        messages = chat(SYSTEM_TLDR, paper_data(paper))
        if messages_tokens(messages) > self.token_budget:
            raise InvalidInput(
                "This paper's abstract is longer than LLM_TOKEN_BUDGET allows for one request; "
                "raise the budget to summarise it."
            )
        key = hashlib.sha256(f"{self.model}\n{messages[1]['content']}".encode()).hexdigest()
        if key in self._tldr_cache:
            self._tldr_cache.move_to_end(key)
            return self._tldr_cache[key]
        usage = Usage()
        for _ in (1, 2):
            content, _finish = await self.chat.complete(
                messages, TLDR_MAX_TOKENS, usage, structured=False
            )
            text = " ".join(clean_block(strip_fences(content or "")).split())
            if text:
                text = shorten(text, TLDR_CHARS)
                self._tldr_cache[key] = text
                if len(self._tldr_cache) > 256:
                    self._tldr_cache.popitem(last=False)
                return text
            log.warning("LLM returned an empty TL;DR")
        raise ServiceUnavailable("The model returned an empty answer twice; try again later.")
