"""How `python -m bot` runs the playground until stopped (whether it should is bot/modes.py's call)."""

from __future__ import annotations

import asyncio
import signal

from bot.settings import Settings, SettingsError
from devtools.playground.server import Playground


def describe_harness(env: Settings) -> str:
    """One line on which Harness the playground's app will talk to."""
    if env.harness_api_key is None:
        return "sandbox Harness with made-up registries (set HARNESS_API_KEY to look up your own)"
    return f"Harness at {env.harness_host}, account {env.account_id}"


def run(env: Settings) -> None:
    """Serve the playground on 127.0.0.1:PORT until Ctrl-C or SIGTERM; SettingsError if the port is taken."""
    asyncio.run(_serve(env))


async def _serve(env: Settings) -> None:
    playground = Playground(env, port=env.port)
    try:
        await playground.start()
    except OSError as exc:
        raise SettingsError(
            f"harbot can't open the playground on 127.0.0.1:{env.port} ({exc.strerror or exc}): "
            "set PORT to a free port."
        ) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await playground.stop()
