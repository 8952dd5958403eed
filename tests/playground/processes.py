"""Reading what a started `python -m bot` prints, without ever waiting unboundedly."""

from __future__ import annotations

import select
import subprocess
import time
import urllib.request

WAIT_SECONDS = 20.0


def first_line(process: subprocess.Popen[str], *, seconds: float = WAIT_SECONDS) -> str:
    """The first line the process prints on stdout (AssertionError if none comes within `seconds`)."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    assert ready, f"nothing printed within {seconds:.0f}s"
    return process.stdout.readline().rstrip("\n")


def get(url: str, *, seconds: float = WAIT_SECONDS) -> tuple[int, str]:
    """GET `url` once it answers: (status, body); AssertionError after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (a loopback URL)
                return response.status, response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer within {seconds:.0f}s") from None
            time.sleep(0.1)
