"""The Harness Artifact Registry API's response bodies, modelled from its OpenAPI specs.

See `docs/harness/` (api.yaml is the open-source server, swagger.yaml the SaaS client spec). Every model
tolerates fields it does not know (Harness adds fields often), open enums are plain strings so a new
package type never breaks a lookup, and lists the API may send as `null` become empty lists.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _none_to_empty(value: Any) -> Any:
    return [] if value is None else value


def _none_to_blank(value: Any) -> Any:
    return "" if value is None else value


NullableList = Annotated[list[str], BeforeValidator(_none_to_empty)]
NullableText = Annotated[str, BeforeValidator(_none_to_blank)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class CleanupPolicy(_Model):
    """A rule that deletes old packages: `expireDays` after creation, narrowed by prefixes."""

    name: NullableText = ""
    expire_days: int | None = Field(default=None, alias="expireDays")
    package_prefix: NullableList = Field(default_factory=list, alias="packagePrefix")
    version_prefix: NullableList = Field(default_factory=list, alias="versionPrefix")


class Scanner(_Model):
    """A vulnerability scanner attached to the registry (AQUA_TRIVY, GRYPE, ...)."""

    name: NullableText = ""


class RegistryConfig(_Model):
    """`config`: VIRTUAL (resolves through upstream proxies) or UPSTREAM (proxies a remote source).

    One flat model rather than a discriminated union, so an unknown `type` still parses.
    """

    type: NullableText = ""
    # VIRTUAL
    upstream_proxies: NullableList = Field(default_factory=list, alias="upstreamProxies")
    # UPSTREAM. `auth` holds secret references only; the bot never reads it, so it is not modelled.
    source: NullableText = ""
    url: NullableText = ""
    auth_type: NullableText = Field(default="", alias="authType")
    remote_url_suffix: NullableText = Field(default="", alias="remoteUrlSuffix")
    # SaaS sends `firewallMode`, the open-source server `upstreamProxyConfigFirewallMode`.
    firewall_mode: NullableText = Field(default="", alias="firewallMode")
    oss_firewall_mode: NullableText = Field(default="", alias="upstreamProxyConfigFirewallMode")

    @property
    def firewall(self) -> str:
        """The firewall mode, whichever field the server used."""
        return self.firewall_mode or self.oss_firewall_mode


def _coerce_config(value: Any) -> Any:
    return {} if value is None else value


class Registry(_Model):
    """`data` of a successful `GET /registry/{registry_ref}`."""

    identifier: str
    package_type: NullableText = Field(default="", alias="packageType")
    description: NullableText = ""
    url: NullableText = ""
    uuid: NullableText = ""
    is_public: bool | None = Field(default=None, alias="isPublic")
    labels: NullableList = Field(default_factory=list)
    allowed_pattern: NullableList = Field(default_factory=list, alias="allowedPattern")
    blocked_pattern: NullableList = Field(default_factory=list, alias="blockedPattern")
    cleanup_policy: Annotated[list[CleanupPolicy], BeforeValidator(_none_to_empty)] = Field(
        default_factory=list, alias="cleanupPolicy"
    )
    scanners: Annotated[list[Scanner], BeforeValidator(_none_to_empty)] = Field(default_factory=list)
    policy_refs: NullableList = Field(default_factory=list, alias="policyRefs")
    config: Annotated[RegistryConfig, BeforeValidator(_coerce_config)] = Field(default_factory=RegistryConfig)
    # Epoch milliseconds as decimal strings ("1718812345678"), not ISO dates.
    created_at: str | None = Field(default=None, alias="createdAt")
    modified_at: str | None = Field(default=None, alias="modifiedAt")
    deleted_at: str | None = Field(default=None, alias="deletedAt")


class RegistryResponse(_Model):
    """The 200 body: `{"status": "SUCCESS" | "FAILURE" | "ERROR", "data": Registry}`."""

    status: str
    data: Registry | None = None


class ErrorBody(_Model):
    """The error body `{"code": "404", "message": "...", "details": {...}}`; any field may be missing."""

    code: str | None = None
    message: str | None = None
    details: dict[str, Any] | None = None


def epoch_seconds(millis: str | None) -> int | None:
    """Epoch seconds from the API's epoch-millisecond string, or None when absent or not a number."""
    if not millis:
        return None
    try:
        value = int(str(millis).strip())
    except ValueError:
        return None
    if value <= 0:
        return None
    return value // 1000


