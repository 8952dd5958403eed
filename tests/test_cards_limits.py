"""Any registry, however large or hostile, gets a card and an unfurl Slack accepts, free of foreign markup."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cards import (
    CardOptions,
    Reply,
    apology_reply,
    error_reply,
    help_reply,
    invalid_scope_reply,
    refusal_reply,
    registry_card,
    stale_button_reply,
)
from bot.harness.errors import (
    HarnessConnectionError,
    HarnessError,
    HarnessTimeout,
    HarnessUnavailable,
    InvalidResponse,
    error_for_status,
)
from bot.harness.models import Registry
from bot.parsing import InvalidScope, ScopeContext
from bot.refs import RegistryRef
from tests.blockkit import utf16_len
from tests.cardcheck import (
    ALL_FIXTURES,
    UI,
    assert_code_spans_closed,
    assert_no_foreign_markup,
    blocks_of,
    compact,
    everything,
    fields,
    load,
    message,
    mrkdwn_objects,
    render,
    variant,
)

# ---------------------------------------------------------------------------------------------------------
# The full card: limits, for any registry


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_fixture_renders_a_card_slack_accepts(name: str) -> None:
    render(name, requested_by="U123ABC", looked_up_at=1721404800, shareable=True)


def test_huge_registry_card_stays_small() -> None:
    payload = render("huge", requested_by="U123ABC", looked_up_at=1721404800, shareable=True)
    assert len(payload["blocks"]) <= 12
    assert len(json.dumps(payload)) < 8000


def test_huge_description_is_cut_at_a_word_with_an_ellipsis() -> None:
    description = render("huge")["blocks"][2]["text"]["text"]
    assert utf16_len(description) <= 600
    assert description.endswith("…")
    assert description[:-1].split(" ")[-1] in load("huge").description.split(" ")


def test_huge_lists_show_the_first_few_and_how_many_more() -> None:
    payload = render("huge")
    shown = fields(payload)
    assert shown["Labels"].endswith("`label-011` +488 more")
    assert shown["Upstreams (in order)"].splitlines()[-2:] == ["10. upstream-009", "+190 more"]
    texts = everything(payload)
    assert "`allowed/007/*` +292 more" in texts
    assert "`blocked/007/*` +292 more" in texts
    assert "`policy-ref-007` +92 more" in texts
    assert "\n+55 more" in texts
    assert "`team-0-3/*` +16 more" in texts


def test_long_identifier_keeps_the_header_inside_its_limit() -> None:
    (header,) = blocks_of(render(variant("virtual", identifier="d" * 400)), "header")
    assert utf16_len(header["text"]["text"]) <= 150
    assert header["text"]["text"].endswith("…")


def test_long_registry_url_is_cut_but_stays_code() -> None:
    url = fields(render(variant("virtual", url="https://pkg.example/" + "a" * 5000)))["URL"]
    assert url.startswith("`https://pkg.example/")
    assert url.endswith("…`")


def test_labels_full_of_characters_that_grow_when_escaped_still_fit() -> None:
    render(variant("virtual", labels=["<&>" * 700] * 500, allowedPattern=["&" * 2000] * 300))


registry_text = st.text(st.characters(codec="utf-8"), max_size=300)
text_lists = st.lists(registry_text, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    identifier=registry_text,
    description=st.text(max_size=5000),
    labels=text_lists,
    upstreams=text_lists,
    patterns=text_lists,
    policy_name=registry_text,
    prefixes=text_lists,
)
def test_any_registry_renders_a_valid_card_without_foreign_markup(
    identifier: str,
    description: str,
    labels: list[str],
    upstreams: list[str],
    patterns: list[str],
    policy_name: str,
    prefixes: list[str],
) -> None:
    registry = Registry.model_validate(
        {
            "identifier": identifier,
            "packageType": "DOCKER",
            "url": "https://pkg.example/x",
            "description": description,
            "labels": labels,
            "config": {"type": "VIRTUAL", "upstreamProxies": upstreams},
            "allowedPattern": patterns,
            "blockedPattern": patterns,
            "policyRefs": patterns,
            "cleanupPolicy": [{"name": policy_name, "expireDays": 7, "packagePrefix": prefixes}],
        }
    )
    payload = render(registry, requested_by="U123ABC", looked_up_at=1721404800, shareable=True)
    assert_no_foreign_markup(payload)
    assert_no_foreign_markup(compact(registry))


# ---------------------------------------------------------------------------------------------------------
# Hostile text


def test_hostile_text_never_reaches_slack_as_markup() -> None:
    assert_no_foreign_markup(render("hostile", requested_by="U123ABC", looked_up_at=1721404800))
    assert_no_foreign_markup(compact("hostile"))


def test_hostile_description_is_escaped_not_dropped() -> None:
    description = render("hostile")["blocks"][2]["text"]["text"]
    assert description.startswith("&lt;!channel&gt; deploys are *frozen* &amp; ")
    assert "&lt;https://evil.example|click here&gt;" in description


def test_hostile_labels_are_escaped_inside_code() -> None:
    labels = fields(render("hostile"))["Labels"]
    assert "`&lt;!channel&gt;`" in labels
    assert "`*bold*`" in labels
    assert "`team&amp;ops`" in labels


def test_backticks_inside_code_spans_cannot_break_them() -> None:
    payload = render("hostile")
    assert "`aˋbˋc`" in fields(payload)["Labels"]
    assert "`ˋˋˋcode blockˋˋˋ`" in everything(payload)
    for block in payload["blocks"]:
        for field in block.get("fields", []):
            assert_code_spans_closed(field["text"])


def test_unicode_survives() -> None:
    payload = render("hostile")
    assert "`日本語` `🚀 launch`" in fields(payload)["Labels"]
    assert "ünïcødé 🚀" in everything(payload)


def test_hostile_identifier_is_escaped_in_the_fallback_text() -> None:
    payload = render(variant("virtual", identifier="<!channel>"))
    assert payload["text"].startswith("&lt;!channel&gt; — ")


def test_all_mrkdwn_is_verbatim_so_bare_mentions_and_channels_stay_text() -> None:
    objects = list(mrkdwn_objects(render("hostile"))) + list(mrkdwn_objects(compact("hostile")))
    assert objects
    assert all(obj.get("verbatim") is True for obj in objects)


# ---------------------------------------------------------------------------------------------------------
# Every builder, at the edges: the longest names Harness allows, and hostile text where text comes in

LONGEST_REF = RegistryRef(account="a" * 64, org="O" * 128, project="p" * 128, registry="r" + "-x" * 31)
HOSTILE_HOST = "<!channel>&`" + "h" * 3000
LONGEST_CTX = ScopeContext(
    account_id="a" * 64,
    default_org="O" * 128,
    default_project="p" * 128,
    ui_hosts=frozenset(f"h{n}-{'x' * 50}.example.com" for n in range(60)),
)
HOSTILE_PROBLEM = InvalidScope("<!here> & " * 500, text="<@U123ABC> `x` & " * 500, hint="<&>`" * 1000)


def edge_messages() -> dict[str, Callable[[], Reply]]:
    """Every message builder, fed the largest and most hostile inputs it can get."""
    built: dict[str, Callable[[], Reply]] = {}
    for status in (400, 401, 403, 404, 409, 429, 500, 503):
        exc = error_for_status(status, ref=LONGEST_REF, host=HOSTILE_HOST, detail="x")
        built[f"error {status}"] = partial(error_reply, exc)
    for cls in (HarnessTimeout, HarnessConnectionError, HarnessUnavailable, InvalidResponse, HarnessError):
        built[f"error {cls.__name__}"] = partial(error_reply, cls("x", ref=LONGEST_REF, host=HOSTILE_HOST))
    built["refusal about scope"] = partial(refusal_reply, LONGEST_REF, about_scope=True)
    built["refusal about asker"] = partial(refusal_reply, LONGEST_REF, about_scope=False)
    built["apology"] = apology_reply
    built["stale button"] = stale_button_reply
    for command in ("/har", "@harbot", ""):
        built[f"help {command!r}"] = partial(help_reply, LONGEST_CTX, command=command)
        built[f"help {command!r} with a problem"] = partial(
            help_reply, LONGEST_CTX, command=command, problem=HOSTILE_PROBLEM
        )
    built["invalid scope"] = partial(invalid_scope_reply, HOSTILE_PROBLEM, LONGEST_CTX)
    for name in ("huge", "hostile"):
        built[f"card {name}"] = partial(
            registry_card,
            load(name),
            LONGEST_REF,
            ui_base=UI,
            options=CardOptions(requested_by="U123ABC", looked_up_at=1721404800, shareable=True),
        )
    return built


EDGE_MESSAGES = edge_messages()


@pytest.mark.parametrize("name", sorted(EDGE_MESSAGES))
def test_every_message_slack_accepts_at_the_edges(name: str) -> None:
    payload = message(EDGE_MESSAGES[name]())
    assert_no_foreign_markup(payload)
    assert utf16_len(payload["text"]) <= 3000


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_unfurl_slack_accepts_for_the_longest_names(name: str) -> None:
    assert_no_foreign_markup(compact(name, LONGEST_REF))
