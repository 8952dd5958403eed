"""The subscribe, unsubscribe and subscriptions replies."""

from __future__ import annotations

from bot.cards.subscriptions import (
    ACTION_UNSUBSCRIBE,
    Listed,
    not_subscribed,
    subscribed,
    subscription_list,
    unsubscribed,
)
from bot.refs import RegistryRef
from tests.cardcheck import assert_no_foreign_markup, checked, everything

REF = RegistryRef(account="acc_test", org="payments", project="checkout", registry="docker-prod")
ITEM = Listed(id=7, registry=REF, filter="payments-*:1.*", events="pushes")


def test_subscribed_says_what_the_channel_will_hear() -> None:
    payload = checked(subscribed(ITEM, new=True, warning="PUBLIC_URL is a private address"))
    text = everything(payload)
    assert (
        "This channel will hear about pushes in `payments/checkout/docker-prod` (`payments-*:1.*`)." in text
    )
    assert "private address" in text
    assert_no_foreign_markup(payload)


def test_subscribing_again_says_so() -> None:
    assert "already" in everything(checked(subscribed(ITEM, new=False)))


def test_the_list_has_one_unsubscribe_button_per_subscription_with_distinct_ids() -> None:
    items = [Listed(id=n, registry=REF, filter="", events="pushes and deletes") for n in range(25)]
    payload = checked(subscription_list(items))
    buttons = [b["accessory"] for b in payload["blocks"] if "accessory" in b]
    assert len(buttons) == 20
    assert {b["action_id"] for b in buttons} == {f"{ACTION_UNSUBSCRIBE}_{n}" for n in range(20)}
    assert buttons[3]["value"] == "3"
    assert "+5 more" in everything(payload)


def test_the_empty_list_and_the_other_replies_read_well() -> None:
    assert "isn't subscribed to any registry" in everything(checked(subscription_list([])))
    assert "no longer hears" in everything(checked(unsubscribed(ITEM)))
    assert "isn't subscribed to `payments/checkout/docker-prod`" in everything(checked(not_subscribed(REF)))
