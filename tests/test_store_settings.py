"""DATABASE_URL, EVENT_RETENTION_DAYS and the webhook secret pair: read, normalised, and refused clearly."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import DEFAULT_DATABASE_URL, describe
from tests.conftest import make_settings


def message(**values: object) -> str:
    with pytest.raises(ValidationError) as caught:
        make_settings(**values)
    return describe(caught.value)


def test_the_default_database_is_a_sqlite_file() -> None:
    assert make_settings(database_url=None).database_url.get_secret_value() == DEFAULT_DATABASE_URL
    assert make_settings(database_url="  ").database_url.get_secret_value() == DEFAULT_DATABASE_URL


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+asyncpg"])
def test_platform_postgres_urls_get_the_async_driver(scheme: str) -> None:
    settings = make_settings(database_url=f"{scheme}://harbot:pw@db.example.com:5432/harbot")
    assert (
        settings.database_url.get_secret_value()
        == "postgresql+asyncpg://harbot:pw@db.example.com:5432/harbot"
    )


def test_a_plain_sqlite_url_gets_the_async_driver() -> None:
    assert (
        make_settings(database_url="sqlite:///x.db").database_url.get_secret_value()
        == "sqlite+aiosqlite:///x.db"
    )


def test_another_database_is_refused_without_showing_its_password() -> None:
    text = message(database_url="mysql://harbot:SENTINEL-DB-PASSWORD@db/harbot")
    assert "DATABASE_URL" in text
    assert "mysql://***@db/harbot" in text
    assert "SENTINEL" not in text


def test_the_database_url_never_shows_in_repr() -> None:
    settings = make_settings(database_url="postgresql://u:SENTINEL-DB-PASSWORD@db/x")
    assert "SENTINEL" not in repr(settings)


def test_a_webhook_secret_identifier_needs_its_value() -> None:
    assert "HARNESS_WEBHOOK_SECRET_IDENTIFIER needs HARNESS_WEBHOOK_SECRET" in message(
        harness_webhook_secret_identifier="harbot_webhook"
    )


def test_a_webhook_secret_needs_its_identifier_and_is_never_shown() -> None:
    text = message(harness_webhook_secret="SENTINEL-HMAC")
    assert "HARNESS_WEBHOOK_SECRET needs HARNESS_WEBHOOK_SECRET_IDENTIFIER" in text
    assert "SENTINEL" not in text


def test_retention_is_bounded() -> None:
    assert "EVENT_RETENTION_DAYS" in message(event_retention_days=0)
