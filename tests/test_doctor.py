"""`python -m bot doctor`: every check ✓ against the stand-ins, then each ✗ on its own, with its fix."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.doctor import REQUIRED_SCOPES, Check, run_checks
from bot.store import Store
from devtools.harness import Canned, HarnessStandIn, error_body
from devtools.slack import DEFAULT_SCOPES, SlackStandIn
from tests.conftest import APP_TOKEN, BOT_TOKEN, HARNESS_KEY, SECRETS, SIGNING_SECRET, make_settings
from tests.support import LIST_CALL, REF, closed_url, harness_fixture, program_list, registry_list_body
from tests.test_main import clean_env

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def checking_slack() -> AsyncIterator[SlackStandIn]:
    server = SlackStandIn()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def healthy(harness: HarnessStandIn) -> HarnessStandIn:
    """Harness that lists registries and looks docker-prod up."""
    program_list(harness, Canned(body=registry_list_body()))
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    return harness


def settings_for(slack: SlackStandIn, harness: HarnessStandIn, **overrides: Any) -> Any:
    values = {
        "slack_api_url": slack.api_url,
        "harness_base_url": harness.base_url,
        "harness_ui_url": harness.url,
        "harness_timeout": 2.0,
        **overrides,
    }
    return make_settings(**values)


def failed(checks: list[Check]) -> list[str]:
    return [check.name for check in checks if not check.ok]


def text_of(checks: list[Check]) -> str:
    return "\n".join(check.line() for check in checks)


async def test_every_check_passes_against_healthy_stand_ins(
    checking_slack: SlackStandIn, healthy: HarnessStandIn, tmp_path: Path
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'harbot.db'}"
    migrated = Store.from_url(database)
    await migrated.start()
    await migrated.aclose()
    checks = await run_checks(settings_for(checking_slack, healthy, database_url=database))
    assert failed(checks) == []
    assert [check.name for check in checks] == [
        "settings",
        "Slack tokens",
        "Slack bot token",
        "Slack scopes",
        "Slack signing secret",
        "Harness key",
        "Harness UI",
        "database",
        "PUBLIC_URL",
    ]
    assert "@harbot in workspace harbot test (T1)" in text_of(checks)
    assert "schema current" in text_of(checks)
    (listed,) = [call for call in healthy.requests if call.path == LIST_CALL]
    assert listed.headers["x-api-key"] == HARNESS_KEY


async def test_socket_mode_checks_the_app_token_without_opening_the_socket(
    checking_slack: SlackStandIn, healthy: HarnessStandIn
) -> None:
    checks = await run_checks(settings_for(checking_slack, healthy, slack_app_token=APP_TOKEN))
    assert failed(checks) == []
    assert "Slack app token" in [check.name for check in checks]
    (opened,) = checking_slack.api_calls("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"


async def test_a_given_registry_is_looked_up_to_check_the_key(
    checking_slack: SlackStandIn, healthy: HarnessStandIn
) -> None:
    checks = await run_checks(settings_for(checking_slack, healthy), "payments/checkout/docker-prod")
    assert failed(checks) == []
    assert "looked up acc_test/payments/checkout/docker-prod/+" in text_of(checks)
    assert len(healthy.calls(REF)) == 1


async def test_a_wrong_bot_token_is_the_only_failure(
    checking_slack: SlackStandIn, healthy: HarnessStandIn
) -> None:
    checking_slack.auth_error = "invalid_auth"
    checks = await run_checks(settings_for(checking_slack, healthy))
    assert failed(checks) == ["Slack bot token"]
    assert "fix: " in text_of(checks)
    assert "SLACK_BOT_TOKEN" in text_of(checks)


async def test_a_missing_scope_is_the_only_failure_and_is_named(
    checking_slack: SlackStandIn, healthy: HarnessStandIn
) -> None:
    checking_slack.scopes = tuple(scope for scope in DEFAULT_SCOPES if scope != "links:write")
    checks = await run_checks(settings_for(checking_slack, healthy))
    assert failed(checks) == ["Slack scopes"]
    assert "missing links:write" in text_of(checks)


async def test_a_wrong_harness_key_is_the_only_failure(
    checking_slack: SlackStandIn, harness: HarnessStandIn
) -> None:
    program_list(harness, Canned(status=401, body=error_body(401, "Unauthorized")))
    checks = await run_checks(settings_for(checking_slack, harness))
    assert failed(checks) == ["Harness key"]
    assert "401" in text_of(checks)
    assert "HARNESS_API_KEY" in text_of(checks)


async def test_an_unreachable_harness_is_the_only_failure(
    checking_slack: SlackStandIn, harness: HarnessStandIn
) -> None:
    checks = await run_checks(settings_for(checking_slack, harness, harness_base_url=closed_url()))
    assert failed(checks) == ["Harness key"]
    assert "could not reach Harness" in text_of(checks)


async def test_an_unreachable_harness_ui_is_the_only_failure(
    checking_slack: SlackStandIn, healthy: HarnessStandIn
) -> None:
    checks = await run_checks(settings_for(checking_slack, healthy, harness_ui_url=closed_url()))
    assert failed(checks) == ["Harness UI"]


async def test_a_refused_app_token_is_the_only_failure(
    checking_slack: SlackStandIn, healthy: HarnessStandIn
) -> None:
    checking_slack.overrides["apps.connections.open"] = {"ok": False, "error": "invalid_auth"}
    checks = await run_checks(settings_for(checking_slack, healthy, slack_app_token=APP_TOKEN))
    assert failed(checks) == ["Slack app token"]


async def test_swapped_tokens_stop_the_checks_there(
    checking_slack: SlackStandIn, healthy: HarnessStandIn
) -> None:
    settings = settings_for(
        checking_slack, healthy, slack_bot_token=APP_TOKEN, slack_app_token="xoxb-fake-SENTINEL-BOT2"
    )
    checks = await run_checks(settings)
    assert failed(checks) == ["Slack tokens"]
    assert "swapped" in text_of(checks)
    assert checking_slack.requests == []


def test_required_scopes_are_the_manifests() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == REQUIRED_SCOPES


async def run_doctor(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`python -m bot doctor` as an operator runs it, bounded to 30 s."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "doctor",
        *args,
        env=clean_env(**env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def doctor_env(slack: SlackStandIn, harness: HarnessStandIn) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "HARNESS_API_KEY": HARNESS_KEY,
        "SLACK_API_URL": slack.api_url,
        "HARNESS_BASE_URL": harness.base_url,
        "HARNESS_UI_URL": harness.url,
    }


async def test_doctor_command_exits_0_when_all_pass_and_prints_no_secret(
    checking_slack: SlackStandIn, healthy: HarnessStandIn
) -> None:
    code, out, err = await run_doctor(doctor_env(checking_slack, healthy))
    assert code == 0, out + err
    assert "✗" not in out
    assert out.count("✓") == 9
    for secret in SECRETS:
        assert secret not in out + err


async def test_doctor_command_exits_1_on_a_failure_and_prints_no_secret(
    checking_slack: SlackStandIn, healthy: HarnessStandIn
) -> None:
    checking_slack.auth_error = "token_revoked"
    code, out, err = await run_doctor(doctor_env(checking_slack, healthy))
    assert code == 1
    assert "✗ Slack bot token" in out
    assert "Traceback" not in out + err
    for secret in SECRETS:
        assert secret not in out + err


async def test_doctor_command_reports_bad_settings_as_a_failed_check(tmp_path: Path) -> None:
    code, out, _ = await run_doctor({"SLACK_BOT_TOKEN": "xoxb-1", "PORT": "abc"})
    assert code == 1
    assert out.startswith("✗ settings")
    assert "PORT='abc'" in out


async def test_an_unreachable_public_url_and_database_are_named(
    checking_slack: SlackStandIn, healthy: HarnessStandIn
) -> None:
    checks = await run_checks(settings_for(checking_slack, healthy, public_url=closed_url()))
    assert failed(checks) == ["PUBLIC_URL"]
    assert "schema is at revision none" in text_of(checks)  # an empty database: the bot migrates at start
    assert "fix: check PUBLIC_URL" in text_of(checks)
    closed = closed_url().replace("http://", "postgresql+asyncpg://harbot:hunter2@") + "/harbot"
    checks = await run_checks(settings_for(checking_slack, healthy, database_url=closed))
    assert failed(checks) == ["database"]
    assert "fix: check DATABASE_URL" in text_of(checks)
    assert "hunter2" not in text_of(checks)
