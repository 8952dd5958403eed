"""Slack's side of the playground: what Slack sends the app, and the Web API the app calls back.

`FakeSlack.send` turns what was typed into the request Slack would send (a slash command form, or an
`event_callback` for a DM, an `@harbot` mention and a pasted Harness link), signs it with the
playground's own signing secret exactly as Slack signs (v0 HMAC-SHA256), and posts it to the real
app's `POST /slack/events`. `FakeSlack.press` does the same with a `block_actions` payload.

The app answers the way it answers Slack: through the Web API (`auth.test`, `chat.postMessage`,
`chat.postEphemeral`, `chat.update`, `chat.unfurl`, served here under `/api/`) and through
`response_url`s (served here under `/response/`). Each lands in the Workspace, which the page draws.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import urllib.parse
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.signature import SignatureVerifier

from bot.playground.workspace import (
    BOT_ID,
    BOT_NAME,
    BOT_USER,
    COMMAND,
    ME,
    TEAM_ID,
    Conversation,
    Message,
    Workspace,
    block_actions,
    command_form,
    event_envelope,
    link_shared_event,
    links_in,
    mention_event,
    mentions_bot,
    message_event,
    to_wire,
)

logger = logging.getLogger(__name__)

ACK_TIMEOUT: Final = 3.0
"""Slack gives up on an app that has not acknowledged a request within 3 seconds."""
RESPONSE_URL_USES: Final = 5
"""Slack accepts at most five posts to one response_url."""
MAX_LOG: Final = 60
MAX_BLOCKS: Final = 50
MAX_TEXT: Final = 40_000
MAX_LINKS: Final = 5


@dataclass
class ResponseTarget:
    """Where posts to one response_url go: the conversation, and the message a button was in."""

    channel: str
    source_ts: str | None = None
    thread_ts: str | None = None
    uses: int = 0


@dataclass(frozen=True)
class Activity:
    """One line of the wire log the page shows: who sent what to whom."""

    at: float
    direction: str
    what: str
    outcome: str


def _json_field(value: Any) -> Any:
    """Form-encoded Web API calls carry blocks and unfurls as JSON strings."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def invalid_blocks(blocks: Any) -> list[str]:
    """Why Slack would refuse these blocks (`invalid_blocks`), checked with Slack's own SDK models."""
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    if len(blocks) > MAX_BLOCKS:
        return [f"{len(blocks)} blocks; Slack allows {MAX_BLOCKS}"]
    problems = []
    for index, block in enumerate(blocks):
        parsed = Block.parse(block) if isinstance(block, dict) else None
        if parsed is None:
            problems.append(f"block {index}: not a block type Slack knows")
            continue
        try:
            parsed.validate_json()
        except SlackObjectFormationError as exc:
            problems.append(f"block {index} ({block.get('type')}): {exc}")
    return problems


