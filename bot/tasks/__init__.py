"""The Tasks: the slow work a command asks for, run after Slack has its acknowledgement, in one place.

A Task is a frozen value the command table (bot.commands) returns for text it understood. The surface
(slash command, DM, mention, button) acknowledges Slack, then awaits `task.run(deps, asker,
surface=...)` in the background and delivers the Answer. Tasks see only `Deps` (bot.deps), never the
process-wide services. A new kind of work is a new Task here, returned by a handler in bot.commands.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.answers import Answer, look_up
from bot.cards import CardOptions
from bot.finding import find_and_show, list_page, pull_answer
from bot.harness.searches import ListQuery
from bot.refs import RegistryRef

if TYPE_CHECKING:
    from bot.access import Asker
    from bot.deps import Deps


class Task(Protocol):
    """Work a command asks for, run after Slack has its acknowledgement."""

    @property
    def public(self) -> bool:
        """Whether the answer is for the whole channel (errors never are)."""
        ...

    @property
    def subject(self) -> str:
        """What the bot is working on, for "Looking up `…`" when it takes a while."""
        ...

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        """Do the work and return the answer to deliver."""
        ...


@dataclass(frozen=True)
class Lookup:
    """Look one registry up and answer with its card."""

    ref: RegistryRef
    public: bool = False
    bare: bool = False
    """Typed as a bare name: when it is not in the default scope, the account is searched for it."""

    @property
    def subject(self) -> str:
        return self.ref.short

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        if self.bare:
            answer = await find_and_show(self.ref, deps, asker, surface=surface, public=self.public)
            return dataclasses.replace(answer, public=self.public and answer.ok)
        card = CardOptions.for_asker(asker.user, public=self.public)
        answer = await look_up(self.ref, deps, surface=surface, asker=asker, card=card)
        return dataclasses.replace(answer, public=self.public and answer.ok)


@dataclass(frozen=True)
class Listing:
    """List a space (or search it, with a term): one page of the list card."""

    query: ListQuery
    public: bool = False

    @property
    def subject(self) -> str:
        return self.query.search_term or self.query.space.short or "the account"

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        return await list_page(self.query, deps, asker, surface=surface)


@dataclass(frozen=True)
class Pull:
    """How to pull from a registry: its client set-up steps, for the asker only."""

    ref: RegistryRef
    bare: bool = False
    public: bool = False

    @property
    def subject(self) -> str:
        return self.ref.short

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        if self.bare:
            return await find_and_show(self.ref, deps, asker, surface=surface, public=False, pull=True)
        return await pull_answer(self.ref, deps, asker, surface=surface)


__all__ = ["Listing", "Lookup", "Pull", "Task"]
