"""The playground in a real headless Chromium: typing, reading the card, buttons, unfurls, errors.

Skipped only when Chromium is not installed and HARBOT_REQUIRE_BROWSER is not set; CI sets it after
installing Chromium, so there a missing browser fails instead. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from devtools.playground import Playground
from devtools.playground.render import BLOCK_KIT_BUILDER
from devtools.registries import ACCOUNT
from tests.playground.cdp import Page, chromium, find_chromium

CHROMIUM = find_chromium()
REQUIRED = bool(os.environ.get("HARBOT_REQUIRE_BROWSER"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LINK = (
    f"https://app.harness.io/ng/account/{ACCOUNT}/all/orgs/payments/projects/checkout/registries/docker-prod"
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None and not REQUIRED,
        reason="no Chromium on PATH (apt-get install chromium); set HARBOT_REQUIRE_BROWSER=1 to fail instead",
    ),
]

CARDS = "[...document.querySelectorAll('.pane.active .msg-bot')]"


def card(name: str) -> str:
    """JS: the newest message from the app in the open conversation whose header names `name`."""
    return (
        f"{CARDS}.filter(m => [...m.querySelectorAll('.bk-header-text')]"
        f".some(h => h.textContent.includes({json.dumps(name)}))).pop()"
    )


@pytest.fixture
async def page(tmp_path: Path, playground: Playground) -> AsyncIterator[Page]:
    """A fresh Chromium with the playground open; fails the test if the page's JavaScript threw."""
    if CHROMIUM is None:
        pytest.fail("HARBOT_REQUIRE_BROWSER is set, but there is no Chromium on PATH")
    async with chromium(CHROMIUM, tmp_path) as opened:
        await opened.goto(playground.url)
        await opened.wait_for("document.querySelector('#message') !== null", what="the message box")
        yield opened
        assert opened.errors == [], opened.errors


async def say(page: Page, text: str) -> None:
    """Type into the message box and press Enter."""
    await page.type("#message", text)
    await page.press_enter()


async def test_slash_command_draws_the_card_with_its_fields(page: Page) -> None:
    await say(page, "/har payments/checkout/docker-prod")
    await page.wait_for(f"!!{card('docker-prod')}", what="the docker-prod card")
    header = await page.evaluate(f"{card('docker-prod')}.querySelector('.bk-header-text').textContent")
    fields = await page.evaluate(
        f"[...{card('docker-prod')}.querySelectorAll('.bk-field')].map(f => f.innerText)"
    )
    note = await page.evaluate(f"{card('docker-prod')}.querySelector('.ephemeral-note').textContent")
    assert header == "🐳 docker-prod"
    assert "Upstreams (in order)\n1. dockerhub-proxy\n2. ecr-mirror" in fields
    assert any(f.startswith("Created\n") and "UTC" not in f for f in fields)
    assert "Only visible to you" in note
    await page.screenshot(ARTIFACTS / "playground.png")
    await page.screenshot(ARTIFACTS / "playground-card.png", element_js=card("docker-prod"))


async def test_card_buttons_link_to_harness_and_the_json_opens_in_block_kit_builder(page: Page) -> None:
    await say(page, "/har payments/checkout/docker-prod")
    await page.wait_for(f"!!{card('docker-prod')}", what="the docker-prod card")
    buttons = await page.evaluate(
        f"[...{card('docker-prod')}.querySelectorAll('.bk-button')]"
        ".map(b => [b.textContent, b.getAttribute('href')])"
    )
    assert buttons == [
        ["Open in Harness", LINK],
        ["Refresh", None],
        ["Share in channel", None],
        ["How to pull", None],
        ["Artifacts", None],
    ]
    await page.click(f"{card('docker-prod')}.querySelector('details.json summary')")
    shown = await page.wait_for(f"{card('docker-prod')}.querySelector('details.json[open] pre')?.textContent")
    assert '"type": "header"' in shown
    builder = await page.evaluate(f"{card('docker-prod')}.querySelector('.builder-link').href")
    assert builder.startswith(BLOCK_KIT_BUILDER)
    blocks = json.loads(urllib.parse.unquote(builder.removeprefix(BLOCK_KIT_BUILDER)))["blocks"]
    assert blocks[0]["type"] == "header"


async def test_refresh_redraws_the_card_in_place(page: Page) -> None:
    await say(page, "/har payments/checkout/docker-prod")
    await page.wait_for(f"!!{card('docker-prod')}", what="the docker-prod card")
    await page.click(f"{card('docker-prod')}.querySelector('[data-action-id=\"refresh\"]')")
    await page.wait_for(
        f"{card('docker-prod')}.querySelector('.msg-via').textContent.includes('replace_original')",
        what="the card replaced through response_url",
    )
    assert await page.evaluate(f"{CARDS}.length") == 1


async def test_pasted_link_is_unfurled_under_the_message(page: Page) -> None:
    await say(page, f"checkout deploys fail to pull from {LINK}/packages")
    # Wait for the whole unfurl, its link included: the page redraws a message as its parts arrive.
    link = await page.wait_for(
        "document.querySelector('.pane.active .unfurl a')?.href", what="the unfurl's link to Harness"
    )
    unfurl = await page.evaluate("document.querySelector('.pane.active .unfurl').innerText")
    assert "docker-prod" in unfurl
    assert "Docker · Virtual · payments › checkout" in unfurl
    assert link == LINK
    await page.screenshot(ARTIFACTS / "playground-unfurl.png", element_js="document.querySelector('.unfurl')")


async def test_mention_is_answered_in_a_thread(page: Page) -> None:
    await say(page, "@harbot payments/helm-charts")
    reply = await page.wait_for(
        "document.querySelector('.pane.active .thread .msg-bot .bk-header-text')?.textContent",
        what="the card in the thread",
    )
    assert "helm-charts" in reply
    assert (
        await page.evaluate("document.querySelector('.pane.active .thread-count').textContent") == "1 reply"
    )


async def test_error_name_shows_the_friendly_message(page: Page) -> None:
    await say(page, "/har payments/forbidden")
    text = await page.wait_for(
        f"{CARDS}.map(m => m.innerText).find(t => t.includes('permission'))", what="the 403 message"
    )
    assert "My Harness key doesn't have permission to read forbidden in org payments." in text
    assert "Only visible to you" in text
