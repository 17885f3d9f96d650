"""Other reading groups' real schedule READMEs (../shared/examples/other-groups): each imports
with the sessions, dates, presenters, papers and links a person reads off the file.

The expected values below were written by reading the files, not by running the import."""

from __future__ import annotations

from typing import Any

import pytest

from bot.dates import utc_to_local
from bot.markdown.report import ImportReport
from storage.db import Database
from tests.conftest import SHARED_DIR
from tests.services.markdown_helpers import GUILD, OTHER_GUILD, make_service, snapshot

OTHER_GROUPS = SHARED_DIR / "examples" / "other-groups"
FILES = sorted(p.name for p in OTHER_GROUPS.glob("0*.md"))
ZONE = "Europe/Berlin"  # the servers of markdown_helpers


def _text(name: str) -> str:
    return (OTHER_GROUPS / name).read_text(encoding="utf-8")


async def _import(db: Database, name: str) -> tuple[ImportReport, list[dict[str, Any]]]:
    report = await make_service(db).import_text(GUILD, _text(name))
    sessions = []
    async with db.unit() as uow:
        rows = await uow.sessions.all(GUILD)
        papers = await uow.sessions.papers_for([r.id for r in rows])  # type: ignore[misc]
        by_id = {r.id: r for r in rows}
        for row in rows:
            target = by_id.get(row.continues_id) if row.continues_id else None
            sessions.append(
                {
                    "date": utc_to_local(row.starts_at, ZONE).date().isoformat(),
                    "kind": row.kind,
                    "title": row.title,
                    "papers": [lp.paper.ref_key for lp in papers[row.id]],
                    "titles": [lp.label or lp.paper.title for lp in papers[row.id]],
                    "authors": [lp.paper.authors for lp in papers[row.id]],
                    "presenter": row.presenter_name,
                    "columns": row.details.get("columns", {}),
                    "continues": utc_to_local(target.starts_at, ZONE).date().isoformat()
                    if target
                    else None,
                    "comments": [c.text for c in await uow.comments.for_session(GUILD, row.id)],  # type: ignore[arg-type]
                }
            )
    return report, sessions


def _by_date(sessions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["date"]: s for s in sessions}


def _skipped(report: ImportReport) -> list[int]:
    return [i.line for i in report.skipped]


async def test_dsgiitr_three_yearly_tables_of_ordinal_dates(sqlite_db: Database) -> None:
    report, sessions = await _import(sqlite_db, "01-dsgiitr-reading-group.md")
    arxiv = "arxiv:"
    expected = [  # date, papers, presenters, as the three tables (2021, 2020, 2017) write them
        ("2017-02-10", ["url:http://www.cs.cmu.edu/~epxing/Class/10715-14f/reading/imagenet.pdf"], "Karan Desai"),
        ("2017-04-29", [arxiv + "1412.6572"], "Ajay Unagar"),
        ("2020-05-09", [arxiv + "1412.6572"], "Abhinav, Sahil, Vipul"),
        ("2020-05-16", [arxiv + "1906.02940"], "Ankit, Prankush"),
        ("2020-05-23", [arxiv + "1710.03740"], "Aaryan, Ishan, Anirudh"),
        ("2020-05-30", [arxiv + "1606.04474"], "Shruti, Vivek, Shashank"),
        ("2020-06-06", [arxiv + "1503.02531"], "Shashwat, Akshit"),
        ("2020-06-12", ["url:https://papers.nips.cc/paper/9015-pytorch-an-imperative-style-high-performance-deep-learning-library.pdf",
                        "url:https://openreview.net/pdf?id=BJJsrmfCZ"], "Anirudh, Saswat"),
        ("2020-06-15", [arxiv + "1703.04977"], "Rohan, Yash, Ankit"),
        ("2020-06-20", [arxiv + "1502.03167", arxiv + "1607.06450", arxiv + "1803.08494", arxiv + "1607.08022"],
         "Aaryan, Ishan, Anirudh"),
        ("2020-06-27", [arxiv + "1606.05908"], "Prankush, Vipul"),
        ("2020-07-04", [arxiv + "1406.2661"], "Sahil, Vivek, Akshit"),
        ("2020-07-18", [arxiv + "1503.04069"], "Aaryan, Shruti, Ishan"),
        ("2020-08-01", [arxiv + "1512.03385"], "Abhinav, Shashwat, Shashank"),
        ("2020-08-08", [arxiv + "2006.11161"], "Rohan, Saswat"),
        ("2020-08-15", [arxiv + "2004.07180", arxiv + "1808.00508"], "Anirudh, Aaryan"),
        ("2020-08-22", [arxiv + "1706.03762"], "Ankit, Yash, Ankit Aharwal"),
        ("2020-10-04", [arxiv + "1911.03082"], "Anirudh"),
        ("2021-06-26", [arxiv + "1409.1556"], "Apoorva, Subodh"),
        ("2021-08-10", [arxiv + "1311.2901"], "Pranjal, Praneeth"),
        ("2021-08-15", ["url:http://papers.nips.cc/paper/5166-training-and-analysing-deep-recurrent-neural-networks.pdf"],
         "Shreshtha, Manas"),
        ("2021-08-20", [arxiv + "1506.02640"], "Apoorva, Shreya"),
    ]  # fmt: skip
    assert [(s["date"], s["papers"], s["presenter"]) for s in sessions] == expected
    assert {s["kind"] for s in sessions} == {"paper"}
    assert report.skipped == [] and report.group_name == "Weekly Reading Group at DSG"
    days = _by_date(sessions)
    # raw <a href> with spaces inside the anchor; the Notes column as the session's comment
    assert days["2021-08-20"]["titles"] == ["YOLO: You Only Look Once"]
    assert days["2021-08-20"]["comments"] == ["[Summary](Aug21/Discussion4/yolo.md)"]
    assert days["2020-06-12"]["comments"] == ["Part of PyTorch Code Review Discussions in DSG"]
    assert days["2020-06-20"]["titles"][1:] == ["LayerNorm", "GroupNorm", "InstanceNorm"]
    # the file links Fractional Max-Pooling to 1412.6572: that row keeps its own name
    assert days["2017-04-29"]["titles"] == ["Fractional Max-Pooling"]


