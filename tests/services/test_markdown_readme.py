"""The group's real README: import, export, round trips and re-imports."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, time

import pytest

from bot.dates import utc_to_local
from bot.errors import InvalidInput
from bot.events import ScheduleImported
from bot.markdown.service import ExportOptions
from bot.markdown.syntax import split_row
from storage.db import Database
from storage.models import CommentSource, PaperSource
from tests.services.markdown_helpers import (
    GUILD,
    OTHER_GUILD,
    README,
    Recorder,
    make_service,
    snapshot,
)

GITHUB_LLAVA = ["GitHub", "https://github.com/haotian-liu/LLaVA"]

# One entry per table row of the README, in order: date, kind, title, (block, part),
# papers as (key, label when the link text differs from the paper's title), code links,
# demo links, pinned comments, and the date of the session a Continue row continues.
EXPECTED = [
    ("2024-02-01", "paper", None, None, [("arxiv:2304.08485", None)],
     [GITHUB_LLAVA, ["Project Page", "https://llava-vl.github.io/"]],
     [["Demo", "https://llava.hliu.cc/"]], [], None),
    ("2024-02-08", "paper", None, None, [("arxiv:2210.01936", None)],
     [["GitHub", "https://github.com/mertyg/vision-language-models-are-bows"]],  # a raw URL
     [["Colab", "https://colab.research.google.com/drive/1Rmn8CYXRFg4eC458vkBHwAdVKgS03e5D?usp=sharing"]],
     ["Why did they expect that CLIP will take a word order into account given that CLIP is "
      "trained to match a bag-of-words with a corresponding image?"], None),
    ("2024-02-22", "paper", None, None, [("arxiv:2103.00020", None)],
     [["GitHub", "https://github.com/openai/CLIP"], ["Project Page", "https://openai.com/research/clip"]],
     [["Colab", "https://colab.research.google.com/github/openai/clip/blob/master/notebooks/Interacting_with_CLIP.ipynb"]],
     ["See also [open source implementation](https://github.com/mlfoundations/open_clip) of "
      "CLIP; [Scaling laws for contrastive language-image learning](https://arxiv.org/abs/2212.07143)"],
     None),
    # the comment sits in the Code column of this row
    ("2024-02-29", "continue", None, None, [], [], [],
     ["Fig. 2 is unclear. How do they obtain a vector for a bag-of-words?"], "2024-02-22"),
    ("2024-03-07", "continue", "Still (sic!) continue", None, [], [], [],
     ["It seems that they train using BoW, even though their inference pipeline does not "
      "reflect this."], "2024-02-29"),
    ("2024-03-14", "paper", None, None, [("arxiv:2303.15343", None)],
     [["HuggingFace", "https://huggingface.co/docs/transformers/en/model_doc/siglip"]], [], [], None),
    ("2024-03-21", "continue", None, None, [], [], [], [], "2024-03-14"),
    ("2024-03-28", "paper", None, None, [("arxiv:2203.02053", None)],
     [["GitHub", "https://github.com/Weixin-Liang/Modality-Gap"],
      ["Project Page", "https://modalitygap.readthedocs.io/en/latest/"]], [], [], None),
    ("2024-04-04", "paper", None, None, [("arxiv:1905.12681", None)], [], [], [], None),
    ("2024-04-11", "paper", None, None, [("arxiv:2107.07502", None)],
     [["GitHub", "https://github.com/pliang279/MultiBench"],
      ["Project Page", "https://cmu-multicomp-lab.github.io/multibench/"]],
     [["Demos", "https://github.com/pliang279/MultiBench/tree/main/examples"]], [], None),
    ("2024-04-16", "paper", None, None, [("arxiv:2401.06209", None)],
     [["GitHub", "https://github.com/tsb0601/MMVP"], ["Project Page", "https://tsb0601.github.io/mmvp_blog/"]],
     [["HuggingFace", "https://huggingface.co/MMVP"]], [], None),
    ("2024-04-23", "paper", None, None, [("arxiv:2404.08197", None)], [], [], [], None),
    ("2024-04-30", "paper", None, None, [("arxiv:2304.09842", None)],
     [["GitHub", "https://github.com/lupantech/chameleon-llm"],
      ["Project Page", "https://chameleon-llm.github.io/"]], [], [], None),
    ("2024-05-07", "paper", None, None, [("arxiv:2404.11018", None)], [], [], [], None),
    ("2024-05-28", "paper", None, None, [("arxiv:2402.10790", None)],
     [["GitHub", "https://github.com/booydar/babilong"]], [], [], None),
    ("2024-06-04", "continue", None, None, [], [], [], [], "2024-05-28"),
    ("2024-06-11", "paper", None, None, [("arxiv:2312.06647", None)],
     [["GitHub", "https://github.com/apple/ml-4m"], ["Project Page", "https://4m.epfl.ch/"]], [], [], None),
    ("2024-06-18", "continue", None, None, [], [], [], [], "2024-06-11"),
    ("2024-06-25", "paper", None, None, [("arxiv:2311.03356", None)],
     [["GitHub", "https://github.com/mbzuai-oryx/groundingLMM"],
      ["Project Page", "https://mbzuai-oryx.github.io/groundingLMM/"]],
     [["Demo", "https://glamm.mbzuai-oryx.ngrok.app/"]], [], None),
    ("2024-07-02", "special", "Code Reading Group", None, [], [], [], [], None),
    ("2024-07-09", "topic", "Knowledge Distillation", None,
     [("url:https://storage.googleapis.com/deepmind-media/gemma/gemma-2-report.pdf", None),
      ("arxiv:2402.14905", None), ("arxiv:2106.05237", None), ("arxiv:2306.13649", None)],
     [], [], [], None),
    ("2024-07-16", "paper", None, None, [("arxiv:2406.14562", None)],
     [["Project Page", "https://whiteboard.cs.columbia.edu/"]], [], [], None),
    ("2024-07-23", "paper", None, None, [("url:https://distill.pub/2021/multimodal-neurons/", None)],
     [], [], [], None),
    ("2024-07-30", "continue", "Continue + (very briefly) CLIPPO", None,
     [("arxiv:2212.08045", None)], [], [], [], "2024-07-23"),
    ("2024-08-06", "paper", None, None, [("arxiv:2010.06572", None)], [], [], [], None),
    ("2024-08-13", "topic", "Graph of Thoughts and Monte Carlo Tree Search", None,
     [("arxiv:2406.07394", None), ("arxiv:2308.09687", None), ("arxiv:2407.21787", None),
      ("arxiv:2203.14465", None), ("arxiv:2405.02957", None), ("arxiv:2408.08152", None)],
     [["Tinygrad example of MCTS", "https://github.com/tinygrad/tinygrad/blob/63a8bc29d4e82626c1f579d33ef94a8b0b2822bd/extra/mcts_search.py#L74"]],
     [], [], None),
    ("2024-10-15", "tba", None, None, [], [], [], [], None),  # a row with only a date
    ("2024-10-22", "paper", None, None, [("url:https://openreview.net/forum?id=hTWqB327Oay", None)],
     [], [], [], None),
    ("2024-11-08", "topic",
     "Towards Mamba: the S4 model and topic around: HiPPo, S4 paper, Annotated S4 blog post", None,
     [("arxiv:2008.07669", None), ("arxiv:2111.00396", None),
      ("url:https://srush.github.io/annotated-s4/", None)],
     [["GitHub", "https://github.com/state-spaces/s4"]], [], [], None),
    ("2024-11-15", "continue", "Continue: HiPPO and S4", None, [], [], [], [], "2024-11-08"),
    ("2024-11-22", "continue", "Continue: Mamba & differences between Transformers and SSMs",
     None, [], [], [], [], "2024-11-15"),
    ("2025-02-07", "block_part", "Motivation and the RLHF fine-tuning", ("RLHF Block", 1),
     [("arxiv:2009.01325", None), ("arxiv:2203.02155", None)], [], [], [], None),
    ("2025-02-14", "block_part", "Motivation and the RLHF fine-tuning", ("RLHF Block", 2),
     [("arxiv:2009.01325", "Stiennon et al."), ("arxiv:2203.02155", "Ouyand et al."),
      ("arxiv:1909.08593", None)], [], [], [], None),
    ("2025-02-21", "block_part", "Motivation and the RLHF fine-tuning", ("RLHF Block", 3),
     [("arxiv:2203.02155", "Ouyand et al.")], [], [], [], None),
    ("2025-02-24", "block_part", "Reinforcement Learning. Q-Learning and PPO", ("RLHF Block", 4),
     [], [], [], [], None),
]  # fmt: skip

# (path, [(label, key, read)]) in order; "Representation Learning" is never closed in the
# file, so the three topics after it nest inside it.
READING_LIST = [
    ("Datasets and benchmarks", [("Liang et al.", "url:https://github.com/pliang279/MultiBench", True)]),
    ("Surveys", [("Liang et al.", "arxiv:2209.03430", False)]),
    ("Representation Learning", []),
    ("Representation Learning/Latent Space Structure", [
        ("Liang et at", "url:https://github.com/Weixin-Liang/Modality-Gap", True),
        ("Yuksekgonul et al.", "arxiv:2210.01936", True),
    ]),
    ("Representation Learning/Fusion", [
        ("Liu et al.", "arxiv:2304.08485", True),
        ("Radford et al.", "arxiv:2103.00020", True),
        ("Zhai et al.", "arxiv:2303.15343", True),
        ("Nagrani et al.", "arxiv:2107.00135", False),
        ("Baevski et al.", "arxiv:2202.03555", False),
        ("Recasens et al.", "arxiv:2301.09595", False),
        ("Jaegle et al.", "arxiv:2103.03206", False),
        ("Liu et al.", "arxiv:2209.00179", False),
        ("Kwon et al.", "arxiv:2208.02131", False),
        ("Liang et al.", "arxiv:2203.01311", False),
        ("Girdhar et al.", "url:https://facebookresearch.github.io/omnivore/", False),
        ("Shvetsova et al.", "url:https://github.com/ninatu/everything_at_once", False),
    ]),
    ("Representation Learning/Modality Competition. Quantitative Methods of Detection of Suboptimality.", [
        ("Wang et al.", "arxiv:1905.12681", True),
        ("Wu et al.", "arxiv:2202.05306", False),
        ("Huang et al.", "arxiv:2203.12221", False),
    ]),
]  # fmt: skip


async def _import(db: Database, text: str = README, guild: int = GUILD, **kwargs):  # type: ignore[no-untyped-def]
    return await make_service(db).import_text(guild, text, **kwargs)


async def test_the_readme_gives_one_session_per_row(db: Database) -> None:
    report = await _import(db)
    assert len(report.created) == len(EXPECTED) == 35
    assert [str(i) for i in report.issues] == [
        "line 9: the Code column holds text, not a link; read as a comment",
        "line 10: the Code column holds text, not a link; read as a comment",
        "line 56: <details> Representation Learning is never closed; closed at the end of the file",
    ]
    async with db.unit() as uow:
        rows = await uow.sessions.all(GUILD)
        by_id = {r.id: r for r in rows}
        papers = await uow.sessions.papers_for([r.id for r in rows])
        actual = []
        for row in rows:
            linked = papers[row.id]
            code = row.details.get("code_links", []) + [
                link for lp in linked for link in lp.paper.code_links
            ]
            demo = row.details.get("demo_links", []) + [
                link for lp in linked for link in lp.paper.demo_links
            ]
            comments = await uow.comments.for_session(GUILD, row.id)
            assert all(c.pinned and c.source == CommentSource.IMPORT for c in comments)
            target = by_id[row.continues_id] if row.continues_id else None
            block = (row.block_name, row.block_part) if row.block_name else None
            actual.append(
                (
                    utc_to_local(row.starts_at, "Europe/Berlin").date().isoformat(),
                    row.kind,
                    row.title,
                    block,
                    [(lp.paper.ref_key, lp.label) for lp in linked],
                    code,
                    demo,
                    [c.text for c in comments],
                    utc_to_local(target.starts_at, "Europe/Berlin").date().isoformat()
                    if target
                    else None,
                )
            )
            # No meeting time is set: 18:00 in the server's time zone.
            assert utc_to_local(row.starts_at, "Europe/Berlin").time() == time(18, 0)
            assert row.source == "import"
    for got, wanted in zip(actual, EXPECTED, strict=True):
        assert got == wanted


async def test_papers_are_stored_from_the_cells(db: Database) -> None:
    await _import(db)
    async with db.unit() as uow:
        llava = await uow.papers.by_key(GUILD, "arxiv:2304.08485")
        assert llava is not None
        assert llava.title == "Visual Instruction Tuning"
        assert llava.authors == ["H. Liu", "C. Li", "Q. Wu", "Y. J. Lee"]
        assert llava.arxiv_id == "2304.08485"
        assert llava.url == "https://arxiv.org/abs/2304.08485"
        assert llava.source == PaperSource.IMPORT
        assert llava.fetched_at is None  # no network: arXiv metadata can be refreshed later
        clip = await uow.papers.by_key(GUILD, "arxiv:2103.00020")
        assert clip is not None and "J.W. Kim" in clip.authors and "G.Goh" in clip.authors
        babilong = await uow.papers.by_key(GUILD, "arxiv:2402.10790")
        assert babilong is not None
        assert babilong.authors.count("Sorokin") == 2  # as written
        # The first link to a paper names it; a later, different link text is a label.
        stiennon = await uow.papers.by_key(GUILD, "arxiv:2009.01325")
        assert (
            stiennon is not None and stiennon.title == "Learning to summarize from human feedback"
        )
        gemma = await uow.papers.by_key(
            GUILD, "url:https://storage.googleapis.com/deepmind-media/gemma/gemma-2-report.pdf"
        )
        assert gemma is not None and gemma.title == "Gemma 2 (pdf)" and gemma.arxiv_id is None
        pdf = await uow.papers.by_key(GUILD, "arxiv:2107.00135")
        assert pdf is not None and pdf.url == "https://arxiv.org/pdf/2107.00135.pdf"
        odd = await uow.papers.by_key(GUILD, "url:https://github.com/ninatu/everything_at_once")
        assert odd is not None
        assert (
            odd.title
            == "Everything at Once \u00e2 Multi-modal Fusion Transformer for Video Retrieval"
        )
        assert await uow.papers.count(GUILD) == 49
        config = await uow.guilds.get(GUILD)
        assert config is not None and config.group_name == "multimodal-reading-group"


async def test_the_reading_list_keeps_topics_nesting_and_read_flags(db: Database) -> None:
    report = await _import(db)
    assert report.topics_created == 6 and report.items_created == 19
    async with db.unit() as uow:
        topics = await uow.readinglist.topics(GUILD)
        by_id = {t.id: t for t in topics}
        items = await uow.readinglist.items(GUILD)
        children: dict[int | None, list] = {}
        for topic in topics:
            children.setdefault(topic.parent_id, []).append(topic)

        def tree(parent: int | None) -> list:
            out = []
            for topic in sorted(children.get(parent, []), key=lambda t: (t.position, t.id)):
                out += [topic, *tree(topic.id)]
            return out

        got = []
        for topic in tree(None):
            entries = sorted(
                (i for i in items if i.item.topic_id == topic.id), key=lambda i: i.item.position
            )
            got.append(
                (topic.path, [(i.item.label, i.paper.ref_key, i.item.read) for i in entries])
            )
        assert got == READING_LIST
        fusion = next(t for t in topics if t.name == "Fusion")
        assert by_id[fusion.parent_id].name == "Representation Learning"
        read = [i for i in items if i.item.read]
        assert all(i.item.read_at is not None for i in read)


async def test_the_export_has_the_readme_shape(db: Database) -> None:
    await _import(db)
    text = (await make_service(db).export(GUILD)).text
    lines = text.split("\n")
    assert lines[:5] == [
        "# multimodal-reading-group",
        "",
        "---",
        "| Date | Paper | Authors | Code | Demo | Comments |",
        "| :--- | :---- | :------ | :--- | :--- | :------- |",
    ]
    rows = lines[5:40]
    assert lines[40] == "---"
    assert all(len(split_row(row)) == 6 for row in rows)  # every row has all six cells
    assert [split_row(r)[0] for r in rows][:3] == ["01.02.2024", "08.02.2024", "22.02.2024"]
    assert rows[0] == (
        "| 01.02.2024 | [Visual Instruction Tuning](https://arxiv.org/abs/2304.08485) "
        "| H. Liu, C. Li, Q. Wu, Y. J. Lee "
        "| [GitHub](https://github.com/haotian-liu/LLaVA) [Project Page](https://llava-vl.github.io/) "
        "| [Demo](https://llava.hliu.cc/) |  |"
    )
    assert rows[3] == (
        "| 29.02.2024 | Continue |  |  |  "
        "| Fig. 2 is unclear. How do they obtain a vector for a bag-of-words? |"
    )
    assert "| 15.10.2024 |  |  |  |  |  |" in rows
    assert (
        "| 08.11.2024 | Towards Mamba: the S4 model and topic around: "
        "[HiPPo](https://arxiv.org/abs/2008.07669), [S4 paper](https://arxiv.org/abs/2111.00396), "
        "[Annotated S4 blog post](https://srush.github.io/annotated-s4/) | Gu, Goel, R\u00c3\u00a9 "
        "| [GitHub](https://github.com/state-spaces/s4) |  |  |"
    ) in rows
    assert (
        "| 07.02.2025 | **RLHF Block.** Part 1. Motivation and the RLHF fine-tuning "
        "| Stiennon and friends [Learning to summarize from human feedback]"
        "(https://arxiv.org/abs/2009.01325) (RLHF for summarisation); Ouyang and friends "
        "[Training language models to follow instructions with human feedback]"
        "(https://arxiv.org/abs/2203.02155) (RLHF for wide range of NLP-related tasks) |  |  |  |"
    ) in rows
    assert (
        "| 24.02.2025 | **RLHF Block.** Part 4. Reinforcement Learning. Q-Learning and PPO | TBA |  |  |  |"
        in rows
    )
    assert (
        "| 07.05.2024 | [Many-Shot In-Context Learning](https://arxiv.org/abs/2404.11018) | Agarwal, Singh, Zhang, Bohnet, Chan, Anand, Abbas, Nova, Co-Reyes, Chu, Behbahani, Faust, Larochelle | Not Provided |  |  |"
        in rows
    )
    reading = "\n".join(lines[41:])
    assert reading.startswith(
        "\n\n<details>\n<summary> Datasets and benchmarks </summary>\n\n"
        "- [x] Liang et al. [MULTIBENCH: Multiscale Benchmarks for Multimodal Representation "
        "Learning](https://github.com/pliang279/MultiBench)\n</details>\n"
    )
    assert reading.count("<details>") == reading.count("</details>") == 6
    assert (
        "<details>\n<summary> Representation Learning </summary>\n\n<details>\n"
        "<summary> Latent Space Structure </summary>\n\n"
    ) in reading
    assert "- [ ] Shvetsova et al. [Everything at Once \u00e2 Multi-modal" in reading
    assert text.endswith("</details>\n</details>\n")


async def test_import_export_import_is_a_fixed_point(db: Database) -> None:
    await _import(db)
    first = await make_service(db).export(GUILD)
    report = await _import(db, first.text, guild=OTHER_GUILD)
    assert len(report.created) == 35 and report.issues == []
    second = await make_service(db).export(OTHER_GUILD)
    assert second.text == first.text
    assert await snapshot(db, OTHER_GUILD) == await snapshot(db, GUILD)
    # and the server's own export changes nothing when imported back
    again = await _import(db, first.text)
    assert (again.created, again.updated, again.unchanged) == ([], [], 35)
    assert not again.changed


async def test_every_link_and_comment_survives_the_round_trip(db: Database) -> None:
    await _import(db)
    exported = (await make_service(db).export(GUILD)).text

    def links(text: str) -> Counter[str]:
        return Counter(re.findall(r"https?://[^\s)|\]]+", text))

    assert sum(links(README).values()) == 87
    assert links(exported) == links(README)  # every link, as often as the README has it
    comments = [
        "Why did they expect that CLIP will take a word order into account given that CLIP "
        "is trained to match a bag-of-words with a corresponding image?",
        "See also [open source implementation](https://github.com/mlfoundations/open_clip) of "
        "CLIP; [Scaling laws for contrastive language-image learning]"
        "(https://arxiv.org/abs/2212.07143)",
        "Fig. 2 is unclear. How do they obtain a vector for a bag-of-words?",
        "It seems that they train using BoW, even though their inference pipeline does not "
        "reflect this.",
    ]
    for comment in comments:
        assert f"| {comment} |" in exported
    # prose around the links of a row survives too, and the odd bytes as they are
    for phrase in ["Stiennon and friends", "(RLHF for summarisation)", "Finish discussing",
                   "Monte Carlo Tree Search from", "Bonus!", "+ Ziegler et al.",
                   "Continue + (very briefly) [CLIPPO]", "Gu, Goel, R\u00c3\u00a9",
                   "Not Provided", "[Tinygrad example of MCTS]"]:  # fmt: skip
        assert phrase in exported, phrase


async def test_importing_twice_changes_nothing(db: Database) -> None:
    service = make_service(db)
    seen = Recorder([])
    service.events.subscribe(ScheduleImported, seen)
    await service.import_text(GUILD, README)
    before = await snapshot(db, GUILD)
    assert len(seen.events) == 1 and len(seen.events[0].session_ids) == 35
    report = await service.import_text(GUILD, README)
    assert (report.created, report.updated, report.unchanged) == ([], [], 35)
    assert report.papers_created == report.papers_updated == 0
    assert report.items_created == report.items_updated == report.topics_created == 0
    assert not report.changed
    assert await snapshot(db, GUILD) == before
    assert len(seen.events) == 1  # nothing new to announce
    async with db.unit() as uow:
        assert await uow.sessions.count(GUILD) == 35
        assert await uow.papers.count(GUILD) == 49


async def test_a_dry_run_writes_nothing(db: Database) -> None:
    preview = await _import(db, dry_run=True)
    assert preview.dry_run and len(preview.created) == 35
    assert "Sessions: 35 would be created" in preview.summary()
    assert preview.lines()[3] == "line 6: would create 01.02.2024 · Visual Instruction Tuning"
    async with db.unit() as uow:
        assert await uow.sessions.count(GUILD) == 0
        assert await uow.papers.count(GUILD) == 0
        assert await uow.readinglist.topics(GUILD) == []
        assert (await uow.guilds.get(GUILD)).group_name is None  # type: ignore[union-attr]


async def test_reimport_after_edits_updates_in_place(db: Database) -> None:
    await _import(db)
    edited = (
        README.replace("Code Reading Group", "Code Reading Group: LLaVA")
        .replace("Fig. 2 is unclear.", "Figure 2 is unclear.")
        .replace("[Demo](https://llava.hliu.cc/)", "[Demo](https://llava.example.org/)")
        .replace("- [ ] Nagrani et al.", "- [x] Nagrani et al.")
        .replace(
            "| 24.02.2025 |",
            "| 03.03.2025 | [Direct Preference Optimization](https://arxiv.org/abs/2305.18290) "
            "| Rafailov et al. |\n| 24.02.2025 |",
        )
    )
    report = await _import(db, edited)
    assert [c.date_text for c in report.created] == ["03.03.2025"]
    updated = {c.date_text: c.fields for c in report.updated}
    assert updated == {
        "01.02.2024": ("paper details",),
        "29.02.2024": ("comments",),
        "02.07.2024": ("title",),
    }
    assert report.unchanged == 32
    assert report.comments_added == 1 and report.comments_removed == 1
    assert report.items_updated == 1
    async with db.unit() as uow:
        assert await uow.sessions.count(GUILD) == 36
        rows = await uow.sessions.all(GUILD)
        special = next(r for r in rows if r.kind == "special")
        assert special.title == "Code Reading Group: LLaVA"
        cont = next(
            r
            for r in rows
            if utc_to_local(r.starts_at, "Europe/Berlin").date() == date(2024, 2, 29)
        )
        comments = await uow.comments.for_session(GUILD, cont.id)  # type: ignore[arg-type]
        assert [c.text for c in comments] == [
            "Figure 2 is unclear. How do they obtain a vector for a bag-of-words?"
        ]
        llava = await uow.papers.by_key(GUILD, "arxiv:2304.08485")
        assert llava is not None and llava.demo_links == [["Demo", "https://llava.example.org/"]]
        nagrani = [
            i for i in await uow.readinglist.items(GUILD) if i.paper.ref_key == "arxiv:2107.00135"
        ]
        assert [i.item.read for i in nagrani] == [True]


async def test_comments_logged_in_discord_are_kept(db: Database) -> None:
    """An import replaces only the comments an earlier import added."""
    from storage.models import Comment

    await _import(db)
    async with db.unit() as uow:
        row = (await uow.sessions.all(GUILD))[0]
        await uow.comments.add(
            Comment(
                guild_id=GUILD,
                session_id=row.id,
                text="Logged in Discord",
                pinned=True,
                source=CommentSource.MESSAGE,
                message_id=42,
            )
        )
        await uow.comments.add(
            Comment(guild_id=GUILD, session_id=row.id, text="Not pinned", source="command")
        )
    exported = (await make_service(db).export(GUILD)).text
    assert "| Logged in Discord |" in exported and "Not pinned" not in exported
    report = await _import(db)  # the original README does not have it
    assert report.comments_removed == 0
    async with db.unit() as uow:
        texts = [c.text for c in await uow.comments.for_session(GUILD, row.id)]  # type: ignore[arg-type]
        assert texts == ["Logged in Discord", "Not pinned"]
    again = await _import(db, exported)
    assert not again.changed  # the pinned comment is recognised, not duplicated


async def test_export_options(db: Database) -> None:
    await _import(db)
    service = make_service(db)
    ranged = await service.export(
        GUILD, ExportOptions(since=date(2024, 11, 1), until=date(2024, 11, 30), reading_list=False)
    )
    rows = [line for line in ranged.text.split("\n") if re.match(r"^\| \d\d\.", line)]
    assert [split_row(r)[0] for r in rows] == ["08.11.2024", "15.11.2024", "22.11.2024"]
    assert "<details>" not in ranged.text and ranged.topics == 0
    upcoming = await service.export(GUILD, ExportOptions(upcoming=True))
    # now is 1 March 2025: everything in the README is over
    assert upcoming.sessions == 0 and "<details>" in upcoming.text
    with pytest.raises(InvalidInput, match="first day comes after the last"):
        await service.export(GUILD, ExportOptions(since=date(2025, 1, 2), until=date(2025, 1, 1)))


async def test_other_servers_see_nothing(db: Database) -> None:
    await _import(db)
    empty = await make_service(db).export(OTHER_GUILD)
    assert empty.sessions == 0
    assert empty.text == (
        "# Reading group\n\n---\n| Date | Paper | Authors | Code | Demo | Comments |\n"
        "| :--- | :---- | :------ | :--- | :--- | :------- |\n---\n"
    )


async def test_meeting_time_and_date_format_of_the_server(db: Database) -> None:
    async with db.unit() as uow:
        await uow.guilds.update(
            GUILD, default_timezone="America/New_York", timezone="America/New_York",
            meeting_time=time(17, 30), date_format="YYYY-MM-DD",
        )  # fmt: skip
    await _import(db)
    async with db.unit() as uow:
        first = (await uow.sessions.all(GUILD))[0]
    local = utc_to_local(first.starts_at, "America/New_York")
    assert (local.date(), local.time()) == (date(2024, 2, 1), time(17, 30))
    text = (await make_service(db).export(GUILD)).text
    assert "| 2024-02-01 | [Visual Instruction Tuning]" in text
    assert not (await _import(db, text)).changed


async def test_papers_the_server_already_has_are_reused(db: Database) -> None:
    """A paper fetched from arXiv keeps its metadata; a page stored without its trailing
    slash is the same page; the README's own wording comes back in the export."""
    from storage.models import Paper

    async with db.unit() as uow:
        await uow.papers.add(
            Paper(
                guild_id=GUILD,
                ref_key="arxiv:2304.08485",
                arxiv_id="2304.08485",
                url="https://arxiv.org/abs/2304.08485v2",
                title="Visual Instruction Tuning (LLaVA)",
                authors=["Haotian Liu", "Chunyuan Li", "Qingyang Wu", "Yong Jae Lee"],
                code_links=[GITHUB_LLAVA],
                source=PaperSource.ARXIV,
                fetched_at=datetime(2025, 1, 1, tzinfo=UTC),
            )
        )
        await uow.papers.add(
            Paper(
                guild_id=GUILD,
                ref_key="url:https://distill.pub/2021/multimodal-neurons",
                url="https://distill.pub/2021/multimodal-neurons",
                title="Multimodal Neurons",
                source=PaperSource.MANUAL,
            )
        )
    report = await _import(db)
    assert report.papers_created == 47 and report.papers_updated == 2
    async with db.unit() as uow:
        assert await uow.papers.count(GUILD) == 49
        llava = await uow.papers.by_key(GUILD, "arxiv:2304.08485")
        assert llava is not None and llava.title == "Visual Instruction Tuning (LLaVA)"
        assert llava.authors[0] == "Haotian Liu"  # arXiv's metadata wins
        assert llava.demo_links == [["Demo", "https://llava.hliu.cc/"]] and llava.links_edited
        distill = await uow.papers.by_key(GUILD, "url:https://distill.pub/2021/multimodal-neurons")
        assert (
            distill is not None
            and distill.title == "Multimodal Neurons in Artificial Neural Networks"
        )
        first = (await uow.sessions.all(GUILD))[0]
        (linked,) = await uow.sessions.papers(first.id)  # type: ignore[arg-type]
        assert linked.label == "Visual Instruction Tuning"  # the README's link text
    text = (await make_service(db).export(GUILD)).text
    assert (
        "| 01.02.2024 | [Visual Instruction Tuning](https://arxiv.org/abs/2304.08485v2) "
        "| H. Liu, C. Li, Q. Wu, Y. J. Lee |"
    ) in text
    assert not (await _import(db)).changed
    assert not (await _import(db, text)).changed
