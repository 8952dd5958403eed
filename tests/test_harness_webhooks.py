"""The Harness client's webhook calls against the stand-in (and programmed answers for what it refuses)."""

from __future__ import annotations

import pytest

from bot.harness import errors
from bot.harness.client import HarnessClient
from bot.harness.webhooks import (
    TOKEN_HEADER,
    CannotManageWebhooks,
    WebhookMissing,
    WebhookRequest,
    new_identifier,
    webhook_request,
)
from devtools.harness import Canned, HarnessStandIn, error_body
from devtools.registries import API_KEY
from tests.watching_support import REF

HOOKS = f"registry/{REF.path}/webhooks"


def request_for(identifier: str, token: str = "tok") -> WebhookRequest:  # noqa: S107
    return webhook_request(
        identifier=identifier, registry=REF.short, url="http://127.0.0.1:9/harness/webhooks/x", token=token
    )


async def test_create_sends_the_spec_body_with_a_masked_token_header(
    sandbox_client: HarnessClient, sandbox: HarnessStandIn
) -> None:
    identifier = new_identifier()
    token = "tok-" + new_identifier()
    made = await sandbox_client.create_webhook(REF, request_for(identifier, token))
    assert made.identifier == identifier
    assert made.triggers == ["ARTIFACT_CREATION", "ARTIFACT_DELETION"]
    (call,) = [r for r in sandbox.requests if r.method == "POST"]
    body = call.json()
    assert body["enabled"] is True
    assert body["insecure"] is False
    assert body["extraHeaders"] == [{"key": TOKEN_HEADER, "value": token, "masked": True}]
    assert "secretIdentifier" not in body


async def test_get_update_delete_and_a_second_delete_is_not_an_error(sandbox_client: HarnessClient) -> None:
    identifier = new_identifier()
    await sandbox_client.create_webhook(REF, request_for(identifier))
    assert (await sandbox_client.get_webhook(REF, identifier)).url.endswith("/harness/webhooks/x")
    await sandbox_client.update_webhook(REF, identifier, request_for(identifier))
    assert await sandbox_client.delete_webhook(REF, identifier) is True
    assert await sandbox_client.delete_webhook(REF, identifier) is False
    with pytest.raises(WebhookMissing):
        await sandbox_client.get_webhook(REF, identifier)


async def test_a_key_without_edit_permission_gets_one_sentence_naming_it(
    sandbox_client: HarnessClient, sandbox: HarnessStandIn
) -> None:
    sandbox.webhooks.read_only.add(REF.path)
    with pytest.raises(CannotManageWebhooks) as caught:
        await sandbox_client.create_webhook(REF, request_for(new_identifier()))
    assert caught.value.sentence == (
        f"my Harness key can't manage webhooks in {REF.short}: it needs edit permission on the registry"
    )
    assert isinstance(caught.value, errors.Forbidden)
    assert API_KEY not in str(caught.value)


async def test_executions_are_read_from_page_zero_newest_first(
    sandbox_client: HarnessClient, sandbox: HarnessStandIn
) -> None:
    identifier = new_identifier()
    await sandbox_client.create_webhook(REF, request_for(identifier))
    for version in ("1", "2", "3"):
        await sandbox.webhooks.push(REF.path, "app", version)  # undeliverable: port 9 refuses
    page = await sandbox_client.list_executions(REF, identifier, size=2)
    assert [e.id for e in page.executions] == [3, 2]
    assert page.item_count == 3
    assert not page.executions[0].delivered
    (call,) = [r for r in sandbox.requests if r.route.endswith("/executions")]
    assert call.query == {"page": ["0"], "size": ["2"]}
    one = await sandbox_client.get_execution(REF, identifier, 1)
    assert '"tag":"1"' in one.request.body
    again = await sandbox_client.retrigger_execution(REF, identifier, 1)
    assert again.retrigger_of == 1
    assert again.original == 1


async def test_nonsense_from_harness_is_an_invalid_response(
    sandbox_client: HarnessClient, sandbox: HarnessStandIn
) -> None:
    sandbox.program_path(HOOKS, Canned(status=201, body=b'{"status": "SUCCESS", "data": {"nope": 1}}'))
    with pytest.raises(errors.InvalidResponse):
        await sandbox_client.create_webhook(REF, request_for(new_identifier()))
    sandbox.program_path(HOOKS, Canned(status=400, body=error_body(400, "webhook url is required")))
    with pytest.raises(errors.BadReference) as caught:
        await sandbox_client.create_webhook(REF, request_for(new_identifier()))
    assert caught.value.detail == "webhook url is required"


def test_identifiers_are_refused_unless_they_fit_harness_rules() -> None:
    with pytest.raises(ValueError, match="not a webhook identifier"):
        webhook_request(identifier="no spaces", registry="r", url="https://x", token="t")
    assert new_identifier() != new_identifier()
