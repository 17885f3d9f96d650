"""What a README says, line by line: the result of reading it (``parse.py``), before the
import compares it with what a server holds (``importer.py``). Plain data, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from storage.models import PaperRole

NOTE, SKIPPED = "note", "skipped"


@dataclass(slots=True)
class Issue:
    """A line the report mentions: a row that was ``skipped`` (and why), or a ``note`` on
    how a line was read."""

    line: int
    message: str
    kind: str = NOTE

    def __str__(self) -> str:
        text = f"skipped: {self.message}" if self.kind == SKIPPED else self.message
        return f"line {self.line}: {text}" if self.line else text


@dataclass(slots=True)
class PaperRef:
    """A paper as a cell names it: the key that identifies it and what the cell says."""

    ref_key: str
    url: str | None
    arxiv_id: str | None
    arxiv_version: int | None
    text: str | None  # the link text as written; None for a raw URL
    fallback_title: str
    names: bool = True  # the text names the paper ("[here](…)" does not)

    @property
    def title(self) -> str:
        return (self.text if self.names else None) or self.fallback_title

    @property
    def has_title(self) -> bool:
        return self.text is not None and self.names


@dataclass(slots=True)
class RowPaper:
    """A paper of a row; ``authors``, ``code_links`` and ``demo_links`` are the cells of the
    row it came from when that row names this one paper (None: the row says nothing)."""

    ref: PaperRef
    role: str = PaperRole.MAIN
    authors: tuple[str, ...] | None = None
    code_links: tuple[tuple[str, str], ...] | None = None
    demo_links: tuple[tuple[str, str], ...] | None = None
    line: int = 0


@dataclass(slots=True)
class ParsedRow:
    """One session as the file writes it (a dated row, and the rows without a date that
    continue it).

    A file can hold many thousands of rows, all alive until the import is planned: what a
    row holds is kept in strings and tuples rather than in lists and segments; the planner
    reads the Paper and Authors cells again only for a row whose wording it keeps."""

    line: int
    day: date
    date_text: str
    kind: str
    title: str | None = None
    block_name: str | None = None
    block_part: int | None = None
    papers: tuple[RowPaper, ...] = ()
    paper_cell: str = ""  # the Paper cell as the file writes it
    paper_markup: str = ""  # the same as the exporter would write it
    authors_cell: str = ""
    authors_markup: str = ""
    code_links: tuple[tuple[str, str], ...] = ()  # (name, url)
    demo_links: tuple[tuple[str, str], ...] = ()
    code_note: str | None = None
    demo_note: str | None = None
    comments: tuple[str, ...] = ()
    start_time: time | None = None
    duration: int | None = None
    presenter_name: str | None = None
    presenter_id: int | None = None
    presenter_markup: str | None = None  # the Presenter cell, when it holds links
    has_presenter_column: bool = False
    extras: dict[str, str] = field(default_factory=dict)  # column name → cell markup
    # For each link of the Paper and Authors cells, in order, the key of its paper (None: a
    # link that is not a paper, kept in the row's wording).
    paper_link_keys: tuple[str | None, ...] = ()
    authors_link_keys: tuple[str | None, ...] = ()
    joined_lines: tuple[int, ...] = ()  # rows without a date that continue this one

    @property
    def single_paper(self) -> bool:
        """Exactly one paper in the main role."""
        return sum(1 for p in self.papers if p.role == PaperRole.MAIN) == 1 and not (
            self.joined_lines
        )


@dataclass(slots=True)
class ParsedItem:
    line: int
    read: bool
    ref: PaperRef
    label: str | None = None


@dataclass(slots=True)
class ParsedTopic:
    line: int
    name: str | None
    items: list[ParsedItem] = field(default_factory=list)
    children: list[ParsedTopic] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.items and all(child.is_empty() for child in self.children)


@dataclass(slots=True)
class ParsedDocument:
    title: str | None = None
    rows: list[ParsedRow] = field(default_factory=list)
    topics: list[ParsedTopic] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    tables: int = 0  # schedule tables read

    @property
    def item_count(self) -> int:
        def count(topics: list[ParsedTopic]) -> int:
            return sum(len(t.items) + count(t.children) for t in topics)

        return count(self.topics)

    @property
    def skipped(self) -> list[Issue]:
        return [i for i in self.issues if i.kind == SKIPPED]

    @property
    def is_schedule(self) -> bool:
        return bool(self.rows) or self.item_count > 0 or bool(self.tables)
