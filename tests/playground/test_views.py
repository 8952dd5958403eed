"""The playground's Home tab, shortcuts and modals without a browser: what the page sends in, the real
app's views and answers out, through Slack's side (devtools/playground/slack.py).

Each test does what a person would by clicking (open the Home tab, type in a search box, pick, submit)
and reads the Workspace, which is what the page draws.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from bot.cards.home import (
    ACTION_HOME_FIND,
    ACTION_MODAL_CHANNEL,
    ACTION_MODAL_FIND,
    ACTION_MODAL_SHARE,
    ACTION_MODAL_SUBSCRIBE,
    CARD_CALLBACK,
    FIND_BLOCK,
    FIND_CALLBACK,
)
from bot.cards.subscribe import ACTION_SUBSCRIBE_REGISTRY, REGISTRY_BLOCK, SUBSCRIBE_CALLBACK
from bot.refs import RegistryRef
from devtools.playground import Playground
from devtools.playground.page import render_updates
from devtools.playground.server import read_values
from devtools.playground.slack import SHORTCUTS, PlaygroundSlack
from devtools.playground.views import View, find_element, view_elements
from devtools.playground.workspace import CHANNEL, DM
from devtools.registries import ACCOUNT
from tests.playground.conftest import bot_text, card_for, from_bot, wait_for_message
from tests.watching_support import REF as VIRTUAL_REF

pytestmark = pytest.mark.slow  # the whole playground on loopback

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
PROD = RegistryRef(account=ACCOUNT, org="payments", project="checkout", registry="docker-prod").path
LINK = (
    f"https://app.harness.io/ng/account/{ACCOUNT}/all/orgs/payments/projects/checkout/registries/docker-prod"
)
HELM = f"https://app.harness.io/ng/account/{ACCOUNT}/all/orgs/payments/registries/helm-charts"


def block_of(view: View, action_id: str) -> str:
    """The block id of the element `action_id` in a view (as Slack stores it)."""
    return next(b for _, e, b in view_elements(view.view) if e.get("action_id") == action_id)


def top(playground: Playground) -> View:
    assert playground.workspace.modals, "no modal is open"
    return playground.workspace.modals[-1]


async def wait_for(playground: Playground, check: Any, what: str) -> None:
    """Wait (bounded) until `check()` is true, as the page waits for its long poll."""
    for _ in range(100):
        if check():
            return
        await playground.workspace.wait_for_change(playground.workspace.version, 0.1)
    raise AssertionError(f"never: {what}")


async def open_home(playground: Playground) -> View:
    await playground.slack_side().views.open_home()
    await wait_for(playground, lambda: playground.workspace.home is not None, "the Home tab published")
    assert playground.workspace.home is not None
    return playground.workspace.home


async def test_opening_the_home_tab_publishes_it_with_a_search_that_finds_registries(
    playground: Playground,
) -> None:
    home = await open_home(playground)
    assert playground.slack_side().log[-1].what == "views.publish"
    block = block_of(home, ACTION_HOME_FIND)
    options = await playground.slack_side().views.suggest(home.id, block, ACTION_HOME_FIND, "docker-prod")
    assert {"value": PROD, "label": "payments/checkout/docker-prod"} in options
    assert (
        await playground.slack_side().views.suggest(home.id, block, ACTION_HOME_FIND, "no-such-thing-zz")
        == []
    )
    assert await playground.slack_side().views.suggest("V-gone", block, ACTION_HOME_FIND, "docker") == []


async def test_picking_a_registry_on_the_home_tab_sends_its_card_to_the_dm_and_lists_it_as_recent(
    playground: Playground,
) -> None:
    home = await open_home(playground)
    chosen = {"value": PROD, "label": "payments/checkout/docker-prod"}
    block = block_of(home, ACTION_HOME_FIND)
    assert await playground.slack_side().views.act_in_view(
        home.id, block, ACTION_HOME_FIND, values={}, raw=chosen
    )
    card = await wait_for_message(playground, DM, card_for("docker-prod"), what="the card in the DM")
    assert not card.ephemeral
    await wait_for(playground, lambda: "You looked up recently" in str(home.view), "the Home tab redrawn")
    assert "docker-prod" in render_updates(playground.workspace, [])["home"]


async def test_find_a_registry_shows_its_card_in_the_modal_then_shares_it_to_the_channel(
    playground: Playground,
) -> None:
    slack = playground.slack_side()
    assert await slack.shortcut(FIND_CALLBACK)
    await wait_for(playground, lambda: bool(playground.workspace.modals), "the Find modal")
    modal = top(playground)
    assert modal.view["callback_id"] == FIND_CALLBACK
    assert await slack.views.submit(modal.id, {}) == "errors"  # nothing picked
    assert FIND_BLOCK in modal.errors
    picked = {FIND_BLOCK: {ACTION_MODAL_FIND: {"value": PROD, "label": "docker-prod"}}}
    assert await slack.views.submit(modal.id, picked) == "update"
    assert (modal.view["callback_id"], modal.errors) == (CARD_CALLBACK, {})
    assert "docker-prod" in str(modal.view["blocks"])
    channel_block = block_of(modal, ACTION_MODAL_CHANNEL)
    assert await slack.views.act_in_view(
        modal.id, channel_block, ACTION_MODAL_CHANNEL, values={}, raw=CHANNEL
    )
    share_block = block_of(modal, ACTION_MODAL_SHARE)
    assert await slack.views.act_in_view(modal.id, share_block, ACTION_MODAL_SHARE, values=modal.values)
    shared = await wait_for_message(playground, CHANNEL, card_for("docker-prod"), what="the shared card")
    assert not shared.ephemeral
    await wait_for(playground, lambda: "Shared to" in str(modal.view["blocks"]), "the note in the modal")


async def test_subscribe_from_the_card_modal_is_pushed_on_top_and_submitting_subscribes_the_channel(
    playground: Playground,
) -> None:
    slack = playground.slack_side()
    await slack.shortcut(FIND_CALLBACK)
    await wait_for(playground, lambda: bool(playground.workspace.modals), "the Find modal")
    chosen = {"value": VIRTUAL_REF.path, "label": VIRTUAL_REF.short}
    await slack.views.submit(top(playground).id, {FIND_BLOCK: {ACTION_MODAL_FIND: chosen}})
    card = top(playground)
    assert card.view["callback_id"] == CARD_CALLBACK
    await slack.views.act_in_view(
        card.id, block_of(card, ACTION_MODAL_SUBSCRIBE), ACTION_MODAL_SUBSCRIBE, values={}
    )
    await wait_for(playground, lambda: len(playground.workspace.modals) == 2, "the Subscribe modal on top")
    subscribe = top(playground)
    assert subscribe.view["callback_id"] == SUBSCRIBE_CALLBACK
    channel_block = block_of(subscribe, "subscribe_channel")
    assert await slack.views.submit(subscribe.id, {channel_block: {"subscribe_channel": DM}}) == "errors"
    assert "direct message" in subscribe.errors[channel_block]
    assert await slack.views.submit(subscribe.id, {channel_block: {"subscribe_channel": CHANNEL}}) == "clear"
    assert playground.workspace.modals == []
    told = await wait_for_message(
        playground, DM, lambda m: from_bot(m) and "Done" in bot_text(m), what="the outcome in the DM"
    )
    assert VIRTUAL_REF.short in bot_text(told)
    await playground.slack_side().send(CHANNEL, "/har subscriptions")
    listed = await wait_for_message(
        playground, CHANNEL, lambda m: from_bot(m) and VIRTUAL_REF.registry in bot_text(m), what="the list"
    )
    assert "subscri" in bot_text(listed).lower()


async def test_the_subscribe_modal_searches_registries_as_you_type(playground: Playground) -> None:
    home = await open_home(playground)
    subscribe_block = next(
        b for _, e, b in view_elements(home.view) if e.get("action_id") == "home_subscribe"
    )
    await playground.slack_side().views.act_in_view(home.id, subscribe_block, "home_subscribe", values={})
    await wait_for(playground, lambda: bool(playground.workspace.modals), "the Subscribe modal")
    modal = top(playground)
    assert block_of(modal, ACTION_SUBSCRIBE_REGISTRY) == REGISTRY_BLOCK
    options = await playground.slack_side().views.suggest(
        modal.id, REGISTRY_BLOCK, ACTION_SUBSCRIBE_REGISTRY, VIRTUAL_REF.registry
    )
    assert {"value": VIRTUAL_REF.path, "label": VIRTUAL_REF.short} in options
    # Choosing in an input block's menu sends nothing: it waits for the submission.
    calls = len(playground.slack_side().log)
    raw = {"value": VIRTUAL_REF.path, "label": VIRTUAL_REF.short}
    await playground.slack_side().views.act_in_view(
        modal.id, REGISTRY_BLOCK, ACTION_SUBSCRIBE_REGISTRY, values={}, raw=raw
    )
    assert len(playground.slack_side().log) == calls
    assert modal.values[REGISTRY_BLOCK][ACTION_SUBSCRIBE_REGISTRY] == raw


async def test_closing_a_modal_takes_it_away(playground: Playground) -> None:
    await playground.slack_side().shortcut(FIND_CALLBACK)
    await wait_for(playground, lambda: bool(playground.workspace.modals), "the Find modal")
    assert await playground.slack_side().views.close(top(playground).id)
    assert playground.workspace.modals == []
    assert not await playground.slack_side().views.close("V-gone")


async def test_the_message_shortcut_answers_privately_with_both_linked_cards(playground: Playground) -> None:
    slack = playground.slack_side()
    await slack.send(CHANNEL, f"Rollback? Compare {LINK} and {HELM}")
    typed = await wait_for_message(playground, CHANNEL, lambda m: "Rollback" in m.text, what="the message")
    assert await slack.shortcut("look_up_in_harness", channel=CHANNEL, ts=typed.ts)
    prod = await wait_for_message(playground, CHANNEL, card_for("docker-prod"), what="docker-prod's card")
    helm = await wait_for_message(playground, CHANNEL, card_for("helm-charts"), what="helm-charts' card")
    assert (prod.ephemeral, helm.ephemeral) == (True, True)
    assert not await slack.shortcut("look_up_in_harness", channel=CHANNEL, ts="1.000001")
    assert not await slack.shortcut("no_such_shortcut")


async def test_the_message_shortcut_says_so_when_a_message_has_no_links(playground: Playground) -> None:
    await playground.slack_side().send(CHANNEL, "@harbot is the build green?")
    typed = await wait_for_message(playground, CHANNEL, lambda m: "green" in m.text, what="the message")
    await playground.slack_side().shortcut("look_up_in_harness", channel=CHANNEL, ts=typed.ts)
    await wait_for_message(
        playground, CHANNEL, lambda m: from_bot(m) and "no Harness" in bot_text(m), what="the nothing-found"
    )


async def test_the_page_endpoints_drive_the_same_views(playground: Playground) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{playground.url}playground/home", json={}) as opened:
            assert opened.status == 200
        await wait_for(playground, lambda: playground.workspace.home is not None, "the Home tab")
        home = playground.workspace.home
        assert home is not None
        body = {
            "view_id": home.id,
            "block_id": block_of(home, ACTION_HOME_FIND),
            "action_id": ACTION_HOME_FIND,
        }
        async with http.post(f"{playground.url}playground/options", json=body | {"value": "docker"}) as found:
            options = (await found.json())["options"]
        assert any(option["value"] == PROD for option in options)
        async with http.post(f"{playground.url}playground/options", json=body | {"value": 7}) as refused:
            assert refused.status == 400
        async with http.post(
            f"{playground.url}playground/shortcut", json={"callback_id": FIND_CALLBACK}
        ) as sc:
            assert (await sc.json())["found"] is True
        await wait_for(playground, lambda: bool(playground.workspace.modals), "the Find modal")
        async with http.get(f"{playground.url}playground/updates?since=-1") as updates:
            drawn = await updates.json()
    assert f'data-view-id="{top(playground).id}"' in drawn["modal"]
    assert f'data-view-id="{home.id}"' in drawn["home"]


def test_the_playground_offers_the_manifests_shortcuts() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    declared = {(s["callback_id"], s["name"], s["type"]) for s in manifest["features"]["shortcuts"]}
    assert {(s.callback_id, s.name, s.kind) for s in SHORTCUTS} == declared


def test_what_the_page_says_was_entered_keeps_only_input_shapes() -> None:
    sent = {
        "a": {"text": "hi", "many": ["x", 3, "y"], "chosen": {"value": "v", "label": None}},
        "b": {"bad": 5, "worse": {"label": "no value"}},
        "c": "not a block",
        7: {"x": "y"},
    }
    assert read_values(sent) == {
        "a": {"text": "hi", "many": ["x", "y"], "chosen": {"value": "v", "label": ""}},
        "7": {"x": "y"},
    }
    assert read_values(["nope"]) == {}
    assert len(read_values({f"b{i}": {"a": "x" * 10_000} for i in range(500)})) == 100


async def test_a_view_needs_a_fresh_trigger_and_an_update_the_current_hash(playground: Playground) -> None:
    slack: PlaygroundSlack = playground.slack_side()
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": []}
    assert slack.view_open({"trigger_id": "1.2.nope", "view": modal})["error"] == "invalid_trigger_id"
    assert slack.view_push({"trigger_id": "1.2.nope", "view": modal})["error"] == "invalid_trigger_id"
    assert slack.view_update({"view_id": "V-gone", "view": modal})["error"] == "not_found"
    assert slack.view_publish({"user_id": "U-other", "view": {"type": "home", "blocks": []}})["ok"] is False
    await slack.shortcut(FIND_CALLBACK)
    await wait_for(playground, lambda: bool(playground.workspace.modals), "the Find modal")
    opened = top(playground)
    stale = slack.view_update({"view_id": opened.id, "hash": "old", "view": modal})
    assert stale["error"] == "hash_conflict"
    assert find_element(opened.view, FIND_BLOCK, ACTION_MODAL_FIND) is not None


async def test_a_submission_acknowledged_with_a_fourth_modal_is_refused_in_place(
    playground: Playground,
) -> None:
    views = playground.slack_side().views
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": []}
    playground.workspace.modals = [View(id=f"V{n}", view=modal) for n in range(3)]
    pushed = json.dumps({"response_action": "push", "view": modal})
    assert views.apply_response(playground.workspace.modals[-1], pushed) == "push_limit_reached"
    assert len(playground.workspace.modals) == 3
    assert "three modals" in playground.workspace.modals[-1].notice
    assert views.apply_response(playground.workspace.modals[-1], "") == "close"
    assert [view.id for view in playground.workspace.modals] == ["V0", "V1"]
    assert views.apply_response(playground.workspace.modals[-1], '{"response_action": "clear"}') == "clear"
    assert playground.workspace.modals == []
