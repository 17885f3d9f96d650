"""arXiv identifiers: parse what members paste, find references in text, classify URLs.

Everything here is pure and offline: an id is validated (month, archive name, digit count)
before any request reaches arXiv, so a typo gets a precise message instead of a slow
round trip and an HTTP 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import parse_qs, unquote, urlsplit

from bot.errors import InvalidInput

__all__ = [
    "OLD_STYLE_ARCHIVES",
    "ArxivId",
    "UrlKind",
    "classify_url",
    "find_arxiv_refs",
    "parse_arxiv_ref",
]

# Archives that used the pre-April-2007 "archive/YYMMNNN" identifiers
# (https://info.arxiv.org/help/arxiv_identifier.html).
OLD_STYLE_ARCHIVES: frozenset[str] = frozenset(
    {
        "acc-phys",
        "adap-org",
        "alg-geom",
        "ao-sci",
        "astro-ph",
        "atom-ph",
        "bayes-an",
        "chao-dyn",
        "chem-ph",
        "cmp-lg",
        "comp-gas",
        "cond-mat",
        "cs",
        "dg-ga",
        "funct-an",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math",
        "math-ph",
        "mtrl-th",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "patt-sol",
        "physics",
        "plasm-ph",
        "q-alg",
        "q-bio",
        "quant-ph",
        "solv-int",
        "supr-con",
    }
)

MAX_REF_LENGTH = 500
EXAMPLE = "2304.08485 or https://arxiv.org/abs/2304.08485"

# Hosts whose paper pages are addressed by an arXiv id in the path.
_ARXIV_HOSTS = frozenset({"arxiv.org", "export.arxiv.org", "ar5iv.org", "ar5iv.labs.arxiv.org"})
_MIRROR_HOSTS = {"huggingface.co": "papers", "alphaxiv.org": "abs"}
_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org"})
_ARXIV_DOI_PREFIX = "10.48550/arxiv."
_ARXIV_PATH_KINDS = frozenset({"abs", "pdf", "html", "format", "src", "ps"})

_NEW_ID = re.compile(r"(?P<yymm>\d{4})\.(?P<num>\d+)(?:v(?P<ver>\d+))?", re.ASCII)
_OLD_ID = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.(?P<subject>[a-z]+(?:-[a-z]+)?))?"
    r"/(?P<num>\d{7})(?:v(?P<ver>\d+))?",
    re.ASCII | re.IGNORECASE,
)
_ARXIV_PREFIX = re.compile(r"arxiv\s*:\s*", re.IGNORECASE)
_MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\((?P<url>[^()\s]+)\)")
_LEADING_JUNK = "<([{'\"`*_"
_TRAILING_JUNK = ">)]}'\"`*_.,;:!?"


@dataclass(frozen=True, slots=True)
class ArxivId:
    """An arXiv identifier: ``id`` without version ("2304.08485", "hep-th/9901001")."""

    id: str
    version: int | None = None

    @property
    def versioned(self) -> str:
        """The id with its version suffix when one was given ("2304.08485v2")."""
        return f"{self.id}v{self.version}" if self.version is not None else self.id

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.versioned}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.versioned}"

    def __str__(self) -> str:
        return self.versioned


class UrlKind(StrEnum):
    ARXIV = "arxiv"
    PAPER = "paper"
    OTHER = "other"


def _show(text: str, limit: int = 60) -> str:
    """A short, markdown-safe echo of member input for an error message."""
    flat = " ".join(text.replace("`", "'").split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return f"`{flat}`"


def _is_future(year2: int, month: int) -> bool:
    """Whether 20YY-MM lies after next month (one month of slack for time zones)."""
    now = datetime.now(UTC)
    return (2000 + year2) * 12 + month > now.year * 12 + now.month + 1


def _version(raw: str | None, shown: str) -> int | None:
    if raw is None:
        return None
    version = int(raw)
    if version < 1:
        raise InvalidInput(f"{shown} has version v{version}, but arXiv versions start at v1.")
    return version


def _parse_new_style(match: re.Match[str], shown: str) -> ArxivId:
    yymm, num = match["yymm"], match["num"]
    year, month = int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12:
        raise InvalidInput(
            f"{shown} is not a valid arXiv id: it starts with year and month (YYMM), "
            f"and month {month:02d} does not exist."
        )
    if int(yymm) < 704:
        raise InvalidInput(
            f"{shown} is not a valid arXiv id: ids like this start in April 2007 (0704); "
            "older papers look like hep-th/9901001."
        )
    if _is_future(year, month):
        raise InvalidInput(
            f"{shown} is not a valid arXiv id: 20{year:02d}-{month:02d} is in the future."
        )
    digits = 4 if int(yymm) < 1501 else 5
    if len(num) != digits:
        raise InvalidInput(
            f"{shown} is not a valid arXiv id: ids from 20{year:02d}-{month:02d} have "
            f"{digits} digits after the dot, like {yymm}.{'0' * (digits - 1)}1."
        )
    return ArxivId(f"{yymm}.{num}", _version(match["ver"], shown))


def _parse_old_style(match: re.Match[str], shown: str) -> ArxivId:
    archive = match["archive"].lower()
    if archive not in OLD_STYLE_ARCHIVES:
        raise InvalidInput(
            f"{shown} is not a valid arXiv id: {archive} is not an arXiv archive "
            "(old-style ids look like hep-th/9901001 or math.GT/0309136)."
        )
    num = match["num"]
    year, month = int(num[:2]), int(num[2:4])
    if not 1 <= month <= 12:
        raise InvalidInput(
            f"{shown} is not a valid arXiv id: the digits after the slash start with year "
            f"and month (YYMM), and month {month:02d} does not exist."
        )
    yymm = year * 100 + month
    if not (yymm >= 9107 or yymm <= 703):
        raise InvalidInput(
            f"{shown} is not a valid arXiv id: old-style ids run from 1991 to March 2007; "
            "newer papers look like 2304.08485."
        )
    return ArxivId(f"{archive}/{num}", _version(match["ver"], shown))


def _parse_bare(candidate: str, shown: str) -> ArxivId | None:
    """Parse a bare id ("2304.08485v2", "math.GT/0309136"); None when it has no id shape."""
    if match := _NEW_ID.fullmatch(candidate):
        return _parse_new_style(match, shown)
    if match := _OLD_ID.fullmatch(candidate):
        return _parse_old_style(match, shown)
    return None


def _host(netloc: str) -> str:
    host = netloc.rsplit("@", 1)[-1].split(":", 1)[0].lower().rstrip(".")
    return host.removeprefix("www.")


def _id_from_arxiv_path(path: str) -> str | None:
    parts = [part for part in unquote(path).split("/") if part]
    if len(parts) < 2 or parts[0].lower() not in _ARXIV_PATH_KINDS:
        return None
    first = parts[1].removesuffix(".pdf").removesuffix(".PDF")
    if _NEW_ID.fullmatch(first) or len(parts) == 2:
        return first
    return f"{first}/{parts[2]}".removesuffix(".pdf").removesuffix(".PDF")


def _split_url(url: str) -> tuple[str, str, str] | None:
    """(url with scheme, host without www., path) of an http(s) URL; None otherwise."""
    with_scheme = url if "://" in url else f"https://{url}"
    try:
        parts = urlsplit(with_scheme)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return with_scheme, _host(parts.netloc), parts.path


def _arxiv_candidate(host: str, path: str) -> str | None:
    """The id-shaped part of a link to an arXiv paper page, or None for other links."""
    if host in _ARXIV_HOSTS:
        return _id_from_arxiv_path(path)
    if host in _MIRROR_HOSTS:
        segments = [s for s in path.split("/") if s]
        if len(segments) >= 2 and segments[0] == _MIRROR_HOSTS[host]:
            return segments[1]
    elif host in _DOI_HOSTS:
        doi = unquote(path).lstrip("/")
        if doi.lower().startswith(_ARXIV_DOI_PREFIX):
            return doi[len(_ARXIV_DOI_PREFIX) :]
    return None


def _parse_url(url: str, shown: str) -> ArxivId:
    split = _split_url(url)
    if split is None:
        raise InvalidInput(f"{shown} is not an arXiv id or link. Give one such as {EXAMPLE}.")
    with_scheme, host, path = split
    candidate = _arxiv_candidate(host, path)
    if candidate is None:
        if host in _ARXIV_HOSTS:
            raise InvalidInput(
                f"{shown} is an arXiv link but not to a paper; use a link such as "
                "https://arxiv.org/abs/2304.08485."
            )
        if _classify_other(with_scheme) is UrlKind.PAPER:
            raise InvalidInput(
                f"{shown} is a paper outside arXiv ({host}); only arXiv papers can be looked "
                f"up. Give an arXiv id or link such as {EXAMPLE}."
            )
        raise InvalidInput(
            f"{shown} is not an arXiv link. Give an arXiv id or link such as {EXAMPLE}."
        )
    parsed = _parse_bare(candidate, shown)
    if parsed is None:
        raise InvalidInput(
            f"{shown} does not contain a valid arXiv id; "
            "ids look like 2304.08485 or hep-th/9901001."
        )
    return parsed


def _unwrap(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = text.strip()
        if match := _MARKDOWN_LINK.fullmatch(text):
            text = match["url"]
        if len(text) >= 2 and text[0] == "<" and text[-1] == ">" and not text.startswith("<@"):
            text = text[1:-1]
        text = text.lstrip(_LEADING_JUNK).rstrip(_TRAILING_JUNK)
    return text


def _looks_like_url(text: str) -> bool:
    lowered = text.lower()
    return (
        "://" in lowered
        or lowered.startswith("www.")
        or bool(re.match(r"^[a-z0-9.-]+\.[a-z]{2,}/", lowered))
    )


def parse_arxiv_ref(text: str) -> ArxivId:
    """Parse one arXiv reference as a member pastes it.

    Accepts bare ids (new and old style, with or without version), ``arXiv:`` prefixes,
    arxiv.org/export.arxiv.org/ar5iv links to abs/pdf/html pages, the arXiv DOI
    ``10.48550/arXiv.<id>`` (bare or as a doi.org link), Hugging Face and alphaXiv paper
    pages, wrapped in whitespace, ``<...>``, a markdown link or trailing punctuation.
    Raises :class:`InvalidInput` with a message for the member otherwise.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    if not text.strip():
        raise InvalidInput(f"Give an arXiv id or link, for example {EXAMPLE}.")
    if len(text) > MAX_REF_LENGTH:
        raise InvalidInput(
            f"That is too long to be an arXiv id or link ({len(text)} characters); "
            f"paste just the id or link, for example {EXAMPLE}."
        )
    if match := _NEW_ID.fullmatch(text):  # a bare new-style id: nothing to unwrap
        return _parse_new_style(match, _show(text))
    shown = _show(text)
    cleaned = _unwrap(text)
    if not cleaned:
        raise InvalidInput(f"{shown} is not an arXiv id or link. Give one such as {EXAMPLE}.")

    candidate = _ARXIV_PREFIX.sub("", cleaned, count=1) if _ARXIV_PREFIX.match(cleaned) else cleaned
    if candidate.lower().startswith("doi:"):
        candidate = candidate[4:].strip()
    if candidate.lower().startswith(_ARXIV_DOI_PREFIX):
        candidate = candidate[len(_ARXIV_DOI_PREFIX) :]
    candidate = candidate.strip()
    parsed = _parse_bare(candidate, shown)
    if parsed is not None:
        return parsed
    if _looks_like_url(cleaned) and not any(ch.isspace() for ch in cleaned):
        return _parse_url(cleaned, shown)

    if re.fullmatch(r"\d{4}\.\d+(v\d+)?", candidate):
        raise InvalidInput(f"{shown} is not a valid arXiv id; ids look like 2304.08485.")
    if len(find_arxiv_refs(cleaned)) > 0:
        raise InvalidInput(
            f"{shown} has other text around the arXiv reference; paste just one id or link, "
            f"for example {EXAMPLE}."
        )
    raise InvalidInput(f"{shown} is not an arXiv id or link. Give one such as {EXAMPLE}.")


