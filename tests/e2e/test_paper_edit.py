"""/paper edit end to end: organizers fix a paper's title, authors and links in a form
prefilled with what is stored; sessions, the Discord event, the pinned schedule and the
export follow."""

from __future__ import annotations

from typing import Any

from bot.schedule.drafts import SessionDraft
from tests.e2e.conftest import App

DISTILL = "https://distill.pub/2021/multimodal-neurons/"
TITLE = "Multimodal Neurons in Artificial Neural Networks"
LLAVA = "2304.08485"


def _inputs(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The modal's text inputs by custom id (inside action rows or labels)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if item.get("type") == 4:
                found[item["custom_id"]] = item
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(modal.get("components", []))
    return found


async def _session_with_link(app: App, url: str = DISTILL, day: str = "2025-02-06") -> int:
    """A session whose paper is known only by its link (as /session add made them before)."""
    view = await app.services.schedule.add(
        app.guild.id, SessionDraft(date_text=day, paper_refs=[url]), actor_id=None
    )
    return view.id


async def _paper_id(app: App, ref: str) -> int:
    paper = await app.services.papers.stored(app.guild.id, ref)
    assert paper is not None and paper.id is not None
    return paper.id


async def _open(app: App, ref: str, member: Any = None) -> Any:
    return await app.slash(member or app.organizer, "paper edit", ref=ref)


async def _submit(app: App, form: Any, values: dict[str, str]) -> Any:
    reply = await app.discord.submit_modal(app.organizer, form, values)
    await reply.final()
    return reply


async def test_fix_a_paper_known_by_its_link_everywhere(app: App) -> None:
    session_id = await _session_with_link(app)
    pinned = await app.slash(app.organizer, "export pin", options={"channel": app.announcements})
    await pinned.final()
    pin = app.discord.pins(app.announcements)[0]
    assert "distill.pub/multimodal-neurons" in app.discord.message(pin)["content"]
    assert app.discord.scheduled_events(app.guild)[0]["name"] == "distill.pub/multimodal-neurons"

    choices = await app.discord.autocomplete(
        app.organizer, "paper edit", focused="ref", value="multimodal"
    )
    paper_id = await _paper_id(app, DISTILL)
    assert choices[0]["value"] == f"paper:{paper_id}"

    form = await _open(app, choices[0]["value"])
    assert form.modal is not None and form.modal["title"].startswith("Edit: distill.pub/multimodal")
    inputs = _inputs(form.modal)
    assert inputs["paper:edit:title"]["value"] == "distill.pub/multimodal-neurons"
    assert inputs["paper:edit:url"]["value"] == "https://distill.pub/2021/multimodal-neurons/"
    assert "value" not in inputs["paper:edit:authors"]
    assert inputs["paper:edit:code"]["placeholder"].startswith("Empty: no code links.")

    done = await _submit(
        app,
        form,
        {
            "paper:edit:title": TITLE,
            "paper:edit:authors": "Gabriel Goh, Nick Cammarata, Chris Olah",
            "paper:edit:code": "https://github.com/openai/CLIP-featurevis",
        },
    )
    assert done.ephemeral
    assert f"Saved the title, authors, Code links of {TITLE}. Updated in 1 session." in done.text
    assert done.embeds[0]["title"].endswith(TITLE)

    shown = await app.slash(app.member, "session show", session=session_id)
    assert shown.embeds[0]["title"] == f"#{session_id} · {TITLE}"
    assert app.discord.scheduled_events(app.guild)[0]["name"] == TITLE
    assert TITLE in app.discord.message(pin)["content"]
    export = await app.slash(app.member, "export markdown")
    await export.final()
    text = export.files[0].data.decode()
    assert f"[{TITLE}](https://distill.pub/2021/multimodal-neurons/)" in text
    assert "G. Goh, N. Cammarata, C. Olah" in text
    assert "[GitHub](https://github.com/openai/CLIP-featurevis)" in text

    # The form opens with the new values; sent unchanged, nothing is touched.
    again = await _open(app, f"paper:{paper_id}")
    assert _inputs(again.modal)["paper:edit:title"]["value"] == TITLE
    edits = len(app.discord.message_edits(pin))
    same = await _submit(app, again, {})
    assert "Nothing changed:" in same.text and "is as it was." in same.text
    assert len(app.discord.message_edits(pin)) == edits


async def test_an_emptied_field_is_cleared(app: App) -> None:
    await _session_with_link(app)
    paper_id = await _paper_id(app, DISTILL)
    first = await _open(app, f"paper:{paper_id}")
    await _submit(
        app,
        first,
        {
            "paper:edit:authors": "Goh",
            "paper:edit:demo": "[Colab](https://colab.research.google.com/x)",
        },
    )
    form = await _open(app, f"paper:{paper_id}")
    assert _inputs(form.modal)["paper:edit:demo"]["value"] == (
        "[Colab](https://colab.research.google.com/x)"
    )
    done = await _submit(app, form, {"paper:edit:authors": "", "paper:edit:demo": ""})
    assert "Saved the authors, Demo links" in done.text
    paper = await app.services.papers.stored(app.guild.id, f"paper:{paper_id}")
    assert paper is not None and paper.authors == [] and paper.demo_links == []


async def test_bad_input_is_refused_and_changes_nothing(app: App) -> None:
    await _session_with_link(app)
    other = "https://openreview.net/forum?id=hTWqB327Oay"
    await _session_with_link(app, other, "2025-02-13")
    paper_id = await _paper_id(app, DISTILL)
    cases = [
        ({"paper:edit:code": "not a link"}, "is not a link"),
        ({"paper:edit:url": "https://arxiv.org/abs/2304.08485"}, "is an arXiv paper"),
        ({"paper:edit:url": "ftp://example"}, "is not a link"),
        ({"paper:edit:title": "@everyone read this"}, "mention"),
        ({"paper:edit:url": other}, "already has this link"),
    ]
    for values, message in cases:
        form = await _open(app, f"paper:{paper_id}")
        refused = await _submit(app, form, {"paper:edit:title": TITLE, **values})
        assert refused.ephemeral
        assert message in refused.text, (values, refused.text)
    paper = await app.services.papers.stored(app.guild.id, f"paper:{paper_id}")
    assert paper is not None
    assert paper.title == "distill.pub/multimodal-neurons"
    assert paper.url == DISTILL and paper.code_links == []


async def test_a_new_link_is_the_papers_identity(app: App) -> None:
    await _session_with_link(app)
    paper_id = await _paper_id(app, DISTILL)
    moved = "https://distill.pub/2021/multimodal-neurons-v2/"
    form = await _open(app, f"paper:{paper_id}")
    done = await _submit(app, form, {"paper:edit:title": TITLE, "paper:edit:url": moved})
    assert "Saved the title, link" in done.text
    assert await _paper_id(app, moved) == paper_id
    assert await app.services.papers.stored(app.guild.id, DISTILL) is None


async def test_an_arxiv_paper_keeps_its_link(app: App) -> None:
    app.arxiv.add_entry(LLAVA, title="Visual Instruction Tuning", authors=["Haotian Liu"])
    added = await app.slash(app.organizer, "session add", date="2025-02-06", paper=LLAVA)
    await added.final()
    form = await _open(app, LLAVA)
    inputs = _inputs(form.modal)
    assert "paper:edit:url" not in inputs
    assert inputs["paper:edit:authors"]["value"] == "Haotian Liu"
    done = await _submit(app, form, {"paper:edit:authors": "Haotian Liu, Chunyuan Li"})
    assert "Saved the authors of " in done.text
    assert "refresh from arXiv" in done.text
    shown = await app.slash(app.member, "session show", session=1)
    papers = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}["Papers"]
    assert "H. Liu, C. Li" in papers


