"""A later import never loses what a server holds: empty cells keep stored values, a stored
paper is never renamed, a different value is a conflict (kept unless overwriting)."""

from __future__ import annotations

import pytest

from storage.db import Database
from storage.models import PaperSource
from tests.services.markdown_helpers import GUILD, README, make_service, snapshot

HEADER = (
    "| Date | Paper | Authors | Code | Demo | Comments |\n| --- | --- | --- | --- | --- | --- |\n"
)
LLAVA = "[Visual Instruction Tuning](https://arxiv.org/abs/2304.08485)"


async def _paper(db: Database, key: str):  # type: ignore[no-untyped-def]
    async with db.unit() as uow:
        return await uow.papers.by_key(GUILD, key)


async def test_an_empty_cell_never_erases_stored_details(db: Database) -> None:
    service = make_service(db)
    await service.import_text(GUILD, README)
    before = await _paper(db, "arxiv:2304.08485")
    # the same paper in a new row whose Authors, Code and Demo cells are empty
    report = await service.import_text(GUILD, HEADER + f"| 06.03.2025 | {LLAVA} | | | | |\n")
    assert [c.date_text for c in report.created] == ["06.03.2025"]
    assert report.papers_updated == 0 and report.conflicts == []
    after = await _paper(db, "arxiv:2304.08485")
    assert after.authors == before.authors == ["H. Liu", "C. Li", "Q. Wu", "Y. J. Lee"]
    assert after.code_links == before.code_links
    assert after.code_links[0] == ["GitHub", "https://github.com/haotian-liu/LLaVA"]
    assert after.demo_links == [["Demo", "https://llava.hliu.cc/"]]
    # a row with only a date does not empty the stored session of that date either
    snap = await snapshot(db, GUILD)
    again = await service.import_text(GUILD, HEADER + "| 01.02.2024 | | | | | |\n")
    assert again.unchanged == 1 and not again.changed
    assert await snapshot(db, GUILD) == snap


async def test_other_link_text_never_renames_a_stored_paper(db: Database) -> None:
    service = make_service(db)
    await service.import_text(GUILD, README)
    row = f"| 06.03.2025 | [LLaVA](https://arxiv.org/abs/2304.08485) | {''} | | | |\n"
    report = await service.import_text(GUILD, HEADER + row)
    assert report.papers_updated == 0
    paper = await _paper(db, "arxiv:2304.08485")
    assert paper.title == "Visual Instruction Tuning"  # everywhere else it keeps its name
    text = (await service.export(GUILD)).text
    assert "| 06.03.2025 | [LLaVA](https://arxiv.org/abs/2304.08485) |" in text  # this row's
    assert "| 01.02.2024 | [Visual Instruction Tuning](https://arxiv.org/abs/2304.08485) |" in text


async def test_a_different_value_is_a_conflict_kept_unless_overwritten(db: Database) -> None:
    service = make_service(db)
    first = (
        "| Date | Presenter | Paper | Authors | Place |\n| --- | --- | --- | --- | --- |\n"
        "| 2025-03-06 | Ada | [Mamba](https://openreview.net/forum?id=AL1fq05o7H) | A. Gu, T. Dao | Room 1 |\n"
    )
    await service.import_text(GUILD, first)
    second = (
        first.replace("Ada", "Grace")
        .replace("A. Gu, T. Dao", "Somebody Else")
        .replace("Room 1", "Room 2")
    )
    report = await service.import_text(GUILD, second)
    (conflict,) = report.conflicts
    assert conflict.line == 3 and report.updated == []
    assert conflict.conflicts == (
        "presenter: the file says 'Grace', the server keeps 'Ada'",
        "Place: the file says 'Room 2', the server keeps 'Room 1'",
        "authors of 'Mamba': the file says 'Somebody Else', the server keeps 'A. Gu, T. Dao'",
    )
    assert report.lines()[-1].startswith("line 3: conflict 06.03.2025 · Mamba — presenter")
    async with db.unit() as uow:
        (session,) = await uow.sessions.all(GUILD)
    assert session.presenter_name == "Ada" and session.details["columns"] == {"Place": "Room 1"}
    paper = await _paper(db, "url:https://openreview.net/forum?id=AL1fq05o7H")
    assert paper.authors == ["A. Gu", "T. Dao"] and paper.source == PaperSource.IMPORT

    preview = await service.import_text(GUILD, second, overwrite=True, dry_run=True)
    assert [c.fields for c in preview.updated] == [
        ("presenter", "links, notes or columns", "paper details")
    ]
    replaced = await service.import_text(GUILD, second, overwrite=True)
    assert replaced.updated[0].conflicts[0] == "presenter: replaced 'Ada' with 'Grace'"
    async with db.unit() as uow:
        (session,) = await uow.sessions.all(GUILD)
    assert session.presenter_name == "Grace" and session.details["columns"] == {"Place": "Room 2"}
    assert (await _paper(db, "url:https://openreview.net/forum?id=AL1fq05o7H")).authors == [
        "Somebody Else"
    ]


