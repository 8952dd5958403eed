"""Artifact and version lookups: the calls each card needs, cached and coalesced in the one cache.

Tags and listings move, so they are kept briefly (kind ARTIFACT); what is looked up by digest never
changes, so it is kept long (kind DIGEST). A Docker tag without a digest costs one call for its manifests
(which give the digests) and then, like any version with a digest, two calls side by side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

from bot.caching import ARTIFACT, DIGEST, Cache
from bot.harness.artifacts import (
    ArtifactList,
    ArtifactSummary,
    DockerDetail,
    FileList,
    Manifests,
    VersionDetail,
    VersionFacts,
    VersionList,
)
from bot.harness.client import HarnessClient
from bot.refs import ArtifactRef, RegistryRef, VersionRef

PAGE_SIZE = 10
FILES_PAGE = 20


class ArtifactLookups:
    """Artifacts, versions and a registry's artifacts through one HarnessClient."""

    def __init__(self, client: HarnessClient, *, ttl: float | None = None) -> None:
        self.client = client
        # One cache per kind of body (all of kind ARTIFACT), so each keeps its own type.
        self._summaries: Cache[ArtifactRef, ArtifactSummary] = Cache(ARTIFACT, ttl=ttl)
        self._versions: Cache[Hashable, VersionList] = Cache(ARTIFACT, ttl=ttl)
        self._artifacts: Cache[Hashable, ArtifactList] = Cache(ARTIFACT, ttl=ttl)
        self._manifests_of: Cache[VersionRef, Manifests] = Cache(ARTIFACT, ttl=ttl)
        self._by_tag: Cache[Hashable, VersionFacts] = Cache(ARTIFACT, ttl=ttl)
        self._by_digest: Cache[Hashable, VersionFacts] = Cache(DIGEST, ttl=ttl)

    async def artifact(self, ref: ArtifactRef, *, fresh: bool = False) -> tuple[ArtifactSummary, VersionList]:
        """The artifact's summary and its newest versions (their count, the latest)."""
        summary, versions = await asyncio.gather(
            self._summary(ref, fresh), self.versions(ref, 0, fresh=fresh)
        )
        return summary, versions

    async def versions(
        self, ref: ArtifactRef, page: int, *, search_term: str | None = None, fresh: bool = False
    ) -> VersionList:
        """One page of versions, newest first."""
        key = (ref, page, search_term)
        value, _ = await self._versions.fetch(
            key,
            lambda: self.client.list_versions(ref, page=page, size=PAGE_SIZE, search_term=search_term),
            fresh=fresh,
        )
        return value

    async def artifacts(
        self, ref: RegistryRef, page: int, *, search_term: str | None = None, fresh: bool = False
    ) -> ArtifactList:
        """One page of a registry's artifacts, by name."""
        key = (ref, page, search_term)
        value, _ = await self._artifacts.fetch(
            key,
            lambda: self.client.list_artifacts(ref, page=page, size=PAGE_SIZE, search_term=search_term),
            fresh=fresh,
        )
        return value

    async def version(
        self, ref: VersionRef, package_type: str, *, fresh: bool = False
    ) -> tuple[VersionRef, VersionFacts]:
        """The version's facts, and its ref with the digest the card is about (for Docker: the one asked
        for, else the first platform's)."""
        manifests: Manifests | None = None
        if package_type == "DOCKER":
            manifests = await self._manifests(ref, fresh)
            if ref.digest is None and manifests.manifests:
                first = next((m.digest for m in manifests.manifests if m.digest), None)
                if first is not None:
                    ref = VersionRef(ref.artifact, ref.version, first) if ref.version else ref
        load = lambda: self._facts(ref, package_type, manifests)  # noqa: E731
        if ref.digest is not None:
            facts, _ = await self._by_digest.fetch((ref, package_type), load, fresh=fresh)
        else:
            facts, _ = await self._by_tag.fetch((ref, package_type), load, fresh=fresh)
        # The cached object itself, so the card rendered for it is reused (bot.cards.rendered).
        return ref, facts

    async def _summary(self, ref: ArtifactRef, fresh: bool) -> ArtifactSummary:
        value, _ = await self._summaries.fetch(ref, lambda: self.client.artifact_summary(ref), fresh=fresh)
        return value

    async def _manifests(self, ref: VersionRef, fresh: bool) -> Manifests:
        value, _ = await self._manifests_of.fetch(ref, lambda: self.client.docker_manifests(ref), fresh=fresh)
        return value

    async def _facts(self, ref: VersionRef, package_type: str, manifests: Manifests | None) -> VersionFacts:
        detail_call = self.client.version_detail(ref)
        docker: DockerDetail | None = None
        files: FileList | None = None
        if package_type == "DOCKER" and ref.digest is not None:
            detail, docker = await asyncio.gather(detail_call, self.client.docker_detail(ref))
        elif package_type == "HELM":
            detail, docker = await asyncio.gather(detail_call, self.client.helm_detail(ref))
        elif package_type == "DOCKER":
            detail = await detail_call
        else:
            detail, files = await asyncio.gather(detail_call, self.client.version_files(ref, size=FILES_PAGE))
        found: VersionDetail | None = detail
        return VersionFacts(detail=found, docker=docker, manifests=manifests, files=files)
