"""`python -m tests.webhook_process DATABASE_URL`: the receiver alone in a process of its own, for the
test that kills it. Prints `ready <port>` once it listens on 127.0.0.1."""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

from bot.store import Store
from bot.webhooks.receiver import Receiver, webhook_app


async def serve(url: str) -> None:
    store = Store.from_url(url)
    await store.start()
    runner = web.AppRunner(webhook_app(Receiver(store)), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    address: tuple[str, int] = runner.addresses[0]
    print(f"ready {address[1]}", flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
