"""/paper end to end: the real bot, the fake Discord, the fake arXiv."""

from __future__ import annotations

from typing import Any

import pytest

from storage.models import ProposalStatus
from tests.e2e.conftest import App
from tests.harness.arxiv import ArxivFault
from tests.harness.discord.actions import CommandUnavailable

LLAVA = "2304.08485"
CLIP = "2103.00020"
SIGLIP = "2303.15343"


def _arxiv(app: App) -> None:
    app.arxiv.add_entry(
        LLAVA,
        version=2,
        title="Visual Instruction Tuning",
        authors=["Haotian Liu", "Chunyuan Li", "Qingyang Wu", "Yong Jae Lee"],
        abstract="We present LLaVA. " + "Instruction tuning works. " * 200,
        comment="Project page: https://llava-vl.github.io/ Demo: https://llava.hliu.cc/",
        categories=["cs.CV", "cs.AI"],
    )
    app.arxiv.add_entry(CLIP, title="Learning Transferable Visual Models From Natural Language")
    app.arxiv.add_entry(SIGLIP, title="Sigmoid Loss for Language Image Pre-Training")


def _posts(app: App) -> list[dict[str, Any]]:
    """Messages in #general that carry a proposal (an embed with a vote button)."""
    return [m for m in app.discord.channel_messages(app.channel) if m.get("components")]


def _fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0].get("fields", [])}


def _button(app: App, message: dict[str, Any]) -> dict[str, Any]:
    fresh = app.discord.message(message)
    return fresh["components"][0]["components"][0]


async def _propose(app: App, member: Any, **options: Any) -> Any:
    reply = await app.slash(member, "paper propose", **options)
    await reply.final()
    return reply


async def _counts(app: App) -> tuple[int, int]:
    async with app.services.db.unit() as uow:
        return await uow.papers.count(app.guild.id), await uow.proposals.count_open(app.guild.id)


# -- propose -------------------------------------------------------------------------------


async def test_propose_by_id_posts_an_embed_with_a_vote_button(app: App) -> None:
    _arxiv(app)
    reply = await _propose(
        app, app.member, ref=f"https://arxiv.org/abs/{LLAVA}", presenter=app.organizer, note="Fun"
    )

    assert reply.deferred and reply.ephemeral
    assert "as #1" in reply.content
    post = _posts(app)[-1]
    assert post["id"] in reply.content  # the confirmation links to the post
    embed = post["embeds"][0]
    assert embed["title"] == "#1 · Visual Instruction Tuning"
    assert embed["url"] == f"https://arxiv.org/abs/{LLAVA}"
    assert embed["description"].startswith("We present LLaVA.")
    assert len(embed["description"]) <= 1700  # the abstract trimmed to fit
    fields = _fields(post)
    assert fields["Authors"] == "H. Liu, C. Li, Q. Wu, Y. J. Lee"
    assert f"[arXiv](https://arxiv.org/abs/{LLAVA})" in fields["Links"]
    assert fields["Code"] == "[Project Page](https://llava-vl.github.io/)"
    assert fields["Demo"] == "[Demo](https://llava.hliu.cc/)"
    assert fields["Categories"] == "cs.CV · cs.AI"
    assert fields["Proposed by"] == f"<@{app.member.id}>"
    assert fields["Presenter"] == f"<@{app.organizer.id}>"
    assert fields["Votes"] == "0"
    assert fields["Note"] == "Fun"
    button = _button(app, post)
    assert (button["custom_id"], button["label"]) == ("paper:vote:1", "Vote (0)")
    assert post.get("mentions", []) == []  # nobody pinged


async def test_vote_and_unvote_with_the_button(app: App) -> None:
    _arxiv(app)
    await _propose(app, app.member, ref=LLAVA)
    post = _posts(app)[-1]

    first = await app.discord.click(app.organizer, post, custom_id="paper:vote:1")
    assert _button(app, post)["label"] == "Vote (1)"
    assert _fields(app.discord.message(post))["Votes"] == "1"
    note = (await first.wait_followups(1))[0]
    assert "Your vote for #1 counts (1 vote)" in note["content"]
    assert note["flags"] & 64  # ephemeral

    await app.discord.click(app.admin, post, custom_id="paper:vote:1")
    assert _button(app, post)["label"] == "Vote (2)"
    again = await app.discord.click(app.organizer, post, custom_id="paper:vote:1")
    assert _button(app, post)["label"] == "Vote (1)"
    assert "taken back (1 vote)" in (await again.wait_followups(1))[0]["content"]
    assert (await app.services.proposals.get(app.guild.id, 1)).votes == 1


