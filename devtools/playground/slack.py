"""Slack's side of the playground: what Slack sends the app, and the Web API the app calls back.

`PlaygroundSlack.send` turns what was typed into the request Slack would send (a slash command form, or
an `event_callback` for a DM, an `@harbot` mention and a pasted Harness link), signs it with the
playground's own signing secret exactly as Slack signs (v0 HMAC-SHA256), and posts it to the real
app's `POST /slack/events`. `PlaygroundSlack.press` does the same with a `block_actions` payload.

The app answers the way it answers Slack, through the Slack stand-in (devtools/slack.py) mounted on the
playground's port: its Web API and response URLs, whose message methods are overridden here to land in
the Workspace, which the page draws.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from devtools.playground.modals import ViewSide
from devtools.playground.workspace import (
    BOT_ID,
    BOT_NAME,
    BOT_USER,
    CHANNEL,
    COMMAND,
    DM,
    ME,
    TEAM_ID,
    Conversation,
    Message,
    Workspace,
    block_actions,
    command_form,
    event_envelope,
    global_shortcut,
    link_shared_event,
    links_in,
    mention_event,
    mentions_bot,
    message_action,
    message_event,
    to_wire,
)
from devtools.slack import Identity, SlackStandIn, signed_headers

logger = logging.getLogger(__name__)

ACK_TIMEOUT: Final = 3.0
"""Slack gives up on an app that has not acknowledged a request within 3 seconds."""
RESPONSE_URL_USES: Final = 5
"""Slack accepts at most five posts to one response_url."""
MAX_LOG: Final = 60
MAX_TEXT: Final = 40_000
MAX_LINKS: Final = 5
FORM_TYPE: Final = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Shortcut:
    """A shortcut as the app's manifest declares it (tests/playground keep these and manifest.yml in step)."""

    callback_id: str
    name: str
    kind: str
    """`global` (the ⚡ menu) or `message` (a message's ⋯ menu)."""


SHORTCUTS: Final = (
    Shortcut("look_up_in_harness", "Look up in Harness", "message"),
    Shortcut("find_registry", "Find a registry", "global"),
)


@dataclass
class ResponseTarget:
    """Where posts to one response_url go: the conversation, and the message a button was in."""

    channel: str
    source_ts: str | None = None
    thread_ts: str | None = None
    uses: int = 0
    posted_ts: str | None = None
    """A slash command's response_url has no source message: its "original" is what it posted last."""


@dataclass(frozen=True)
class Activity:
    """One line of the wire log the page shows: who sent what to whom."""

    at: float
    direction: str
    what: str
    outcome: str


