"""The bot's section of a README: only the text between the markers is ever replaced."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import InvalidInput
from bot.publish.markers import (
    END,
    START,
    Placement,
    has_markers,
    headings,
    section_of,
    splice,
)
from tests.conftest import SHARED_DIR

OTHER_GROUPS = sorted((SHARED_DIR / "examples" / "other-groups").glob("0*.md"))
GROUP_README = SHARED_DIR / "examples" / "schedule-readme.md"
SECTION = "| Date | Paper |\n| --- | --- |\n| 06.02.2025 | Code Reading Group |\n"


def test_a_new_file_is_the_markers_and_the_section() -> None:
    assert splice(None, SECTION) == f"{START}\n{SECTION}{END}\n"


@pytest.mark.parametrize("path", [*OTHER_GROUPS, GROUP_README], ids=lambda p: p.name)
def test_real_readmes_keep_every_byte_around_the_section(path: Path) -> None:
    original = path.read_bytes().decode("utf-8")
    first = splice(original, SECTION)  # no markers yet: appended at the end
    assert first.startswith(original.rstrip("\n"))
    assert section_of(first) == SECTION
    # Someone edits around the section on GitHub; the next publish keeps it all.
    edited = "Intro added later.\n\n" + first + "\nFooter added later.\n"
    second = splice(edited, "| new |\n")
    assert second == edited.replace(SECTION, "| new |\n")
    assert splice(second, "| new |\n") == second  # nothing changes twice


def test_windows_line_endings_stay() -> None:
    text = "# Group\r\n\r\nHand-written.\r\n"
    once = splice(text, SECTION)
    assert once.startswith(text)
    assert once.endswith(f"{START}\r\n| Date | Paper |\r\n| --- | --- |\r\n"
                         f"| 06.02.2025 | Code Reading Group |\r\n{END}\r\n")  # fmt: skip
    assert "\n" not in once.replace("\r\n", "")


def test_placements() -> None:
    text = "---\ntitle: Group\n---\n# Group\n\nIntro.\n\n## Schedule\nOld notes.\n"
    assert headings(text) == ["Group", "Schedule"]
    at_start = splice(text, "S\n", Placement("start"))
    assert at_start == f"---\ntitle: Group\n---\n\n{START}\nS\n{END}\n\n# Group\n\nIntro.\n\n## Schedule\nOld notes.\n"  # fmt: skip
    after = splice(text, "S\n", Placement.parse("after:schedule"))
    assert after.endswith(f"## Schedule\n\n{START}\nS\n{END}\n\nOld notes.\n")
    at_end = splice("No newline at the end", "S\n", Placement("end"))
    assert at_end == f"No newline at the end\n\n{START}\nS\n{END}\n"
    with pytest.raises(InvalidInput, match="has no heading 'Missing'"):
        splice(text, "S\n", Placement("after", "Missing"))


def test_placement_parsing() -> None:
    assert Placement.parse(" END ") == Placement("end")
    assert str(Placement.parse("after:  How   to join ")) == "after:How to join"
    with pytest.raises(InvalidInput, match="start, end or after:<heading>"):
        Placement.parse("middle")


def test_markers_inside_code_blocks_are_text() -> None:
    text = f"# Docs\n\n```\n{START}\n{END}\n```\n\n~~~md\n## Not a heading\n~~~\n"
    assert not has_markers(text)
    assert headings(text) == ["Docs"]
    out = splice(text, "S\n")
    assert out.startswith(text) and section_of(out) == "S\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"{START}\nx\n", "no <!-- reading-group:end --> after it"),
        (f"x\n{END}\n", "no <!-- reading-group:start --> before it"),
        (f"{END}\n{START}\n", "has <!-- reading-group:end --> before"),
        (f"{START}\n{END}\n{START}\n{END}\n", "more than once"),
    ],
)
def test_broken_markers_are_refused(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem) as caught:
        splice(text, SECTION, name="README.md")
    assert "Nothing was published" in str(caught.value)


def test_a_section_cannot_smuggle_markers() -> None:
    with pytest.raises(InvalidInput, match="marker"):
        splice("x\n", f"a\n  {END}\nb\n")
