"""Without typing: the App Home tab, the search box, the message shortcut and the Find modal, at handler
level (a fake ack and Web API client; the Harness and Slack stand-ins on loopback), and the Home tab
end to end through the real HTTP server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.access import Asker
from bot.cards.blocks import OPTION_TEXT_LIMIT, OPTION_VALUE_LIMIT
from bot.cards.home import (
    ACTION_HOME_FIND,
    ACTION_MODAL_CHANNEL,
    ACTION_MODAL_FIND,
    FIND_BLOCK,
    card_modal,
    find_modal,
    home_tab,
    search_options,
)
from bot.cards.listing import Row
from bot.commands import COMMANDS
from bot.listeners.home import (
    handle_look_up_shortcut,
    open_privately,
    search,
    share_from_modal,
    submit_find,
)
from bot.listeners.home_tab import publish_home
from bot.listeners.recent import recent
from bot.refs import RegistryRef
from bot.services import Services, build_services
from devtools.harness import Canned, HarnessStandIn, success_body
from devtools.slack import SlackStandIn, arguments
from tests.blockkit import assert_valid_blocks, utf16_len
from tests.conftest import Bot, make_settings
from tests.support import LINK, REF, event_body, harness_fixture, listed

ASKER = Asker(team="T1", channel="C1", user="U123")
OTHER_LINK = (
    "https://app.harness.io/ng/account/acc_test/module/har/orgs/payments/registries/npm-prod/packages"
)
OTHER_REF = "acc_test/payments/npm-prod/+"


@dataclass
class Client:
    """The Web API calls a handler makes, by method; chat.postMessage fails with `post_error` if set."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    post_error: str | None = None
    channels: list[str] = field(default_factory=list)
    """What users.conversations answers (one page)."""
    conversations_error: str | None = None

    def of(self, method: str) -> list[dict[str, Any]]:
        return [kwargs for name, kwargs in self.calls if name == method]

    async def views_publish(self, **kwargs: Any) -> None:
        self.calls.append(("views.publish", kwargs))

    async def views_open(self, **kwargs: Any) -> None:
        self.calls.append(("views.open", kwargs))

    async def views_push(self, **kwargs: Any) -> None:
        self.calls.append(("views.push", kwargs))

    async def users_conversations(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("users.conversations", kwargs))
        if self.conversations_error is not None:
            raise SlackApiError("refused", refusal(self.conversations_error))  # type: ignore[no-untyped-call]
        return {"channels": [{"id": c} for c in self.channels], "response_metadata": {"next_cursor": ""}}

    async def views_update(self, **kwargs: Any) -> None:
        self.calls.append(("views.update", kwargs))

    async def chat_postMessage(self, **kwargs: Any) -> None:
        self.calls.append(("chat.postMessage", kwargs))
        if self.post_error is not None:
            raise SlackApiError("refused", refusal(self.post_error))  # type: ignore[no-untyped-call]


def refusal(error: str) -> AsyncSlackResponse:
    """Slack's answer refusing a call with `error`."""
    data = {"ok": False, "error": error}
    return AsyncSlackResponse(
        client=None, http_verb="POST", api_url="", req_args={}, data=data, headers={}, status_code=200
    )


@dataclass
class Ack:
    calls: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def assert_valid_view(view: dict[str, Any]) -> None:
    """The view as Slack's own View model reads it, its blocks as Slack checks them, within 100 blocks."""
    View(**view).validate_json()
    assert len(view["blocks"]) <= 100
    for start in range(0, len(view["blocks"]), 50):  # assert_valid_blocks knows messages' 50
        assert_valid_blocks(view["blocks"][start : start + 50])


@pytest.fixture
async def services(harness: HarnessStandIn, slack: SlackStandIn) -> AsyncIterator[Services]:
    built = build_services(make_settings(harness_base_url=harness.base_url, slack_api_url=slack.api_url))
    await built.store.start()
    await built.slack.open()
    yield built
    await built.aclose()


def ref(path: str) -> RegistryRef:
    account, *scope, registry, _ = path.split("/")
    return RegistryRef(account=account, registry=registry, org=scope[0] if scope else None,
                       project=scope[1] if len(scope) > 1 else None)  # fmt: skip


# --- App Home -------------------------------------------------------------------------------------------


async def test_the_home_tab_has_the_search_box_and_the_commands(services: Services) -> None:
    client = Client()
    await publish_home("U123", client, services)  # type: ignore[arg-type]
    (published,) = client.of("views.publish")
    assert published["user_id"] == "U123"
    view = published["view"]
    assert_valid_view(view)
    box = view["blocks"][1]["accessory"]
    assert (box["type"], box["action_id"], box["min_query_length"]) == (
        "external_select",
        ACTION_HOME_FIND,
        1,
    )
    drawn = json.dumps(view)
    for command in COMMANDS:
        if command.word:
            assert f"`/har {command.word}" in drawn
    assert "You looked up recently" not in drawn


def test_the_home_tab_stays_within_limits_however_many_lookups() -> None:
    many = [
        RegistryRef(account="acc_test", registry=f"{'r' * 58}{i:05d}", org="o" * 60) for i in range(10_000)
    ]
    view = home_tab(many, COMMANDS)
    assert_valid_view(view)
    assert len(view["blocks"]) < 100
    buttons = next(b for b in view["blocks"] if b["type"] == "actions")["elements"]
    assert len(buttons) == 10


def test_search_options_stay_within_slacks_limits() -> None:
    rows = [Row(registry=None, ref=RegistryRef(account="acc_test", registry=f"reg-{i}", org="x" * 60))  # type: ignore[arg-type]
            for i in range(10_000)]  # fmt: skip
    options = search_options(rows)
    assert len(options) == 100
    assert all(utf16_len(o["text"]["text"]) <= OPTION_TEXT_LIMIT for o in options)
    assert all(len(o["value"]) <= OPTION_VALUE_LIMIT for o in options)


