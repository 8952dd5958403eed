"""`python -m bot` as a user starts it: friendly stops on bad configuration, /healthz when it runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BOT_TOKEN, HARNESS_KEY, SECRETS, SIGNING_SECRET
from tests.playground.processes import first_line, get

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits


def clean_env(**values: str) -> dict[str, str]:
    """A minimal environment: no Slack or Harness variables unless given."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "SYSTEMROOT") if key in os.environ}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    env.update(values)
    return env


def run_bot(tmp_path: Path, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=clean_env(**values),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_no_credentials_starts_the_playground_and_says_so_first(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=clean_env(PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = first_line(process)
        status, page = get(f"http://127.0.0.1:{port}/")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert line == f"harbot: playground mode — no SLACK_BOT_TOKEN set; open http://127.0.0.1:{port}/"
    assert status == 200
    assert "harbot playground" in page
    assert "Sandbox data" in page


def test_malformed_setting_is_named_without_echoing_secrets(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        HARNESS_API_KEY=HARNESS_KEY,
        HARNESS_BASE_URL="ftp://harness.example",
    )
    assert result.returncode == 2
    assert "HARNESS_BASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
    for secret in SECRETS:
        assert secret not in result.stderr


def test_project_default_without_org_default_is_refused(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        HARNESS_API_KEY=HARNESS_KEY,
        HARNESS_DEFAULT_PROJECT="checkout",
    )
    assert result.returncode == 2
    assert "HARNESS_DEFAULT_ORG" in result.stderr


def test_key_without_an_account_needs_harness_account_id(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, HARNESS_API_KEY="opaque-key"
    )
    assert result.returncode == 2
    assert "HARNESS_ACCOUNT_ID" in result.stderr


@pytest.fixture
def running_bot(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """The bot started from a .env file in its working directory, as `make run` starts it."""
    port = free_port()
    (tmp_path / ".env").write_text(
        f"SLACK_BOT_TOKEN={BOT_TOKEN}\nSLACK_SIGNING_SECRET={SIGNING_SECRET}\n"
        f"HARNESS_API_KEY={HARNESS_KEY}\nHOST=127.0.0.1\nPORT={port}\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process, port
    process.terminate()
    process.wait(timeout=10)


def test_bot_reads_dotenv_and_answers_healthz(running_bot: tuple[subprocess.Popen[str], int]) -> None:
    process, port = running_bot
    deadline = time.monotonic() + 20
    status = None
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                status = response.status
                break
        except OSError:
            time.sleep(0.1)
    assert status == 200
