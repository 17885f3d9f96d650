"""A paper's identity: the one place that says when two references name the same paper.

Every paper of a server has a key (``Paper.ref_key``), unique within the server:

- ``arxiv:<id>`` for an arXiv paper, whatever form the reference takes (an id with or
  without version, ``arXiv:`` prefixes, abs/pdf/html links, ``abs/….pdf``, the arXiv DOI,
  Hugging Face and alphaXiv paper pages);
- ``url:<canonical URL>`` for a paper elsewhere (OpenReview, ACL Anthology, proceedings,
  PDFs…): the URL with its host in lower case and without fragment. The same page with
  ``http`` or ``https``, with or without ``www.`` and with or without a trailing slash is the
  same paper (:func:`equivalent_keys`);
- ``title:<normalised title>`` for a paper a file names without any link.

``/paper propose``, ``/session add`` and the markdown import all key papers through this
module, so they can never store the same paper twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.errors import InvalidInput
from bot.papers.arxiv_ids import ArxivId, UrlKind, classify_url, parse_arxiv_ref

__all__ = [
    "ARXIV_PREFIX",
    "MAX_KEY",
    "TITLE_PREFIX",
    "URL_PREFIX",
    "Identity",
    "canonical_url",
    "equivalent_keys",
    "is_stand_in_title",
    "normalise_title",
    "of_arxiv",
    "of_title",
    "of_url",
    "same_title",
    "title_from_url",
]

ARXIV_PREFIX = "arxiv:"
URL_PREFIX = "url:"
TITLE_PREFIX = "title:"
MAX_KEY = 600  # the width of Paper.ref_key
MAX_URL = 2000  # the width of Paper.url

_ARXIV_ABS = re.compile(
    r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5}(?:v\d+)?)(?:\.pdf)?/?$"
)


_DIGEST_TAIL = re.compile(r"#[0-9a-f]{40}$")


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a reference names: its key, and what the reference says about it."""

    key: str
    arxiv: ArxivId | None = None
    url: str | None = None  # the link as given (arXiv) or canonical (elsewhere)

    @property
    def is_arxiv(self) -> bool:
        return self.arxiv is not None


def canonical_url(url: str) -> str:
    """The URL as a paper's identity: host in lower case, no fragment."""
    url = url.strip()
    if url.lower().startswith("www."):
        url = "https://" + url
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.lower(), fragment="").geturl()


def _bounded(key: str) -> str:
    """Keys longer than the column keep their start and a digest of the whole."""
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()
    return f"{key[: MAX_KEY - 42]}#{digest}"


def of_arxiv(ref: ArxivId, url: str | None = None) -> Identity:
    return Identity(ARXIV_PREFIX + ref.id, ref, url)


def arxiv_ref_of_url(url: str) -> ArxivId | None:
    """The arXiv id a link points to (any form), or None for a link elsewhere."""
    simple = _ARXIV_ABS.match(url)
    if simple is None and classify_url(url) is not UrlKind.ARXIV:
        return None
    try:
        return parse_arxiv_ref(simple[1] if simple else url)
    except InvalidInput:
        return None


def of_url(url: str) -> Identity | None:
    """The paper a link points to: arXiv by its id, anything else by its canonical URL.
    None for a link too long to be stored."""
    if len(url) > MAX_URL:
        return None
    ref = arxiv_ref_of_url(url)
    if ref is not None:
        return of_arxiv(ref, url)
    canonical = canonical_url(url)
    return Identity(_bounded(URL_PREFIX + canonical), None, canonical)


def title_from_url(url: str) -> str:
    """The name a paper known only by its link gets ("distill.pub/multimodal-neurons")."""
    parts = urlsplit(url)
    tail = [p for p in parts.path.split("/") if p]
    name = tail[-1] if tail else parts.netloc
    return f"{parts.netloc}{'/' + name if tail else ''}"


def is_stand_in_title(title: str | None, url: str | None) -> bool:
    """A stored title that says nothing of its own: empty, the URL, or made from it."""
    if not title or not title.strip():
        return True
    return bool(url) and title.strip() in (url, title_from_url(url or ""))


def normalise_title(title: str) -> str:
    """A title reduced to its words, in lower case: how two titles are compared."""
    return " ".join(re.findall(r"\w+", title.casefold()))


def same_title(first: str | None, second: str | None) -> bool:
    return bool(first and second) and normalise_title(first or "") == normalise_title(second or "")


def of_title(title: str) -> Identity:
    """A paper named only by its title (no link)."""
    return Identity(_bounded(TITLE_PREFIX + (normalise_title(title) or title.strip().casefold())))


def _variants(url: str) -> list[str]:
    parts = urlsplit(url)
    hosts = {parts.netloc}
    if parts.netloc.startswith("www."):
        hosts.add(parts.netloc[4:])
    elif parts.netloc:
        hosts.add("www." + parts.netloc)
    paths = {parts.path, parts.path[:-1] if parts.path.endswith("/") else parts.path + "/"}
    schemes = {parts.scheme, "https" if parts.scheme == "http" else "http"}
    out = [url]
    for scheme in sorted(schemes):
        for host in sorted(hosts):
            for path in sorted(paths):
                variant = parts._replace(scheme=scheme, netloc=host, path=path).geturl()
                if variant not in out:
                    out.append(variant)
    return out


def equivalent_keys(key: str) -> list[str]:
    """``key`` first, then the keys the same paper may be stored under (a URL with the other
    scheme, with or without ``www.`` or a trailing slash)."""
    if not key.startswith(URL_PREFIX) or _DIGEST_TAIL.search(key):
        return [key]
    url = key[len(URL_PREFIX) :]
    if not url.lower().startswith(("http://", "https://")):
        return [key]
    return [URL_PREFIX + variant for variant in _variants(url) if len(variant) <= MAX_KEY - 4]