async def test_ajrg_tables_without_outer_pipes_and_rows_that_are_no_meeting(
    sqlite_db: Database,
) -> None:
    report, sessions = await _import(sqlite_db, "02-ajrg-journal-club.md")
    days = _by_date(sessions)
    assert len(sessions) == 40  # Batch 4: 8, Batch 1: 14, Batch 2: 8, Batch 3: 10
    papers = {s["date"]: (s["papers"], s["presenter"]) for s in sessions if s["papers"]}
    assert papers == {
        "2021-06-17": (["url:https://academic.oup.com/bioinformatics/article/36/22-23/5424/6039173"], "Hadrien (1/0)"),
        "2021-06-24": (["url:https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4746366/"], "Åsa (1/0)"),
        "2021-07-08": (["url:https://doi.org/10.1016/j.cell.2021.01.015"], "Åsa (2/0)"),
        "2021-08-26": (["url:https://www.nature.com/articles/s41588-020-00754-2"], "Torgny (1/1)"),
        "2021-09-09": (["url:https://doi.org/10.1016/j.xhgg.2020.100017"], "Valeria (1/1)"),
        "2021-09-16": (["url:https://journals.plos.org/plosbiology/article?id=10.1371/journal.pbio.3001242"], "Richel (1/1)"),
        "2021-09-23": (["url:https://doi.org/10.1038/s41588-021-00912-0"], "Mathias (1/1)"),
        "2021-09-30": (["url:https://doi.org/10.1371/journal.pmed.1003706"], "Weronica (1/1)"),
        "2021-10-07": (["url:https://doi.org/10.1210/clinem/dgab713"], "Åsa (3/1)"),
        "2021-10-14": (["url:https://www.nobelprize.org/uploads/2021/10/press-medicineprize2021.pdf"], "Fatemeh (1/1)"),
        "2021-10-28": (["url:https://www.nature.com/articles/s41467-021-25171-9"], "Hadrien (2/1)"),
        "2021-11-18": (["url:https://www.nature.com/articles/s41588-021-00931-x"], "Emma (1/1)"),
        "2021-11-25": (["url:https://pubmed.ncbi.nlm.nih.gov/34210852/"], "Emma (2/1)"),
        "2022-01-20": (["url:https://www.biorxiv.org/content/10.1101/2020.09.30.320994v2"], "Richel (2/2)"),
        "2022-06-02": (["url:https://www.annualreviews.org/doi/abs/10.1146/annurev-publhealth-012420-105110"], "Richel (3/3)"),
    }  # fmt: skip
    # "Yes" and "." mean "not named yet": a session still to be decided, with its presenter
    assert (days["2022-06-09"]["kind"], days["2022-06-09"]["presenter"]) == ("tba", "Asa (5/4)")
    assert days["2022-06-16"]["presenter"] == "Mathias (4/4)"  # ~~Valeria~~ is struck out
    assert days["2022-08-25"]["presenter"] is None  # ?~~Daniel~~ (4/4): nobody left
    assert days["2021-12-02"]["kind"] == "tba" and days["2021-12-02"]["presenter"] == "Daniel (1/1)"
    # No JC, holidays, Christmas, Easter, a cancellation, a red day: reported, not imported
    for day in ("2022-07-07", "2022-08-18", "2021-10-21", "2021-11-04", "2021-12-16",
                "2021-12-23", "2022-02-03", "2022-02-24", "2022-04-14", "2022-05-26"):  # fmt: skip
        assert day not in days
    lines = report.lines()
    assert "line 20: skipped: no meeting on 2022-07-07 ('No JC')" in lines
    assert "line 177: skipped: no meeting on 2021-12-16 ('Cancelled due to illness')" in lines
    assert "line 40: skipped: a table of times of day (a timetable), not of dated sessions" in lines
    # undated rows (202?-??-?? and the orphan line) are reported, never given a date
    assert set(range(138, 147)) <= set(_skipped(report)) and 31 in _skipped(report)
    assert len(report.skipped) == 28 + 1
    # the paper's link text; "[here](…)" names no paper, so the link does
    assert days["2021-09-16"]["titles"] == [
        "Has GWAS lost its status as a paragon of open science?"
    ]
    assert days["2022-01-20"]["titles"] == ["here"]


