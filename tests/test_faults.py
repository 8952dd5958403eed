"""A misbehaving Harness, end to end: every fault through `/har` and through a link unfurl.

For each fault: the user gets the right kind of answer (checked by its words, not its exact text), another
user is served meanwhile, the log names the outcome, one request costs at most three Harness calls (the
client's deadline bounds the time; see bot/harness/client.py), and, with every logger at DEBUG, no secret
shows up in anything captured.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from devtools.harness import Canned, error_body, success_body
from tests.blockkit import assert_valid_blocks
from tests.conftest import Bot, assert_no_secrets
from tests.support import (
    LogWatch,
    answer_to,
    closed_url,
    event_body,
    is_waiting_note,
    link_shared,
    message_of,
)

FAULTY = "acc_test/payments/checkout/docker-prod/+"
FAULTY_LINK = (
    "https://app.harness.io/ng/account/acc_test/all/orgs/payments/projects/checkout/registries/docker-prod"
)
HEALTHY = "acc_test/payments/npm-prod/+"
HEALTHY_LINK = "https://app.harness.io/ng/account/acc_test/module/har/orgs/payments/registries/npm-prod"
MAX_CALLS = 3
"""The first attempt and at most two retries."""

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits

# What each kind of answer says, in words a user reads (bot/cards.py); checked, lowercased, by inclusion.
CARD = "open in harness"
TIMEOUT = "didn't answer in time"
UNREACHABLE = "couldn't reach harness"
BUSY = "busy"
PROBLEM = "had a problem"
UNREADABLE = "couldn't read"

UNICODE = "Ünïcödé ✓ 🐳 — 日本語 עברית \u202e"


@dataclass(frozen=True)
class Fault:
    """One way Harness misbehaves, and what the bot should make of it."""

    answers: Callable[[asyncio.Event], list[Canned]]
    """Harness's answers, in order, the last repeating; given the gate that holds the first one."""
    says: str
    outcome: str
    """The outcome the log names: an exception class of bot.harness.errors, or "ok"."""
    calls: int
    held: bool = True
    """Whether the first answer waits at the gate: the other user is then served while it waits."""
    settings: dict[str, Any] = field(default_factory=dict)
    others_get_a_card: bool = True


def _held(gate: asyncio.Event, *answers: Canned) -> list[Canned]:
    """The answers, the first of them waiting at the gate."""
    first, *rest = answers
    return [dataclasses.replace(first, hold=gate), *rest]


OK = Canned(body=success_body(description="after the fault"))

