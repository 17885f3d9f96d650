"""The state of a fake GitHub repository: blobs, trees, commits, branches, pull requests.

Blob shas are git's (``sha1("blob <size>\\0" + data)``), so a client computing them gets the
same answer as from GitHub. Trees are flat maps of path → blob sha (enough for files in
folders); tree and commit shas are deterministic hashes of their content.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

Protection = Literal["classic", "ruleset"]

_counter = itertools.count(1)


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _sha(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


@dataclass
class FakeCommit:
    sha: str
    tree: str
    parents: list[str]
    message: str
    author: str
    date: datetime


@dataclass
class FakePull:
    number: int
    head: str  # branch in the same repository
    base: str
    title: str
    body: str | None
    state: str = "open"
    merged: bool = False


@dataclass
class FakeRepo:
    owner: str
    name: str
    default_branch: str = "main"
    private: bool = False
    html_base: str = "http://github.invalid"
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)
    commits: dict[str, FakeCommit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    protected: dict[str, Protection] = field(default_factory=dict)
    pulls: list[FakePull] = field(default_factory=list)
    id: int = field(default_factory=lambda: next(_counter))

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def html_url(self) -> str:
        return f"{self.html_base}/{self.full_name}"

    # -- objects ----------------------------------------------------------------------

    def add_blob(self, data: bytes) -> str:
        sha = blob_sha(data)
        self.blobs[sha] = data
        return sha

    def add_tree(self, entries: dict[str, str]) -> str:
        sha = _sha("tree", *(f"{path}:{blob}" for path, blob in sorted(entries.items())))
        self.trees[sha] = dict(entries)
        return sha

    def add_commit(
        self, tree: str, parents: list[str], message: str, author: str = "octocat"
    ) -> FakeCommit:
        sha = _sha("commit", tree, *parents, message, author, str(len(self.commits)))
        commit = FakeCommit(sha, tree, list(parents), message, author, datetime.now(UTC))
        self.commits[sha] = commit
        return commit

    def resolve(self, ref: str | None) -> str | None:
        """A branch name or commit sha → commit sha (None: unknown)."""
        ref = ref or self.default_branch
        if ref in self.branches:
            return self.branches[ref]
        return ref if ref in self.commits else None

    def files_at(self, commit_sha: str) -> dict[str, str]:
        return self.trees[self.commits[commit_sha].tree]

    def is_ancestor(self, ancestor: str, commit_sha: str) -> bool:
        seen: set[str] = set()
        todo = [commit_sha]
        while todo:
            current = todo.pop()
            if current == ancestor:
                return True
            if current in seen or current not in self.commits:
                continue
            seen.add(current)
            todo.extend(self.commits[current].parents)
        return False

    def history(self, commit_sha: str) -> list[FakeCommit]:
        """Commits reachable from ``commit_sha``, newest first (first parents, then others)."""
        out: list[FakeCommit] = []
        seen: set[str] = set()
        todo = [commit_sha]
        while todo:
            current = todo.pop(0)
            if current in seen or current not in self.commits:
                continue
            seen.add(current)
            commit = self.commits[current]
            out.append(commit)
            todo.extend(commit.parents)
        return sorted(out, key=lambda c: c.date, reverse=True)

    # -- what tests do directly (someone working on GitHub) ---------------------------

    def commit_files(
        self,
        branch: str,
        files: dict[str, bytes | None],
        message: str = "Edit on GitHub",
        author: str = "octocat",
    ) -> FakeCommit:
        """Commit ``files`` (None deletes) on ``branch``, creating it if needed."""
        parent = self.branches.get(branch)
        entries = dict(self.files_at(parent)) if parent else {}
        for path, data in files.items():
            if data is None:
                entries.pop(path, None)
            else:
                entries[path] = self.add_blob(data)
        commit = self.add_commit(
            self.add_tree(entries), [parent] if parent else [], message, author
        )
        self.branches[branch] = commit.sha
        return commit

    def file(self, path: str, ref: str | None = None) -> bytes | None:
        sha = self.resolve(ref)
        if sha is None:
            return None
        blob = self.files_at(sha).get(path)
        return None if blob is None else self.blobs[blob]

    def log(self, ref: str | None = None) -> list[FakeCommit]:
        sha = self.resolve(ref)
        return [] if sha is None else self.history(sha)

    def protect(self, branch: str, how: Protection = "classic") -> None:
        self.protected[branch] = how

    def open_pulls(self) -> list[FakePull]:
        return [p for p in self.pulls if p.state == "open"]

    def merge(self, number: int) -> FakeCommit:
        """Merge a pull request (a merge commit on its base, as the green button does)."""
        pull = next(p for p in self.pulls if p.number == number)
        base, head = self.branches[pull.base], self.branches[pull.head]
        files = dict(self.files_at(base))
        files.update(self.files_at(head))
        commit = self.add_commit(
            self.add_tree(files), [base, head], f"Merge pull request #{number}", "maintainer"
        )
        self.branches[pull.base] = commit.sha
        pull.state, pull.merged = "closed", True
        return commit
