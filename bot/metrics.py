"""Prometheus metrics (prometheus-client): what the bot counts, and the `GET /metrics` handler.

| metric | labels | counted |
| --- | --- | --- |
| `harbot_lookups_total` | surface, outcome | once per lookup, in `answers.fetch` |
| `harbot_lookup_duration_seconds` | surface | a histogram of the same lookups |
| `harbot_harness_requests_total` | status | once per HTTP attempt: the status, `timeout` or `connection` |
| `harbot_cache_total` | result | once per `RegistryLookups.get`: `hit`, `miss` or `coalesced` |
| `harbot_slack_posts_total` | outcome | once per answer posted to Slack (`record_slack_post`) |
| `harbot_webhook_deliveries_total` | outcome, reason | once per Harness delivery (`record_delivery`) |
| `harbot_events_posted_total` | outcome | posts of events: `posted`, `deferred`, `dropped`, `channel_gone` |
| `harbot_posts_pending` | | the outbox's pending posts, as the poster last counted them |

Labels hold only bounded sets (surfaces, outcomes, status codes): never a registry, user or channel. A
lookup's outcome is `ok`, `refused`, `error` (a bug) or the Harness error in snake case (`not_found`,
`unauthorized`, `forbidden`, `bad_reference`, `rate_limited`, `server_error`, `harness_timeout`,
`harness_connection_error`, `invalid_response`).

Several worker processes sum their figures through prometheus_client's multiprocess mode: when
PROMETHEUS_MULTIPROC_DIR is set before the process starts, the library keeps each process's values in
files there, and `/metrics` adds them up (the library's process metrics are then left out: they
describe one process only).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = [
    "METRICS_PATH",
    "SLACK_POST_OUTCOMES",
    "metrics_app",
    "metrics_handler",
    "outcome_of",
    "record_cache",
    "record_delivery",
    "record_event_posts",
    "record_harness_request",
    "record_lookup",
    "record_slack_post",
    "render",
    "set_posts_pending",
]

METRICS_PATH: Final = "/metrics"
DURATION_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)
"""Seconds: cache hits take milliseconds; a lookup ends within about 15 s whatever Harness does."""
SLACK_POST_OUTCOMES: Final = ("ok", "retried_ok", "failed", "dropped")
"""`record_slack_post` outcomes: delivered at the first try; delivered after retries; given up after
retries (5xx, 429, connection errors); refused by Slack and not retried (a 4xx, an expired response_url)."""

LOOKUPS: Final = Counter(
    "harbot_lookups", "Registry lookups, by surface and outcome.", ["surface", "outcome"]
)
LOOKUP_DURATION: Final = Histogram(
    "harbot_lookup_duration_seconds",
    "Seconds from asking to having the registry or the error, by surface.",
    ["surface"],
    buckets=DURATION_BUCKETS,
)
HARNESS_REQUESTS: Final = Counter(
    "harbot_harness_requests",
    "HTTP attempts to Harness, by status code, or timeout / connection.",
    ["status"],
)
CACHE: Final = Counter(
    "harbot_cache", "Registry lookups served by the cache: hit, miss or coalesced.", ["result"]
)
SLACK_POSTS: Final = Counter("harbot_slack_posts", "Answers posted to Slack, by outcome.", ["outcome"])
EVENT_POSTS: Final = Counter(
    "harbot_events_posted", "Posts of an event to a channel, by outcome.", ["outcome"]
)
POSTS_PENDING: Final = Gauge(
    "harbot_posts_pending", "Posts of events waiting in the outbox.", multiprocess_mode="max"
)
EVENT_POST_OUTCOMES: Final = ("posted", "deferred", "dropped", "channel_gone")

WEBHOOK_DELIVERIES: Final = Counter(
    "harbot_webhook_deliveries",
    "Harness webhook deliveries: accepted, repeated (stored already), or refused, by reason.",
    ["outcome", "reason"],
)
DELIVERY_OUTCOMES: Final = frozenset(
    {
        ("accepted", ""),
        ("repeated", ""),
        ("refused", "too_large"),
        ("refused", "token"),
        ("refused", "unsigned"),
        ("refused", "signature"),
        ("refused", "malformed"),
        ("failed", "database"),
    }
)
"""`record_delivery` pairs; `failed`/`database`: not stored, answered 503 so Harness retries."""

CACHE_RESULTS: Final = ("hit", "miss", "coalesced")
# Children bound once, at first use, so the hot path is a dict lookup and an increment. Not at import:
# in multiprocess mode each child opens a file in PROMETHEUS_MULTIPROC_DIR, which settings check first.
_cache: dict[str, Counter] = {}
_slack_posts: dict[str, Counter] = {}
_deliveries: dict[tuple[str, str], Counter] = {}
_lookups: dict[tuple[str, str], Counter] = {}
_durations: dict[str, Histogram] = {}
_statuses: dict[str | int, Counter] = {}
_outcomes: dict[type[BaseException], str] = {}


def record_lookup(surface: str, outcome: str, seconds: float) -> None:
    """One lookup ended: count it by surface and outcome, and observe how long it took."""
    counter = _lookups.get((surface, outcome))
    if counter is None:
        counter = _lookups[surface, outcome] = LOOKUPS.labels(surface, outcome)
    counter.inc()
    histogram = _durations.get(surface)
    if histogram is None:
        histogram = _durations[surface] = LOOKUP_DURATION.labels(surface)
    histogram.observe(seconds)


def record_harness_request(status: int | str) -> None:
    """One HTTP attempt to Harness: its status code, or `timeout` / `connection`."""
    counter = _statuses.get(status)
    if counter is None:
        counter = _statuses[status] = HARNESS_REQUESTS.labels(str(status))
    counter.inc()


def record_cache(result: str) -> None:
    """One lookup through the cache: `hit`, `miss` or `coalesced` (joined a lookup already in flight)."""
    counter = _cache.get(result)
    if counter is None:
        if result not in CACHE_RESULTS:
            raise KeyError(result)
        counter = _cache[result] = CACHE.labels(result)
    counter.inc()


def record_slack_post(outcome: str) -> None:
    """One answer posted to Slack; `outcome` is one of SLACK_POST_OUTCOMES (KeyError otherwise)."""
    counter = _slack_posts.get(outcome)
    if counter is None:
        if outcome not in SLACK_POST_OUTCOMES:
            raise KeyError(outcome)
        counter = _slack_posts[outcome] = SLACK_POSTS.labels(outcome)
    counter.inc()


def record_delivery(outcome: str, reason: str = "") -> None:
    """One Harness webhook delivery answered; (outcome, reason) is one of DELIVERY_OUTCOMES."""
    counter = _deliveries.get((outcome, reason))
    if counter is None:
        if (outcome, reason) not in DELIVERY_OUTCOMES:
            raise KeyError((outcome, reason))
        counter = _deliveries[outcome, reason] = WEBHOOK_DELIVERIES.labels(outcome, reason)
    counter.inc()


def record_event_posts(outcome: str, count: int = 1) -> None:
    """Posts of events ended a round so; `outcome` is one of EVENT_POST_OUTCOMES (KeyError otherwise)."""
    if outcome not in EVENT_POST_OUTCOMES:
        raise KeyError(outcome)
    if count:
        EVENT_POSTS.labels(outcome).inc(count)


def set_posts_pending(count: int) -> None:
    """The outbox's pending posts, as last counted."""
    POSTS_PENDING.set(count)


def outcome_of(error: BaseException) -> str:
    """The `outcome` label for a lookup that raised `error`: its class name in snake case."""
    kind = type(error)
    label = _outcomes.get(kind)
    if label is None:
        label = _outcomes[kind] = re.sub(r"(?<!^)(?=[A-Z])", "_", kind.__name__).lower()
    return label


def render(multiproc_dir: str | None = None) -> bytes:
    """The metrics in Prometheus' text format: this process's, or every process's in `multiproc_dir`."""
    if multiproc_dir is None:
        return _generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=multiproc_dir)  # type: ignore[no-untyped-call]
    return _generate_latest(registry)


def metrics_handler(multiproc_dir: str | None = None) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler for GET /metrics."""

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=render(multiproc_dir), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return metrics


def metrics_app(multiproc_dir: str | None = None) -> web.Application:
    """An app serving only GET /metrics, for METRICS_PORT."""
    app = web.Application()
    app.router.add_get(METRICS_PATH, metrics_handler(multiproc_dir))
    return app
