"""Local HTTP stand-ins for the network edges: Harness, the Slack Web API and `response_url`.

Each is a real aiohttp server on 127.0.0.1 that records what reached it. Tests program the answers.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import socket
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

FIXTURES = Path(__file__).parent / "fixtures"
HARNESS_PREFIX = "/gateway/har/api/v1/registry/"
REF = "acc_test/payments/checkout/docker-prod/+"
"""The registry_ref most tests look up: docker-prod in the project payments/checkout."""
LINK = "https://app.harness.io/ng/account/acc_test/all/orgs/payments/projects/checkout/registries/docker-prod"
"""The Harness UI link to REF."""
WAIT_SECONDS = 10.0
"""How long a test waits for something to arrive before it fails: a bound, not a timing assertion."""


SPACES = "spaces:"
SETUP_SUFFIX = "/client-setup-details"
LIST_PATH = re.compile(r"/gateway/har/api/v1/spaces/(?P<space>.+)/\+/registries")


def list_key(space_path: str) -> str:
    """The key `HarnessStandIn.program` takes for the list of a space ("acc" or "acc/org/proj")."""
    return f"{SPACES}{space_path}"


def listed(
    path: str, package_type: str = "DOCKER", registry_type: str = "VIRTUAL", **extra: Any
) -> dict[str, Any]:
    """A RegistryMetadata for the catalog; `path` is its full path ("acc/org/proj/reg")."""
    return {
        "identifier": path.rsplit("/", 1)[-1],
        "packageType": package_type,
        "type": registry_type,
        "url": f"https://pkg.example/{path}",
        "path": path,
        "description": "",
        "labels": [],
        **extra,
    }


def setup_body(registry: str, **data: Any) -> bytes:
    """A client set-up body in the spec's shape: docker login and pull, with Harness's token placeholder."""
    details = {
        "mainHeader": "Docker Client Setup",
        "secHeader": "Follow these instructions to install/use Docker artifacts or compatible packages.",
        "sections": [
            {
                "header": "Login to Docker",
                "type": "INLINE",
                "steps": [
                    {
                        "header": "Run this Docker command in your terminal to authenticate the client.",
                        "type": "Static",
                        "commands": [{"value": "docker login pkg.harness.io -u alice -p <TOKEN>"}],
                    },
                    {
                        "header": "For the Password field above, generate an identity token",
                        "type": "GenerateToken",
                    },
                ],
            },
            {
                "header": "Pull an image",
                "type": "INLINE",
                "steps": [
                    {
                        "header": "Run this Docker command in your terminal to pull image.",
                        "type": "Static",
                        "commands": [
                            {"value": f"docker pull pkg.harness.io/acc_test/{registry}/<IMAGE_NAME>:<TAG>"}
                        ],
                    }
                ],
            },
        ],
        **data,
    }
    return json.dumps({"status": "SUCCESS", "data": details}).encode()


def harness_fixture(name: str) -> bytes:
    """A spec-shaped Harness body from tests/fixtures/harness/."""
    return (FIXTURES / "harness" / name).read_bytes()


def success_body(**data: Any) -> bytes:
    """A 200 body for a registry with the given fields (identifier, packageType and url have defaults)."""
    registry = {"identifier": "docker-prod", "packageType": "DOCKER", "url": "https://pkg.example/r", **data}
    return json.dumps({"status": "SUCCESS", "data": registry}).encode()


def error_body(code: int, message: str) -> bytes:
    """The documented error body."""
    return json.dumps({"code": str(code), "message": message}).encode()


@dataclass
class Canned:
    """One programmed Harness answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"
    hold: asyncio.Event | None = None
    """When set, the answer waits until the test sets this event: a deterministic "slow Harness"."""
    cut_after: int | None = None
    """When set, the headers promise the whole body but only this many bytes are written before the
    connection is closed: a connection reset mid-body."""


