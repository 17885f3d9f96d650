"""Parsing what members paste as an arXiv reference, and finding references in text."""

from __future__ import annotations

import re

import pytest

from bot.errors import InvalidInput
from bot.papers.arxiv_ids import (
    ArxivId,
    UrlKind,
    classify_url,
    find_arxiv_refs,
    parse_arxiv_ref,
)
from tests.harness.arxiv import readme_path

# Every arXiv paper linked from the group's README, in order of first appearance. Listed
# by hand so that a parser (or README) change shows up as a failing test.
README_IDS = [
    "2304.08485", "2210.01936", "2103.00020", "2212.07143", "2303.15343", "2203.02053",
    "1905.12681", "2107.07502", "2401.06209", "2404.08197", "2304.09842", "2404.11018",
    "2402.10790", "2312.06647", "2311.03356", "2402.14905", "2106.05237", "2306.13649",
    "2406.14562", "2212.08045", "2010.06572", "2406.07394", "2308.09687", "2407.21787",
    "2203.14465", "2405.02957", "2408.08152", "2008.07669", "2111.00396", "2009.01325",
    "2203.02155", "1909.08593", "2209.03430", "2107.00135", "2202.03555", "2301.09595",
    "2103.03206", "2209.00179", "2208.02131", "2203.01311", "2202.05306", "2203.12221",
]  # fmt: skip


def readme_arxiv_links() -> list[str]:
    """All arXiv link targets in the README, as written (found without the product code)."""
    text = readme_path().read_text(encoding="utf-8", errors="replace")
    return re.findall(r"\]\((https?://[^)\s]*arxiv\.org[^)\s]*)\)", text)


def test_readme_has_the_links_this_test_expects() -> None:
    links = readme_arxiv_links()
    assert len(links) == 50
    assert len(set(links)) == len(README_IDS)


def test_every_readme_link_parses_to_the_listed_id() -> None:
    links = list(dict.fromkeys(readme_arxiv_links()))
    parsed = [parse_arxiv_ref(link) for link in links]
    assert [ref.id for ref in parsed] == README_IDS
    assert all(ref.version is None for ref in parsed)


def test_find_arxiv_refs_on_the_whole_readme() -> None:
    text = readme_path().read_text(encoding="utf-8", errors="replace")
    assert [ref.id for ref in find_arxiv_refs(text)] == README_IDS


ACCEPTED = [
    ("2304.08485", "2304.08485", None),
    ("2304.08485v2", "2304.08485", 2),
    ("arXiv:2304.08485", "2304.08485", None),
    ("arxiv: 2304.08485v1", "2304.08485", 1),
    ("ARXIV:2304.08485", "2304.08485", None),
    ("https://arxiv.org/abs/2304.08485", "2304.08485", None),
    ("http://arxiv.org/abs/2304.08485", "2304.08485", None),
    ("https://www.arxiv.org/abs/2304.08485", "2304.08485", None),
    ("arxiv.org/abs/2304.08485", "2304.08485", None),
    ("www.arxiv.org/abs/2304.08485v3", "2304.08485", 3),
    ("https://export.arxiv.org/abs/2304.08485", "2304.08485", None),
    ("https://arxiv.org/pdf/2304.08485.pdf", "2304.08485", None),
    ("https://arxiv.org/pdf/2304.08485", "2304.08485", None),
    ("https://arxiv.org/pdf/2304.08485v2", "2304.08485", 2),
    ("https://arxiv.org/pdf/2304.08485v2.pdf", "2304.08485", 2),
    ("https://arxiv.org/html/2304.08485v1", "2304.08485", 1),
    ("https://arxiv.org/html/2304.08485v1/#S3", "2304.08485", 1),
    ("https://arxiv.org/abs/2304.08485?context=cs", "2304.08485", None),
    ("https://arxiv.org/abs/2304.08485#section", "2304.08485", None),
    ("https://arxiv.org/abs/2304.08485/", "2304.08485", None),
    ("https://ar5iv.labs.arxiv.org/html/2304.08485", "2304.08485", None),
    ("https://huggingface.co/papers/2304.08485", "2304.08485", None),
    ("hep-th/9901001", "hep-th/9901001", None),
    ("astro-ph/0601001v1", "astro-ph/0601001", 1),
    ("math.GT/0309136", "math/0309136", None),
    ("cs.LG/0101001v2", "cs/0101001", 2),
    ("HEP-TH/9901001", "hep-th/9901001", None),
    ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001", None),
    ("https://arxiv.org/abs/quant-ph/0201082v1", "quant-ph/0201082", 1),
    ("https://arxiv.org/pdf/astro-ph/0601001v1.pdf", "astro-ph/0601001", 1),
    ("arXiv:hep-th/9901001", "hep-th/9901001", None),
    ("10.48550/arXiv.2304.08485", "2304.08485", None),
    ("doi:10.48550/arXiv.2304.08485", "2304.08485", None),
    ("https://doi.org/10.48550/arXiv.2304.08485", "2304.08485", None),
    ("https://dx.doi.org/10.48550/arXiv.2304.08485", "2304.08485", None),
    ("0704.0001", "0704.0001", None),
    ("1412.6980", "1412.6980", None),
    ("1501.00001", "1501.00001", None),
    ("1706.03762v7", "1706.03762", 7),
    ("  2304.08485\n", "2304.08485", None),
    ("<https://arxiv.org/abs/2304.08485>", "2304.08485", None),
    ("(https://arxiv.org/abs/2304.08485)", "2304.08485", None),
    ("https://arxiv.org/abs/2304.08485).", "2304.08485", None),
    ("https://arxiv.org/abs/2304.08485.", "2304.08485", None),
    ("2304.08485,", "2304.08485", None),
    ("`2304.08485`", "2304.08485", None),
    ("[Visual Instruction Tuning](https://arxiv.org/abs/2304.08485)", "2304.08485", None),
]


