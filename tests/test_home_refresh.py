"""Issue 18: the Home tab is drawn again when something it shows changes (a lookup elsewhere, a channel of
the user's subscribed or unsubscribed, an event stored for a registry it lists): coalesced, bounded, in
the background, its failures only logged. At handler level on the sandbox Harness, a real SQLite store
and the Slack stand-in (whose views.publish records what each user was shown)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.access import Asker
from bot.background import Background
from bot.cards import Reply
from bot.cards.artifact import artifact_value
from bot.cards.home import MAX_WATCHED
from bot.commands import SLASH, understand
from bot.listeners.commands import answer_command
from bot.listeners.events import handle_direct_message
from bot.listeners.home_tab import publish_home
from bot.listeners.watching import handle_unsubscribe
from bot.redraws import Redraws
from bot.refs import ArtifactRef
from bot.services import Services
from bot.store import Store
from bot.webhooks.receiver import Receiver
from devtools.harness import HarnessStandIn
from devtools.server import WAIT_SECONDS
from devtools.slack import SlackStandIn, arguments
from tests.conftest import BOT_TOKEN
from tests.support import LogWatch, dm
from tests.test_home_subscribe import Said, make_services
from tests.watching_support import REF, sqlite_url
from tests.webhook_support import IDENTIFIER, add_webhook, delivery, headers, serving

VIEWER = Asker(team="T1", channel="C1", user="U1")
API = ArtifactRef(REF, "checkout-api")


def lists_recent(view: dict[str, Any], target: ArtifactRef) -> bool:
    """Whether the Home tab's recent lookups hold a button opening `target`."""
    return any(
        element.get("value") == artifact_value(target)
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    )


INTERVAL = 0.05


@pytest.fixture
async def services(sandbox: HarnessStandIn, slack: SlackStandIn, tmp_path: Path) -> AsyncIterator[Services]:
    started = await make_services(sandbox, slack, sqlite_url(tmp_path))
    started.home.interval = started.home.acted_interval = INTERVAL
    yield started
    await started.aclose()


@pytest.fixture
def web(slack: SlackStandIn) -> AsyncWebClient:
    """The Web API client a Bolt request hands the Home listener, on the stand-in."""
    return AsyncWebClient(base_url=slack.api_url, token=BOT_TOKEN, retry_handlers=[])


async def quiet(services: Services) -> None:
    """Wait (up to WAIT_SECONDS) until no lookup waits to be written, no redraw waits or runs and the
    background is idle: exact, since a change schedules its redraws before it returns."""
    deadline = time.monotonic() + WAIT_SECONDS
    while services.home.pending or services.background.pending or services.recent_writes.pending:
        if time.monotonic() > deadline:
            raise AssertionError(f"{services.home.pending} redraw(s) still pending after {WAIT_SECONDS}s")
        await asyncio.sleep(0.005)


def published(slack: SlackStandIn, user: str) -> list[dict[str, Any]]:
    """The views published for `user`, in order."""
    views = []
    for call in slack.api_calls("views.publish"):
        args = arguments(call) or {}
        if args.get("user_id") == user:
            view = args["view"]
            views.append(json.loads(view) if isinstance(view, str) else dict(view))
    return views


async def subscribe_in_store(services: Services, channel: str, **wanted: Any) -> None:
    async with services.store.transaction() as tx:
        await tx.subscriptions.add(
            channel=channel, registry=REF.path, created_by="U9", at=datetime.now(UTC), **wanted
        )


# --- A lookup elsewhere ---------------------------------------------------------------------------------


async def by_slash_command(services: Services) -> None:
    task = understand(f"{REF.short}/checkout-api", services.scope, SLASH)
    assert not isinstance(task, Reply)
    await answer_command(task, Said(), services, VIEWER)  # type: ignore[arg-type]


async def by_dm(services: Services, said: Said | None = None) -> None:
    await handle_direct_message(dm(f"{REF.short}/checkout-api"), said or Said(), services, VIEWER)  # type: ignore[arg-type]


