"""The playground: the real app, a stand-in Slack around it, and a page that looks like Slack.

Three servers, all on 127.0.0.1, all in this process:
- the playground (`port`, 3000 by default): the page, its JSON endpoints under `/playground/`, and
  Slack's side for the app: the Web API under `/api/` and response URLs under `/response/`;
- the app itself, exactly as `python -m bot` serves it (build_services, build_web_app), on a
  free port, with SLACK_API_URL pointing at the playground and a signing secret the playground made up;
- without HARNESS_API_KEY, the Harness stand-in with the sandbox data set (devtools/harness.py,
  devtools/registries.py) on a free port, as HARNESS_BASE_URL.
"""

from __future__ import annotations

import json
import logging
import socket
from typing import Any, Final

from aiohttp import web
from pydantic import SecretStr

from bot.inbound.app import build_web_app
from bot.services import build_services
from bot.settings import Settings
from devtools import registries as sandbox_data
from devtools.harness import HarnessStandIn
from devtools.playground.page import STATIC, HarnessInfo, render_page, render_updates
from devtools.playground.slack import PlaygroundSlack
from devtools.playground.views import RawValues
from devtools.playground.workspace import Workspace

logger = logging.getLogger(__name__)

LOOPBACK: Final = "127.0.0.1"
LONG_POLL_SECONDS: Final = 25.0
"""The page's update request waits at most this long for something new, then asks again."""
STATIC_FILES: Final = {"playground.css": "text/css", "playground.js": "text/javascript"}
LOCAL_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "[::1]"})
SLOW_MARGIN: Final = 1.0
"""The sandbox's `slow` answers this many seconds after the bot's per-request timeout."""
SLACK_ALLOW_LISTS: Final = ("allowed_slack_teams", "allowed_slack_channels", "allowed_slack_users")
"""Allow-lists of real Slack ids: the playground's workspace, channel and user are made up, so a list
set for the real workspace would only lock the playground out. Harness scope lists still apply."""


def bot_settings(
    env: Settings, slack: PlaygroundSlack, sandbox: HarnessStandIn | None, *, app_url: str | None = None
) -> Settings:
    """The app's settings: the environment's, with the playground's Slack (and sandbox Harness) in; the
    app's own address as PUBLIC_URL unless one is set, so subscribing works and the sandbox's webhooks
    deliver to the app (a loopback PUBLIC_URL: the bot warns, as it should)."""
    update: dict[str, Any] = {
        "slack_bot_token": SecretStr(slack.token),
        "slack_signing_secret": SecretStr(slack.signing_secret),
        "slack_app_token": None,
        "slack_api_url": slack.api_url,
        "host": LOOPBACK,
        **{name: () for name in SLACK_ALLOW_LISTS if name in Settings.model_fields},
    }
    if app_url is not None and env.public_url is None:
        update["public_url"] = app_url
    if sandbox is not None:
        update |= {
            "harness_base_url": sandbox.base_url,
            "harness_api_key": SecretStr(sandbox_data.API_KEY),
            "harness_account_id": sandbox_data.ACCOUNT,
        }
    return env.model_copy(update=update)