async def test_the_search_box_offers_what_the_allow_lists_let_through(harness: HarnessStandIn) -> None:
    harness.catalog = [listed("acc_test/payments/checkout/docker-prod"), listed("acc_test/secret/docker-dev")]
    built = build_services(
        make_settings(harness_base_url=harness.base_url, allowed_harness_scopes="payments")
    )
    try:
        options = await search("docker", built, ASKER)
    finally:
        await built.aclose()
    assert [o["value"] for o in options] == [REF]
    assert await search("   ", built, ASKER) == []


async def test_choosing_a_registry_sends_its_card_privately_and_remembers_it(
    services: Services, harness: HarnessStandIn
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    client = Client()
    await open_privately(ref(REF), client, services, ASKER)  # type: ignore[arg-type]
    (posted,) = client.of("chat.postMessage")
    assert posted["channel"] == "U123"
    assert_valid_blocks(posted["blocks"])
    assert [r.path for r in await recent("U123", services)] == [REF]
    (republished,) = client.of("views.publish")
    assert REF in json.dumps(republished["view"])
    assert_valid_view(republished["view"])


# --- The message shortcut -------------------------------------------------------------------------------


def shortcut(
    text: str, slack: SlackStandIn, attachments: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": "look_up_in_harness",
        "response_url": slack.response_url("s"),
        "user": {"id": "U123"},
        "channel": {"id": "C1"},
        "message": {"text": text, "attachments": attachments or []},
    }


async def test_the_shortcut_answers_privately_with_each_linked_registrys_card(
    services: Services, harness: HarnessStandIn, slack: SlackStandIn
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    harness.program(OTHER_REF, Canned(body=success_body()))
    body = shortcut(f"incident: <{LINK}> is down", slack, [{"text": f"see also {OTHER_LINK}"}])
    await handle_look_up_shortcut(body, services, ASKER)
    answers = [json.loads(r.body) for r in await slack.wait_response("s", 2)]
    assert all(a["response_type"] == "ephemeral" for a in answers)
    for answer in answers:
        assert_valid_blocks(answer["blocks"])
    assert len(harness.calls(REF)) == 1
    assert len(harness.calls(OTHER_REF)) == 1


async def test_the_shortcut_says_so_when_nothing_is_found(services: Services, slack: SlackStandIn) -> None:
    await handle_look_up_shortcut(shortcut("lunch?", slack), services, ASKER)
    (answer,) = [json.loads(r.body) for r in await slack.wait_response("s", 1)]
    assert "no Harness registry, artifact or version links" in answer["text"]


# --- The Find modal -------------------------------------------------------------------------------------


def submission(value: str | None) -> dict[str, Any]:
    chosen = {"selected_option": {"value": value}} if value else {"selected_option": None}
    return {"view": {"id": "V1", "state": {"values": {FIND_BLOCK: {ACTION_MODAL_FIND: chosen}}}}}


def test_the_modals_are_valid_views() -> None:
    assert_valid_view(find_modal())
    assert_valid_view(card_modal([], ref(REF)))


async def test_showing_a_registry_puts_its_card_in_the_modal_with_share(
    services: Services, harness: HarnessStandIn
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    ack = Ack()
    await submit_find(ack, submission(REF), services, ASKER)  # type: ignore[arg-type]
    ((answer),) = ack.calls
    assert answer["response_action"] == "update"
    assert_valid_view(answer["view"])
    assert ACTION_MODAL_CHANNEL in json.dumps(answer["view"])


@pytest.mark.parametrize("value", [None, "acc_test/payments/nope/+"])
async def test_showing_nothing_or_a_missing_registry_says_so_in_the_modal(
    services: Services, value: str | None
) -> None:
    ack = Ack()
    await submit_find(ack, submission(value), services, ASKER)  # type: ignore[arg-type]
    ((answer),) = ack.calls
    assert answer["response_action"] == "errors"
    assert answer["errors"][FIND_BLOCK]


def shared(channel: str | None) -> dict[str, Any]:
    view = card_modal([], ref(REF)) | {"id": "V1"}
    picked = {"selected_conversation": channel}
    return {"view": view | {"state": {"values": {"b": {ACTION_MODAL_CHANNEL: picked}}}}}


@pytest.mark.parametrize(
    ("error", "channel", "note"),
    [(None, "C9", "Shared to <#C9>"), ("not_in_channel", "C9", "invite me"), (None, None, "Pick a channel")],
)
async def test_share_posts_the_card_or_says_why_not_in_the_modal(
    services: Services, harness: HarnessStandIn, error: str | None, channel: str | None, note: str
) -> None:
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    client = Client(post_error=error)
    await share_from_modal(shared(channel), client, services, ASKER)  # type: ignore[arg-type]
    assert [c["channel"] for c in client.of("chat.postMessage")] == ([channel] if channel else [])
    (updated,) = client.of("views.update")
    assert note in json.dumps(updated["view"])
    assert_valid_view(updated["view"])


# --- End to end -----------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_opening_the_home_tab_publishes_it_with_the_search_box(bot: Bot) -> None:
    event = {"type": "app_home_opened", "user": "U123", "channel": "D1", "tab": "home"}
    assert await bot.send_event(event_body(event)) == 200
    (published,) = await bot.slack.wait_api("views.publish")
    args = arguments(published)
    assert args is not None
    assert args["user_id"] == "U123"
    view = json.loads(args["view"]) if isinstance(args["view"], str) else args["view"]
    assert_valid_view(view)
    assert view["blocks"][1]["accessory"]["action_id"] == ACTION_HOME_FIND
