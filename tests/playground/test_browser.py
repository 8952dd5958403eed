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


HOME = "document.querySelector('#pane-home .home-view')"
MODAL = "document.querySelector('#modal:not([hidden]) .modal')"


def option(root: str, label: str) -> str:
    """JS: the option labelled `label` in the open search list under `root`."""
    return (
        f"[...{root}.querySelectorAll('.bk-select-option')].find(o => o.textContent === {json.dumps(label)})"
    )


async def pick(page: Page, root: str, typed: str, label: str) -> None:
    """Type into the search box under `root`, wait for the option `label`, and click it."""
    await page.click(f"{root}.querySelector('.bk-select-search')")
    await page.send("Input.insertText", text=typed)
    await page.wait_for(f"!!{option(root, label)}", what=f"the option {label}")
    await page.click(option(root, label))


async def choose_channel(page: Page) -> None:
    """Pick #incident-42 in the open modal's channel menu: a real <select>, so choosing is setting its
    value and the change event, as the browser's own menu does."""
    await page.evaluate(
        f"(() => {{ const s = {MODAL}.querySelector('select.bk-conversations-select');"
        " s.value = 'C07INCIDNT'; s.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )


async def test_the_home_tab_finds_a_registry_as_you_type_and_opens_its_card_in_the_dm(page: Page) -> None:
    await page.click("document.querySelector('.nav-item[data-channel=\"home\"]')")
    await page.wait_for(f"!!{HOME}", what="the Home tab, published by the app")
    assert await page.evaluate("document.getElementById('composer').hidden") is True
    await pick(page, HOME, "docker-prod", "payments/checkout/docker-prod")
    await page.wait_for(
        f"{HOME}.innerText.includes('You looked up recently')", what="the Home tab redrawn with the lookup"
    )
    await page.screenshot(ARTIFACTS / "playground-home.png")
    await page.click("document.querySelector('.nav-item[data-channel=\"D07HARBOT1\"]')")
    await page.wait_for(f"!!{card('docker-prod')}", what="the card in the DM")


async def test_find_a_registry_shares_its_card_and_subscribes_the_channel_all_by_clicking(page: Page) -> None:
    await page.click("document.querySelector('#shortcuts summary')")
    await page.click("document.querySelector('.shortcut[data-callback-id=\"find_registry\"]')")
    await page.wait_for(f"!!{MODAL}", what="the Find a registry modal")
    await pick(page, MODAL, "docker-prod", "payments/checkout/docker-prod")
    await page.click(f"{MODAL}.querySelector('.modal-submit')")
    await page.wait_for(
        f"{MODAL}?.querySelector('.bk-header-text')?.textContent.includes('docker-prod')",
        what="the card in the modal",
    )
    await choose_channel(page)
    await page.click(f"{MODAL}.querySelector('[data-action-id=\"modal_share\"]')")
    await page.wait_for(f"{MODAL}.innerText.includes('Shared to')", what="the note in the modal")
    await page.screenshot(ARTIFACTS / "playground-modal.png")
    await page.click(f"{MODAL}.querySelector('[data-action-id=\"modal_subscribe\"]')")
    await page.wait_for(
        f"{MODAL}?.querySelector('.modal-title')?.textContent === 'Subscribe a channel'",
        what="the Subscribe modal on top",
    )
    await page.click(f"{MODAL}.querySelector('.modal-submit')")
    await page.wait_for(f"{MODAL}.querySelector('.bk-error')?.textContent", what="no channel: the error")
    await choose_channel(page)
    await page.click(f"{MODAL}.querySelector('.modal-submit')")
    await page.wait_for("document.getElementById('modal').hidden", what="the modals closed")
    await page.click("document.querySelector('.nav-item[data-channel=\"D07HARBOT1\"]')")
    await page.wait_for(
        f"{CARDS}.some(m => m.innerText.includes('Done') && m.innerText.includes('docker-prod'))",
        what="the outcome in the DM",
    )
    await page.click("document.querySelector('.nav-item[data-channel=\"C07INCIDNT\"]')")
    await page.wait_for(f"!!{card('docker-prod')}", what="the shared card in the channel")


async def test_the_message_shortcut_answers_privately_with_both_linked_cards(page: Page) -> None:
    helm = f"https://app.harness.io/ng/account/{ACCOUNT}/all/orgs/payments/registries/helm-charts"
    await say(page, f"Rollback? Compare {LINK} and {helm}")
    typed = "[...document.querySelectorAll('.pane.active .msg')].find(m => m.innerText.includes('Rollback'))"
    await page.wait_for(f"!!{typed}", what="the message")
    await page.click(f"{typed}.querySelector('.msg-more summary')")
    await page.click(f"{typed}.querySelector('.shortcut[data-callback-id=\"look_up_in_harness\"]')")
    await page.wait_for(f"!!{card('helm-charts')} && !!{card('docker-prod')}", what="both cards")
    assert await page.evaluate(f"{card('helm-charts')}.classList.contains('msg-ephemeral')") is True
