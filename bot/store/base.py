"""What every repository shares: its session, the ORM-row-to-record copy, and inserts that tolerate a
duplicate key (ON CONFLICT DO NOTHING, which SQLite and PostgreSQL both spell the same way)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Final, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Base

R = TypeVar("R")


ATTRIBUTES: Final = {"registry": "registry_ref"}
"""Record fields whose ORM attribute has another name."""


def to_record(cls: type[R], row: Base) -> R:
    """The frozen record `cls` with the values of the ORM row's attributes of the same names."""
    values = {field.name: getattr(row, ATTRIBUTES.get(field.name, field.name)) for field in fields(cls)}  # type: ignore[arg-type]
    return cls(**values)


class Repository:
    """One table's queries, inside the transaction of `session` (bot.store.Store.transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def insert(self, model: type[Base]) -> Any:
        """An INSERT for `model` in this backend's dialect, so `.on_conflict_do_nothing()` is there."""
        dialect = self.session.bind.dialect.name if self.session.bind is not None else "sqlite"
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