async def test_only_organizers_edit_and_unknown_papers_are_named(app: App) -> None:
    await _session_with_link(app)
    paper_id = await _paper_id(app, DISTILL)
    refused = await _open(app, f"paper:{paper_id}", member=app.member)
    assert refused.modal is None and "Only organizers can do this" in refused.text
    missing = await _open(app, "https://example.org/nothing.pdf")
    assert missing.modal is None and "no such paper" in missing.text


async def test_help_lists_paper_edit(app: App) -> None:
    reply = await app.slash(app.member, "help")
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert "`/paper edit` — Fix a paper's title, authors and links (organizers)" in fields["/paper"]


async def test_the_proposal_message_shows_the_fixed_title(app: App) -> None:
    form = await app.slash(app.member, "paper propose", ref=DISTILL)
    sent = await app.discord.submit_modal(app.member, form, {"paper:title": "Multimodal"})
    await sent.final()
    post = [m for m in app.discord.channel_messages(app.channel) if m.get("components")][-1]
    assert app.discord.message(post)["embeds"][0]["title"] == "#1 · Multimodal"

    edit = await _open(app, DISTILL)
    await _submit(app, edit, {"paper:edit:title": TITLE})
    assert app.discord.message(post)["embeds"][0]["title"] == f"#1 · {TITLE}"
