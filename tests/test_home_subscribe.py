"""Issue 18, the rest of the Home tab: recent lookups from every surface, the subscriptions of the user's
channels, and the "Subscribe a channel" modal; at handler level on the sandbox Harness, a real SQLite
store and the Slack stand-in, and the whole click path end to end through the real HTTP server."""

from __future__ import annotations

import dataclasses
import json
import logging
import urllib.parse
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.access import Asker
from bot.cards.artifact import artifact_value
from bot.cards.home import (
    ACTION_HOME_OPEN,
    ACTION_HOME_SUBSCRIBE,
    ACTION_MODAL_SUBSCRIBE,
    MAX_WATCHED,
    LastEvent,
    Watched,
    card_modal,
    home_tab,
)
from bot.cards.subscribe import (
    ACTION_SUBSCRIBE_ARTIFACT,
    ACTION_SUBSCRIBE_CHANNEL,
    ACTION_SUBSCRIBE_EVENTS,
    ACTION_SUBSCRIBE_REGISTRY,
    ACTION_SUBSCRIBE_TAG,
    ARTIFACT_BLOCK,
    CHANNEL_BLOCK,
    EVENTS_BLOCK,
    REGISTRY_BLOCK,
    SUBSCRIBE_CALLBACK,
    TAG_BLOCK,
    subscribe_modal,
)
from bot.commands import COMMANDS, SLASH, understand
from bot.harness.client import HarnessClient
from bot.listeners.commands import answer_command
from bot.listeners.events import handle_direct_message, handle_mention
from bot.listeners.home import open_privately, search
from bot.listeners.home_tab import publish_home
from bot.listeners.recent import read_target, recent
from bot.listeners.subscribe import open_subscribe, submit_subscribe
from bot.refs import ArtifactRef, RegistryRef, VersionRef
from bot.services import Services, build_services
from bot.store import NewEvent, Store
from bot.store.behind import LookupWrites
from devtools.harness import HarnessStandIn
from devtools.registries import ACCOUNT, API_KEY
from devtools.slack import SlackStandIn, arguments
from tests.conftest import make_settings, serve_bot, stop_bot
from tests.support import dm, event_body, listed, mention, settle
from tests.test_home import Ack, Client, assert_valid_view
from tests.watching_support import PUBLIC, REF, UPSTREAM, serve_subscribing_bot, sqlite_url

ASKER = Asker(team="T1", channel="C1", user="U1")
FROM_HOME = Asker(team="T1", channel=None, user="U1")
API = ArtifactRef(REF, "checkout-api")
TAG = VersionRef(API, "2.14.0")


async def make_services(sandbox: HarnessStandIn, slack: SlackStandIn, database: str) -> Services:
    settings = make_settings(
        harness_base_url=sandbox.base_url,
        harness_api_key=API_KEY,
        harness_account_id=ACCOUNT,
        slack_api_url=slack.api_url,
        public_url=PUBLIC,
        database_url=database,
    )
    client = HarnessClient(
        base_url=sandbox.base_url, api_key=API_KEY, timeout=1.0, deadline=3.0, backoff=0.01
    )
    services = build_services(settings, harness=client)
    await services.start()
    return services


@pytest.fixture
async def services(sandbox: HarnessStandIn, slack: SlackStandIn, tmp_path: Path) -> AsyncIterator[Services]:
    started = await make_services(sandbox, slack, sqlite_url(tmp_path))
    yield started
    await started.aclose()