FAULTS: dict[str, Fault] = {
    "slow past the timeout": Fault(
        lambda gate: [Canned(body=success_body(), hold=gate)],
        TIMEOUT,
        "HarnessTimeout",
        calls=3,
        held=False,  # the gate opens only after the answer: until then Harness never answers
        settings={"harness_timeout": 0.2},
    ),
    "connection refused": Fault(
        lambda gate: [],
        UNREACHABLE,
        "HarnessConnectionError",
        calls=3,
        held=False,
        settings={"harness_base_url": closed_url() + "/gateway"},
        others_get_a_card=False,  # the whole host is down: the other user hears the same
    ),
    "connection reset mid-body": Fault(
        lambda gate: _held(gate, Canned(body=success_body(), cut_after=25)),
        UNREACHABLE,
        "HarnessConnectionError",
        calls=3,
    ),
    "429 without Retry-After": Fault(
        lambda gate: _held(gate, Canned(status=429, body=error_body(429, "slow down"))),
        BUSY,
        "RateLimited",
        calls=3,
    ),
    "429 with Retry-After: 1, then 200": Fault(
        lambda gate: _held(gate, Canned(status=429, body=b"", headers={"Retry-After": "1"}), OK),
        CARD,
        "ok",
        calls=2,
    ),
    "429 with Retry-After: 3600": Fault(
        lambda gate: _held(gate, Canned(status=429, body=b"", headers={"Retry-After": "3600"})),
        BUSY,
        "RateLimited",
        calls=1,  # an hour is past the deadline: it says so at once instead of waiting
    ),
    "500, 502, 503, 504 in a row, then 200": Fault(
        lambda gate: _held(
            gate,
            Canned(status=500, body=error_body(500, UNICODE)),
            Canned(status=502, body=b"<html><body>Bad gateway</body></html>", content_type="text/html"),
            Canned(status=503, body=b""),
            Canned(status=504, body=b"upstream timed out", content_type="text/plain"),
            OK,
        ),
        PROBLEM,
        "ServerError",
        calls=3,  # the 504 and the 200 are never asked for
    ),
    "502, 503, then 200": Fault(
        lambda gate: _held(gate, Canned(status=502, body=b""), Canned(status=503, body=b""), OK),
        CARD,
        "ok",
        calls=3,
    ),
    "302 to a login page": Fault(
        lambda gate: _held(gate, Canned(status=302, headers={"Location": "https://app.harness.io/auth"})),
        PROBLEM,
        "ServerError",
        calls=1,
    ),
    "HTML body": Fault(
        lambda gate: _held(gate, Canned(body=b"<html><body>Sign in</body></html>", content_type="text/html")),
        UNREADABLE,
        "InvalidResponse",
        calls=1,
    ),
    "truncated JSON": Fault(
        lambda gate: _held(gate, Canned(body=success_body()[:40])),
        UNREADABLE,
        "InvalidResponse",
        calls=1,
    ),
    "JSON of the wrong shape": Fault(
        lambda gate: _held(gate, Canned(body=json.dumps({"status": "SUCCESS", "data": [1, 2]}).encode())),
        UNREADABLE,
        "InvalidResponse",
        calls=1,
    ),
    "a JSON array": Fault(
        lambda gate: _held(gate, Canned(body=b"[]")),
        UNREADABLE,
        "InvalidResponse",
        calls=1,
    ),
    "status FAILURE": Fault(
        lambda gate: _held(gate, Canned(body=b'{"status": "FAILURE", "data": null}')),
        UNREADABLE,
        "InvalidResponse",
        calls=1,
    ),
    "an empty 200": Fault(
        lambda gate: _held(gate, Canned(body=b"")),
        UNREADABLE,
        "InvalidResponse",
        calls=1,
    ),
    "gzip that is not gzip": Fault(
        lambda gate: _held(gate, Canned(body=success_body(), headers={"Content-Encoding": "gzip"})),
        UNREADABLE,
        "InvalidResponse",
        calls=1,
    ),
    "a huge body (5 MB)": Fault(
        lambda gate: _held(gate, Canned(body=success_body(description="x" * 5 * 1024 * 1024))),
        UNREADABLE,
        "InvalidResponse",
        calls=1,
    ),
    "unicode everywhere": Fault(
        lambda gate: _held(
            gate,
            Canned(
                body=success_body(
                    description=UNICODE * 20,
                    labels=[UNICODE, "🐳" * 300],
                    packageType=UNICODE,
                    url=f"https://pkg.example/{UNICODE}",
                    config={"type": UNICODE, "upstreamProxies": [UNICODE] * 30},
                    allowedPattern=[UNICODE],
                    createdAt=UNICODE,
                ),
                content_type="application/json; charset=utf-8",
            ),
        ),
        CARD,
        "ok",
        calls=1,
    ),
}
CASES = [pytest.param(fault, id=name) for name, fault in FAULTS.items()]


async def _start(make_bot: Callable[..., Any], fault: Fault) -> tuple[Bot, asyncio.Event]:
    bot: Bot = await make_bot(harness_backoff=0.01, **fault.settings)
    gate = asyncio.Event()
    answers = fault.answers(gate)
    if answers:
        bot.harness.program(FAULTY, *answers)
    bot.harness.program(HEALTHY, Canned(body=success_body(identifier="npm-prod", packageType="NPM")))
    return bot, gate


