"""bot.caching: the one cache every part uses (TTL, bound, coalescing), and the one retry policy."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import pytest

import bot.caching as caching
from bot.caching import KINDS, Cache, Kind, Outcome
from bot.retrying import Backoff, retry_after

KIND = Kind("test", ttl=60.0, size=3)


def test_every_kind_is_named_once_with_a_lifetime_and_a_bound() -> None:
    assert len({kind.name for kind in KINDS}) == len(KINDS)
    assert all(kind.ttl > 0 and kind.size > 0 for kind in KINDS)


def test_a_value_lives_for_its_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(caching, "time", SimpleNamespace(monotonic=lambda: now[0]))
    cache: Cache[str, int] = Cache(KIND)
    cache.put("a", 1)
    now[0] += 59.9
    assert cache.get("a") == 1
    now[0] += 0.1
    assert cache.get("a") is None
    assert len(cache) == 0


def test_the_least_recently_used_go_first_past_the_bound() -> None:
    cache: Cache[str, int] = Cache(KIND)
    for key in "abc":
        cache.put(key, ord(key))
    assert cache.get("a") == ord("a")  # used: "b" is now the oldest
    cache.put("d", 4)
    assert [cache.get(k) is not None for k in "abcd"] == [True, False, True, True]


def test_a_ttl_of_zero_keeps_nothing_and_inf_keeps_until_pushed_out() -> None:
    none: Cache[str, int] = Cache(KIND, ttl=0)
    none.put("a", 1)
    assert none.get("a") is None
    forever: Cache[str, int] = Cache(KIND, ttl=math.inf, size=1)
    forever.put("a", 1)
    assert forever.get("a") == 1
    forever.put("b", 2)
    assert forever.get("a") is None


def test_add_says_whether_the_key_was_new() -> None:
    cache: Cache[str, bool] = Cache(KIND)
    assert cache.add("ev1", True) is True
    assert cache.add("ev1", True) is False


async def test_identical_fetches_in_flight_share_one_load_and_the_next_is_a_hit() -> None:
    cache: Cache[str, int] = Cache(KIND)
    gate, calls = asyncio.Event(), []

    async def load() -> int:
        calls.append(1)
        await gate.wait()
        return 42

    first = asyncio.ensure_future(cache.fetch("k", load))
    second = asyncio.ensure_future(cache.fetch("k", load))
    await asyncio.sleep(0)
    gate.set()
    assert sorted([await first, await second], key=str) == [(42, Outcome.COALESCED), (42, Outcome.MISS)]
    assert calls == [1]
    assert await cache.fetch("k", load) == (42, Outcome.HIT)
    assert (await cache.fetch("k", load, fresh=True))[1] is Outcome.MISS


async def test_a_failure_reaches_every_waiter_and_is_not_kept() -> None:
    cache: Cache[str, int] = Cache(KIND)

    async def fail() -> int:
        await asyncio.sleep(0)
        raise ValueError("harness said no")

    results = await asyncio.gather(cache.fetch("k", fail), cache.fetch("k", fail), return_exceptions=True)
    assert [type(r) for r in results] == [ValueError, ValueError]
    assert cache.get("k") is None
    assert not cache.loading("k")


async def test_one_waiter_giving_up_does_not_cancel_the_others_load() -> None:
    cache: Cache[str, int] = Cache(KIND)
    gate = asyncio.Event()

    async def load() -> int:
        await gate.wait()
        return 7

    quitter = asyncio.ensure_future(cache.fetch("k", load))
    stayer = asyncio.ensure_future(cache.fetch("k", load))
    await asyncio.sleep(0)
    quitter.cancel()
    gate.set()
    assert await stayer == (7, Outcome.COALESCED)
    assert quitter.cancelled()


def test_backoff_doubles_with_jitter_and_stops_after_its_retries() -> None:
    policy = Backoff(retries=2, base=1.0, max_retry_after=5.0)
    first, second = policy.delay(1), policy.delay(2)
    assert first is not None
    assert 0.5 <= first <= 1.0
    assert second is not None
    assert 1.0 <= second <= 2.0
    assert policy.delay(3) is None


def test_retry_after_is_honoured_capped_or_given_up_on() -> None:
    give_up = Backoff(retries=2, base=1.0, max_retry_after=5.0)
    cap = Backoff(retries=2, base=1.0, max_retry_after=5.0, cap_retry_after=True)
    assert give_up.delay(1, 3.0) == 3.0
    assert give_up.delay(1, 6.0) is None
    assert cap.delay(1, 60.0) == 5.0


def test_a_retry_must_fit_the_deadline() -> None:
    policy = Backoff(retries=2, base=1.0, max_retry_after=5.0)
    assert policy.delay(1, 2.0, remaining=2.4) is None
    assert policy.delay(1, 2.0, remaining=3.0) == 2.0


def test_retry_after_reads_seconds_and_http_dates_and_nothing_else() -> None:
    assert retry_after("3") == 3.0
    assert retry_after(" 1.5 ") == 1.5
    assert retry_after("-4") == 0.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = retry_after(later)
    assert seconds is not None
    assert 25 <= seconds <= 31
    assert retry_after(None) is None
    assert retry_after("") is None
    assert retry_after("soon") is None
