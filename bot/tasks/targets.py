"""From what the text named to the Task that answers it: a registry, an artifact, a version, or text
that reads more than one way (`Resolve`).

`a/b/c` may be the registry `c` in project `a/b`, or an artifact in registry `b` of org `a`, or the
artifact `b/c` in registry `a` (bot.parsing.targets). When one reading is a registry (the parser puts
it first), `Resolve` answers with that registry, exactly as before artifacts were read (same Harness
calls, same errors), adding the exact `/+/` spelling of the artifact readings when the registry is not
found. When every reading is an artifact, it answers with the first that Harness knows, else as the
first would.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answers import Answer
from bot.cards import Reply
from bot.cards.blocks import context
from bot.parsing import Ambiguous, spelled
from bot.refs import ArtifactRef, RegistryRef, Target, VersionRef
from bot.tasks import Lookup, Task
from bot.tasks.artifacts import ArtifactLookup, VersionLookup

if TYPE_CHECKING:
    from bot.access import Asker
    from bot.deps import Deps

MAX_READINGS = 3
"""Readings of one text tried at most (each costs a Harness call or two)."""


def task_for(target: Target, *, public: bool = False) -> Task:
    """The Task that answers with `target`'s card."""
    if isinstance(target, VersionRef):
        return VersionLookup(target, public=public)
    if isinstance(target, ArtifactRef):
        return ArtifactLookup(target, public=public)
    return Lookup(target, public=public)


@dataclass(frozen=True)
class Resolve:
    """Text that reads as several refs: the first reading Harness knows answers."""

    ambiguous: Ambiguous
    public: bool = False

    @property
    def subject(self) -> str:
        return self.ambiguous.text

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        readings = self.ambiguous.readings[:MAX_READINGS]
        first = await task_for(readings[0], public=self.public).run(deps, asker, surface=surface)
        if first.ok or isinstance(readings[0], RegistryRef):
            # Text that names a registry means that registry, as it always has: no second guess costs a
            # Harness call on every typo; the hint names the artifact readings exactly.
            return first if first.ok else dataclasses.replace(first, reply=_with_hint(first.reply, readings))
        for reading in readings[1:]:
            answer = await task_for(reading, public=self.public).run(deps, asker, surface=surface)
            if answer.ok:
                return answer
        return dataclasses.replace(first, reply=_with_hint(first.reply, readings))


def _with_hint(reply: Reply, readings: tuple[Target, ...]) -> Reply:
    """The first reading's error, and the exact spellings of the others."""
    others = [f"`{spelled(r)}`" for r in readings[1:] if not isinstance(r, RegistryRef)]
    if not others:
        return reply
    hint = "If you meant an artifact, name it exactly: " + " or ".join(others) + "."
    return Reply(text=f"{reply.text} {hint}", blocks=[*reply.blocks, context(hint)])
