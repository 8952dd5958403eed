"""LOG_FORMAT=json: one JSON object per line, each lookup field a key of its own; secrets redacted in
both formats.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any, Literal

import pytest

from bot.logs import formatter
from devtools.harness import Canned, HarnessStandIn
from tests.conftest import BOT_TOKEN, HARNESS_KEY, SECRETS, Bot
from tests.support import REF, harness_fixture, settle


@pytest.fixture
def stream() -> Iterator[tuple[io.StringIO, logging.StreamHandler[io.StringIO]]]:
    """A handler on the root logger writing to a string, as the bot's stderr handler does."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    root = logging.getLogger()
    saved = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield out, handler
    root.removeHandler(handler)
    root.setLevel(saved)


async def test_json_lines_carry_each_lookup_field_as_a_key(
    make_bot: Any,
    harness: HarnessStandIn,
    stream: tuple[io.StringIO, logging.StreamHandler[io.StringIO]],
) -> None:
    out, handler = stream
    handler.setFormatter(formatter("json"))
    bot: Bot = await make_bot()
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    await bot.command("payments/checkout/docker-prod", user_id="U42")
    await settle(bot.services.background)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    (lookup,) = [r for r in records if r["logger"] == "bot.answers"]
    assert {"time", "level", "logger", "message"} <= lookup.keys()
    assert lookup["level"] == "INFO"
    assert lookup["surface"] == "command"
    assert lookup["ref"] == "acc_test/payments/checkout/docker-prod/+"
    assert lookup["outcome"] == "ok"
    assert lookup["user"] == "U42"
    assert isinstance(lookup["latency_ms"], int)
    assert lookup["message"].startswith("lookup surface=command ref=acc_test/payments/checkout/docker-prod/+")


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_secrets_are_redacted_in_both_formats(
    fmt: Literal["text", "json"],
    make_bot: Any,
    stream: tuple[io.StringIO, logging.StreamHandler[io.StringIO]],
) -> None:
    out, handler = stream
    handler.setFormatter(formatter(fmt))
    await make_bot()  # installs the redaction of its settings' secrets
    log = logging.getLogger("bot.test")
    log.warning("token %s and key %s", BOT_TOKEN, HARNESS_KEY)
    try:
        raise RuntimeError(f"failed with {HARNESS_KEY}")
    except RuntimeError:
        log.exception("a traceback")
    text = out.getvalue()
    assert "[redacted]" in text
    assert "RuntimeError" in text
    for secret in SECRETS:
        assert secret not in text
    if fmt == "json":
        assert all(json.loads(line) for line in text.splitlines())


def test_text_stays_the_default_format() -> None:
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "hello", None, None)
    assert formatter("text").format(record).endswith(" INFO bot: hello")