async def test_tokyo_japanese_headers_front_matter_and_dates_in_links(sqlite_db: Database) -> None:
    report, sessions = await _import(sqlite_db, "03-db-internals-tokyo.md")
    assert [(s["date"], s["kind"], s["title"], s["presenter"]) for s in sessions] == [
        ("2020-05-21", "special", "Preface / 1. Introduction and Overview", "yahonda さん"),
        ("2020-06-04", "special", "2. B-Tree Basics", "po3rin さん"),
        ("2020-06-24", "special", "3. File Formats", "nobusue さん"),
        ("2020-07-10", "special", "4. Implementing B-Trees", "tkokamo さん"),
        ("2020-07-31", "special", "5. Transaction Processing and Recovery(2.Recoveryまで)", "fujii_masao さん"),
        ("2020-08-18", "special", "5. Transaction Processing and Recovery(3.Concurrency Control)", "ゆで卵さん"),
        ("2020-08-28", "special", "6. B-Tree Variants", "tom__bo さん"),
        ("2020-09-14", "special", "7. Log-Structured Storage(Implementation Detailsまで)", "ikedamsh さん"),
        ("2020-10-05", "special", "7. Log-Structured Storage(Unordered LSM Storageから) / Part I Conclusion", "Yuji Ito さん"),
        ("2020-10-16", "special", "II. Distributed Systems / 8. Introduction and Overview", "こば"),
        ("2020-11-06", "special", "9. Failure Detection / 10. Leader Election", "Hirotaka Yoshioka さん, hamaken さん"),
    ]  # fmt: skip
    first = sessions[0]
    assert first["columns"] == {"No": "1", "ボリューム※": "597", "開催場所": "オンライン"}
    assert sessions[-1]["columns"]["ボリューム※"] == "174/158"  # not a date
    assert _skipped(report) == [31, 32, 33, 34]  # "2020/": no day yet
    assert report.group_name == "Database Internals輪読会"  # the heading, not the front matter