async def test_votes_survive_a_restart(app: App) -> None:
    _arxiv(app)
    await _propose(app, app.member, ref=LLAVA)
    post = _posts(app)[-1]
    await app.discord.click(app.organizer, post, custom_id="paper:vote:1")

    await app.restart()

    after = await app.discord.click(app.admin, post, custom_id="paper:vote:1")
    assert "counts (2 votes)" in (await after.wait_followups(1))[0]["content"]
    assert _button(app, post)["label"] == "Vote (2)"
    await app.discord.click(app.organizer, post, custom_id="paper:vote:1")
    assert _button(app, post)["label"] == "Vote (1)"


async def test_propose_a_paper_outside_arxiv_through_the_form(app: App) -> None:
    url = "https://openreview.net/forum?id=hTWqB327Oay"
    form = await app.slash(app.member, "paper propose", ref=url)
    assert form.modal is not None
    submitted = await app.discord.submit_modal(
        app.member,
        form,
        {"paper:title": "Calibrating Multimodal Learning", "paper:authors": "Ma, Zhang, Wu"},
    )
    await submitted.final()
    assert "as #1" in submitted.content
    post = _posts(app)[-1]
    assert post["embeds"][0]["title"] == "#1 · Calibrating Multimodal Learning"
    assert post["embeds"][0]["url"] == url
    assert _fields(post)["Authors"] == "Ma, Zhang, Wu"
    assert app.arxiv.request_count == 0

    # With the title given as options, no form is needed.
    direct = await _propose(
        app,
        app.member,
        ref="https://distill.pub/2021/multimodal-neurons/",
        title="Multimodal Neurons in Artificial Neural Networks",
        authors="Goh, Cammarata",
    )
    assert "as #2" in direct.content


async def test_propose_by_title_with_the_select_menu(app: App) -> None:
    _arxiv(app)
    reply = await _propose(app, app.member, ref="visual instruction tuning")
    assert reply.ephemeral
    assert "Pick the one to propose" in reply.content
    menu = reply.component(custom_id="paper:pick")
    assert menu["options"][0]["value"] == LLAVA
    assert menu["options"][0]["label"] == "Visual Instruction Tuning"

    picked = await app.discord.select(app.member, reply, "paper:pick", [LLAVA])

    await app.until(lambda: "as #1" in reply.content, "the pick to be confirmed")
    assert reply.components == []
    assert _posts(app)[-1]["embeds"][0]["title"] == "#1 · Visual Instruction Tuning"
    assert picked is not None
    assert app.arxiv.request_count == 1  # the search gave the metadata


async def test_the_picker_belongs_to_its_member(app: App) -> None:
    _arxiv(app)
    reply = await _propose(app, app.member, ref="visual instruction tuning")
    other = await app.discord.select(app.organizer, reply, "paper:pick", [LLAVA])
    assert "someone else's command" in other.content
    assert await _counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("ref", "fragment"),
    [
        ("2401.99999", "arXiv has no paper 2401.99999"),
        ("0000.0000", "month 00 does not exist"),
        ("https://github.com/haotian-liu/LLaVA", "does not look like a paper"),
        ("https://arxiv.org/list/cs.CV/recent", "not to a paper"),
        (" ".join(f"2401.{n:05d}" for n in range(1, 301)), "one paper at a time: 300"),
        ("zzyzx quixotic flibbertigibbet", "arXiv has no paper whose title has the words"),
        ("Attention @everyone", "mention"),
    ],
)
async def test_bad_references_get_a_clear_message_and_save_nothing(
    app: App, ref: str, fragment: str
) -> None:
    _arxiv(app)
    reply = await _propose(app, app.member, ref=ref)
    assert reply.ephemeral
    assert fragment in reply.text
    assert await _counts(app) == (0, 0)
    assert _posts(app) == []


