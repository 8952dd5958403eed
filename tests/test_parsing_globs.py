"""`subscribe`'s artifact and tag globs and its event word: what is taken, and junk refused clearly."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing.globs import MAX_GLOB_CHARS, Filter, InvalidGlob, parse_filter


def test_nothing_means_every_push_and_delete() -> None:
    assert parse_filter(None) == Filter()
    assert Filter().shown == ""
    assert Filter().events == "pushes and deletes"


def test_an_artifact_glob_with_a_tag_glob_and_pushes_only() -> None:
    found = parse_filter("team/payments-*:1.*", "pushes")
    assert found == Filter("team/payments-*", "1.*", pushes=True, deletes=False)
    assert found.shown == "team/payments-*:1.*"
    assert found.events == "pushes"


@pytest.mark.parametrize(
    "target",
    [
        "",
        ":1.0",
        "a:",
        "a b",
        "a<b>",
        "/a",
        "a//b",
        "a/../b",
        "a:1.0:2",
        "<!here>",
        "a" * (MAX_GLOB_CHARS + 1),
        "*" * 9,
    ],
)
def test_junk_targets_are_refused_with_a_sentence(target: str) -> None:
    with pytest.raises(InvalidGlob) as caught:
        parse_filter(target)
    assert "pattern" in str(caught.value)
    assert "<" not in str(caught.value)


def test_an_unknown_event_word_is_refused_without_echoing_it() -> None:
    with pytest.raises(InvalidGlob) as caught:
        parse_filter(None, "<!channel>")
    assert "channel" not in str(caught.value)


@given(st.text(max_size=200), st.one_of(st.none(), st.text(max_size=20)))
def test_fuzzed_targets_parse_or_are_refused_and_a_parsed_glob_is_usable(
    target: str, events: str | None
) -> None:
    try:
        found = parse_filter(target, events)
    except InvalidGlob:
        return
    fnmatchcase("payments-api", found.artifact_glob)
    assert found.pushes or found.deletes
    assert len(found.artifact_glob) <= MAX_GLOB_CHARS
