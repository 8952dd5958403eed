"""Every view (the Home tab, each modal) and the cards it shows type-check against Slack's own types:
`@slack/types` `View` (blocks as `KnownBlock[]`) under `tsc --strict` (tests/tsc.py).

The views are found, not listed (tests/viewsamples.py): a new modal in bot/cards/ is checked here
without editing this file. Skipped when tsc is not installed, unless HARBOT_REQUIRE_TSC is set (.ci/run
sets it after `npm ci --prefix .ci`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.cards import CardOptions, compact_card, registry_card
from bot.cards.blocks import Block, plain, section
from tests.cardcheck import ALL_FIXTURES, PROJECT_REF, UI, load
from tests.tsc import REQUIRED, tsc_available, type_errors
from tests.viewsamples import every_view, view_builders

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not tsc_available() and not REQUIRED,
        reason="no tsc in .ci/node_modules (npm ci --prefix .ci); set HARBOT_REQUIRE_TSC=1 to fail instead",
    ),
]


@pytest.fixture(autouse=True)
def _tsc_installed() -> None:
    if not tsc_available():
        pytest.fail("HARBOT_REQUIRE_TSC is set, but .ci/node_modules has no tsc or @slack/types")


def messages() -> dict[str, list[Any]]:
    """The registry card and its unfurl for every Harness fixture (ordinary to hostile)."""
    found: dict[str, list[Any]] = {}
    for name in ALL_FIXTURES:
        registry = load(name)
        card = registry_card(registry, PROJECT_REF, ui_base=UI, options=CardOptions(requested_by="U1"))
        found[f"registry card {name}"] = list(card.blocks)
        found[f"unfurl {name}"] = list(compact_card(registry, PROJECT_REF, ui_base=UI)["blocks"])
    return found


def test_the_view_builders_are_found() -> None:
    assert {"home.home_tab", "home.find_modal", "home.card_modal"} <= set(view_builders())


def test_every_view_and_card_types_against_slack_types(tmp_path: Path) -> None:
    views = dict(every_view())
    assert len(views) >= 2 * len(view_builders())
    errors = type_errors(views, messages(), tmp_path)
    assert errors == [], "\n".join(errors)


def _modal(blocks: list[Block], **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": plain("Find a registry"), "blocks": blocks, **extra}


BROKEN: dict[str, dict[str, Any]] = {
    "a block type Slack does not have": _modal([{"type": "sectoin", "text": plain("hi")}]),
    "a section whose text is of no text type": _modal(
        [{"type": "section", "text": {"type": "html", "text": "x"}}]
    ),
    "a section with fields that are not a list": _modal([section("hi") | {"fields": "a, b"}]),
    "a modal without its title": {"type": "modal", "blocks": [section("hi")]},
    "a view type Slack does not have": {"type": "sheet", "blocks": [section("hi")]},
    "a button without its text": _modal(
        [{"type": "actions", "elements": [{"type": "button", "action_id": "a"}]}]
    ),
    "a key no view has": _modal([section("hi")], submit_label="Show"),
}


@pytest.mark.parametrize("broken", BROKEN)
def test_a_broken_view_fails_with_tscs_message(broken: str, tmp_path: Path) -> None:
    errors = type_errors({"good": _modal([section("hi")]), broken: BROKEN[broken]}, {}, tmp_path)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{broken}: ")
    assert "TS2" in errors[0] or "error" in errors[0]


def test_broken_message_blocks_fail_too(tmp_path: Path) -> None:
    errors = type_errors({}, {"card": [section("hi")], "broken": [{"type": "header", "text": 3}]}, tmp_path)
    assert len(errors) == 1
    assert errors[0].startswith("broken: ")
