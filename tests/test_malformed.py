"""Malformed Slack payloads, correctly signed: a clean 4xx or ignored and logged, never a 500 or a traceback.

Bolt reads a body before any listener runs, so most of these used to end in a 500 from Bolt or aiohttp;
bot/inbound/entry.py reads and checks them first.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import time
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.harness import Canned, success_body
from devtools.slack import FORM, JSON, signed_headers
from tests.conftest import SIGNING_SECRET, Bot, running_bot
from tests.support import (
    LINK,
    REF,
    LogWatch,
    block_actions,
    command_body,
    dm,
    event_body,
    link_shared,
    mention,
    settle,
)

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits

RESPONSE_URL = "http://127.0.0.1:9/response/x"


def _event(event: Any, **envelope: Any) -> str:
    body = json.loads(event_body({"type": "message"}))
    body.update(envelope, event=event)
    return json.dumps(body)


def _payload(payload: Any) -> str:
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def _action(**fields: Any) -> str:
    payload = json.loads(
        urllib.parse.parse_qs(block_actions("refresh", REF, response_url=RESPONSE_URL))["payload"][0]
    )
    payload.update(fields)
    return _payload(payload)


def _form(**fields: str) -> str:
    return urllib.parse.urlencode(fields)


MALFORMED: dict[str, tuple[str, str]] = {
    "invalid JSON": ("{not json", JSON),
    "JSON array": ("[1, 2, 3]", JSON),
    "JSON string": ('"hello"', JSON),
    "JSON null": ("null", JSON),
    "JSON number": ("42", JSON),
    "deeply nested JSON": ("[" * 100_000 + "]" * 100_000, JSON),
    "event is a string": (_event("hello"), JSON),
    "event is null": (_event(None), JSON),
    "event is a list": (_event([dm("help")]), JSON),
    "event has no type": (_event({"channel": "C1"}), JSON),
    "event type is a number": (_event({"type": 5}), JSON),
    "event callback without event": (json.dumps({"type": "event_callback", "event_id": "Ev1"}), JSON),
    "event is null, with no type": (json.dumps({"event": None, "event_id": "Ev1"}), JSON),
    "view is null": (_payload({"type": "view_submission", "view": None}), FORM),
    "links is a string": (_event(link_shared(LINK) | {"links": LINK}), JSON),
    "links is an object": (_event(link_shared(LINK) | {"links": {"url": LINK}}), JSON),
    "link is a string": (_event(link_shared(LINK) | {"links": [LINK]}), JSON),
    "link_shared without channel": (
        _event({k: v for k, v in link_shared(LINK).items() if k != "channel"}),
        JSON,
    ),
    "link_shared without message_ts": (
        _event({k: v for k, v in link_shared(LINK).items() if k != "message_ts"}),
        JSON,
    ),
    "mention without user": (_event({k: v for k, v in mention("docker-prod").items() if k != "user"}), JSON),
    "mention without channel": (
        _event({k: v for k, v in mention("docker-prod").items() if k != "channel"}),
        JSON,
    ),
    "mention text is a number": (_event(mention("x") | {"text": 42}), JSON),
    "mention user is a number": (_event(mention("x") | {"user": 42}), JSON),
    "dm text is a list": (_event(dm("x") | {"text": ["help"]}), JSON),
    "dm channel is an object": (_event(dm("help") | {"channel": {"id": "D1"}}), JSON),
    "dm without channel": (_event({k: v for k, v in dm("help").items() if k != "channel"}), JSON),
    "team_id is a number": (_event(dm("help"), team_id=5), JSON),
    "authorizations is a string": (_event(dm("help"), authorizations="T1"), JSON),
    "authorization is a string": (_event(dm("help"), authorizations=["T1"]), JSON),
    "type is a number": (json.dumps({"type": 5}), JSON),
    "challenge is an object": (json.dumps({"type": "url_verification", "challenge": {"a": 1}}), JSON),
    "payload= is not JSON": ("payload=%7Bnot", FORM),
    "payload= is a JSON string": (_payload("x"), FORM),
    "payload= is a JSON array": (_payload([1]), FORM),
    "actions is a string": (_action(actions="refresh"), FORM),
    "actions is empty": (_action(actions=[]), FORM),
    "action is a string": (_action(actions=["refresh"]), FORM),
    "action_id is a number": (_action(actions=[{"action_id": 5, "value": REF}]), FORM),
    "button click without response_url": (_action(response_url=None), FORM),
    "button click with a response_url that is not a URL": (_action(response_url="not a url"), FORM),
    "click in a view without the view": (_action(response_url=None, container={"type": "view"}), FORM),
    "click in a view whose view has no id": (
        _action(response_url=None, container={"type": "view"}, view={"type": "home"}),
        FORM,
    ),
    "user is a number": (_action(user=5), FORM),
    "container is a string": (_action(container="x"), FORM),
    "team is a list": (_action(team=["T1"]), FORM),
    "command without response_url": (_form(command="/har", text="payments/docker-prod", user_id="U1"), FORM),
    "command with a response_url that is not a URL": (
        _form(command="/har", text="docker-prod", user_id="U1", response_url="javascript:alert(1)"),
        FORM,
    ),
}


@pytest.mark.parametrize(("body", "content_type"), MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_payload_gets_400_and_one_log_line(
    bot: Bot, logs: LogWatch, body: str, content_type: str
) -> None:
    status, answer = await bot.post(
        body, headers=signed_headers(SIGNING_SECRET, body, content_type=content_type)
    )
    await settle(bot.services.background)
    assert status == 400
    assert "Traceback" not in answer
    assert len(logs.messages("malformed Slack request rejected reason=")) == 1
    assert logs.errors() == []
    assert bot.harness.requests == []
    assert bot.slack.requests == []


async def test_a_body_that_is_not_utf8_is_refused_as_unsigned(bot: Bot, logs: LogWatch) -> None:
    # Slack signs UTF-8 text; slack_sdk's verifier cannot read other bytes, so they carry no valid signature.
    raw = b"payload=\xff\xfe"
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + raw, hashlib.sha256)
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}
    async with bot.session.post(f"{bot.url}/slack/events", data=raw, headers=headers) as response:
        assert response.status == 401
    assert logs.errors() == []


async def test_a_body_over_256_kib_is_refused_with_413_before_any_work(bot: Bot, logs: LogWatch) -> None:
    body = command_body("docker-prod " + "x" * (300 * 1024), response_url=bot.slack.response_url())
    status, _ = await bot.post(body)
    assert status == 413
    assert logs.errors() == []
    assert bot.harness.requests == []


@pytest.mark.parametrize(
    "body",
    [
        event_body({"type": "reaction_added", "user": "U1", "reaction": "eyes"}),
        _form(command="/other", text="x", response_url=RESPONSE_URL),
        _payload({"type": "view_submission", "view": {"id": "V1"}}),
        "",
    ],
    ids=["unknown event type", "another command", "unknown interaction type", "empty body"],
)
async def test_a_request_the_bot_does_not_handle_gets_a_clean_404(
    bot: Bot, logs: LogWatch, body: str
) -> None:
    content_type = JSON if body.startswith("{") else FORM
    status, answer = await bot.post(
        body, headers=signed_headers(SIGNING_SECRET, body, content_type=content_type)
    )
    await settle(bot.services.background)
    assert status == 404
    assert json.loads(answer) == {"error": "unhandled request"}
    assert logs.errors() == []


def _command(**fields: str) -> str:
    form = urllib.parse.parse_qs(command_body("", response_url=RESPONSE_URL))
    return urllib.parse.urlencode({**{k: v[0] for k, v in form.items()}, **fields})


# Bolt took any form containing the word "payload" for a button click: these were unhandled, or a 500.


async def test_a_registry_named_payload_something_is_looked_up(bot: Bot) -> None:
    bot.harness.program(
        "acc_test/payments/payload-store/+", Canned(body=success_body(identifier="payload-store"))
    )
    status, _ = await bot.command("payments/payload-store")
    assert status == 200
    await bot.slack.wait_response()
    assert len(bot.harness.calls("acc_test/payments/payload-store/+")) == 1


async def test_a_command_from_a_channel_named_payload_something_is_answered(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    body = _command(
        text="payments/checkout/docker-prod",
        channel_name="payload-team",
        response_url=bot.slack.response_url(),
    )
    status, _ = await bot.post(body)
    assert status == 200
    await bot.slack.wait_response()
    assert len(bot.harness.calls(REF)) == 1


async def test_a_command_whose_text_holds_payload_equals_gets_the_usage_hint(bot: Bot) -> None:
    status, answer = await bot.command("docker-prod payload={")
    assert status == 200
    assert json.loads(answer)["response_type"] == "ephemeral"
    assert bot.harness.calls() == []


# --- Any mutation of a real payload -------------------------------------------------------------------

IN_MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")
"""The mutation tests share one bot across their examples, in the module's event loop."""

