"""The registry cache and in-flight coalescing, shared by every instance through Redis.

Keys (all under the configured prefix, all expiring):
- `registry:<ref path>`: the Registry as JSON, for the lookup cache's lifetime (60 s).
- `lock:<ref path>`: held by the one instance asking Harness for that registry, for at most `lock_ttl`.
- channel `done:<ref path>`: the holder announces its result there (the JSON, or an empty message when
  the lookup failed), caches it and drops the lock, in one script.

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
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, Final

from redis.asyncio import Redis

from bot.harness.models import Registry
from bot.refs import RegistryRef
from bot.state.announcements import Announcements
from bot.state.link import RedisLink, RedisUnavailable

LOCK_TTL: Final = 10.0
"""Seconds a lookup's lock lives at most: a holder that dies blocks the others no longer than this."""
MAX_WAIT: Final = 15.0
"""Seconds a lookup waits, in all, for other instances before asking Harness itself."""
CHECK_EVERY: Final = 1.0
"""Seconds between checks, while waiting, that the holder's lock still exists."""
PARSED_KEPT: Final = 1024
"""Registries whose JSON and parsed model are kept, so a cached registry is parsed once per instance."""

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


class Outcome(StrEnum):
    """How a lookup got its registry."""

    HIT = "hit"
    """From a cache."""
    MISS = "miss"
    """This lookup asked Harness."""
    COALESCED = "coalesced"
    """Another lookup's Harness call, in this process or another instance."""


Fetch = Callable[[RegistryRef], Awaitable[Registry]]


class SharedRegistries:
    """Registries cached in Redis, and one Harness call at a time per registry across instances."""

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
        self._parsed: OrderedDict[RegistryRef, tuple[bytes, Registry]] = OrderedDict()

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

    async def lookup(self, ref: RegistryRef, fetch: Fetch, *, fresh: bool) -> tuple[Registry, Outcome]:
        """The registry from the shared cache (unless `fresh`), another instance's call, or `fetch`.

        Raises RedisUnavailable only before `fetch` was called; its own errors pass through.
        """
        self._announcements.start()  # Socket Mode starts no server hook: the first lookup subscribes
        deadline = time.monotonic() + self._max_wait
        while True:
            token = secrets.token_hex(8)
            keys = [self._key("registry", ref), self._key("lock", ref)]
            args: list[str | int] = [token, self._lock_ms, "0" if fresh or self._ttl_ms <= 0 else "1"]
            found = await self._link.call(functools.partial(self._claim, keys=keys, args=args))
            if found[0] == 1:
                return self._parse(ref, found[1]), Outcome.HIT
            if found[0] == 2:
                return await self._fetch_and_announce(ref, fetch, token), Outcome.MISS
            heard = await self._wait_for_holder(ref, deadline)
            if isinstance(heard, Registry):
                return heard, Outcome.COALESCED
            if heard is _FAILED or time.monotonic() >= deadline:
                return await fetch(ref), Outcome.MISS
            # _GONE: the holder finished unheard or died; look again

    async def _claim(self, client: Redis, *, keys: list[str], args: list[str | int]) -> list[Any]:
        found: list[Any] = await self._claim_script(keys=keys, args=args, client=client)
        return found

    async def _fetch_and_announce(self, ref: RegistryRef, fetch: Fetch, token: str) -> Registry:
        try:
            registry = await fetch(ref)
        except BaseException:
            await self._announce(ref, token, b"")
            raise
        await self._announce(ref, token, self._remember(ref, registry))
        return registry

    async def _announce(self, ref: RegistryRef, token: str, payload: bytes) -> None:
        keys = [self._key("registry", ref), self._key("lock", ref)]
        args: list[str | bytes | int] = [token, payload, self._ttl_ms, self._key("done", ref)]

        async def run(client: Redis) -> object:
            return await self._publish(keys=keys, args=args, client=client)

        # Best effort: if Redis is gone, the waiters' own deadline or the outage sends them to Harness.
        with contextlib.suppress(RedisUnavailable):
            await self._link.call(run)

    async def _wait_for_holder(self, ref: RegistryRef, deadline: float) -> Registry | object:
        """The holder's registry, _FAILED (its lookup failed) or _GONE (no lock, or the deadline)."""
        channel = self._key("done", ref)
        future = self._announcements.expect(channel)
        try:
            while True:
                # Asked after subscribing, so a holder that finishes in between is heard or seen gone.
                held = await self._link.call(lambda r: r.exists(self._key("lock", ref)))
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
                    return self._parse(ref, payload) if payload else _FAILED
        finally:
            self._announcements.forget(channel, future)

    def _remember(self, ref: RegistryRef, registry: Registry) -> bytes:
        raw = registry.model_dump_json(by_alias=True).encode()
        self._keep(ref, raw, registry)
        return raw

    def _parse(self, ref: RegistryRef, raw: bytes) -> Registry:
        # The same JSON gives back the same object: the rendered card is kept per Registry object.
        kept = self._parsed.get(ref)
        if kept is not None and kept[0] == raw:
            self._parsed.move_to_end(ref)
            return kept[1]
        registry = Registry.model_validate_json(raw)
        self._keep(ref, raw, registry)
        return registry

    def _keep(self, ref: RegistryRef, raw: bytes, registry: Registry) -> None:
        self._parsed[ref] = (raw, registry)
        self._parsed.move_to_end(ref)
        while len(self._parsed) > PARSED_KEPT:
            self._parsed.popitem(last=False)

    def _key(self, kind: str, ref: RegistryRef) -> str:
        return f"{self._prefix}{kind}:{ref.path}"


_FAILED = object()
_GONE = object()
