"""Requests not from Slack: refused with 401 before any work, whatever kind of body they carry.

tests/test_e2e_command.py covers the slash command unsigned, wrongly signed, signed with another secret
and replayed; here the same and more for events and button clicks, and the kinds of forgery it does not
cover for the command.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from devtools.harness import Canned, success_body
from devtools.slack import FORM, JSON, signed_headers
from tests.conftest import SIGNING_SECRET, Bot
from tests.support import REF, LogWatch, block_actions, command_body, event_body, mention, settle

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits

RESPONSE_URL = "http://127.0.0.1:9/response/forged"
SIX_MINUTES = 6 * 60

Forgery = Callable[[str, str], dict[str, str]]


def unsigned(body: str, content_type: str) -> dict[str, str]:
    return {"Content-Type": content_type}


def wrong_signature(body: str, content_type: str) -> dict[str, str]:
    return {
        **signed_headers(SIGNING_SECRET, body, content_type=content_type),
        "X-Slack-Signature": "v0=" + "0" * 64,
    }


def other_secret(body: str, content_type: str) -> dict[str, str]:
    return signed_headers("not-the-signing-secret", body, content_type=content_type)


def replayed(body: str, content_type: str) -> dict[str, str]:
    return signed_headers(
        SIGNING_SECRET, body, timestamp=int(time.time()) - SIX_MINUTES, content_type=content_type
    )


def from_the_future(body: str, content_type: str) -> dict[str, str]:
    return signed_headers(
        SIGNING_SECRET, body, timestamp=int(time.time()) + SIX_MINUTES, content_type=content_type
    )


def garbage_timestamp(body: str, content_type: str) -> dict[str, str]:
    return {
        **signed_headers(SIGNING_SECRET, body, content_type=content_type),
        "X-Slack-Request-Timestamp": "soon",
    }


def signature_without_timestamp(body: str, content_type: str) -> dict[str, str]:
    headers = signed_headers(SIGNING_SECRET, body, content_type=content_type)
    del headers["X-Slack-Request-Timestamp"]
    return headers


def signed_for_another_body(body: str, content_type: str) -> dict[str, str]:
    return signed_headers(
        SIGNING_SECRET, body.replace("docker-prod", "docker-dev"), content_type=content_type
    )


COMMON: dict[str, Forgery] = {
    "unsigned": unsigned,
    "wrong signature": wrong_signature,
    "signed with another secret": other_secret,
    "replayed after 6 minutes": replayed,
}
"""Already covered for the slash command by tests/test_e2e_command.py."""
MORE: dict[str, Forgery] = {
    "timestamp 6 minutes ahead": from_the_future,
    "timestamp that is not a number": garbage_timestamp,
    "signature without a timestamp": signature_without_timestamp,
    "signature of another body": signed_for_another_body,
}

BODIES: dict[str, tuple[Callable[[], str], str]] = {
    "event": (lambda: event_body(mention("payments/checkout/docker-prod")), JSON),
    "button click": (lambda: block_actions("refresh", REF, response_url=RESPONSE_URL), FORM),
    "url_verification": (
        lambda: '{"type": "url_verification", "challenge": "docker-prod", "token": "x"}',
        JSON,
    ),
}

CASES = [
    pytest.param(body, content_type, forge, id=f"{kind}-{how}")
    for kind, (body, content_type) in BODIES.items()
    for how, forge in {**COMMON, **MORE}.items()
] + [
    pytest.param(
        lambda: command_body("payments/checkout/docker-prod", response_url=RESPONSE_URL),
        FORM,
        forge,
        id=f"command-{how}",
    )
    for how, forge in MORE.items()
]


@pytest.mark.parametrize(("make_body", "content_type", "forge"), CASES)
async def test_a_request_not_signed_by_slack_is_refused_before_any_work(
    bot: Bot, logs: LogWatch, make_body: Callable[[], str], content_type: str, forge: Forgery
) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    body = make_body()
    status, answer = await bot.post(body, headers=forge(body, content_type))
    await settle(bot.services.background)
    assert status == 401
    assert "docker-prod" not in answer  # not even the url_verification challenge is echoed
    assert bot.harness.requests == []
    assert bot.slack.requests == []  # no Web API call (not even auth.test), nothing to a response_url
    assert logs.messages("request without a valid Slack signature rejected")
    assert logs.errors() == []


async def test_a_forged_event_cannot_make_the_bot_drop_the_real_one(bot: Bot) -> None:
    # Events are answered once per event_id: a forged copy arriving first must not use the id up.
    bot.harness.program(REF, Canned(body=success_body()))
    body = event_body(mention("payments/checkout/docker-prod"), event_id="EvREAL")
    assert (await bot.post(body, headers=unsigned(body, JSON)))[0] == 401
    assert await bot.send_event(body) == 200
    await bot.slack.wait_api("chat.postMessage")
    assert len(bot.harness.calls(REF)) == 1


async def test_slacks_unsigned_certificate_check_gets_200_and_nothing_else(bot: Bot, logs: LogWatch) -> None:
    status, answer = await bot.post("ssl_check=1&token=legacy", headers={"Content-Type": FORM})
    assert (status, answer) == (200, "")
    assert logs.errors() == []


async def test_a_payload_smuggled_beside_ssl_check_is_never_dispatched(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    smuggled = block_actions("refresh", REF, response_url=RESPONSE_URL) + "&ssl_check=1"
    status, _ = await bot.post(smuggled, headers={"Content-Type": FORM})
    await settle(bot.services.background)
    assert status == 200
    assert bot.harness.requests == []
    assert bot.slack.requests == []


@pytest.mark.parametrize("value", ["0", "true", ""])
async def test_ssl_check_other_than_1_is_no_way_around_the_signature(bot: Bot, value: str) -> None:
    status, _ = await bot.post(f"ssl_check={value}&token=legacy", headers={"Content-Type": FORM})
    assert status == 401