async def test_other_bad_input(app: App) -> None:
    _arxiv(app)
    note = await _propose(app, app.member, ref=LLAVA, note="cc @here")
    assert "mention" in note.text
    bot_presenter = await _propose(
        app, app.member, ref=LLAVA, presenter=app.discord.world.bot_member(app.guild)
    )
    assert "A bot cannot present" in bot_presenter.text
    await _propose(app, app.member, ref=LLAVA)
    twice = await _propose(app, app.organizer, ref=f"arXiv:{LLAVA}")
    assert "already proposed as #1" in twice.text
    assert await _counts(app) == (1, 1)


async def test_a_title_with_markdown_is_escaped(app: App) -> None:
    reply = await _propose(
        app,
        app.member,
        ref="https://example.org/paper.pdf",
        title="**Bold** claims | _x_ [y](http://evil)",
    )
    assert "as #1" in reply.content
    title = _posts(app)[-1]["embeds"][0]["title"]
    # Bold, italics and the link are inert: every marker is escaped ("[" suffices for links).
    assert title == "#1 · \\*\\*Bold\\*\\* claims \\| \\_x\\_ \\[y](http://evil)"


async def test_arxiv_down_is_reported_and_nothing_saved(app: App) -> None:
    _arxiv(app)
    app.arxiv.fail_next(ArxivFault.UNAVAILABLE, times=10)
    reply = await _propose(app, app.member, ref=LLAVA)
    assert "arXiv did not answer" in reply.text
    assert await _counts(app) == (0, 0)


async def test_a_refused_post_leaves_no_proposal(app: App) -> None:
    _arxiv(app)
    app.discord.faults.add("POST", r"/channels/\d+/messages", status=403, code=50013, times=1)
    reply = await _propose(app, app.member, ref=LLAVA)
    assert "Discord refused" in reply.text
    assert (await _counts(app))[1] == 0


# -- queue, withdraw, schedule ---------------------------------------------------------------


async def test_queue_ranks_by_votes_then_age(app: App) -> None:
    _arxiv(app)
    for ref in (LLAVA, CLIP, SIGLIP):
        await _propose(app, app.member, ref=ref)
        app.clock.advance(minutes=5)
    posts = _posts(app)
    await app.discord.click(app.organizer, posts[2], custom_id="paper:vote:3")
    await app.discord.click(app.admin, posts[2], custom_id="paper:vote:3")
    await app.discord.click(app.organizer, posts[1], custom_id="paper:vote:2")

    queue = await app.slash(app.member, "paper queue")

    lines = queue.embeds[0]["description"].splitlines()
    assert [line.split("`")[1] for line in lines] == ["#3", "#2", "#1"]
    assert "**2** 👍" in lines[0]
    assert f"https://discord.com/channels/{app.guild.id}/{app.channel.id}/" in lines[0]
    assert queue.embeds[0]["footer"]["text"].startswith("Page 1 of 1 · 3 open proposals")


async def test_a_long_queue_is_paginated(app: App) -> None:
    ids = [f"2401.{n:05d}" for n in range(1, 24)]
    for arxiv_id in ids:
        app.arxiv.add_entry(arxiv_id, title=f"A paper about topic {arxiv_id} " + "w" * 200)
    specs = await app.services.papers.lookup(app.guild.id, ids)
    for spec in specs:
        await app.services.proposals.propose(app.guild.id, spec, proposer_id=app.member.id)

    reply = await app.slash(app.member, "paper queue", private=True)
    assert reply.ephemeral
    assert reply.embeds[0]["footer"]["text"].startswith("Page 1 of 3 · 23 open proposals")
    await app.discord.click(app.member, reply, label="Next ▶")
    await app.discord.click(app.member, reply, label="Next ▶")
    embed = reply.embeds[0]
    assert embed["footer"]["text"].startswith("Page 3 of 3")
    assert len(embed["description"].splitlines()) == 3
    assert len(embed["description"]) <= 4096


