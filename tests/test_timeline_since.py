"""`since` in `/har changes`: spans, days, ISO times, and junk refused with the forms that work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.posting.timeline import BadSince, parse_since

NOW = datetime(2026, 12, 7, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "back", "words"),
    [
        ("2h", timedelta(hours=2), "in the last 2 hours"),
        ("30m", timedelta(minutes=30), "in the last 30 minutes"),
        ("1 day", timedelta(days=1), "in the last 1 day"),
        ("2W", timedelta(weeks=2), "in the last 2 weeks"),
        (None, timedelta(hours=24), "in the last 24 hours"),
    ],
)
def test_spans_reach_back_from_now(text: str | None, back: timedelta, words: str) -> None:
    since = parse_since(text, now=NOW)
    assert since.at == NOW - back
    assert since.words == words


def test_today_and_yesterday_start_at_midnight_utc() -> None:
    assert parse_since("today", now=NOW).at == datetime(2026, 12, 7, tzinfo=UTC)
    assert parse_since("Yesterday", now=NOW).at == datetime(2026, 12, 6, tzinfo=UTC)


def test_an_iso_time_without_a_zone_is_utc() -> None:
    since = parse_since("2026-12-07T01:00", now=NOW)
    assert since.at == datetime(2026, 12, 7, 1, tzinfo=UTC)
    assert since.words == "since 2026-12-07 01:00 UTC"
    assert parse_since("2026-12-07T01:00:00Z", now=NOW).at == since.at


@pytest.mark.parametrize("text", ["0h", "10000d", "2027-01-01T00:00", "2020-01-01", "soon", "2h ago please"])
def test_what_does_not_read_is_refused_with_a_sentence(text: str) -> None:
    with pytest.raises(BadSince) as caught:
        parse_since(text, now=NOW)
    assert "since" in str(caught.value)


@given(st.text(max_size=60))
def test_any_text_reads_or_is_refused_never_crashes(text: str) -> None:
    try:
        since = parse_since(text, now=NOW)
    except BadSince:
        return
    assert since.at <= NOW
