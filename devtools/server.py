"""What both stand-ins are: an aiohttp server on a free loopback port that records what reaches it."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

LOOPBACK: Final = "127.0.0.1"
WAIT_SECONDS: Final = 10.0
"""How long a `wait_for` waits for something to arrive before it fails: a bound, not a timing assertion."""
SECRET_HEADERS: Final = frozenset({"authorization", "x-api-key", "cookie"})


@dataclass
class Recorded:
    """A request that reached a stand-in.

    `headers` are kept whole, so tests can check which credential was sent; `repr` and `public_headers`
    leave the secret ones out, so a failing assertion or the playground's log never shows a key.
    """

    path: str
    """The request target exactly as it arrived, query string included."""
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    at: float
    peer: Any = None
    """The client's (host, port): two requests with the same one came over the same connection."""
    method: str = "GET"
    query: dict[str, list[str]] = field(default_factory=dict)
    """The query string, each name with every value it was given, in order."""

    @property
    def route(self) -> str:
        """The path without its query string."""
        return self.path.split("?", 1)[0]

    def public_headers(self) -> dict[str, str]:
        """The headers minus credentials."""
        return {k: v for k, v in self.headers.items() if k.lower() not in SECRET_HEADERS}

    def json(self) -> Any:
        """The body as JSON, or form-decoded when it is a form post."""
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return dict(urllib.parse.parse_qsl(self.body.decode()))
        return json.loads(self.body)


class Server:
    """An aiohttp server on 127.0.0.1 and a port the OS picks; `requests` is what arrived, in order."""

    def __init__(self, *, keep: bool = True, cancel_on_disconnect: bool = False) -> None:
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.requests: list[Recorded] = []
        self.count = 0
        """How many requests arrived (kept or not)."""
        self.keep = keep
        """False: keep no requests (a benchmark's stand-in stays cheap); observers still see each one."""
        self.observers: list[Callable[[Recorded], None]] = []
        """Called with every request as it arrives."""
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._arrived = asyncio.Event()
        self._cancel = cancel_on_disconnect

    @property
    def url(self) -> str:
        """The base URL, no trailing slash."""
        return f"http://{LOOPBACK}:{self.port}"

    async def start(self) -> None:
        """Listen (with a backlog large enough for a burst of hundreds of connections)."""
        self._runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, handler_cancellation=self._cancel
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, LOOPBACK, 0, backlog=2048).start()
        address: tuple[str, int] = self._runner.addresses[0]
        self.port = address[1]

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def record(self, request: web.Request) -> Recorded:
        """Keep what arrived, tell the observers and wake any waiter."""
        recorded = Recorded(
            path=request.raw_path,
            headers=dict(request.headers),
            body=await request.read(),
            at=time.monotonic(),
            peer=request.transport.get_extra_info("peername") if request.transport else None,
            method=request.method,
            query={key: request.query.getall(key) for key in request.query},
        )
        self.count += 1
        if self.keep:
            self.requests.append(recorded)
        for observe in self.observers:
            observe(recorded)
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
