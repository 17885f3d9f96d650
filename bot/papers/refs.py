"""References to a paper as members type them: arXiv ids and links, links to papers
elsewhere, titles and ``paper:<id>``; the limits of what they type; the authors and the
Code and Demo links they give; and the withdrawn notice arXiv puts on a paper.
"""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import urlsplit

from bot.errors import InvalidInput
from bot.papers.arxiv import PaperMetadata
from bot.papers.arxiv_ids import UrlKind, classify_url, parse_arxiv_ref
from bot.papers.identity import canonical_url
from bot.papers.links import Link, extract_links
from bot.text import NAME_LIMIT, check_text, clean_line
from storage.models import Paper

MAX_REFS = 100
MAX_AUTHORS = 50
MAX_LINKS_PER_KIND = 5
LINK_LABEL_LIMIT = 40
URL_LIMIT = 500  # also the longest single reference (a link; an id or title is shorter)
REFS_LIMIT = 6000  # several references in one text (Discord's longest option)
AUTHORS_LIMIT = 2000
LINKS_LIMIT = 1500  # the links typed for the Code or Demo column
STORED_PREFIX = "paper:"
_URLISH = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,;]+")
_STORED = re.compile(r"^paper:(?P<id>\d{1,18})$", re.IGNORECASE)
# Shaped like an arXiv id even if it is not a valid one ("0000.0000", "2313.12345",
# "foo-th/9901001"): such input gets the parser's precise message, not a title search.
_ID_SHAPED = re.compile(
    r"^(?:arxiv\s*:\s*)?(?:\d{4}\.\d{3,6}|[a-z]+(?:-[a-z]+)?(?:\.[a-z-]+)?/\d{5,8})(?:v\d+)?$",
    re.IGNORECASE,
)
_WITHDRAWN = re.compile(
    r"\b(?:this|the) (?:paper|article|submission|manuscript|work) (?:has been|is|was) withdrawn"
    r"|\bwithdrawn by (?:the )?(?:authors?|arxiv)"
    r"|\barxiv admin note:[^.]*\bwithdrawn",
    re.IGNORECASE,
)
_LINK_TOKEN = re.compile(
    r"\[(?P<label>[^\]]{0,80})\]\(\s*(?P<url>[^()\s]+)\s*\)|(?P<bare>[^\s,\[\]]+)"
)
_CLEAR_WORDS = frozenset({"-", "none", "clear", "remove"})


class RefKind(StrEnum):
    ARXIV = "arxiv"
    PAPER_URL = "paper_url"  # a paper outside arXiv: needs metadata from the member
    OTHER_URL = "other_url"  # a link that is not a paper (a repository, a blog post...)
    STORED = "stored"  # paper:<id>, a paper this server already has
    TITLE = "title"


def split_refs(text: str) -> list[str]:
    """One option value → references.

    Ids and links may be separated by spaces, commas or semicolons; anything else is one
    title ("Visual Instruction Tuning").
    """
    text = text.strip()
    if not text:
        return []
    if len(text) > REFS_LIMIT:
        raise InvalidInput(
            f"That is {len(text):,} characters of references; give at most {REFS_LIMIT:,}."
        )
    parts = [p for p in _SEPARATORS.split(text) if p]
    looks_like_refs = all(
        _URLISH.match(p) or _is_arxiv(p) or _ID_SHAPED.match(p) or _STORED.match(p) for p in parts
    )
    return parts if looks_like_refs else [" ".join(text.split())]


def _is_arxiv(text: str) -> bool:
    try:
        parse_arxiv_ref(text)
    except InvalidInput:
        return False
    return True


def classify_ref(text: str) -> RefKind:
    """What kind of reference ``text`` is; malformed arXiv ids raise the parser's message."""
    text = text.strip()
    if not text:
        raise InvalidInput("Give an arXiv id or link, a link to the paper, or its title.")
    if _STORED.match(text):
        return RefKind.STORED
    if _is_arxiv(text):
        return RefKind.ARXIV
    if _ID_SHAPED.match(text):
        parse_arxiv_ref(text)  # raises InvalidInput saying what is wrong with the id
    if _URLISH.match(text):
        if classify_url(text) == UrlKind.PAPER:
            return RefKind.PAPER_URL
        host = urlsplit(canonical_url(text)).netloc.removeprefix("www.")
        if host == "arxiv.org" or host.endswith(".arxiv.org"):
            parse_arxiv_ref(text)  # "an arXiv link but not to a paper"
        return RefKind.OTHER_URL
    return RefKind.TITLE


