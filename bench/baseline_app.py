"""BASELINE: the `/har` lookup written the way Slack's starter templates write it.

A synchronous `slack_bolt.App` served by its built-in development server (`app.start(port=...)`), a
blocking `httpx.get` to Harness inside the listener after `ack()`, then `respond(...)` (for `link_shared`,
`client.chat_unfurl(...)`). Bolt runs listeners on its default thread pool. Started by the bench as
`python bench/baseline_app.py` with the same environment as the bot.

One change from the template: `app.start()` binds 0.0.0.0, and the bench only ever listens on loopback,
so the development server's `HTTPServer` is swapped for one that binds 127.0.0.1 (same class otherwise:
single-threaded, listen backlog 5).
"""

from __future__ import annotations

import logging
import os
import re
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import slack_bolt.app.app as bolt_app_module
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

logging.basicConfig(level=logging.INFO)

HARNESS_KEY = os.environ.get("HARNESS_API_KEY", "")
ACCOUNT = HARNESS_KEY.split(".")[1] if HARNESS_KEY.count(".") >= 3 else ""
REGISTRY_API = os.environ.get("HARNESS_BASE_URL", "").rstrip("/") + "/har/api/v1/registry/"
LINK = re.compile(
    r"https?://[^/\s]+/ng/account/(?P<account>[^/]+)/all"
    r"(?:/orgs/(?P<org>[^/]+)(?:/projects/(?P<project>[^/]+))?)?/registries/(?P<registry>[^/?#\s>|]+)"
)


class LoopbackHTTPServer(HTTPServer):
    """Bolt's development server class, bound to 127.0.0.1 instead of 0.0.0.0."""

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", address[1]), handler)


bolt_app_module.HTTPServer = LoopbackHTTPServer  # type: ignore[misc]

app = App(
    token=os.environ.get("SLACK_BOT_TOKEN"),
    signing_secret=os.environ.get("SLACK_SIGNING_SECRET"),
    client=WebClient(token=os.environ.get("SLACK_BOT_TOKEN"), base_url=os.environ["SLACK_API_URL"]),
)


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


def fetch_registry(path: str) -> dict[str, Any]:
    """GET the registry from Harness (blocking)."""
    response = httpx.get(REGISTRY_API + path, headers={"x-api-key": HARNESS_KEY}, timeout=10)
    response.raise_for_status()
    data: dict[str, Any] = response.json()["data"]
    return data


def card(data: dict[str, Any]) -> list[dict[str, Any]]:
    """A small card: the name, then type and URL."""
    facts = f"{data.get('packageType', '')} · `{data.get('url', '')}`"
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{data.get('identifier', '')}*"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": facts}]},
    ]


@app.command("/har")
def handle_har(ack: Ack, command: dict[str, Any], respond: Respond, logger: logging.Logger) -> None:
    """Acknowledge, look up, respond."""
    text = command.get("text", "").strip()
    if text in ("", "help"):
        ack(text="Usage: /har <org>/<project>/<registry> or a registry link")
        return
    ack()
    path = ref_path(text)
    if path is None:
        respond(text="Could not read that.")
        return
    try:
        data = fetch_registry(path)
    except httpx.HTTPError:
        logger.exception("lookup failed")
        respond(text="Could not look that up.")
        return
    respond(text=data.get("identifier", ""), blocks=card(data))


@app.event("link_shared")
def handle_link_shared(event: dict[str, Any], client: WebClient, logger: logging.Logger) -> None:
    """Unfurl registry links."""
    unfurls: dict[str, Any] = {}
    for link in event.get("links", []):
        path = ref_path(link.get("url", ""))
        if path is None:
            continue
        try:
            unfurls[link["url"]] = {"blocks": card(fetch_registry(path))}
        except httpx.HTTPError:
            logger.exception("unfurl lookup failed")
    if unfurls:
        client.chat_unfurl(channel=event["channel"], ts=event["message_ts"], unfurls=unfurls)


if __name__ == "__main__":
    app.start(port=int(os.environ.get("PORT", 3000)))