@dataclass
class Recorded:
    """A request that reached a stand-in."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    peer: Any = None
    """The client's (host, port): two requests with the same one came over the same connection."""

    def json(self) -> Any:
        """The body as JSON, or form-decoded when it is a form post."""
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return dict(urllib.parse.parse_qsl(self.body.decode()))
        return json.loads(self.body)


class Server:
    """An aiohttp server on a free loopback port."""

    def __init__(self) -> None:
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.requests: list[Recorded] = []
        self._runner: web.AppRunner | None = None
        self._arrived = asyncio.Event()
        self.port = 0

    @property
    def url(self) -> str:
        """The base URL, no trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on 127.0.0.1 and a port the OS picks."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def record(self, request: web.Request) -> Recorded:
        """Keep what arrived and wake any waiter."""
        recorded = Recorded(
            path=request.raw_path,
            headers=dict(request.headers),
            body=await request.read(),
            at=time.monotonic(),
            peer=request.transport.get_extra_info("peername") if request.transport else None,
        )
        self.requests.append(recorded)
        self._arrived.set()
        return recorded

    async def wait_for(self, predicate: Callable[[Recorded], bool], count: int = 1) -> list[Recorded]:
        """The first `count` recorded requests matching `predicate`, waiting up to WAIT_SECONDS."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            found = [r for r in self.requests if predicate(r)]
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"expected {count} matching request(s), got {len(found)}: {found!r}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout=remaining)
            except TimeoutError:
                continue


