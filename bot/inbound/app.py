"""The Bolt app, and what serves it: the aiohttp server (HTTP mode) or a Socket Mode connection."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.logger import messages as bolt_messages
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.inbound.entry import EVENTS_PATH, HEALTH_PATH, MAX_BODY_BYTES, Entry
from bot.listeners import register_listeners
from bot.metrics import METRICS_PATH, metrics_handler
from bot.slack.failures import handle_error
from bot.webhooks.receiver import add_routes as add_webhook_routes

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)

BOLT_LOGGER = logging.getLogger("slack_bolt.AsyncApp")


class _TokenFromEnvironment(logging.Filter):
    """Drops Bolt's "token will be unused" warning, which only says Bolt read SLACK_BOT_TOKEN itself.

    AsyncApp always reads SLACK_BOT_TOKEN from the environment, and warns when it also gets a client; the
    bot hands Bolt the token through `authorize` instead (bot.slack.connection), so the token is used.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != bolt_messages.warning_client_prioritized_and_token_skipped()


BOLT_LOGGER.addFilter(_TokenFromEnvironment())


def build_app(services: Services) -> AsyncApp:
    """The Bolt app with every listener registered and the global error handler set.

    Requests reach it through bot.inbound.entry, which has verified them already.
    """

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        # A plain function: Bolt passes the arguments it finds by name, and would pass `self` twice.
        return await services.slack.authorize(enterprise_id, team_id)

    app = AsyncApp(
        # Bolt answers Slack when the listener returns, instead of polling for ack() every 10 ms: every
        # listener acknowledges, hands its slow part to services.background, and returns.
        process_before_response=True,
        signing_secret="",
        request_verification_enabled=False,
        client=services.slack.web,
        authorize=authorize,
        raise_error_for_unhandled_request=False,
        logger=BOLT_LOGGER,
    )
    app.middleware(_pooled_respond(services))
    register_listeners(app, services)
    app.error(handle_error)
    return app


def _pooled_respond(services: Services) -> Callable[..., Awaitable[None]]:
    """Bolt middleware: a request with a response_url answers through the pooled connection, with retries."""

    async def pooled_respond(context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]) -> None:
        if context.response_url is not None:
            context["respond"] = services.slack.responder(context.response_url)
        await next_()

    return pooled_respond


def build_web_app(services: Services, app: AsyncApp | None = None) -> web.Application:
    """The HTTP server: Slack's Request URL at POST /slack/events, Harness's webhook deliveries at
    POST /harness/webhooks/{identifier} (bot.webhooks.receiver), GET /healthz for load balancers, and
    GET /metrics for Prometheus (unless METRICS=off, or METRICS_PORT serves it apart: bot.metrics).

    The services start with the server and are closed when it stops (answers under way get a grace
    period first: bot.background).
    """
    secret = services.settings.slack_signing_secret
    if secret is None:
        raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET to verify that requests come from Slack")
    entry = Entry(app or build_app(services), services.state)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def start(_: web.Application) -> None:
        await services.start()

    async def stop(_: web.Application) -> None:
        await services.aclose()

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app.router.add_post(EVENTS_PATH, entry.http_handler(secret.get_secret_value()))
    web_app.router.add_get(HEALTH_PATH, healthz)
    add_webhook_routes(web_app, services.receiver)
    settings = services.settings
    if settings.metrics == "on" and settings.metrics_port is None:
        web_app.router.add_get(METRICS_PATH, metrics_handler(settings.prometheus_multiproc_dir))
    web_app.on_startup.append(start)
    web_app.on_shutdown.append(stop)
    return web_app


def socket_mode_client(services: Services, app: AsyncApp | None = None) -> SocketModeClient:
    """A Socket Mode connection feeding the same entry layer as HTTP; `connect()` starts it."""
    token = services.settings.slack_app_token
    if token is None:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN")
    entry = Entry(app or build_app(services), services.state)
    client = SocketModeClient(
        app_token=token.get_secret_value(),
        web_client=AsyncWebClient(base_url=services.settings.slack_api_url),
    )
    client.socket_mode_request_listeners.append(entry.on_socket_request)
    return client


__all__ = ["build_app", "build_web_app", "handle_error", "socket_mode_client"]
