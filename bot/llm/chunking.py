"""Fitting a session's material into prompts within the token budget.

Tokens are estimated (characters / 4, the rule of thumb OpenAI documents; tiktoken would need
to download its tables). A discussion that does not fit one prompt is split into consecutive
parts, each checked on its exact prompt; a record too long for any part is cut into pieces.
Nothing is dropped.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.errors import NotConfigured
from bot.llm.prompts import PROMPT_VERSION, SYSTEM_PART, chat, dump_data
from bot.schedule.service import SessionInfo, headline
from bot.text import clean_block, shorten
from storage.models import Comment, Paper, PaperRole

MESSAGE_OVERHEAD_TOKENS = 4  # role and separators per chat message


def estimate_tokens(text: str) -> int:
    """Characters / 4, rounded up."""
    return math.ceil(len(text) / 4) if text else 0


def messages_tokens(messages: Sequence[dict[str, str]]) -> int:
    return sum(estimate_tokens(m["content"]) + MESSAGE_OVERHEAD_TOKENS for m in messages)


def paper_data(paper: Paper, role: str = PaperRole.MAIN) -> dict[str, Any]:
    data: dict[str, Any] = {"title": paper.title}
    if paper.authors:
        data["authors"] = list(paper.authors[:12]) + (["et al."] if len(paper.authors) > 12 else [])
    if paper.abstract:
        data["abstract"] = clean_block(paper.abstract)
    if paper.comment:
        data["arxiv_comment"] = clean_block(paper.comment)
    if paper.arxiv_id:
        data["arxiv_id"] = paper.arxiv_id
    if role == PaperRole.SEE_ALSO:
        data["role"] = "see also"
    return data


def comment_data(number: int, comment: Comment) -> dict[str, Any]:
    return {
        "n": number,
        "author": comment.author_name or "someone",
        "text": comment.text,
    }


@dataclass(frozen=True, slots=True)
class Material:
    session: dict[str, Any]
    papers: list[dict[str, Any]]
    comments: list[dict[str, Any]]

    def input_hash(self, model: str) -> str:
        payload = json.dumps(
            {
                "version": PROMPT_VERSION,
                "model": model,
                "session": self.session,
                "papers": self.papers,
                "comments": self.comments,
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    def brief(self) -> dict[str, Any]:
        """The session and its paper titles: context for every part of a split prompt."""
        return {
            "session": self.session,
            "paper_titles": [shorten(p["title"], 200) for p in self.papers],
        }


def material_of(view: SessionInfo, comments: Sequence[Comment]) -> Material:
    linked = view.papers or view.continues_papers
    session = {"title": headline(view), "date": view.starts_at.date().isoformat()}
    if view.session.notes:
        session["notes"] = clean_block(view.session.notes)
    return Material(
        session=session,
        papers=[paper_data(lp.paper, lp.role) for lp in linked],
        comments=[comment_data(i, c) for i, c in enumerate(comments, start=1)],
    )


def _record_cost(record: dict[str, Any]) -> int:
    """Tokens a record takes inside a part's data block, with room for the indentation it
    gets there."""
    return math.ceil(estimate_tokens(dump_data(record)) * 1.15) + 4


def _cut(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    space = text.rfind(" ", int(size * 0.6), size)
    return text[:space] if space > 0 else text[:size]


def _split_record(record: dict[str, Any], field: str, capacity: int) -> list[dict[str, Any]]:
    """A record too large for one part as numbered pieces of its long text field."""
    rest = {k: v for k, v in record.items() if k != field}
    body = str(record.get(field, ""))
    chunks: list[str] = []
    while body:
        size = min(len(body), capacity * 4)
        piece = _cut(body, size)
        while _record_cost({**rest, "part": "999/999", field: piece}) > capacity:
            if size <= 20:
                raise NotConfigured(
                    "LLM_TOKEN_BUDGET is too small to hold even one comment or paper with the "
                    "instructions: raise it (the default is 6000)."
                )
            size = int(size * 0.8)
            piece = _cut(body, size)
        chunks.append(piece)
        body = body[len(piece) :].lstrip()
    return [
        {**rest, "part": f"{index}/{len(chunks)}", field: chunk}
        for index, chunk in enumerate(chunks, start=1)
    ]


def _pieces(material: Material, capacity: int) -> list[tuple[str, dict[str, Any]]]:
    """Every paper and comment as ("papers" | "comments", record); a record too large for
    one part is split into numbered pieces of its long text field (nothing is dropped)."""
    out: list[tuple[str, dict[str, Any]]] = []
    items = [("papers", p, "abstract") for p in material.papers]
    items += [("comments", c, "text") for c in material.comments]
    for kind, record, field in items:
        if _record_cost(record) <= capacity:
            out.append((kind, record))
        else:
            out.extend((kind, piece) for piece in _split_record(record, field, capacity))
    return out


def split_parts(material: Material, token_budget: int) -> list[dict[str, list[dict[str, Any]]]]:
    """Consecutive parts of the papers and comments, each prompt within the budget
    (checked on the exact prompt, not on an estimate of its pieces)."""

    def prompt(index: int, count: int, part: dict[str, Any]) -> list[dict[str, str]]:
        return chat(SYSTEM_PART, {**material.brief(), "part": f"{index} of {count}", **part})

    frame = prompt(999, 999, {})
    capacity = token_budget - messages_tokens(frame) - 8
    if capacity < 60:
        raise NotConfigured(
            "LLM_TOKEN_BUDGET is too small for the instructions and the session's paper "
            "titles: raise it (the default is 6000)."
        )
    parts: list[dict[str, list[dict[str, Any]]]] = []
    current: dict[str, list[dict[str, Any]]] = {}
    for kind, record in _pieces(material, capacity - 16):
        candidate = {k: list(v) for k, v in current.items()}
        candidate.setdefault(kind, []).append(record)
        if current and messages_tokens(prompt(999, 999, candidate)) > token_budget:
            parts.append(current)
            candidate = {kind: [record]}
        current = candidate
    if current:
        parts.append(current)
    for index, part in enumerate(parts, start=1):
        if messages_tokens(prompt(index, len(parts), part)) > token_budget:
            raise NotConfigured(
                "LLM_TOKEN_BUDGET is too small to hold even one comment or paper with the "
                "instructions: raise it (the default is 6000)."
            )
    return parts
