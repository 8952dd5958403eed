"""Loopback stand-ins for the bot's network edges, and the ledger that times every request.

- `HarnessStand`: `GET /gateway/har/api/v1/registry/{ref}`, a spec-shaped registry after a set latency.
- `SlackStand`: the Web API (`POST /api/<method>`: `auth.test`, `chat.unfurl`, anything else `ok`) and
  response URLs (`POST /response/<key>`).

Both are aiohttp servers on 127.0.0.1 in the load generator's own process. They record only what the
figures need (an arrival time per request key and a call count), so they stay cheap under load.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from aiohttp import web

LOOPBACK = "127.0.0.1"
HARNESS_PREFIX = "/gateway/har/api/v1/registry/"
ANSWER_MARKER = b"pkg.harness.io"
"""Only a real answer (a card, or an unfurl) shows the registry's URL; an error message never does."""
EVENT_TS_PREFIX = "1700000000."
"""link_shared events carry `message_ts = EVENT_TS_PREFIX + key`, so a chat.unfurl names its request."""

_REGISTRY = {
    "status": "SUCCESS",
    "data": {
        "identifier": "__ID__",
        "packageType": "DOCKER",
        "url": "https://pkg.harness.io/pkg/acc_bench/__ID__",
        "uuid": "0f8c6f2e-3b1a-4d7e-9a51-6b2f3c9d8e71",
        "description": "Production images for the checkout service",
        "labels": ["payments", "prod"],
        "isPublic": False,
        "config": {"type": "VIRTUAL", "upstreamProxies": ["dockerhub-proxy", "ecr-mirror", "gcr-mirror"]},
        "cleanupPolicy": [
            {
                "name": "keep-30-days",
                "expireDays": 30,
                "packagePrefix": ["checkout"],
                "versionPrefix": ["pr-"],
            }
        ],
        "allowedPattern": ["checkout/*"],
        "blockedPattern": ["*-debug"],
        "scanners": [{"name": "AQUA_TRIVY"}],
        "policyRefs": ["block-critical-cves"],
        "createdAt": "1718812345678",
        "modifiedAt": "1721404800000",
    },
}
REGISTRY_TEMPLATE = json.dumps(_REGISTRY).encode()


@dataclass
class Ledger:
    """Per request key: when it was sent, acknowledged (and with what status) and answered."""

    sent: dict[int, float] = field(default_factory=dict)
    acked: dict[int, float] = field(default_factory=dict)
    ack_status: dict[int, int] = field(default_factory=dict)
    """HTTP status of the acknowledgement; 0 for a transport error or a timeout."""
    answered: dict[int, float] = field(default_factory=dict)
    answer_ok: dict[int, bool] = field(default_factory=dict)
    duplicates: int = 0
    """Answers that arrived for a key already answered."""
    strays: int = 0
    """Answers for keys that were never sent (or that the stand-in could not read)."""
    _pending: set[int] = field(default_factory=set)
    _all_in: asyncio.Event = field(default_factory=asyncio.Event)

    def expect(self, keys: list[int]) -> None:
        """Start waiting for answers to `keys` (in addition to any still pending)."""
        self._pending.update(k for k in keys if k not in self.answered)
        if self._pending:
            self._all_in.clear()

    def answer(self, key: int | None, ok: bool) -> None:
        """Record an answer arriving now."""
        now = time.perf_counter()
        if key is None or key not in self.sent:
            self.strays += 1
            return
        if key in self.answered:
            self.duplicates += 1
            return
        self.answered[key] = now
        self.answer_ok[key] = ok
        self._pending.discard(key)
        if not self._pending:
            self._all_in.set()

    async def wait_answers(self, seconds: float) -> bool:
        """Wait until every expected answer arrived, or `seconds`; True when all arrived."""
        if not self._pending:
            return True
        try:
            await asyncio.wait_for(self._all_in.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def give_up(self) -> None:
        """Stop waiting for what has not arrived (it counts as undelivered)."""
        self._pending.clear()
        self._all_in.set()


class _Server:
    """An aiohttp server on 127.0.0.1 and a port the OS picks."""

    def __init__(self) -> None:
        self.app = web.Application(client_max_size=4 * 1024 * 1024)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The base URL, no trailing slash."""
        return f"http://{LOOPBACK}:{self.port}"

    async def start(self) -> None:
        """Listen (backlog large enough for a burst of hundreds of connections)."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, LOOPBACK, 0, backlog=2048)
        await site.start()
        assert site._server is not None
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._runner is not None:
            await self._runner.cleanup()


class HarnessStand(_Server):
    """Harness's registry endpoint with a configurable latency; counts the calls it gets."""

    def __init__(self) -> None:
        super().__init__()
        self.latency = 0.5
        self.calls = 0
        self.app.router.add_get(HARNESS_PREFIX + "{ref:.*}", self._registry)

    @property
    def base_url(self) -> str:
        """What HARNESS_BASE_URL is set to."""
        return f"{self.url}/gateway"

    async def _registry(self, request: web.Request) -> web.Response:
        self.calls += 1
        parts = request.match_info["ref"].rstrip("+").rstrip("/").split("/")
        body = REGISTRY_TEMPLATE.replace(b"__ID__", parts[-1].encode())
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        return web.Response(body=body, content_type="application/json")


class SlackStand(_Server):
    """The Slack Web API and response URLs; answers are recorded into the ledger by request key."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__()
        self.ledger = ledger
        self.api_calls: dict[str, int] = {}
        self.app.router.add_post("/api/{method}", self._api)
        self.app.router.add_post("/response/{key}", self._response)

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL is set to."""
        return f"{self.url}/api/"

    def response_url(self, key: int) -> str:
        """The response_url of the request with this key."""
        return f"{self.url}/response/{key}"

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.api_calls[method] = self.api_calls.get(method, 0) + 1
        body = await request.read()
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "harbot"}
            )
        if method == "chat.unfurl":
            self.ledger.answer(_unfurl_key(request, body), ANSWER_MARKER in body)
        return web.json_response({"ok": True})

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.read()
        key = request.match_info["key"]
        self.ledger.answer(int(key) if key.isdigit() else None, ANSWER_MARKER in body)
        return web.json_response({"ok": True})


def _unfurl_key(request: web.Request, body: bytes) -> int | None:
    """The request key in a chat.unfurl call's `ts` (JSON body, or form-encoded)."""
    ts: object = None
    if request.content_type == "application/json":
        try:
            ts = json.loads(body).get("ts")
        except (ValueError, AttributeError):
            return None
    else:
        ts = (parse_qs(body.decode()).get("ts") or [None])[0]
    if not isinstance(ts, str) or not ts.startswith(EVENT_TS_PREFIX):
        return None
    key = ts.removeprefix(EVENT_TS_PREFIX)
    return int(key) if key.isdigit() else None
