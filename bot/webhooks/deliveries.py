"""The body of a Harness artifact webhook delivery, as the open-source server builds it
(`registry/services/webhook/handler_artifact.go`, `ArtifactEventPayload`; docs/harness/NOTES.md).

Tolerant of new fields and of `null`s; strict on what an event needs: the trigger, the registry's name
and URL, the artifact's name and version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.store import NewEvent, Trigger

TRIGGERS: Final[dict[str, Trigger]] = {"artifact_created": "pushed", "artifact_deleted": "deleted"}
TEXT: Final = 256


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class RegistryInfo(_Model):
    id: int | None = None
    name: str = Field(min_length=1, max_length=TEXT)
    description: str | None = None
    url: str | None = None


class PrincipalInfo(_Model):
    id: int | None = None
    uid: str | None = None
    display_name: str | None = None
    email: str | None = None
    type: str | None = None


class ArtifactDetail(_Model):
    """`DockerArtifact`/`HelmArtifact` ({name, ref, url, tag, digest}) or `CommonArtifact` ({name, ref,
    package_type, version})."""

    name: str | None = None
    ref: str | None = None
    url: str | None = None
    tag: str | None = None
    digest: str | None = None
    package_type: str | None = None
    version: str | None = None


class ArtifactInfo(_Model):
    type: str | None = None
    name: str = Field(min_length=1, max_length=TEXT)
    version: str = Field(min_length=1, max_length=TEXT)
    artifact: ArtifactDetail | None = None


class ArtifactDelivery(_Model):
    trigger: Literal["artifact_created", "artifact_deleted"]
    registry: RegistryInfo
    principal: PrincipalInfo | None = None
    artifact_info: ArtifactInfo

    @field_validator("trigger", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    def event(self, registry_ref: str, *, at: datetime, late: bool = False) -> NewEvent:
        """The event this delivery reports, for the registry the webhook was made for (`registry_ref`:
        the body's own registry name is not trusted for identity)."""
        detail = self.artifact_info.artifact or ArtifactDetail()
        principal = self.principal or PrincipalInfo()
        return NewEvent(
            registry=registry_ref,
            artifact=self.artifact_info.name,
            version=self.artifact_info.version,
            trigger=TRIGGERS[self.trigger],
            at=at,
            digest=_cut(detail.digest),
            package_type=_cut(self.artifact_info.type or detail.package_type, 32),
            principal_name=_cut(principal.display_name or principal.uid),
            principal_email=_cut(principal.email),
            url=_http(detail.url),
            late=late,
        )


def _cut(value: str | None, chars: int = TEXT) -> str | None:
    return value[:chars] if value else None


def _http(url: str | None) -> str | None:
    if not url or len(url) > 2048:
        return None
    parts = urlsplit(unquote(url))
    return url if parts.scheme in ("http", "https") and parts.hostname else None
