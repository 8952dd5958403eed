"""The tables (SQLAlchemy 2 declarative models). Only bot/store/ imports this module.

Times are stored in UTC and always read back timezone-aware (SQLite keeps no zone: `UtcDateTime` puts
it back). Text columns have lengths so PostgreSQL checks them too; refs are `RegistryRef` text, in a
column named `registry` (the attribute is `registry_ref`: Declarative keeps `registry` for itself).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

REF_CHARS: Final = 400
"""Room for `org/project/registry` (Harness identifiers are at most 128 characters each)."""
NAME_CHARS: Final = 256
GLOB_CHARS: Final = 256
KEY_CHARS: Final = 128

# Named constraints, so migrations can name them on every backend (SQLite has no names of its own).
NAMING: Final = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (datetime.now(UTC))")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)  # noqa: S101 (the column's own type)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Webhook(Base):
    """One Harness webhook per registry, shared by every channel subscribed to it."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registry_ref: Mapped[str] = mapped_column("registry", String(REF_CHARS), unique=True)
    identifier: Mapped[str] = mapped_column(String(KEY_CHARS), unique=True)
    """The webhook's identifier in Harness, and the last part of its delivery URL."""
    token_hash: Mapped[str] = mapped_column(String(64))
    """sha256 hex of the random token Harness sends in the masked extra header."""
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_delivery_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_delivery_status: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Subscription(Base):
    """A channel's wish to hear about a registry's pushes and/or deletes, filtered by globs."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("channel", "registry", "artifact_glob", "tag_glob"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str | None] = mapped_column(String(KEY_CHARS), nullable=True)
    channel: Mapped[str] = mapped_column(String(KEY_CHARS), index=True)
    registry_ref: Mapped[str] = mapped_column("registry", String(REF_CHARS), index=True)
    artifact_glob: Mapped[str] = mapped_column(String(GLOB_CHARS), default="*")
    tag_glob: Mapped[str] = mapped_column(String(GLOB_CHARS), default="*")
    pushes: Mapped[bool] = mapped_column(Boolean, default=True)
    deletes: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(KEY_CHARS))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Delivery(Base):
    """One delivery Harness made, stored before it is acknowledged; `key` makes a repeat a no-op."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_CHARS), unique=True)
    webhook_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhooks.id", ondelete="SET NULL"), nullable=True, index=True
    )
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="received")


class Event(Base):
    """What a delivery says happened: a version pushed to or deleted from a registry."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_registry_at", "registry", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=True, index=True
    )
    registry_ref: Mapped[str] = mapped_column("registry", String(REF_CHARS))
    artifact: Mapped[str] = mapped_column(String(NAME_CHARS))
    version: Mapped[str] = mapped_column(String(NAME_CHARS))
    digest: Mapped[str | None] = mapped_column(String(NAME_CHARS), nullable=True)
    package_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    trigger: Mapped[str] = mapped_column(String(16))
    """`pushed` or `deleted`."""
    principal_name: Mapped[str | None] = mapped_column(String(NAME_CHARS), nullable=True)
    principal_email: Mapped[str | None] = mapped_column(String(NAME_CHARS), nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    late: Mapped[bool] = mapped_column(Boolean, default=False)


class Post(Base):
    """The outbox: an event to post to a channel, retried from here until it is posted."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("channel", "event_id"),
        Index("ix_posts_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(KEY_CHARS))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    group_key: Mapped[str | None] = mapped_column(String(REF_CHARS), nullable=True, index=True)
    """Posts sharing a key are one Slack message (a burst of versions of one artifact), updated in place."""
    state: Mapped[str] = mapped_column(String(16), default="pending")
    """`pending`, `posted` or `failed`."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    slack_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(NAME_CHARS), nullable=True)


class RecentLookup(Base):
    """What a user looked up lately (App Home's list): a few rows per user, the oldest pruned."""

    __tablename__ = "recent_lookups"
    __table_args__ = (
        UniqueConstraint("user", "kind", "ref"),
        Index("ix_recent_lookups_user_looked_up_at", "user", "looked_up_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(String(KEY_CHARS))
    kind: Mapped[str] = mapped_column(String(16))
    """`registry`, `artifact` or `version`."""
    ref: Mapped[str] = mapped_column(String(REF_CHARS + 2 * NAME_CHARS))
    looked_up_at: Mapped[datetime] = mapped_column(UtcDateTime)