async def test_jagterberg_month_first_spacer_columns_and_linked_presenters(
    sqlite_db: Database,
) -> None:
    report, sessions = await _import(sqlite_db, "04-jagterberg-reading-group.md")
    assert [(s["date"], s["papers"], s["presenter"]) for s in sessions] == [
        ("2020-06-02", [], None),
        ("2020-06-09", ["url:https://projecteuclid.org/euclid.aos/1418135620",
                        "url:https://projecteuclid.org/euclid.aos/1314190618"], "Joshua"),
        ("2020-06-16", ["url:https://projecteuclid.org/euclid.aos/1564797852"], "Joshua"),
        ("2020-06-23", ["url:https://projecteuclid.org/euclid.aos/1564797852"], "Joshua"),
        ("2020-06-30", ["url:https://www-tandfonline-com.proxy1.library.jhu.edu/doi/full/10.1080/01621459.2020.1751645"], "Joshua"),
        ("2020-07-07", ["arxiv:1910.01734"], "Joshua"),
        ("2020-07-14", ["arxiv:1910.01734"], "Joshua"),
        ("2020-07-21", ["arxiv:2005.02511"], "Ben Draves"),
        ("2020-07-28", ["arxiv:1911.07494"], "Zach"),
        ("2020-08-11", ["arxiv:1802.09684"], "Jesús"),
        ("2020-08-18", ["arxiv:1802.09684"], "Jesús"),
    ]  # fmt: skip
    days = _by_date(sessions)
    assert days["2020-06-02"]["kind"] == "special"
    assert (
        days["2020-06-02"]["title"]
        == "Discussion of goals, potential papers, and general organization"
    )
    assert days["2020-06-09"]["titles"] == ["Lei and Rinaldo", "Rohe, Chatterjee, and Yu"]
    assert "line 11: skipped: no meeting on 8/4/2020 ('No Meeting')" in report.lines()
    assert any("month first" in str(i) and "8/18/2020" in str(i) for i in report.notes)
    assert report.group_name == "Summer 2020 Reading Group"  # front matter: there is no heading


async def test_surrey_date_in_the_fourth_column_and_a_paper_link_column(
    sqlite_db: Database,
) -> None:
    report, sessions = await _import(sqlite_db, "05-surrey-paper-journal-club.md")
    spline = "url:https://la.disneyresearch.com/publication/spline-based-transformers/"
    authors = ["Prashanth Chandran1", "Agon Serifi", "Markus Gross", "Moritz Bächer"]
    assert [(s["date"], s["kind"], s["title"], s["papers"], s["presenter"]) for s in sessions] == [
        ("2024-10-08", "paper", None, [spline], "Samuel Carter"),
        ("2024-10-15", "continue", "Repeat of Previous Week", [], None),
        ("2024-10-22", "special", "General Learn Transformers", [], "Venkatesh Sripada"),
        ("2024-11-05", "special", "Transfomers Recap", [], "Venkatesh Sripada"),
        ("2024-11-12", "paper", None, [spline], "Group"),  # the same paper, unlinked in November
        ("2024-11-19", "tba", None, [], None),  # only a date
    ]
    days = _by_date(sessions)
    assert days["2024-10-08"]["authors"] == [authors]
    assert days["2024-10-15"]["continues"] == "2024-10-08"
    assert (
        days["2024-10-08"]["columns"]["video link"]
        == "[video](https://www.youtube.com/watch?v=AzolLlIbKhg&t=6s)"
    )
    assert days["2024-10-08"]["columns"]["Resources"] == "Transformer Position Embeddings"
    assert days["2024-10-22"]["columns"]["Resources"].count("](https://") == 4
    assert _skipped(report) == [12]  # the row of dashes


async def test_xlab_month_dot_day_without_year_and_emoji_headers(sqlite_db: Database) -> None:
    report, sessions = await _import(sqlite_db, "06-xlab-os-seminar.md")
    assert [(s["date"], s["presenter"]) for s in sessions] == [
        ("2023-02-27", "王 伟"), ("2023-03-06", "陈亮"), ("2023-03-13", "史经犇 & 朱香宁"),
        ("2023-03-27", "赵生宇"), ("2023-04-03", "夏小雅"), ("2023-04-10", "娄泽华"),
        ("2023-04-17", "毕枫林"), ("2023-04-24", "王永雷"), ("2023-05-06", "吴双"),
        ("2023-05-08", "唐烨男"), ("2023-05-15", "张欣然"), ("2023-05-22", "宁志成"),
        ("2023-05-29", "张翔宇"), ("2023-06-05", "伍泰炜"), ("2023-06-12", "李鸿斌"),
        ("2023-06-19", "朱志炜"), ("2023-06-26", "王婕"), ("2023-07-03", "黄温瑞"),
        ("2023-07-07", "王老师"),
    ]  # fmt: skip
    days = _by_date(sessions)
    assert days["2023-02-27"]["columns"] == {
        "周数": "01",
        "主持": "陈亮",
        "关联 Issue": "[PPT 报告](https://xlab2017.yuque.com/msdpvs/mif83s/30414909)",
    }
    assert days["2023-03-06"]["title"] == "博士论文"
    assert days["2023-04-10"]["titles"] == ["An Empirical Study of Link Sharing in Review Comments"]
    assert days["2023-04-10"]["authors"] == [["Jing Jiang", "Jin Cao", "Li Zhang"]]
    assert days["2023-06-05"]["titles"] == [
        "CodeQA: A Question Answering Dataset for Source Code Comprehension"
    ]
    assert days["2023-07-07"]["columns"]["关联 Issue"] == (
        "[#169](https://github.com/X-lab2017/open-wonderland/issues/290)"
    )
    notes = [str(i) for i in report.notes]
    assert any("month first" in n and "'2.27'" in n for n in notes)
    assert any("without a year take it from the heading" in n and "2022-2023" in n for n in notes)


