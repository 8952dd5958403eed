"""Builds the Bolt app and the HTTP server around it. Listeners live in `bot.listeners`.

Why asyncio: a lookup spends almost all its time waiting on Harness. An `AsyncApp` acknowledges Slack at
once and awaits Harness on the event loop, so a hundred slow lookups cost a hundred small coroutines, not a
hundred threads, and none queues behind another.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards import apology_reply
from bot.harness.client import HarnessClient
from bot.harness.lookups import RegistryLookups
from bot.scope import ScopeContext
from bot.settings import Settings

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
SEEN_EVENTS_WINDOW = 15 * 60.0
"""Seconds an event id is remembered: Slack's retries come after about 1 and 5 minutes."""
MAX_BODY_BYTES = 256 * 1024
"""Slack's payloads are a few KB; anything far larger is not from Slack."""


@dataclass(frozen=True)
class Services:
    """What listeners need besides Bolt's own arguments."""

    settings: Settings
    lookups: RegistryLookups
    scope: ScopeContext


def build_services(settings: Settings, *, harness: HarnessClient | None = None) -> Services:
    """The process-wide services: one pooled Harness client behind the lookup cache."""
    api_key = settings.harness_api_key.get_secret_value() if settings.harness_api_key else ""
    client = harness or HarnessClient(
        base_url=settings.harness_base_url, api_key=api_key, timeout=settings.harness_timeout
    )
    scope = ScopeContext(
        account_id=settings.account_id,
        default_org=settings.harness_default_org,
        default_project=settings.harness_default_project,
        ui_hosts=settings.ui_hosts,
    )
    return Services(settings=settings, lookups=RegistryLookups(client), scope=scope)


def build_app(settings: Settings, services: Services) -> AsyncApp:
    """The Bolt app with every listener registered and the global error handler set."""
    from bot.listeners import register_listeners

    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app = AsyncApp(
        signing_secret=secret,
        client=AsyncWebClient(token=token, base_url=settings.slack_api_url),
        # Socket Mode messages are authenticated by the WebSocket itself; HTTP requests by signature.
        request_verification_enabled=not settings.socket_mode,
        raise_error_for_unhandled_request=False,
    )
    seen = SeenEvents()

    async def drop_repeated_events(
        body: dict[str, Any], next_: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Slack re-sends events it thinks were not acknowledged (`X-Slack-Retry-Num`): answer once."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and seen.repeated(event_id):
            logger.info("repeated event ignored event_id=%s", event_id)
            return BoltResponse(status=200, body="")
        await next_()
        return None

    app.middleware(drop_repeated_events)
    register_listeners(app, services)
    app.error(handle_error)
    return app


class SeenEvents:
    """Event ids seen in the last `window` seconds (Slack retries within minutes), at most `max_size`."""

    def __init__(self, *, window: float = SEEN_EVENTS_WINDOW, max_size: int = 10_000) -> None:
        self._window = window
        self._max_size = max_size
        self._seen: OrderedDict[str, float] = OrderedDict()

    def repeated(self, event_id: str) -> bool:
        """True when `event_id` was seen within the window; otherwise remember it and return False."""
        now = time.monotonic()
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at < self._window and len(self._seen) < self._max_size:
                break
            del self._seen[oldest]
        if event_id in self._seen:
            return True
        self._seen[event_id] = now
        return False


async def handle_error(error: Exception, body: dict[str, Any], respond: AsyncRespond | None) -> None:
    """A bug, not a Harness problem: log it with the traceback, tell the user briefly."""
    logger.error(
        "unhandled error type=%s command=%s",
        type(error).__name__,
        body.get("command") or body.get("type"),
        exc_info=error,
    )
    if respond is not None:
        try:
            await respond(**apology_reply().as_kwargs(), response_type="ephemeral")
        except Exception:
            logger.exception("could not deliver the apology")


def build_web_app(app: AsyncApp, services: Services) -> web.Application:
    """The HTTP server: Slack's Request URL at POST /slack/events, and GET /healthz for load balancers."""

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def close_services(_: web.Application) -> None:
        await services.lookups.aclose()

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get(HEALTH_PATH, healthz)
    web_app.on_cleanup.append(close_services)
    return web_app