class HarnessStandIn(Server):
    """Harness's `GET /gateway/har/api/v1/registry/{ref}`: answers from a per-ref queue of Canned.

    Also the list and client set-up endpoints (see "Listing and client set-up" below).
    """

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, list[Canned]] = {}
        self.default = Canned(status=404, body=error_body(404, "registry not found"))
        self.catalog: list[dict[str, Any]] = []
        """RegistryMetadata dicts the list endpoint serves (its `path` says where each lives)."""
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    @property
    def base_url(self) -> str:
        """What HARNESS_BASE_URL is set to."""
        return f"{self.url}/gateway"

    def program(self, ref_path: str, *answers: Canned) -> None:
        """Answer requests for `ref_path` ("acc/org/proj/reg/+") with these, in order; the last repeats."""
        self.answers[ref_path] = list(answers)

    def calls(self, ref_path: str | None = None) -> list[Recorded]:
        """Requests that reached the registry endpoint (for one ref, or all)."""
        return [r for r in self.requests if ref_path is None or r.path == HARNESS_PREFIX + ref_path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await self.record(request)
        ref_path = request.raw_path.removeprefix(HARNESS_PREFIX)
        listed = LIST_PATH.fullmatch(request.path)
        if listed is not None:
            ref_path = f"{SPACES}{listed['space']}"
        queue = self.answers.get(ref_path)
        if not queue and listed is not None:
            queue = [self._listing(listed["space"], request.query)]
        elif not queue and ref_path.endswith(SETUP_SUFFIX):
            queue = [self._setup(ref_path.removesuffix(SETUP_SUFFIX))]
        answer = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else self.default
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.hold is not None:
            await answer.hold.wait()
        if answer.cut_after is not None:
            return await self._cut(request, answer, answer.cut_after)
        return web.Response(
            status=answer.status,
            body=answer.body,
            headers={"Content-Type": answer.content_type, **answer.headers},
        )

    # --- Listing and client set-up ------------------------------------------------------------------
    # `GET /gateway/har/api/v1/spaces/{space}/+/registries` serves `catalog` as Harness's server does
    # (shared/harness/NOTES.md): `scope=descendants` the space and below, `scope=ancestors` (or
    # `recursive=true` alone) the space and above, else the space itself; `search_term` a substring of the
    # identifier; `page` 0-based, honoured only with `size` (else 10 a page, `pageIndex` 1); repeated
    # `package_type` and `type` filter. `program(list_key(space), ...)` overrides it with Canned answers.
    # `GET .../registry/{ref}/+/client-setup-details` answers a docker set-up for a catalog registry
    # (404 otherwise); `program(ref + SETUP_SUFFIX, ...)` overrides it.

    def calls_to_list(self) -> list[Recorded]:
        """Requests that reached the list endpoint."""
        return [r for r in self.requests if LIST_PATH.fullmatch(r.path.split("?", 1)[0])]

    def _listing(self, space: str, query: Any) -> Canned:
        scope = query.get("scope") or ("ancestors" if query.get("recursive") == "true" else "")
        space = space.replace("%2F", "/").replace("%2f", "/")

        def scope_of(entry: dict[str, Any]) -> str:
            return str(entry.get("path") or "").rsplit("/", 1)[0]

        def inside(entry: dict[str, Any]) -> bool:
            where = scope_of(entry)
            if scope == "descendants":
                return where == space or where.startswith(space + "/")
            if scope == "ancestors":
                return where == space or space.startswith(where + "/")
            return where == space

        term = query.get("search_term")
        types = query.getall("package_type", [])
        registry_type = query.get("type")
        found = [
            entry
            for entry in self.catalog
            if inside(entry)
            and (not term or term in str(entry.get("identifier")))
            and (not types or entry.get("packageType") in types)
            and (not registry_type or entry.get("type") == registry_type)
        ]
        if "size" in query:
            size, page = max(int(query["size"]), 1), int(query.get("page", "0"))
        else:
            size, page = 10, 0
        shown = found[page * size : (page + 1) * size]
        data = {
            "registries": shown,
            "itemCount": len(found),
            "pageCount": -(-len(found) // size),
            "pageIndex": page if "size" in query else 1,
            "pageSize": size,
        }
        return Canned(body=json.dumps({"status": "SUCCESS", "data": data}).encode())

    def _setup(self, ref_path: str) -> Canned:
        parts = ref_path.removesuffix("/+").split("/")
        known = any(str(entry.get("path")) == "/".join(parts) for entry in self.catalog)
        if not known:
            return self.default
        return Canned(body=setup_body(parts[-1]))

    @staticmethod
    async def _cut(request: web.Request, answer: Canned, cut_after: int) -> web.StreamResponse:
        response = web.StreamResponse(
            status=answer.status,
            headers={"Content-Type": answer.content_type, **answer.headers},
        )
        response.content_length = len(answer.body)
        await response.prepare(request)
        await response.write(answer.body[:cut_after])
        assert request.transport is not None
        request.transport.close()
        return response


Handler = Callable[[web.Request, Recorded], Awaitable[dict[str, Any]]]


class SlackStandIn(Server):
    """The Slack Web API (`POST /api/<method>`) and response URLs (`POST /response/<id>`)."""

    def __init__(self) -> None:
        super().__init__()
        self.overrides: dict[str, dict[str, Any]] = {}
        self.app.router.add_post("/api/{method}", self._api)
        self.app.router.add_post("/response/{id}", self._response)
        self.app.router.add_get("/ws", self._websocket)
        self.envelopes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.socket_acks: list[dict[str, Any]] = []
        self._socket_acked = asyncio.Event()

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL is set to."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "1") -> str:
        """A response_url that posts back here."""
        return f"{self.url}/response/{name}"

    def api_calls(self, method: str) -> list[Recorded]:
        """Web API calls of one method, in order."""
        return [r for r in self.requests if r.path == f"/api/{method}"]

    async def wait_api(self, method: str, count: int = 1) -> list[Recorded]:
        """Wait for `count` calls of `method`."""
        return await self.wait_for(lambda r: r.path == f"/api/{method}", count)

    async def wait_response(self, name: str = "1", count: int = 1) -> list[Recorded]:
        """Wait for `count` posts to the response_url `name`."""
        return await self.wait_for(lambda r: r.path == f"/response/{name}", count)

    async def _api(self, request: web.Request) -> web.Response:
        recorded = await self.record(request)
        method = request.match_info["method"]
        if method in self.overrides:
            return web.json_response(self.overrides[method])
        if method == "apps.connections.open":
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/ws"})
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "harbot"}
            )
        payload: dict[str, Any] = {"ok": True}
        if method == "chat.postMessage":
            body = recorded.json()
            payload.update({"channel": body.get("channel"), "ts": f"{time.time():.6f}", "message": body})
        return web.json_response(payload)

    async def wait_socket_ack(self, envelope_id: str) -> dict[str, Any]:
        """Wait for the bot to acknowledge a Socket Mode envelope."""
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                for ack in self.socket_acks:
                    if ack.get("envelope_id") == envelope_id:
                        return ack
                self._socket_acked.clear()
                await self._socket_acked.wait()

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

    async def _response(self, request: web.Request) -> web.Response:
        await self.record(request)
        return web.json_response({"ok": True})