async def test_withdraw_by_proposer_not_by_others(app: App) -> None:
    _arxiv(app)
    await _propose(app, app.member, ref=LLAVA)
    post = _posts(app)[-1]
    stranger = app.guild.add_member("sam")

    refused = await app.slash(stranger, "paper withdraw", proposal=1)
    assert refused.ephemeral
    assert "Only the member who proposed #1 or an organizer" in refused.content

    done = await app.slash(app.member, "paper withdraw", proposal=1)
    assert "Withdrew proposal #1" in done.content
    await app.until(lambda: _button(app, post)["disabled"], "the vote button to be disabled")
    message = app.discord.message(post)
    assert "withdrawn" in message["embeds"][0]["footer"]["text"]
    with pytest.raises(CommandUnavailable):
        await app.discord.click(app.organizer, post, custom_id="paper:vote:1")
    again = await app.slash(app.organizer, "paper withdraw", proposal=1)
    assert "already withdrawn" in again.content
    queue = await app.slash(app.member, "paper queue")
    assert "No open proposals" in queue.embeds[0]["description"]


async def test_an_organizer_withdraws_any_proposal(app: App) -> None:
    _arxiv(app)
    await _propose(app, app.member, ref=LLAVA)
    done = await app.slash(app.organizer, "paper withdraw", proposal=1)
    assert "Withdrew proposal #1" in done.content
    view = await app.services.proposals.get(app.guild.id, 1)
    assert view.proposal.status == ProposalStatus.WITHDRAWN


async def test_schedule_a_proposal(app: App) -> None:
    _arxiv(app)
    await _propose(app, app.member, ref=LLAVA)
    post = _posts(app)[-1]

    refused = await app.slash(app.member, "paper schedule", proposal=1, date="2025-02-06")
    assert "Only organizers can do this" in refused.content

    reply = await app.slash(app.organizer, "paper schedule", proposal=1, date="2025-02-06")
    await reply.final()
    assert reply.ephemeral
    assert "Scheduled proposal #1 as session #1." in reply.content
    # No presenter: the rotation suggests the proposer, who never presented.
    assert f"fair rotation: <@{app.member.id}> (never presented)" in reply.content
    assert reply.embeds[0]["title"] == "#1 · Visual Instruction Tuning"
    assert "<t:1738861200:F>" in reply.embeds[0]["description"]
    assert app.discord.scheduled_events(app.guild)[0]["name"] == "Visual Instruction Tuning"
    await app.until(
        lambda: (
            "scheduled as session #1" in app.discord.message(post)["embeds"][0]["footer"]["text"]
        ),
        "the proposal message to show the session",
    )
    assert _button(app, post)["disabled"] is True
    again = await app.slash(app.organizer, "paper schedule", proposal=1, date="2025-02-13")
    await again.final()
    assert "already scheduled" in again.text


async def test_schedule_with_a_bad_date_keeps_the_proposal_open(app: App) -> None:
    _arxiv(app)
    await _propose(app, app.member, ref=LLAVA, presenter=app.admin)
    reply = await app.slash(app.organizer, "paper schedule", proposal=1, date="03/04/2025")
    await reply.final()
    assert "ambiguous" in reply.text
    assert (await app.services.proposals.get(app.guild.id, 1)).is_open
    ok = await app.slash(app.organizer, "paper schedule", proposal=1, date="2025-02-06")
    await ok.final()
    assert "fair rotation" not in ok.content  # the proposal names a presenter
    view = await app.services.schedule.get(app.guild.id, 1)
    assert view.session.presenter_id == app.admin.id


async def test_session_add_without_presenter_suggests_one(app: App) -> None:
    first = await app.slash(
        app.organizer,
        "session add",
        date="2025-01-09",
        kind="special",
        title="Code Reading Group",
        presenter=app.admin,
    )
    await first.final()
    assert "fair rotation" not in first.content
    second = await app.slash(
        app.organizer, "session add", date="2025-01-16", kind="special", title="Code again"
    )
    await second.final()
    assert f"fair rotation: <@{app.admin.id}> (last presented 09.01.2025)" in second.content
    tba = await app.slash(app.organizer, "session add", date="2025-01-23", kind="tba")
    await tba.final()
    assert "fair rotation" not in tba.content


# -- info, links, tldr ---------------------------------------------------------------------


