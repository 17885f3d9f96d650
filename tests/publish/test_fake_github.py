"""The loopback GitHub answers as GitHub does: sha semantics, protection, auth, shapes."""

from __future__ import annotations

import base64

import httpx
import pytest
from githubkit import GitHub
from githubkit.exception import RequestFailed

from tests.harness.github import FakeGitHub, blob_sha
from tests.harness.github.schema import example, models

_KEEP: list[GitHub] = []  # type: ignore[type-arg]  # namespaces hold only a weak reference


def _rest(fake: FakeGitHub, token: str | None = None):  # type: ignore[no-untyped-def]
    github = GitHub(
        token or fake.token, base_url=fake.api_url + "/", http_cache=False, auto_retry=False
    )
    _KEEP.append(github)
    return github.rest("2022-11-28")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_contents_put_has_blob_sha_semantics(fake_github: FakeGitHub) -> None:
    repo = fake_github.add_repo("lab/rg", files={"README.md": b"# Lab\n"})
    rest = _rest(fake_github).repos
    got = await rest.async_get_content("lab", "rg", "README.md")
    assert got.parsed_data.sha == blob_sha(b"# Lab\n")  # type: ignore[union-attr]

    with pytest.raises(RequestFailed) as missing_sha:
        await rest.async_create_or_update_file_contents(
            "lab", "rg", "README.md", message="m", content=_b64(b"x")
        )
    assert missing_sha.value.response.status_code == 422
    assert '"sha" wasn\'t supplied' in missing_sha.value.response.json()["message"]

    with pytest.raises(RequestFailed) as stale:
        await rest.async_create_or_update_file_contents(
            "lab", "rg", "README.md", message="m", content=_b64(b"x"), sha=blob_sha(b"old")
        )
    assert stale.value.response.status_code == 409
    assert stale.value.response.json()["message"] == f"README.md does not match {blob_sha(b'old')}"

    done = await rest.async_create_or_update_file_contents(
        "lab", "rg", "README.md", message="edit", content=_b64(b"new\n"), sha=blob_sha(b"# Lab\n")
    )
    assert done.parsed_data.content.sha == blob_sha(b"new\n")  # type: ignore[union-attr]
    assert repo.file("README.md") == b"new\n"
    created = await rest.async_create_or_update_file_contents(
        "lab", "rg", "docs/x.md", message="add", content=_b64(b"x")
    )
    assert created.status_code == 201

    repo.protect("main", "ruleset")
    with pytest.raises(RequestFailed) as protected:
        await rest.async_create_or_update_file_contents(
            "lab", "rg", "README.md", message="m", content=_b64(b"y"), sha=blob_sha(b"new\n")
        )
    assert protected.value.response.status_code == 409
    assert protected.value.response.json()["message"].startswith("Repository rule violations found")
    assert repo.file("README.md") == b"new\n"


async def test_refs_move_only_forward_unless_forced(fake_github: FakeGitHub) -> None:
    repo = fake_github.add_repo("lab/rg", files={"a": b"1"})
    first = repo.branches["main"]
    second = repo.commit_files("main", {"a": b"2"}).sha
    git = _rest(fake_github).git
    with pytest.raises(RequestFailed) as backwards:
        await git.async_update_ref("lab", "rg", "heads/main", sha=first, force=False)
    assert backwards.value.response.json()["message"] == "Update is not a fast forward"
    await git.async_update_ref("lab", "rg", "heads/main", sha=first, force=True)
    assert repo.branches["main"] == first != second
    with pytest.raises(RequestFailed) as exists:
        await git.async_create_ref("lab", "rg", ref="refs/heads/main", sha=second)
    assert exists.value.response.json()["message"] == "Reference already exists"


async def test_auth_permissions_and_visibility(fake_github: FakeGitHub) -> None:
    fake_github.add_repo("lab/rg", files={"a": b"1"})
    fake_github.add_repo("lab/secret", files={"a": b"1"}, private=True)
    with pytest.raises(RequestFailed) as bad:
        await _rest(fake_github, "ghp_wrong").repos.async_get("lab", "rg")
    assert bad.value.response.status_code == 401
    fake_github.permissions["contents"] = "read"
    with pytest.raises(RequestFailed) as forbidden:
        await _rest(fake_github).git.async_create_ref("lab", "rg", ref="refs/heads/x", sha="0" * 40)
    assert forbidden.value.response.status_code == 403
    assert forbidden.value.response.headers["x-accepted-github-permissions"] == "contents=write"
    fake_github.visible = {"lab/rg"}
    with pytest.raises(RequestFailed) as hidden:
        await _rest(fake_github).repos.async_get("lab", "secret")
    assert hidden.value.response.status_code == 404


async def test_bodies_are_checked_against_githubs_description(fake_github: FakeGitHub) -> None:
    fake_github.add_repo("lab/rg", files={"a": b"1"})
    async with httpx.AsyncClient(base_url=fake_github.api_url) as http:
        answer = await http.post(
            "/repos/lab/rg/git/trees",
            json={
                "tree": [
                    {"path": "a", "mode": "100644", "type": "blob", "content": "x", "colour": "red"}
                ]
            },
            headers={"Authorization": f"token {fake_github.token}"},
        )
    assert answer.status_code == 422
    assert fake_github.violations == ["POST trees: tree[0].colour: not in GitHub's description"]
    fake_github.violations.clear()  # expected here


def test_responses_have_githubs_full_shape() -> None:
    for model in (
        models.FullRepository,
        models.GitCommit,
        models.ContentFile,
        models.PullRequest,
        models.Commit,
    ):
        model.model_validate(example(model))


async def test_raw_downloads_of_public_files(fake_github: FakeGitHub) -> None:
    fake_github.add_repo("lab/rg", files={"docs/schedule.ics": b"BEGIN:VCALENDAR"})
    fake_github.add_repo("lab/secret", files={"schedule.ics": b"x"}, private=True)
    async with httpx.AsyncClient(base_url=fake_github.html_base) as http:
        assert (await http.get("/lab/rg/raw/main/docs/schedule.ics")).content == b"BEGIN:VCALENDAR"
        assert (await http.get("/lab/secret/raw/main/schedule.ics")).status_code == 404
