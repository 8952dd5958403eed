"""What the repositories return: frozen values, never ORM objects (nothing lazy-loads outside a session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Final, Literal

Trigger = Literal["pushed", "deleted"]
LookupKind = Literal["registry", "artifact", "version"]
PostState = Literal["pending", "posted", "failed"]
TRIGGERS: Final[tuple[Trigger, ...]] = ("pushed", "deleted")


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    id: int
    registry: str
    identifier: str
    token_hash: str
    state: str
    created_at: datetime
    last_delivery_at: datetime | None
    last_delivery_status: str | None


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    id: int
    team: str | None
    channel: str
    registry: str
    artifact_glob: str
    tag_glob: str
    pushes: bool
    deletes: bool
    created_by: str
    created_at: datetime
    active: bool

    def matches(self, artifact: str, version: str, trigger: Trigger) -> bool:
        """Whether an event of this registry is one this subscription asked for (globs are fnmatch's,
        case-sensitive as Harness names are)."""
        wanted = self.pushes if trigger == "pushed" else self.deletes
        return (
            self.active
            and wanted
            and fnmatchcase(artifact, self.artifact_glob)
            and fnmatchcase(version, self.tag_glob)
        )


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: int
    key: str
    webhook_id: int | None
    received_at: datetime
    body: str
    state: str


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event as read from a delivery (or an execution, when catching up), before it is stored."""

    registry: str
    artifact: str
    version: str
    trigger: Trigger
    at: datetime
    digest: str | None = None
    package_type: str | None = None
    principal_name: str | None = None
    principal_email: str | None = None
    url: str | None = None
    late: bool = False


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    delivery_id: int | None
    registry: str
    artifact: str
    version: str
    trigger: Trigger
    at: datetime
    digest: str | None
    package_type: str | None
    principal_name: str | None
    principal_email: str | None
    url: str | None
    late: bool


@dataclass(frozen=True, slots=True)
class PostRecord:
    id: int
    channel: str
    event_id: int
    subscription_id: int | None
    group_key: str | None
    state: PostState
    attempts: int
    next_attempt_at: datetime
    slack_ts: str | None
    created_at: datetime
    posted_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class RecentLookupRecord:
    user: str
    kind: LookupKind
    ref: str
    looked_up_at: datetime
