"""`/har` end to end: the real app on loopback, signed requests, stand-ins for Harness and Slack."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from devtools.harness import Canned, error_body, success_body
from devtools.slack import signed_headers
from tests.blockkit import assert_valid_blocks
from tests.conftest import SECRETS, SIGNING_SECRET, Bot
from tests.support import REF, answer_to, command_body, harness_fixture, is_waiting_note

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits


def reply_text(message: dict[str, object]) -> str:
    """Everything a user could read in a message: the fallback and the blocks."""
    return json.dumps(message, ensure_ascii=False)


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


async def test_har_answers_with_an_ephemeral_card_through_response_url(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    status, body = await bot.command("payments/checkout/docker-prod")
    assert status == 200
    assert body == ""
    (posted,) = await bot.slack.wait_response()
    message = posted.json()
    assert message["response_type"] == "ephemeral"
    assert message["text"]
    assert_valid_blocks(message["blocks"])
    assert "docker-prod" in reply_text(message)
    (call,) = bot.harness.calls(REF)
    assert call.headers["x-api-key"].startswith("pat.")


async def test_har_accepts_a_pasted_harness_link_in_slack_markup(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    link = "https://app.harness.io/ng/account/acc_test/all/orgs/payments/projects/checkout/registries/docker-prod"
    await bot.command(f"<{link}/packages?tab=x|docker-prod>")
    await bot.slack.wait_response()
    assert len(bot.harness.calls(REF)) == 1


async def test_har_share_answers_in_channel(bot: Bot) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    await bot.command("share payments/checkout/docker-prod")
    (posted,) = await bot.slack.wait_response()
    assert posted.json()["response_type"] == "in_channel"


@pytest.mark.parametrize("text", ["", "help", "  HELP  "])
async def test_har_without_a_registry_shows_help_in_the_ack(bot: Bot, text: str) -> None:
    status, body = await bot.command(text)
    assert status == 200
    message = json.loads(body)
    assert message["response_type"] == "ephemeral"
    assert "/har" in message["text"]
    assert_valid_blocks(message["blocks"])
    assert bot.harness.calls() == []


@pytest.mark.parametrize("text", ["not a registry!", "../../admin", "reg?x=1", "Docker-Prod"])
async def test_har_with_text_it_cannot_read_shows_usage_and_calls_nobody(bot: Bot, text: str) -> None:
    status, body = await bot.command(text)
    assert status == 200
    message = json.loads(body)
    assert message["response_type"] == "ephemeral"
    assert_valid_blocks(message["blocks"])
    assert bot.harness.calls() == []


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (Canned(status=400, body=error_body(400, "bad ref")), "reject"),
        (Canned(status=401, body=b'{"message": "Unauthorized"}'), "admin"),
        (Canned(status=403, body=error_body(403, "forbidden")), "permission"),
        (Canned(status=404, body=error_body(404, "not found")), "docker-prod"),
        (Canned(status=500, body=error_body(500, "boom")), "Harness"),
        (Canned(body=b"<html>login</html>"), "Harness"),
        (Canned(body=b'{"status": "FAILURE", "data": null}'), "Harness"),
    ],
    ids=["400", "401", "403", "404", "500", "html", "failure"],
)
async def test_har_errors_get_a_friendly_ephemeral_answer(bot: Bot, answer: Canned, words: str) -> None:
    bot.harness.program(REF, answer, Canned(status=answer.status, body=answer.body))
    await bot.command("share payments/checkout/docker-prod")
    (posted,) = await bot.slack.wait_response()
    message = posted.json()
    assert message["response_type"] == "ephemeral"
    assert words.lower() in reply_text(message).lower()
    assert_valid_blocks(message["blocks"])
    assert_no_secret(reply_text(message))
    assert "Traceback" not in reply_text(message)


async def test_har_names_the_harness_host_when_it_is_unreachable(make_bot: object) -> None:
    bot: Bot = await make_bot(harness_base_url="http://127.0.0.1:9/gateway")  # type: ignore[operator]
    await bot.command("payments/checkout/docker-prod")
    (posted,) = await bot.slack.wait_response()
    assert "127.0.0.1" in reply_text(posted.json())


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64},
    ],
    ids=["unsigned", "wrong-signature"],
)
async def test_unsigned_or_forged_requests_are_rejected_before_any_work(
    bot: Bot, headers: dict[str, str]
) -> None:
    body = command_body("payments/checkout/docker-prod", response_url=bot.slack.response_url())
    status, _ = await bot.post(body, headers={"Content-Type": "application/x-www-form-urlencoded", **headers})
    assert status == 401
    assert bot.harness.calls() == []


async def test_request_signed_with_another_secret_is_rejected(bot: Bot) -> None:
    status, _ = await bot.post(
        command_body("payments/docker-prod", response_url=bot.slack.response_url()), secret="other-secret"
    )
    assert status == 401
    assert bot.harness.calls() == []


async def test_stale_signature_is_rejected_as_a_replay(bot: Bot) -> None:
    body = command_body("payments/checkout/docker-prod", response_url=bot.slack.response_url())
    stale = signed_headers(SIGNING_SECRET, body, timestamp=int(time.time()) - 6 * 60)
    status, _ = await bot.post(body, headers=stale)
    assert status == 401
    assert bot.harness.calls() == []


async def test_healthz_answers_200(bot: Bot) -> None:
    async with bot.session.get(f"{bot.url}/healthz") as response:
        assert response.status == 200


async def test_many_commands_do_not_queue_behind_one_slow_lookup(bot: Bot) -> None:
    slow = "acc_test/payments/checkout/slow-one/+"
    release = asyncio.Event()
    bot.harness.program(slow, Canned(body=success_body(identifier="slow-one"), hold=release))
    for index in range(20):
        bot.harness.program(
            f"acc_test/payments/reg-{index}/+", Canned(body=success_body(identifier=f"reg-{index}"))
        )
    first = asyncio.create_task(bot.command("payments/checkout/slow-one", name="slow"))
    await bot.harness.wait_for(lambda r: r.path.endswith("slow-one/+"))
    acks = await asyncio.gather(*(bot.command(f"payments/reg-{i}", name=f"r{i}") for i in range(20)))
    assert all(status == 200 for status, _ in acks)
    for index in range(20):
        await bot.slack.wait_response(f"r{index}")
    # Every quick answer arrived while the slow lookup was still waiting on Harness.
    assert not [r for r in bot.slack.requests if r.path == "/response/slow" and not is_waiting_note(r)]
    release.set()
    await first
    await answer_to(bot.slack, "slow")


async def test_every_lookup_is_logged_once_without_secrets(
    bot: Bot, captured_logs: pytest.LogCaptureFixture
) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    await bot.command("payments/checkout/docker-prod")
    await bot.slack.wait_response()
    lines = [r.getMessage() for r in captured_logs.records if r.getMessage().startswith("lookup ")]
    assert len(lines) == 1
    assert "ref=acc_test/payments/checkout/docker-prod/+" in lines[0]
    assert "outcome=ok" in lines[0]
    assert_no_secret("\n".join(r.getMessage() for r in captured_logs.records))
