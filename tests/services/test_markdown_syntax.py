"""Inline markdown of the README: tokenizer, escaping, table rows, author names."""

from __future__ import annotations

import random

import pytest

from bot.markdown.cells import parse_clock
from bot.markdown.render import abbreviate_author, comment_markup
from bot.markdown.syntax import (
    Seg,
    escape,
    plain,
    render,
    split_row,
    tokenize,
)

ALPHABET = [
    *"ab c\\|*_[]()<>&;#@`~$!:/\n",
    "https://x.y/a",
    "http://",
    "**",
    "&amp;",
    "&lt;",
    "<br>",
    "[t](https://u.v/w)",
    "@everyone",
    "</details>",
    "\u00c3\u00a9",
    "<https://q.r>",
    "<http://a.b/c.>",
    "**x**",
    "[**](http://a.b)",
    "[t](<https://u v>)",
    "&#13;",
    "<BR/>",
]


@pytest.mark.parametrize("seed", range(5))
def test_render_and_tokenize_are_inverse(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(2000):
        source = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 25)))
        segments = tokenize(source)
        markup = render(segments)
        assert "\n" not in markup and "|" not in markup.replace("\\|", "")
        assert tokenize(markup) == segments, (source, markup)
        # plain text survives escaping exactly
        text = plain(segments)
        assert plain(tokenize(escape(text))) == text


@pytest.mark.parametrize(
    ("markup", "segments"),
    [
        ("[Title](https://arxiv.org/abs/2304.08485)", [Seg("l", "Title", "https://arxiv.org/abs/2304.08485")]),
        ("see https://github.com/a/b.", [Seg("t", "see "), Seg("u", "", "https://github.com/a/b"), Seg("t", ".")]),
        ("**RLHF Block.** Part 2", [Seg("b", "RLHF Block."), Seg("t", " Part 2")]),
        ("a \\| b &amp; c<br>d", [Seg("t", "a | b & c\nd")]),
        ("[x](javascript:alert(1))", [Seg("t", "[x](javascript:alert(1))")]),
        ("[wiki](https://en.wikipedia.org/wiki/A_(b))", [Seg("l", "wiki", "https://en.wikipedia.org/wiki/A_%28b%29")]),
        ("[](https://x.y)", [Seg("u", "", "https://x.y")]),
        ("<https://x.y/z>", [Seg("u", "", "https://x.y/z")]),
        ("Gu, Goel, R\u00c3\u00a9", [Seg("t", "Gu, Goel, R\u00c3\u00a9")]),
    ],
)  # fmt: skip
def test_tokenize(markup: str, segments: list[Seg]) -> None:
    assert tokenize(markup) == segments


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a | b", "a \\| b"),
        ("</details>", "\\</details\\>"),
        ("<script>x</script>", "\\<script\\>x\\</script\\>"),
        ("@everyone @here", "\\@everyone \\@here"),
        ("see https://x.y", "see https\\://x.y"),
        ("AT&T &amp;", "AT&T \\&amp;"),
        ("one\ntwo", "one<br>two"),
        ("Foundations & Trends", "Foundations & Trends"),
        ("Still (sic!) continue", "Still (sic!) continue"),
    ],
)
def test_escape(text: str, escaped: str) -> None:
    assert escape(text) == escaped


@pytest.mark.parametrize(
    ("line", "cells"),
    [
        ("| 01.02.2024 | a | b |", ["01.02.2024", "a", "b"]),
        ("| 15.10.2024 |", ["15.10.2024"]),
        ("| 28.05.2024 | [x](https://y) | c | [GitHub](https://g) ", ["28.05.2024", "[x](https://y)", "c", "[GitHub](https://g)"]),
        ("| a |[Demo](https://d)||", ["a", "[Demo](https://d)", ""]),
        ("| a \\| b | c |", ["a \\| b", "c"]),
        ("| a \\\\| b |", ["a \\\\", "b"]),
        ("a | b", ["a", "b"]),
    ],
)  # fmt: skip
def test_split_row(line: str, cells: list[str]) -> None:
    assert split_row(line) == cells


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Haotian Liu", "H. Liu"),
        ("Yong Jae Lee", "Y. J. Lee"),
        ("J.W. Kim", "J.W. Kim"),
        ("G.Goh", "G.Goh"),
        ("Feiszli", "Feiszli"),
        ("Jean-Pierre Dupont", "J.-P. Dupont"),
        ("Ludwig van Beethoven", "L. van Beethoven"),
        ("Y. J. Lee", "Y. J. Lee"),
    ],
)
def test_abbreviate_author(name: str, short: str) -> None:
    assert abbreviate_author(name) == short


def test_comment_markup_is_one_line() -> None:
    text = "First line  \n\n\nsecond | line with [a link](https://x.y) and <b>"
    assert comment_markup(text) == (
        "First line<br>second \\| line with [a link](https://x.y) and \\<b\\>"
    )


def test_parse_clock() -> None:
    assert parse_clock("16:00") == (parse_clock("4pm")[0], None)
    start, minutes = parse_clock("16:00–17:30")
    assert (start.hour, start.minute, minutes) == (16, 0, 90)