@pytest.mark.parametrize("look_up", [by_slash_command, by_dm], ids=["slash-command", "dm"])
async def test_a_lookup_elsewhere_draws_the_home_tab_again_with_it(
    services: Services,
    slack: SlackStandIn,
    web: AsyncWebClient,
    look_up: Callable[[Services], Any],
) -> None:
    await publish_home("U1", web, services)
    await look_up(services)
    await quiet(services)
    first, again = published(slack, "U1")
    assert not lists_recent(first, API)
    assert lists_recent(again, API), "the recent lookups list it"


async def test_a_lookup_by_someone_who_never_opened_the_home_tab_publishes_nothing(
    services: Services, slack: SlackStandIn, web: AsyncWebClient
) -> None:
    await publish_home("U2", web, services)
    await by_slash_command(services)
    await quiet(services)
    assert published(slack, "U1") == []
    assert len(published(slack, "U2")) == 1, "another viewer's lookups are not theirs"


async def test_a_burst_of_twenty_lookups_draws_the_home_tab_once_or_twice_not_twenty_times(
    services: Services, slack: SlackStandIn, web: AsyncWebClient
) -> None:
    services.home.interval = services.home.acted_interval = 0.5  # the burst lands inside one interval
    await by_dm(services)
    await publish_home("U1", web, services)
    said = Said()
    await asyncio.gather(*(by_dm(services, said) for _ in range(20)))
    assert len(said.sent) == 20
    await quiet(services)
    views = published(slack, "U1")
    assert 2 <= len(views) <= 3, f"{len(views) - 1} redraws for 20 lookups"
    assert lists_recent(views[-1], API)


# --- Subscriptions of the user's channels ---------------------------------------------------------------


async def test_subscribing_a_channel_draws_the_home_tab_of_its_members_again_and_no_one_elses(
    services: Services, slack: SlackStandIn, web: AsyncWebClient
) -> None:
    slack.memberships.update({"UB": ["C1", "C2"], "UX": ["C9"]})
    await publish_home("UB", web, services)
    await publish_home("UX", web, services)
    assert "<#C1>" not in json.dumps(published(slack, "UB"))
    task = understand(f"subscribe {REF.short}", services.scope, SLASH)
    said = Said()
    await answer_command(task, said, services, Asker(team="T1", channel="C1", user="UA"))  # type: ignore[arg-type]
    assert "will hear about" in json.dumps(said.sent)
    await quiet(services)
    member = published(slack, "UB")
    assert len(member) == 2
    assert "<#C1>" in json.dumps(member[-1]), "the new subscription is listed"
    assert len(published(slack, "UX")) == 1, "not in the channel: not drawn again"
    assert published(slack, "UA") == [], "the subscriber never opened the Home tab here"


async def test_the_unsubscribe_button_draws_the_home_tab_of_the_channels_members_again(
    services: Services, slack: SlackStandIn, web: AsyncWebClient
) -> None:
    slack.memberships["UB"] = ["C1"]
    subscribe = understand(f"subscribe {REF.short}", services.scope, SLASH)
    await answer_command(subscribe, Said(), services, VIEWER)  # type: ignore[arg-type]
    await publish_home("UB", web, services)
    async with services.store.transaction() as tx:
        (subscription,) = await tx.subscriptions.for_channel("C1")
    said = Said()
    await handle_unsubscribe({}, {"value": str(subscription.id)}, said, services, VIEWER)  # type: ignore[arg-type]
    assert said.sent, "the channel is told"
    await quiet(services)
    before, again = published(slack, "UB")
    assert "<#C1>" in json.dumps(before)
    assert "<#C1>" not in json.dumps(again)
    assert "None of your channels is subscribed yet" in json.dumps(again)


async def test_six_hundred_subscriptions_are_counted_right(
    services: Services, slack: SlackStandIn, web: AsyncWebClient
) -> None:
    slack.memberships["U1"] = ["C1", "C2"]
    for i in range(600):
        await subscribe_in_store(services, "C1" if i % 2 else "C2", artifact_glob=f"app-{i}-*")
    await subscribe_in_store(services, "C3")  # not the user's
    await publish_home("U1", web, services)
    (view,) = published(slack, "U1")
    assert f"and {600 - MAX_WATCHED} more" in json.dumps(view)


# --- Events stored for a registry it lists --------------------------------------------------------------


