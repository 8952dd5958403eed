"""Configuration errors an operator reads: the variable, its bad value (never a secret's), the right
example for that variable, and no raw validation text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.settings import Settings, describe
from tests.conftest import BOT_TOKEN, HARNESS_KEY, SECRETS, SIGNING_SECRET, IsolatedSettings
from tests.test_main import run_bot

RAW = ("String should match", "unable to parse", "Input should be", "Value error")


def message_for(**values: str) -> str:
    base = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "harness_api_key": HARNESS_KEY,
    }
    given: dict[str, Any] = {**base, **values}
    try:
        IsolatedSettings(**given)
    except ValidationError as exc:
        return describe(exc)
    raise AssertionError("the settings were accepted")


@pytest.mark.parametrize(
    ("values", "named", "example"),
    [
        ({"slack_api_url": "slack.com"}, "SLACK_API_URL='slack.com'", "https://slack.com/api/"),
        ({"harness_base_url": "not-a-url"}, "HARNESS_BASE_URL='***'", "https://app.harness.io/gateway"),
        ({"harness_ui_url": "harness"}, "HARNESS_UI_URL='***'", "https://app.harness.io"),
        ({"log_level": "loud"}, "LOG_LEVEL='loud'", "DEBUG, INFO, WARNING or ERROR"),
        ({"port": "abc"}, "PORT='abc'", "such as 3000"),
        ({"harness_timeout": "soon"}, "HARNESS_TIMEOUT='soon'", "such as 5"),
        ({"log_format": "xml"}, "LOG_FORMAT='xml'", "text or json"),
        ({"metrics": "maybe"}, "METRICS='maybe'", "on or off"),
        ({"metrics_port": "0"}, "METRICS_PORT='0'", "such as 9100"),
        (
            {"prometheus_multiproc_dir": "/nonexistent/harbot"},
            "PROMETHEUS_MULTIPROC_DIR='/nonexistent/harbot'",
            "writable directory",
        ),
    ],
)
def test_each_error_names_the_variable_its_value_and_its_own_example(
    values: dict[str, str], named: str, example: str
) -> None:
    message = message_for(**values)
    assert named in message
    assert example in message
    for raw in RAW:
        assert raw not in message


def test_a_harness_url_without_https_is_refused_unless_loopback() -> None:
    message = message_for(harness_base_url="http://harness.example/gateway")
    assert "HARNESS_BASE_URL='http://harness.example/gateway' must be https" in message
    assert Settings(_env_file=None, harness_base_url="http://127.0.0.1:8080/gateway").harness_base_url
    assert Settings(_env_file=None, harness_base_url="http://localhost:8080/gateway").harness_base_url
    assert Settings(_env_file=None, harness_base_url="http://[::1]:8080/gateway").harness_base_url


@pytest.mark.parametrize(
    "field", ["slack_bot_token", "slack_signing_secret", "slack_app_token", "harness_api_key"]
)
def test_a_malformed_secret_is_named_but_never_echoed(field: str) -> None:
    message = message_for(**{field: "bad value SENTINEL-x"})
    assert f"{field.upper()} (value not shown)" in message
    for secret in SECRETS:
        assert secret not in message


def test_a_bad_key_with_slack_set_does_not_suggest_the_playground(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, HARNESS_API_KEY="opaque-key"
    )
    assert result.returncode == 2
    assert "HARNESS_ACCOUNT_ID" in result.stderr
    assert "playground" not in result.stderr


def test_a_bad_key_without_slack_still_suggests_the_sandbox(tmp_path: Path) -> None:
    result = run_bot(tmp_path, HARNESS_API_KEY="opaque-key")
    assert result.returncode == 2
    assert "playground's sandbox" in result.stderr
