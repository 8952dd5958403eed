"""The bodies of Harness's artifact and version endpoints, modelled from both specs in `docs/harness/`.

As in `bot.harness.models`: unknown fields are kept, enums are plain strings, `null` lists become empty,
and every field the card can do without is optional (the SaaS spec lacks the quarantine fields and
`pullCommandByDigest` the open-source server sends). Sizes arrive as human text (`"12.3MB"`), dates as
epoch-millisecond strings. See NOTES.md for how the server fills them.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BeforeValidator, Field

from bot.harness.models import NullableList, NullableText, _Model, _none_to_empty


def _none_to_false(value: Any) -> Any:
    return False if value is None else value


def _none_to_map(value: Any) -> Any:
    return {} if value is None else value


Data = TypeVar("Data")

NullableFlag = Annotated[bool, BeforeValidator(_none_to_false)]
Metadata = Annotated[dict[str, Any], BeforeValidator(_none_to_map)]


class _Page(_Model):
    item_count: int | None = Field(default=None, alias="itemCount")
    page_count: int | None = Field(default=None, alias="pageCount")
    page_index: int | None = Field(default=None, alias="pageIndex")
    page_size: int | None = Field(default=None, alias="pageSize")


class ArtifactMetadata(_Model):
    """One artifact in a registry's listing (`RegistryArtifactMetadata`)."""

    name: NullableText = ""
    registry_identifier: NullableText = Field(default="", alias="registryIdentifier")
    registry_path: NullableText = Field(default="", alias="registryPath")
    package_type: NullableText = Field(default="", alias="packageType")
    latest_version: NullableText = Field(default="", alias="latestVersion")
    labels: NullableList = Field(default_factory=list)
    downloads_count: int | None = Field(default=None, alias="downloadsCount")
    last_modified: str | None = Field(default=None, alias="lastModified")
    is_quarantined: NullableFlag = Field(default=False, alias="isQuarantined")


class ArtifactList(_Page):
    """`data` of `GET …/+/artifacts`: one page of a registry's artifacts."""

    artifacts: Annotated[list[ArtifactMetadata], BeforeValidator(_none_to_empty)] = Field(
        default_factory=list
    )


class ArtifactSummary(_Model):
    """`data` of `GET …/artifact/{artifact}/+/summary`."""

    image_name: NullableText = Field(default="", alias="imageName")
    package_type: NullableText = Field(default="", alias="packageType")
    labels: NullableList = Field(default_factory=list)
    downloads_count: int | None = Field(default=None, alias="downloadsCount")
    created_at: str | None = Field(default=None, alias="createdAt")
    modified_at: str | None = Field(default=None, alias="modifiedAt")
    deleted_at: str | None = Field(default=None, alias="deletedAt")
    is_quarantined: NullableFlag = Field(default=False, alias="isQuarantined")


class VersionMetadata(_Model):
    """One version in an artifact's versions (`ArtifactVersionMetadata`): a tag, or a digest when untagged."""

    name: NullableText = ""
    size: NullableText = ""
    package_type: NullableText = Field(default="", alias="packageType")
    digest_count: int | None = Field(default=None, alias="digestCount")
    file_count: int | None = Field(default=None, alias="fileCount")
    downloads_count: int | None = Field(default=None, alias="downloadsCount")
    last_modified: str | None = Field(default=None, alias="lastModified")
    pull_command: NullableText = Field(default="", alias="pullCommand")
    is_quarantined: NullableFlag = Field(default=False, alias="isQuarantined")
    quarantine_reason: NullableText = Field(default="", alias="quarantineReason")
    metadata: Metadata = Field(default_factory=dict)


class VersionList(_Page):
    """`data` of `GET …/+/versions`: one page of an artifact's versions."""

    versions: Annotated[list[VersionMetadata], BeforeValidator(_none_to_empty)] = Field(
        default_factory=list, alias="artifactVersions"
    )