async def test_values_the_server_lacks_are_filled_in(db: Database) -> None:
    service = make_service(db)
    await service.import_text(GUILD, HEADER + f"| 06.03.2025 | {LLAVA} | | | | |\n")
    report = await service.import_text(
        GUILD,
        "| Date | Paper | Authors | Code | Speaker |\n| --- | --- | --- | --- | --- |\n"
        f"| 06.03.2025 | {LLAVA}, [CLIP](https://arxiv.org/abs/2103.00020) | | "
        "https://github.com/haotian-liu/LLaVA | Ada |\n",
    )
    (change,) = report.updated
    assert change.fields == ("presenter", "links, notes or columns", "papers")
    assert report.conflicts == []
    async with db.unit() as uow:
        (session,) = await uow.sessions.all(GUILD)
        papers = await uow.sessions.papers(session.id)  # type: ignore[arg-type]
    assert session.presenter_name == "Ada"
    assert [lp.paper.ref_key for lp in papers] == ["arxiv:2304.08485", "arxiv:2103.00020"]


async def test_a_title_and_its_link_are_one_paper(db: Database) -> None:
    """A paper named by its title in one row (or import) and linked in another is stored
    once; when the link comes later, the stored paper gets it."""
    service = make_service(db)
    await service.import_text(
        GUILD,
        "| Date | Paper | Authors |\n| --- | --- | --- |\n"
        "| 2025-03-06 | Attention Is All You Need. | A. Vaswani |\n",
    )
    report = await service.import_text(
        GUILD,
        "| Date | Paper |\n| --- | --- |\n"
        "| 2025-03-13 | [Attention Is All You Need](https://arxiv.org/abs/1706.03762) |\n",
    )
    assert report.papers_created == 0 and report.papers_updated == 1
    async with db.unit() as uow:
        assert await uow.papers.count(GUILD) == 1
        paper = await uow.papers.by_key(GUILD, "arxiv:1706.03762")
    assert paper is not None and paper.authors == ["A. Vaswani"]
    assert paper.url == "https://arxiv.org/abs/1706.03762"


async def test_refusals_and_dry_runs_write_no_row_at_all(db: Database) -> None:
    from sqlalchemy import text

    from bot.errors import InvalidInput
    from tests.conftest import REPO_ROOT

    service = make_service(db)

    async def rows() -> int:
        total = 0
        async with db.engine.connect() as conn:
            for table in ("guild_settings", "reading_sessions", "papers", "reading_topics"):
                total += (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
        return total

    notes = "# Notes\n\nWhat we talked about:\n\n- attention\n- [a blog](https://x.y/z)\n"
    for refused in (notes, (REPO_ROOT / "README.md").read_text(encoding="utf-8")):
        with pytest.raises(InvalidInput, match="Nothing was imported") as info:
            await service.import_text(GUILD, refused)
        assert "\n" not in str(info.value)
    preview = await service.import_text(GUILD, README, dry_run=True)
    assert len(preview.created) == 35
    assert await rows() == 0
