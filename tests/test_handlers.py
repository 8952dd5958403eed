"""The listeners' logic at handler level: fake ack, respond, say and Web API client; no servers."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.access import Asker
from bot.answers import Answer
from bot.cards import Reply
from bot.deps import Deps
from bot.harness.client import HarnessClient
from bot.inbound.app import build_app
from bot.inbound.entry import Entry, bolt_request
from bot.inbound.payloads import read_payload
from bot.listeners.commands import answer_command, handle_command
from bot.listeners.events import handle_direct_message, handle_mention
from bot.services import Services, build_services
from bot.slack.connection import SlackConnection
from tests.conftest import BOT_TOKEN, make_settings

ASKER = Asker(team="T1", channel="C1", user="U123")
CLOSED = "http://127.0.0.1:9"
"""A closed port on loopback: every call there is refused at once."""


@dataclass
class Recorder:
    """Records every call as its keyword arguments (ack, respond, say, chat_postEphemeral alike)."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(
        self, text: str = "", blocks: Sequence[Mapping[str, Any]] | None = None, **kwargs: Any
    ) -> bool:
        self.calls.append({"text": text, "blocks": blocks, **kwargs})
        return True

    async def chat_postEphemeral(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@dataclass(frozen=True)
class SlowTask:
    """A Task whose answer takes `seconds`: stands in for a slow Harness."""

    seconds: float
    public: bool = False
    subject: str = "payments/docker-prod"

    async def run(self, deps: Deps, asker: Asker, *, surface: str) -> Answer:
        await asyncio.sleep(self.seconds)
        return Answer(reply=Reply(text="the card", blocks=[]), ok=True, public=self.public)


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    """Services whose Harness and Slack are closed ports on loopback: every call is refused at once."""
    settings = make_settings(harness_base_url=CLOSED + "/gateway", slack_api_url=CLOSED + "/api/")
    harness = HarnessClient(base_url=settings.harness_base_url, api_key="pat.acc.x.y", backoff=0.01)
    built = build_services(settings, harness=harness)
    # One attempt per Slack call: these tests are about the handlers, not about retrying Slack.
    built = dataclasses.replace(
        built, slack=SlackConnection(api_url=CLOSED + "/api/", bot_token="", max_attempts=1)
    )
    yield built
    await built.aclose()


def command(text: str) -> dict[str, Any]:
    return {"command": "/har", "text": text, "response_url": "https://hooks.slack.test/r", "user_id": "U123"}


@pytest.mark.parametrize("text", ["", "help", "share", "  SHARE  ", "public", "--help"])
async def test_help_and_share_alone_are_answered_in_the_acknowledgement(
    services: Services, text: str
) -> None:
    ack, respond = Recorder(), Recorder()
    await handle_command(ack, command(text), respond, services, ASKER)  # type: ignore[arg-type]
    (acked,) = ack.calls
    assert acked["response_type"] == "ephemeral"
    assert "I look up Harness artifact registries" in str(acked["blocks"])
    assert respond.calls == []
    assert services.background.pending == 0


async def test_unreadable_text_gets_the_usage_hint_at_once(services: Services) -> None:
    ack, respond = Recorder(), Recorder()
    await handle_command(ack, command("nonsense!!"), respond, services, ASKER)  # type: ignore[arg-type]
    (acked,) = ack.calls
    assert "couldn't read" in acked["text"]
    assert services.background.pending == 0


async def test_a_lookup_is_acknowledged_empty_and_answered_in_the_background(services: Services) -> None:
    ack, respond = Recorder(), Recorder()
    await handle_command(ack, command("payments/docker-prod"), respond, services, ASKER)  # type: ignore[arg-type]
    assert ack.calls == [{"text": "", "blocks": None}]
    assert services.background.pending == 1
    await services.aclose()  # lets it finish: Harness at 127.0.0.1:9 refuses, so the answer is an error
    (answered,) = respond.calls
    assert answered["response_type"] == "ephemeral"
    assert "couldn't reach Harness" in answered["text"]


async def test_a_quick_answer_is_posted_once_without_a_waiting_message(services: Services) -> None:
    respond = Recorder()
    await answer_command(SlowTask(0), respond, services, ASKER, patience=1.0)
    assert [c["text"] for c in respond.calls] == ["the card"]
    assert respond.calls[0]["replace_original"] is False


async def test_a_slow_answer_says_looking_up_then_replaces_it(services: Services) -> None:
    respond = Recorder()
    await answer_command(SlowTask(0.05), respond, services, ASKER, patience=0.01)
    waiting, card = respond.calls
    assert waiting["text"] == "Looking up `payments/docker-prod`…"
    assert waiting["response_type"] == "ephemeral"
    assert card["text"] == "the card"
    assert card["replace_original"] is True


async def test_a_slow_shared_answer_removes_the_waiting_message_and_posts_for_everyone(
    services: Services,
) -> None:
    respond = Recorder()
    await answer_command(SlowTask(0.05, public=True), respond, services, ASKER, patience=0.01)
    waiting, deleted, card = respond.calls
    assert waiting["text"].startswith("Looking up")
    assert deleted["delete_original"] is True
    assert card["response_type"] == "in_channel"


def mention_event(text: str) -> dict[str, Any]:
    return {"type": "app_mention", "text": f"<@U0BOT> {text}", "user": "U123", "channel": "C1", "ts": "1.2"}


@pytest.mark.parametrize("text", ["", "nonsense!!", "help"])
async def test_a_mention_without_a_registry_answers_only_the_asker_in_the_thread(
    services: Services, text: str
) -> None:
    say, client = Recorder(), Recorder()
    await handle_mention(mention_event(text), say, client, services, ASKER)  # type: ignore[arg-type]
    assert say.calls == []
    (ephemeral,) = client.calls
    assert ephemeral["user"] == "U123"
    assert ephemeral["channel"] == "C1"
    assert ephemeral["thread_ts"] == "1.2"


async def test_a_direct_message_with_help_gets_help_in_the_dm(services: Services) -> None:
    say = Recorder()
    event = {"type": "message", "channel_type": "im", "text": "help", "user": "U123", "channel": "D1"}
    await handle_direct_message(event, say, services, ASKER)  # type: ignore[arg-type]
    (said,) = say.calls
    assert "I look up Harness artifact registries" in str(said["blocks"])


async def test_messages_from_bots_and_edits_are_never_answered(services: Services) -> None:
    say = Recorder()
    for extra in ({"bot_id": "B1"}, {"subtype": "message_changed"}):
        event = {"type": "message", "channel_type": "im", "text": "help", "channel": "D1", **extra}
        await handle_direct_message(event, say, services, ASKER)  # type: ignore[arg-type]
    assert say.calls == []


def test_a_command_with_the_word_payload_survives_bolts_request_copy() -> None:
    body = "command=%2Fhar&text=payments%2Fpayload-store&user_id=U123&response_url=https%3A%2F%2Fh.test%2Fr"
    payload = read_payload(body, "application/x-www-form-urlencoded")
    request = bolt_request(payload, {"x-slack-retry-num": "1"})  # what Entry.dispatch hands Bolt
    copied = request.to_copyable()  # what Bolt's lazy listeners run on
    for seen in (request, copied):
        assert seen.body["text"] == "payments/payload-store"
        assert seen.body["command"] == "/har"
    assert copied.headers["x-slack-retry-num"] == ["1"]


@dataclass
class SocketClient:
    """Records the acknowledgements Entry sends back on the socket."""

    sent: list[SocketModeResponse] = field(default_factory=list)

    async def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.sent.append(response)


def envelope(payload: Any, *, envelope_id: str = "env-1", retry: int | None = None) -> SocketModeRequest:
    return SocketModeRequest(
        type="events_api", envelope_id=envelope_id, payload=payload, retry_attempt=retry, retry_reason=None
    )


async def test_a_malformed_socket_mode_envelope_is_acknowledged_and_never_dispatched(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    entry, client = Entry(build_app(services), services.state), SocketClient()
    await entry.on_socket_request(client, envelope({"type": "event_callback", "event": "not an object"}))  # type: ignore[arg-type]
    (ack,) = client.sent
    assert ack.envelope_id == "env-1"
    assert ack.payload is None
    assert "malformed Slack request rejected" in caplog.text
    assert services.background.pending == 0


async def test_an_oversized_socket_mode_envelope_is_refused(services: Services) -> None:
    entry, client = Entry(build_app(services), services.state), SocketClient()
    huge = {"type": "event_callback", "event_id": "Ev1", "event": {"type": "message", "text": "x" * 300_000}}
    await entry.on_socket_request(client, envelope(huge))  # type: ignore[arg-type]
    assert [ack.envelope_id for ack in client.sent] == ["env-1"]
    assert services.background.pending == 0


async def test_a_repeated_socket_mode_event_is_answered_once(services: Services) -> None:
    entry, client = Entry(build_app(services), services.state), SocketClient()
    event = {
        "type": "event_callback",
        "event_id": "Ev42",
        "team_id": "T1",
        "event": {"type": "message", "channel_type": "im", "text": "help", "user": "U1", "channel": "D1"},
    }
    await entry.on_socket_request(client, envelope(event))  # type: ignore[arg-type]
    assert services.background.pending == 1
    await entry.on_socket_request(client, envelope(event, envelope_id="env-2", retry=1))  # type: ignore[arg-type]
    assert services.background.pending == 1  # the retry was acknowledged, not dispatched
    assert [ack.envelope_id for ack in client.sent] == ["env-1", "env-2"]


def test_bolt_does_not_warn_that_the_token_is_unused(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt reads SLACK_BOT_TOKEN from the environment itself; the bot gives it the token through
    authorize, so "token will be unused" would read as a misconfiguration that is not there."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    caplog.set_level(logging.DEBUG)
    build_app(build_services(make_settings()))
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