class Said:
    """A fake `say` / `respond`: what was sent, in order."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def __call__(self, **kwargs: Any) -> None:
        self.sent.append(kwargs)


# --- Recent lookups from every surface ------------------------------------------------------------------


async def test_a_slash_command_lookup_is_remembered_for_the_home_tab(services: Services) -> None:
    task = understand(REF.short, services.scope, SLASH)
    await answer_command(task, Said(), services, ASKER)  # type: ignore[arg-type]
    assert await recent("U1", services) == [REF]


async def test_artifacts_and_versions_asked_in_dms_and_mentions_are_remembered_newest_first(
    services: Services,
) -> None:
    await handle_direct_message(dm(f"{REF.short}/checkout-api"), Said(), services, ASKER)  # type: ignore[arg-type]
    client = Client()
    said = Said()
    await handle_mention(mention(f"{REF.short}/checkout-api:2.14.0"), said, client, services, ASKER)  # type: ignore[arg-type]
    assert said.sent, "the version card goes to the thread"
    assert await recent("U1", services) == [TAG, API]


async def test_the_home_tab_lists_both_kinds_each_with_a_button_that_opens_its_card(
    services: Services,
) -> None:
    await handle_direct_message(dm(REF.short), Said(), services, ASKER)  # type: ignore[arg-type]
    await handle_direct_message(dm(f"{REF.short}/checkout-api"), Said(), services, ASKER)  # type: ignore[arg-type]
    client = Client()
    await publish_home("U1", client, services)  # type: ignore[arg-type]
    (published,) = client.of("views.publish")
    assert_valid_view(published["view"])
    row = next(b for b in published["view"]["blocks"] if b["type"] == "actions")
    assert [b["action_id"] for b in row["elements"]] == [f"{ACTION_HOME_OPEN}_0", f"{ACTION_HOME_OPEN}_1"]
    assert [read_target(b["value"], services) for b in row["elements"]] == [API, REF]
    opening = Client()
    await open_privately(API, opening, services, FROM_HOME)  # type: ignore[arg-type]
    (card,) = opening.of("chat.postMessage")
    assert card["channel"] == "U1"
    assert "checkout-api" in card["text"]


async def test_a_lookup_that_failed_is_not_remembered(services: Services) -> None:
    await handle_direct_message(dm("no-such-registry-anywhere"), Said(), services, ASKER)  # type: ignore[arg-type]
    assert await recent("U1", services) == []


async def test_the_answer_goes_out_when_the_store_is_down(
    sandbox: HarnessStandIn, slack: SlackStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    services = await make_services(sandbox, slack, sqlite_url(tmp_path))
    try:
        missing = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'harbot.db'}")
        down = dataclasses.replace(services, store=missing, recent_writes=LookupWrites(missing))
        said = Said()
        with caplog.at_level(logging.WARNING):
            await handle_direct_message(dm(REF.short), said, down, ASKER)  # type: ignore[arg-type]
        (answer,) = said.sent
        assert "docker-prod" in answer["text"]
        assert await recent("U1", down) == []  # it writes what waits first: the store is down
        assert "lookup not remembered count=1" in caplog.text
    finally:
        await services.aclose()


# --- Subscriptions in your channels ---------------------------------------------------------------------


async def subscribe_in_store(services: Services, channel: str, **wanted: Any) -> None:
    async with services.store.transaction() as tx:
        await tx.subscriptions.add(
            channel=channel, registry=REF.path, created_by="U9", at=datetime.now(UTC), **wanted
        )


async def test_the_home_tab_lists_the_subscriptions_of_the_users_channels_with_their_last_event(
    services: Services,
) -> None:
    await subscribe_in_store(services, "C1", artifact_glob="checkout-*")
    await subscribe_in_store(services, "C2", deletes=False)
    await subscribe_in_store(services, "C3")  # not one of the user's channels
    async with services.store.transaction() as tx:
        for artifact, at in (("checkout-api", 1_700_000_000), ("billing", 1_700_000_100)):
            event = NewEvent(REF.path, artifact, "2.14.0", "pushed", datetime.fromtimestamp(at, tz=UTC))
            await tx.events.add(event, delivery_id=None)
    client = Client(channels=["C1", "C2"])
    await publish_home("U1", client, services)  # type: ignore[arg-type]
    view = client.of("views.publish")[0]["view"]
    assert_valid_view(view)
    drawn = json.dumps(view)
    assert "Subscriptions in your channels" in drawn
    assert "<#C1>" in drawn
    assert "<#C2>" in drawn
    assert "<#C3>" not in drawn
    lines = next(b["text"]["text"] for b in view["blocks"] if "<#C1>" in b.get("text", {}).get("text", ""))
    first, second = lines.split("\n")
    assert "`checkout-*`" in first
    assert "`checkout-api:2.14.0`" in first
    assert ": pushes" in second
    assert "`billing:2.14.0`" in second
    assert ACTION_HOME_SUBSCRIBE in drawn
    (asked,) = client.of("users.conversations")
    assert (asked["user"], asked["types"]) == ("U1", "public_channel,private_channel")


@pytest.mark.parametrize("failing", ["slack", "store"])
async def test_the_home_tab_shows_without_the_section_when_slack_or_the_store_fails(
    services: Services, tmp_path: Path, failing: str
) -> None:
    await subscribe_in_store(services, "C1")
    client = Client(channels=["C1"], conversations_error="ratelimited" if failing == "slack" else None)
    used = services
    if failing == "store":
        missing = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'harbot.db'}"
        used = dataclasses.replace(services, store=Store.from_url(missing))
    await publish_home("U1", client, used)  # type: ignore[arg-type]
    view = client.of("views.publish")[0]["view"]
    assert_valid_view(view)
    assert "Subscriptions in your channels" not in json.dumps(view)
    assert ACTION_HOME_SUBSCRIBE in json.dumps(view), "Subscribe is still offered"


def hostile_watched(count: int) -> list[Watched]:
    registry = RegistryRef(account=ACCOUNT, org="o" * 128, project="p" * 128, registry="r" * 63)
    last = LastEvent("pushed", "a<&>`" * 100, "v" * 500, datetime.now(UTC))
    return [Watched(f"C{i:08d}", registry, "x*" * 64, "pushes and deletes", last) for i in range(count)]


def test_thousands_of_subscriptions_with_long_names_stay_within_the_view_limits() -> None:
    view = home_tab([TAG, API, REF] * 10, COMMANDS, hostile_watched(5_000))
    assert_valid_view(view)
    drawn = json.dumps(view)
    assert f"and {5_000 - MAX_WATCHED} more" in drawn
    assert "/har subscriptions" in drawn


# --- The Subscribe modal --------------------------------------------------------------------------------


def test_the_subscribe_modal_is_a_valid_view_with_or_without_a_registry() -> None:
    for view in (
        subscribe_modal(),
        subscribe_modal(registry=REF, channel="C1"),
        subscribe_modal(
            registry=RegistryRef(account=ACCOUNT, org="o" * 128, project="p" * 128, registry="r" * 63)
        ),
        subscribe_modal(channel="<!here>"),
    ):
        assert_valid_view(view)
        assert len(view["title"]["text"]) <= 24
    chosen = subscribe_modal(registry=REF, channel="C1")["blocks"]
    assert chosen[0]["element"]["initial_option"]["value"] == REF.path
    assert chosen[4]["element"]["initial_conversation"] == "C1"
    assert "initial_conversation" not in subscribe_modal(channel="<!here>")["blocks"][4]["element"]


def test_the_card_modal_offers_subscribe() -> None:
    row = card_modal([], REF)["blocks"][-1]
    assert [(b["action_id"], b.get("value")) for b in row["elements"]][1] == (
        ACTION_MODAL_SUBSCRIBE,
        REF.path,
    )


async def test_subscribe_opens_the_modal_from_home_and_on_top_of_the_card_modal_with_its_registry(
    services: Services,
) -> None:
    client = Client()
    home = {"trigger_id": "1.2", "user": {"id": "U1"}, "container": {"type": "view"}}
    await open_subscribe(home, {"action_id": ACTION_HOME_SUBSCRIBE}, client, services)  # type: ignore[arg-type]
    (opened,) = client.of("views.open")
    assert opened["trigger_id"] == "1.2"
    assert "initial_option" not in opened["view"]["blocks"][0]["element"]
    card = {"action_id": ACTION_MODAL_SUBSCRIBE, "value": REF.path}
    await open_subscribe(home, card, client, services)  # type: ignore[arg-type]
    (pushed,) = client.of("views.push")
    assert_valid_view(pushed["view"])
    assert pushed["view"]["blocks"][0]["element"]["initial_option"]["value"] == REF.path


def submitted(
    registry: str | None = REF.path,
    artifact: str | None = None,
    tag: str | None = None,
    events: tuple[str, ...] = ("pushes", "deletes"),
    channel: str | None = "C1",
) -> dict[str, Any]:
    """A view_submission of the modal, its state as Slack sends it."""
    values = {
        REGISTRY_BLOCK: {
            ACTION_SUBSCRIBE_REGISTRY: {"selected_option": {"value": registry} if registry else None}
        },
        ARTIFACT_BLOCK: {ACTION_SUBSCRIBE_ARTIFACT: {"type": "plain_text_input", "value": artifact}},
        TAG_BLOCK: {ACTION_SUBSCRIBE_TAG: {"type": "plain_text_input", "value": tag}},
        EVENTS_BLOCK: {ACTION_SUBSCRIBE_EVENTS: {"selected_options": [{"value": e} for e in events]}},
        CHANNEL_BLOCK: {ACTION_SUBSCRIBE_CHANNEL: {"selected_conversation": channel}},
    }
    view = subscribe_modal() | {"id": "V1", "state": {"values": values}}
    return {"type": "view_submission", "user": {"id": "U1"}, "view": view}


@pytest.mark.parametrize(
    ("body", "block"),
    [
        (submitted(registry=None), REGISTRY_BLOCK),
        (submitted(registry="not a registry / at all"), REGISTRY_BLOCK),
        (submitted(artifact="pay ments"), ARTIFACT_BLOCK),
        (submitted(artifact="a" * 200), ARTIFACT_BLOCK),
        (submitted(tag="1.*/x"), TAG_BLOCK),
        (submitted(events=()), EVENTS_BLOCK),
        (submitted(channel=None), CHANNEL_BLOCK),
        (submitted(channel="D123"), CHANNEL_BLOCK),
    ],
)
async def test_a_submission_that_cannot_be_subscribed_shows_why_in_the_modal_and_creates_nothing(
    services: Services, sandbox: HarnessStandIn, body: dict[str, Any], block: str
) -> None:
    ack, client = Ack(), Client()
    await submit_subscribe(ack, body, client, services, FROM_HOME)  # type: ignore[arg-type]
    ((answer),) = ack.calls
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [block]
    assert "`" not in answer["errors"][block]
    assert len(answer["errors"][block]) <= 150
    await settle(services.background)
    assert client.calls == []
    assert sandbox.webhooks.of(REF.path) == []


async def test_a_valid_submission_closes_the_modal_subscribes_and_says_so_in_a_dm(
    services: Services, sandbox: HarnessStandIn
) -> None:
    ack, client = Ack(), Client(channels=["C1"])
    body = submitted(artifact="checkout-*", tag="2.*", events=("pushes",))
    await submit_subscribe(ack, body, client, services, FROM_HOME)  # type: ignore[arg-type]
    assert ack.calls == [{"response_action": "clear"}]
    await settle(services.background)
    async with services.store.transaction() as tx:
        (made,) = await tx.subscriptions.for_channel("C1")
    assert (made.artifact_glob, made.tag_glob, made.pushes, made.deletes) == (
        "checkout-*",
        "2.*",
        True,
        False,
    )
    assert len(sandbox.webhooks.of(REF.path)) == 1
    (told,) = client.of("chat.postMessage")
    assert told["channel"] == "U1"
    assert "<#C1>" in told["text"]
    assert "will hear about pushes" in told["text"]
    (home,) = client.of("views.publish")
    assert "`checkout-*:2.*`" in json.dumps(home["view"]), "the Home tab shows the new subscription"


@pytest.mark.parametrize(
    ("channel_state", "registry", "said"),
    [("not_in_channel", REF.path, "invite me"), (None, None, "virtual registries")],
)
async def test_a_refused_subscription_is_told_clearly_in_the_dm(
    services: Services, slack: SlackStandIn, channel_state: str | None, registry: str | None, said: str
) -> None:
    if channel_state is not None:
        slack.channels["C1"] = channel_state
    upstream = RegistryRef(
        account=ACCOUNT, org=UPSTREAM.org, project=UPSTREAM.project, registry=UPSTREAM.name
    )
    ack, client = Ack(), Client()
    await submit_subscribe(ack, submitted(registry=registry or upstream.path), client, services, FROM_HOME)  # type: ignore[arg-type]
    await settle(services.background)
    (told,) = client.of("chat.postMessage")
    assert "Not subscribed" in json.dumps(told["blocks"])
    assert said in told["text"].lower()
    async with services.store.transaction() as tx:
        assert await tx.subscriptions.for_channel("C1") == []


async def test_the_allow_lists_apply_to_the_modal_too(
    sandbox: HarnessStandIn, slack: SlackStandIn, tmp_path: Path
) -> None:
    services = await make_services(sandbox, slack, sqlite_url(tmp_path))
    services = dataclasses.replace(
        services,
        deps=dataclasses.replace(
            services.deps,
            access=type(services.deps.access).from_settings(
                make_settings(allowed_harness_scopes="other_org")
            ),
        ),
    )
    try:
        ack, client = Ack(), Client()
        await submit_subscribe(ack, submitted(), client, services, FROM_HOME)  # type: ignore[arg-type]
        await settle(services.background)
        (told,) = client.of("chat.postMessage")
        assert "Not subscribed" in json.dumps(told["blocks"])
        assert sandbox.webhooks.of(REF.path) == []
    finally:
        await services.aclose()


# --- End to end -----------------------------------------------------------------------------------------


def interaction(payload: dict[str, Any]) -> str:
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def view_of(call: Any) -> dict[str, Any]:
    args = arguments(call)
    assert args is not None
    view = args["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def view_click(action: dict[str, Any]) -> str:
    """A click on a button of the Home tab, as Slack sends it: in a view, with no response_url."""
    return interaction(
        {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": "U1", "team_id": "T1"},
            "trigger_id": "1.2.3",
            "api_app_id": "A1",
            "container": {"type": "view", "view_id": "VHOME"},
            "view": {"id": "VHOME", "type": "home", "blocks": []},
            "actions": [{"block_id": "b", "type": "button", **action}],
        }
    )


@pytest.mark.slow
async def test_a_recent_lookup_on_the_home_tab_opens_its_card_in_the_dm_by_clicking(
    sandbox: HarnessStandIn, slack: SlackStandIn, tmp_path: Path
) -> None:
    bot, runner = await serve_bot(
        slack, sandbox, harness_api_key=API_KEY, harness_account_id=ACCOUNT, database_url=sqlite_url(tmp_path)
    )
    try:
        status, _ = await bot.post(
            view_click({"action_id": f"{ACTION_HOME_OPEN}_0", "value": artifact_value(API)})
        )
        assert status == 200
        (card,) = await slack.wait_api("chat.postMessage")
        assert (arguments(card) or {}).get("channel") == "U1"
        assert "checkout-api" in json.dumps(arguments(card))
        (home,) = await slack.wait_api("views.publish")
        assert artifact_value(API) in json.dumps(view_of(home)), "the Home tab lists it first"
    finally:
        await stop_bot(bot, runner)


@pytest.mark.slow
async def test_a_user_subscribes_a_channel_from_the_home_tab_by_clicking(
    sandbox: HarnessStandIn, slack: SlackStandIn, tmp_path: Path
) -> None:
    bot, runner = await serve_subscribing_bot(slack, sandbox, tmp_path)
    slack.memberships["U1"] = ["C1"]
    bot.services.home.interval = bot.services.home.acted_interval = 0.05  # redraws without waiting 5 s
    team, user = {"id": "T1"}, {"id": "U1", "team_id": "T1"}
    try:
        assert bot.services.posting is not None
        assert (
            await bot.send_event(event_body({"type": "app_home_opened", "user": "U1", "tab": "home"})) == 200
        )
        (home,) = await slack.wait_api("views.publish")
        assert ACTION_HOME_SUBSCRIBE in json.dumps(view_of(home))
        status, _ = await bot.post(view_click({"action_id": ACTION_HOME_SUBSCRIBE}))
        assert status == 200
        (opened,) = await slack.wait_api("views.open")
        assert view_of(opened)["callback_id"] == SUBSCRIBE_CALLBACK
        typed = {
            "type": "block_suggestion",
            "team": team,
            "user": user,
            "api_app_id": "A1",
            "action_id": ACTION_SUBSCRIBE_REGISTRY,
            "block_id": REGISTRY_BLOCK,
            "value": "docker",
        }
        status, text = await bot.post(interaction(typed))
        assert status == 200
        assert REF.path in [o["value"] for o in json.loads(text)["options"]]
        wrong = submitted(artifact="no spaces allowed") | {"team": team, "user": user, "api_app_id": "A1"}
        status, text = await bot.post(interaction(wrong))
        assert (status, json.loads(text)["response_action"]) == (200, "errors")
        assert list(json.loads(text)["errors"]) == [ARTIFACT_BLOCK]
        right = submitted() | {"team": team, "user": user, "api_app_id": "A1"}
        status, text = await bot.post(interaction(right))
        assert (status, json.loads(text)) == (200, {"response_action": "clear"})
        (told,) = await slack.wait_api("chat.postMessage")
        assert "will hear about pushes and deletes" in json.dumps(arguments(told))
        assert len(sandbox.webhooks.of(REF.path)) == 1
        published = await slack.wait_api("views.publish", 2)
        assert "Subscriptions in your channels" in json.dumps(view_of(published[-1]))
    finally:
        await stop_bot(bot, runner)


async def test_the_search_stays_within_slacks_limits_among_10000_registries_with_500_character_names(
    harness: HarnessStandIn,
) -> None:
    # Sorted by name, the page of 20 holds ten of each: docker-00000, docker-00000xxx…, docker-00001, …
    harness.catalog = [
        listed(f"acc_test/payments/checkout/docker-{i:05d}{tail}")
        for i in range(5_000)
        for tail in ("", "x" * 490)
    ]
    built = build_services(make_settings(harness_base_url=harness.base_url))
    try:
        options = await search("docker", built, ASKER)
    finally:
        await built.aclose()
    assert len(options) == 10, "the readable registries are offered, the others left out"
    assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in options)
    assert all("x" * 100 not in o["value"] for o in options), "names Harness could not have are left out"
