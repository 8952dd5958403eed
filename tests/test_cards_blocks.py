"""The shared parts of every message: plain-dict Block Kit builders, `Reply`, and the text helpers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.cards.blocks import (
    Reply,
    actions,
    button,
    context,
    field,
    fields,
    header,
    message,
    section,
)
from bot.cards.text import code, cut, date, escape, link, listing, mention, units
from tests.blockkit import assert_valid_blocks, utf16_len
from tests.cardcheck import as_json


def valid(*blocks: dict[str, Any]) -> list[dict[str, Any]]:
    """The blocks, checked with the SDK models and through json.dumps."""
    payload = as_json({"blocks": list(blocks)})
    assert_valid_blocks(payload["blocks"])
    return list(blocks)


def test_section_is_verbatim_mrkdwn() -> None:
    (block,) = valid(section("*hi* there"))
    assert block == {"type": "section", "text": {"type": "mrkdwn", "text": "*hi* there", "verbatim": True}}


def test_context_joins_its_parts_with_a_middle_dot() -> None:
    (block,) = valid(context("Docker", "Virtual"))
    assert block["elements"] == [{"type": "mrkdwn", "text": "Docker · Virtual", "verbatim": True}]


def test_header_is_plain_text_with_emoji() -> None:
    (block,) = valid(header("🐳 docker-prod"))
    assert block == {
        "type": "header",
        "text": {"type": "plain_text", "text": "🐳 docker-prod", "emoji": True},
    }


def test_fields_are_a_section_of_titled_mrkdwn() -> None:
    (block,) = valid(fields([field("URL", "`x`"), field("Source", "Docker Hub")]))
    assert [item["text"] for item in block["fields"]] == ["*URL*\n`x`", "*Source*\nDocker Hub"]


def test_buttons_carry_only_what_they_were_given() -> None:
    (block,) = valid(
        actions(
            [
                button("Open", "open", url="https://x.example", style="primary"),
                button("Again", "again", value="v"),
            ]
        )
    )
    assert block["elements"] == [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Open"},
            "action_id": "open",
            "url": "https://x.example",
            "style": "primary",
        },
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Again"},
            "action_id": "again",
            "value": "v",
        },
    ]


@pytest.mark.parametrize(
    ("block", "limit"),
    [
        (section("x " * 4000), 3000),
        (context("🚀" * 4000), 3000),
        (header("🚀" * 400), 150),
        (fields([field("Labels", "y" * 5000)]), 2000),
    ],
    ids=["section", "context", "header", "field"],
)
def test_every_builder_keeps_text_inside_slacks_limit(block: dict[str, Any], limit: int) -> None:
    valid(block)
    text = json.dumps(block, ensure_ascii=False)
    assert "…" in text
    texts = [
        obj["text"]
        for obj in [block.get("text"), *block.get("elements", []), *block.get("fields", [])]
        if obj
    ]
    assert all(utf16_len(t) <= limit for t in texts)


def test_message_is_one_section_with_the_same_fallback_on_one_line() -> None:
    reply = message("What happened.", "What to try.")
    assert reply.text == "What happened. What to try."
    assert valid(*reply.blocks) == [section("What happened.\nWhat to try.")]


def test_reply_as_kwargs_is_a_fresh_list_of_the_same_dicts() -> None:
    reply = message("What happened.", "What to try.")
    first, second = reply.as_kwargs(), reply.as_kwargs()
    first["blocks"].append({"type": "divider"})
    assert len(second["blocks"]) == len(reply.blocks) == 1


def test_building_every_message_never_loads_slack_sdk() -> None:
    script = (
        "import sys, pathlib\n"
        "from bot.cards import CardOptions, registry_card, compact_card\n"
        "from bot.cards import error_reply, help_reply, apology_reply\n"
        "from bot.harness.errors import NotFound\n"
        "from bot.harness.models import RegistryResponse\n"
        "from bot.parsing import ScopeContext\n"
        "from bot.refs import RegistryRef\n"
        "body = pathlib.Path('tests/fixtures/harness/upstream.json').read_bytes()\n"
        "registry = RegistryResponse.model_validate_json(body).data\n"
        "ref = RegistryRef(account='acc', org='payments', registry='docker-prod')\n"
        "registry_card(\n"
        "    registry, ref, ui_base='https://app.harness.io', options=CardOptions(requested_by='U123ABC')\n"
        ").as_kwargs()\n"
        "compact_card(registry, ref, ui_base='https://app.harness.io')\n"
        "error_reply(NotFound('x', ref=ref, host='h', status=404)).as_kwargs()\n"
        "help_reply(ScopeContext(account_id='acc')).as_kwargs()\n"
        "apology_reply().as_kwargs()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'slack_sdk'))\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter, our own fixed script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={},
        cwd=Path(__file__).parent.parent,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------------------
# Text helpers


def test_units_count_as_slack_does_in_utf16() -> None:
    assert units("abc") == 3
    assert units("🚀") == 2
    assert units("é") == 1


def test_cut_ends_at_a_word_with_an_ellipsis() -> None:
    assert cut("deploys are frozen until further notice", 20) == "deploys are frozen…"


def test_cut_ends_mid_word_when_there_is_no_word_to_end_at() -> None:
    assert cut("x" * 50, 10) == "x" * 9 + "…"


def test_cut_counts_the_text_as_escaped() -> None:
    shown = cut("&" * 50, 20)
    assert utf16_len(escape(shown)) <= 20


def test_cut_leaves_short_text_alone() -> None:
    assert cut("docker-prod", 11) == "docker-prod"


def test_listing_shows_what_fits_then_how_many_more() -> None:
    assert listing(["a", "b", "c", "d"], sep=" ", max_items=2, budget=100) == "a b +2 more"
    assert listing(["aaaa", "bbbb", "cccc"], sep=" ", max_items=9, budget=12) == "aaaa +2 more"


def test_code_spans_cannot_be_broken_by_a_backtick() -> None:
    assert code("a`b <c>") == "`aˋb &lt;c&gt;`"


def test_a_pipe_in_a_link_cannot_end_it_early() -> None:
    assert link("https://x.example/a|b", "label") == "<https://x.example/a%7Cb|label>"


@pytest.mark.parametrize("seconds", [None, 0, -5, 10**20])
def test_an_unusable_time_gives_no_date(seconds: int | None) -> None:
    assert date(seconds) is None


@pytest.mark.parametrize("text", ["<!channel>", "U1", "u123abc", "U123ABC>", ""])
def test_mention_only_for_a_user_id(text: str) -> None:
    assert mention(text) is None


def test_reply_needs_fallback_text() -> None:
    with pytest.raises(ValueError, match="fallback text"):
        Reply(text="", blocks=[section("x")])