class FakeSlack:
    """The Slack workspace the playground's app is installed in. See the module docstring."""

    def __init__(self, workspace: Workspace, *, unfurl_domains: frozenset[str]) -> None:
        self.workspace = workspace
        self.unfurl_domains = unfurl_domains
        self.bot_token = "xoxb-playground-" + secrets.token_hex(12)
        self.signing_secret = secrets.token_hex(32)
        self.base_url = ""
        self.app_url = ""
        self.log: deque[Activity] = deque(maxlen=MAX_LOG)
        self._responses: dict[str, ResponseTarget] = {}
        self._session: aiohttp.ClientSession | None = None
        self._verifier = SignatureVerifier(self.signing_secret)
        self._methods: dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "chat.unfurl": self._unfurl,
        }

    @property
    def api_url(self) -> str:
        """What the app's SLACK_API_URL is set to."""
        return f"{self.base_url}/api/"

    def add_routes(self, app: web.Application) -> None:
        """Serve the Web API and the response URLs on `app`."""
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response)

    async def aclose(self) -> None:
        """Close the connection pool to the app."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _record(self, direction: str, what: str, outcome: str) -> None:
        self.log.append(Activity(time.time(), direction, what, outcome))

    # -----------------------------------------------------------------------------------------------------
    # Slack → app.

    def _response_url(self, target: ResponseTarget) -> str:
        key = secrets.token_urlsafe(18)
        self._responses[key] = target
        return f"{self.base_url}/response/{key}"

    async def _deliver(self, body: str, *, content_type: str, what: str) -> tuple[int, str]:
        """POST a signed request to the app's /slack/events; (status, body), or (0, reason) on failure."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        timestamp = str(int(time.time()))
        signature = self._verifier.generate_signature(timestamp=timestamp, body=body) or ""
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        try:
            async with self._session.post(
                f"{self.app_url}/slack/events",
                data=body.encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=ACK_TIMEOUT),
            ) as response:
                status, text = response.status, await response.text()
        except TimeoutError:
            self._record("Slack → app", what, "no acknowledgement within 3 s")
            return 0, "operation_timeout"
        except aiohttp.ClientError as exc:
            self._record("Slack → app", what, f"could not connect ({type(exc).__name__})")
            return 0, "dispatch_failed"
        self._record("Slack → app", what, f"{status}")
        return status, text

    async def _deliver_event(self, event: dict[str, Any], what: str) -> None:
        status, _ = await self._deliver(
            json.dumps(event_envelope(event)), content_type="application/json", what=what
        )
        if status != 200:
            logger.warning("the app did not accept an event status=%s what=%s", status, what)

    async def send(self, channel: str, typed: str) -> None:
        """What happens in Slack when the user sends `typed` in `channel`."""
        conversation = self.workspace.conversation(channel)
        typed = typed.strip()[:MAX_TEXT]
        if conversation is None or not typed:
            return
        if typed.startswith("/"):
            await self._command(conversation, typed)
            return
        message = self.workspace.post(channel, ME, to_wire(typed), via="you")
        if conversation.is_im:
            await self._deliver_event(message_event(message, channel_type="im"), "message.im event")
            return
        heard = False
        if mentions_bot(message.text):
            heard = True
            await self._deliver_event(mention_event(message), "app_mention event")
        links = [(urlsplit(url).hostname or "", url) for url in links_in(message.text)]
        ours = [(domain, url) for domain, url in links if self._unfurls(domain)][:MAX_LINKS]
        if ours:
            heard = True
            await self._deliver_event(link_shared_event(message, ours), "link_shared event")
        if not heard:
            self.workspace.notice(
                channel,
                f"In a channel, {BOT_NAME} hears `{COMMAND}`, `@{BOT_NAME}` and Harness links; "
                f"this message has none, so Slack sent it nothing.",
            )

    def _unfurls(self, domain: str) -> bool:
        """Slack sends link_shared for the app's unfurl domains and their subdomains."""
        domain = domain.lower()
        return any(domain == d or domain.endswith("." + d) for d in self.unfurl_domains)

    async def _command(self, conversation: Conversation, typed: str) -> None:
        command, _, text = typed.partition(" ")
        if command != COMMAND:
            self.workspace.notice(conversation.id, f"`{command}` is not a valid command. Try `{COMMAND}`.")
            return
        self.workspace.post(conversation.id, ME, typed, kind="command", ephemeral=True, via="slash command")
        response_url = self._response_url(ResponseTarget(channel=conversation.id))
        form = command_form(text.strip(), conversation=conversation, response_url=response_url)
        status, body = await self._deliver(
            urllib.parse.urlencode(form),
            content_type="application/x-www-form-urlencoded",
            what=f"slash command {typed[:60]}",
        )
        if status != 200:
            reason = body if status == 0 else "dispatch_failed"
            self.workspace.notice(conversation.id, f'`{COMMAND}` failed with the error "{reason}"')
            return
        self._show_ack(conversation, body)

    def _show_ack(self, conversation: Conversation, body: str) -> None:
        """A slash command's acknowledgement with a body is itself the answer (help, usage hints)."""
        if not body.strip():
            return
        try:
            reply = json.loads(body)
        except json.JSONDecodeError:
            reply = {"text": body}
        if not isinstance(reply, dict):
            return
        public = reply.get("response_type") == "in_channel"
        self._bot_message(conversation.id, reply, ephemeral=not public, via="acknowledgement")

    async def press(self, channel: str, ts: str, block_id: str, action_id: str) -> bool:
        """The user pressed a button; False when there is no such button any more."""
        conversation = self.workspace.conversation(channel)
        message = conversation.find(ts) if conversation else None
        if conversation is None or message is None:
            return False
        found = _find_action(message, block_id, action_id)
        if found is None:
            return False
        target = ResponseTarget(channel=channel, source_ts=message.ts, thread_ts=message.thread_ts)
        payload = block_actions(
            message,
            found,
            block_id=block_id,
            response_url=self._response_url(target),
            conversation=conversation,
        )
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        status, _ = await self._deliver(
            body, content_type="application/x-www-form-urlencoded", what=f"block_actions {action_id}"
        )
        if status != 200:
            self.workspace.notice(channel, "That button didn't work: the app didn't answer Slack in time.")
        return True

    # -----------------------------------------------------------------------------------------------------
    # App → Slack.

    def _bot_message(self, channel: str, sent: dict[str, Any], **fields: Any) -> Message:
        blocks = sent.get("blocks")
        return self.workspace.post(
            channel,
            BOT_USER,
            str(sent.get("text") or ""),
            blocks=blocks if isinstance(blocks, list) else [],
            sent={key: sent[key] for key in ("text", "blocks") if key in sent},
            **fields,
        )

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            try:
                args = await request.json()
            except json.JSONDecodeError:
                return web.json_response({"ok": False, "error": "invalid_json"})
        else:
            args = {key: _json_field(value) for key, value in (await request.post()).items()}
        if not isinstance(args, dict):
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or args.get("token")
        if token != self.bot_token:
            self._record("app → Slack", method, "invalid_auth")
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = self._methods.get(method)
        if handler is None:
            self._record("app → Slack", method, "unknown_method")
            return web.json_response({"ok": False, "error": "unknown_method"})
        result = await handler(args)
        self._record("app → Slack", method, "ok" if result.get("ok") else str(result.get("error")))
        if not result.get("ok") and method != "auth.test":
            self._refused(args, method, result)
        return web.json_response(result)

    def _refused(self, args: dict[str, Any], method: str, result: dict[str, Any]) -> None:
        """Say in the conversation that Slack refused a call, as a developer would want to see."""
        channel = args.get("channel")
        if isinstance(channel, str) and self.workspace.conversation(channel) is not None:
            details = "; ".join(result.get("errors", []))[:500]
            self.workspace.notice(
                channel, f"Slack refused `{method}` from the app: `{result.get('error')}` {details}".strip()
            )

    async def _auth_test(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"{self.base_url}/",
            "team": "harbot playground",
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _check_message(self, args: dict[str, Any]) -> dict[str, Any] | None:
        """The error Slack would answer for these message arguments, or None when they are fine."""
        if self.workspace.conversation(str(args.get("channel"))) is None:
            return {"ok": False, "error": "channel_not_found"}
        blocks = args.get("blocks")
        if not args.get("text") and not blocks:
            return {"ok": False, "error": "no_text"}
        if blocks is not None:
            problems = invalid_blocks(blocks)
            if problems:
                return {"ok": False, "error": "invalid_blocks", "errors": problems}
        return None

    async def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        error = self._check_message(args)
        if error:
            return error
        thread = args.get("thread_ts")
        message = self._bot_message(
            str(args["channel"]), args, thread_ts=str(thread) if thread else None, via="chat.postMessage"
        )
        stored = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "text": message.text,
            "ts": message.ts,
        }
        return {"ok": True, "channel": message.channel, "ts": message.ts, "message": stored}

    async def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        error = self._check_message(args)
        if error:
            return error
        if args.get("user") != ME:
            return {"ok": False, "error": "user_not_in_channel"}
        thread = args.get("thread_ts")
        message = self._bot_message(
            str(args["channel"]),
            args,
            ephemeral=True,
            thread_ts=str(thread) if thread else None,
            via="chat.postEphemeral",
        )
        return {"ok": True, "message_ts": message.ts}

    async def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        error = self._check_message(args)
        if error:
            return error
        conversation = self.workspace.conversation(str(args["channel"]))
        message = conversation.find(str(args.get("ts"))) if conversation else None
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if message.user != BOT_USER or message.ephemeral:
            return {"ok": False, "error": "cant_update_message"}
        self._replace(message, args, via="chat.update")
        return {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text}

    def _replace(self, message: Message, sent: dict[str, Any], *, via: str) -> None:
        blocks = sent.get("blocks")
        message.text = str(sent.get("text") or "")
        message.blocks = blocks if isinstance(blocks, list) else []
        message.sent = {key: sent[key] for key in ("text", "blocks") if key in sent}
        message.via = via
        self.workspace.touch()

    async def _unfurl(self, args: dict[str, Any]) -> dict[str, Any]:
        unfurls = args.get("unfurls")
        if not isinstance(unfurls, dict):
            return {"ok": False, "error": "invalid_unfurls"}
        conversation = self.workspace.conversation(str(args.get("channel")))
        message = conversation.find(str(args.get("ts"))) if conversation else None
        if message is None:
            return {"ok": False, "error": "cannot_find_message"}
        for url, unfurl in unfurls.items():
            blocks = unfurl.get("blocks") if isinstance(unfurl, dict) else None
            problems = invalid_blocks(blocks) if blocks is not None else []
            if problems:
                return {"ok": False, "error": "invalid_unfurls", "errors": problems}
            # Slack attaches an unfurl only to a link that is in the message.
            if url in links_in(message.text) and isinstance(unfurl, dict):
                message.unfurls[url] = unfurl
        self.workspace.touch()
        return {"ok": True}

    async def _response(self, request: web.Request) -> web.Response:
        target = self._responses.get(request.match_info["id"])
        if target is None:
            return web.Response(status=404, text="no_response_url")
        target.uses += 1
        if target.uses > RESPONSE_URL_USES:
            self._record("app → Slack", "response_url", "used_url")
            return web.Response(status=404, text="used_url")
        try:
            sent = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(sent, dict):
            return web.Response(status=400, text="invalid_payload")
        outcome = self._respond(target, sent)
        self._record("app → Slack", "response_url", outcome)
        if outcome != "ok":
            return web.Response(status=400, text=outcome)
        return web.json_response({"ok": True})

    def _respond(self, target: ResponseTarget, sent: dict[str, Any]) -> str:
        """Apply one response_url post: delete, replace, or a new message. Returns "ok" or Slack's error."""
        conversation = self.workspace.conversation(target.channel)
        if conversation is None:
            return "channel_not_found"
        source = conversation.find(target.source_ts) if target.source_ts else None
        if sent.get("delete_original"):
            if source is not None:
                self.workspace.remove(conversation.id, source.ts)
            return "ok"
        blocks = sent.get("blocks")
        if blocks is not None and invalid_blocks(blocks):
            self._refused({"channel": conversation.id}, "response_url", {"error": "invalid_blocks"})
            return "invalid_blocks"
        if not sent.get("text") and not blocks:
            return "no_text"
        if sent.get("replace_original") and source is not None:
            self._replace(source, sent, via="response_url (replace_original)")
            return "ok"
        public = sent.get("response_type") == "in_channel"
        thread = sent.get("thread_ts") or target.thread_ts
        self._bot_message(
            conversation.id,
            sent,
            ephemeral=not public,
            thread_ts=str(thread) if thread else None,
            via="response_url",
        )
        return "ok"


def _find_action(message: Message, block_id: str, action_id: str) -> dict[str, Any] | None:
    """The button with this block_id and action_id in the message, as the app sent it."""
    for block in message.stored_blocks():
        if block.get("block_id") != block_id:
            continue
        elements = block.get("elements") if block.get("type") == "actions" else [block.get("accessory")]
        for element in elements or []:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    return None
