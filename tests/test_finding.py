"""Finding registries wherever they live, end to end: the bare-name search, did-you-mean, list, find, pull.

The real app on loopback with signed requests; Harness's list and client set-up endpoints are the
stand-in's (devtools/harness.py), serving a catalog the way Harness's server does.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from typing import Any

from bot.harness.searches import ListQuery
from bot.refs import SpaceRef
from devtools.harness import Canned, success_body
from devtools.server import Recorded
from tests.blockkit import assert_valid_blocks
from tests.conftest import HARNESS_KEY, SECRETS, Bot
from tests.support import (
    REF,
    SETUP_SUFFIX,
    block_actions,
    dm,
    event_body,
    harness_fixture,
    list_key,
    listed,
    mention,
    message_of,
    settle,
    setup_body,
)

ACCOUNT_NAME_REF = "acc_test/docker-prod/+"


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def params(call: Recorded) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(call.path).query)


def action_ids(message: dict[str, Any]) -> list[str]:
    ids = []
    for block in message["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if isinstance(element, dict) and "action_id" in element:
                ids.append(element["action_id"])
    return ids


def button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in message["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no button {action_id}")


def catalog(count: int, scope: str = "acc_test/payments/checkout") -> list[dict[str, Any]]:
    return [listed(f"{scope}/reg-{index:03d}") for index in range(count)]


# --- A bare name -----------------------------------------------------------------------------------------


async def test_a_bare_name_elsewhere_in_the_account_answers_with_its_card_marked_found(bot: Bot) -> None:
    bot.harness.catalog = [
        listed("acc_test/payments/checkout/docker-prod"),
        listed("acc_test/ops/docker-prod2"),
    ]
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    await bot.command("docker-prod")
    (posted,) = await bot.slack.wait_response()
    message = posted.json()
    assert_valid_blocks(message["blocks"])
    assert "found in payments › checkout" in text_of(message)
    assert message["response_type"] == "ephemeral"
    (search,) = bot.harness.list_calls()
    assert search.path.startswith("/gateway/har/api/v1/spaces/acc_test/+/registries?")
    assert params(search)["scope"] == ["descendants"]
    assert params(search)["recursive"] == ["true"]
    assert params(search)["search_term"] == ["docker-prod"]
    assert "size" in params(search)
    assert [len(bot.harness.calls(ACCOUNT_NAME_REF)), len(bot.harness.calls(REF))] == [1, 1]


async def test_a_bare_name_in_the_default_scope_is_not_searched_for(bot: Bot) -> None:
    bot.harness.program(ACCOUNT_NAME_REF, Canned(body=success_body()))
    await bot.command("docker-prod")
    (posted,) = await bot.slack.wait_response()
    assert "found in" not in text_of(posted.json())
    assert bot.harness.list_calls() == []


async def test_a_scoped_name_that_is_not_found_is_not_searched_for(bot: Bot) -> None:
    bot.harness.catalog = [listed("acc_test/payments/checkout/docker-prod")]
    await bot.command("platform/docker-prod")
    (posted,) = await bot.slack.wait_response()
    assert "couldn't find a registry named" in text_of(posted.json())
    assert bot.harness.list_calls() == []


async def test_a_misspelt_name_gets_did_you_mean_buttons_that_open_the_card(bot: Bot) -> None:
    bot.harness.catalog = [
        listed("acc_test/payments/checkout/docker-prod"),
        listed("acc_test/payments/docker-dev"),
        listed("acc_test/ops/maven-central", "MAVEN"),
    ]
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    await bot.command("docker-prd")
    (posted,) = await bot.slack.wait_response()
    message = posted.json()
    assert_valid_blocks(message["blocks"])
    assert "Did you mean" in text_of(message)
    assert action_ids(message) == ["choose_registry_0", "choose_registry_1"]
    choice = button(message, "choose_registry_0")
    assert choice["value"] == REF
    assert "maven" not in text_of(message)

    await bot.post(block_actions("choose_registry_0", REF, response_url=bot.slack.response_url("pick")))
    (picked,) = await bot.slack.wait_response("pick")
    card = picked.json()
    assert card["replace_original"] is True
    assert "found in payments › checkout" in text_of(card)
    assert_valid_blocks(card["blocks"])


async def test_a_name_found_nowhere_says_so_and_suggests_find(bot: Bot) -> None:
    bot.harness.catalog = [listed("acc_test/ops/maven-central", "MAVEN")]
    await bot.command("docker-prod")
    (posted,) = await bot.slack.wait_response()
    shown = text_of(posted.json())
    assert "anywhere in the account" in shown
    assert "/har find" in shown


async def test_a_bare_name_in_a_dm_and_a_mention_is_searched_for_too(bot: Bot) -> None:
    bot.harness.catalog = [listed("acc_test/payments/checkout/docker-prod")]
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    await bot.send_event(event_body(dm("docker-prod")))
    await bot.send_event(event_body(mention("docker-prod")))
    said = await bot.slack.wait_api("chat.postMessage", count=2)
    for call in said:
        assert "found in payments › checkout" in text_of(message_of(call))


# --- list and find -----------------------------------------------------------------------------------------


async def test_list_alone_lists_the_whole_account_twenty_to_a_page_and_pages_in_place(bot: Bot) -> None:
    bot.harness.catalog = catalog(45)
    await bot.command("list")
    (posted,) = await bot.slack.wait_response()
    first = posted.json()
    assert_valid_blocks(first["blocks"])
    assert first["response_type"] == "ephemeral"
    assert text_of(first).count("list_open_") == 20
    assert "Page 1 of 3" in text_of(first)
    assert "45 registries" in text_of(first)
    assert "list_previous" not in action_ids(first)
    (call,) = bot.harness.list_calls()
    assert call.path.startswith("/gateway/har/api/v1/spaces/acc_test/+/registries?")
    assert params(call)["page"] == ["0"]
    assert params(call)["size"] == ["20"]

    next_value = button(first, "list_next")["value"]
    await bot.post(block_actions("list_next", next_value, response_url=bot.slack.response_url("p2")))
    (second,) = await bot.slack.wait_response("p2")
    page2 = second.json()
    assert page2["replace_original"] is True
    assert "reg-020" in text_of(page2)
    assert "reg-019" not in text_of(page2)
    assert {"list_previous", "list_next"} <= set(action_ids(page2))

    last_value = button(page2, "list_next")["value"]
    await bot.post(block_actions("list_next", last_value, response_url=bot.slack.response_url("p3")))
    (third,) = await bot.slack.wait_response("p3")
    page3 = third.json()
    assert "reg-044" in text_of(page3)
    assert "list_next" not in action_ids(page3)

    back = button(page3, "list_previous")["value"]
    await bot.post(block_actions("list_previous", back, response_url=bot.slack.response_url("back")))
    (previous,) = await bot.slack.wait_response("back")
    assert "reg-020" in text_of(previous.json())
    assert len(bot.harness.list_calls()) == 3  # page 2 again came from the brief cache


async def test_list_a_project_with_a_package_type_and_a_registry_type(bot: Bot) -> None:
    bot.harness.catalog = [
        listed("acc_test/payments/checkout/docker-prod"),
        listed("acc_test/payments/checkout/npm-proxy", "NPM", "UPSTREAM"),
        listed("acc_test/payments/billing/docker-up", "DOCKER", "UPSTREAM"),
    ]
    await bot.command("list payments/checkout npm upstream")
    (posted,) = await bot.slack.wait_response()
    shown = text_of(posted.json())
    assert "npm-proxy" in shown
    assert "docker-prod" not in shown
    assert "docker-up" not in shown
    (call,) = bot.harness.list_calls()
    assert call.path.startswith("/gateway/har/api/v1/spaces/acc_test/payments/checkout/+/registries?")
    assert params(call)["package_type"] == ["NPM"]
    assert params(call)["type"] == ["UPSTREAM"]


async def test_list_an_org_that_harness_does_not_know(bot: Bot) -> None:
    bot.harness.program_path(
        list_key("acc_test/nope"), Canned(status=404, body=b'{"message":"space not found"}')
    )
    await bot.command("list nope")
    (posted,) = await bot.slack.wait_response()
    assert "I couldn't find org `nope` in Harness" in text_of(posted.json())


async def test_find_searches_the_whole_account_for_part_of_a_name(bot: Bot) -> None:
    bot.harness.catalog = [
        listed("acc_test/payments/checkout/docker-prod"),
        listed("acc_test/ops/checkout-cache"),
        listed("acc_test/ops/maven-central", "MAVEN"),
    ]
    await bot.command("find Checkout")
    (posted,) = await bot.slack.wait_response()
    shown = text_of(posted.json())
    assert "checkout-cache" in shown
    assert "maven-central" not in shown
    (call,) = bot.harness.list_calls()
    assert params(call)["search_term"] == ["checkout"]


async def test_find_with_text_that_cannot_be_a_name_gets_usage_and_no_call(bot: Bot) -> None:
    status, ack = await bot.command("find ../../x?y")
    assert status == 200
    assert "letters, digits, hyphens and underscores" in ack
    assert bot.harness.requests == []


async def test_a_list_row_opens_the_registry_card(bot: Bot) -> None:
    bot.harness.catalog = [listed("acc_test/payments/checkout/docker-prod")]
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    await bot.command("list payments")
    (posted,) = await bot.slack.wait_response()
    value = button(posted.json(), "list_open_0")["value"]
    assert value == REF
    await bot.post(block_actions("list_open_0", value, response_url=bot.slack.response_url("open")))
    (opened,) = await bot.slack.wait_response("open")
    assert opened.json()["replace_original"] is False
    assert "Open in Harness" in text_of(opened.json())


async def test_identical_lists_at_once_share_one_harness_call(bot: Bot) -> None:
    release = asyncio.Event()
    body = json.dumps({"status": "SUCCESS", "data": {"registries": catalog(3)}}).encode()
    bot.harness.program_path(list_key("acc_test"), Canned(body=body, hold=release))
    first = asyncio.create_task(bot.command("list", name="a"))
    second = asyncio.create_task(bot.command("ls", name="b"))
    await bot.harness.wait_for(lambda r: "/spaces/" in r.path)
    await asyncio.gather(first, second)
    release.set()
    await bot.slack.wait_response("a")
    await bot.slack.wait_response("b")
    assert len(bot.harness.list_calls()) == 1


async def test_a_list_in_a_mention_goes_to_the_asker_alone(bot: Bot) -> None:
    bot.harness.catalog = catalog(2)
    await bot.send_event(event_body(mention("list")))
    (call,) = await bot.slack.wait_api("chat.postEphemeral")
    assert "reg-001" in text_of(message_of(call))
    await settle(bot.services.background)
    assert bot.slack.api_calls("chat.postMessage") == []


async def test_the_allow_list_filters_results_and_hides_the_counts(make_bot: Any) -> None:
    bot: Bot = await make_bot(allowed_harness_scopes="payments/checkout")
    bot.harness.catalog = [
        *catalog(3),
        listed("acc_test/payments/billing/secret-reg"),
        listed("acc_test/secret-account-reg"),
        {"identifier": "no-path-reg", "packageType": "DOCKER", "type": "VIRTUAL", "url": "u", "path": ""},
    ]
    await bot.command("list")
    (posted,) = await bot.slack.wait_response()
    shown = text_of(posted.json())
    assert "reg-002" in shown
    assert "secret" not in shown
    assert "no-path-reg" not in shown
    assert "6 registries" not in shown
    assert "of 1" not in shown
    await bot.command("list payments/billing", name="billing")
    (refused,) = await bot.slack.wait_response("billing")
    assert "not set up to list registries in payments › billing" in text_of(refused.json())
    assert len(bot.harness.list_calls()) == 1


# --- pull ------------------------------------------------------------------------------------------------


async def test_pull_shows_the_set_up_steps_as_code_blocks_to_the_asker_only(bot: Bot) -> None:
    bot.harness.program(REF + SETUP_SUFFIX, Canned(body=setup_body("docker-prod")))
    await bot.command("pull payments/checkout/docker-prod")
    (posted,) = await bot.slack.wait_response()
    message = posted.json()
    assert_valid_blocks(message["blocks"])
    assert message["response_type"] == "ephemeral"
    shown = text_of(message)
    assert "```docker login pkg.harness.io -u alice -p &lt;TOKEN&gt;```" in shown
    assert "How to pull from docker-prod" in shown
    (call,) = bot.harness.calls(REF + SETUP_SUFFIX)
    assert call.headers["x-api-key"] == HARNESS_KEY


async def test_pull_never_shows_the_bots_key_even_when_harness_echoes_it(bot: Bot) -> None:
    echoed = setup_body("docker-prod").replace(b"<TOKEN>", HARNESS_KEY.encode())
    bot.harness.program(REF + SETUP_SUFFIX, Canned(body=echoed))
    await bot.command("pull payments/checkout/docker-prod")
    (posted,) = await bot.slack.wait_response()
    shown = posted.body.decode()
    for secret in SECRETS:
        assert secret not in shown
    assert "&lt;TOKEN&gt;" in shown


async def test_the_cards_how_to_pull_button_shows_the_steps_beside_the_card(bot: Bot) -> None:
    bot.harness.catalog = [listed("acc_test/payments/checkout/docker-prod")]
    await bot.post(block_actions("how_to_pull", REF, response_url=bot.slack.response_url("pull")))
    (posted,) = await bot.slack.wait_response("pull")
    message = posted.json()
    assert message["response_type"] == "ephemeral"
    assert message["replace_original"] is False
    assert "docker pull" in text_of(message)


async def test_pull_with_a_misspelt_bare_name_offers_choices_that_open_the_steps(bot: Bot) -> None:
    bot.harness.catalog = [listed("acc_test/payments/checkout/docker-prod")]
    await bot.command("pull docker-prd")
    (posted,) = await bot.slack.wait_response()
    choice = button(posted.json(), "choose_pull_0")
    await bot.post(block_actions("choose_pull_0", choice["value"], response_url=bot.slack.response_url("c")))
    (steps,) = await bot.slack.wait_response("c")
    assert steps.json()["replace_original"] is True
    assert "docker pull" in text_of(steps.json())


async def test_pull_in_a_mention_goes_to_the_asker_alone(bot: Bot) -> None:
    bot.harness.catalog = [listed("acc_test/payments/checkout/docker-prod")]
    await bot.send_event(event_body(mention("pull payments/checkout/docker-prod")))
    (call,) = await bot.slack.wait_api("chat.postEphemeral")
    assert "docker login" in text_of(message_of(call))


async def test_a_paging_button_value_names_no_account_and_is_read_in_the_bots_own(bot: Bot) -> None:
    bot.harness.catalog = catalog(30, "acc_test/payments")
    value = json.dumps({"s": "payments", "p": 1})
    await bot.post(block_actions("list_next", value, response_url=bot.slack.response_url("x")))
    (posted,) = await bot.slack.wait_response("x")
    assert "reg-020" in text_of(posted.json())
    (call,) = bot.harness.list_calls()
    assert call.path.startswith("/gateway/har/api/v1/spaces/acc_test/payments/+/registries?")


def test_list_query_is_hashable_for_the_cache() -> None:
    query = ListQuery(SpaceRef(account="acc_test", org="payments"), "x", 1, 20, ("DOCKER",), "VIRTUAL")
    assert {query: 1}[ListQuery(SpaceRef("acc_test", "payments"), "x", 1, 20, ("DOCKER",), "VIRTUAL")] == 1


async def test_help_lists_list_find_and_pull_from_the_command_table(bot: Bot) -> None:
    _, ack = await bot.command("help")
    message = json.loads(ack)
    assert_valid_blocks(message["blocks"])
    shown = text_of(message)
    for example in ("/har list payments docker", "/har find checkout", "/har pull payments/docker-prod"):
        assert example in shown
