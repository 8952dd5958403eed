"""`Deps`: what the work behind an answer uses, and nothing more.

Tasks (bot.commands, bot.finding) and bot.answers take a `Deps`, never the process-wide `Services`: they
see the lookups, the searches, the allow-lists, the default scope and the Harness UI address, so the flow
points one way (services builds a Deps; nothing below it knows services exists).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.access import AccessPolicy
from bot.harness.lookups import RegistryLookups
from bot.harness.searches import RegistrySearches
from bot.harness.versions import ArtifactLookups
from bot.parsing import ScopeContext

if TYPE_CHECKING:
    from bot.posting.service import PostingService


@dataclass(frozen=True, slots=True)
class Deps:
    """The narrow dependencies of an answer, built once per process by bot.services."""

    lookups: RegistryLookups
    """Registry lookups: cached and coalesced (across instances with Redis)."""
    searches: RegistrySearches
    """Lists, searches and client set-up steps, briefly cached and coalesced."""
    access: AccessPolicy
    """The allow-lists."""
    scope: ScopeContext
    """The account and the default org/project text is read against."""
    ui_base: str
    """The Harness UI's base URL, for links on cards."""
    artifacts: ArtifactLookups | None = None
    """Artifact and version lookups (issue 16), cached briefly, and long by digest."""
    posting: PostingService | None = None
    """Subscriptions, the timeline's events and the channel checks (issue 17): what bot.watching's Tasks
    use; None where no Slack token is set (nothing could be posted)."""
