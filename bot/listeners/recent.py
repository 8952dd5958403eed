"""Recent lookups: every surface runs a Task's answer through `run_task`, which remembers the card it
drew (a registry, an artifact or a version) in the asker's short list that the Home tab shows.

Remembering never costs the answer: a store that fails or is slow is logged (a warning) and skipped.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, Literal

from bot.cards.artifact import artifact_value, read_value
from bot.parsing import InvalidScope, parse_scope
from bot.refs import ArtifactRef, RegistryRef, Target, VersionRef

if TYPE_CHECKING:
    from bot.access import Asker
    from bot.answers import Answer
    from bot.services import Services
    from bot.tasks import Task

logger = logging.getLogger(__name__)

Kind = Literal["registry", "artifact", "version"]
"""The `kind` column of recent_lookups."""
MAX_RECENT: Final = 10
"""Lookups the Home tab lists (the store keeps as many per user)."""
REMEMBER_PATIENCE: Final = 0.5
"""Seconds remembering a lookup may take before it is given up (the answer is ready and waiting)."""
MAX_STORED: Final = 900
"""Characters of a remembered ref at most (the column holds 912)."""


def stored(target: Target) -> tuple[Kind, str]:
    """How a lookup is kept: its kind, and the text `read_stored` reads back."""
    if isinstance(target, VersionRef):
        return "version", artifact_value(target)
    if isinstance(target, ArtifactRef):
        return "artifact", artifact_value(target)
    return "registry", target.path


def read_target(value: object, services: Services) -> Target | None:
    """What a stored lookup, a Home button or a search option carries (a registry's API registry_ref, or
    an artifact's or version's button value), or None for anything else."""
    if not isinstance(value, str):
        return None
    found = read_value(value)
    if found is not None:
        return found[0]
    try:
        return parse_scope(value, services.scope)
    except InvalidScope:
        return None


def read_registry(value: object, services: Services) -> RegistryRef | None:
    """The registry `value` names, or None (an artifact's value is not a registry)."""
    target = read_target(value, services)
    return target if isinstance(target, RegistryRef) else None


async def remember(user: str | None, target: Target, services: Services) -> None:
    """Put a lookup at the top of the user's recent list; a store failure or delay only logs."""
    kind, ref = stored(target)
    if user is None or len(ref) > MAX_STORED:
        return
    try:
        async with asyncio.timeout(REMEMBER_PATIENCE), services.store.transaction() as tx:
            await tx.lookups.record(user=user, kind=kind, ref=ref, at=datetime.now(UTC))
    except Exception as exc:  # the answer goes out all the same
        logger.warning("lookup not remembered kind=%s error=%s", kind, type(exc).__name__)


async def recent(user: str, services: Services) -> list[Target]:
    """The user's recent lookups (registries, artifacts, versions), newest first; none when the store
    cannot be read."""
    try:
        async with services.store.transaction() as tx:
            records = await tx.lookups.for_user(user, limit=MAX_RECENT)
    except Exception as exc:  # the Home tab still shows, without its recent list
        logger.warning("recent lookups unavailable error=%s", type(exc).__name__)
        return []
    targets = [read_target(record.ref, services) for record in records]
    return [target for target in targets if target is not None]


async def run_task(task: Task, services: Services, asker: Asker, *, surface: str) -> Answer:
    """Run `task` for `asker` and remember the card it drew: how every surface runs a Task's answer."""
    answer = await task.run(services.deps, asker, surface=surface)
    if answer.ok and answer.card_of is not None:
        await remember(asker.user, answer.card_of, services)
    return answer
