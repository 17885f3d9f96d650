"""A loopback fake of GitHub's REST API (and of raw file downloads) for publishing tests.

What it serves, as GitHub does (API version 2022-11-28, optionally under an Enterprise
style prefix such as ``/api/v3``):

- ``GET /repos/{o}/{r}``; contents ``GET``/``PUT`` with blob-sha semantics (a ``PUT`` to an
  existing file without ``sha`` → 422, with a stale one → 409);
- the git database: ``GET git/ref/heads/…``, ``GET git/commits/{sha}``, ``POST git/trees``,
  ``POST git/commits``, ``POST git/refs``, ``PATCH git/refs/heads/…`` (non-fast-forward →
  422 unless ``force``);
- branch protection: a protected branch refuses direct changes (classic protection: 422
  "Protected branch update failed", rulesets: 422 "Repository rule violations found"; the
  contents API answers 409 for either);
- pulls ``GET`` (``head``/``base``/``state`` filters), ``POST``, ``PATCH``; commits
  ``GET ?sha=&path=&per_page=``;
- ``GET /{o}/{r}/raw/{branch}/{path}``: what a calendar app subscribed to the file gets.

Authentication: ``Authorization: token …`` or ``Bearer …`` must carry ``fake.token``
(401 otherwise); ``fake.permissions`` are the token's fine-grained permissions (403 with
``X-Accepted-GitHub-Permissions`` when one is missing); repositories outside
``fake.visible`` answer 404. Every request body is validated against GitHub's description
(:mod:`.schema`); a bad body is answered 422 and recorded in ``fake.violations``.

Faults for the next matching requests: ``fail`` (any status, message, headers),
``rate_limit_primary`` (403, ``x-ratelimit-remaining: 0``), ``rate_limit_secondary`` (429
or 403 with ``retry-after``) and ``hang`` (held until released: a time-out on the client).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.harness.github.repo import FakePull, FakeRepo, blob_sha
from tests.harness.github.schema import BODY_MODELS, example, models, validate_body
from tests.harness.loopback import LoopbackServer

__all__ = ["FakeGitHub", "GitHubFault", "GitHubRequest"]

API_VERSIONS = ("2022-11-28",)
DOCS = "https://docs.github.com/rest"
ALL_PERMISSIONS = {"contents": "write", "pull_requests": "write", "metadata": "read"}
_LEVEL = {"read": 1, "write": 2}


@dataclass(frozen=True, slots=True)
class GitHubRequest:
    method: str
    path: str  # after the API prefix
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    status: int = 0


@dataclass
class GitHubFault:
    method: str
    pattern: re.Pattern[str]
    status: int = 500
    message: str = "Server Error"
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1
    hang: bool = False
    body: Any = None  # sent instead of GitHub's error body
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        return self.method in ("*", method) and self.pattern.fullmatch(path) is not None


class _Answer(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _error(http_status: int, message: str, **extra: Any) -> _Answer:
    return _Answer(http_status, {"message": message, "documentation_url": DOCS, **extra})


class FakeGitHub(LoopbackServer):
    def __init__(
        self, *, token: str = "ghp_fake0123456789abcdef0123456789abcd", prefix: str = ""
    ) -> None:
        super().__init__()
        self.token = token
        self.prefix = prefix.rstrip("/")
        self.permissions: dict[str, str] = dict(ALL_PERMISSIONS)
        self.visible: set[str] | None = None  # None: every repository
        self.repos: dict[str, FakeRepo] = {}
        self.requests: list[GitHubRequest] = []
        self.violations: list[str] = []
        self.faults: list[GitHubFault] = []
        self.rate_remaining = 5000
        self.in_flight = 0
        self._held: set[asyncio.Future[_Answer]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._pull_numbers = itertools.count(1)

    # -- set-up ---------------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._dispatch)

    @property
    def api_url(self) -> str:
        """What to set as GITHUB_API_URL."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    @property
    def html_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_repo(
        self,
        full_name: str,
        *,
        files: dict[str, bytes] | None = None,
        default_branch: str = "main",
        private: bool = False,
        empty: bool = False,
    ) -> FakeRepo:
        owner, _, name = full_name.partition("/")
        repo = FakeRepo(owner, name, default_branch, private, html_base=self.html_base)
        if not empty:
            repo.commit_files(default_branch, dict(files or {}), "Initial commit")
        self.repos[full_name.lower()] = repo
        return repo

    def repo(self, full_name: str) -> FakeRepo:
        return self.repos[full_name.lower()]

    # -- faults ---------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        times: int | None = 1,
        body: Any = None,
    ) -> GitHubFault:
        """Answer the next ``times`` matching requests (``path``: a regex on the path after
        the prefix) with ``status`` (and ``body`` instead of GitHub's error body)."""
        fault = GitHubFault(
            method.upper(),
            re.compile(path),
            status,
            message or {401: "Bad credentials", 404: "Not Found"}.get(status, "Server Error"),
            dict(headers or {}),
            times,
            body=body,
        )
        self.faults.append(fault)
        return fault

    def rate_limit_primary(
        self, method: str = "*", path: str = ".*", *, reset: datetime, times: int | None = 1
    ) -> GitHubFault:
        return self.fail(
            method,
            path,
            403,
            message="API rate limit exceeded for user ID 1.",
            headers={
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-used": "5000",
                "x-ratelimit-reset": str(int(reset.timestamp())),
                "x-ratelimit-resource": "core",
            },
            times=times,
        )

    def rate_limit_secondary(
        self, method: str = "*", path: str = ".*", *, retry_after: int = 60, status: int = 429
    ) -> GitHubFault:
        return self.fail(
            method,
            path,
            status,
            message="You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again.",
            headers={"retry-after": str(retry_after)},
        )

    def hang(self, method: str, path: str, *, times: int | None = 1) -> GitHubFault:
        fault = GitHubFault(method.upper(), re.compile(path), times=times, hang=True)
        self.faults.append(fault)
        return fault

    def requests_matching(self, method: str, path: str) -> list[GitHubRequest]:
        pattern = re.compile(path)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    @property
    def writes(self) -> list[GitHubRequest]:
        return [r for r in self.requests if r.method in ("POST", "PUT", "PATCH", "DELETE")]

    # -- dispatch -------------------------------------------------------------------------

    async def wait_idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Until no request is being handled (also one released after a hold whose client
        gave up: GitHub finishes such a request all the same)."""

        async def idle() -> None:
            while self.in_flight or self._held:
                await asyncio.gather(self._idle.wait(), *self._held, return_exceptions=True)

        await asyncio.wait_for(idle(), timeout)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self._idle.clear()
        try:
            return await self._handle(request)
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self._idle.set()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw_path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = "<not JSON>"
        headers = {k.lower(): v for k, v in request.headers.items()}
        path = raw_path[len(self.prefix) :] if raw_path.startswith(self.prefix + "/") else None
        if path is None or not path.startswith("/repos/"):
            response = self._raw(request.method, raw_path)
            self.requests.append(
                GitHubRequest(
                    request.method, raw_path, dict(request.query), headers, None, response.status
                )
            )
            return response
        record = GitHubRequest(request.method, path, dict(request.query), headers, body)
        fault = next((f for f in self.faults if f.matches(request.method, path)), None)
        if fault is not None:
            fault.hits += 1
        if fault is not None and fault.hang:
            # Held until released; then carried out even if the client has given up.
            task = asyncio.ensure_future(self._after_hold(record))
            self._held.add(task)
            task.add_done_callback(self._held.discard)
            answer = await asyncio.shield(task)
        elif fault is not None:
            reply = fault.body
            if reply is None:
                reply = {"message": fault.message, "documentation_url": DOCS}
            answer = _Answer(fault.status, reply, fault.headers)
            self._log(record, answer)
        else:
            answer = self._answer(record)
        self.rate_remaining = max(0, self.rate_remaining - 1)
        reply_headers = {
            "x-github-api-version-selected": API_VERSIONS[0],
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(self.rate_remaining),
            "x-ratelimit-reset": str(int(datetime.now(UTC).timestamp()) + 3600),
            **answer.headers,
        }
        if answer.status == 204:
            return web.Response(status=204, headers=reply_headers)
        return web.json_response(answer.body, status=answer.status, headers=reply_headers)

    async def _after_hold(self, record: GitHubRequest) -> _Answer:
        await self.hold()
        return self._answer(record)

    def _answer(self, record: GitHubRequest) -> _Answer:
        try:
            self._authenticate(record.headers)
            status, result = self._route(record.method, record.path, record)
            answer = _Answer(status, result)
        except _Answer as exc:
            answer = exc
        except Exception as exc:  # a bug in the fake: fail the test, not only this request
            self.violations.append(f"fake error in {record.method} {record.path}: {exc!r}")
            answer = _error(500, "Server Error")
        self._log(record, answer)
        return answer

    def _log(self, record: GitHubRequest, answer: _Answer) -> None:
        self.requests.append(
            GitHubRequest(
                record.method, record.path, record.query, record.headers, record.json, answer.status
            )
        )

    def _raw(self, method: str, raw_path: str) -> web.Response:
        """``/{owner}/{repo}/raw/{branch}/{path}`` on the web host (public repositories)."""
        match = re.fullmatch(r"/([^/]+)/([^/]+)/raw/(.+)", raw_path)
        repo = self.repos.get(f"{match.group(1)}/{match.group(2)}".lower()) if match else None
        if method != "GET" or match is None or repo is None or repo.private:
            return web.Response(status=404, text="Not Found")
        rest = match.group(3)
        for branch in sorted(repo.branches, key=len, reverse=True):
            if rest.startswith(branch + "/"):
                data = repo.file(rest[len(branch) + 1 :], branch)
                if data is not None:
                    return web.Response(body=data, content_type="text/plain")
        return web.Response(status=404, text="Not Found")

    def _authenticate(self, headers: dict[str, str]) -> None:
        if headers.get("x-github-api-version", API_VERSIONS[0]) not in API_VERSIONS:
            self.violations.append(f"unsupported API version {headers['x-github-api-version']}")
            raise _error(400, f"API version {headers['x-github-api-version']} is not supported.")
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("token", "bearer") or token != self.token:
            raise _error(401, "Bad credentials", status="401")

    def _need(self, permission: str, level: str) -> None:
        if _LEVEL.get(self.permissions.get(permission, ""), 0) < _LEVEL[level]:
            raise _Answer(
                403,
                {
                    "message": "Resource not accessible by personal access token",
                    "documentation_url": DOCS,
                    "status": "403",
                },
                {"x-accepted-github-permissions": f"{permission}={level}"},
            )

    def _check_body(self, method: str, name: str, body: Any) -> None:
        model = BODY_MODELS.get((method, name))
        if model is None:
            return
        problems = validate_body(model, body)
        if problems:
            self.violations.append(f"{method} {name}: {'; '.join(problems)}")
            raise _error(422, "Invalid request.\n\n" + "\n".join(problems), status="422")

    # -- routes ---------------------------------------------------------------------------

    _ROUTES: tuple[tuple[str, str, str], ...] = (
        ("GET", r"", "repo"),
        ("GET", r"/contents/(?P<path>.+)", "contents"),
        ("PUT", r"/contents/(?P<path>.+)", "contents"),
        ("GET", r"/git/ref/heads/(?P<branch>.+)", "ref"),
        ("PATCH", r"/git/refs/heads/(?P<branch>.+)", "ref"),
        ("POST", r"/git/refs", "refs"),
        ("GET", r"/git/commits/(?P<sha>[0-9a-f]{40})", "commit"),
        ("POST", r"/git/commits", "commits"),
        ("POST", r"/git/trees", "trees"),
        ("GET", r"/commits", "history"),
        ("GET", r"/pulls", "pulls"),
        ("POST", r"/pulls", "pulls"),
        ("PATCH", r"/pulls/(?P<number>\d+)", "pull"),
    )

    def _route(self, method: str, path: str, record: GitHubRequest) -> tuple[int, Any]:
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        if match is None:
            raise _error(404, "Not Found", status="404")
        full_name = f"{match.group(1)}/{match.group(2)}".lower()
        repo = self.repos.get(full_name)
        if repo is None or (self.visible is not None and full_name not in self.visible):
            raise _error(404, "Not Found", status="404")
        rest = match.group(3) or ""
        for route_method, pattern, name in self._ROUTES:
            found = re.fullmatch(pattern, rest)
            if found and route_method == method:
                self._check_body(method, name, record.json)
                handler = getattr(self, f"_{method.lower()}_{name}")
                return handler(repo, record, **found.groupdict())  # type: ignore[no-any-return]
        raise _error(404, "Not Found", status="404")

    # -- shapes ---------------------------------------------------------------------------

    def _api(self, repo: FakeRepo, tail: str = "") -> str:
        return f"{self.api_url}/repos/{repo.full_name}{tail}"

    def _user(self, login: str) -> dict[str, Any]:
        return example(models.SimpleUser, login=login, id=1, type="User")

    def _repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        return example(
            models.FullRepository,
            id=repo.id,
            name=repo.name,
            full_name=repo.full_name,
            owner=self._user(repo.owner),
            private=repo.private,
            html_url=repo.html_url,
            url=self._api(repo),
            default_branch=repo.default_branch,
            visibility="private" if repo.private else "public",
            permissions={
                "admin": False,
                "maintain": False,
                "push": True,
                "triage": True,
                "pull": True,
            },
        )

    def _ref_json(self, repo: FakeRepo, branch: str) -> dict[str, Any]:
        sha = repo.branches[branch]
        return example(
            models.GitRef,
            ref=f"refs/heads/{branch}",
            url=self._api(repo, f"/git/refs/heads/{branch}"),
            object={"type": "commit", "sha": sha, "url": self._api(repo, f"/git/commits/{sha}")},
        )

    def _commit_json(self, repo: FakeRepo, sha: str) -> dict[str, Any]:
        commit = repo.commits[sha]
        person = {
            "name": commit.author,
            "email": f"{commit.author}@users.noreply.github.com",
            "date": commit.date.isoformat(),
        }
        return example(
            models.GitCommit,
            sha=sha,
            url=self._api(repo, f"/git/commits/{sha}"),
            html_url=f"{repo.html_url}/commit/{sha}",
            author=person,
            committer=person,
            message=commit.message,
            tree={"sha": commit.tree, "url": self._api(repo, f"/git/trees/{commit.tree}")},
            parents=[
                {
                    "sha": p,
                    "url": self._api(repo, f"/git/commits/{p}"),
                    "html_url": f"{repo.html_url}/commit/{p}",
                }
                for p in commit.parents
            ],
            verification={
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        )

    def _content_json(self, repo: FakeRepo, path: str, blob: str) -> dict[str, Any]:
        data = repo.blobs[blob]
        return example(
            models.ContentFile,
            type="file",
            encoding="base64",
            size=len(data),
            name=path.rsplit("/", 1)[-1],
            path=path,
            content=base64.encodebytes(data).decode("ascii"),  # wrapped at 60, as GitHub does
            sha=blob,
            url=self._api(repo, f"/contents/{path}"),
            git_url=self._api(repo, f"/git/blobs/{blob}"),
            html_url=f"{repo.html_url}/blob/{repo.default_branch}/{path}",
            download_url=f"{repo.html_url}/raw/{repo.default_branch}/{path}",
            _links={"git": None, "html": None, "self": self._api(repo, f"/contents/{path}")},
        )

    def _pull_json(self, repo: FakeRepo, pull: FakePull, model: Any = None) -> dict[str, Any]:
        def end(branch: str) -> dict[str, Any]:
            return example(
                models.PullRequestPropHead,
                label=f"{repo.owner}:{branch}",
                ref=branch,
                sha=repo.branches.get(branch, "0" * 40),
                user=self._user(repo.owner),
                repo=self._repo_json(repo),
            )

        return example(
            model or models.PullRequest,
            id=pull.number,
            number=pull.number,
            state=pull.state,
            title=pull.title,
            body=pull.body,
            html_url=f"{repo.html_url}/pull/{pull.number}",
            url=self._api(repo, f"/pulls/{pull.number}"),
            head=end(pull.head),
            base=end(pull.base),
            user=self._user("reading-group-bot"),
            merged=pull.merged,
        )

    # -- handlers -------------------------------------------------------------------------

    def _get_repo(self, repo: FakeRepo, record: GitHubRequest) -> tuple[int, Any]:
        self._need("metadata", "read")
        return 200, self._repo_json(repo)

    def _get_contents(self, repo: FakeRepo, record: GitHubRequest, path: str) -> tuple[int, Any]:
        self._need("contents", "read")
        sha = repo.resolve(record.query.get("ref"))
        if sha is None:
            raise _error(
                404, f"No commit found for the ref {record.query.get('ref')}", status="404"
            )
        files = repo.files_at(sha)
        if path in files:
            return 200, self._content_json(repo, path, files[path])
        if any(name.startswith(path + "/") for name in files):
            return 200, [
                example(
                    models.ContentDirectoryItems,
                    type="file",
                    name=n.rsplit("/", 1)[-1],
                    path=n,
                    sha=b,
                    size=len(repo.blobs[b]),
                    _links={"git": None, "html": None, "self": "x"},
                )
                for n, b in sorted(files.items())
                if n.startswith(path + "/") and "/" not in n[len(path) + 1 :]
            ]
        raise _error(404, "Not Found", status="404")

    def _put_contents(self, repo: FakeRepo, record: GitHubRequest, path: str) -> tuple[int, Any]:
        self._need("contents", "write")
        body = record.json
        branch = body.get("branch") or repo.default_branch
        head = repo.branches.get(branch)
        if head is None:
            raise _error(404, f"Branch {branch} not found", status="404")
        current = repo.files_at(head).get(path)
        if current is not None and body.get("sha") is None:
            raise _error(422, 'Invalid request.\n\n"sha" wasn\'t supplied.', status="422")
        if current is not None and body.get("sha") != current:
            raise _error(409, f"{path} does not match {body.get('sha')}", status="409")
        self._refuse_protected(repo, branch, contents_api=True)
        try:
            data = base64.b64decode(body["content"], validate=True)
        except ValueError:
            raise _error(422, "content is not valid Base64", status="422") from None
        commit = repo.commit_files(branch, {path: data}, body["message"], "reading-group-bot")
        status = 200 if current is not None else 201
        return status, example(
            models.FileCommit,
            content=self._content_json(repo, path, blob_sha(data)),
            commit=self._commit_json(repo, commit.sha),
        )

    def _refuse_protected(self, repo: FakeRepo, branch: str, *, contents_api: bool) -> None:
        how = repo.protected.get(branch)
        if how is None:
            return
        if how == "ruleset":
            raise _error(
                409 if contents_api else 422,
                "Repository rule violations found\n\nChanges must be made through a pull request.\n\n",
                status="409" if contents_api else "422",
            )
        if contents_api:
            raise _error(409, "Changes must be made through a pull request.", status="409")
        raise _error(422, f"Protected branch update failed for refs/heads/{branch}.", status="422")

    def _get_ref(self, repo: FakeRepo, record: GitHubRequest, branch: str) -> tuple[int, Any]:
        self._need("contents", "read")
        if not repo.branches:
            raise _error(409, "Git Repository is empty.", status="409")
        if branch not in repo.branches:
            raise _error(404, "Not Found", status="404")
        return 200, self._ref_json(repo, branch)

    def _patch_ref(self, repo: FakeRepo, record: GitHubRequest, branch: str) -> tuple[int, Any]:
        self._need("contents", "write")
        sha, force = record.json["sha"], bool(record.json.get("force"))
        if branch not in repo.branches:
            raise _error(422, "Reference does not exist", status="422")
        if sha not in repo.commits:
            raise _error(422, "Object does not exist", status="422")
        self._refuse_protected(repo, branch, contents_api=False)
        if not force and not repo.is_ancestor(repo.branches[branch], sha):
            raise _error(422, "Update is not a fast forward", status="422")
        repo.branches[branch] = sha
        return 200, self._ref_json(repo, branch)

    def _post_refs(self, repo: FakeRepo, record: GitHubRequest) -> tuple[int, Any]:
        self._need("contents", "write")
        ref, sha = record.json["ref"], record.json["sha"]
        if not ref.startswith("refs/heads/") or ref.count("/") < 2:
            raise _error(422, f"{ref} is not a valid ref name.", status="422")
        branch = ref.removeprefix("refs/heads/")
        if branch in repo.branches:
            raise _error(422, "Reference already exists", status="422")
        if sha not in repo.commits:
            raise _error(422, "Object does not exist", status="422")
        repo.branches[branch] = sha
        return 201, self._ref_json(repo, branch)

    def _get_commit(self, repo: FakeRepo, record: GitHubRequest, sha: str) -> tuple[int, Any]:
        self._need("contents", "read")
        if sha not in repo.commits:
            raise _error(404, "Not Found", status="404")
        return 200, self._commit_json(repo, sha)

    def _post_trees(self, repo: FakeRepo, record: GitHubRequest) -> tuple[int, Any]:
        self._need("contents", "write")
        body = record.json
        base = body.get("base_tree")
        if base is not None and base not in repo.trees:
            raise _error(422, "Invalid tree info", status="422")
        entries = dict(repo.trees[base]) if base else {}
        for item in body["tree"]:
            if item.get("type") != "blob" or not item.get("path"):
                raise _error(422, "Invalid tree info", status="422")
            if item.get("content") is not None:
                entries[item["path"]] = repo.add_blob(item["content"].encode("utf-8"))
            elif item.get("sha") is None:
                entries.pop(item["path"], None)
            elif item["sha"] in repo.blobs:
                entries[item["path"]] = item["sha"]
            else:
                raise _error(422, "Invalid tree info", status="422")
        sha = repo.add_tree(entries)
        return 201, example(
            models.GitTree,
            sha=sha,
            url=self._api(repo, f"/git/trees/{sha}"),
            truncated=False,
            tree=[
                {
                    "path": p,
                    "mode": "100644",
                    "type": "blob",
                    "sha": b,
                    "size": len(repo.blobs[b]),
                    "url": self._api(repo, f"/git/blobs/{b}"),
                }
                for p, b in sorted(entries.items())
            ],
        )

    def _post_commits(self, repo: FakeRepo, record: GitHubRequest) -> tuple[int, Any]:
        self._need("contents", "write")
        body = record.json
        if body["tree"] not in repo.trees:
            raise _error(422, "Tree SHA does not exist", status="422")
        parents = body.get("parents") or []
        if any(p not in repo.commits for p in parents):
            raise _error(422, "Parent SHA does not exist or is not a commit object", status="422")
        commit = repo.add_commit(body["tree"], parents, body["message"], "reading-group-bot")
        return 201, self._commit_json(repo, commit.sha)

    def _get_history(self, repo: FakeRepo, record: GitHubRequest) -> tuple[int, Any]:
        self._need("contents", "read")
        sha = repo.resolve(record.query.get("sha"))
        if sha is None:
            raise _error(404, "Not Found", status="404")
        path = record.query.get("path")
        commits = []
        for commit in repo.history(sha):
            if path:
                before = [repo.files_at(p).get(path) for p in commit.parents] or [None]
                if repo.files_at(commit.sha).get(path) in before:
                    continue
            commits.append(commit)
        limit = int(record.query.get("per_page", "30"))
        return 200, [
            example(
                models.Commit,
                sha=c.sha,
                url=self._api(repo, f"/commits/{c.sha}"),
                html_url=f"{repo.html_url}/commit/{c.sha}",
                commit=example(
                    models.CommitPropCommit,
                    message=c.message,
                    author={
                        "name": c.author,
                        "email": f"{c.author}@users.noreply.github.com",
                        "date": c.date.isoformat(),
                    },
                    committer=None,
                    tree={"sha": c.tree, "url": self._api(repo, f"/git/trees/{c.tree}")},
                ),
                author=None,
                committer=None,
                parents=[{"sha": p, "url": self._api(repo, f"/commits/{p}")} for p in c.parents],
            )
            for c in commits[:limit]
        ]

    def _get_pulls(self, repo: FakeRepo, record: GitHubRequest) -> tuple[int, Any]:
        self._need("pull_requests", "read")
        state = record.query.get("state", "open")
        head = record.query.get("head")
        base = record.query.get("base")
        found = [
            p
            for p in repo.pulls
            if (state == "all" or p.state == state)
            and (head is None or f"{repo.owner}:{p.head}".lower() == head.lower())
            and (base is None or p.base == base)
        ]
        return 200, [self._pull_json(repo, p, models.PullRequestSimple) for p in found]

    def _post_pulls(self, repo: FakeRepo, record: GitHubRequest) -> tuple[int, Any]:
        self._need("pull_requests", "write")
        body = record.json
        head = body["head"].split(":", 1)[-1]
        base = body["base"]
        if head not in repo.branches or base not in repo.branches:
            raise _error(
                422,
                "Validation Failed",
                errors=[
                    {
                        "resource": "PullRequest",
                        "field": "head" if head not in repo.branches else "base",
                        "code": "invalid",
                    }
                ],
                status="422",
            )
        if any(p.head == head and p.base == base for p in repo.open_pulls()):
            raise _error(
                422,
                "Validation Failed",
                errors=[
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"A pull request already exists for {repo.owner}:{head}.",
                    }
                ],
                status="422",
            )
        if repo.is_ancestor(repo.branches[head], repo.branches[base]):
            raise _error(
                422,
                "Validation Failed",
                errors=[
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"No commits between {base} and {head}",
                    }
                ],
                status="422",
            )
        pull = FakePull(
            next(self._pull_numbers), head, base, body.get("title") or head, body.get("body")
        )
        repo.pulls.append(pull)
        return 201, self._pull_json(repo, pull)

    def _patch_pull(self, repo: FakeRepo, record: GitHubRequest, number: str) -> tuple[int, Any]:
        self._need("pull_requests", "write")
        pull = next((p for p in repo.pulls if p.number == int(number)), None)
        if pull is None:
            raise _error(404, "Not Found", status="404")
        body = record.json
        pull.title = body.get("title", pull.title)
        pull.body = body.get("body", pull.body)
        pull.state = body.get("state", pull.state)
        return 200, self._pull_json(repo, pull)
