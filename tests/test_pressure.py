"""Nothing lost under pressure: while one lookup hangs, everyone else is acknowledged and answered once.

Correctness only, no timing: the hang is a `hold` the test releases, and every wait is bounded.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from typing import Any

import pytest

from devtools.harness import Canned, success_body
from devtools.server import Recorded
from tests.conftest import Bot
from tests.support import event_body, link_shared, mention, message_of, settle

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits

USERS = 50
HUNG = "acc_test/payments/checkout/slow-one/+"


def _link(index: int) -> str:
    return f"https://app.harness.io/ng/account/acc_test/all/orgs/payments/registries/reg-{index}"


def _mention_ts(index: int) -> str:
    return f"1700000001.{index:06d}"


def _message_ts(index: int) -> str:
    return f"1700000002.{index:06d}"


async def _status(request: Awaitable[tuple[int, str] | int]) -> int:
    answered = await request
    return answered[0] if isinstance(answered, tuple) else int(answered)


def hung_posts(bot: Bot) -> list[Recorded]:
    return [r for r in bot.slack.requests if r.path == "/response/hung"]


async def test_fifty_users_are_answered_once_each_while_one_lookup_hangs(make_bot: Any) -> None:
    # The longest timeout there is: the hang must outlast the burst, not turn into a timeout.
    bot: Bot = await make_bot(harness_timeout=30)
    release = asyncio.Event()
    bot.harness.program(HUNG, Canned(body=success_body(identifier="slow-one"), hold=release))
    for index in range(USERS):
        bot.harness.program(
            f"acc_test/payments/reg-{index}/+", Canned(body=success_body(identifier=f"reg-{index}"))
        )
    hung = asyncio.create_task(bot.command("payments/checkout/slow-one", name="hung", user_id="U0HUNG"))
    try:
        await bot.harness.wait_for(lambda r: r.path.endswith(HUNG))

        requests: list[Awaitable[tuple[int, str] | int]] = []
        for index in range(USERS):
            user = f"U{index:04d}"
            requests.append(bot.command(f"payments/reg-{index}", name=f"c{index}", user_id=user))
            requests.append(
                bot.send_event(event_body(mention(f"payments/reg-{index}", user=user, ts=_mention_ts(index))))
            )
            unfurl = link_shared(_link(index), channel=f"C{index:04d}", message_ts=_message_ts(index))
            requests.append(bot.send_event(event_body(unfurl | {"user": user})))
        statuses = await asyncio.gather(*(_status(request) for request in requests))
        assert statuses == [200] * len(requests)  # every one acknowledged

        for index in range(USERS):
            await bot.slack.wait_response(f"c{index}")
        await bot.slack.wait_api("chat.postMessage", count=USERS)
        await bot.slack.wait_api("chat.unfurl", count=USERS)
        # Still hanging: at most the "Looking up…" note the asker gets after 1.5 s, no answer.
        assert all(post.json()["text"].startswith("Looking up") for post in hung_posts(bot))
    finally:
        release.set()
    assert (await hung)[0] == 200
    await settle(bot.services.background)
    *waiting, answer = [post.json() for post in hung_posts(bot)]
    assert "slow-one" in answer["text"]
    assert not answer["text"].startswith("Looking up")
    assert answer["replace_original"] is bool(waiting)  # the card replaced the note, if there was one
    assert len(waiting) <= 1

    responses = Counter(r.path for r in bot.slack.requests if r.path.startswith("/response/c"))
    assert responses == Counter({f"/response/c{i}": 1 for i in range(USERS)})
    threads = Counter(message_of(c).get("thread_ts") for c in bot.slack.api_calls("chat.postMessage"))
    assert threads == Counter({_mention_ts(i): 1 for i in range(USERS)})
    unfurled = Counter(message_of(c).get("ts") for c in bot.slack.api_calls("chat.unfurl"))
    assert unfurled == Counter({_message_ts(i): 1 for i in range(USERS)})
    assert bot.slack.api_calls("chat.postEphemeral") == []  # no error anywhere
    assert len(bot.harness.calls(HUNG)) == 1
