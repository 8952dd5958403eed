"""When `python -m bot` starts the playground, and what it prints first."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.modes import environment, playground_reason
from bot.settings import Settings, SettingsError
from devtools.playground.launch import describe_harness
from tests.conftest import BOT_TOKEN, HARNESS_KEY, SECRETS, SIGNING_SECRET
from tests.playground.processes import first_line
from tests.test_main import clean_env

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits


@pytest.fixture(autouse=True)
def no_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sets exactly the variables it is about."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def test_no_slack_credentials_at_all_means_the_playground(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_API_KEY", HARNESS_KEY)
    assert playground_reason("auto") == "no SLACK_BOT_TOKEN set"


def test_any_slack_credential_means_the_bot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    assert playground_reason("auto") is None


def test_mode_playground_forces_it_even_with_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    assert playground_reason("playground") == "--mode playground"


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_a_forced_bot_mode_never_starts_the_playground(mode: str) -> None:
    assert playground_reason(mode) is None


def test_a_malformed_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_BASE_URL", "ftp://harness.example")
    with pytest.raises(SettingsError, match="HARNESS_BASE_URL"):
        playground_reason("auto")


def test_a_harness_key_without_an_account_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_API_KEY", "opaque-key")
    with pytest.raises(SettingsError, match="HARNESS_ACCOUNT_ID"):
        environment()


def test_which_harness_is_described(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "sandbox Harness" in describe_harness(environment())
    monkeypatch.setenv("HARNESS_API_KEY", HARNESS_KEY)
    assert describe_harness(environment()) == "Harness at app.harness.io, account acc_test"


def run_bot(tmp_path: Path, *args: str, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=clean_env(**values),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_partial_slack_credentials_still_stop_with_one_friendly_paragraph(tmp_path: Path) -> None:
    result = run_bot(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN)
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in result.stderr
    assert "HARNESS_API_KEY" in result.stderr
    assert "Traceback" not in result.stderr
    assert BOT_TOKEN not in result.stderr


def test_a_taken_port_is_a_friendly_stop(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_bot(tmp_path, PORT=str(port))
    first = result.stdout.splitlines()[0]
    assert first == f"harbot: playground mode — no SLACK_BOT_TOKEN set; open http://127.0.0.1:{port}/"
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr
    assert "set PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_real_bot_says_which_mode_first(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    values = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "HARNESS_API_KEY": HARNESS_KEY,
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=clean_env(**values),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = first_line(process)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert line == (
        "harbot: HTTP mode — SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET set, no SLACK_APP_TOKEN; "
        f"listening on 127.0.0.1:{port} (POST /slack/events, GET /healthz)"
    )
    for secret in SECRETS:
        assert secret not in line
