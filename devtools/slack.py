"""The Slack stand-in: the Web API methods the bot calls, response URLs and the Socket Mode WebSocket.

- `POST /api/<method>`: `auth.test` (granted scopes in the `x-oauth-scopes` header; `auth_error` makes it
  fail), `apps.connections.open` (a `ws://` URL to `/ws`), `chat.postMessage`, `chat.postEphemeral`,
  `chat.update`, `chat.delete`, `chat.unfurl`, `conversations.info`, `users.conversations` (the channels
  `memberships` lists for the user, paged by `limit` and `cursor`), `views.publish`/`open`/`push`/`update`
  (the view back, with an id); any other method is `unknown_method`.
  `channels` gives a channel a state (`not_in_channel`, `is_archived`, `channel_not_found`): messages to
  it fail with that error and `conversations.info` says so. `api_failures` answers the next calls with
  HTTP statuses (429 with `Retry-After`, 503…), `trouble_until` every call until a moment. With `bot_token`
  set, a call without it is `invalid_auth`; with `check_blocks`, blocks Slack would refuse are refused
  (`invalid_blocks`, checked with slack_sdk's own Block Kit models). `overrides` answers a method with a
  fixed body.
- `POST /response/<name>`: a response_url; `response_url(name)` makes one.
- `GET /ws`: says hello, delivers `envelopes` (a queue), records the bot's acknowledgements.

Everything that arrives is recorded (`requests`, `api_calls`, `wait_api`, `wait_response`). The message
methods and response URLs answer through overridable methods (`post_message`, `respond`, …): the
playground's Slack overrides them to keep a workspace the page draws.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.signature import SignatureVerifier

from devtools.server import WAIT_SECONDS, Recorded, Server

FORM: Final = "application/x-www-form-urlencoded"
JSON: Final = "application/json"
MAX_BLOCKS: Final = 50
DEFAULT_SCOPES: Final = (
    "app_mentions:read",
    "chat:write",
    "commands",
    "im:history",
    "links:read",
    "links:write",
    "channels:read",
    "groups:read",
)
MESSAGE_METHODS: Final = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})


@dataclass(frozen=True)
class Identity:
    """Who `auth.test` says the bot is."""

    team_id: str = "T1"
    team: str = "harbot test"
    user_id: str = "UBOT"
    bot_id: str = "BBOT"
    user: str = "harbot"


def signed_headers(
    secret: str, body: str, *, timestamp: int | None = None, content_type: str = FORM
) -> dict[str, str]:
    """Headers exactly as Slack signs a request (v0 HMAC-SHA256 of `v0:{timestamp}:{body}`)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body) or ""
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, "Content-Type": content_type}


def invalid_blocks(blocks: Any) -> list[str]:
    """Why Slack would refuse these blocks (`invalid_blocks`), checked with Slack's own SDK models."""
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    if len(blocks) > MAX_BLOCKS:
        return [f"{len(blocks)} blocks; Slack allows {MAX_BLOCKS}"]
    problems = []
    for index, block in enumerate(blocks):
        parsed = Block.parse(block) if isinstance(block, dict) else None
        if parsed is None:
            problems.append(f"block {index}: not a block type Slack knows")
            continue
        try:
            parsed.validate_json()
        except SlackObjectFormationError as exc:
            problems.append(f"block {index} ({block.get('type')}): {exc}")
    return problems


