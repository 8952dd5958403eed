"""What tests send and wait for: Slack payloads as Slack sends them, Harness fixtures, logs, settling.

The stand-ins themselves (Harness, Slack) are in devtools/, shared with the bench and the playground.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import socket
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.background import Background
from devtools.harness import Canned, HarnessStandIn
from devtools.server import WAIT_SECONDS, Recorded
from devtools.slack import SlackStandIn

FIXTURES = Path(__file__).parent / "fixtures"
REF = "acc_test/payments/checkout/docker-prod/+"
"""The registry_ref most tests look up: docker-prod in the project payments/checkout."""
LINK = "https://app.harness.io/ng/account/acc_test/all/orgs/payments/projects/checkout/registries/docker-prod"
"""The Harness UI link to REF."""


def harness_fixture(name: str) -> bytes:
    """A spec-shaped Harness body from tests/fixtures/harness/."""
    return (FIXTURES / "harness" / name).read_bytes()


def closed_url() -> str:
    """A loopback URL nothing listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def command_body(
    text: str, *, response_url: str, user_id: str = "U123", channel_id: str = "C123", team_id: str = "T1"
) -> str:
    """A `/har` slash-command payload, form-encoded as Slack sends it."""
    return urllib.parse.urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "team_domain": "example",
            "channel_id": channel_id,
            "channel_name": "incident-42",
            "user_id": user_id,
            "user_name": "alice",
            "command": "/har",
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


# --- Slack payloads, as Slack sends them -----------------------------------------------------------

_event_ids = itertools.count(1)


def event_body(
    event: dict[str, Any], *, event_id: str | None = None, ext_shared: bool = False, team_id: str = "T1"
) -> str:
    """An Events API callback as Slack sends it."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": team_id,
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_event_ids):06d}",
            "event_time": int(time.time()),
            "is_ext_shared_channel": ext_shared,
            "authorizations": [{"team_id": team_id, "user_id": "UBOT", "is_bot": True}],
        }
    )


def dm(text: str, **extra: Any) -> dict[str, Any]:
    """A `message.im` event: someone wrote to the bot directly."""
    ts = f"{time.time():.6f}"
    return {
        "type": "message",
        "channel": "D1",
        "channel_type": "im",
        "user": "U123",
        "text": text,
        "ts": ts,
        **extra,
    }


def mention(text: str, **extra: Any) -> dict[str, Any]:
    """An `app_mention` event: `@harbot <text>` in a channel."""
    return {
        "type": "app_mention",
        "channel": "C1",
        "user": "U123",
        "text": f"<@UBOT> {text}",
        "ts": "1700000000.000100",
        **extra,
    }


def link_shared(*urls: str, channel: str = "C1", **extra: Any) -> dict[str, Any]:
    """A `link_shared` event for links on one of the app's unfurl domains."""
    return {
        "type": "link_shared",
        "channel": channel,
        "user": "U123",
        "message_ts": "1700000000.000200",
        "links": [{"domain": urllib.parse.urlsplit(url).hostname, "url": url} for url in urls],
        "source": "conversations_history",
        "unfurl_id": "UNF1",
        "event_ts": "1700000000.000300",
        **extra,
    }


def block_actions(
    action_id: str,
    value: str | None,
    *,
    response_url: str,
    ephemeral: bool = True,
    user: str = "U777",
    channel: str = "C1",
    team: str = "T1",
) -> str:
    """A click on one of the card's buttons, form-encoded as `payload=<JSON>` as Slack sends it."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b1", "type": "button", "action_ts": "1.2"}
    if value is not None:
        action["value"] = value
    payload = {
        "type": "block_actions",
        "team": {"id": team, "domain": "example"},
        "user": {"id": user, "username": "bob", "team_id": team},
        "api_app_id": "A1",
        "token": "legacy",
        "container": {
            "type": "message",
            "message_ts": "1.1",
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        },
        "trigger_id": "1.2.3",
        "channel": {"id": channel, "name": "incident-42"},
        "response_url": response_url,
        "actions": [action],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def message_of(call: Recorded) -> dict[str, Any]:
    """A Web API call's arguments, with `blocks` and `unfurls` decoded when they came as JSON strings."""
    body: dict[str, Any] = call.json()
    if isinstance(body.get("blocks"), str):
        body["blocks"] = json.loads(body["blocks"])
    if isinstance(body.get("unfurls"), str):
        body["unfurls"] = json.loads(body["unfurls"])
    return body


async def settle(background: Background) -> None:
    """Wait (up to WAIT_SECONDS) until the bot's Background has no answer under way.

    A listener acknowledges Slack and hands the slow part to the Background; once a response has come
    back, that work has been spawned, so waiting for it is exact, not a guess.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    while background.pending:
        if time.monotonic() > deadline:
            raise AssertionError(f"{background.pending} answer(s) still under way after {WAIT_SECONDS}s")
        await asyncio.sleep(0.005)


# --- Logs --------------------------------------------------------------------------------------------

ALL_LOGGERS = ("", "bot", "slack_bolt", "slack_sdk", "httpx", "httpcore", "aiohttp", "asyncio")
"""The root logger and the libraries' own, each set to DEBUG while a LogWatch is installed."""


