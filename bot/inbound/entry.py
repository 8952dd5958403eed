"""The Slack entry layer, the same for HTTP and Socket Mode: size, signature (HTTP), payload shape,
repeated deliveries, then a request Bolt supports.

HTTP: each POST /slack/events is at most MAX_BODY_BYTES (else 413) and signed by Slack within the last
5 minutes (else 401; Slack's unsigned `ssl_check` gets a bare 200). Socket Mode envelopes are
authenticated by the WebSocket itself. Both then go through `Entry.dispatch`: a payload of the shape Slack
sends (else 400, or an empty acknowledgement in Socket Mode), an event id not answered already (else an
empty 200), and only then Bolt. Bolt gets the payload we parsed as a dict, never a body to parse again:
its own form parsing takes any body holding the word "payload" for a button click (`/har
payments/payload-store`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol

from aiohttp import web
from multidict import CIMultiDictProxy
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.inbound.payloads import MalformedRequest, check_payload, is_ssl_check, read_payload

logger = logging.getLogger(__name__)

EVENTS_PATH: Final = "/slack/events"
HEALTH_PATH: Final = "/healthz"
MAX_BODY_BYTES: Final = 256 * 1024
"""Slack's payloads are a few KB; anything far larger is not from Slack."""
JSON_TYPE: Final = "application/json"
# Headers Bolt reads besides the body: the retry count and reason go into its context.
_PASSED_HEADERS: Final = ("x-slack-retry-num", "x-slack-retry-reason")


class EventIds(Protocol):
    """Where the entry asks whether an event id is new (bot.state: in this process, or on Redis)."""

    async def first_seen(self, event_id: str) -> bool: ...


class Entry:
    """Checks a Slack payload, drops repeated events, and dispatches the rest to Bolt."""

    def __init__(self, app: AsyncApp, events: EventIds) -> None:
        self._app = app
        self._events = events

    async def dispatch(
        self, payload: dict[str, Any], headers: dict[str, str], *, max_bytes: int | None = None
    ) -> BoltResponse:
        """Bolt's answer to a payload read from HTTP or Socket Mode: 400 when it is not Slack's shape, 413
        when its JSON is over `max_bytes` (HTTP bodies are capped before they are read)."""
        if max_bytes is not None:
            size = len(json.dumps(payload))
            if size > max_bytes:
                logger.warning("oversized Slack payload rejected bytes=%d", size)
                return BoltResponse(status=413, body='{"error": "too large"}')
        try:
            check_payload(payload)
        except MalformedRequest as exc:
            logger.warning("malformed Slack request rejected reason=%r", exc.reason)
            return BoltResponse(status=400, body='{"error": "malformed request"}')
        event_id = payload.get("event_id") if payload.get("type") == "event_callback" else None
        if isinstance(event_id, str) and not await self._events.first_seen(event_id):
            logger.info("repeated event ignored event_id=%s", event_id)
            return BoltResponse(status=200, body="")
        return await self._app.async_dispatch(bolt_request(payload, headers))

    def http_handler(self, signing_secret: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        """The aiohttp handler for Slack's Request URL."""
        verifier = SignatureVerifier(signing_secret)

        async def slack_events(request: web.Request) -> web.Response:
            raw = await request.read()
            if not _signed(verifier, raw, request.headers):
                if is_ssl_check(raw):
                    # Slack checks a slash command URL's certificate with an unsigned request: say yes,
                    # and dispatch nothing (a body smuggled in beside ssl_check=1 never reaches Bolt).
                    return web.Response(status=200)
                logger.info("request without a valid Slack signature rejected")
                return web.json_response({"error": "invalid request"}, status=401)
            try:
                # The signature check has decoded the body already: Slack signs UTF-8 text.
                payload = read_payload(raw.decode("utf-8"), request.content_type)
            except MalformedRequest as exc:
                logger.warning("malformed Slack request rejected reason=%r", exc.reason)
                return web.json_response({"error": "malformed request"}, status=400)
            headers = {name: request.headers[name] for name in _PASSED_HEADERS if name in request.headers}
            return await to_aiohttp_response(await self.dispatch(payload, headers))

        return slack_events

    async def on_socket_request(self, client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        """A Socket Mode envelope: dispatched like an HTTP request, answered on the socket."""
        headers = {}
        if request.retry_attempt is not None:
            headers["x-slack-retry-num"] = str(request.retry_attempt)
        if request.retry_reason is not None:
            headers["x-slack-retry-reason"] = request.retry_reason
        payload = request.payload if isinstance(request.payload, dict) else {}
        response = await self.dispatch(payload, headers, max_bytes=MAX_BODY_BYTES)
        await client.send_socket_mode_response(_socket_response(request.envelope_id, response))


def bolt_request(payload: dict[str, Any], headers: dict[str, str]) -> AsyncBoltRequest:
    """A Bolt request that Bolt, and `to_copyable()` (used by its lazy listeners), read exactly.

    The parsed payload goes in as the dict itself, as Bolt's own Socket Mode adapter passes it: in mode
    "socket_mode" Bolt keeps the dict (also when copying) and parses nothing; the mode changes nothing
    else once Bolt's request verification is off (ours has run).
    """
    return AsyncBoltRequest(body=payload, headers={**headers}, mode="socket_mode")


def _socket_response(envelope_id: str, response: BoltResponse) -> SocketModeResponse:
    """The acknowledgement of an envelope, carrying Bolt's answer (a command's help, say) when it has one."""
    if response.status != 200 or not response.body:
        return SocketModeResponse(envelope_id=envelope_id)
    content_type = response.headers.get("content-type", [""])[0]
    if content_type.startswith(JSON_TYPE):
        return SocketModeResponse(envelope_id=envelope_id, payload=json.loads(response.body))
    return SocketModeResponse(envelope_id=envelope_id, payload={"text": response.body})


def _signed(verifier: SignatureVerifier, body: bytes, headers: CIMultiDictProxy[str]) -> bool:
    """Whether Slack signed this body within the last 5 minutes.

    A malformed timestamp, or a body that is not UTF-8 (Slack signs text), counts as unsigned.
    """
    try:
        return verifier.is_valid(
            body=body,
            timestamp=headers.get("X-Slack-Request-Timestamp"),
            signature=headers.get("X-Slack-Signature"),
        )
    except ValueError:
        return False