def view_argument(args: dict[str, Any]) -> dict[str, Any] | None:
    """The `view` argument of a views.* call (a JSON object, or its text as a form sends it), or None."""
    view = args.get("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            return None
    return view if isinstance(view, dict) else None


def arguments(call: Recorded) -> dict[str, Any] | None:
    """A Web API call's arguments (JSON or form), with JSON-string fields (`blocks`, `unfurls`) decoded;
    None when the body is not an object. A GET's arguments are its query.
    """
    if call.method == "GET":
        return {key: values[-1] for key, values in call.query.items()}
    try:
        body = call.json()
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    for key in ("blocks", "unfurls", "attachments"):
        value = body.get(key)
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(json.JSONDecodeError):
                body[key] = json.loads(value)
    return body


class SlackStandIn(Server):
    """Slack's side of the bot's conversations. See the module docstring."""

    def __init__(
        self,
        *,
        identity: Identity | None = None,
        bot_token: str | None = None,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        check_blocks: bool = True,
        keep: bool = True,
    ) -> None:
        super().__init__(keep=keep)
        self.identity = identity or Identity()
        self.bot_token = bot_token
        self.scopes = tuple(scopes)
        """What `auth.test`'s `x-oauth-scopes` header lists."""
        self.auth_error: str | None = None
        """When set (`invalid_auth`, `account_inactive`, …), `auth.test` fails with it."""
        self.response_failures: list[tuple[int, dict[str, str]]] = []
        """Statuses (with headers) the next response_url posts get, in order, before they succeed."""
        self.api_status: int | None = None
        """When set, every Web API call gets this HTTP status and no JSON (Slack in trouble)."""
        self.check_blocks = check_blocks
        self.overrides: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, str] = {}
        self.memberships: dict[str, list[str]] = {}
        """User id -> the ids of the channels they are in (`users.conversations`)."""
        """Channel id -> `not_in_channel`, `is_archived` or `channel_not_found`: messages there fail so."""
        self.api_failures: list[tuple[int, dict[str, str]]] = []
        """Statuses (with headers) the next Web API calls get, in order, before they are answered."""
        self.trouble_until = 0.0
        """Until this `time.monotonic()`, every Web API call gets `trouble` (Slack in trouble a while)."""
        self.trouble: tuple[int, dict[str, str]] = (503, {})
        self.taken: list[tuple[str, dict[str, Any]]] = []
        """(method, arguments) of every message call Slack took (answered ok), in order: what a channel
        shows, apart from the calls refused."""
        self.envelopes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.socket_acks: list[dict[str, Any]] = []
        self._socket_acked = asyncio.Event()
        self._last_ts = 0.0
        self.add_routes(self.app)

    def add_routes(self, app: web.Application) -> None:
        """Serve the Web API, response URLs and `/ws` on `app`: on this server, or mounted on another
        (whose port then goes in `port`).
        """
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk sends some read methods as GET
        app.router.add_post("/response/{name}", self._response)
        app.router.add_get("/ws", self._websocket)

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL is set to."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "1") -> str:
        """A response_url that posts back here."""
        return f"{self.url}/response/{name}"

    def api_calls(self, method: str) -> list[Recorded]:
        """Web API calls of one method, in order."""
        return [r for r in self.requests if r.route == f"/api/{method}"]

    async def wait_api(self, method: str, count: int = 1) -> list[Recorded]:
        """Wait for `count` calls of `method`."""
        return await self.wait_for(lambda r: r.route == f"/api/{method}", count)

    async def wait_response(self, name: str = "1", count: int = 1) -> list[Recorded]:
        """Wait for `count` posts to the response_url `name`."""
        return await self.wait_for(lambda r: r.path == f"/response/{name}", count)

    async def wait_socket_ack(self, envelope_id: str) -> dict[str, Any]:
        """Wait for the bot to acknowledge a Socket Mode envelope."""
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                for ack in self.socket_acks:
                    if ack.get("envelope_id") == envelope_id:
                        return ack
                self._socket_acked.clear()
                await self._socket_acked.wait()

    def next_ts(self) -> str:
        """A new message timestamp: Slack's `seconds.micros`, unique and increasing."""
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    # -----------------------------------------------------------------------------------------------------
    # What each method does; override these to keep state.

    def post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.postMessage, once the arguments passed the checks."""
        return {"ok": True, "channel": args.get("channel"), "ts": self.next_ts(), "message": args}

    def post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.postEphemeral."""
        return {"ok": True, "message_ts": self.next_ts()}

    def update(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.update."""
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts"), "text": args.get("text")}

    def delete(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.delete."""
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}

    def conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """conversations.info: whether the bot is a member, and whether the channel is archived."""
        channel = str(args.get("channel"))
        state = self.channels.get(channel)
        if state == "channel_not_found":
            return {"ok": False, "error": "channel_not_found"}
        info = {"id": channel, "is_member": state is None, "is_archived": state == "is_archived"}
        return {"ok": True, "channel": info}

    def user_conversations(self, args: dict[str, Any]) -> dict[str, Any]:
        """users.conversations: the user's channels from `memberships`, a page at a time."""
        channels = self.memberships.get(str(args.get("user")), [])
        try:
            start = int(args.get("cursor") or 0)
            limit = min(int(args.get("limit") or 100), 1000)
        except ValueError:
            return {"ok": False, "error": "invalid_cursor"}
        page = channels[start : start + limit]
        following = str(start + limit) if start + limit < len(channels) else ""
        return {
            "ok": True,
            "channels": [{"id": channel, "is_channel": True} for channel in page],
            "response_metadata": {"next_cursor": following},
        }

    def unfurl(self, args: dict[str, Any]) -> dict[str, Any]:
        """chat.unfurl, once every unfurl's blocks passed the checks."""
        return {"ok": True}

    def view(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.publish, views.open, views.push and views.update: the view back, with an id."""
        view = view_argument(args)
        if view is None:
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {"id": args.get("view_id") or f"V{self.next_ts()}", **view}}

    def view_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.publish (a Home tab): `view` unless overridden."""
        return self.view(args)

    def view_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.open (a modal, on a trigger_id): `view` unless overridden."""
        return self.view(args)

    def view_push(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.push (a modal on top of the open one): `view` unless overridden."""
        return self.view(args)

    def view_update(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.update (a view by `view_id`): `view` unless overridden."""
        return self.view(args)

    def respond(self, name: str, sent: dict[str, Any]) -> web.Response:
        """A post (a JSON object) to the response_url `name`."""
        refusal = self.response_refusal(sent)
        if refusal is not None:
            return web.Response(status=400, text=refusal)
        return web.json_response({"ok": True})

    def response_refusal(self, sent: dict[str, Any]) -> str | None:
        """Why Slack would refuse this response_url post (`invalid_blocks`), or None."""
        blocks = sent.get("blocks")
        if self.check_blocks and blocks is not None and invalid_blocks(blocks):
            return "invalid_blocks"
        return None

    def answered(self, method: str, args: dict[str, Any], result: dict[str, Any]) -> None:
        """Called with every Web API answer (after the method ran); a hook for logs. Keeps `taken`."""
        if method in MESSAGE_METHODS and result.get("ok"):
            self.taken.append((method, args))

    # -----------------------------------------------------------------------------------------------------

    def _auth_test(self) -> web.Response:
        if self.auth_error is not None:
            return web.json_response({"ok": False, "error": self.auth_error})
        me = self.identity
        body = {
            "ok": True,
            "url": f"{self.url}/",
            "team": me.team,
            "user": me.user,
            "team_id": me.team_id,
            "user_id": me.user_id,
            "bot_id": me.bot_id,
            "is_enterprise_install": False,
        }
        return web.json_response(body, headers={"x-oauth-scopes": ",".join(self.scopes)})

    def _refusal(self, method: str, args: dict[str, Any]) -> dict[str, Any] | None:
        """The error Slack would answer for these arguments, or None."""
        if method in MESSAGE_METHODS:
            blocks = args.get("blocks")
            if not args.get("text") and not blocks:
                return {"ok": False, "error": "no_text"}
            problems = invalid_blocks(blocks) if self.check_blocks and blocks is not None else []
            if problems:
                return {"ok": False, "error": "invalid_blocks", "errors": problems}
        if method == "chat.unfurl":
            unfurls = args.get("unfurls")
            if not isinstance(unfurls, dict):
                return {"ok": False, "error": "invalid_unfurls"}
            for unfurl in unfurls.values():
                blocks = unfurl.get("blocks") if isinstance(unfurl, dict) else None
                problems = invalid_blocks(blocks) if self.check_blocks and blocks is not None else []
                if problems:
                    return {"ok": False, "error": "invalid_unfurls", "errors": problems}
        return None

    async def _api(self, request: web.Request) -> web.Response:
        recorded = await self.record(request)
        method = request.match_info["method"]
        if self.api_status is not None:
            return web.Response(status=self.api_status, text="upstream trouble")
        failure = self.api_failures.pop(0) if self.api_failures else None
        if failure is None and time.monotonic() < self.trouble_until:
            failure = self.trouble
        if failure is not None:
            return web.Response(status=failure[0], text="slack trouble", headers=failure[1])
        if method in self.overrides:
            return web.json_response(self.overrides[method])
        if method == "apps.connections.open":
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/ws"})
        args = arguments(recorded)
        if args is None:
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or args.get("token")
        if self.bot_token is not None and token != self.bot_token:
            result: dict[str, Any] = {"ok": False, "error": "invalid_auth"}
        elif method == "auth.test":
            response = self._auth_test()
            self.answered(method, args, {"ok": self.auth_error is None, "error": self.auth_error})
            return response
        else:
            handler = {
                "chat.postMessage": self.post_message,
                "chat.postEphemeral": self.post_ephemeral,
                "chat.update": self.update,
                "chat.delete": self.delete,
                "chat.unfurl": self.unfurl,
                "conversations.info": self.conversations_info,
                "views.publish": self.view_publish,
                "views.open": self.view_open,
                "views.push": self.view_push,
                "views.update": self.view_update,
                "users.conversations": self.user_conversations,
            }.get(method)
            state = self.channels.get(str(args.get("channel")))
            if handler is None:
                result = {"ok": False, "error": "unknown_method"}
            elif state is not None and method in MESSAGE_METHODS:
                result = {"ok": False, "error": state}
            else:
                result = self._refusal(method, args) or handler(args)
        self.answered(method, args, result)
        return web.json_response(result)

    async def _response(self, request: web.Request) -> web.Response:
        recorded = await self.record(request)
        if self.response_failures:
            status, headers = self.response_failures.pop(0)
            return web.Response(status=status, text="slack trouble", headers=headers)
        try:
            sent = json.loads(recorded.body)
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(sent, dict):
            return web.Response(status=400, text="invalid_payload")
        return self.respond(request.match_info["name"], sent)

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, deliver queued envelopes, record the bot's acknowledgements."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1})

        async def deliver() -> None:
            while True:
                await socket.send_json(await self.envelopes.get())

        sender = asyncio.create_task(deliver())
        try:
            async for message in socket:
                if message.type == web.WSMsgType.TEXT:
                    self.socket_acks.append(json.loads(message.data))
                    self._socket_acked.set()
        finally:
            sender.cancel()
        return socket