async def test_anu_day_first_shared_dates_and_undated_rows(sqlite_db: Database) -> None:
    report, sessions = await _import(sqlite_db, "07-anu-rse-ml-reading-group.md")
    assert [(s["date"], s["title"], s["presenter"]) for s in sessions] == [
        ("2023-10-23", "Introduction to Machine Learning; Probability Theory", "Jianhua Mei, Wending Liu"),
        ("2023-10-30", "Statistics", "Wending Liu"),
        ("2023-11-06", "Information Theory", "Jianhua Mei"),
        ("2023-11-13", "Decision Theory", "Nik Chow"),
        ("2023-11-20", "Optimization and Logistic Regression", "Esben Scriver Andersen"),
        ("2023-11-27", "Linear Regression", "Zhen Qiu"),
        ("2023-12-04", "Building Simple Neural Networks from Scratch; Building Simple Neural Networks using TensorFlow",
         "Wending Liu, Jianhua Mei"),
    ]  # fmt: skip
    days = _by_date(sessions)
    assert days["2023-10-23"]["columns"]["Reference"] == "Ch1\nCh2 & Ch3"  # both rows kept
    assert days["2023-11-20"]["columns"]["Reference"] == "Ch8, Ch9 & Ch10"
    assert "line 20: skipped: no meeting ('Semester Break')" in report.lines()
    assert _skipped(report) == [20, 21, 22, 23]  # and three rows with no date yet
    assert any("the same date as line 11" in str(i) for i in report.notes)


async def test_plgroup_dates_take_the_year_from_the_front_matter(sqlite_db: Database) -> None:
    report, sessions = await _import(sqlite_db, "08-au-plgroup-fall2025.md")
    assert [s["date"] for s in sessions] == [
        "2025-08-15", "2025-08-22", "2025-08-29", "2025-09-05", "2025-09-12", "2025-09-19",
        "2025-09-26", "2025-10-03", "2025-10-17", "2025-10-24", "2025-10-31", "2025-11-07",
        "2025-11-22",
    ]  # fmt: skip
    days = _by_date(sessions)
    # plain-text citations are papers (without the full stop that ends them)
    assert days["2025-08-29"]["titles"] == [
        "Weighted Rewriting: Semiring Semantics for Abstract Reduction Systems"
    ]
    assert days["2025-09-05"]["titles"] == [
        "Generically Automating Separation Logic by Functors, Homomorphisms, and Modules"
    ]
    assert days["2025-10-31"]["titles"] == [
        "On the Relationship between Dijkstra Monads and Higher-Order Fixpoint Logic"
    ]
    assert days["2025-08-15"]["papers"] == [
        "url:https://augusta.presence.io/event/neeas-dissertation-defense"
    ]  # a reference-style link
    assert (days["2025-08-22"]["kind"], days["2025-08-22"]["title"]) == (
        "special",
        "opening meeting",
    )
    assert days["2025-11-22"]["title"] == "Awards Gala"
    assert days["2025-10-24"]["columns"] == {"#": "10.", "Location": "UH314"}
    assert "line 40: skipped: no meeting on October 10 ('Fall pause')" in report.lines()
    assert any("from the front matter (year: 2025)" in str(i) for i in report.notes)


@pytest.mark.parametrize("name", FILES)
async def test_reimport_changes_nothing_and_the_export_is_a_fixed_point(
    db: Database, name: str
) -> None:
    service = make_service(db)
    text = _text(name)
    first = await service.import_text(GUILD, text)
    assert first.created and not first.conflicts
    again = await service.import_text(GUILD, text)
    assert not again.changed and not again.conflicts
    assert again.unchanged == len(first.created)
    exported = (await service.export(GUILD)).text
    copy = await service.import_text(OTHER_GUILD, exported)
    assert copy.skipped == [] and not copy.conflicts
    assert await snapshot(db, OTHER_GUILD) == await snapshot(db, GUILD)
    assert (await service.export(OTHER_GUILD)).text == exported
    back = await service.import_text(GUILD, exported)  # the export into the first server
    assert not back.changed and not back.conflicts
