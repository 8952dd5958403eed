"""What the subscription tests share: the sandbox's registries to subscribe to, and stores to open."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from bot.refs import RegistryRef
from devtools.registries import ACCOUNT, StoredRegistry, registries


def _first(kind: str) -> StoredRegistry:
    return next(r for r in registries() if (r.data.get("config") or {}).get("type") == kind and r.project)


VIRTUAL: Final = _first("VIRTUAL")
"""A virtual registry in a project of the sandbox: webhooks may be made on it."""
UPSTREAM: Final = next(r for r in registries() if (r.data.get("config") or {}).get("type") == "UPSTREAM")
REF: Final = RegistryRef(account=ACCOUNT, org=VIRTUAL.org, project=VIRTUAL.project, registry=VIRTUAL.name)


def sqlite_url(directory: Path) -> str:
    """A DATABASE_URL for a fresh SQLite file in `directory`."""
    return f"sqlite+aiosqlite:///{directory / 'harbot.db'}"
