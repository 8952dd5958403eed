"""Helpers for the card tests: real-shaped registries, and renderers that always check what they built.

Every payload goes through `render`, `compact` or `message`, which check it with Slack's own SDK models
(`tests.blockkit.assert_valid_blocks`) and require it to survive `json.dumps` as it is, before a test
looks at what it says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.cards import (
    CardOptions,
    Reply,
    compact_card,
    registry_card,
)
from bot.harness.models import Registry, RegistryResponse
from bot.parsing import ScopeContext
from bot.refs import RegistryRef
from tests.blockkit import assert_valid_blocks

FIXTURES = Path(__file__).parent / "fixtures" / "harness"
ALL_FIXTURES = sorted(path.stem for path in FIXTURES.glob("*.json"))
ACCOUNT = "px7xd_BFRCi-pfWPYXVjvw"
UI = "https://app.harness.io"
HOST = "app.harness.io"
PROJECT_REF = RegistryRef(account=ACCOUNT, org="payments", project="checkout", registry="docker-prod")
ORG_REF = RegistryRef(account=ACCOUNT, org="payments", registry="docker-prod")
ACCOUNT_REF = RegistryRef(account=ACCOUNT, registry="docker-prod")
CTX = ScopeContext(account_id=ACCOUNT, default_org="payments", default_project="checkout")

# The only Slack markup the bot writes on purpose: dates, user mentions and links into Harness.
OUR_MARKUP = re.compile(
    r"<!date\^\d+\^(?:\{date_short_pretty\}(?: at \{time\})?|\{ago\})\|[^<>|]+>"
    r"|<@[UW][A-Z0-9]+>"
    r"|<https://app\.harness\.io/ng/[^<>|\s]+\|[^<>]+>"
)


# ---------------------------------------------------------------------------------------------------------
# Helpers: load real-shaped bodies, render, and always check what was rendered.


def load(name: str) -> Registry:
    """The `data` of a fixture body, parsed exactly as the client parses a 200."""
    body = RegistryResponse.model_validate_json((FIXTURES / f"{name}.json").read_bytes())
    assert body.status == "SUCCESS"
    assert body.data is not None
    return body.data


def variant(name: str, **changes: Any) -> Registry:
    """A fixture with some top-level fields of `data` replaced (API names), parsed the same way."""
    body = json.loads((FIXTURES / f"{name}.json").read_text())
    body["data"].update(changes)
    data = RegistryResponse.model_validate_json(json.dumps(body)).data
    assert data is not None
    return data


def upstream_with(**config: Any) -> Registry:
    """The upstream fixture with some `config` fields replaced."""
    body = json.loads((FIXTURES / "upstream.json").read_text())
    return variant("upstream", config={**body["data"]["config"], **config})


def as_json(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` after `json.dumps` as it is and back: it must come back equal, plain data all the way."""
    again: dict[str, Any] = json.loads(json.dumps(payload))
    assert again == payload
    return payload


def checked(reply: Reply) -> dict[str, Any]:
    """The reply as sent to Slack, after checking it with the SDK."""
    assert reply.text.strip()
    payload = as_json(reply.as_kwargs())
    assert set(payload) == {"text", "blocks"}
    assert payload["text"] == reply.text
    assert_valid_blocks(payload["blocks"])
    return payload


def render(registry: Registry | str, ref: RegistryRef = PROJECT_REF, **options: Any) -> dict[str, Any]:
    """The full card for a registry (or a fixture name), checked."""
    if isinstance(registry, str):
        registry = load(registry)
    return checked(registry_card(registry, ref, ui_base=UI, options=CardOptions(**options)))


def compact(registry: Registry | str, ref: RegistryRef = PROJECT_REF) -> dict[str, Any]:
    if isinstance(registry, str):
        registry = load(registry)
    payload = as_json(compact_card(registry, ref, ui_base=UI))
    assert set(payload) == {"blocks"}
    assert_valid_blocks(payload["blocks"])
    return payload


def message(reply: Reply) -> dict[str, Any]:
    return checked(reply)


def strings(node: Any) -> Iterator[str]:
    """Every `text` string in a payload, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def mrkdwn_objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            yield node
        for value in node.values():
            yield from mrkdwn_objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from mrkdwn_objects(item)


def everything(payload: dict[str, Any]) -> str:
    """All the text a reader could see, the fallback included, as one string."""
    return "\n".join(strings(payload))


def fields(payload: dict[str, Any]) -> dict[str, str]:
    """Section fields by title: {"URL": "`https://...`", ...}."""
    found: dict[str, str] = {}
    for block in payload["blocks"]:
        for field in block.get("fields", []):
            title, _, body = field["text"].partition("\n")
            found[title.strip("*")] = body
    return found


def blocks_of(payload: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [block for block in payload["blocks"] if block["type"] == kind]


def buttons(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (actions,) = blocks_of(payload, "actions")
    return {element["action_id"]: element for element in actions["elements"]}


def assert_no_foreign_markup(payload: dict[str, Any]) -> None:
    """No mention, link or command can come from Harness or user text: only the markup we write."""
    texts = [payload.get("text", ""), *(obj["text"] for obj in mrkdwn_objects(payload))]
    for text in texts:
        stray = OUR_MARKUP.sub("", text)
        assert "<" not in stray, text
        assert ">" not in stray, text
        assert not re.search(r"&(?!amp;|lt;|gt;)", stray), text


def assert_code_spans_closed(text: str) -> None:
    assert text.count("`") % 2 == 0, text
