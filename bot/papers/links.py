"""Find code and demo links in a paper's abstract and arXiv comment.

The names follow the reading group's README: ``[GitHub](…) [Project Page](…)`` in the Code
column and ``[Demo](…)``, ``[Colab](…)``, ``[HuggingFace](…)`` in the Demo column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

from bot.papers.arxiv_ids import UrlKind, classify_url

__all__ = ["Link", "Links", "extract_links"]


class Link(NamedTuple):
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Links:
    """Code links (repositories, model/dataset pages, project pages) and demo links."""

    code: tuple[Link, ...] = ()
    demo: tuple[Link, ...] = ()

    @property
    def all(self) -> tuple[Link, ...]:
        return self.code + self.demo

    def __bool__(self) -> bool:
        return bool(self.code or self.demo)


_URL_BODY = r"[^\s<>\"'`|\[\]{}]+"
_URL = re.compile(
    rf"(?:https?://|www\.){_URL_BODY}"
    r"|\b(?:github\.com|gitlab\.com|bitbucket\.org|huggingface\.co|hf\.co"
    rf"|colab\.research\.google\.com)/{_URL_BODY}"
    rf"|\b[\w-]+\.github\.io\b{_URL_BODY}?",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"*_"
_PAIRS = {")": "(", "]": "[", "}": "{"}
_DEMO_WORDS = re.compile(r"\b(?:demos?|playground|try it)\b", re.IGNORECASE)
_GITHUB_RESERVED = frozenset(
    {
        "about",
        "collections",
        "enterprise",
        "explore",
        "features",
        "login",
        "marketplace",
        "orgs",
        "pricing",
        "settings",
        "sponsors",
        "topics",
        "trending",
    }
)
_HF_SKIP = frozenset({"papers", "blog", "learn", "login", "join", "pricing", "posts"})
_IGNORED_HOSTS = frozenset(
    {
        "creativecommons.org",
        "twitter.com",
        "x.com",
        "linkedin.com",
        "orcid.org",
        "youtube.com",
        "youtu.be",
        "vimeo.com",
        "facebook.com",
        "google.com",
        "scholar.google.com",
        "wikipedia.org",
    }
)


def _unbalanced_close(url: str) -> bool:
    last = url[-1]
    return last in _PAIRS and url.count(last) > url.count(_PAIRS[last])


def _clean(raw: str) -> str:
    url = raw
    while url and (url[-1] in _TRAILING or _unbalanced_close(url)):
        url = url[:-1]
    if not url.lower().startswith(("http://", "https://")):
        url = f"https://{url}"
    return url


def _host_and_segments(url: str) -> tuple[str, list[str]]:
    parts = urlsplit(url)
    host = parts.netloc.lower().split("@")[-1].split(":")[0].removeprefix("www.")
    return host, [segment for segment in parts.path.split("/") if segment]


def _classify(url: str, context: str) -> tuple[str, Link] | None:
    """("code" | "demo", link) for a cleaned URL, or None when it is neither."""
    host, segments = _host_and_segments(url)
    if not host or "." not in host:
        return None
    if host in {"github.com", "gist.github.com"}:
        if not segments or segments[0].lower() in _GITHUB_RESERVED:
            return None
        return "code", Link("GitHub", url.removesuffix(".git"))
    if host.endswith(".github.io"):
        return "code", Link("Project Page", url)
    if host == "gitlab.com":
        return ("code", Link("GitLab", url.removesuffix(".git"))) if len(segments) >= 2 else None
    if host == "bitbucket.org":
        return ("code", Link("Bitbucket", url)) if len(segments) >= 2 else None
    if host in {"huggingface.co", "hf.co"}:
        if not segments or segments[0].lower() in _HF_SKIP:
            return None
        if segments[0].lower() == "spaces":
            return ("demo", Link("HuggingFace", url)) if len(segments) >= 3 else None
        return "code", Link("HuggingFace", url)
    if host.endswith(".hf.space"):
        return "demo", Link("HuggingFace", url)
    if host == "colab.research.google.com":
        return "demo", Link("Colab", url)
    ignored = any(host == h or host.endswith(f".{h}") for h in _IGNORED_HOSTS)
    if ignored or classify_url(url) is not UrlKind.OTHER:
        return None
    if _DEMO_WORDS.search(context) or host.startswith("demo.") or "gradio" in host:
        return "demo", Link("Demo", url)
    return "code", Link("Project Page", url)


def _dedupe_key(url: str) -> str:
    key = url.lower().split("://", 1)[-1].removeprefix("www.")
    return key.split("#", 1)[0].rstrip("/")


def _context_before(text: str, start: int) -> str:
    """The words leading up to a URL within its sentence (what the link is said to be)."""
    window = text[max(0, start - 80) : start]
    for boundary in (". ", "; ", "\n"):
        if boundary in window:
            window = window.rsplit(boundary, 1)[-1]
    return window


def extract_links(*texts: str | None) -> Links:
    """Code and demo links found in the given texts (abstract, comment…), in order."""
    code: list[Link] = []
    demo: list[Link] = []
    seen: set[str] = set()
    for text in texts:
        if not text:
            continue
        for match in _URL.finditer(text):
            url = _clean(match.group(0))
            key = _dedupe_key(url)
            if key in seen:
                continue
            found = _classify(url, _context_before(text, match.start()))
            if found is None:
                continue
            seen.add(key)
            kind, link = found
            (code if kind == "code" else demo).append(link)
    return Links(code=tuple(code), demo=tuple(demo))
