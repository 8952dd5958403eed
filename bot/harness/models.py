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