async def _first_call(bot: Bot, fault: Fault, logs: LogWatch) -> None:
    """Wait until the faulty lookup is under way: its first Harness call arrived, or was attempted."""
    if fault.answers(asyncio.Event()):
        await bot.harness.wait_for(lambda r: r.path.endswith(FAULTY))
    else:
        await logs.wait_for(lambda m: m.startswith(f"harness retry ref={FAULTY}"))


def _check_log(logs: LogWatch, fault: Fault, surface: str) -> None:
    """The log names the outcome, once, and the Harness client says how many attempts it took."""
    (line,) = logs.messages(f"lookup surface={surface} ref={FAULTY} ")
    assert f" outcome={fault.outcome} " in line
    (client,) = logs.messages(f"harness call ref={FAULTY} ")
    attempts = int(re.search(r" attempts=(\d+) ", client)[1])  # type: ignore[index]
    assert attempts == fault.calls <= MAX_CALLS
    assert logs.errors() == []


@pytest.mark.parametrize("fault", CASES)
async def test_har_answers_every_fault_and_keeps_serving(
    make_bot: Callable[..., Any], logs: LogWatch, fault: Fault
) -> None:
    bot, gate = await _start(make_bot, fault)
    try:
        faulty = asyncio.create_task(bot.command("payments/checkout/docker-prod", name="a", user_id="UA"))
        await _first_call(bot, fault, logs)
        status, _ = await bot.command("payments/npm-prod", name="b", user_id="UB")
        assert status == 200
        (other,) = await bot.slack.wait_response("b")
        if fault.others_get_a_card:
            assert CARD in json.dumps(other.json()).lower()
        if fault.held:
            assert not [r for r in bot.slack.requests if r.path == "/response/a" and not is_waiting_note(r)]
            gate.set()
        assert (await faulty)[0] == 200
        answer = await answer_to(bot.slack, "a")
    finally:
        gate.set()
    message = answer.json()
    assert fault.says in json.dumps(message, ensure_ascii=False).lower()
    assert message["response_type"] == "ephemeral"
    assert_valid_blocks(message["blocks"])
    assert len(bot.harness.calls(FAULTY)) <= MAX_CALLS
    if fault.answers(asyncio.Event()):
        assert len(bot.harness.calls(FAULTY)) == fault.calls
    _check_log(logs, fault, "command")
    assert_no_secrets(bot, logs)


@pytest.mark.parametrize("fault", CASES)
async def test_unfurl_survives_every_fault_and_keeps_serving(
    make_bot: Callable[..., Any], logs: LogWatch, fault: Fault
) -> None:
    bot, gate = await _start(make_bot, fault)
    try:
        status = await bot.send_event(
            event_body(link_shared(FAULTY_LINK, channel="CA", message_ts="1.000001"))
        )
        assert status == 200
        await _first_call(bot, fault, logs)
        await bot.send_event(event_body(link_shared(HEALTHY_LINK, channel="CB", message_ts="2.000002")))
        await logs.wait_for(lambda m: m.startswith("unfurl channel=CB "))
        if fault.others_get_a_card:
            (other,) = await bot.slack.wait_api("chat.unfurl")
            assert message_of(other)["channel"] == "CB"
        if fault.held:
            assert len(bot.slack.api_calls("chat.unfurl")) == 1
            gate.set()
        await logs.wait_for(lambda m: m.startswith("unfurl channel=CA "))
    finally:
        gate.set()
    unfurled = [message_of(c) for c in bot.slack.api_calls("chat.unfurl") if message_of(c)["channel"] == "CA"]
    if fault.outcome == "ok":
        (message,) = unfurled
        assert_valid_blocks(message["unfurls"][FAULTY_LINK]["blocks"])
    else:
        assert unfurled == []  # nothing under somebody else's message; the log says why
        assert logs.messages(f"unfurl lookup failed url_ref={FAULTY} error={fault.outcome}")
    assert len(bot.harness.calls(FAULTY)) <= MAX_CALLS
    _check_log(logs, fault, "unfurl")
    assert_no_secrets(bot, logs)