class LogWatch(logging.Handler):
    """Every log record from every logger at DEBUG, kept for assertions, with a bounded wait for one.

    Use it as a context manager: it sets the loggers of ALL_LOGGERS to DEBUG and restores them after.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._arrived = asyncio.Event()
        self._saved: dict[str, int] = {}
        self._formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self._arrived.set()

    def __enter__(self) -> LogWatch:
        for name in ALL_LOGGERS:
            logger = logging.getLogger(name)
            self._saved[name] = logger.level
            logger.setLevel(logging.DEBUG)
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *_: object) -> None:
        logging.getLogger().removeHandler(self)
        for name, level in self._saved.items():
            logging.getLogger(name).setLevel(level)

    def formatted(self, record: logging.LogRecord) -> str:
        """The record as a handler writes it: the message, then the traceback when there is one."""
        return self._formatter.format(record)

    def text(self) -> str:
        """Everything logged so far, formatted."""
        return "\n".join(self.formatted(record) for record in self.records)

    def messages(self, start: str = "") -> list[str]:
        """The messages logged so far that start with `start`."""
        return [m for m in (r.getMessage() for r in self.records) if m.startswith(start)]

    def errors(self) -> list[str]:
        """Records at ERROR or above, and Bolt's complaint that a listener did not acknowledge in time."""
        return [
            self.formatted(record)
            for record in self.records
            if record.levelno >= logging.ERROR
            or (record.name.startswith("slack_bolt") and "didn't call ack()" in record.getMessage())
        ]

    async def wait_for(self, predicate: Callable[[str], bool], count: int = 1) -> list[str]:
        """The first `count` messages matching `predicate`, waiting up to WAIT_SECONDS."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            found = [m for m in (r.getMessage() for r in self.records) if predicate(m)]
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"expected {count} log record(s) matching, got {len(found)}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout=remaining)
            except TimeoutError:
                continue


def slash_command_envelope(text: str, *, response_url: str, envelope_id: str = "env-1") -> dict[str, Any]:
    """A Socket Mode envelope carrying a `/har <text>` slash command, as Slack's WebSocket sends it."""
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "team_id": "T1",
            "channel_id": "C123",
            "user_id": "U123",
            "command": "/har",
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        },
    }


# --- Start-up checks, doctor and metrics ------------------------------------------------------------------

LIST_PATH = "spaces/acc_test/+/registries"
"""The registry list endpoint at account scope, as HarnessStandIn.program_path names it."""
LIST_CALL = "/gateway/har/api/v1/spaces/acc_test/+/registries?size=1"
"""The registry list call doctor makes without a registry: account scope, one registry."""


def program_list(harness: HarnessStandIn, answer: Canned) -> None:
    """Answer doctor's registry list call with `answer`."""
    harness.program_path(LIST_PATH, answer)


def registry_list_body() -> bytes:
    """A 200 body of the registry list endpoint with one registry."""
    registry = {"identifier": "docker-prod", "packageType": "DOCKER", "path": "acc_test/docker-prod"}
    return json.dumps({"status": "SUCCESS", "data": {"registries": [registry], "itemCount": 1}}).encode()


# --- Listing and client set-up ------------------------------------------------------------------------

SETUP_SUFFIX = "/client-setup-details"
"""Appended to a registry_ref ("acc/org/reg/+"): the client set-up path for HarnessStandIn.program."""


def list_key(space_path: str) -> str:
    """The path `HarnessStandIn.program_path` takes for the list of a space ("acc" or "acc/org/proj")."""
    return f"spaces/{space_path}/+/registries"


def listed(
    path: str, package_type: str = "DOCKER", registry_type: str = "VIRTUAL", **extra: Any
) -> dict[str, Any]:
    """A RegistryMetadata for HarnessStandIn.catalog; `path` is its full path ("acc/org/proj/reg")."""
    return {
        "identifier": path.rsplit("/", 1)[-1],
        "packageType": package_type,
        "type": registry_type,
        "url": f"https://pkg.example/{path}",
        "path": path,
        "description": "",
        "labels": [],
        **extra,
    }


def setup_body(registry: str, **data: Any) -> bytes:
    """A client set-up body in the spec's shape: docker login and pull, with Harness's token placeholder."""
    details = {
        "mainHeader": "Docker Client Setup",
        "secHeader": "Follow these instructions to install/use Docker artifacts or compatible packages.",
        "sections": [
            {
                "header": "Login to Docker",
                "type": "INLINE",
                "steps": [
                    {
                        "header": "Run this Docker command in your terminal to authenticate the client.",
                        "type": "Static",
                        "commands": [{"value": "docker login pkg.harness.io -u alice -p <TOKEN>"}],
                    },
                    {
                        "header": "For the Password field above, generate an identity token",
                        "type": "GenerateToken",
                    },
                ],
            },
            {
                "header": "Pull an image",
                "type": "INLINE",
                "steps": [
                    {
                        "header": "Run this Docker command in your terminal to pull image.",
                        "type": "Static",
                        "commands": [
                            {"value": f"docker pull pkg.harness.io/acc_test/{registry}/<IMAGE_NAME>:<TAG>"}
                        ],
                    }
                ],
            },
        ],
        **data,
    }
    return json.dumps({"status": "SUCCESS", "data": details}).encode()


def is_waiting_note(call: Recorded) -> bool:
    """The "Looking up `…`…" note a slow slash-command answer posts first (the answer replaces it)."""
    try:
        return str(json.loads(call.body).get("text", "")).startswith("Looking up")
    except (ValueError, AttributeError):
        return False


async def answer_to(slack: SlackStandIn, name: str = "1") -> Recorded:
    """The answer posted to the response_url `name`, past any "Looking up…" note before it."""
    (answer,) = await slack.wait_for(lambda r: r.path == f"/response/{name}" and not is_waiting_note(r))
    return answer