def stored_ref(paper: Paper) -> str:
    """The reference autocomplete hands back for a stored paper."""
    return f"{STORED_PREFIX}{paper.id}"


def paper_ref(paper: Paper) -> str:
    """A reference that resolves to ``paper`` again without any request (cached)."""
    if paper.arxiv_id:
        return paper.arxiv_id
    if paper.url:
        return paper.url
    return stored_ref(paper)


def is_withdrawn(paper: Paper | PaperMetadata) -> bool:
    """Whether arXiv lists the paper (this version) as withdrawn by its authors."""
    comment = paper.comment or ""
    abstract = (paper.abstract or "")[:400]
    return bool(_WITHDRAWN.search(comment) or _WITHDRAWN.search(abstract))


def check_not_withdrawn(paper: Paper) -> None:
    if not is_withdrawn(paper):
        return
    name = paper.arxiv_id or paper.title
    earlier = (
        f" Give an earlier version (e.g. {paper.arxiv_id}v{paper.arxiv_version - 1}) to use it."
        if paper.arxiv_id and paper.arxiv_version and paper.arxiv_version > 1
        else ""
    )
    raise InvalidInput(f"arXiv lists {name} as withdrawn by its authors.{earlier}")


def parse_authors(text: str | None) -> tuple[str, ...]:
    """'H. Liu, C. Li; Q. Wu' → ('H. Liu', 'C. Li', 'Q. Wu'); mentions are refused."""
    if text is None:
        return ()
    cleaned = check_text(text, what="author list", limit=AUTHORS_LIMIT)
    if cleaned is None:
        return ()
    names = [clean_line(n) for n in re.split(r"[,;]|\band\b", cleaned)]
    names = [n for n in names if n]
    if len(names) > MAX_AUTHORS:
        raise InvalidInput(f"{len(names)} authors is more than {MAX_AUTHORS}; add 'et al.'.")
    for name in names:
        if len(name) > NAME_LIMIT:
            raise InvalidInput(
                f"An author name is {len(name)} characters long; separate authors by commas."
            )
    return tuple(names)


def parse_links(text: str | None, kind: str) -> list[list[str]] | None:
    """Links an organizer typed for the Code or Demo column, README style.

    ``None`` leaves the column as it is; ``-`` (or ``none``) empties it. Accepts bare URLs
    and ``[Label](url)`` links separated by spaces or commas; a bare URL is labelled like the
    README does (GitHub, Project Page, HuggingFace, Colab, Demo...).
    """
    if text is None:
        return None
    text = text.strip()
    if text.lower() in _CLEAR_WORDS:
        return []
    if len(text) > LINKS_LIMIT:
        raise InvalidInput(f"Give at most {LINKS_LIMIT:,} characters of {kind} links.")
    links: list[list[str]] = []
    for match in _LINK_TOKEN.finditer(text):
        url = (match["url"] or match["bare"]).strip("<>")
        given = match["label"]
        if "://" not in url and re.match(r"^[\w-]+(?:\.[\w-]+)+(?:[/?#]|$)", url):
            url = f"https://{url}"  # "github.com/owner/repo", "www.example.org"
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or "." not in parts.netloc or len(url) > URL_LIMIT:
            raise InvalidInput(
                f"{url[:80]!r} is not a link. Give links such as https://github.com/owner/repo, "
                "separated by spaces, or - to remove them."
            )
        label = given or _default_label(url, kind)
        label = check_text(label, what="link label", limit=LINK_LABEL_LIMIT) or kind.title()
        if [label, url] not in links:
            links.append([label, url])
    if len(links) > MAX_LINKS_PER_KIND:
        raise InvalidInput(f"Give at most {MAX_LINKS_PER_KIND} {kind} links.")
    return links


def _default_label(url: str, kind: str) -> str:
    """The site's name (GitHub, HuggingFace, Colab...), else the column's usual word."""
    named: tuple[Link, ...] = extract_links(url).all
    if named and named[0].name not in ("Project Page", "Demo"):
        return named[0].name
    return "Demo" if kind == "demo" else "Project Page"
