"""Publishing to GitHub: what a publish costs, and what the automatic check costs when
nothing changed, against the loopback GitHub (tests/harness/github) on SQLite.

For the group's README (35 sessions, from ../shared) and a generated 1,000-session schedule:

- render: the markdown export and the calendar, no GitHub (the baseline of this run);
- publish cold: the first full publish in the process (githubkit's models validated for the
  first time), then publish warm: the median of later ones (each with one session changed);
- unchanged check: an automatic run whose rendered files did not change (render + compare,
  no GitHub request).

Goals: the unchanged check asks GitHub nothing and costs about one render (≤ 2× render); a
warm publish adds nine API requests (two reads of the branch, the repository, two files, a
tree, a commit, the branch update) to the render: on loopback ≤ 250 ms more than the render.
The render itself is mostly the calendar (icalendar's serialisation of every event).

    python bench/publish.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from markdown_scale import readme as generated_readme  # noqa: E402

from bot.container import Services  # noqa: E402
from bot.publish.auto import DEBOUNCE  # noqa: E402
from bot.schedule.drafts import SessionEdit  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import Database  # noqa: E402
from tests.harness.clock import FakeClock  # noqa: E402
from tests.harness.github import FakeGitHub  # noqa: E402
from tests.harness.github.fixtures import github_client_factory  # noqa: E402

GUILD = 1
SHARED = REPO.parent / "shared"


async def _services(tmp: Path, name: str, github: FakeGitHub, clock: FakeClock) -> Services:
    db = await Database.open(f"sqlite+aiosqlite:///{tmp / f'{name}.db'}")
    await db.migrate()
    settings = Settings(_env_file=None, github_token=github.token, github_api_url=github.api_url)  # type: ignore[call-arg]
    services = Services(
        settings=settings,
        db=db,
        clock=clock,
        overrides={"github": github_client_factory(github, clock, timeout=30)},
    )
    services.events.connect(services.auto_publish)
    await services.guilds.update(GUILD, timezone="Europe/Berlin", meeting_time=None)
    return services


async def _timed(action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def run_size(tmp: Path, name: str, text: str, repeat: int, github: FakeGitHub) -> None:
    clock = FakeClock()
    services = await _services(tmp, name, github, clock)
    await services.markdown.import_text(GUILD, text)
    github.add_repo(f"bench/{name}", files={"README.md": b"# Bench group\n\nHand-written.\n"})
    await services.publish.configure(GUILD, repository=f"bench/{name}", auto=True)
    target = await services.publish.target(GUILD)
    assert target is not None
    sessions = await services.schedule.everything(GUILD)

    async def publish() -> None:
        result = await services.publish.publish(await services.publish.prepare(GUILD))
        assert result.commit is not None

    await services.publish.render(GUILD, target)  # warm: the render's cold path is not ours
    renders = [await _timed(lambda: services.publish.render(GUILD, target)) for _ in range(repeat)]
    cold = await _timed(publish)
    warm = []
    for index in range(repeat):
        await services.schedule.edit(
            GUILD, sessions[index].id, SessionEdit(title=f"Retitled {index}"), actor_id=None
        )
        warm.append(await _timed(publish))
    checks = []
    for _ in range(repeat):
        await services.auto_publish.request(GUILD)
        clock.advance(DEBOUNCE)
        requests = len(github.requests)
        checks.append(await _timed(services.auto_publish.run_due))
        assert len(github.requests) == requests, "the unchanged check asked GitHub"
    render = statistics.median(renders)
    publish_warm = statistics.median(warm)
    check = statistics.median(checks)
    print(f"{name}: {len(sessions)} sessions")
    print(f"  render (baseline)   {render * 1000:8.1f} ms")
    print(f"  publish cold        {cold * 1000:8.1f} ms   ({cold / render:.1f}× render)")
    print(
        f"  publish warm        {publish_warm * 1000:8.1f} ms   ({publish_warm / render:.1f}× render;"
        f" GitHub's share {(publish_warm - render) * 1000:.0f} ms)"
    )
    print(
        f"  unchanged check     {check * 1000:8.1f} ms   ({check / render:.2f}× render, 0 requests)"
    )
    await services.db.close()


async def main(repeat: int) -> None:
    logging.disable(logging.WARNING)
    group = (SHARED / "examples" / "schedule-readme.md").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeGitHub() as github:
            await run_size(Path(tmp), "group-readme", group, repeat, github)
            await run_size(Path(tmp), "generated-1000", generated_readme(1000), repeat, github)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(main(parser.parse_args().repeat))
