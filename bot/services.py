"""The process-wide services, built, started and closed in one place for HTTP mode, Socket Mode and tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.access import AccessPolicy
from bot.background import Background
from bot.deps import Deps
from bot.harness.client import HarnessClient
from bot.harness.lookups import RegistryLookups
from bot.harness.searches import RegistrySearches
from bot.harness.versions import ArtifactLookups
from bot.logs import install_redaction
from bot.parsing import ScopeContext
from bot.posting.fanout import queue_all
from bot.posting.service import PostingService
from bot.redraws import Redraws
from bot.settings import Settings
from bot.slack.connection import SlackConnection
from bot.slack.failures import handle_error
from bot.state import SharedState
from bot.store import Store
from bot.store.behind import LookupWrites
from bot.webhooks.receiver import Receiver


@dataclass(frozen=True)
class Services:
    """What listeners need besides Bolt's own arguments."""

    settings: Settings
    lookups: RegistryLookups
    scope: ScopeContext
    access: AccessPolicy
    background: Background
    """Where listeners put the slow part of an answer, after acknowledging."""
    slack: SlackConnection
    state: SharedState
    """What instances share (Redis when REDIS_URL is set): event ids answered, the registry cache."""
    searches: RegistrySearches
    """Lists, searches and client set-up steps, briefly cached and coalesced (bot.finding)."""
    deps: Deps
    """What answers and Tasks use (the same lookups, searches, allow-lists and scope), and no more."""
    store: Store
    """The database (DATABASE_URL): one engine per process, migrated at start, closed at the end."""
    receiver: Receiver
    """POST /harness/webhooks/{identifier}, mounted by the HTTP server (and served on PORT in Socket Mode)."""
    home: Redraws
    """The Home tabs this process drew, drawn again when what they show changes (bot.listeners.home)."""
    recent_writes: LookupWrites
    """Lookups to remember, written in batches behind the answers (bot.store.behind)."""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    posting: PostingService | None = None
    """Subscriptions, the poster and catching up (bot.posting); None without a Slack bot token (the
    receiver still stores what Harness delivers, and a bot started with a token posts it)."""

    async def start(self) -> None:
        """Migrate the database, connect to Redis (when set), open the connections that need a running
        event loop, and start pruning old events."""
        await self.store.start()
        await self.state.start()
        await self.slack.open()
        keep = self.settings.event_retention_days
        self._tasks.append(asyncio.create_task(self.store.prune_forever(keep_days=keep)))
        if self.posting is not None:
            await self.posting.start()

    async def aclose(self) -> None:
        """Give answers under way their grace period, then close Harness, Redis and Slack connections."""
        self.home.close()
        await self.background.aclose()
        await self.recent_writes.aclose()
        if self.posting is not None:
            await self.posting.aclose()
        await self.lookups.aclose()
        await self.state.aclose()
        await self.slack.aclose()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.store.aclose()


def build_services(
    settings: Settings, *, harness: HarnessClient | None = None, store: Store | None = None
) -> Services:
    """The services for `settings`; `harness` replaces the Harness client (tests shorten its backoff),
    `store` the database DATABASE_URL names (tests share one with their own checks).

    Also installs the log redaction of the settings' secrets (bot.logs), so every way of starting the
    bot has it before the first request.
    """
    install_redaction(settings)
    api_key = settings.harness_api_key.get_secret_value() if settings.harness_api_key else ""
    bot_token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    client = harness or HarnessClient(
        base_url=settings.harness_base_url, api_key=api_key, timeout=settings.harness_timeout
    )
    state = SharedState.from_settings(settings)
    scope = ScopeContext(
        account_id=settings.account_id,
        default_org=settings.harness_default_org,
        default_project=settings.harness_default_project,
        ui_hosts=settings.ui_hosts,
    )
    lookups = RegistryLookups(client, shared=state.values)
    searches = RegistrySearches(client)
    access = AccessPolicy.from_settings(settings)
    store = store or Store.from_url(settings.database_url.get_secret_value())
    secret = settings.harness_webhook_secret
    background = Background(handle_error)
    home = Redraws(background)
    receiver = Receiver(
        store,
        secret=secret.get_secret_value() if secret else None,
        on_events=queue_all,
        on_changed=lambda registries: home.changed(registries=registries),
    )
    posting = None
    if bot_token:
        posting = PostingService(
            store=store,
            harness=client,
            api_url=settings.slack_api_url,
            bot_token=bot_token,
            ui_base=settings.harness_ui_url,
            public_url=settings.public_url,
            secret_identifier=settings.harness_webhook_secret_identifier,
            accept=receiver.accept,
            seen=receiver.seen,
        )
        receiver.on_stored = posting.poke
    return Services(
        settings=settings,
        lookups=lookups,
        scope=scope,
        access=access,
        background=background,
        slack=SlackConnection(api_url=settings.slack_api_url, bot_token=bot_token),
        state=state,
        searches=searches,
        deps=Deps(
            lookups=lookups,
            searches=searches,
            access=access,
            scope=scope,
            ui_base=settings.harness_ui_url,
            artifacts=ArtifactLookups(client),
            posting=posting,
        ),
        store=store,
        receiver=receiver,
        home=home,
        recent_writes=LookupWrites(store, on_written=lambda users: home.changed(users=users)),
        posting=posting,
    )
