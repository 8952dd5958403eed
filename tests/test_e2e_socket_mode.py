"""Socket Mode end to end: a local apps.connections.open and WebSocket deliver a `/har` envelope."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import build_app, build_services
from tests.conftest import APP_TOKEN, make_settings
from tests.standins import Canned, HarnessStandIn, SlackStandIn, harness_fixture, slash_command_envelope


async def test_socket_mode_acknowledges_a_slash_command_and_answers(
    slack: SlackStandIn, harness: HarnessStandIn
) -> None:
    harness.program("acc_test/payments/docker-prod/+", Canned(body=harness_fixture("virtual.json")))
    settings = make_settings(
        slack_app_token=APP_TOKEN, slack_api_url=slack.api_url, harness_base_url=harness.base_url
    )
    services = build_services(settings)
    handler = AsyncSocketModeHandler(build_app(settings, services), APP_TOKEN)
    await handler.connect_async()
    try:
        await slack.envelopes.put(
            slash_command_envelope("payments/docker-prod", response_url=slack.response_url("sock"))
        )
        ack = await slack.wait_socket_ack("env-1")
        (posted,) = await slack.wait_response("sock")
    finally:
        await handler.close_async()
        await services.lookups.aclose()
    assert ack["envelope_id"] == "env-1"
    assert posted.json()["response_type"] == "ephemeral"
    assert len(harness.calls("acc_test/payments/docker-prod/+")) == 1
    (opened,) = slack.api_calls("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"
