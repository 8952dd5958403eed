"""An httpx transport for many requests at once to one host: idle HTTP/1.1 connections reused in O(1).

httpx's default transport keeps its connections in httpcore's `AsyncConnectionPool`, which walks every
connection, counting and polling the idle ones, each time a request starts or ends. With 300 lookups in
flight that walk took about 70% of the bot's CPU and added seconds to every answer (bench scenario 1),
whatever the `Limits`: a low cap sends a burst out in waves, a high one makes every walk longer.

Here each origin's idle connections wait on a stack. A request takes the most recently used one that is
still good (one readability poll tells whether the server closed it), or opens a new one; a response,
once closed, puts its connection back if it can carry another request. There is no cap on connections:
lookups are already one per Slack request, identical ones coalesced (bot.harness.lookups). Idle
connections close after `keepalive_expiry` seconds. Only public httpx and httpcore API is used; errors
come out as the httpx exceptions the default transport raises.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Final

import httpcore
import httpx

logger = logging.getLogger(__name__)

DEFAULT_KEEPALIVE_EXPIRY: Final = 15.0
"""Seconds an idle connection is kept: long enough to carry an incident's bursts, short enough that few
servers close it first (a closed one is noticed before reuse anyway)."""

# Most specific first: an httpcore.ReadTimeout becomes an httpx.ReadTimeout, not a TimeoutException.
_ERRORS: Final[tuple[tuple[type[Exception], type[httpx.HTTPError]], ...]] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """httpcore's exceptions raised as httpx's, the cause kept."""
    try:
        yield
    except Exception as exc:
        for source, target in _ERRORS:
            if isinstance(exc, source):
                raise target(str(exc)) from exc
        raise


class StackTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 keep-alive connections, idle ones on a stack per origin; no cap on how many are open."""

    def __init__(
        self,
        *,
        keepalive_expiry: float = DEFAULT_KEEPALIVE_EXPIRY,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._keepalive_expiry = keepalive_expiry
        self._ssl_context = ssl_context or httpx.create_ssl_context()
        self._backend = httpcore.AnyIOBackend()
        # Keyed by (scheme, host, port): httpcore.Origin compares by value but is not hashable.
        self._idle: dict[tuple[bytes, bytes, int], deque[tuple[float, httpcore.AsyncHTTPConnection]]] = {}
        self._open: set[httpcore.AsyncHTTPConnection] = set()

    @property
    def open_connections(self) -> int:
        """Connections open now, in use or idle."""
        return len(self._open)

    @property
    def idle_connections(self) -> int:
        """Connections open and waiting for a request."""
        return sum(len(stack) for stack in self._idle.values())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` on an idle connection to its origin, or on a new one."""
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        origin = core_request.url.origin
        while True:
            connection = await self._checkout(origin)
            try:
                with _as_httpx_errors():
                    response = await connection.handle_async_request(core_request)
            except httpcore.ConnectionNotAvailable:
                await self._release(origin, connection)
                continue  # not ready for a request after all: try the next one
            except BaseException:
                await self._release(origin, connection)
                raise
            break
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseBody(response, self, origin, connection),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close every connection, idle or not."""
        self._idle.clear()
        connections, self._open = self._open, set()
        for connection in connections:
            await connection.aclose()

    async def _checkout(self, origin: httpcore.Origin) -> httpcore.AsyncHTTPConnection:
        stack = self._idle.get((origin.scheme, origin.host, origin.port))
        while stack:
            _, connection = stack.pop()
            if connection.is_available() and not connection.has_expired():
                return connection
            await self._discard(connection)
        connection = httpcore.AsyncHTTPConnection(
            origin=origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            network_backend=self._backend,
        )
        self._open.add(connection)
        return connection

    async def _release(self, origin: httpcore.Origin, connection: httpcore.AsyncHTTPConnection) -> None:
        """Back on its origin's stack if it can carry another request, else closed; expired ones go too."""
        if connection not in self._open:
            return  # closed by aclose() meanwhile
        stack = self._idle.setdefault((origin.scheme, origin.host, origin.port), deque())
        now = time.monotonic()
        # The bottom of the stack has waited longest: close what has waited too long.
        while stack and now - stack[0][0] > self._keepalive_expiry:
            await self._discard(stack.popleft()[1])
        if connection.is_available():
            stack.append((now, connection))
        else:
            await self._discard(connection)

    async def _discard(self, connection: httpcore.AsyncHTTPConnection) -> None:
        self._open.discard(connection)
        await connection.aclose()


class _ResponseBody(httpx.AsyncByteStream):
    """The response's bytes; closing it hands the connection back to the transport."""

    def __init__(
        self,
        response: httpcore.Response,
        transport: StackTransport,
        origin: httpcore.Origin,
        connection: httpcore.AsyncHTTPConnection,
    ) -> None:
        self._response = response
        self._transport = transport
        self._origin = origin
        self._connection = connection
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for part in self._response.aiter_stream():
                yield part

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            with _as_httpx_errors():
                await self._response.aclose()
        finally:
            await self._transport._release(self._origin, self._connection)