@pytest.mark.parametrize(("text", "expected_id", "expected_version"), ACCEPTED)
def test_accepts_every_form_a_member_pastes(
    text: str, expected_id: str, expected_version: int | None
) -> None:
    ref = parse_arxiv_ref(text)
    assert ref == ArxivId(expected_id, expected_version)


REJECTED = [
    ("abc", "`abc` is not an arXiv id or link"),
    ("2313.00001", "month 13 does not exist"),
    ("2300.00001", "month 00 does not exist"),
    ("0000.0000", "month 00 does not exist"),
    ("hep-xx/9901001", "hep-xx is not an arXiv archive"),
    ("hep-th/9913001", "month 13 does not exist"),
    ("hep-th/0801001", "old-style ids run from 1991 to March 2007"),
    ("0612.1234", "start in April 2007"),
    ("2304.0848", "have 5 digits after the dot"),
    ("0808.05394", "have 4 digits after the dot"),
    ("9912.12345", "is in the future"),
    ("2304.08485v0", "versions start at v1"),
    ("https://example.com/abs/2304.08485", "is not an arXiv link"),
    ("https://openreview.net/forum?id=hTWqB327Oay", "paper outside arXiv (openreview.net)"),
    ("https://arxiv.org/list/cs.CL/recent", "is an arXiv link but not to a paper"),
    ("https://doi.org/10.1145/3442188.3445922", "paper outside arXiv"),
    ("ftp://arxiv.org/abs/2304.08485", "is not an arXiv id or link"),
    ("", "Give an arXiv id or link"),
    ("   \n ", "Give an arXiv id or link"),
    ("2" * 5000, "too long to be an arXiv id or link (5000 characters)"),
    ("<@123456789012345678>", "is not an arXiv id or link"),
    ("@everyone", "is not an arXiv id or link"),
    ("**bold** _text_", "is not an arXiv id or link"),
    ("[a paper](https://example.com/paper)", "is not an arXiv link"),
    ("please read 2304.08485 next week", "paste just one id or link"),
    ("2304.08485 2401.06209", "paste just one id or link"),
]


@pytest.mark.parametrize(("text", "message"), REJECTED)
def test_rejects_what_is_not_an_arxiv_id_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_arxiv_ref(text)
    shown = str(caught.value)
    assert message in shown
    assert len(shown) < 300
    assert shown.endswith(".")


def test_error_message_echo_is_short_and_cannot_break_markdown() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_arxiv_ref("```" + "x" * 200 + "```")
    shown = str(caught.value)
    assert "```" not in shown
    assert len(shown) < 200


