"""Socket Mode end to end: a local apps.connections.open and WebSocket deliver a `/har` envelope."""

from __future__ import annotations

import pytest

from devtools.harness import Canned, HarnessStandIn
from devtools.slack import SlackStandIn
from tests.conftest import APP_TOKEN, socket_mode_bot
from tests.support import harness_fixture, slash_command_envelope

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits


async def test_socket_mode_acknowledges_a_slash_command_and_answers(
    slack: SlackStandIn, harness: HarnessStandIn
) -> None:
    harness.program("acc_test/payments/docker-prod/+", Canned(body=harness_fixture("virtual.json")))
    async with socket_mode_bot(slack, harness):
        await slack.envelopes.put(
            slash_command_envelope("payments/docker-prod", response_url=slack.response_url("sock"))
        )
        ack = await slack.wait_socket_ack("env-1")
        (posted,) = await slack.wait_response("sock")
    assert ack["envelope_id"] == "env-1"
    assert posted.json()["response_type"] == "ephemeral"
    assert len(harness.calls("acc_test/payments/docker-prod/+")) == 1
    (opened,) = slack.api_calls("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"
