"""One paper, one key: /paper propose, /session add and the import name papers alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.papers.arxiv import ArxivService
from bot.papers.identity import equivalent_keys, of_title, of_url, same_title
from bot.papers.service import PaperService
from storage.db import Database
from tests.harness.arxiv import FakeArxiv
from tests.harness.clock import FakeClock
from tests.services.markdown_helpers import GUILD, make_service


@pytest.mark.parametrize(
    "url",
    [
        "https://arxiv.org/abs/2304.08485",
        "https://arxiv.org/abs/2304.08485v2",
        "http://arxiv.org/pdf/2304.08485.pdf",
        "https://arxiv.org/abs/2304.08485.pdf",
        "https://export.arxiv.org/abs/2304.08485",
        "https://huggingface.co/papers/2304.08485",
        "https://doi.org/10.48550/arXiv.2304.08485",
    ],
)
def test_every_arxiv_link_is_the_arxiv_paper(url: str) -> None:
    identity = of_url(url)
    assert identity is not None and identity.key == "arxiv:2304.08485"


def test_other_links_and_titles() -> None:
    page = of_url("https://OpenReview.net/forum?id=hTWqB327Oay#notes")
    assert page is not None and page.key == "url:https://openreview.net/forum?id=hTWqB327Oay"
    keys = equivalent_keys("url:https://www.nature.com/articles/x/")
    assert "url:http://nature.com/articles/x" in keys and keys[0].endswith("/x/")
    assert of_url("https://example.org/" + "x" * 3000) is None  # too long to be stored
    assert of_title("Attention Is All You Need.").key == of_title("attention is all you need").key
    assert same_title("BERT: Pre-training", "bert pre-training")


async def test_propose_and_import_never_store_a_paper_twice(
    sqlite_db: Database, arxiv_service: ArxivService, fake_arxiv: FakeArxiv
) -> None:
    await make_service(sqlite_db).import_text(
        GUILD,
        "| Date | Paper | Authors |\n| --- | --- | --- |\n"
        "| 2025-01-09 | [Calibrating Multimodal Learning](http://www.openreview.net/forum?id=hTWqB327Oay) | Ma |\n"
        "| 2025-01-16 | A Paper Named Only By Its Title. | Doe |\n",
    )
    papers = PaperService(sqlite_db, FakeClock(datetime(2025, 3, 1, tzinfo=UTC)), arxiv_service)
    before = fake_arxiv.request_count
    specs = await papers.lookup(
        GUILD, ["https://openreview.net/forum?id=hTWqB327Oay", "A Paper Named Only By Its Title"]
    )
    async with sqlite_db.unit() as uow:
        stored = await papers.store(uow, GUILD, specs)
    assert fake_arxiv.request_count == before  # the title named the server's paper: no search
    assert [p.title for p in stored] == [
        "Calibrating Multimodal Learning",
        "A Paper Named Only By Its Title",
    ]
    async with sqlite_db.unit() as uow:
        assert await uow.papers.count(GUILD) == 2
