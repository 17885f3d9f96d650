"""Rendering of candidates: escaped, within Discord's limits, and the page state that a
button's custom id carries."""

from __future__ import annotations

from datetime import date

import discord
import pytest

from bot.candidates.feed import FeedItem
from bot.candidates.ranking import Ranked
from bot.candidates.service import WORDS, Candidate, CandidateList
from bot.dates import Period, parse_period
from bot.errors import InvalidInput
from bot.ui.candidates import candidates_embed, listing_state, parse_state, propose_buttons

HOSTILE = "**Bold** | @everyone <@&123456789012345678> [click](https://evil.example) " + "x" * 400


def listing(*items: FeedItem, history: int = 1) -> CandidateList:
    fresh = [Candidate(Ranked(i, 0.5, close_to="A | *read* paper @here")) for i in items]
    return CandidateList(
        period=Period("day", date(2024, 3, 14), date(2024, 3, 14)),
        query=None,
        fresh=fresh,
        known=[Candidate(Ranked(items[0], 0.1), "proposed #2")],
        method=WORDS,
        in_feed=len(items),
        history=history,
    )


def test_hostile_titles_stay_text_and_fit() -> None:
    hostile = FeedItem(
        "2403.90004",
        HOSTILE,
        upvotes=3,
        keywords=("@everyone", "**k**"),
        github_repo="https://github.com/o/r",
    )
    found = listing(hostile)
    embed = candidates_embed(found, found.fresh, 0, 1)

    data = embed.to_dict()
    field = data["fields"][0]
    assert len(field["name"]) <= 256 and len(field["value"]) <= 1024
    assert field["name"].startswith("1. \\*\\*Bold\\*\\* \\| @\u200beveryone")
    assert "\\[click](" in field["name"]  # an escaped bracket: no link
    assert "<@&123456789012345678>" not in field["name"]  # mentions defused
    assert "close to: A \\| \\*read\\* paper @\u200bhere" in field["value"]
    assert "@everyone" not in str(data).replace("@\u200beveryone", "")
    assert len(embed) <= 6000
    known = data["fields"][1]
    assert known["name"] == "Already proposed, scheduled or read"
    assert "(proposed #2)" in known["value"]


def test_a_full_page_stays_within_limits() -> None:
    items = [
        FeedItem(
            f"2403.9{n:04d}",
            HOSTILE,
            abstract="y" * 5000,
            keywords=tuple("k" * 40 for _ in range(8)),
            github_repo="https://github.com/o/" + "r" * 300,
            project_page="https://example.org/" + "p" * 400,
            spaces=("a/" + "s" * 90, "b/" + "s" * 90, "c/" + "s" * 90),
        )
        for n in range(5)
    ]
    found = listing(*items)
    embed = candidates_embed(found, found.fresh, 0, 3)
    assert len(embed) <= 6000
    assert all(len(f.value or "") <= 1024 for f in embed.fields)


def test_buttons_five_a_row_under_the_page_buttons() -> None:
    found = listing(*[FeedItem(f"2403.9{n:04d}", "t") for n in range(5)])
    buttons = propose_buttons(found.fresh, 6)
    assert [b.item.label for b in buttons] == [f"Propose {n}" for n in range(6, 11)]
    assert {b.item.row for b in buttons} == {1}
    assert buttons[0].custom_id == "cand:propose:2403.90000"
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(button)


@pytest.mark.parametrize(
    ("text", "query"),
    [
        (None, None),
        ("2024-W11", "ecg"),
        ("2024-03", "vision language models"),
        ("2024-03-14", None),
    ],
)
def test_page_state_round_trips(text: str | None, query: str | None) -> None:
    period = parse_period(text, date(2024, 3, 15))
    state = listing_state(period, query)
    assert len(state) <= 48
    assert parse_state(state) == (period, query)


def test_page_state_refuses_what_would_not_fit() -> None:
    period = parse_period(None, date(2024, 3, 15))
    with pytest.raises(InvalidInput, match="shorter query"):
        listing_state(period, "ünïcode words")
    with pytest.raises(InvalidInput, match="run the command again"):
        parse_state("x2024")
