"""Who may look: optional allow-lists of Slack workspaces, channels and users, and of Harness scopes.

Every list is off (empty) by default. When one is set, a lookup from outside it is refused before any
Harness call: `answers.fetch` calls `AccessPolicy.check` first, on every surface, unfurls included.

- Workspaces, channels and users are Slack ids (`T…`, `C…`/`G…`, `U…`/`W…`). Direct messages (`D…`
  channels: a DM with the bot, or `/har` run in any DM) pass the channel list, since the answer there
  is the asker's alone (or, shared, the one other person's too); the workspace and user lists still
  apply.
- A Harness scope entry is an org (`payments`: the org and all its projects) or one project
  (`payments/checkout`). Registries at the account level belong to no org, so they are refused once
  the list is set, unless it holds `@account`. References into another account are always refused
  while the list is set: the entries name scopes of the bot's own account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from bot.settings import ACCOUNT_SCOPE

if TYPE_CHECKING:
    from bot.refs import RegistryRef, SpaceRef
    from bot.settings import Settings

__all__ = ["AccessPolicy", "Asker", "NotAllowed", "Refusal"]

Refusal = Literal["team", "channel", "user", "scope"]
"""Which list turned a lookup down: the first three are about the asker, "scope" about the registry."""


def _id(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class Asker:
    """Who asked and where, as Slack names them; None where the request did not say."""

    team: str | None = None
    channel: str | None = None
    user: str | None = None

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> Asker:
        """The ids Bolt read from the request, the same way for commands, events and buttons."""
        return cls(
            team=_id(context.get("team_id")),
            channel=_id(context.get("channel_id")),
            user=_id(context.get("user_id")),
        )


class NotAllowed(Exception):
    """An allow-list turned the lookup down. `refusal` says which; the message is for the log."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"not allowed by ALLOWED_{_SETTING[refusal]}")
        self.refusal = refusal


_SETTING: dict[Refusal, str] = {
    "team": "SLACK_TEAMS",
    "channel": "SLACK_CHANNELS",
    "user": "SLACK_USERS",
    "scope": "HARNESS_SCOPES",
}


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """The allow-lists; an empty one allows everything."""

    account: str
    teams: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessPolicy:
        """The lists ALLOWED_SLACK_TEAMS, _CHANNELS, _USERS and ALLOWED_HARNESS_SCOPES configure."""
        return cls(
            account=settings.account_id,
            teams=frozenset(settings.allowed_slack_teams),
            channels=frozenset(settings.allowed_slack_channels),
            users=frozenset(settings.allowed_slack_users),
            scopes=frozenset(settings.allowed_harness_scopes),
        )

    def refusal(self, asker: Asker, ref: RegistryRef) -> Refusal | None:
        """Which list turns this lookup down, or None when every list allows it."""
        refusal = self.asker_refusal(asker)
        if refusal is None and self.scopes and not self.covers(ref):
            return "scope"
        return refusal

    def asker_refusal(self, asker: Asker) -> Refusal | None:
        """Which Slack list turns the asker down, or None when they may ask at all."""
        if self.teams and asker.team not in self.teams:
            return "team"
        if self.channels and not _direct(asker.channel) and asker.channel not in self.channels:
            return "channel"
        if self.users and asker.user not in self.users:
            return "user"
        return None

    def space_refusal(self, asker: Asker, space: SpaceRef) -> Refusal | None:
        """Which list turns down listing `space` (and the scopes below it), or None.

        A space is listable when ALLOWED_HARNESS_SCOPES covers it or a scope below it; each result is
        still checked with `covers`, so what is shown is only ever what a lookup would be allowed.
        """
        refusal = self.asker_refusal(asker)
        if refusal is not None or not self.scopes:
            return refusal
        if space.account != self.account:
            return "scope"
        if space.org is None:
            return None
        if space.org in self.scopes:
            return None
        if space.project is not None:
            return None if f"{space.org}/{space.project}" in self.scopes else "scope"
        return None if any(entry.startswith(f"{space.org}/") for entry in self.scopes) else "scope"

    def covers(self, ref: RegistryRef) -> bool:
        """Whether ALLOWED_HARNESS_SCOPES lets the bot look into the registry's scope."""
        if not self.scopes:
            return True
        if ref.account != self.account:
            return False
        if ref.org is None:
            return ACCOUNT_SCOPE in self.scopes
        return ref.org in self.scopes or (
            ref.project is not None and f"{ref.org}/{ref.project}" in self.scopes
        )

    def check(self, asker: Asker, ref: RegistryRef) -> None:
        """Raise NotAllowed when a list turns this lookup down."""
        refusal = self.refusal(asker, ref)
        if refusal is not None:
            raise NotAllowed(refusal)


def _direct(channel: str | None) -> bool:
    """A direct message with the bot: Slack gives those channel ids starting with D."""
    return channel is not None and channel.startswith("D")
