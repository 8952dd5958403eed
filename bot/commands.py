"""The command table: every word the bot understands, with its aliases, usage, summary and handler.

Every surface reads user text with `understand`: the slash command, DMs and mentions alike. Help, the
manifest's `usage_hint` and the parser are all derived from `COMMANDS`, so they cannot drift apart.

A handler reads the words after its own and returns either a `Reply` to give at once (help, a usage
hint) or a `Task` (bot.tasks): the slow work, which the surface runs after acknowledging Slack.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from bot.cards import Reply, escape, help_reply, invalid_scope_reply
from bot.cards.listing import list_error
from bot.finding.queries import find_term, list_query
from bot.harness.searches import ListQuery
from bot.names import BOT_HANDLE, SLASH_COMMAND
from bot.parsing import Ambiguous, InvalidScope, ScopeContext, parse_scope, parse_target
from bot.refs import SpaceRef
from bot.tasks import Listing, Lookup, Pull, Task
from bot.tasks.artifacts import ArtifactLookup, VersionLookup
from bot.tasks.targets import Resolve, task_for
from bot.watching import changes_handler, subscribe_handler, subscriptions_handler, unsubscribe_handler


@dataclass(frozen=True)
class Surface:
    """Where the text came from: the prefix people type there, and how much help to give."""

    prefix: str
    """SLASH_COMMAND, BOT_HANDLE, or "" in a DM, where the bare text works."""
    conversational: bool = False
    """In a DM or a mention people also just chat: unreadable text gets the whole help, led by why."""


SLASH: Final = Surface(SLASH_COMMAND)
DIRECT: Final = Surface("", conversational=True)
MENTION: Final = Surface(BOT_HANDLE, conversational=True)


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


def _bare(text: str) -> bool:
    """A bare registry name: no scope, no link, no registry_ref (all of which have a slash)."""
    return "/" not in text


def _lookup(text: str, ctx: ScopeContext, surface: Surface) -> Understood:
    try:
        if _bare(text):
            return Lookup(parse_scope(text, ctx), bare=True)
        try:
            target = parse_target(text, ctx)
        except InvalidScope:
            return Lookup(
                parse_scope(text, ctx)
            )  # what parse_scope reads and parse_target refuses, or its reason
        if isinstance(target, Ambiguous):
            return Resolve(target)
        return task_for(target)
    except InvalidScope as exc:
        if surface.conversational:
            return _help_reply(ctx, surface, problem=exc)
        return invalid_scope_reply(exc, ctx)


def _help(text: str, ctx: ScopeContext, surface: Surface) -> Understood:
    return _help_reply(ctx, surface)


SHAREABLE = (Lookup, ArtifactLookup, VersionLookup, Resolve)
"""Tasks whose answer `share` puts in the channel."""


def _share(text: str, ctx: ScopeContext, surface: Surface) -> Understood:
    if not text.strip():
        return _help_reply(ctx, surface)  # `/har share` alone: nothing to share yet
    understood = understand(text, ctx, surface)
    if not isinstance(understood, SHAREABLE):
        return understood  # help, a usage hint, or an answer only the asker sees (list, find, pull)
    return dataclasses.replace(understood, public=True)


def _usage(command: Command, surface: Surface, problem: str) -> Reply:
    """What was wrong with a command's arguments, its usage and its example."""
    prefix = f"{surface.prefix} " if surface.prefix else ""
    example = f" For example: `{escape(prefix + command.example)}`." if command.example else ""
    return list_error(escape(problem), f"Usage: `{escape(prefix + command.usage)}`.{example}")


def _list(text: str, ctx: ScopeContext, surface: Surface) -> Understood:
    try:
        return Listing(list_query(text, ctx))
    except InvalidScope as exc:
        return _usage(_BY_WORD["list"], surface, exc.reason)


def _find(text: str, ctx: ScopeContext, surface: Surface) -> Understood:
    if not text.strip():
        return _usage(_BY_WORD["find"], surface, "Tell me part of the registry's name to look for.")
    try:
        term = find_term(text)
    except InvalidScope as exc:
        return _usage(_BY_WORD["find"], surface, exc.reason)
    return Listing(ListQuery(SpaceRef(account=ctx.account_id), search_term=term))


def _pull(text: str, ctx: ScopeContext, surface: Surface) -> Understood:
    if not text.strip():
        return _usage(_BY_WORD["pull"], surface, "Tell me which registry to pull from.")
    try:
        return Pull(parse_scope(text, ctx), bare=_bare(text))
    except InvalidScope as exc:
        return invalid_scope_reply(exc, ctx)


COMMANDS: Final[tuple[Command, ...]] = (
    Command(
        "",
        (),
        "<registry>[/<artifact>[:<tag>]]",
        "a registry's card (a name, org/name, org/project/name or a link from Harness), or an artifact's or "
        "a version's inside it (…/<artifact>, …/<artifact>:<tag>, …@sha256:<digest>, or its link); "
        "<registry>/+/<artifact> when a name could be read both ways",
        "payments/checkout/docker-prod/checkout-api:2.14.0",
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
    Command(
        "list",
        ("ls", "--list"),
        "list [<org>[/<project>]] [<type>]",
        "registries in the account, an org or a project and below, 20 to a page; "
        "<type> is a package type (docker, npm…), virtual or upstream",
        "list payments docker",
        _list,
    ),
    Command(
        "find",
        ("search", "--find"),
        "find <text>",
        "registries anywhere in the account whose name contains the text",
        "find checkout",
        _find,
    ),
    Command(
        "pull",
        ("how-to-pull", "setup", "--pull"),
        "pull <registry>",
        "how to set up a client and pull from a registry (only you see it)",
        "pull payments/docker-prod",
        _pull,
    ),
    Command(
        "subscribe",
        ("watch",),
        "subscribe <registry>[/<artifact-glob>[:<tag-glob>]] [pushes|deletes]",
        "post this channel a message when a version is pushed or deleted (both unless you say)",
        "subscribe payments/docker-prod/payments-*:1.* pushes",
        subscribe_handler,
    ),
    Command(
        "unsubscribe",
        ("unwatch",),
        "unsubscribe <registry>[/<artifact-glob>[:<tag-glob>]]",
        "stop one of this channel's subscriptions",
        "unsubscribe payments/docker-prod/payments-*:1.*",
        unsubscribe_handler,
    ),
    Command(
        "subscriptions",
        ("watching",),
        "subscriptions",
        "this channel's subscriptions, each with an Unsubscribe button",
        "",
        subscriptions_handler,
    ),
    Command(
        "changes",
        ("timeline", "history"),
        "changes <registry>[/<artifact>] [since 2h|today|<ISO time>]",
        "what was pushed and deleted, when and by whom, newest first (the last 24 hours unless you say)",
        "changes payments/docker-prod since 2h",
        changes_handler,
    ),
    Command("help", ("-h", "--help", "?", "usage"), "help", "this help", "", _help),
)
"""In the order help lists them."""

_BY_WORD: Final[dict[str, Command]] = {word: c for c in COMMANDS for word in c.words}
_LOOKUP: Final = COMMANDS[0]


def _help_reply(ctx: ScopeContext, surface: Surface, problem: InvalidScope | None = None) -> Reply:
    """The help card: the forms of a lookup, then every other command of the table."""
    return help_reply(ctx, COMMANDS, command=surface.prefix, problem=problem)


def understand(text: str, ctx: ScopeContext, surface: Surface = SLASH) -> Understood:
    """What `text` asks for: a Task to run, or the Reply to give at once (help, a usage hint)."""
    words = text.split()
    if not words:
        return _help_reply(ctx, surface)
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
