"""The playground's Slack workspace: its people, its two conversations and every message in them.

This is the state Slack keeps: the fake Web API writes to it, the page reads it. Each change bumps
`version`, and `wait_for_change` lets the page's long poll sleep until there is something new.
The wire-format helpers build what Slack sends an app, field for field (slash command form bodies,
`event_callback` envelopes, `block_actions` payloads) and turn typed text into Slack's message markup.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from devtools.playground.views import View

TEAM_ID: Final = "T07PLAYGND"
TEAM_DOMAIN: Final = "playground"
APP_ID: Final = "A07HARBOT1"
BOT_USER: Final = "U07HARBOT1"
BOT_ID: Final = "B07HARBOT1"
BOT_NAME: Final = "harbot"
ME: Final = "U07ALICE42"
MY_NAME: Final = "alice"
SLACKBOT: Final = "USLACKBOT"
CHANNEL: Final = "C07INCIDNT"
CHANNEL_NAME: Final = "incident-42"
DM: Final = "D07HARBOT1"
COMMAND: Final = "/har"
MAX_MESSAGES: Final = 500
"""Per conversation; the oldest go first. A playground is for minutes, not for days."""

Kind = Literal["message", "command", "notice"]


@dataclass
class Message:
    """One message as Slack stores it, plus how it arrived (for the page to say)."""

    ts: str
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    kind: Kind = "message"
    ephemeral: bool = False
    thread_ts: str | None = None
    via: str = ""
    unfurls: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: dict[str, Any] = field(default_factory=dict)
    """What the app sent for this message (text, blocks), for the Block Kit JSON view."""

    @property
    def is_reply(self) -> bool:
        """A reply in a thread (not the thread's parent)."""
        return self.thread_ts is not None and self.thread_ts != self.ts

    def stored_blocks(self) -> list[dict[str, Any]]:
        """The blocks with the `block_id`s Slack adds when it stores a message."""
        return [
            {**block, "block_id": block.get("block_id") or f"{self.ts[-6:]}-{index}"}
            for index, block in enumerate(self.blocks)
        ]


@dataclass
class Conversation:
    """A channel or a DM."""

    id: str
    name: str
    is_im: bool
    messages: list[Message] = field(default_factory=list)

    def find(self, ts: str) -> Message | None:
        """The message with this `ts`, if it is still there."""
        return next((m for m in self.messages if m.ts == ts), None)


class Workspace:
    """People, conversations and messages; `version` goes up on every change."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {
            BOT_USER: BOT_NAME,
            ME: MY_NAME,
            SLACKBOT: "Slackbot",
            CHANNEL: CHANNEL_NAME,
            DM: BOT_NAME,
        }
        self.conversations: dict[str, Conversation] = {
            CHANNEL: Conversation(CHANNEL, CHANNEL_NAME, is_im=False),
            DM: Conversation(DM, BOT_NAME, is_im=True),
        }
        self.home: View | None = None
        """The user's Home tab, once the app published it."""
        self.modals: list[View] = []
        """The user's open modals, the top one last (Slack stacks at most three)."""
        self.version = 0
        self._changed = asyncio.Event()
        self._last_ts = 0.0

    def next_ts(self) -> str:
        """A new message timestamp: Slack's `seconds.micros`, unique and increasing."""
        now = max(time.time(), self._last_ts + 0.000001)
        self._last_ts = now
        return f"{now:.6f}"

    def conversation(self, channel: str) -> Conversation | None:
        """The conversation with this id."""
        return self.conversations.get(channel)

    def touch(self) -> None:
        """Record a change and wake the page's long polls."""
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for_change(self, since: int, seconds: float) -> int:
        """The version, once it is newer than `since` or `seconds` have passed."""
        if self.version > since:
            return self.version
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)
        return self.version

    def add(self, message: Message) -> Message:
        """Store a message (dropping the oldest past MAX_MESSAGES) and record the change."""
        conversation = self.conversations[message.channel]
        conversation.messages.append(message)
        del conversation.messages[:-MAX_MESSAGES]
        self.touch()
        return message

    def post(self, channel: str, user: str, text: str, **fields: Any) -> Message:
        """A new message in `channel` from `user`."""
        blocks = fields.pop("blocks", None) or []
        return self.add(
            Message(ts=self.next_ts(), channel=channel, user=user, text=text, blocks=blocks, **fields)
        )

    def notice(self, channel: str, text: str, *, thread_ts: str | None = None) -> Message:
        """A note from Slackbot that only the user sees (as Slack shows failed commands)."""
        return self.post(channel, SLACKBOT, text, kind="notice", ephemeral=True, thread_ts=thread_ts)

    def remove(self, channel: str, ts: str) -> bool:
        """Delete a message; False when it was not there."""
        conversation = self.conversations.get(channel)
        message = conversation.find(ts) if conversation else None
        if conversation is None or message is None:
            return False
        conversation.messages.remove(message)
        self.touch()
        return True

    def clear(self) -> None:
        """Empty every conversation and close every modal (the Home tab stays, as in Slack)."""
        for conversation in self.conversations.values():
            conversation.messages.clear()
        self.modals.clear()
        self.touch()

    def find_view(self, view_id: str) -> View | None:
        """The Home tab or an open modal with this id."""
        views = [*self.modals, *([self.home] if self.home is not None else [])]
        return next((view for view in views if view.id == view_id), None)

    def close_modal(self, view_id: str) -> bool:
        """Close the modal `view_id` (and any on top of it); False when it was not open."""
        for index, view in enumerate(self.modals):
            if view.id == view_id:
                del self.modals[index:]
                self.touch()
                return True
        return False