class PlaygroundSlack(SlackStandIn):
    """The Slack workspace the playground's app is installed in. See the module docstring."""

    def __init__(self, workspace: Workspace, *, unfurl_domains: frozenset[str]) -> None:
        identity = Identity(
            team_id=TEAM_ID, team="harbot playground", user_id=BOT_USER, bot_id=BOT_ID, user=BOT_NAME
        )
        # keep=False: a playground runs for hours; the page's log (MAX_LOG lines) is what it keeps.
        self.token = "xoxb-playground-" + secrets.token_hex(12)
        super().__init__(identity=identity, bot_token=self.token, keep=False)
        self.workspace = workspace
        self.unfurl_domains = unfurl_domains
        self.signing_secret = secrets.token_hex(32)
        self.app_url = ""
        self.log: deque[Activity] = deque(maxlen=MAX_LOG)
        self._responses: dict[str, ResponseTarget] = {}
        self._session: aiohttp.ClientSession | None = None
        self.views = ViewSide(
            workspace, interact=self._interact, deliver_event=self._deliver_event, new_id=self._new_view_id
        )
        self.memberships[ME] = [CHANNEL]

    def _new_view_id(self) -> str:
        return f"V{self.next_ts()}"

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
        return self.response_url(key)

    async def _deliver(self, body: str, *, content_type: str, what: str) -> tuple[int, str]:
        """POST a signed request to the app's /slack/events; (status, body), or (0, reason) on failure."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {
            **signed_headers(self.signing_secret, body, content_type=content_type),
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
            content_type=FORM_TYPE,
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
        status, _ = await self._interact(payload, f"block_actions {action_id}")
        if status != 200:
            self.workspace.notice(channel, "That button didn't work: the app didn't answer Slack in time.")
        return True

    # -----------------------------------------------------------------------------------------------------
    # Slack → app: shortcuts (views are in devtools/playground/modals.py).

    async def _interact(self, payload: dict[str, Any], what: str) -> tuple[int, str]:
        """POST an interaction payload (as Slack's form body), its trigger_id noted as issued."""
        trigger = payload.get("trigger_id")
        if isinstance(trigger, str):
            self.views.issued(trigger)
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self._deliver(body, content_type=FORM_TYPE, what=what)

    async def shortcut(self, callback_id: str, *, channel: str | None = None, ts: str | None = None) -> bool:
        """A shortcut chosen: a global one from the ⚡ menu, a message one on the message `ts` in
        `channel`. False when there is no such shortcut or message."""
        shortcut = next((s for s in SHORTCUTS if s.callback_id == callback_id), None)
        if shortcut is None:
            return False
        if shortcut.kind == "global":
            await self._interact(global_shortcut(callback_id), f"shortcut {callback_id}")
            return True
        conversation = self.workspace.conversation(channel or "")
        message = conversation.find(ts or "") if conversation is not None else None
        if conversation is None or message is None:
            return False
        target = ResponseTarget(channel=conversation.id, thread_ts=message.thread_ts)
        payload = message_action(
            message, conversation, callback_id=callback_id, response_url=self._response_url(target)
        )
        status, _ = await self._interact(payload, f"message_action {callback_id}")
        if status != 200:
            self.workspace.notice(conversation.id, "That shortcut didn't work: the app didn't answer Slack.")
        return True

    # -----------------------------------------------------------------------------------------------------
    # App → Slack: the stand-in's message methods, applied to the Workspace.

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

    def answered(self, method: str, args: dict[str, Any], result: dict[str, Any]) -> None:
        """Log every call; say in the conversation when Slack refused one, as a developer would want."""
        self._record("app → Slack", method, "ok" if result.get("ok") else str(result.get("error")))
        if not result.get("ok") and method != "auth.test":
            self._refused(args, method, result)

    def _refused(self, args: dict[str, Any], method: str, result: dict[str, Any]) -> None:
        channel = args.get("channel")
        if isinstance(channel, str) and self.workspace.conversation(channel) is not None:
            details = "; ".join(result.get("errors", []))[:500]
            self.workspace.notice(
                channel, f"Slack refused `{method}` from the app: `{result.get('error')}` {details}".strip()
            )

    def post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel") == ME:
            # A user id as the channel: Slack posts in the app's DM with that user (its Messages tab).
            args = {**args, "channel": DM}
        if self.workspace.conversation(str(args.get("channel"))) is None:
            return {"ok": False, "error": "channel_not_found"}
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

    def post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.workspace.conversation(str(args.get("channel"))) is None:
            return {"ok": False, "error": "channel_not_found"}
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

    def update(self, args: dict[str, Any]) -> dict[str, Any]:
        conversation = self.workspace.conversation(str(args.get("channel")))
        if conversation is None:
            return {"ok": False, "error": "channel_not_found"}
        message = conversation.find(str(args.get("ts")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if message.user != BOT_USER or message.ephemeral:
            return {"ok": False, "error": "cant_update_message"}
        self._replace(message, args, via="chat.update")
        return {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text}

    def delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel")), str(args.get("ts"))
        if not self.workspace.remove(channel, ts):
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "ts": ts}

    def _replace(self, message: Message, sent: dict[str, Any], *, via: str) -> None:
        blocks = sent.get("blocks")
        message.text = str(sent.get("text") or "")
        message.blocks = blocks if isinstance(blocks, list) else []
        message.sent = {key: sent[key] for key in ("text", "blocks") if key in sent}
        message.via = via
        self.workspace.touch()

    def unfurl(self, args: dict[str, Any]) -> dict[str, Any]:
        conversation = self.workspace.conversation(str(args.get("channel")))
        message = conversation.find(str(args.get("ts"))) if conversation else None
        if message is None:
            return {"ok": False, "error": "cannot_find_message"}
        for url, unfurl in args["unfurls"].items():
            # Slack attaches an unfurl only to a link that is in the message.
            if url in links_in(message.text) and isinstance(unfurl, dict):
                message.unfurls[url] = unfurl
        self.workspace.touch()
        return {"ok": True}

    def view_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.views.publish(args)

    def view_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.views.open(args)

    def view_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.views.push(args)

    def view_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.views.update(args)

    def respond(self, name: str, sent: dict[str, Any]) -> web.Response:
        target = self._responses.get(name)
        if target is None:
            return web.Response(status=404, text="no_response_url")
        target.uses += 1
        if target.uses > RESPONSE_URL_USES:
            self._record("app → Slack", "response_url", "used_url")
            return web.Response(status=404, text="used_url")
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
        original = target.source_ts or target.posted_ts
        source = conversation.find(original) if original else None
        if sent.get("delete_original"):
            if source is not None:
                self.workspace.remove(conversation.id, source.ts)
            return "ok"
        refusal = self.response_refusal(sent)
        if refusal is not None:
            self._refused({"channel": conversation.id}, "response_url", {"error": refusal})
            return refusal
        if not sent.get("text") and not sent.get("blocks"):
            return "no_text"
        if sent.get("replace_original") and source is not None:
            self._replace(source, sent, via="response_url (replace_original)")
            return "ok"
        public = sent.get("response_type") == "in_channel"
        thread = sent.get("thread_ts") or target.thread_ts
        posted = self._bot_message(
            conversation.id,
            sent,
            ephemeral=not public,
            thread_ts=str(thread) if thread else None,
            via="response_url",
        )
        target.posted_ts = posted.ts
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
