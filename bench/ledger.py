"""The ledger that times every request, and the two stand-ins (devtools/) set up to feed it.

- `harness_stand_in()`: the Harness stand-in answering any registry name with a spec-shaped registry
  after `latency` seconds (`count` is how many calls it got).
- `slack_stand_in(ledger)`: the Slack stand-in, with an observer that records each answer (a
  response_url post, or a chat.unfurl) into the ledger by request key as it arrives.

Both keep no requests and check no blocks, so they stay cheap under load.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from devtools.harness import HarnessStandIn
from devtools.server import Recorded
from devtools.slack import SlackStandIn

ANSWER_MARKER = b"pkg.harness.io"
"""Only a real answer (a card, or an unfurl) shows the registry's URL; an error message never does."""
EVENT_TS_PREFIX = "1700000000."
"""link_shared events carry `message_ts = EVENT_TS_PREFIX + key`, so a chat.unfurl names its request."""


@dataclass
class Ledger:
    """Per request key: when it was sent, acknowledged (and with what status) and answered."""

    sent: dict[int, float] = field(default_factory=dict)
    acked: dict[int, float] = field(default_factory=dict)
    ack_status: dict[int, int] = field(default_factory=dict)
    """HTTP status of the acknowledgement; 0 for a transport error or a timeout."""
    answered: dict[int, float] = field(default_factory=dict)
    answer_ok: dict[int, bool] = field(default_factory=dict)
    duplicates: int = 0
    """Answers that arrived for a key already answered."""
    strays: int = 0
    """Answers for keys that were never sent (or that the stand-in could not read)."""
    _pending: set[int] = field(default_factory=set)
    _all_in: asyncio.Event = field(default_factory=asyncio.Event)

    def expect(self, keys: list[int]) -> None:
        """Start waiting for answers to `keys` (in addition to any still pending)."""
        self._pending.update(k for k in keys if k not in self.answered)
        if self._pending:
            self._all_in.clear()

    def answer(self, key: int | None, ok: bool) -> None:
        """Record an answer arriving now."""
        now = time.perf_counter()
        if key is None or key not in self.sent:
            self.strays += 1
            return
        if key in self.answered:
            self.duplicates += 1
            return
        self.answered[key] = now
        self.answer_ok[key] = ok
        self._pending.discard(key)
        if not self._pending:
            self._all_in.set()

    async def wait_answers(self, seconds: float) -> bool:
        """Wait until every expected answer arrived, or `seconds`; True when all arrived."""
        if not self._pending:
            return True
        try:
            await asyncio.wait_for(self._all_in.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def give_up(self) -> None:
        """Stop waiting for what has not arrived (it counts as undelivered)."""
        self._pending.clear()
        self._all_in.set()


def harness_stand_in(latency: float = 0.5) -> HarnessStandIn:
    """Harness for the bench: any registry name answers, after `latency` seconds."""
    return HarnessStandIn(answer_any=True, latency=latency, keep=False)


def slack_stand_in(ledger: Ledger) -> SlackStandIn:
    """Slack for the bench: every answer that arrives goes into `ledger`."""
    slack = SlackStandIn(check_blocks=False, keep=False)

    def arrived(call: Recorded) -> None:
        if call.path.startswith("/response/"):
            key = call.path.removeprefix("/response/")
            ledger.answer(int(key) if key.isdigit() else None, ANSWER_MARKER in call.body)
        elif call.path == "/api/chat.unfurl":
            ledger.answer(_unfurl_key(call), ANSWER_MARKER in call.body)

    slack.observers.append(arrived)
    return slack


def _unfurl_key(call: Recorded) -> int | None:
    """The request key in a chat.unfurl call's `ts` (JSON body, or form-encoded)."""
    ts: object = None
    body = call.body
    if call.headers.get("Content-Type", "").startswith("application/json"):
        try:
            ts = json.loads(body).get("ts")
        except (ValueError, AttributeError):
            return None
    else:
        ts = (parse_qs(body.decode()).get("ts") or [None])[0]
    if not isinstance(ts, str) or not ts.startswith(EVENT_TS_PREFIX):
        return None
    key = ts.removeprefix(EVENT_TS_PREFIX)
    return int(key) if key.isdigit() else None
