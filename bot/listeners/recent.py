"""Recent lookups: every surface runs a Task's answer through `run_task`, which remembers the card it
drew (a registry, an artifact or a version) in the asker's short list that the Home tab shows.

Remembering never costs the answer: it is a dictionary write, the database write follows in a batch
(bot.store.behind), and a store that fails or is slow is logged (a warning) and skipped.
`run_task` also tells `services.home` (bot.redraws) what changed for the Home tabs this process drew: the
asker's recent list, or the subscriptions of the asker's channel (every Subscribe and Unsubscribe Task,
from any surface, runs through here); their redraws happen in the background.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, Literal

from bot.cards.artifact import artifact_value, read_value
from bot.parsing import InvalidScope, parse_scope
from bot.refs import ArtifactRef, RegistryRef, Target, VersionRef
from bot.watching import Subscribe, Unsubscribe

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


def remember(user: str | None, target: Target, services: Services) -> None:
    """Put a lookup at the top of the user's recent list, soon (bot.store.behind: written in a batch
    with the others of the moment, never on the answer's path)."""
    kind, ref = stored(target)
    if user is not None and len(ref) <= MAX_STORED:
        services.recent_writes.add(user=user, kind=kind, ref=ref, at=datetime.now(UTC))


async def recent(user: str, services: Services) -> list[Target]:
    """The user's recent lookups (registries, artifacts, versions), newest first; none when the store
    cannot be read. What is waiting to be written is written first, so the list has it."""
    try:
        await services.recent_writes.flush()
        async with services.store.transaction() as tx:
            records = await tx.lookups.for_user(user, limit=MAX_RECENT)
    except Exception as exc:  # the Home tab still shows, without its recent list
        logger.warning("recent lookups unavailable error=%s", type(exc).__name__)
        return []
    targets = [read_target(record.ref, services) for record in records]
    return [target for target in targets if target is not None]


async def run_task(task: Task, services: Services, asker: Asker, *, surface: str) -> Answer:
    """Run `task` for `asker` and remember the card it drew: how every surface runs a Task's answer.
    The Home tabs showing what it changed are drawn again, after it, in the background."""
    answer = await task.run(services.deps, asker, surface=surface)
    if not answer.ok:
        return answer
    if answer.card_of is not None:
        remember(asker.user, answer.card_of, services)  # written with the others; Home redrawn after
    if isinstance(task, Subscribe | Unsubscribe) and asker.channel is not None:
        services.home.changed(users=[asker.user], channels=[asker.channel])
    return answer
