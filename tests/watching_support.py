"""What the subscription tests share: the sandbox's registries to subscribe to, and stores to open."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aiohttp import web

from bot.refs import RegistryRef
from devtools.harness import HarnessStandIn
from devtools.registries import ACCOUNT, API_KEY, StoredRegistry, registries
from devtools.slack import SlackStandIn
from tests.conftest import Bot, serve_bot


def _first(kind: str) -> StoredRegistry:
    return next(r for r in registries() if (r.data.get("config") or {}).get("type") == kind and r.project)


VIRTUAL: Final = _first("VIRTUAL")
"""A virtual registry in a project of the sandbox: webhooks may be made on it."""
UPSTREAM: Final = next(r for r in registries() if (r.data.get("config") or {}).get("type") == "UPSTREAM")
REF: Final = RegistryRef(account=ACCOUNT, org=VIRTUAL.org, project=VIRTUAL.project, registry=VIRTUAL.name)


PUBLIC: Final = "https://harbot.example.com"
"""The PUBLIC_URL subscribing bots run with (Harness's webhooks point there)."""


def sqlite_url(directory: Path) -> str:
    """A DATABASE_URL for a fresh SQLite file in `directory`."""
    return f"sqlite+aiosqlite:///{directory / 'harbot.db'}"


async def serve_subscribing_bot(
    slack: SlackStandIn, sandbox: HarnessStandIn, directory: Path
) -> tuple[Bot, web.AppRunner]:
    """The real app against the sandbox Harness, with a PUBLIC_URL and a fresh SQLite store in
    `directory`: what subscribing needs. Stop it with `stop_bot`."""
    return await serve_bot(
        slack,
        sandbox,
        harness_api_key=API_KEY,
        harness_account_id=ACCOUNT,
        public_url=PUBLIC,
        database_url=sqlite_url(directory),
    )