async def test_a_stored_webhook_event_draws_the_home_tabs_listing_its_registry_again(
    services: Services, slack: SlackStandIn, web: AsyncWebClient
) -> None:
    slack.memberships.update({"U1": ["C1"], "U2": ["C2"]})
    await subscribe_in_store(services, "C1")
    await add_webhook(services.store, registry=REF.path)
    await publish_home("U1", web, services)
    await publish_home("U2", web, services)
    body = delivery("9.9.9", artifact="checkout-api")
    async with serving(services.receiver) as base, aiohttp.ClientSession() as session:
        url = f"{base}/harness/webhooks/{IDENTIFIER}"
        async with session.post(url, data=body, headers=headers(body)) as response:
            assert response.status == 200
    await quiet(services)
    before, again = published(slack, "U1")
    assert "no event yet" in json.dumps(before)
    assert "last: pushed `checkout-api:9.9.9`" in json.dumps(again)
    assert len(published(slack, "U2")) == 1, "a Home tab without that registry is left alone"


async def test_the_receiver_tells_on_changed_the_registries_of_each_stored_batch_only(
    tmp_path: Path,
) -> None:
    store = Store.from_url(sqlite_url(tmp_path))
    await store.start()
    told: list[frozenset[str]] = []
    receiver = Receiver(store, on_changed=told.append)
    await add_webhook(store, registry=REF.path)
    bodies = [delivery(f"1.0.{i}") for i in range(10)]
    try:
        async with serving(receiver) as base, aiohttp.ClientSession() as session:
            url = f"{base}/harness/webhooks/{IDENTIFIER}"

            async def post(body: bytes, **extra: str) -> int:
                async with session.post(url, data=body, headers=headers(body, **extra)) as response:
                    return response.status

            assert await asyncio.gather(*(post(b) for b in bodies)) == [200] * 10
            stored = list(told)
            assert await post(bodies[0]) == 200, "repeated: nothing new stored"
            assert await post(delivery("2.0"), token="wrong") == 401
    finally:
        await store.aclose()
    assert 1 <= len(stored) < 10, "once per batch, not once per delivery"
    assert set(stored) == {frozenset({REF.path})}
    assert told == stored, "a repeat or a refusal stores nothing and tells nothing"


async def test_an_on_changed_that_raises_costs_no_delivery(tmp_path: Path) -> None:
    store = Store.from_url(sqlite_url(tmp_path))
    await store.start()

    def broken(_: frozenset[str]) -> None:
        raise RuntimeError("boom")

    receiver = Receiver(store, on_changed=broken)
    await add_webhook(store, registry=REF.path)
    body = delivery()
    try:
        with LogWatch() as watch:
            async with serving(receiver) as base, aiohttp.ClientSession() as session:
                url = f"{base}/harness/webhooks/{IDENTIFIER}"
                async with session.post(url, data=body, headers=headers(body)) as response:
                    assert response.status == 200
        async with store.transaction() as tx:
            assert await tx.events.count() == 1
    finally:
        await store.aclose()
    assert watch.messages("on_changed failed")


# --- Failures -------------------------------------------------------------------------------------------


async def test_a_redraw_slack_refuses_is_logged_in_one_line_and_the_answer_goes_out(
    services: Services, slack: SlackStandIn, web: AsyncWebClient
) -> None:
    await publish_home("U1", web, services)
    slack.overrides["views.publish"] = {"ok": False, "error": "internal_error"}
    said = Said()
    with LogWatch() as watch:
        task = understand(f"{REF.short}/checkout-api", services.scope, SLASH)
        await answer_command(task, said, services, VIEWER)  # type: ignore[arg-type]
        await quiet(services)
    (answer,) = said.sent
    assert "checkout-api" in answer["text"], "the card"
    (line,) = [r for r in watch.records if r.getMessage().startswith("home redraw failed")]
    assert line.getMessage() == "home redraw failed user=U1 error=SlackApiError"
    assert line.exc_info is None
    assert len(slack.api_calls("views.publish")) == 2, "tried once, not retried in a loop"


# --- The bounds, on Redraws alone -----------------------------------------------------------------------


class Drawn:
    """Redraws that record who was drawn, each waiting for `gate` when it is set."""

    def __init__(self) -> None:
        self.users: list[str] = []
        self.gate: asyncio.Event | None = None

    def of(self, user: str) -> Callable[[], Any]:
        async def redraw() -> None:
            self.users.append(user)
            if self.gate is not None:
                await self.gate.wait()

        return redraw


