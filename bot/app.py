"""Builds the Bolt app and the HTTP server around it. Listeners live in `bot.listeners`.

Why asyncio: a lookup spends almost all its time waiting on Harness. An `AsyncApp` acknowledges Slack at
once and awaits Harness on the event loop, so a hundred slow lookups cost a hundred small coroutines, not a
hundred threads, and none queues behind another.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDictProxy
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.access import AccessPolicy
from bot.background import Background
from bot.cards import apology_reply
from bot.harness.client import HarnessClient
from bot.harness.lookups import RegistryLookups
from bot.logs import install_redaction
from bot.parsing import ScopeContext
from bot.payloads import MalformedRequest, check_payload, is_ssl_check, read_payload
from bot.settings import Settings
from bot.slack_session import SlackSession
from bot.state import SharedState

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 256 * 1024
"""Slack's payloads are a few KB; anything far larger is not from Slack."""


@dataclass(frozen=True)
class Services:
    """What listeners need besides Bolt's own arguments."""

    settings: Settings
    lookups: RegistryLookups
    scope: ScopeContext
    access: AccessPolicy
    background: Background
    """Where listeners put the slow part of an answer, after acknowledging (bot.background)."""
    slack: SlackSession = field(default_factory=SlackSession)
    """The pooled connection to Slack; opened by whatever serves the app (build_web_app, Socket Mode)."""
    state: SharedState = field(default_factory=lambda: SharedState(None))
    """What instances share (Redis when REDIS_URL is set): delivered events, the registry cache."""


def build_services(settings: Settings, *, harness: HarnessClient | None = None) -> Services:
    """The process-wide services: one pooled Harness client behind the lookup cache, and the allow-lists.

    Also installs the log redaction of the settings' secrets (bot.logs), so every way of starting the
    bot has it before the first request.
    """
    install_redaction(settings)
    api_key = settings.harness_api_key.get_secret_value() if settings.harness_api_key else ""
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
    return Services(
        settings=settings,
        lookups=RegistryLookups(client, shared=state.registries),
        scope=scope,
        access=AccessPolicy.from_settings(settings),
        background=Background(handle_error),
        state=state,
    )


def build_app(settings: Settings, services: Services) -> AsyncApp:
    """The Bolt app with every listener registered and the global error handler set."""
    from bot.listeners import register_listeners

    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app = AsyncApp(
        # Bolt answers Slack when the listener returns, instead of polling for ack() every 10 ms: every
        # listener acknowledges, hands its slow part to services.background, and returns.
        process_before_response=True,
        signing_secret=secret,
        client=AsyncWebClient(token=token, base_url=settings.slack_api_url),
        # Socket Mode messages are authenticated by the WebSocket itself; HTTP requests by signature.
        request_verification_enabled=not settings.socket_mode,
        raise_error_for_unhandled_request=False,
    )

    async def drop_repeated_events(
        body: dict[str, Any], next_: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Slack re-sends events it thinks were not acknowledged (`X-Slack-Retry-Num`, or a Socket Mode
        envelope's `retry_attempt`), maybe to another instance: answer once, wherever it lands."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and not await services.state.first_seen(event_id):
            logger.info("repeated event ignored event_id=%s", event_id)
            return BoltResponse(status=200, body="")
        await next_()
        return None

    app.middleware(drop_repeated_events)
    app.middleware(services.slack.middleware())
    register_listeners(app, services)
    app.error(handle_error)
    return app


async def handle_error(error: Exception, body: dict[str, Any], respond: AsyncRespond | None) -> None:
    """A bug, not a Harness problem: log it with the traceback, tell the user briefly.

    Bolt calls it for errors in listeners and middleware; services.background for errors in the work
    listeners hand it.
    """
    logger.error(
        "unhandled error type=%s command=%s",
        type(error).__name__,
        body.get("command") or body.get("type"),
        exc_info=error,
    )
    # Only commands and button clicks carry a response_url; an event's error is in the log alone.
    if respond is not None and body.get("response_url"):
        try:
            await respond(**apology_reply().as_kwargs(), response_type="ephemeral")
        except Exception:
            logger.exception("could not deliver the apology")


def build_web_app(app: AsyncApp, services: Services) -> web.Application:
    """The HTTP server: Slack's Request URL at POST /slack/events, and GET /healthz for load balancers.

    Opens the pooled Slack session when it starts. When it stops: answers under way get a grace period
    (bot.background), then the Harness client and the Slack session are closed.

    Each request is checked before Bolt reads it: no larger than MAX_BODY_BYTES (else 413), signed by
    Slack within the last 5 minutes (else 401; Slack's unsigned `ssl_check` gets a bare 200), and a
    payload of the shape Slack sends (else 400, see bot.payloads). Only then is it dispatched; Bolt
    checks the signature once more itself.
    """
    secret = services.settings.slack_signing_secret
    if secret is None:
        raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET to verify that requests come from Slack")
    verifier = SignatureVerifier(secret.get_secret_value())

    async def slack_events(request: web.Request) -> web.Response:
        raw = await request.read()
        if not _signed(verifier, raw, request.headers):
            if is_ssl_check(raw):
                # Slack checks a slash command URL's certificate with an unsigned request: say yes,
                # and dispatch nothing (a body smuggled in beside ssl_check=1 never reaches Bolt).
                return web.Response(status=200)
            logger.info("request without a valid Slack signature rejected")
            return web.json_response({"error": "invalid request"}, status=401)
        body = raw.decode("utf-8")  # the signature check has decoded it already: Slack signs UTF-8 text
        try:
            payload = read_payload(body, request.content_type)
            check_payload(payload)
        except MalformedRequest as exc:
            logger.warning("malformed Slack request rejected reason=%r", exc.reason)
            return web.json_response({"error": "malformed request"}, status=400)
        bolt_response = await app.async_dispatch(_bolt_request(body, payload, request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def open_services(_: web.Application) -> None:
        await services.state.start()
        await services.slack.open(app)

    async def finish_answers(_: web.Application) -> None:
        await services.background.aclose()

    async def close_services(_: web.Application) -> None:
        await services.lookups.aclose()
        await services.state.aclose()
        await services.slack.aclose(app)

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get(HEALTH_PATH, healthz)
    web_app.on_startup.append(open_services)
    web_app.on_shutdown.append(finish_answers)
    web_app.on_cleanup.append(close_services)
    return web_app


def _signed(verifier: SignatureVerifier, body: bytes, headers: CIMultiDictProxy[str]) -> bool:
    """Whether Slack signed this body within the last 5 minutes.

    A malformed timestamp, or a body that is not UTF-8 (Slack signs text), counts as unsigned.
    """
    try:
        return verifier.is_valid(
            body=body,
            timestamp=headers.get("X-Slack-Request-Timestamp"),
            signature=headers.get("X-Slack-Signature"),
        )
    except ValueError:
        return False


def _bolt_request(body: str, payload: dict[str, Any], request: web.Request) -> AsyncBoltRequest:
    """A Bolt request carrying the payload as `read_payload` read it.

    Bolt would parse the body again by its own rule, which takes any form containing the word
    "payload" for a button click: `/har payments/payload-store` became an empty, unhandled request.
    Bolt builds a request from a parsed payload only in Socket Mode, so it is built that way and then
    given back the raw body and the HTTP mode, which its own signature check reads.
    """
    bolt_request = AsyncBoltRequest(
        body=payload, query=request.query_string, headers=dict(request.headers), mode="socket_mode"
    )
    bolt_request.raw_body = body
    bolt_request.mode = "http"
    return bolt_request