_URL_CHARS = r"[^\s<>()\[\]{}\"'`|]+"
_ARCHIVE_ALTERNATION = "|".join(sorted((re.escape(a) for a in OLD_STYLE_ARCHIVES), key=len)[::-1])
_REF_PATTERN = re.compile(
    rf"(?P<url>(?:https?://|www\.){_URL_CHARS}"
    rf"|\b(?:export\.)?arxiv\.org/{_URL_CHARS})"
    rf"|(?P<prefixed>\barxiv\s*:\s*{_URL_CHARS})"
    rf"|(?P<doi>\b10\.48550/arxiv\.{_URL_CHARS})"
    r"|(?P<new>(?<![\w./-])\d{4}\.\d{4,5}(?:v\d+)?(?![\w/-]|\.\d))"
    rf"|(?P<old>(?<![\w./-])(?:{_ARCHIVE_ALTERNATION})(?:\.[A-Za-z-]+)?/\d{{7}}(?:v\d+)?(?![\w/-]))",
    re.IGNORECASE,
)


def find_arxiv_refs(text: str) -> list[ArxivId]:
    """Every valid arXiv reference in free text or markdown, deduplicated, in order.

    Links to other sites are skipped as a whole (an id-shaped path on another host is not
    an arXiv reference); invalid ids are skipped silently.
    """
    found: dict[str, ArxivId] = {}
    for match in _REF_PATTERN.finditer(text):
        raw = match.group(0)
        try:
            ref = parse_arxiv_ref(raw) if len(raw) <= MAX_REF_LENGTH else None
        except InvalidInput:
            ref = None
        if ref is not None and ref.id not in found:
            found[ref.id] = ref
    return list(found.values())