def _none_to_zero(value: Any) -> Any:
    return 0 if value is None else value


NullableCount = Annotated[int, BeforeValidator(_none_to_zero)]


class RegistryMetadata(_Model):
    """One registry in a list: `registries[]` of `GET /spaces/{space_ref}/+/registries`."""

    identifier: NullableText = ""
    package_type: NullableText = Field(default="", alias="packageType")
    type: NullableText = ""
    url: NullableText = ""
    path: NullableText = ""
    """The full path, identifier included (`acc/org/proj/reg`); "" when Harness could not find its space."""
    description: NullableText = ""
    labels: NullableList = Field(default_factory=list)
    last_modified: str | None = Field(default=None, alias="lastModified")
    artifacts_count: int | None = Field(default=None, alias="artifactsCount")
    downloads_count: int | None = Field(default=None, alias="downloadsCount")
    registry_size: str | None = Field(default=None, alias="registrySize")


class ListRegistry(_Model):
    """`data` of a successful list: one page of registries and where it sits among the others."""

    registries: Annotated[list[RegistryMetadata], BeforeValidator(_none_to_empty)] = Field(
        default_factory=list
    )
    item_count: int | None = Field(default=None, alias="itemCount")
    page_count: int | None = Field(default=None, alias="pageCount")
    page_index: int | None = Field(default=None, alias="pageIndex")
    page_size: int | None = Field(default=None, alias="pageSize")


class ListRegistryResponse(_Model):
    """The list's 200 body: `{"status": ..., "data": ListRegistry}`."""

    status: str
    data: ListRegistry | None = None


class SetupCommand(_Model):
    """A command to run (`value`), with an optional `label` saying what it is for."""

    label: NullableText = ""
    value: NullableText = ""


class SetupStep(_Model):
    """One step: a heading and its commands. `type` is Static, or GenerateToken where a token goes."""

    header: NullableText = ""
    type: NullableText = ""
    commands: Annotated[list[SetupCommand], BeforeValidator(_none_to_empty)] = Field(default_factory=list)


class SetupSection(_Model):
    """A section: INLINE holds `steps`, TABS holds `tabs` (e.g. one per client tool), each with sections.

    One flat model rather than the spec's discriminated union, so an unknown `type` still parses.
    """

    header: NullableText = ""
    sec_header: NullableText = Field(default="", alias="secHeader")
    type: NullableText = ""
    steps: Annotated[list[SetupStep], BeforeValidator(_none_to_empty)] = Field(default_factory=list)
    tabs: Annotated[list[SetupTab], BeforeValidator(_none_to_empty)] = Field(default_factory=list)


class SetupTab(_Model):
    """One tab of a TABS section."""

    header: NullableText = ""
    sections: Annotated[list[SetupSection], BeforeValidator(_none_to_empty)] = Field(default_factory=list)


class ClientSetupDetails(_Model):
    """`data` of `GET /registry/{registry_ref}/+/client-setup-details`: how to set a client up."""

    main_header: NullableText = Field(default="", alias="mainHeader")
    sec_header: NullableText = Field(default="", alias="secHeader")
    sections: Annotated[list[SetupSection], BeforeValidator(_none_to_empty)] = Field(default_factory=list)


class ClientSetupResponse(_Model):
    """The client set-up's 200 body: `{"status": ..., "data": ClientSetupDetails}`."""

    status: str
    data: ClientSetupDetails | None = None


SetupSection.model_rebuild()
