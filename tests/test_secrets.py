"""No Slack token, signing secret or Harness key in a Slack message, a log line, an exception or the settings.

Every test runs with the recognisable fake secrets of tests/conftest.py and, through the `logs` fixture,
every logger at DEBUG (slack_bolt, slack_sdk, httpx, httpcore, aiohttp included). tests/test_faults.py
checks the same after each fault of its matrix.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import SecretStr, ValidationError

from bot import doctor
from bot.harness.client import HarnessClient
from bot.harness.errors import HarnessError
from bot.logs import REDACTED, formatter, install_redaction
from bot.refs import RegistryRef
from bot.services import build_services
from bot.settings import SECRETS as SETTING_SECRETS
from bot.settings import URL_FIELDS, Settings, SettingsError, load_settings, mask_url
from bot.state.link import RedisLink
from devtools.harness import Canned, HarnessStandIn, error_body, success_body
from devtools.slack import JSON, SlackStandIn, signed_headers
from tests.conftest import (
    APP_TOKEN,
    BOT_TOKEN,
    HARNESS_KEY,
    SECRETS,
    SIGNING_SECRET,
    Bot,
    assert_no_secrets,
    make_settings,
    socket_mode_bot,
)
from tests.support import (
    LINK,
    REF,
    LogWatch,
    block_actions,
    closed_url,
    command_body,
    dm,
    event_body,
    link_shared,
    mention,
    settle,
    slash_command_envelope,
)
from tests.test_main import clean_env


def _no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


# --- Settings ---------------------------------------------------------------------------------------

ALL_SECRETS = make_settings(slack_app_token=APP_TOKEN)
SHOWN: dict[str, Callable[[Settings], str]] = {
    "repr": repr,
    "str": str,
    "format": lambda settings: f"{settings}",
    "model_dump_json": lambda settings: settings.model_dump_json(),
    "model_dump": lambda settings: str(settings.model_dump()),
    "model_dump in JSON mode": lambda settings: json.dumps(settings.model_dump(mode="json")),
}


@pytest.mark.parametrize("show", SHOWN.values(), ids=SHOWN.keys())
def test_settings_never_show_a_secret(show: Callable[[Settings], str]) -> None:
    _no_secret(show(ALL_SECRETS))


async def test_services_never_show_a_secret() -> None:
    services = build_services(ALL_SECRETS)
    try:
        _no_secret(repr(services) + str(vars(services.lookups)))
    finally:
        await services.lookups.aclose()
        await services.state.aclose()


@pytest.mark.parametrize("name", ["slack_bot_token", "slack_signing_secret", "harness_api_key"])
@pytest.mark.parametrize("bad", [" with a space SENTINEL", "line\nbreak-SENTINEL", "ünïcode-SENTINEL"])
def test_a_malformed_secret_is_refused_without_being_repeated(name: str, bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make_settings(**{name: "x" + bad})
    _no_secret(str(caught.value))


def test_load_settings_names_a_malformed_secret_without_repeating_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("HARNESS_API_KEY", HARNESS_KEY + " trailing words")
    with pytest.raises(SettingsError, match="HARNESS_API_KEY") as caught:
        load_settings("http")
    _no_secret(str(caught.value))


# --- End to end -------------------------------------------------------------------------------------


async def test_no_secret_reaches_slack_an_answer_or_the_log_on_any_surface(bot: Bot, logs: LogWatch) -> None:
    bot.harness.program(REF, Canned(body=success_body()))
    bot.harness.program("acc_test/payments/missing/+", Canned(status=404, body=error_body(404, "not found")))
    answers: list[str] = []

    async def post(body: str, **headers: Any) -> None:
        answers.append((await bot.post(body, **headers))[1])

    await post(command_body("payments/checkout/docker-prod", response_url=bot.slack.response_url("ok")))
    await post(command_body("help", response_url=bot.slack.response_url("help")))
    await post(command_body("Not A Registry", response_url=bot.slack.response_url("usage")))
    await post(command_body("payments/missing", response_url=bot.slack.response_url("missing")))
    for event in (dm("payments/checkout/docker-prod"), mention("payments/missing"), link_shared(LINK)):
        body = event_body(event)
        await post(body, headers=signed_headers(SIGNING_SECRET, body, content_type=JSON))
    await post(block_actions("refresh", REF, response_url=bot.slack.response_url("refresh")))
    await post(block_actions("share", REF, response_url=bot.slack.response_url("share")))
    forged = command_body("payments/checkout/docker-prod", response_url=bot.slack.response_url("forged"))
    await post(forged, headers={"Content-Type": "application/x-www-form-urlencoded"})
    await post("{not json", headers=signed_headers(SIGNING_SECRET, "{not json", content_type=JSON))
    await settle(bot.services.background)
    assert len(bot.slack.api_calls("chat.unfurl")) == 1  # every surface was really exercised
    assert_no_secrets(bot, logs, *answers)


async def test_no_secret_in_the_traceback_when_slack_rejects_the_token(bot: Bot, logs: LogWatch) -> None:
    bot.slack.overrides["chat.postMessage"] = {"ok": False, "error": "invalid_auth"}
    await bot.send_event(event_body(dm("help")))
    await settle(bot.services.background)
    (failure,) = [r for r in logs.records if r.levelno >= logging.ERROR]
    assert "invalid_auth" in failure.getMessage()
    assert "SLACK_BOT_TOKEN" in failure.getMessage()
    assert failure.exc_info is None  # the operator's to fix, not our bug: no traceback
    assert_no_secrets(bot, logs)


@pytest.mark.parametrize(
    "answer",
    [
        Canned(status=500, body=error_body(500, "boom")),
        Canned(body=b"<html>login</html>"),
        Canned(body=success_body(), cut_after=10),
        Canned(status=401, body=b'{"message": "Unauthorized"}'),
    ],
    ids=["5xx", "html", "reset", "401"],
)
async def test_no_secret_in_a_harness_error_or_its_causes(harness: HarnessStandIn, answer: Canned) -> None:
    ref = RegistryRef(account="acc_test", org="payments", project="checkout", registry="docker-prod")
    harness.program(ref.path, answer)
    client = HarnessClient(base_url=harness.base_url, api_key=HARNESS_KEY, timeout=1.0, backoff=0.01)
    try:
        with pytest.raises(HarnessError) as caught:
            await client.get_registry(ref)
    finally:
        await client.aclose()
    _no_secret("".join(traceback.format_exception(caught.value)) + repr(caught.value))


async def test_no_secret_in_the_traceback_when_harness_cannot_be_reached(logs: LogWatch) -> None:
    ref = RegistryRef(account="acc_test", registry="docker-prod")
    client = HarnessClient(base_url=closed_url(), api_key=HARNESS_KEY, timeout=1.0, backoff=0.01)
    try:
        with pytest.raises(HarnessError) as caught:
            await client.get_registry(ref)
    finally:
        await client.aclose()
    _no_secret("".join(traceback.format_exception(caught.value)) + logs.text())


async def test_no_secret_in_the_log_of_socket_mode(
    slack: SlackStandIn, harness: HarnessStandIn, logs: LogWatch
) -> None:
    harness.program("acc_test/payments/docker-prod/+", Canned(body=success_body()))
    async with socket_mode_bot(slack, harness):
        await slack.envelopes.put(
            slash_command_envelope("payments/docker-prod", response_url=slack.response_url("sock"))
        )
        await slack.wait_response("sock")
    _no_secret(logs.text() + "\n".join(r.body.decode() for r in slack.requests))


# --- The net under it all: bot.logs ----------------------------------------------------------------


def test_a_secret_logged_by_any_library_is_redacted(logs: LogWatch) -> None:
    install_redaction(ALL_SECRETS)  # as build_services does, for every way of starting the bot
    logging.getLogger("httpcore.http11").debug("headers=%r", [(b"x-api-key", HARNESS_KEY.encode())])
    logging.getLogger("slack_sdk").info("token %s and %s", BOT_TOKEN, APP_TOKEN)
    try:
        raise RuntimeError(f"signature over {SIGNING_SECRET}")
    except RuntimeError:
        logging.getLogger("aiohttp.server").exception("failed", stack_info=True)
    text = logs.text() + "".join(r.stack_info or "" for r in logs.records)
    _no_secret(text)
    assert text.count(REDACTED) >= 4


# --- Every variable that may carry a secret, malformed or not: never printed ------------------------

MASKED = "SENTINEL-PW"
SECRET_FIELDS = sorted(SETTING_SECRETS | URL_FIELDS)
"""Derived from Settings: every SecretStr field and every `*_url` field."""


def _malformed(name: str) -> str:
    """A value `name` refuses, with MASKED where a credential goes."""
    if name in URL_FIELDS:
        # Neither http(s) nor redis(s): every URL setting refuses it.
        return f"ftp://user:{MASKED}@harbot.example:6379"
    return f"bad value {MASKED}"


MALFORMED = {name.upper(): _malformed(name) for name in SECRET_FIELDS}
CHECKED_TOGETHER = {"HARNESS_WEBHOOK_SECRET"}
"""Any text is a valid secret: it is refused only without its identifier, after every single variable."""


def test_the_secret_fields_are_derived_from_the_settings() -> None:
    assert {"slack_bot_token", "harness_api_key", "redis_url", "slack_api_url"} <= set(SECRET_FIELDS)


@pytest.mark.parametrize("name", SECRET_FIELDS)
def test_a_malformed_secret_or_url_is_masked_in_the_settings_error(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name.upper(), _malformed(name))
    with pytest.raises(SettingsError, match=name.upper()) as caught:
        load_settings("http")
    assert MASKED not in str(caught.value)


def test_a_url_that_fails_parsing_is_still_masked() -> None:
    assert MASKED not in mask_url(f"ht!tp://us@er:{MASKED}@[bad/x")
    assert mask_url("https://u:p@host/path") == "https://***@host/path"


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("command", [[], ["doctor"]], ids=["bot", "doctor"])
def test_no_malformed_secret_in_the_output_of_the_bot_or_doctor(
    tmp_path: Path, fmt: str, command: list[str]
) -> None:
    result = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "bot", *command],
        cwd=tmp_path,
        env=clean_env(LOG_LEVEL="DEBUG", LOG_FORMAT=fmt, **MALFORMED),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode in (1, 2)
    output = result.stdout + result.stderr
    for name in set(MALFORMED) - CHECKED_TOGETHER:
        assert name in output  # every bad variable reported, in one run
    assert MASKED not in output


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_url_credentials_are_redacted_from_log_records(logs: LogWatch, fmt: Literal["text", "json"]) -> None:
    url = f"https://user:{MASKED}@127.0.0.1:1/api/"
    settings = make_settings(harness_base_url=url, redis_url=f"redis://user:{MASKED}@127.0.0.1:1")
    install_redaction(settings)
    logging.getLogger("slack_sdk.web.base_client").debug("Sending a request - url: %s", url)
    logging.getLogger("httpx").debug("HTTP Request: GET %s", url)
    text = "\n".join(formatter(fmt).format(record) for record in logs.records)
    assert "Sending a request" in text
    assert MASKED not in text


def test_a_valid_redis_url_never_shows_its_password(logs: LogWatch) -> None:
    link = RedisLink(SecretStr(f"redis://user:{MASKED}@127.0.0.1:1"))
    link.failed(ConnectionRefusedError())
    assert "Redis at redis://***@127.0.0.1:1 is unreachable" in logs.text()
    assert MASKED not in logs.text()


def test_doctor_lines_never_show_a_url_password() -> None:
    settings = make_settings(
        harness_base_url=f"https://user:{MASKED}@127.0.0.1:1/gateway",
    )
    line = doctor._unreachable(settings, "ConnectError").line()
    assert "https://***@127.0.0.1:1/gateway" in line
    assert MASKED not in line


@pytest.mark.parametrize(
    "value",
    [
        f"https://user:{MASKED}",  # no host: the password reads as a port
        f"https://user:{MASKED}@host?password={MASKED}",
        f"redis://h:6379/0?password={MASKED}",
        f"{MASKED}",  # a bare password pasted into a URL variable
        f"https://u:{MASKED}/x@host",
    ],
)
def test_every_url_shape_is_masked(value: str) -> None:
    assert MASKED not in mask_url(value)


@pytest.mark.parametrize("name", ["slack_api_url", "harness_ui_url"])
def test_urls_that_slack_or_people_see_refuse_credentials(name: str) -> None:
    with pytest.raises(ValidationError, match="must not hold a user or password"):
        make_settings(**{name: f"https://user:{MASKED}@example.com/"})


def test_a_port_that_is_not_a_number_is_refused_before_any_client_sees_it() -> None:
    with pytest.raises(ValidationError, match="port that is not a number"):
        make_settings(harness_base_url=f"https://user:{MASKED}")