_PAPER_HOST_PATHS: dict[str, tuple[str, ...]] = {
    "distill.pub": ("/20",),
    "aclanthology.org": ("/",),
    "proceedings.neurips.cc": ("/paper",),
    "papers.nips.cc": ("/paper",),
    "proceedings.mlr.press": ("/v",),
    "openaccess.thecvf.com": ("/content",),
    "ecva.net": ("/papers",),
    "jmlr.org": ("/papers",),
    "dl.acm.org": ("/doi",),
    "ieeexplore.ieee.org": ("/document", "/abstract"),
    "link.springer.com": ("/article", "/chapter", "/content"),
    "nature.com": ("/articles",),
    "science.org": ("/doi",),
    "biorxiv.org": ("/content",),
    "medrxiv.org": ("/content",),
    "semanticscholar.org": ("/paper",),
    "ojs.aaai.org": ("/index.php",),
    "ijcai.org": ("/proceedings",),
    "aclweb.org": ("/anthology",),
    "transformer-circuits.pub": ("/20",),
    "doi.org": ("/10.",),
    "dx.doi.org": ("/10.",),
}


def classify_url(url: str) -> UrlKind:
    """Whether a URL is an arXiv paper, a paper elsewhere, or not a paper at all."""
    cleaned = _unwrap(url)
    split = _split_url(cleaned) if cleaned else None
    if split is None:
        return UrlKind.OTHER
    with_scheme, host, path = split
    candidate = _arxiv_candidate(host, path)
    if candidate is not None:
        try:
            if _parse_bare(candidate, "") is not None:
                return UrlKind.ARXIV
        except InvalidInput:
            pass
    return _classify_other(with_scheme)


def _classify_other(url: str) -> UrlKind:
    parts = urlsplit(url)
    host, path = _host(parts.netloc), parts.path
    if host == "openreview.net":
        has_id = bool(parse_qs(parts.query).get("id"))
        return UrlKind.PAPER if has_id and path.rstrip("/") in {"/forum", "/pdf"} else UrlKind.OTHER
    if path.lower().endswith(".pdf"):
        return UrlKind.PAPER
    prefixes = _PAPER_HOST_PATHS.get(host)
    if prefixes is not None and any(
        path.startswith(prefix) and len(path) > len(prefix) for prefix in prefixes
    ):
        return UrlKind.PAPER
    return UrlKind.OTHER
