"""Harness webhook deliveries as the open-source server sends them, and a receiver on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from bot.store import Store
from bot.webhooks.receiver import TOKEN_HEADER, Receiver, sign, webhook_app

REF: Final = "payments/checkout/docker-prod"
IDENTIFIER: Final = "harbot_docker_prod"
TOKEN: Final = "per-webhook-token-SENTINEL-TOKEN"
SECRET: Final = "harness-secret-SENTINEL-HMAC"
NOW: Final = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def delivery(
    version: str = "1.4.2", *, trigger: str = "artifact_created", artifact: str = "payments-api"
) -> bytes:
    """A delivery body as `ArtifactEventPayload` serialises (Go's encoding/json: compact)."""
    body: dict[str, Any] = {
        "trigger": trigger,
        "registry": {
            "id": 7,
            "name": "docker-prod",
            "description": "",
            "url": "https://app.harness.io/ng/r/7",
        },
        "principal": {
            "id": 3,
            "uid": "alice",
            "display_name": "Alice",
            "email": "alice@example.com",
            "type": "user",
            "created": 1733560000000,
            "updated": 1733560000000,
        },
        "artifact_info": {
            "type": "DOCKER",
            "name": artifact,
            "version": version,
            "artifact": {
                "name": artifact,
                "ref": f"docker-prod/{artifact}:{version}",
                "url": f"https://pkg.harness.io/docker-prod/{artifact}:{version}",
                "tag": version,
                "digest": "sha256:ab12cd34" + "0" * 56,
            },
        },
    }
    return json.dumps(body, separators=(",", ":")).encode()


def headers(
    body: bytes, *, token: str = TOKEN, secret: str | None = None, name: str = "X-Gitness-Signature"
) -> dict[str, str]:
    """What Harness sends: its headers, the masked extra header, the signature when a secret is set."""
    sent = {
        "Content-Type": "application/json",
        "X-Gitness-Trigger": "artifact_created",
        "X-Gitness-Webhook-Identifier": IDENTIFIER,
        TOKEN_HEADER: token,
    }
    if secret is not None:
        sent[name] = sign(body, secret)
    return sent


async def add_webhook(store: Store, *, identifier: str = IDENTIFIER, registry: str = REF) -> None:
    async with store.transaction() as tx:
        await tx.webhooks.add(registry=registry, identifier=identifier, token=TOKEN, at=NOW)


@asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[str]:
    """The receiver's own app (route + /healthz) on 127.0.0.1; its base URL."""
    runner = web.AppRunner(webhook_app(receiver), access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, backlog=2048).start()
    address: tuple[str, int] = runner.addresses[0]
    try:
        yield f"http://127.0.0.1:{address[1]}"
    finally:
        await runner.cleanup()
