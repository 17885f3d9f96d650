"""Papers outside arXiv in the schedule, end to end: /session add asks for their title and
authors with the same form as /paper propose, and the export shows them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import App

DISTILL = "https://distill.pub/2021/multimodal-neurons/"
OPENREVIEW = "https://openreview.net/forum?id=hTWqB327Oay"
ACL = "https://aclanthology.org/2020.acl-main.463/"
PDF = "https://proceedings.mlr.press/v139/radford21a/radford21a.pdf"
TITLE = "Multimodal Neurons in Artificial Neural Networks"


async def _export(app: App) -> str:
    reply = await app.slash(app.member, "export markdown")
    await reply.final()
    return str(reply.files[0].data.decode())


def _papers_field(reply: Any) -> str:
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    return str(fields["Papers"])


@pytest.mark.parametrize("url", [DISTILL, OPENREVIEW, ACL, PDF])
async def test_session_add_asks_for_title_and_authors_of_a_paper_outside_arxiv(
    app: App, url: str
) -> None:
    form = await app.slash(app.organizer, "session add", date="2025-02-06", paper=url)
    assert form.modal is not None
    assert form.modal["title"] == "Paper details"
    submitted = await app.discord.submit_modal(
        app.organizer,
        form,
        {"paper:title": TITLE, "paper:authors": "Gabriel Goh, Nick Cammarata, Chris Olah"},
    )
    await submitted.final()
    assert submitted.ephemeral
    assert "Scheduled session #1" in submitted.text
    assert submitted.embeds[0]["title"] == f"#1 · {TITLE}"
    assert "G. Goh, N. Cammarata, C. Olah" in _papers_field(submitted)
    assert "/paper edit" not in submitted.text

    shown = await app.slash(app.member, "session show", session=1)
    assert shown.embeds[0]["title"] == f"#1 · {TITLE}"
    exported = await _export(app)
    assert f"[{TITLE}](" in exported
    assert "G. Goh, N. Cammarata, C. Olah" in exported
    assert app.arxiv.request_count == 0

    # The paper is known now: the next session with it needs no form.
    again = await app.slash(app.organizer, "session add", date="2025-02-13", paper=url)
    await again.final()
    assert again.modal is None
    assert "Scheduled session #2" in again.text
    assert again.embeds[0]["title"] == f"#2 · {TITLE}"


async def test_arxiv_papers_beside_the_link_keep_their_metadata(app: App) -> None:
    app.arxiv.add_entry(
        "2103.00020",
        title="Learning Transferable Visual Models From Natural Language Supervision",
        authors=["Alec Radford", "Jong Wook Kim"],
    )
    form = await app.slash(
        app.organizer,
        "session add",
        date="2025-02-06",
        kind="topic",
        title="CLIP and its neurons",
        paper="2103.00020",
        more_papers=DISTILL,
    )
    assert form.modal is not None
    submitted = await app.discord.submit_modal(
        app.organizer, form, {"paper:title": TITLE, "paper:authors": "Goh, Cammarata"}
    )
    await submitted.final()
    papers = _papers_field(submitted)
    assert "Learning Transferable Visual Models" in papers and "A. Radford, J. W. Kim" in papers
    assert TITLE in papers


async def test_a_bad_date_is_refused_before_the_form(app: App) -> None:
    reply = await app.slash(app.organizer, "session add", date="31.02.2025", paper=DISTILL)
    assert reply.modal is None
    assert reply.ephemeral
    assert "31.02.2025" in reply.text
    async with app.services.db.unit() as uow:
        assert await uow.papers.count(app.guild.id) == 0


async def test_a_mention_in_the_form_is_refused_and_saves_nothing(app: App) -> None:
    form = await app.slash(app.organizer, "session add", date="2025-02-06", paper=DISTILL)
    submitted = await app.discord.submit_modal(
        app.organizer, form, {"paper:title": "@everyone look", "paper:authors": ""}
    )
    await submitted.final()
    assert submitted.ephemeral
    assert "Scheduled" not in submitted.text
    async with app.services.db.unit() as uow:
        assert await uow.sessions.count(app.guild.id, include_cancelled=True) == 0
        assert await uow.papers.count(app.guild.id) == 0


async def test_members_get_no_form(app: App) -> None:
    reply = await app.slash(app.member, "session add", date="2025-02-06", paper=DISTILL)
    assert reply.modal is None
    assert "Only organizers can do this" in reply.content


async def test_a_second_link_is_named_for_paper_edit(app: App) -> None:
    form = await app.slash(
        app.organizer,
        "session add",
        date="2025-02-06",
        kind="topic",
        title="Interpretability",
        paper=DISTILL,
        more_papers=OPENREVIEW,
    )
    submitted = await app.discord.submit_modal(
        app.organizer, form, {"paper:title": TITLE, "paper:authors": "Goh"}
    )
    await submitted.final()
    assert "Scheduled session #1" in submitted.text
    assert "openreview.net/forum has only a name made from its link" in submitted.text
    assert "/paper edit" in submitted.text


async def test_session_edit_asks_for_a_new_link_too(app: App) -> None:
    added = await app.slash(app.organizer, "session add", date="2025-02-06", kind="tba")
    await added.final()
    missing = await app.slash(app.organizer, "session edit", session=7, paper=DISTILL)
    assert missing.modal is None and "There is no session #7" in missing.text

    form = await app.slash(app.organizer, "session edit", session=1, kind="paper", paper=DISTILL)
    assert form.modal is not None
    submitted = await app.discord.submit_modal(
        app.organizer, form, {"paper:title": TITLE, "paper:authors": "Goh, Cammarata"}
    )
    await submitted.final()
    assert "Updated session #1" in submitted.text
    assert submitted.embeds[0]["title"] == f"#1 · {TITLE}"
    assert "Goh, Cammarata" in _papers_field(submitted)
    assert app.discord.scheduled_events(app.guild)[0]["name"] == TITLE
