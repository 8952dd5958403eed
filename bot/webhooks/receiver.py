"""`POST /harness/webhooks/{identifier}`: Harness artifact webhook deliveries, the entry layer for Harness
as bot/slack/entry.py is for Slack.

In this order, each step refusing with one log line (never the body; `delivery_id` in JSON logs):
1. size: at most MAX_BODY_BYTES, checked before and while reading (413);
2. the webhook's token, in TOKEN_HEADER (Harness sends it as a masked extra header), compared in
   constant time with the stored hash; an unknown identifier is refused exactly as a wrong token (401);
3. when HARNESS_WEBHOOK_SECRET is set, the HMAC-SHA256 of the body, lowercase hex, in
   X-Gitness-Signature or X-Harness-Signature (401 when missing or wrong);
4. the body's shape (bot.webhooks.deliveries; 400);
5. stored, delivery and event in one transaction, then 200. A delivery stored already (the same body to
   the same webhook: Harness retrying or retriggering) is answered 200 and stored nothing new. When the
   database cannot be written the answer is 503, so Harness delivers again: nothing acknowledged is lost.

The new events are handed to `on_events` inside the storing transaction (bot.posting.fanout.queue_all
fills the outbox there, so an acknowledged delivery always has its posts); after the commit `on_stored` is
called (the poster wakes up and reads the outbox), and `on_changed` once per stored batch with the
registries that have new events (the Home tabs showing them are drawn again). `accept` and `seen` are the
same path for catching up (bot.posting.catchup): bodies read back from Harness's executions, trusted
already, stored marked late.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.metrics import record_delivery
from bot.store import EventRecord, NewEvent, Store, Transaction, WebhookRecord, token_matches
from bot.webhooks.deliveries import ArtifactDelivery

logger = logging.getLogger(__name__)

OnEvents = Callable[[Transaction, Sequence[EventRecord], datetime], Awaitable[object]]
"""Called with the new events in the transaction that stores them (and their deliveries)."""
OnChanged = Callable[[frozenset[str]], object]
"""Called after a commit that stored new events, with their registries (`registry_ref` paths)."""

WEBHOOK_ROUTE: Final = "/harness/webhooks/{identifier}"
HEALTH_PATH: Final = "/healthz"
TOKEN_HEADER: Final = "X-Harbot-Token"  # noqa: S105 (a header name)
SIGNATURE_HEADERS: Final = ("X-Gitness-Signature", "X-Harness-Signature")
MAX_BODY_BYTES: Final = 256 * 1024
STORED_BODY_CHARS: Final = 64 * 1024
"""What of a body is kept in `deliveries.body` (Harness's artifact deliveries are about 1 KiB)."""
BATCH: Final = 500
"""Deliveries stored per transaction at most, when a burst has them waiting (bench.webhooks: 200 left
a burst of 1,000 at p99 0.95 s on SQLite, 500 at 0.65 s)."""


def webhook_url(public_url: str, identifier: str) -> str:
    """Where Harness delivers for the webhook `identifier`, under PUBLIC_URL."""
    return public_url.rstrip("/") + WEBHOOK_ROUTE.format(identifier=identifier)


def delivery_key(identifier: str, body: bytes) -> str:
    """The idempotency key: Harness sends no delivery id in the request (only its executions list has
    one), so the sha256 of the webhook and the body, which a retry or a retrigger repeats unchanged."""
    return hashlib.sha256(identifier.encode() + b"\n" + body).hexdigest()


def sign(body: bytes, secret: str) -> str:
    """The signature Harness sends for `body`: HMAC-SHA256, lowercase hex, no prefix."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class TooLarge(Exception):
    """The body is longer than MAX_BODY_BYTES."""


class Refused(Exception):
    """A delivery not to be stored: `status`, and `reason` for the log line and the metric."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Receiver:
    """The handler, with the store, the signing secret (None: not checked) and the hook to call."""

    def __init__(
        self,
        store: Store,
        *,
        secret: str | None = None,
        on_stored: Callable[[], None] | None = None,
        on_events: OnEvents | None = None,
        on_changed: OnChanged | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.secret = secret.encode() if secret else None
        self.on_stored = on_stored
        self.on_events = on_events
        self.on_changed = on_changed
        self.clock = clock
        self._queue: list[_Item] = []
        self._writer: asyncio.Task[None] | None = None

    async def handle(self, request: web.Request) -> web.Response:
        identifier = request.match_info.get("identifier", "")
        try:
            body = await read_capped(request)
        except TooLarge:
            return _refused(413, "too_large", identifier, None)
        key = delivery_key(identifier, body)
        try:
            stored = await self._store(identifier, body, key, request)
        except Refused as refusal:
            return _refused(refusal.status, refusal.reason, identifier, key)
        except (SQLAlchemyError, OSError):
            logger.exception(
                "webhook delivery not stored: database unavailable",
                extra={"delivery_id": key, "webhook": identifier},
            )
            record_delivery("failed", "database")
            return web.json_response({"error": "try again"}, status=503)
        if not stored:
            logger.info("webhook delivery repeated, stored already", extra={"delivery_id": key})
            record_delivery("repeated")
            return web.json_response({"ok": True, "repeated": True})
        record_delivery("accepted")
        logger.debug("webhook delivery stored", extra={"delivery_id": key})
        if self.on_stored is not None:
            self.on_stored()
        return web.json_response({"ok": True})

    async def _store(self, identifier: str, body: bytes, key: str, request: web.Request) -> bool:
        """Authenticate, check the shape, and store; whether it was new. Refused: nothing written."""
        signature = next(
            (request.headers[name] for name in SIGNATURE_HEADERS if name in request.headers), None
        )
        item = _Item(identifier, request.headers.get(TOKEN_HEADER, ""), signature, body, key)
        self._queue.append(item)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await item.outcome

    async def _write(self) -> None:
        """Group commit: every delivery waiting is checked and stored in one transaction, so a burst costs
        a few commits rather than one each (SQLite has one writer; PostgreSQL saves round trips)."""
        while self._queue:
            batch, self._queue = self._queue[:BATCH], self._queue[BATCH:]
            try:
                results, registries = await self._write_batch(batch)
            except Exception as exc:
                for item in batch:
                    if not item.outcome.done():
                        item.outcome.set_exception(exc)
                continue
            for item, result in zip(batch, results, strict=True):
                if isinstance(result, Refused):
                    item.outcome.set_exception(result)
                else:
                    item.outcome.set_result(result)
            self._changed(registries)

    async def _write_batch(self, batch: list[_Item]) -> tuple[list[bool | Refused], frozenset[str]]:
        """Each item's outcome (stored: True, stored already: False, or refused), and the registries of
        the events stored."""
        async with self.store.transaction() as tx:
            webhooks = {}
            for identifier in {item.identifier for item in batch if item.identifier}:
                webhooks[identifier] = await tx.webhooks.by_identifier(identifier)
            now = self.clock()
            checked: list[tuple[_Item, WebhookRecord, ArtifactDelivery] | Refused] = []
            for item in batch:
                webhook = webhooks.get(item.identifier)
                try:
                    # Hash anyway when the webhook is unknown: the answer takes as long as for a wrong token.
                    valid = token_matches(item.token, webhook.token_hash if webhook else "0" * 64)
                    if webhook is None or not valid:
                        raise Refused(401, "token")
                    self._check_signature(item.body, item.signature)
                    checked.append((item, webhook, parse(item.body)))
                except Refused as refusal:
                    checked.append(refusal)
            accepted = [entry for entry in checked if not isinstance(entry, Refused)]
            ids = await tx.deliveries.add_many(
                [
                    {"key": item.key, "webhook_id": webhook.id, "received_at": now, "body": _kept(item.body)}
                    for item, webhook, _ in accepted
                ]
            )
            new: list[tuple[NewEvent, int | None]] = []
            for item, webhook, delivery in accepted:
                delivery_id = ids.pop(item.key, None)  # popped: the same body twice in a batch is stored once
                if delivery_id is not None:
                    new.append((delivery.event(webhook.registry, at=now), delivery_id))
                    item.stored = True
            events = await tx.events.add_many(new)
            await self._handed_on(tx, events, now)
            for webhook_id in {webhook.id for _, webhook, _ in accepted}:
                await tx.webhooks.mark_delivery(webhook_id, at=now, status="accepted")
        outcomes = [entry if isinstance(entry, Refused) else entry[0].stored for entry in checked]
        return outcomes, frozenset(event.registry for event in events)

    async def _handed_on(self, tx: Transaction, events: list[EventRecord], now: datetime) -> None:
        if self.on_events is not None and events:
            await self.on_events(tx, events, now)

    def _changed(self, registries: frozenset[str]) -> None:
        """Tell `on_changed` (after the commit); what it raises is logged, the deliveries are stored."""
        if self.on_changed is None or not registries:
            return
        try:
            self.on_changed(registries)
        except Exception:
            logger.exception("on_changed failed after storing events of %d registries", len(registries))

    async def accept(self, webhook: WebhookRecord, body: bytes, when: datetime) -> bool:
        """Store a body read back from the webhook's executions (trusted: Harness's own record), its event
        at `when` and marked late; whether it was new. A body that does not parse is skipped (False)."""
        try:
            delivery = parse(body)
        except Refused:
            logger.warning("catch-up: an execution's body does not read as a delivery; skipped")
            return False
        key = delivery_key(webhook.identifier, body)
        now = self.clock()
        async with self.store.transaction() as tx:
            ids = await tx.deliveries.add_many(
                [{"key": key, "webhook_id": webhook.id, "received_at": now, "body": _kept(body)}]
            )
            delivery_id = ids.get(key)
            if delivery_id is None:
                return False
            event = delivery.event(webhook.registry, at=when, late=True)
            await self._handed_on(tx, await tx.events.add_many([(event, delivery_id)]), now)
        if self.on_stored is not None:
            self.on_stored()
        self._changed(frozenset({webhook.registry}))
        return True

    async def seen(self, webhook: WebhookRecord, bodies: list[bytes]) -> set[bytes]:
        """Which of these bodies, delivered to `webhook`, are stored already."""
        keys = {delivery_key(webhook.identifier, body): body for body in bodies}
        async with self.store.transaction() as tx:
            known = await tx.deliveries.seen(list(keys))
        return {keys[key] for key in known}

    def _check_signature(self, body: bytes, given: str | None) -> None:
        if self.secret is None:
            return
        if not given:
            raise Refused(401, "unsigned")
        expected = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        # Tolerate a `sha256=` prefix and uppercase hex: the same MAC, written another way.
        presented = given.strip().lower().removeprefix("sha256=")
        if not hmac.compare_digest(expected.encode(), presented.encode("ascii", "replace")):
            raise Refused(401, "signature")


@dataclass(slots=True)
class _Item:
    """One delivery waiting for the writer, and where its outcome goes."""

    identifier: str
    token: str
    signature: str | None
    body: bytes
    key: str
    stored: bool = False
    outcome: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


def _kept(body: bytes) -> str:
    return body[: STORED_BODY_CHARS * 4].decode("utf-8", "replace")[:STORED_BODY_CHARS]


def parse(body: bytes) -> ArtifactDelivery:
    """The delivery, or Refused(400, "malformed")."""
    try:
        return ArtifactDelivery.model_validate(json.loads(body))
    except (ValueError, ValidationError):  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise Refused(400, "malformed") from None


async def read_capped(request: web.Request) -> bytes:
    """The body, or TooLarge as soon as it is longer than MAX_BODY_BYTES (before reading, when the
    request says its length)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.readany():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _refused(status: int, reason: str, identifier: str, key: str | None) -> web.Response:
    logger.warning(
        "webhook delivery refused reason=%s",
        reason,
        extra={"delivery_id": key, "reason": reason, "webhook": identifier[:128]},
    )
    record_delivery("refused", reason)
    messages = {401: "not authenticated", 413: "too large", 400: "malformed delivery"}
    return web.json_response({"error": messages.get(status, "refused")}, status=status)


def add_routes(app: web.Application, receiver: Receiver) -> None:
    """Mount POST /harness/webhooks/{identifier} on an app (the HTTP mode's server)."""
    app.router.add_post(WEBHOOK_ROUTE, receiver.handle)


def webhook_app(receiver: Receiver) -> web.Application:
    """A server with this route and GET /healthz only: what Socket Mode listens with on PORT."""

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    add_routes(app, receiver)
    app.router.add_get(HEALTH_PATH, healthz)
    return app
