"""The services of one running bot, built once and shared by every cog.

Nothing here imports discord: the same container serves the CLI (export, import,
calendar) on the embedded database without logging in. Each service's module is imported
when the service is first used, so a command pays only for what it needs (the CLI export
never loads the LLM, arXiv or GitHub clients). Tests may hand in prebuilt services
through ``overrides`` (e.g. an arXiv client with short back-off).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from bot.clock import Clock, SystemClock
from bot.events import EventBus, Subscriber
from bot.ops.shards import ShardSet
from bot.settings import Settings
from storage.db import Database

if TYPE_CHECKING:
    from bot.candidates.digest import DigestService
    from bot.candidates.feed import DailyPapersFeed
    from bot.candidates.service import CandidateService
    from bot.discussion.service import DiscussionService
    from bot.guilds import GuildSettingsService
    from bot.llm.service import LLMService
    from bot.markdown.service import MarkdownService
    from bot.papers.arxiv import ArxivService
    from bot.papers.editing import PaperEditor
    from bot.papers.proposals import ProposalService
    from bot.papers.service import PaperService
    from bot.publish.auto import AutoPublisher
    from bot.publish.service import PublishService
    from bot.readinglist.service import ReadingListService
    from bot.reminders.service import ReminderService
    from bot.schedule.presenters import PresenterService
    from bot.schedule.service import ScheduleService


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    events: EventBus = field(default_factory=EventBus)
    overrides: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def guilds(self) -> GuildSettingsService:
        from bot.guilds import GuildSettingsService

        return GuildSettingsService(
            self.db, self.events, self.clock, self.settings.default_timezone
        )

    @cached_property
    def arxiv(self) -> ArxivService:
        from bot.papers.arxiv import ArxivService

        if "arxiv" in self.overrides:
            return cast(ArxivService, self.overrides["arxiv"])
        return ArxivService(
            self.settings.arxiv_api_url, min_interval=self.settings.arxiv_min_interval_seconds
        )

    @cached_property
    def papers(self) -> PaperService:
        from bot.papers.service import PaperService

        return PaperService(self.db, self.clock, self.arxiv)

    @cached_property
    def paper_editor(self) -> PaperEditor:
        from bot.papers.editing import PaperEditor

        return PaperEditor(self.db, self.events, self.clock)

    @cached_property
    def schedule(self) -> ScheduleService:
        from bot.schedule.service import ScheduleService

        return ScheduleService(
            self.db,
            self.events,
            self.clock,
            default_timezone=self.settings.default_timezone,
            papers=self.papers,
        )

    @cached_property
    def markdown(self) -> MarkdownService:
        from bot.markdown.service import MarkdownService

        return MarkdownService(
            self.db,
            self.events,
            self.clock,
            default_timezone=self.settings.default_timezone,
            guilds=self.guilds,
        )

    @cached_property
    def reminders(self) -> ReminderService:
        from bot.reminders.service import ReminderService

        return ReminderService(
            self.db,
            self.events,
            self.clock,
            schedule=self.schedule,
            guilds=self.guilds,
            default_timezone=self.settings.default_timezone,
            owns=None if self.shards.everything else self.shards.owns,
        )

    @cached_property
    def shards(self) -> ShardSet:
        """The shards of this process (SHARD_COUNT / SHARD_IDS): whose servers it serves."""
        return ShardSet.of(self.settings.shard_count, self.settings.shard_id_list)

    @cached_property
    def proposals(self) -> ProposalService:
        from bot.papers.proposals import ProposalService

        return ProposalService(self.db, self.clock, self.papers, self.schedule)

    @cached_property
    def presenters(self) -> PresenterService:
        from bot.schedule.presenters import PresenterService

        return PresenterService(self.db, self.clock)

    @cached_property
    def readinglist(self) -> ReadingListService:
        from bot.readinglist.service import ReadingListService

        return ReadingListService(self.db, self.events, self.clock, self.papers)

    def subscribers(self) -> list[Subscriber]:
        """The services that follow other services' events (connected by the bot at start)."""
        return [self.auto_publish, self.candidates]

    async def aclose(self) -> None:
        """Close the outside clients that were opened (only those: properties are lazy)."""
        if "llm" in self.__dict__:
            await self.llm.aclose()
        if "candidates" in self.__dict__:
            await self.candidates.aclose()

    @cached_property
    def publish(self) -> PublishService:
        """Publishing to GitHub; ``overrides["github"]`` may supply the client factory."""
        from bot.publish.service import PublishService

        return PublishService(
            self.db,
            self.clock,
            settings=self.settings,
            markdown=self.markdown,
            schedule=self.schedule,
            guilds=self.guilds,
            client_factory=self.overrides.get("github"),
        )

    @cached_property
    def auto_publish(self) -> AutoPublisher:
        """Publishing after schedule changes (one of the :meth:`subscribers`)."""
        from bot.publish.auto import AutoPublisher

        return AutoPublisher(self.db, self.clock, lambda: self.publish)

    @cached_property
    def discussion(self) -> DiscussionService:
        from bot.discussion.service import DiscussionService

        return DiscussionService(self.db, self.events, self.clock, self.schedule)

    @cached_property
    def llm(self) -> LLMService:
        from bot.llm.service import LLMService

        if "llm" in self.overrides:
            return cast(LLMService, self.overrides["llm"])
        return LLMService.from_settings(self.settings, self.db, self.clock, self.schedule)

    @cached_property
    def feed(self) -> DailyPapersFeed:
        """The Hugging Face Daily Papers feed (tests may hand in one with short back-off)."""
        from bot.candidates.feed import DailyPapersFeed, RequestBudget

        if "feed" in self.overrides:
            return cast(DailyPapersFeed, self.overrides["feed"])
        return DailyPapersFeed(
            self.settings.hf_endpoint,
            self.clock,
            timeout=self.settings.feed_timeout_seconds,
            budget=RequestBudget(self.settings.feed_request_budget, self.clock),
            cache_ttl=timedelta(minutes=self.settings.feed_cache_minutes),
        )

    @cached_property
    def candidates(self) -> CandidateService:
        """Candidates from the feed; follows the schedule to fill feed links into papers."""
        from bot.candidates.embeddings import Embeddings
        from bot.candidates.service import CandidateService

        key = self.settings.openai_api_key
        embeddings = Embeddings(
            self.db,
            model=self.settings.embeddings_model,
            api_key=key.get_secret_value() if key else None,
            base_url=self.settings.openai_base_url,
            timeout=self.settings.llm_timeout_seconds,
        )
        return CandidateService(
            self.db,
            self.clock,
            feed=self.feed,
            embeddings=embeddings,
            papers=self.papers,
            proposals=self.proposals,
            guilds=self.guilds,
        )

    @cached_property
    def digest(self) -> DigestService:
        from bot.candidates.digest import DigestService

        if "digest" in self.overrides:
            return cast(DigestService, self.overrides["digest"])
        return DigestService(self.db, self.clock, self.candidates, self.guilds)
