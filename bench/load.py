"""The load generator: requests signed exactly as Slack signs them, the three scenarios, and their figures.

Every request gets a key unique within the run. A slash command's `response_url` ends in its key, and a
`link_shared` event's `message_ts` does too, so the Slack stand-in can tell which request an answer (a
response_url post or a `chat.unfurl` call) belongs to. Times are `time.perf_counter()` in this process.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bench.apps import ACCOUNT, SIGNING_SECRET
from bench.ledger import EVENT_TS_PREFIX, Ledger
from devtools.harness import HarnessStandIn
from devtools.slack import SlackStandIn

ACK_TIMEOUT = 10.0
"""Seconds the generator waits for an acknowledgement before counting it failed."""
SLACK_ACK_LIMIT = 3.0
"""Slack shows the user an error when an acknowledgement takes longer than this."""
SHARED_LINK = (
    f"https://app.harness.io/ng/account/{ACCOUNT}/all/orgs/payments/projects/checkout/registries/docker-prod"
)
"""The one registry link everybody pastes in scenario 2."""

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Request:
    """One request to send: its key, its body and its content type."""

    key: int
    body: str
    content_type: str


class SlackClient:
    """Sends requests to an app's Request URL as Slack does: signed (v0 HMAC), timed into the ledger."""

    def __init__(self, session: aiohttp.ClientSession, ledger: Ledger, slack: SlackStandIn) -> None:
        self.session = session
        self.ledger = ledger
        self.slack = slack
        self._verifier = SignatureVerifier(SIGNING_SECRET)
        self._keys = itertools.count(1)

    def command(self, text: str | Callable[[int], str]) -> Request:
        """A `/har` slash command, form-encoded; `text` may depend on the request's key."""
        key = next(self._keys)
        fields = {
            "token": "legacy-verification-token",
            "team_id": "T1",
            "team_domain": "example",
            "channel_id": "CBENCH",
            "channel_name": "incident-42",
            "user_id": f"U{key}",
            "user_name": "oncall",
            "command": "/har",
            "text": text(key) if callable(text) else text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": self.slack.response_url(key),
            "trigger_id": f"{key}.1.2",
        }
        return Request(key, urllib.parse.urlencode(fields), FORM)

    def link_shared(self, url: str) -> Request:
        """A `link_shared` event_callback with a distinct event_id, as JSON."""
        key = next(self._keys)
        ts = f"{EVENT_TS_PREFIX}{key}"
        payload = {
            "token": "legacy-verification-token",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{key:010d}",
            "event_time": int(time.time()),
            "authorizations": [
                {"enterprise_id": None, "team_id": "T1", "user_id": "UBOT", "is_bot": True}
                | {"is_enterprise_install": False}
            ],
            "is_ext_shared_channel": False,
            "event": {
                "type": "link_shared",
                "channel": "CBENCH",
                "is_bot_user_member": True,
                "user": f"U{key}",
                "message_ts": ts,
                "unfurl_id": f"C.{ts}.bench",
                "source": "conversations_history",
                "event_ts": ts,
                "links": [{"domain": urllib.parse.urlsplit(url).hostname, "url": url}],
            },
        }
        return Request(key, json.dumps(payload), JSON)

    async def send(self, app_url: str, request: Request) -> None:
        """Sign and POST one request; record when it left, when the ack came and its status."""
        ts = str(int(time.time()))
        headers = {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self._verifier.generate_signature(timestamp=ts, body=request.body),
            "Content-Type": request.content_type,
        }
        ledger = self.ledger
        ledger.sent[request.key] = time.perf_counter()
        status = 0
        try:
            async with self.session.post(
                f"{app_url}/slack/events", data=request.body.encode(), headers=headers
            ) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError):
            status = 0
        ledger.acked[request.key] = time.perf_counter()
        ledger.ack_status[request.key] = status


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of `values`; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class Figures:
    """One row of the table: what one app did in one scenario (or one wave of it). Times in seconds."""

    scenario: str
    app: str
    sent: int = 0
    acked_in_time: int = 0
    ack_p50: float = math.nan
    ack_p99: float = math.nan
    ack_max: float = math.nan
    answered: int = 0
    answer_p50: float = math.nan
    overhead_p50: float = math.nan
    overhead_p99: float = math.nan
    harness_subtracted: float = 0.0
    harness_calls: int = 0
    throughput: float = math.nan
    errors: int = 0
    cpu_ms_per_request: float = math.nan
    peak_rss_mb: float = math.nan
    start_seconds: float = math.nan
    notes: list[str] = field(default_factory=list)


