"""The command table: every word the bot understands, with its aliases, usage, summary and handler.

Every surface reads user text with `understand`: the slash command, DMs and mentions alike. Help, the
manifest's `usage_hint` and the parser are all derived from `COMMANDS`, so they cannot drift apart.

A handler reads the words after its own and returns either a `Reply` to give at once (help, a usage
hint) or a `Task`: the slow work, which the surface runs after acknowledging Slack.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from bot.answers import Answer, look_up
from bot.cards import Reply, help_reply, invalid_scope_reply
from bot.parsing import InvalidScope, ScopeContext, parse_scope
from bot.refs import RegistryRef

if TYPE_CHECKING:
    from bot.access import Asker
    from bot.services import Services

SLASH_COMMAND: Final = "/har"


@dataclass(frozen=True)
class Surface:
    """Where the text came from: the prefix people type there, and how much help to give."""

    prefix: str
    """"/har", "@harbot", or "" in a DM, where the bare text works."""
    conversational: bool = False
    """In a DM or a mention people also just chat: unreadable text gets the whole help, led by why."""


SLASH: Final = Surface(SLASH_COMMAND)
DIRECT: Final = Surface("", conversational=True)
MENTION: Final = Surface("@harbot", conversational=True)


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

    async def run(self, services: Services, asker: Asker, *, surface: str) -> Answer:
        """Do the work and return the answer to deliver."""
        ...


@dataclass(frozen=True)
class Lookup:
    """Look one registry up and answer with its card."""

    ref: RegistryRef
    public: bool = False

    @property
    def subject(self) -> str:
        return self.ref.short

    async def run(self, services: Services, asker: Asker, *, surface: str) -> Answer:
        answer = await look_up(
            self.ref,
            services,
            surface=surface,
            asker=asker,
            requested_by=None if self.public else asker.user,
            shared_by=asker.user if self.public else None,
            shareable=not self.public,
        )
        return dataclasses.replace(answer, public=self.public and answer.ok)


Understood = Task | Reply
Handler = Callable[[str, ScopeContext, Surface], Understood]


@dataclass(frozen=True)
class Command:
    """One word the bot understands. `word` is "" for the lookup itself (text with no command word)."""

    word: str
    aliases: tuple[str, ...]
    usage: str
    """What follows the prefix, as help shows it: "share <registry>"."""
    summary: str
    example: str
    """A complete example after the prefix, or "" when the usage is example enough."""
    handler: Handler

    @property
    def words(self) -> tuple[str, ...]:
        return (self.word, *self.aliases) if self.word else ()


def _lookup(text: str, ctx: ScopeContext, surface: Surface) -> Understood:
    try:
        return Lookup(parse_scope(text, ctx))
    except InvalidScope as exc:
        if surface.conversational:
            return help_reply(ctx, COMMANDS, command=surface.prefix, problem=exc)
        return invalid_scope_reply(exc, ctx)


def _help(text: str, ctx: ScopeContext, surface: Surface) -> Understood:
    return help_reply(ctx, COMMANDS, command=surface.prefix)


def _share(text: str, ctx: ScopeContext, surface: Surface) -> Understood:
    if not text.strip():
        return help_reply(ctx, COMMANDS, command=surface.prefix)  # `/har share` alone: nothing to share
    understood = understand(text, ctx, surface)
    if isinstance(understood, Reply):
        return understood
    return dataclasses.replace(understood, public=True)  # type: ignore[type-var]


COMMANDS: Final[tuple[Command, ...]] = (
    Command(
        "",
        (),
        "<registry>",
        "a registry's card: a name, org/name, org/project/name or a link from Harness",
        "payments/checkout/docker-prod",
        _lookup,
    ),
    Command(
        "share",
        ("public", "--share", "--public"),
        "share <registry>",
        "the card for the whole channel (else only you see it)",
        "share payments/docker-prod",
        _share,
    ),
    Command("help", ("-h", "--help", "?", "usage"), "help", "this help", "", _help),
)
"""In the order help lists them."""

_BY_WORD: Final[dict[str, Command]] = {word: c for c in COMMANDS for word in c.words}
_LOOKUP: Final = COMMANDS[0]


def understand(text: str, ctx: ScopeContext, surface: Surface = SLASH) -> Understood:
    """What `text` asks for: a Task to run, or the Reply to give at once (help, a usage hint)."""
    words = text.split()
    if not words:
        return help_reply(ctx, COMMANDS, command=surface.prefix)
    first = _BY_WORD.get(words[0].lower())
    if first is not None:
        return first.handler(text.split(maxsplit=1)[1] if len(words) > 1 else "", ctx, surface)
    last = _BY_WORD.get(words[-1].lower())
    if last is not None and last.word == "share":
        return last.handler(text.rsplit(maxsplit=1)[0], ctx, surface)  # `/har docker-prod share`
    return _LOOKUP.handler(text, ctx, surface)


def usage_hint() -> str:
    """The slash command's usage hint in manifest.yml: every command's usage, in table order."""
    return " | ".join(command.usage for command in COMMANDS)