def test_arxiv_id_urls_and_versioned_form() -> None:
    ref = ArxivId("2304.08485", 2)
    assert ref.versioned == "2304.08485v2"
    assert str(ref) == "2304.08485v2"
    assert ref.abs_url == "https://arxiv.org/abs/2304.08485v2"
    assert ref.pdf_url == "https://arxiv.org/pdf/2304.08485v2"
    assert ArxivId("hep-th/9901001").abs_url == "https://arxiv.org/abs/hep-th/9901001"
    with pytest.raises(AttributeError):
        ref.version = 3  # type: ignore[misc]


def test_find_arxiv_refs_in_free_text_dedupes_and_keeps_order() -> None:
    text = (
        "Next week: arXiv:2304.08485 (LLaVA), then https://arxiv.org/pdf/2401.06209v2.pdf; "
        "also the old hep-th/9901001v1. Not https://example.com/abs/2404.08197, and LLaVA "
        "again: <https://arxiv.org/abs/2304.08485v2>. Ignore 2313.00001, 12304.08485 and "
        "version 1.2304.0848. DOI 10.48550/arXiv.2107.00135."
    )
    assert find_arxiv_refs(text) == [
        ArxivId("2304.08485"),
        ArxivId("2401.06209", 2),
        ArxivId("hep-th/9901001", 1),
        ArxivId("2107.00135"),
    ]


def test_find_arxiv_refs_in_markdown_table_row() -> None:
    row = (
        "| 09.07.2024 | Knowledge Distillation | [Gemma 2 (pdf)](https://storage.googleapis.com/"
        "deepmind-media/gemma/gemma-2-report.pdf), [MobileLLM](https://arxiv.org/abs/2402.14905),"
        " [Knowledge distillation](https://arxiv.org/abs/2106.05237)|"
    )
    assert [ref.id for ref in find_arxiv_refs(row)] == ["2402.14905", "2106.05237"]


def test_find_arxiv_refs_on_text_without_any() -> None:
    assert find_arxiv_refs("") == []
    assert find_arxiv_refs("see https://github.com/haotian-liu/LLaVA and 3.14159") == []


CLASSIFIED = [
    ("https://arxiv.org/abs/2304.08485", UrlKind.ARXIV),
    ("https://arxiv.org/pdf/2107.00135.pdf", UrlKind.ARXIV),
    ("https://doi.org/10.48550/arXiv.2304.08485", UrlKind.ARXIV),
    ("https://openreview.net/forum?id=hTWqB327Oay", UrlKind.PAPER),
    ("https://openreview.net/pdf?id=hTWqB327Oay", UrlKind.PAPER),
    ("https://distill.pub/2021/multimodal-neurons/", UrlKind.PAPER),
    ("https://aclanthology.org/2023.acl-long.1/", UrlKind.PAPER),
    ("https://proceedings.neurips.cc/paper/2020/hash/abc-Abstract.html", UrlKind.PAPER),
    ("https://proceedings.mlr.press/v139/radford21a.html", UrlKind.PAPER),
    ("https://openaccess.thecvf.com/content/CVPR2023/html/X_paper.html", UrlKind.PAPER),
    (
        "https://storage.googleapis.com/deepmind-media/gemma/gemma-2-report.pdf",
        UrlKind.PAPER,
    ),
    ("https://doi.org/10.1145/3442188.3445922", UrlKind.PAPER),
    ("https://github.com/haotian-liu/LLaVA", UrlKind.OTHER),
    ("https://llava-vl.github.io/", UrlKind.OTHER),
    ("https://srush.github.io/annotated-s4/", UrlKind.OTHER),
    ("https://openreview.net/group?id=ICLR.cc/2024/Conference", UrlKind.OTHER),
    ("https://distill.pub/", UrlKind.OTHER),
    ("https://arxiv.org/list/cs.CL/recent", UrlKind.OTHER),
    ("not a url", UrlKind.OTHER),
    ("", UrlKind.OTHER),
]


@pytest.mark.parametrize(("url", "kind"), CLASSIFIED)
def test_classify_url(url: str, kind: UrlKind) -> None:
    assert classify_url(url) is kind
