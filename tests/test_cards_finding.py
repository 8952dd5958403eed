"""The list card, did-you-mean and the pull steps stay inside Block Kit's limits for any body, and escape
what Harness and users send."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cards.listing import PAGE_SIZE, Page, Row, did_you_mean, list_card
from bot.cards.pull import pull_steps
from bot.finding import closest, edit_distance
from bot.finding.queries import decode_query, encode_query, list_query
from bot.harness.models import ClientSetupDetails, ListRegistry, RegistryMetadata
from bot.harness.searches import ListQuery
from bot.parsing import ScopeContext
from bot.refs import RegistryRef, SpaceRef, ref_from_path
from tests.blockkit import assert_valid_blocks, utf16_len

CTX = ScopeContext(account_id="acc_test")
REF = RegistryRef(account="acc_test", org="payments", project="checkout", registry="docker-prod")
HOSTILE = "<!here> <@U1> &amp; ``` *bold* `tick` 🐳" * 200
UI = "https://app.harness.io"

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def metadata(**data: Any) -> RegistryMetadata:
    return RegistryMetadata.model_validate(data)


def page_of(registries: list[RegistryMetadata], **extra: Any) -> Page:
    rows = [Row(registry=r, ref=ref_from_path(r.path)) for r in registries]
    return Page(title="Registries in the account", rows=rows, page=0, **extra)


def test_a_huge_hostile_page_stays_within_block_kit_limits_and_is_escaped() -> None:
    registries = [
        metadata(
            identifier=HOSTILE,
            packageType=HOSTILE,
            type=HOSTILE,
            path=f"acc_test/payments/checkout/reg-{i}",
            description=HOSTILE,
        )
        for i in range(500)
    ]
    reply = list_card(
        page_of(registries, next_value="x" * 100, previous_value="y", total=10**12, pages=10**9)
    )
    payload = reply.as_kwargs()
    assert_valid_blocks(payload["blocks"])
    assert len(payload["blocks"]) <= PAGE_SIZE + 3
    shown = json.dumps(payload)
    assert "<!here>" not in shown
    assert "<@U1>" not in shown
    assert utf16_len(payload["text"]) <= 3000


def test_an_empty_page_says_so() -> None:
    payload = list_card(page_of([])).as_kwargs()
    assert_valid_blocks(payload["blocks"])
    assert "No registries found" in json.dumps(payload)


def test_a_row_without_a_readable_path_has_no_open_button_and_says_its_scope_is_unknown() -> None:
    payload = list_card(page_of([metadata(identifier="lost", path="")])).as_kwargs()
    assert "scope unknown" in json.dumps(payload)
    assert "list_open" not in json.dumps(payload)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.dictionaries(st.sampled_from(["registries", "itemCount", "pageCount", "x"]), JSONISH))
def test_any_list_body_either_parses_into_a_valid_card_or_is_rejected(data: dict[str, Any]) -> None:
    try:
        listing = ListRegistry.model_validate(data)
    except ValueError:
        return
    assert_valid_blocks(list_card(page_of(listing.registries)).as_kwargs()["blocks"])


def test_did_you_mean_offers_at_most_five_buttons() -> None:
    choices = [RegistryRef(account="acc_test", org="o", project="p", registry=f"r{i}") for i in range(9)]
    payload = did_you_mean("r", SpaceRef("acc_test"), choices).as_kwargs()
    assert_valid_blocks(payload["blocks"])
    assert json.dumps(payload).count("choose_registry_") == 5


def test_did_you_mean_escapes_the_name() -> None:
    payload = did_you_mean("<!here>", SpaceRef("acc_test"), []).as_kwargs()
    assert "<!here>" not in json.dumps(payload)


def test_edit_distance_and_closest() -> None:
    assert edit_distance("docker-prd", "docker-prod") == 1
    assert edit_distance("", "abc") == 3
    refs = [
        RegistryRef(account="a", registry=name) for name in ("docker-prod", "docker-dev", "maven-central")
    ]
    assert [r.registry for r in closest("docker-prd", refs)] == ["docker-prod", "docker-dev"]


def _setup(sections: Any) -> ClientSetupDetails:
    return ClientSetupDetails.model_validate(
        {"mainHeader": HOSTILE, "secHeader": HOSTILE, "sections": sections}
    )


@pytest.mark.slow
def test_huge_hostile_pull_steps_stay_within_block_kit_limits() -> None:
    step = {"header": HOSTILE, "type": "Static", "commands": [{"label": HOSTILE, "value": HOSTILE}] * 50}
    inline = {"header": HOSTILE, "secHeader": HOSTILE, "type": "INLINE", "steps": [step] * 30}
    tabs = {"type": "TABS", "tabs": [{"header": HOSTILE, "sections": [inline] * 5}] * 10}
    payload = pull_steps(_setup([inline, tabs] * 20), REF, ui_base=UI).as_kwargs()
    assert_valid_blocks(payload["blocks"])
    shown = json.dumps(payload)
    assert "<!here>" not in shown
    assert "More steps in" in shown


def test_deeply_nested_tabs_are_cut_at_a_bounded_depth() -> None:
    section: dict[str, Any] = {"type": "INLINE", "steps": [{"commands": [{"value": "deepest"}]}]}
    for _ in range(30):
        section = {"type": "TABS", "tabs": [{"header": "t", "sections": [section]}]}
    payload = pull_steps(_setup([section]), REF, ui_base=UI).as_kwargs()
    assert_valid_blocks(payload["blocks"])
    assert "deepest" not in json.dumps(payload)


def test_pull_steps_without_any_step_say_so() -> None:
    payload = pull_steps(ClientSetupDetails(), REF, ui_base=UI).as_kwargs()
    assert_valid_blocks(payload["blocks"])
    assert "no set-up steps" in json.dumps(payload)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.dictionaries(st.sampled_from(["mainHeader", "sections", "secHeader"]), JSONISH))
def test_any_client_setup_body_either_parses_into_valid_steps_or_is_rejected(data: dict[str, Any]) -> None:
    try:
        details = ClientSetupDetails.model_validate(data)
    except ValueError:
        return
    assert_valid_blocks(pull_steps(details, REF, ui_base=UI).as_kwargs()["blocks"])


def test_list_words_are_read_as_a_space_package_types_and_a_registry_type() -> None:
    query = list_query("payments/checkout Docker helm VIRTUAL", CTX)
    assert query.space == SpaceRef("acc_test", "payments", "checkout")
    assert query.package_types == ("DOCKER", "HELM")
    assert query.registry_type == "VIRTUAL"
    assert list_query("", CTX).space == SpaceRef("acc_test")


def test_paging_values_round_trip_and_junk_is_refused() -> None:
    query = ListQuery(SpaceRef("acc_test", "payments"), "dock", 3, 20, ("DOCKER",), "UPSTREAM")
    assert decode_query(encode_query(query), CTX) == query
    for junk in [
        "",
        "{}",
        '{"s":"../x","p":1}',
        '{"s":"a","p":-1}',
        '{"s":"a","p":1,"q":"A B"}',
        "[1]",
        None,
    ]:
        assert decode_query(junk, CTX) is None
