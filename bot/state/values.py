"""A cache of bytes and in-flight coalescing, shared by every instance through Redis.

It knows keys and bytes only: what they mean (a registry's JSON, say) is its caller's (bot.harness.lookups
keys `registry:<ref path>`). Keys (all under the configured prefix, all expiring):
- `<key>`: the value, for the cache's lifetime (60 s for registries).
- `lock:<key>`: held by the one instance fetching that value, for at most `lock_ttl`.
- channel `done:<key>`: the holder announces its result there (the bytes, or an empty message when the
  fetch failed), caches it and drops the lock, in one script.

Others asking meanwhile wait for the announcement (at most `max_wait` in all). If the lock disappears
without one (its holder died: the lock expires), they claim it themselves; if the holder's lookup
failed, each makes its own call, so a failure is reported by each instance as it happens. Any Redis
failure before Harness was asked raises RedisUnavailable, and the caller asks Harness itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from redis.asyncio import Redis

from bot.caching import Outcome
from bot.state.announcements import Announcements
from bot.state.link import RedisLink, RedisUnavailable

LOCK_TTL: Final = 10.0
"""Seconds a lookup's lock lives at most: a holder that dies blocks the others no longer than this."""
MAX_WAIT: Final = 15.0
"""Seconds a lookup waits, in all, for other instances before asking Harness itself."""
CHECK_EVERY: Final = 1.0
"""Seconds between checks, while waiting, that the holder's lock still exists."""

_CLAIM = """
if ARGV[3] == '1' then
  local cached = redis.call('GET', KEYS[1])
  if cached then return {1, cached} end
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2} end
return {0}
"""
"""KEYS: value, lock. ARGV: lock token, lock ms, '1' to read the cache first. In one round trip:
{1, JSON} cached, {2} the lock is ours, {0} another instance holds it."""
_PUBLISH = """
if ARGV[2] ~= '' and tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
redis.call('PUBLISH', ARGV[4], ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
return 1
"""
"""KEYS: value, lock. ARGV: lock token, JSON ('' = failed), cache ms, channel. Cache, announce, unlock."""


Fetch = Callable[[], Awaitable[bytes]]
"""Makes the value when nobody has it: the bytes to share (an exception is shared as a failure)."""


class SharedValues:
    """Values cached in Redis, and one fetch at a time per key across instances."""

    def __init__(
        self,
        link: RedisLink,
        *,
        prefix: str,
        ttl: float,
        lock_ttl: float = LOCK_TTL,
        max_wait: float = MAX_WAIT,
    ) -> None:
        self._link = link
        self._prefix = prefix
        self._ttl_ms = int(ttl * 1000)
        self._lock_ms = max(1, int(lock_ttl * 1000))
        self._max_wait = max_wait
        self._announcements = Announcements(link, f"{prefix}done:*")
        self._claim_script = link.client.register_script(_CLAIM)
        self._publish = link.client.register_script(_PUBLISH)

    @property
    def up(self) -> bool:
        """Whether Redis is usable now (outside an outage)."""
        return self._link.up

    def start(self) -> None:
        """Subscribe to the announcements."""
        self._announcements.start()

    async def aclose(self) -> None:
        """Unsubscribe."""
        await self._announcements.aclose()

    async def lookup(self, key: str, fetch: Fetch, *, fresh: bool) -> tuple[bytes, Outcome]:
        """The value from the shared cache (unless `fresh`), another instance's fetch, or `fetch()`.

        Raises RedisUnavailable only before `fetch` was called; its own errors pass through.
        """
        self._announcements.start()  # Socket Mode starts no server hook: the first lookup subscribes
        deadline = time.monotonic() + self._max_wait
        while True:
            token = secrets.token_hex(8)
            keys = [self._key("", key), self._key("lock:", key)]
            args: list[str | int] = [token, self._lock_ms, "0" if fresh or self._ttl_ms <= 0 else "1"]
            found = await self._link.call(functools.partial(self._claim, keys=keys, args=args))
            if found[0] == 1:
                return bytes(found[1]), Outcome.HIT
            if found[0] == 2:
                return await self._fetch_and_announce(key, fetch, token), Outcome.MISS
            heard = await self._wait_for_holder(key, deadline)
            if isinstance(heard, bytes):
                return heard, Outcome.COALESCED
            if heard is _FAILED or time.monotonic() >= deadline:
                return await fetch(), Outcome.MISS
            # _GONE: the holder finished unheard or died; look again

    async def _claim(self, client: Redis, *, keys: list[str], args: list[str | int]) -> list[Any]:
        found: list[Any] = await self._claim_script(keys=keys, args=args, client=client)
        return found

    async def _fetch_and_announce(self, key: str, fetch: Fetch, token: str) -> bytes:
        try:
            value = await fetch()
        except BaseException:
            await self._announce(key, token, b"")
            raise
        await self._announce(key, token, value)
        return value

    async def _announce(self, key: str, token: str, payload: bytes) -> None:
        keys = [self._key("", key), self._key("lock:", key)]
        args: list[str | bytes | int] = [token, payload, self._ttl_ms, self._key("done:", key)]

        async def run(client: Redis) -> object:
            return await self._publish(keys=keys, args=args, client=client)

        # Best effort: if Redis is gone, the waiters' own deadline or the outage sends them to Harness.
        with contextlib.suppress(RedisUnavailable):
            await self._link.call(run)

    async def _wait_for_holder(self, key: str, deadline: float) -> bytes | object:
        """The holder's value, _FAILED (its fetch failed) or _GONE (no lock, or the deadline)."""
        channel = self._key("done:", key)
        future = self._announcements.expect(channel)
        try:
            while True:
                # Asked after subscribing, so a holder that finishes in between is heard or seen gone.
                held = await self._link.call(lambda r: r.exists(self._key("lock:", key)))
                if not held:
                    return _GONE
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return _GONE
                done, _ = await asyncio.wait({future}, timeout=min(CHECK_EVERY, remaining))
                if done:
                    payload = future.result()
                    if payload is None:
                        raise RedisUnavailable  # the subscription dropped: Redis is going away
                    return bytes(payload) if payload else _FAILED
        finally:
            self._announcements.forget(channel, future)

    def _key(self, kind: str, key: str) -> str:
        return f"{self._prefix}{kind}{key}"


_FAILED = object()
_GONE = object()