# ---------------------------------------------------------------------------------------------------------
# Typed text to Slack's markup.

_URL: Final = re.compile(r"https?://(?:(?!&gt;|&lt;)[^\s<>])+")
_URL_TAIL: Final = ".,;:!?)]}*_~'\""
_BOT_MENTION: Final = re.compile(rf"(?<![\w@])@{BOT_NAME}\b", re.IGNORECASE)


def to_wire(typed: str) -> str:
    """What Slack sends for a message typed as `typed`: `&`, `<`, `>` escaped, links as `<url>`, and
    `@harbot` as the bot's `<@U…>` mention.
    """
    text = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def link(match: re.Match[str]) -> str:
        url = match[0].rstrip(_URL_TAIL)
        return f"<{url}>{match[0][len(url) :]}"

    text = _URL.sub(link, text)
    return _BOT_MENTION.sub(f"<@{BOT_USER}>", text)


def links_in(wire_text: str) -> list[str]:
    """The URLs in a message's wire text, in order, once each, as they were typed."""
    found: list[str] = []
    for match in re.finditer(r"<(https?://[^|>]+)(?:\|[^>]*)?>", wire_text):
        url = match[1].replace("&amp;", "&")
        if url not in found:
            found.append(url)
    return found


def mentions_bot(wire_text: str) -> bool:
    """Whether the message @-mentions the bot."""
    return f"<@{BOT_USER}>" in wire_text


# ---------------------------------------------------------------------------------------------------------
# What Slack sends the app.

_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}{next(_ids):04d}{secrets.token_hex(4).upper()}"


def trigger_id() -> str:
    """A trigger_id of Slack's shape (`digits.digits.hex`)."""
    return f"{int(time.time())}.{next(_ids)}.{secrets.token_hex(16)}"


def _channel_name(conversation: Conversation) -> str:
    return "directmessage" if conversation.is_im else conversation.name


def command_form(
    text: str, *, conversation: Conversation, response_url: str, user: str = ME
) -> dict[str, str]:
    """The `/har` slash command's form fields, as Slack posts them."""
    return {
        "token": "playground-verification-token",
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": conversation.id,
        "channel_name": _channel_name(conversation),
        "user_id": user,
        "user_name": MY_NAME,
        "command": COMMAND,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id(),
    }


def event_envelope(event: dict[str, Any]) -> dict[str, Any]:
    """An Events API `event_callback` around `event`."""
    return {
        "token": "playground-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": _id("Ev"),
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID, "user_id": BOT_USER, "is_bot": True}],
        "is_ext_shared_channel": False,
        "event_context": _id("4-"),
    }