async def no_error(error: Exception, body: dict[str, Any], respond: object) -> None:
    raise AssertionError(f"a redraw raised {error!r}")


async def settled(redraws: Redraws, background: Background) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while redraws.pending or background.pending:
        assert time.monotonic() < deadline, "redraws still pending"
        await asyncio.sleep(0.005)


async def test_a_change_while_a_redraw_runs_gives_one_more_after_it_never_none() -> None:
    background, drawn = Background(no_error), Drawn()
    redraws = Redraws(background, interval=0.01, acted_interval=0.01)
    redraws.shown("U1", channels=["C1"], registries=[], redraw=drawn.of("U1"))
    drawn.gate = asyncio.Event()
    redraws.changed(users=["U1"])
    deadline = time.monotonic() + WAIT_SECONDS
    while not drawn.users:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.005)
    for _ in range(5):
        redraws.changed(channels=["C1"])  # it may have read before these
    drawn.gate.set()
    await settled(redraws, background)
    assert drawn.users == ["U1", "U1"]


async def test_the_users_own_change_brings_a_waiting_redraw_forward_and_is_drawn_once() -> None:
    background, drawn = Background(no_error), Drawn()
    redraws = Redraws(background, interval=60.0, acted_interval=0.0)
    redraws.shown("U1", channels=["C1"], registries=[], redraw=drawn.of("U1"))
    redraws.changed(channels=["C1"])  # someone else's change: a minute from now
    assert redraws.pending == 1
    redraws.changed(users=["U1"])  # their own: at once, in place of the one waiting
    await settled(redraws, background)
    assert drawn.users == ["U1"]
    redraws.changed(channels=["C1"])  # drawn just now: the next waits its minute
    await asyncio.sleep(0.05)
    assert (drawn.users, redraws.pending) == (["U1"], 1)
    redraws.close()


async def test_one_change_redraws_at_most_its_cap_the_acting_user_first() -> None:
    background, drawn = Background(no_error), Drawn()
    redraws = Redraws(background, interval=0.0, max_per_change=3)
    for i in range(6):
        redraws.shown(f"U{i}", channels=["C1"], registries=[], redraw=drawn.of(f"U{i}"))
    with LogWatch() as watch:
        assert redraws.changed(users=["U0"], channels=["C1"]) == 3
    await settled(redraws, background)
    assert sorted(drawn.users) == ["U0", "U4", "U5"], "the actor, then the most recent viewers"
    assert watch.messages("home redraws capped: 3 of 6 views redrawn")


async def test_viewers_are_forgotten_an_hour_after_they_asked_and_past_the_most_kept() -> None:
    now = [0.0]
    background, drawn = Background(no_error), Drawn()
    redraws = Redraws(background, interval=0.0, max_viewers=3, keep=3_600.0, clock=lambda: now[0])
    for i in range(4):
        redraws.shown(f"U{i}", channels=["C1"], registries=["r"], redraw=drawn.of(f"U{i}"))
    assert "U0" not in redraws, "the one who asked longest ago makes room"
    assert len(redraws) == 3
    now[0] = 1_800.0
    redraws.shown("U3", channels=["C1"], registries=["r"], redraw=drawn.of("U3"))
    redraws.shown("U1", channels=["C1"], registries=["r"], redraw=drawn.of("U1"), asked=False)
    now[0] = 3_601.0
    assert redraws.changed(registries=["r"]) == 1, "U1 and U2 asked an hour ago; a redraw renews nothing"
    await settled(redraws, background)
    assert drawn.users == ["U3"]
    redraws.close()
    assert len(redraws) == 0


async def test_a_redraw_that_raises_is_logged_in_one_line_with_the_user_and_the_error_type() -> None:
    background = Background(no_error)
    redraws = Redraws(background, interval=0.0)

    async def failing() -> None:
        raise TimeoutError

    redraws.shown("U1", channels=[], registries=[], redraw=failing)
    with LogWatch() as watch:
        assert redraws.changed(users=["U1", None, "U-unknown"]) == 1
        await settled(redraws, background)
    (line,) = [r for r in watch.records if r.levelno >= logging.WARNING]
    assert line.getMessage() == "home redraw failed user=U1 error=TimeoutError"