class Playground:
    """Start with `await playground.start()` (or `async with`); `url` is the page's address."""

    def __init__(self, env: Settings, *, port: int = 0) -> None:
        self.env = env
        self.port = port
        self.workspace = Workspace()
        self.sandbox: HarnessStandIn | None = None
        self.slack: PlaygroundSlack | None = None
        self.settings: Settings | None = None
        self._runners: list[web.AppRunner] = []
        self._closing = False

    @property
    def url(self) -> str:
        """The page, e.g. http://127.0.0.1:3000/."""
        return f"http://{LOOPBACK}:{self.port}/"

    async def __aenter__(self) -> Playground:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def _serve(
        self, app: web.Application, port: int, *, sock: socket.socket | None = None, **options: Any
    ) -> int:
        runner = web.AppRunner(app, access_log=None, **options)
        await runner.setup()
        self._runners.append(runner)
        site = web.SockSite(runner, sock) if sock is not None else web.TCPSite(runner, LOOPBACK, port)
        await site.start()
        address: tuple[str, int] = runner.addresses[0]
        return address[1]

    async def start(self) -> None:
        """Start the sandbox (without HARNESS_API_KEY), the playground, then the app. OSError when the
        port is taken.
        """
        try:
            if self.env.harness_api_key is None:
                self.sandbox = HarnessStandIn.sandbox(slow_seconds=self.env.harness_timeout + SLOW_MARGIN)
                await self.sandbox.start()
            self.slack = PlaygroundSlack(self.workspace, unfurl_domains=self.env.ui_hosts)
            page = web.Application(client_max_size=256 * 1024, middlewares=[self._local_only])
            self._add_routes(page)
            self.slack.add_routes(page)
            # A long poll still waiting at shutdown is simply dropped.
            self.port = await self._serve(page, self.port, shutdown_timeout=1.0, handler_cancellation=True)
            self.slack.port = self.port
            # The app's socket first: its address is the app's PUBLIC_URL.
            listening = socket.create_server((LOOPBACK, 0))
            app_url = f"http://{LOOPBACK}:{listening.getsockname()[1]}"
            self.settings = bot_settings(self.env, self.slack, self.sandbox, app_url=app_url)
            services = build_services(self.settings)
            await self._serve(build_web_app(services), 0, sock=listening)
            self.slack.app_url = app_url
        except BaseException:
            await self.stop()
            raise
        logger.info(
            "playground ready url=%s app=%s harness=%s",
            self.url,
            self.slack.app_url,
            self.sandbox.base_url if self.sandbox else self.env.harness_host,
        )

    async def stop(self) -> None:
        """Stop everything started, newest first."""
        self._closing = True
        self.workspace.touch()
        while self._runners:
            await self._runners.pop().cleanup()
        if self.slack is not None:
            await self.slack.aclose()
        if self.sandbox is not None:
            await self.sandbox.stop()

    def harness_info(self) -> HarnessInfo:
        """Which Harness the app talks to, for the page."""
        return HarnessInfo(
            sandbox=self.sandbox is not None,
            host=self.env.harness_host,
            account=sandbox_data.ACCOUNT if self.sandbox else self.env.account_id,
            ui_base=self.env.harness_ui_url.rstrip("/"),
            registries=self.sandbox.registries if self.sandbox else (),
            timeout=self.env.harness_timeout,
        )

    # -----------------------------------------------------------------------------------------------------
    # The page and its endpoints.

    @web.middleware
    async def _local_only(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """The page answers only to loopback host names (no DNS rebinding), and its POSTs only to JSON
        (which a cross-site form cannot send without a preflight this server never grants).
        """
        if request.path.startswith(("/api/", "/response/")):
            response: web.StreamResponse = await handler(request)
            return response
        host = (request.host or "").rsplit(":", 1)[0].lower()
        if host not in LOCAL_HOSTS:
            return web.Response(status=403, text="The playground answers on 127.0.0.1 only.")
        if request.method == "POST" and request.content_type != "application/json":
            return web.Response(status=415, text="JSON only.")
        response = await handler(request)
        return response

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._page)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/playground/updates", self._updates)
        posts = {
            "send": self._send,
            "press": self._press,
            "clear": self._clear,
            "push": self._push,
            "home": self._home,
            "options": self._options,
            "view/act": self._view_act,
            "view/submit": self._view_submit,
            "view/close": self._view_close,
            "shortcut": self._shortcut,
        }
        for path, handler in posts.items():
            app.router.add_post(f"/playground/{path}", handler)

    def slack_side(self) -> PlaygroundSlack:
        """The stand-in Slack (Web API, response URLs, what is sent to the app); once started."""
        if self.slack is None:
            raise web.HTTPServiceUnavailable(text="The playground is starting.")
        return self.slack

    async def _page(self, _: web.Request) -> web.Response:
        body = render_page(self.harness_info(), self.workspace, self.slack_side().log)
        return web.Response(
            text=body,
            content_type="text/html",
            headers={
                "Cache-Control": "no-store",
                # Everything the page needs comes from here; links open in new tabs.
                "Content-Security-Policy": (
                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
                ),
                "Referrer-Policy": "no-referrer",
            },
        )

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return web.Response(
            body=(STATIC / name).read_bytes(),
            content_type=STATIC_FILES[name],
            headers={"Cache-Control": "no-cache"},
        )

    async def _updates(self, request: web.Request) -> web.Response:
        try:
            since = int(request.query.get("since", "-1"))
        except ValueError:
            since = -1
        if not self._closing:
            await self.workspace.wait_for_change(since, LONG_POLL_SECONDS)
        return web.json_response(render_updates(self.workspace, self.slack_side().log))

    async def _json(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text="Send JSON.") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="Send a JSON object.")
        return body

    async def _send(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        channel, text = body.get("channel"), body.get("text")
        if not isinstance(channel, str) or not isinstance(text, str):
            raise web.HTTPBadRequest(text="channel and text are strings.")
        await self.slack_side().send(channel, text)
        return web.json_response({"ok": True, "version": self.workspace.version})

    async def _press(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        fields = [body.get(key) for key in ("channel", "ts", "block_id", "action_id")]
        if not all(isinstance(value, str) for value in fields):
            raise web.HTTPBadRequest(text="channel, ts, block_id and action_id are strings.")
        channel, ts, block_id, action_id = (str(value) for value in fields)
        found = await self.slack_side().press(channel, ts, block_id, action_id)
        return web.json_response({"ok": found, "version": self.workspace.version})

    async def _push(self, request: web.Request) -> web.Response:
        """A version pushed (or deleted) in the sandbox: delivered to the registry's webhooks, if any."""
        body = await self._json(request)
        fields = [body.get(key) for key in ("registry", "artifact", "version", "trigger")]
        if not all(isinstance(value, str) and value for value in fields):
            raise web.HTTPBadRequest(text="registry, artifact, version and trigger are strings.")
        registry, artifact, version, trigger = (str(value) for value in fields)
        if self.sandbox is None or trigger not in {"artifact_created", "artifact_deleted"}:
            raise web.HTTPBadRequest(text="Pushing needs the sandbox Harness, and a known trigger.")
        executions = await self.sandbox.webhooks.push(
            registry, artifact[:100], version[:100], trigger=trigger, principal="Playground User"
        )
        results = [str(execution.get("result")) for execution in executions]
        return web.json_response({"ok": True, "delivered": results, "version": self.workspace.version})

    def _done(self, **fields: Any) -> web.Response:
        return web.json_response({"ok": True, **fields, "version": self.workspace.version})

    async def _home(self, _: web.Request) -> web.Response:
        """The Home tab opened: Slack sends app_home_opened each time."""
        await self.slack_side().views.open_home()
        return self._done()

    async def _options(self, request: web.Request) -> web.Response:
        """Typing in an external select: the app's options for it, as `[{value, label}]`."""
        body = await self._json(request)
        view_id, block_id, action_id, value = _strings(body, "view_id", "block_id", "action_id", "value")
        options = await self.slack_side().views.suggest(view_id, block_id, action_id, value)
        return self._done(options=options)

    async def _view_act(self, request: web.Request) -> web.Response:
        """A button pressed or a choice made in the Home tab or a modal."""
        body = await self._json(request)
        view_id, block_id, action_id = _strings(body, "view_id", "block_id", "action_id")
        raw = read_raw(body.get("raw"))
        found = await self.slack_side().views.act_in_view(
            view_id, block_id, action_id, values=read_values(body.get("values")), raw=raw
        )
        return self._done(found=found)

    async def _view_submit(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        (view_id,) = _strings(body, "view_id")
        outcome = await self.slack_side().views.submit(view_id, read_values(body.get("values")))
        return self._done(outcome=outcome)

    async def _view_close(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        (view_id,) = _strings(body, "view_id")
        return self._done(found=await self.slack_side().views.close(view_id))

    async def _shortcut(self, request: web.Request) -> web.Response:
        """A shortcut chosen: global (⚡) or on a message (its channel and ts)."""
        body = await self._json(request)
        (callback_id,) = _strings(body, "callback_id")
        channel, ts = body.get("channel"), body.get("ts")
        found = await self.slack_side().shortcut(
            callback_id,
            channel=channel if isinstance(channel, str) else None,
            ts=ts if isinstance(ts, str) else None,
        )
        return self._done(found=found)

    async def _clear(self, _: web.Request) -> web.Response:
        self.workspace.clear()
        return web.json_response({"ok": True, "version": self.workspace.version})


MAX_VALUES: Final = 100
"""Inputs of one view the page may say something about (Slack allows 100 blocks)."""
MAX_VALUE_TEXT: Final = 3000


def _strings(body: dict[str, Any], *keys: str) -> list[str]:
    """These fields of a page request, each a string, or 400."""
    values = [body.get(key) for key in keys]
    if not all(isinstance(value, str) for value in values):
        raise web.HTTPBadRequest(text=f"{', '.join(keys)}: strings.")
    return [str(value)[:MAX_VALUE_TEXT] for value in values]


def read_raw(raw: object) -> Any:
    """One input's value as the page sends it, or None when it is not of any input's shape: a text or
    conversation id, the ticked checkboxes' values, or a chosen option's `{value, label}`."""
    if isinstance(raw, str):
        return raw[:MAX_VALUE_TEXT]
    if isinstance(raw, list):
        return [str(item)[:MAX_VALUE_TEXT] for item in raw[:MAX_VALUES] if isinstance(item, str)]
    if isinstance(raw, dict) and isinstance(raw.get("value"), str):
        label = raw.get("label")
        return {"value": raw["value"][:MAX_VALUE_TEXT], "label": str(label or "")[:MAX_VALUE_TEXT]}
    return None


def read_values(values: object) -> RawValues:
    """What the page says was entered in a view, by block_id then action_id; anything else dropped."""
    read: RawValues = {}
    for block_id, block in list(values.items())[:MAX_VALUES] if isinstance(values, dict) else []:
        for action_id, raw in list(block.items())[:MAX_VALUES] if isinstance(block, dict) else []:
            value = read_raw(raw)
            if value is not None:
                read.setdefault(str(block_id), {})[str(action_id)] = value
    return read