def message_event(message: Message, *, channel_type: str) -> dict[str, Any]:
    """A `message` event (for DMs: `channel_type` im)."""
    return {
        "type": "message",
        "channel": message.channel,
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
        "event_ts": message.ts,
        "channel_type": channel_type,
        "team": TEAM_ID,
        "client_msg_id": secrets.token_hex(16),
    }


def mention_event(message: Message) -> dict[str, Any]:
    """An `app_mention` event."""
    event = message_event(message, channel_type="channel")
    event["type"] = "app_mention"
    del event["channel_type"]
    if message.thread_ts:
        event["thread_ts"] = message.thread_ts
    return event


def link_shared_event(message: Message, links: list[tuple[str, str]]) -> dict[str, Any]:
    """A `link_shared` event for `(domain, url)` links in a posted message."""
    return {
        "type": "link_shared",
        "channel": message.channel,
        "is_bot_user_member": True,
        "user": message.user,
        "message_ts": message.ts,
        "unfurl_id": f"{message.ts.replace('.', '')}.{secrets.token_hex(8)}",
        "source": "conversations_history",
        "links": [{"domain": domain, "url": url} for domain, url in links],
        "event_ts": message.ts,
    }


def block_actions(
    message: Message,
    action: dict[str, Any],
    *,
    block_id: str,
    response_url: str,
    conversation: Conversation,
    user: str = ME,
) -> dict[str, Any]:
    """The `block_actions` payload for pressing `action` (a button) in `message`."""
    pressed = {
        "action_id": action.get("action_id"),
        "block_id": block_id,
        "text": action.get("text"),
        "type": action.get("type", "button"),
        "action_ts": f"{time.time():.6f}",
    }
    for key in ("value", "url", "style"):
        if key in action:
            pressed[key] = action[key]
    payload: dict[str, Any] = {
        **interaction("block_actions", user=user),
        "container": {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel,
            "is_ephemeral": message.ephemeral,
        },
        "trigger_id": trigger_id(),
        "channel": {
            "id": conversation.id,
            "name": "directmessage" if conversation.is_im else conversation.name,
        },
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [pressed],
    }
    if not message.ephemeral:
        # Slack includes the message itself, except for ephemeral ones, which it does not keep.
        payload["message"] = {
            "type": "message",
            "user": message.user,
            "bot_id": BOT_ID if message.user == BOT_USER else None,
            "text": message.text,
            "ts": message.ts,
            "blocks": message.stored_blocks(),
            **({"thread_ts": message.thread_ts} if message.thread_ts else {}),
        }
    return payload


def interaction(kind: str, *, user: str = ME) -> dict[str, Any]:
    """What every interaction payload starts with."""
    return {
        "type": kind,
        "user": {"id": user, "username": MY_NAME, "name": MY_NAME, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "playground-verification-token",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
    }


def global_shortcut(callback_id: str) -> dict[str, Any]:
    """The `shortcut` payload for choosing a global shortcut from the ⚡ menu."""
    return {
        **interaction("shortcut"),
        "callback_id": callback_id,
        "trigger_id": trigger_id(),
        "action_ts": f"{time.time():.6f}",
    }


def message_action(
    message: Message, conversation: Conversation, *, callback_id: str, response_url: str
) -> dict[str, Any]:
    """The `message_action` payload for a message shortcut chosen on `message`."""
    sent: dict[str, Any] = {"type": "message", "user": message.user, "text": message.text, "ts": message.ts}
    if message.user == BOT_USER:
        sent["bot_id"] = BOT_ID
    if message.blocks:
        sent["blocks"] = message.stored_blocks()
    if message.thread_ts:
        sent["thread_ts"] = message.thread_ts
    return {
        **interaction("message_action"),
        "callback_id": callback_id,
        "trigger_id": trigger_id(),
        "action_ts": f"{time.time():.6f}",
        "message_ts": message.ts,
        "message": sent,
        "channel": {"id": conversation.id, "name": _channel_name(conversation)},
        "response_url": response_url,
    }