KEPT = frozenset({"event_id", "trigger_id", "response_url"})
"""Left alone by the mutations: the ids tell one example from the next, and a response_url is where the
bot posts; a mutated one could send it off the loopback."""

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
TEXT_VALUES = st.text(max_size=40) | st.sampled_from(["", "/har", "http://x", "https://", "%", "payload=x"])


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested dicts and lists, those in KEPT excepted."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in items:
        if key in KEPT:
            continue
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


@st.composite
def _mutated(draw: st.DrawFn, base: dict[str, Any], values: st.SearchStrategy[Any]) -> dict[str, Any]:
    """`base` with one to three values replaced by arbitrary ones, or removed."""
    payload = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(payload)
        if not paths:
            break
        *parents, last = draw(st.sampled_from(paths))
        container: Any = payload
        for key in parents:
            container = container[key]
        if draw(st.booleans()):
            container[last] = draw(values)
        elif isinstance(container, dict):
            del container[last]
        else:
            container.pop(last)
    return payload


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_bot() -> AsyncIterator[Bot]:
    async with running_bot() as bot:
        bot.harness.default = Canned(body=success_body())
        yield bot


_event_numbers = itertools.count(1)


def _base_events() -> list[dict[str, Any]]:
    return [
        json.loads(event_body(dm("payments/checkout/docker-prod"))),
        json.loads(event_body(mention(f"<{LINK}>"))),
        json.loads(event_body(link_shared(LINK))),
        {"type": "url_verification", "token": "legacy", "challenge": "abc"},
    ]


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