def figures(
    scenario: str,
    app: str,
    ledger: Ledger,
    keys: Sequence[int],
    *,
    harness_latency: float,
    harness_calls: int,
    cpu_seconds: float,
    duration: float | None = None,
) -> Figures:
    """The figures for the requests `keys`. Harness's latency is subtracted only if the wave called it."""
    acks = [ledger.acked[k] - ledger.sent[k] for k in keys if ledger.ack_status.get(k) == 200]
    ok = [k for k in keys if ledger.answer_ok.get(k)]
    answers = [ledger.answered[k] - ledger.sent[k] for k in ok]
    subtracted = harness_latency if harness_calls > 0 else 0.0
    overheads = [a - subtracted for a in answers]
    if duration is None and ok:
        duration = max(ledger.answered[k] for k in ok) - min(ledger.sent[k] for k in keys)
    failed = [k for k in keys if ledger.ack_status.get(k) != 200 or not ledger.answer_ok.get(k)]
    return Figures(
        scenario=scenario,
        app=app,
        sent=len(keys),
        acked_in_time=sum(1 for a in acks if a <= SLACK_ACK_LIMIT),
        ack_p50=percentile(acks, 0.5),
        ack_p99=percentile(acks, 0.99),
        ack_max=max(acks, default=math.nan),
        answered=len(ok),
        answer_p50=percentile(answers, 0.5),
        overhead_p50=percentile(overheads, 0.5),
        overhead_p99=percentile(overheads, 0.99),
        harness_subtracted=subtracted,
        harness_calls=harness_calls,
        throughput=len(ok) / duration if duration else math.nan,
        errors=len(failed),
        cpu_ms_per_request=1000 * cpu_seconds / len(keys) if keys else math.nan,
    )


@dataclass
class Stage:
    """What a scenario needs: the client, the stand-ins, the app's URL and a CPU clock for it."""

    client: SlackClient
    harness: HarnessStandIn
    app_url: str
    app_cpu: Callable[[], float]
    quick: bool
    cores: int = 1
    """Cores the app can use (its worker processes): the ramp's per-app CPU limit scales with it."""


async def burst(stage: Stage, requests: Sequence[Request], *, wait: float) -> list[int]:
    """Send `requests` all at once, then wait up to `wait` seconds (from the start) for every answer."""
    ledger = stage.client.ledger
    keys = [r.key for r in requests]
    ledger.expect(keys)
    started = time.perf_counter()
    await asyncio.gather(*(stage.client.send(stage.app_url, r) for r in requests))
    await ledger.wait_answers(max(0.0, wait - (time.perf_counter() - started)))
    ledger.give_up()
    return keys


async def measured_burst(
    stage: Stage, name: str, app: str, requests: Sequence[Request], *, wait: float
) -> Figures:
    """A burst, with Harness calls and the app's CPU time counted around it."""
    calls, cpu = stage.harness.count, stage.app_cpu()
    keys = await burst(stage, requests, wait=wait)
    return figures(
        name,
        app,
        stage.client.ledger,
        keys,
        harness_latency=stage.harness.latency,
        harness_calls=stage.harness.count - calls,
        cpu_seconds=stage.app_cpu() - cpu,
    )


@dataclass
class Stream:
    """The outcome of sending at a steady rate: the keys, how long sending took, the worst send lag."""

    keys: list[int]
    seconds: float
    lag: float


async def stream(stage: Stage, make: Callable[[], Request], *, rate: float, seconds: float) -> Stream:
    """Open-loop: send `rate` requests a second for `seconds`, whatever the app does; wait for the acks."""
    client, ledger = stage.client, stage.client.ledger
    total = max(1, round(rate * seconds))
    keys: list[int] = []
    tasks: set[asyncio.Task[None]] = set()
    lag = 0.0
    started = time.perf_counter()
    while len(keys) < total:
        now = time.perf_counter()
        due = min(total, math.floor((now - started) * rate) + 1)
        if due > len(keys):
            lag = max(lag, now - (started + (due - 1) / rate))
        while len(keys) < due:
            request = make()
            keys.append(request.key)
            ledger.expect([request.key])
            task = asyncio.create_task(client.send(stage.app_url, request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if len(keys) < total:
            await asyncio.sleep(max(0.0, started + len(keys) / rate - time.perf_counter()))
    sent_for = time.perf_counter() - started
    if tasks:
        await asyncio.gather(*tasks)
    return Stream(keys, sent_for, lag)
