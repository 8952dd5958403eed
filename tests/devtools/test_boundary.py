"""devtools/ stays out of the bot: HTTP and Socket Mode never import it, and an install without it says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import APP_TOKEN, BOT_TOKEN, HARNESS_KEY, SIGNING_SECRET
from tests.test_main import clean_env

pytestmark = pytest.mark.slow  # subprocesses

# Runs `main()` as `python -m bot` does, with the servers swapped for no-ops, then names every devtools
# module imported on the way.
START_WITHOUT_SERVING = """
import sys
import bot.__main__ as entry

async def http(settings, reason):
    entry.build_web_app(entry.build_services(settings))

async def socket_mode(settings):
    entry.socket_mode_client(entry.build_services(settings))

entry.run_http = http
entry.start_socket_mode = socket_mode
entry.main(sys.argv[1:])
print(sorted(name for name in sys.modules if name.split(".")[0] == "devtools"))
"""


@pytest.mark.parametrize(
    ("mode", "extra"),
    [("http", {}), ("socket", {"SLACK_APP_TOKEN": APP_TOKEN}), ("auto", {})],
)
def test_the_bot_never_imports_devtools(tmp_path: Path, mode: str, extra: dict[str, str]) -> None:
    env = clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, HARNESS_API_KEY=HARNESS_KEY, **extra
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter, our own script)
        [sys.executable, "-c", START_WITHOUT_SERVING, "--mode", mode],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


def test_devtools_is_importable_where_these_tests_run() -> None:
    """The test above means something only if devtools could have been imported."""
    result = subprocess.run(
        [sys.executable, "-c", "import devtools.playground"],
        env=clean_env(),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0


def test_outside_a_source_checkout_the_playground_is_one_friendly_line(tmp_path: Path) -> None:
    env = clean_env()
    del env["PYTHONPATH"]
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--mode", "playground"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "only in a source checkout" in result.stderr
    assert "Traceback" not in result.stderr