async def _send(bot: Bot, body: str, content_type: str) -> int:
    with LogWatch() as logs:
        status, answer = await bot.post(
            body, headers=signed_headers(SIGNING_SECRET, body, content_type=content_type)
        )
        await settle(bot.services.background)
    assert status in (200, 400, 404), (status, answer)
    assert "Traceback" not in answer
    assert logs.errors() == []
    return status


@IN_MODULE_LOOP
@FUZZ
@given(data=st.data())
async def test_any_mutation_of_an_event_is_answered_or_refused_cleanly(
    shared_bot: Bot, data: st.DataObject
) -> None:
    base = data.draw(st.sampled_from(_base_events()))
    payload = data.draw(_mutated(base, JSON_VALUES))
    if "event_id" in payload:
        payload["event_id"] = f"EvFuzz{next(_event_numbers)}"
    await _send(shared_bot, json.dumps(payload), JSON)


@IN_MODULE_LOOP
@FUZZ
@given(data=st.data())
async def test_any_mutation_of_a_button_click_is_answered_or_refused_cleanly(
    shared_bot: Bot, data: st.DataObject
) -> None:
    action = data.draw(st.sampled_from(["refresh", "share", "open_in_harness"]))
    form = urllib.parse.parse_qs(block_actions(action, REF, response_url=shared_bot.slack.response_url("fz")))
    payload = data.draw(_mutated(json.loads(form["payload"][0]), JSON_VALUES))
    await _send(shared_bot, _payload(payload), FORM)


@IN_MODULE_LOOP
@FUZZ
@given(data=st.data())
async def test_any_mutation_of_a_slash_command_is_answered_or_refused_cleanly(
    shared_bot: Bot, data: st.DataObject
) -> None:
    form = urllib.parse.parse_qs(
        command_body("payments/checkout/docker-prod", response_url=shared_bot.slack.response_url("fz"))
    )
    fields = data.draw(_mutated({k: v[0] for k, v in form.items()}, TEXT_VALUES))
    await _send(shared_bot, urllib.parse.urlencode(fields), FORM)