class VersionDetail(_Model):
    """`data` of `GET …/version/{version}/details` (`ArtifactDetail`), one flat model for every package type.

    The only body with `createdBy`; `downloadCount` is singular here. Docker/Helm add `pullCommand`,
    Maven `groupId`/`artifactId`, the others `metadata`.
    """

    name: NullableText = ""
    version: NullableText = ""
    package_type: NullableText = Field(default="", alias="packageType")
    size: NullableText = ""
    download_count: int | None = Field(default=None, alias="downloadCount")
    created_at: str | None = Field(default=None, alias="createdAt")
    modified_at: str | None = Field(default=None, alias="modifiedAt")
    created_by: NullableText = Field(default="", alias="createdBy")
    is_quarantined: NullableFlag = Field(default=False, alias="isQuarantined")
    quarantine_reason: NullableText = Field(default="", alias="quarantineReason")
    pull_command: NullableText = Field(default="", alias="pullCommand")
    group_id: NullableText = Field(default="", alias="groupId")
    artifact_id: NullableText = Field(default="", alias="artifactId")
    description: NullableText = ""
    metadata: Metadata = Field(default_factory=dict)


class DockerDetail(_Model):
    """`data` of `GET …/version/{version}/docker/details?digest=` (also the shape of `helm/details`)."""

    image_name: NullableText = Field(default="", alias="imageName")
    artifact: NullableText = ""
    version: NullableText = ""
    package_type: NullableText = Field(default="", alias="packageType")
    registry_path: NullableText = Field(default="", alias="registryPath")
    url: NullableText = ""
    size: NullableText = ""
    downloads_count: int | None = Field(default=None, alias="downloadsCount")
    created_at: str | None = Field(default=None, alias="createdAt")
    modified_at: str | None = Field(default=None, alias="modifiedAt")
    created_by: NullableText = Field(default="", alias="createdBy")
    pull_command: NullableText = Field(default="", alias="pullCommand")
    pull_command_by_digest: NullableText = Field(default="", alias="pullCommandByDigest")
    is_quarantined: NullableFlag = Field(default=False, alias="isQuarantined")
    quarantine_reason: NullableText = Field(default="", alias="quarantineReason")
    metadata: Metadata = Field(default_factory=dict)


class Manifest(_Model):
    """One platform's image in `docker/manifests` (`DockerManifestDetails`)."""

    digest: NullableText = ""
    os_arch: NullableText = Field(default="", alias="osArch")
    size: NullableText = ""
    created_at: str | None = Field(default=None, alias="createdAt")
    downloads_count: int | None = Field(default=None, alias="downloadsCount")
    is_quarantined: NullableFlag = Field(default=False, alias="isQuarantined")
    quarantine_reason: NullableText = Field(default="", alias="quarantineReason")


class Manifests(_Model):
    """`data` of `GET …/version/{version}/docker/manifests`: one entry per platform."""

    image_name: NullableText = Field(default="", alias="imageName")
    version: NullableText = ""
    manifests: Annotated[list[Manifest], BeforeValidator(_none_to_empty)] = Field(default_factory=list)


class FileDetail(_Model):
    """One file of a non-Docker version: name, size, checksums (`"SHA-256: …"`), how to download it."""

    name: NullableText = ""
    size: NullableText = ""
    checksums: NullableList = Field(default_factory=list)
    download_command: NullableText = Field(default="", alias="downloadCommand")
    created_at: str | None = Field(default=None, alias="createdAt")
    path: NullableText = ""


class FileList(_Page):
    """The files body, which (unlike every other) has no `data`: `{status, files, itemCount, …}`."""

    status: str
    files: Annotated[list[FileDetail], BeforeValidator(_none_to_empty)] = Field(default_factory=list)


class Enveloped(_Model, Generic[Data]):
    """The 200 body of every artifact endpoint but `files`: `{"status": ..., "data": ...}`."""

    status: str
    data: Data | None = None
