"""CEILING: the `/har` job with no framework, to show what the job costs on its own.

A bare aiohttp server: check the Slack signature, acknowledge with 200 at once, make the one Harness call
through one pooled client, and post a small card to `response_url` (for `link_shared`, one `chat.unfurl`).
No cache, no coalescing, no retries, no validation beyond what the job needs. Started by the bench as
`python bench/ceiling_app.py` with the same environment as the bot.

The pooled client has no connection cap (`limit=0`): the ceiling is the best this machine can do, and
aiohttp's default cap of 100 would queue a burst of 300 slow lookups in waves.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web

SECRET = os.environ["SLACK_SIGNING_SECRET"].encode()
TOKEN = os.environ["SLACK_BOT_TOKEN"]
HARNESS_KEY = os.environ["HARNESS_API_KEY"]
ACCOUNT = HARNESS_KEY.split(".")[1]
REGISTRY_API = os.environ["HARNESS_BASE_URL"].rstrip("/") + "/har/api/v1/registry/"
SLACK_API = os.environ["SLACK_API_URL"]
LINK = re.compile(
    r"https?://[^/\s]+/ng/account/(?P<account>[^/]+)/all"
    r"(?:/orgs/(?P<org>[^/]+)(?:/projects/(?P<project>[^/]+))?)?/registries/(?P<registry>[^/?#\s>|]+)"
)
HELP = {"response_type": "ephemeral", "text": "Usage: /har <org>/<project>/<registry> or a registry link"}

_tasks: set[asyncio.Task[None]] = set()
_session_key = web.AppKey("session", aiohttp.ClientSession)


def verified(headers: Any, body: bytes) -> bool:
    """Slack's v0 signature over `v0:{timestamp}:{body}`, and a timestamp within 5 minutes."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(SECRET, base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def ref_path(text: str) -> str | None:
    """The API registry_ref for `org/project/registry` (or fewer parts) or a registry link."""
    match = LINK.search(text)
    if match:
        parts = [match[name] for name in ("account", "org", "project", "registry") if match[name]]
        return "/".join(parts) + "/+"
    parts = text.strip().split("/")
    if not 1 <= len(parts) <= 3 or not all(parts):
        return None
    return "/".join([ACCOUNT, *parts]) + "/+"


async def lookup(session: aiohttp.ClientSession, path: str) -> dict[str, Any] | None:
    """The registry's `data`, or None when Harness did not answer 200."""
    async with session.get(REGISTRY_API + path, headers={"x-api-key": HARNESS_KEY}) as response:
        if response.status != 200:
            return None
        data: dict[str, Any] = (await response.json())["data"]
        return data


def card(data: dict[str, Any]) -> list[dict[str, Any]]:
    """A small card: the name, then type and URL."""
    facts = f"{data.get('packageType', '')} · `{data.get('url', '')}`"
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{data.get('identifier', '')}*"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": facts}]},
    ]


async def answer_command(session: aiohttp.ClientSession, form: dict[str, str]) -> None:
    """Look the registry up and post the card (or a short error) to response_url."""
    path = ref_path(form.get("text", ""))
    data = await lookup(session, path) if path else None
    if data is None:
        message: dict[str, Any] = {"response_type": "ephemeral", "text": "Could not look that up."}
    else:
        message = {"response_type": "ephemeral", "text": data.get("identifier", ""), "blocks": card(data)}
    async with session.post(form["response_url"], json=message) as response:
        await response.read()


async def answer_link_shared(session: aiohttp.ClientSession, event: dict[str, Any]) -> None:
    """One chat.unfurl call with a card per registry link."""
    unfurls: dict[str, Any] = {}
    for link in event.get("links", []):
        path = ref_path(link.get("url", ""))
        data = await lookup(session, path) if path else None
        if data is not None:
            unfurls[link["url"]] = {"blocks": card(data)}
    if not unfurls:
        return
    payload = {"channel": event["channel"], "ts": event["message_ts"], "unfurls": unfurls}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with session.post(SLACK_API + "chat.unfurl", json=payload, headers=headers) as response:
        await response.read()


def spawn(job: Coroutine[Any, Any, None]) -> None:
    """Run `job` after the acknowledgement, keeping a reference so it is not collected mid-flight."""
    task = asyncio.create_task(job)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def slack_events(request: web.Request) -> web.Response:
    """Slack's Request URL: verify, acknowledge, and answer in the background."""
    body = await request.read()
    if not verified(request.headers, body):
        return web.Response(status=401)
    session = request.app[_session_key]
    if request.content_type == "application/x-www-form-urlencoded":
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("text", "").strip() in ("", "help"):
            return web.json_response(HELP)
        spawn(answer_command(session, form))
        return web.Response()
    payload = json.loads(body)
    if payload.get("type") == "url_verification":
        return web.json_response({"challenge": payload.get("challenge")})
    event = payload.get("event") or {}
    if payload.get("type") == "event_callback" and event.get("type") == "link_shared":
        spawn(answer_link_shared(session, event))
    return web.Response()


async def healthz(_: web.Request) -> web.Response:
    """200 for the bench's start-up timer."""
    return web.json_response({"ok": True})


async def client_session(app: web.Application) -> AsyncIterator[None]:
    """One pooled client for Harness and Slack, for the life of the process."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as session:
        app[_session_key] = session
        yield


def main() -> None:
    """Serve on HOST:PORT."""
    app = web.Application()
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    app.cleanup_ctx.append(client_session)
    web.run_app(app, host=os.environ["HOST"], port=int(os.environ["PORT"]), print=None, access_log=None)


if __name__ == "__main__":
    main()
