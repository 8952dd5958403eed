"""Tasks inside a registry: an artifact's card, a version's card, a page of versions or of artifacts.

Each first reads the registry through `bot.answers.fetch` (the allow-lists, the cached lookup, the log
line), which also says the package type and whether the registry exists; then the artifact lookups. A
part that is not there is named ("I couldn't find version `2.14.1` of `checkout-api`…") with up to five
close names from Harness's own listing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from bot.access import NotAllowed
from bot.answers import Answer, fetch
from bot.cards import CardOptions, error_reply, refusal_reply
from bot.cards.artifact import (
    Missing,
    artifact_card,
    artifacts_page,
    compact_artifact,
    not_found,
    versions_page,
)
from bot.cards.version import compact_version, version_card
from bot.finding import edit_distance
from bot.harness.errors import HarnessError, HarnessStatusError, NotFound
from bot.harness.versions import ArtifactLookups
from bot.refs import ArtifactRef, InvalidScope, RegistryRef, VersionRef

if TYPE_CHECKING:
    from bot.access import Asker
    from bot.deps import Deps
    from bot.harness.models import Registry

logger = logging.getLogger(__name__)

MAX_CHOICES = 5


def _lookups(deps: Deps) -> ArtifactLookups:
    if deps.artifacts is None:
        raise RuntimeError("Deps.artifacts is not set: bot.services builds it")
    return deps.artifacts


async def _registry(ref: RegistryRef, deps: Deps, asker: Asker, surface: str) -> Registry | Answer:
    """The registry, or the answer that says why not (refused, not found, Harness failing)."""
    try:
        return await fetch(ref, deps, asker=asker, surface=surface)
    except NotAllowed as exc:
        return Answer(reply=refusal_reply(ref, about_scope=exc.refusal == "scope"), ok=False)
    except NotFound:
        return Answer(reply=not_found("registry", ref), ok=False)
    except HarnessError as exc:
        return Answer(reply=error_reply(exc), ok=False)


def _closest(name: str, names: Sequence[str]) -> list[str]:
    cutoff = max(3, len(name) // 2)
    scored = sorted({(edit_distance(name, other), other) for other in names if other})
    return [other for distance, other in scored if distance <= cutoff][:MAX_CHOICES]


async def _missing_artifact(ref: ArtifactRef, lookups: ArtifactLookups) -> Answer:
    try:
        listed = await lookups.artifacts(ref.registry, 0, search_term=ref.name[:3] or None)
        names = [a.name for a in listed.artifacts]
    except HarnessError:
        names = []
    return _missing("artifact", ref, [_artifact(ref.registry, n) for n in _closest(ref.name, names)])


def _artifact(registry: RegistryRef, name: str) -> ArtifactRef | None:
    try:
        return ArtifactRef(registry, name)
    except InvalidScope:
        return None


def _missing(
    missing: Missing, ref: ArtifactRef | VersionRef, choices: Sequence[ArtifactRef | VersionRef | None]
) -> Answer:
    return Answer(reply=not_found(missing, ref, [c for c in choices if c is not None]), ok=False)


class _Drawn(TypedDict):
    ui_base: str
    requested_by: str | None
    shared_by: str | None
    shareable: bool
    looked_up_at: int


def _drawn(deps: Deps, asker: Asker, public: bool) -> _Drawn:
    """How the card is drawn for `asker`: shared with the channel, or theirs alone (shareable); now."""
    card = CardOptions.for_asker(asker.user, public=public)
    return _Drawn(
        ui_base=deps.ui_base,
        requested_by=card.requested_by,
        shared_by=card.shared_by,
        shareable=card.shareable,
        looked_up_at=int(time.time()),
    )


@dataclass(frozen=True)
class ArtifactLookup:
    """Look one artifact up and answer with its card."""

    ref: ArtifactRef
    public: bool = False
    fresh: bool = False

    @property
    def subject(self) -> str:
        return self.ref.short

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        registry = await _registry(self.ref.registry, deps, asker, surface)
        if isinstance(registry, Answer):
            return registry
        try:
            summary, versions = await _lookups(deps).artifact(self.ref, fresh=self.fresh)
        except NotFound:
            return await _missing_artifact(self.ref, _lookups(deps))
        except HarnessError as exc:
            return Answer(reply=error_reply(exc), ok=False)
        if not summary.package_type:
            summary = summary.model_copy(update={"package_type": registry.package_type})
        reply = artifact_card(self.ref, summary, versions, **_drawn(deps, asker, self.public))
        return Answer(reply=reply, ok=True, public=self.public, card_of=self.ref)


@dataclass(frozen=True)
class VersionLookup:
    """Look one version (a tag, a digest, or both) up and answer with its card."""

    ref: VersionRef
    public: bool = False
    fresh: bool = False

    @property
    def subject(self) -> str:
        return self.ref.short

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        registry = await _registry(self.ref.registry, deps, asker, surface)
        if isinstance(registry, Answer):
            return registry
        lookups = _lookups(deps)
        try:
            ref, facts = await lookups.version(self.ref, registry.package_type, fresh=self.fresh)
        except HarnessStatusError as exc:
            # Harness answers an unknown Docker tag with a 500, not a 404 (NOTES.md): ask the listing.
            return await self._missing_or(exc, lookups)
        except HarnessError as exc:
            return Answer(reply=error_reply(exc), ok=False)
        reply = version_card(ref, facts, **_drawn(deps, asker, self.public))
        return Answer(reply=reply, ok=True, public=self.public, card_of=self.ref)

    async def _missing_or(self, exc: HarnessStatusError, lookups: ArtifactLookups) -> Answer:
        artifact = self.ref.artifact
        wanted = self.ref.version or self.ref.digest or ""
        try:
            listed = await lookups.versions(artifact, 0, search_term=wanted[:3] or None)
            names = [v.name for v in listed.versions]
            if wanted in names:
                return Answer(reply=error_reply(exc), ok=False)  # it exists: Harness failed on it
            if not names:
                newest = await lookups.versions(artifact, 0)
                names = [v.name for v in newest.versions]
        except NotFound:
            return await _missing_artifact(artifact, lookups)
        except HarnessError:
            return Answer(reply=error_reply(exc), ok=False)
        choices = [_version(artifact, n) for n in _closest(wanted, names)]
        return _missing("version", self.ref, choices)


def _version(artifact: ArtifactRef, name: str) -> VersionRef | None:
    try:
        return VersionRef(artifact, name)
    except InvalidScope:
        return None


@dataclass(frozen=True)
class VersionsPage:
    """One page of an artifact's versions, newest first (the card's "Versions" button)."""

    ref: ArtifactRef
    page: int = 0
    public: bool = False

    @property
    def subject(self) -> str:
        return self.ref.short

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        registry = await _registry(self.ref.registry, deps, asker, surface)
        if isinstance(registry, Answer):
            return registry
        try:
            versions = await _lookups(deps).versions(self.ref, self.page)
        except NotFound:
            return await _missing_artifact(self.ref, _lookups(deps))
        except HarnessError as exc:
            return Answer(reply=error_reply(exc), ok=False)
        return Answer(reply=versions_page(self.ref, versions, page=self.page), ok=True, private=True)


@dataclass(frozen=True)
class ArtifactsPage:
    """One page of a registry's artifacts (the registry card's "Artifacts" button)."""

    ref: RegistryRef
    page: int = 0
    public: bool = False

    @property
    def subject(self) -> str:
        return self.ref.short

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        registry = await _registry(self.ref, deps, asker, surface)
        if isinstance(registry, Answer):
            return registry
        try:
            listed = await _lookups(deps).artifacts(self.ref, self.page)
        except HarnessError as exc:
            return Answer(reply=error_reply(exc), ok=False)
        return Answer(reply=artifacts_page(self.ref, listed, page=self.page), ok=True, private=True)


async def unfurl_card(
    ref: ArtifactRef | VersionRef, deps: Deps, asker: Asker
) -> dict[str, list[dict[str, object]]] | None:
    """The compact card for an artifact or version link, or None: a lookup that fails or is refused
    shows nothing under somebody else's message (logged, as for registry links)."""
    try:
        registry = await fetch(ref.registry, deps, asker=asker, surface="unfurl")
        lookups = _lookups(deps)
        if isinstance(ref, VersionRef):
            resolved, facts = await lookups.version(ref, registry.package_type)
            return compact_version(resolved, facts, ui_base=deps.ui_base)
        summary, versions = await lookups.artifact(ref)
    except HarnessError as exc:
        logger.warning("unfurl lookup failed url_ref=%s error=%s", ref.path, type(exc).__name__)
        return None
    except NotAllowed as exc:
        logger.info("unfurl refused url_ref=%s refusal=%s", ref.path, exc.refusal)
        return None
    if not summary.package_type:
        summary = summary.model_copy(update={"package_type": registry.package_type})
    latest = versions.versions[0].name if versions.versions else None
    return compact_artifact(ref, summary, latest, ui_base=deps.ui_base)