def closed_url() -> str:
    """A loopback URL nothing listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def signed_headers(
    secret: str, body: str, *, timestamp: int | None = None, content_type: str = FORM
) -> dict[str, str]:
    """Headers exactly as Slack signs a request (v0 HMAC-SHA256 of `v0:{timestamp}:{body}`)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def command_body(
    text: str, *, response_url: str, user_id: str = "U123", channel_id: str = "C123", team_id: str = "T1"
) -> str:
    """A `/har` slash-command payload, form-encoded as Slack sends it."""
    return urllib.parse.urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "team_domain": "example",
            "channel_id": channel_id,
            "channel_name": "incident-42",
            "user_id": user_id,
            "user_name": "alice",
            "command": "/har",
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


# --- Slack payloads, as Slack sends them -----------------------------------------------------------

_event_ids = itertools.count(1)


def event_body(
    event: dict[str, Any], *, event_id: str | None = None, ext_shared: bool = False, team_id: str = "T1"
) -> str:
    """An Events API callback as Slack sends it."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": team_id,
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_event_ids):06d}",
            "event_time": int(time.time()),
            "is_ext_shared_channel": ext_shared,
            "authorizations": [{"team_id": team_id, "user_id": "UBOT", "is_bot": True}],
        }
    )


def dm(text: str, **extra: Any) -> dict[str, Any]:
    """A `message.im` event: someone wrote to the bot directly."""
    ts = f"{time.time():.6f}"
    return {
        "type": "message",
        "channel": "D1",
        "channel_type": "im",
        "user": "U123",
        "text": text,
        "ts": ts,
        **extra,
    }


def mention(text: str, **extra: Any) -> dict[str, Any]:
    """An `app_mention` event: `@harbot <text>` in a channel."""
    return {
        "type": "app_mention",
        "channel": "C1",
        "user": "U123",
        "text": f"<@UBOT> {text}",
        "ts": "1700000000.000100",
        **extra,
    }


def link_shared(*urls: str, channel: str = "C1", **extra: Any) -> dict[str, Any]:
    """A `link_shared` event for links on one of the app's unfurl domains."""
    return {
        "type": "link_shared",
        "channel": channel,
        "user": "U123",
        "message_ts": "1700000000.000200",
        "links": [{"domain": urllib.parse.urlsplit(url).hostname, "url": url} for url in urls],
        "source": "conversations_history",
        "unfurl_id": "UNF1",
        "event_ts": "1700000000.000300",
        **extra,
    }


