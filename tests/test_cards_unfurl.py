"""The compact card for link unfurls."""

from __future__ import annotations

import pytest

from tests.blockkit import utf16_len
from tests.cardcheck import (
    ACCOUNT,
    ALL_FIXTURES,
    PROJECT_REF,
    UI,
    blocks_of,
    compact,
    everything,
)

# ---------------------------------------------------------------------------------------------------------
# Compact card (unfurls)


def test_compact_card_is_one_section_and_one_context() -> None:
    assert [block["type"] for block in compact("virtual")["blocks"]] == ["section", "context"]


def test_compact_card_links_the_name_to_harness() -> None:
    title = compact("virtual")["blocks"][0]["text"]["text"]
    assert title == f"🐳 <{PROJECT_REF.ui_url(UI)}|docker-prod> — Production images for the checkout service"


def test_compact_card_context_names_type_scope_and_url() -> None:
    line = compact("virtual")["blocks"][1]["elements"][0]["text"]
    assert (
        line
        == f"Docker · Virtual · payments › checkout · private · `https://pkg.harness.io/pkg/{ACCOUNT}/docker-prod`"
    )


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_compact_card_never_shouts(name: str) -> None:
    payload = compact(name)
    assert len(payload["blocks"]) <= 2
    assert not blocks_of(payload, "header")
    assert not blocks_of(payload, "actions")
    assert utf16_len(everything(payload)) < 700


def test_compact_card_marks_a_deleted_registry() -> None:
    assert compact("soft_deleted")["blocks"][1]["elements"][0]["text"].startswith("⚠️ deleted · ")
