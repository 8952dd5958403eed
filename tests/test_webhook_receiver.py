"""POST /harness/webhooks/{identifier}: authenticated, checked, stored, then acknowledged; everything
else refused with the right status, one log line without the body, and nothing stored."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.store import Store
from bot.webhooks.receiver import MAX_BODY_BYTES, Receiver, delivery_key
from tests.store_fixtures import both_backends
from tests.support import LogWatch
from tests.webhook_support import IDENTIFIER, REF, SECRET, TOKEN, add_webhook, delivery, headers, serving

URL_PATH = f"/harness/webhooks/{IDENTIFIER}"


@pytest.fixture
async def webhook_store(store: Store) -> Store:
    await add_webhook(store)
    return store


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def status_of(request: Any) -> int:
    """The status of one request (read to the end, so the connection is reused)."""
    async with request as response:
        await response.read()
        return int(response.status)


async def stored(store: Store) -> tuple[int, int]:
    async with store.transaction() as tx:
        return await tx.deliveries.count(), await tx.events.count()


def refusals(watch: LogWatch) -> list[str]:
    return watch.messages("webhook delivery refused")


def delivery_ids(watch: LogWatch) -> list[object]:
    return [
        getattr(r, "delivery_id", "absent")
        for r in watch.records
        if r.getMessage().startswith("webhook delivery")
    ]


@both_backends
async def test_a_delivery_is_stored_with_its_event_then_acknowledged(
    webhook_store: Store, client: aiohttp.ClientSession
) -> None:
    woken: list[bool] = []
    receiver = Receiver(webhook_store, on_stored=lambda: woken.append(True))
    body = delivery()
    async with serving(receiver) as base:
        assert await status_of(client.post(base + URL_PATH, data=body, headers=headers(body))) == 200
    async with webhook_store.transaction() as tx:
        events = await tx.events.after(0)
        webhook = await tx.webhooks.by_identifier(IDENTIFIER)
        stored_delivery = await tx.deliveries.by_key(delivery_key(IDENTIFIER, body))
    assert woken == [True]
    assert [(e.registry, e.artifact, e.version, e.trigger, e.principal_name) for e in events] == [
        (REF, "payments-api", "1.4.2", "pushed", "Alice")
    ]
    assert (events[0].digest or "").startswith("sha256:ab12cd34")
    assert webhook is not None
    assert webhook.last_delivery_status == "accepted"
    assert stored_delivery is not None
    assert json.loads(stored_delivery.body)["trigger"] == "artifact_created"


async def test_a_deletion_is_stored_as_deleted(webhook_store: Store, client: aiohttp.ClientSession) -> None:
    body = delivery(trigger="artifact_deleted")
    async with serving(Receiver(webhook_store)) as base:
        assert await status_of(client.post(base + URL_PATH, data=body, headers=headers(body))) == 200
    async with webhook_store.transaction() as tx:
        assert [e.trigger for e in await tx.events.after(0)] == ["deleted"]


@both_backends
async def test_a_repeated_delivery_is_acknowledged_and_stored_once(
    webhook_store: Store, client: aiohttp.ClientSession
) -> None:
    body = delivery()
    with LogWatch() as watch:
        async with serving(Receiver(webhook_store, secret=SECRET)) as base:
            for _ in range(3):
                sent = headers(body, secret=SECRET)
                assert await status_of(client.post(base + URL_PATH, data=body, headers=sent)) == 200
    assert await stored(webhook_store) == (1, 1)
    assert len(watch.messages("webhook delivery repeated")) == 2
    assert refusals(watch) == []


@pytest.mark.parametrize(
    ("path", "sent", "secret", "status", "reason"),
    [
        pytest.param(URL_PATH, {"token": "wrong"}, None, 401, "token", id="forged-token"),
        pytest.param(URL_PATH, {"token": ""}, None, 401, "token", id="no-token"),
        pytest.param("/harness/webhooks/harbot_unknown", {}, None, 401, "token", id="unknown-webhook"),
        pytest.param(URL_PATH, {}, SECRET, 401, "unsigned", id="unsigned-when-secret-set"),
        pytest.param(URL_PATH, {"secret": "other"}, SECRET, 401, "signature", id="wrong-signature"),
    ],
)
async def test_unauthenticated_deliveries_are_refused_and_nothing_is_stored(
    webhook_store: Store,
    client: aiohttp.ClientSession,
    path: str,
    sent: dict[str, str],
    secret: str | None,
    status: int,
    reason: str,
) -> None:
    body = delivery()
    with LogWatch() as watch:
        async with serving(Receiver(webhook_store, secret=secret)) as base:
            assert (
                await status_of(client.post(base + path, data=body, headers=headers(body, **sent))) == status
            )
    assert await stored(webhook_store) == (0, 0)
    assert refusals(watch) == [f"webhook delivery refused reason={reason}"]
    assert delivery_ids(watch) == [delivery_key(path.rsplit("/", 1)[1], body)]
    assert "payments-api" not in watch.text()
    assert "SENTINEL" not in watch.text()


async def test_the_signature_is_accepted_in_either_header(
    webhook_store: Store, client: aiohttp.ClientSession
) -> None:
    async with serving(Receiver(webhook_store, secret=SECRET)) as base:
        for version, name in (("1", "X-Gitness-Signature"), ("2", "X-Harness-Signature")):
            body = delivery(version)
            assert (
                await status_of(
                    client.post(base + URL_PATH, data=body, headers=headers(body, secret=SECRET, name=name))
                )
                == 200
            )
    assert await stored(webhook_store) == (2, 2)


async def test_a_signed_body_changed_in_transit_is_refused(
    webhook_store: Store, client: aiohttp.ClientSession
) -> None:
    body = delivery()
    sent = headers(body, secret=SECRET)
    async with (
        serving(Receiver(webhook_store, secret=SECRET)) as base,
        client.post(base + URL_PATH, data=body.replace(b"1.4.2", b"6.6.6"), headers=sent) as response,
    ):
        assert response.status == 401
    assert await stored(webhook_store) == (0, 0)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param(b"[]", id="a-list"),
        pytest.param(b'{"trigger": "artifact_created"}', id="no-artifact"),
        pytest.param(delivery().replace(b"artifact_created", b"repo_pushed"), id="other-trigger"),
        pytest.param(delivery().replace(b'"version":"1.4.2"', b'"version":""'), id="empty-version"),
    ],
)
async def test_malformed_deliveries_are_refused_with_400(
    webhook_store: Store, client: aiohttp.ClientSession, body: bytes
) -> None:
    with LogWatch() as watch:
        async with serving(Receiver(webhook_store)) as base:
            assert await status_of(client.post(base + URL_PATH, data=body, headers=headers(body))) == 400
    assert await stored(webhook_store) == (0, 0)
    assert refusals(watch) == ["webhook delivery refused reason=malformed"]


async def test_an_oversized_delivery_is_refused_before_authentication(
    webhook_store: Store, client: aiohttp.ClientSession
) -> None:
    body = b"{" + b" " * MAX_BODY_BYTES + b"}"
    with LogWatch() as watch:
        async with serving(Receiver(webhook_store)) as base:
            assert (
                await status_of(client.post(base + URL_PATH, data=body, headers=headers(body, token="wrong")))
                == 413
            )

            # Chunked, with no Content-Length: cut off while reading.
            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(5):
                    yield b" " * (MAX_BODY_BYTES // 4)

            assert await status_of(client.post(base + URL_PATH, data=chunks(), headers=headers(b""))) == 413
    assert await stored(webhook_store) == (0, 0)
    assert refusals(watch) == ["webhook delivery refused reason=too_large"] * 2
    assert delivery_ids(watch) == [None, None]


async def test_an_unusable_database_answers_503_so_harness_retries(
    client: aiohttp.ClientSession, tmp_path: object
) -> None:
    broken = Store.from_url("sqlite+aiosqlite:////nonexistent-dir-for-harbot/x/harbot.db")
    body = delivery()
    with LogWatch() as watch:
        async with serving(Receiver(broken)) as base:
            assert await status_of(client.post(base + URL_PATH, data=body, headers=headers(body))) == 503
    await broken.aclose()
    assert watch.messages("webhook delivery not stored") == [
        "webhook delivery not stored: database unavailable"
    ]
    assert TOKEN not in watch.text()


async def test_healthz_answers(webhook_store: Store, client: aiohttp.ClientSession) -> None:
    async with serving(Receiver(webhook_store)) as base, client.get(base + "/healthz") as response:
        assert response.status == 200
