"""A loopback fake of GitHub's REST API; see :mod:`tests.harness.github.server`."""

from tests.harness.github.repo import FakeCommit, FakePull, FakeRepo, blob_sha
from tests.harness.github.server import FakeGitHub, GitHubFault, GitHubRequest

__all__ = [
    "FakeCommit",
    "FakeGitHub",
    "FakePull",
    "FakeRepo",
    "GitHubFault",
    "GitHubRequest",
    "blob_sha",
]