def block_actions(
    action_id: str,
    value: str | None,
    *,
    response_url: str,
    ephemeral: bool = True,
    user: str = "U777",
    channel: str = "C1",
    team: str = "T1",
) -> str:
    """A click on one of the card's buttons, form-encoded as `payload=<JSON>` as Slack sends it."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b1", "type": "button", "action_ts": "1.2"}
    if value is not None:
        action["value"] = value
    payload = {
        "type": "block_actions",
        "team": {"id": team, "domain": "example"},
        "user": {"id": user, "username": "bob", "team_id": team},
        "api_app_id": "A1",
        "token": "legacy",
        "container": {
            "type": "message",
            "message_ts": "1.1",
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        },
        "trigger_id": "1.2.3",
        "channel": {"id": channel, "name": "incident-42"},
        "response_url": response_url,
        "actions": [action],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def message_of(call: Recorded) -> dict[str, Any]:
    """A Web API call's arguments, with `blocks` and `unfurls` decoded when they came as JSON strings."""
    body: dict[str, Any] = call.json()
    if isinstance(body.get("blocks"), str):
        body["blocks"] = json.loads(body["blocks"])
    if isinstance(body.get("unfurls"), str):
        body["unfurls"] = json.loads(body["unfurls"])
    return body


async def settle() -> None:
    """Wait (up to WAIT_SECONDS) until no answer is being worked on in the background any more.

    A listener acknowledges Slack and hands the slow part to the app's Background, a task of the same
    event loop; once a response has come back, that task exists, so waiting for it is exact, not a guess.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        running = [
            task
            for task in asyncio.all_tasks()
            if not task.done() and task.get_coro().__qualname__ == "Background._run"  # type: ignore[union-attr]
        ]
        if not running:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{len(running)} listener(s) still running after {WAIT_SECONDS}s")
        await asyncio.wait(running, timeout=remaining)


# --- Logs --------------------------------------------------------------------------------------------

ALL_LOGGERS = ("", "bot", "slack_bolt", "slack_sdk", "httpx", "httpcore", "aiohttp", "asyncio")
"""The root logger and the libraries' own, each set to DEBUG while a LogWatch is installed."""


class LogWatch(logging.Handler):
    """Every log record from every logger at DEBUG, kept for assertions, with a bounded wait for one.

    Use it as a context manager: it sets the loggers of ALL_LOGGERS to DEBUG and restores them after.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._arrived = asyncio.Event()
        self._saved: dict[str, int] = {}
        self._formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self._arrived.set()

    def __enter__(self) -> LogWatch:
        for name in ALL_LOGGERS:
            logger = logging.getLogger(name)
            self._saved[name] = logger.level
            logger.setLevel(logging.DEBUG)
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *_: object) -> None:
        logging.getLogger().removeHandler(self)
        for name, level in self._saved.items():
            logging.getLogger(name).setLevel(level)

    def formatted(self, record: logging.LogRecord) -> str:
        """The record as a handler writes it: the message, then the traceback when there is one."""
        return self._formatter.format(record)

    def text(self) -> str:
        """Everything logged so far, formatted."""
        return "\n".join(self.formatted(record) for record in self.records)

    def messages(self, start: str = "") -> list[str]:
        """The messages logged so far that start with `start`."""
        return [m for m in (r.getMessage() for r in self.records) if m.startswith(start)]

    def errors(self) -> list[str]:
        """Records at ERROR or above, and Bolt's complaint that a listener did not acknowledge in time."""
        return [
            self.formatted(record)
            for record in self.records
            if record.levelno >= logging.ERROR
            or (record.name.startswith("slack_bolt") and "didn't call ack()" in record.getMessage())
        ]

    async def wait_for(self, predicate: Callable[[str], bool], count: int = 1) -> list[str]:
        """The first `count` messages matching `predicate`, waiting up to WAIT_SECONDS."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            found = [m for m in (r.getMessage() for r in self.records) if predicate(m)]
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"expected {count} log record(s) matching, got {len(found)}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout=remaining)
            except TimeoutError:
                continue


def slash_command_envelope(text: str, *, response_url: str, envelope_id: str = "env-1") -> dict[str, Any]:
    """A Socket Mode envelope carrying a `/har <text>` slash command, as Slack's WebSocket sends it."""
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "team_id": "T1",
            "channel_id": "C123",
            "user_id": "U123",
            "command": "/har",
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        },
    }