async def test_info_is_cached_and_refresh_refetches(app: App) -> None:
    _arxiv(app)
    first = await app.slash(app.member, "paper info", ref=LLAVA)
    await first.final()
    assert first.ephemeral
    assert first.embeds[0]["title"] == "Visual Instruction Tuning"
    assert app.arxiv.request_count == 1
    again = await app.slash(app.member, "paper info", ref=f"https://arxiv.org/pdf/{LLAVA}v2")
    await again.final()
    assert app.arxiv.request_count == 1
    assert again.embeds[0]["footer"]["text"].startswith("Paper · arXiv 2304.08485v2")

    app.arxiv.add_entry(LLAVA, version=3, title="Visual Instruction Tuning, revised")
    fresh = await app.slash(app.member, "paper info", ref=LLAVA, refresh=True)
    await fresh.final()
    assert app.arxiv.request_count == 2
    assert fresh.embeds[0]["title"] == "Visual Instruction Tuning, revised"

    choices = await app.discord.autocomplete(
        app.member, "paper info", focused="ref", value="revised"
    )
    assert [c["value"] for c in choices] == ["paper:1"]
    by_choice = await app.slash(app.member, "paper info", ref="paper:1")
    await by_choice.final()
    assert by_choice.embeds[0]["title"] == "Visual Instruction Tuning, revised"
    unknown = await app.slash(app.member, "paper info", ref="Some Title Nobody Stored")
    await unknown.final()
    assert "no paper titled" in unknown.text


async def test_organizers_edit_links(app: App) -> None:
    _arxiv(app)
    refused = await app.slash(
        app.member, "paper links", ref=LLAVA, code="https://github.com/haotian-liu/LLaVA"
    )
    assert "Only organizers can do this" in refused.content

    reply = await app.slash(
        app.organizer,
        "paper links",
        ref=LLAVA,
        code="https://github.com/haotian-liu/LLaVA [Project Page](https://llava-vl.github.io/)",
        demo="-",
    )
    await reply.final()
    assert "[GitHub](https://github.com/haotian-liu/LLaVA)" in reply.content
    assert "Demo: —" in reply.content
    app.arxiv.add_entry(LLAVA, version=3, title="Visual Instruction Tuning")
    info = await app.slash(app.member, "paper info", ref=LLAVA, refresh=True)
    await info.final()
    fields = {f["name"]: f["value"] for f in info.embeds[0]["fields"]}
    assert fields["Code"] == (
        "[GitHub](https://github.com/haotian-liu/LLaVA) [Project Page](https://llava-vl.github.io/)"
    )
    assert "Demo" not in fields
    assert "links edited by organizers" in info.embeds[0]["footer"]["text"]


async def test_tldr_summarises_the_abstract_as_data(app: App) -> None:
    _arxiv(app)
    app.llm.reply("LLaVA tunes a language model on **GPT-4-made** instructions. @everyone")
    reply = await app.slash(app.member, "paper tldr", ref=LLAVA)
    await reply.final()
    assert reply.ephemeral
    assert reply.text.startswith("**TL;DR: Visual Instruction Tuning**")
    assert "\\*\\*GPT-4-made\\*\\*" in reply.text  # model output is shown escaped
    assert "@everyone" not in reply.text.replace("@\u200beveryone", "")
    prompt = app.llm.last.prompt_text
    assert "We present LLaVA." in prompt
    # (an organizer: a member waits LLM_COOLDOWN_SECONDS between two TL;DRs)
    again = await app.slash(app.organizer, "paper tldr", ref=LLAVA)
    await again.final()
    assert len(app.llm.completions) == 1  # the same abstract is not asked twice


async def test_proposal_autocomplete_lists_open_proposals(app: App) -> None:
    _arxiv(app)
    await _propose(app, app.member, ref=LLAVA)
    await _propose(app, app.member, ref=CLIP)
    await app.slash(app.member, "paper withdraw", proposal=2)
    choices = await app.discord.autocomplete(
        app.organizer, "paper schedule", focused="proposal", value="", date="2025-02-06"
    )
    assert [(c["name"], c["value"]) for c in choices] == [
        ("#1 · 0 votes · Visual Instruction Tuning", 1)
    ]
