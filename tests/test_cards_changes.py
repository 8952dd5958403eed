"""The change messages: one push or delete, a burst, its thread, and the timeline."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.cards.artifact import artifact_value
from bot.cards.changes import (
    ACTION_CHANGES_MORE,
    ACTION_OPEN_VERSION,
    ACTION_VERSION,
    Change,
    burst_thread,
    change_line,
    change_message,
    short_digest,
    timeline,
    version_url,
)
from bot.refs import ArtifactRef, RegistryRef, VersionRef
from tests.cardcheck import assert_code_spans_closed, assert_no_foreign_markup, buttons, checked, everything

REF = RegistryRef(account="acc_test", org="payments", project="checkout", registry="docker-prod")
UI = "https://app.harness.io"
AT = 1_765_000_000
PUSH = Change(
    REF, "payments-api", "1.4.2", "pushed", AT, principal="Alice", digest="sha256:" + "ab12cd34" * 8
)


def test_a_push_reads_as_one_line_with_who_digest_and_when() -> None:
    line = change_line(PUSH)
    assert line.startswith("📦 `payments-api:1.4.2` pushed to docker-prod by Alice · sha256:ab12cd34 · ")
    assert f"<!date^{AT}^{{ago}}|" in line


def test_a_push_message_has_the_version_card_and_harness_buttons() -> None:
    payload = checked(change_message([PUSH], ui_base=UI))
    found = buttons(payload)
    version = VersionRef(ArtifactRef(REF, "payments-api"), "1.4.2")
    assert found[ACTION_VERSION]["value"] == artifact_value(version)
    assert found[ACTION_OPEN_VERSION]["url"] == version_url(PUSH, UI)
    assert found[ACTION_OPEN_VERSION]["url"].endswith(
        "/registries/docker-prod/artifacts/payments-api/versions/1.4.2"
    )


def test_a_delete_says_so_and_opens_the_registry() -> None:
    gone = Change(REF, "payments-api", "1.4.2", "deleted", AT, principal="Bob")
    payload = checked(change_message([gone], ui_base=UI))
    assert "🗑️ `payments-api:1.4.2` deleted from docker-prod by Bob" in everything(payload)
    assert set(buttons(payload)) == {ACTION_OPEN_VERSION}


def test_a_burst_is_one_message_naming_the_count_and_the_newest() -> None:
    burst = [Change(REF, "payments-api", f"1.4.{n}", "pushed", AT + n, principal="Alice") for n in range(5)]
    payload = checked(change_message(burst, ui_base=UI))
    text = everything(payload)
    assert "5 versions of `payments-api` pushed to docker-prod by Alice, newest `1.4.4`" in text
    assert "thread" in text
    thread = checked(burst_thread(burst))
    assert all(f"`payments-api:1.4.{n}`" in everything(thread) for n in range(5))


def test_a_late_change_is_marked_late() -> None:
    late = Change(REF, "a", "1", "pushed", AT, late=True)
    assert "late" in change_line(late)


def test_short_digest_keeps_the_algorithm_and_eight_hex_digits() -> None:
    assert short_digest("sha256:" + "0123456789" * 6 + "abcd") == "sha256:01234567"
    assert short_digest(None) is None


def test_the_timeline_lists_newest_first_and_says_when_it_is_pushes_only() -> None:
    changes = [Change(REF, "a", str(n), "pushed", AT - n) for n in range(3)]
    payload = checked(
        timeline(
            changes, registry=REF, artifact=None, since="in the last 2 hours", pushes_only=True, more="x y"
        )
    )
    text = everything(payload)
    assert text.index("`a:0`") < text.index("`a:2`")
    assert "Pushes only" in text
    assert buttons(payload)[ACTION_CHANGES_MORE]["value"] == "x y"


def test_an_empty_timeline_says_nothing_changed() -> None:
    payload = checked(timeline([], registry=REF, artifact="a", since="today", pushes_only=False))
    assert "No pushes or deletes in `docker-prod/a` today." in everything(payload)


@given(
    artifact=st.text(min_size=1, max_size=300),
    version=st.text(min_size=1, max_size=300),
    principal=st.text(max_size=300),
)
def test_harness_text_never_becomes_markup(artifact: str, version: str, principal: str) -> None:
    change = Change(REF, artifact, version, "pushed", AT, principal=principal or None)
    payload = checked(change_message([change, change], ui_base=UI))
    assert_no_foreign_markup(payload)
    checked(burst_thread([change] * 60))
    assert_code_spans_closed(change_line(change))


def test_a_change_whose_names_no_ref_can_hold_has_no_version_card_button() -> None:
    odd = Change(REF, "payments api", "1.4.2", "pushed", AT)
    assert ACTION_VERSION not in buttons(checked(change_message([odd], ui_base=UI)))
