"""Harness registry webhooks: the bodies of `…/registry/{registry_ref}/+/webhooks…`, and what a delivery is.

From `docs/harness/swagger.yaml` (SaaS) and `api.yaml` (the open-source server), checked against the
server's code (see docs/harness/NOTES.md, "Webhooks"). As everywhere in `bot/harness/`, models tolerate
fields they do not know, enums are plain strings and `null` lists become empty ones.

```
WebhookRequest      what the bot sends to create or update a webhook (identifier, url, triggers, headers)
Webhook             what Harness answers: the same, plus createdAt, latestExecutionResult, version…
WebhookExecution    one delivery Harness made: its request (url, headers, body), response, result
ExecutionPage       a page of executions, newest first
```
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bot.harness.errors import Forbidden, HarnessStatusError, NotFound

ARTIFACT_CREATION: Final = "ARTIFACT_CREATION"
ARTIFACT_DELETION: Final = "ARTIFACT_DELETION"
TRIGGERS: Final = (ARTIFACT_CREATION, ARTIFACT_DELETION)
"""The triggers a registry webhook may name (`Trigger` in both specs)."""

SUCCESS: Final = "SUCCESS"
RETRIABLE_ERROR: Final = "RETRIABLE_ERROR"
FATAL_ERROR: Final = "FATAL_ERROR"
"""`WebhookExecResult`: how a delivery ended, as Harness judged the bot's answer (2xx is SUCCESS; 408,
429 and 5xx but 501 are RETRIABLE_ERROR; anything else, timeouts and refused addresses FATAL_ERROR)."""

IDENTIFIER_PREFIX: Final = "harbot_"
IDENTIFIER_PATTERN: Final = re.compile(r"^[a-zA-Z_][0-9a-zA-Z_]{0,99}$")
"""What the bot's webhook identifiers look like: Harness SaaS identifiers are `^[a-zA-Z_][0-9a-zA-Z_$]*$`
(at most 128); the open-source server only refuses empty and its reserved `harnesstriggerwebhok`."""
TOKEN_HEADER: Final = "X-Harbot-Token"  # noqa: S105 (a header name, not a secret)
"""The extra header that carries a webhook's random token (masked: Harness shows it as `******`)."""


def _none_to_empty(value: Any) -> Any:
    return [] if value is None else value


def _none_to_blank(value: Any) -> Any:
    return "" if value is None else value


_Text = Annotated[str, BeforeValidator(_none_to_blank)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class ExtraHeader(_Model):
    """A header Harness adds to every delivery; `masked` ones show as `******` in its execution history."""

    key: str
    value: _Text = ""
    masked: bool | None = False


class WebhookRequest(_Model):
    """The body of `POST …/webhooks` and `PUT …/webhooks/{identifier}` (`WebhookRequest` in the specs)."""

    identifier: str
    name: str
    url: str
    enabled: bool = True
    insecure: bool = False
    description: str | None = None
    triggers: list[str] = Field(default_factory=lambda: list(TRIGGERS))
    extra_headers: list[ExtraHeader] = Field(default_factory=list, alias="extraHeaders")
    secret_identifier: str | None = Field(default=None, alias="secretIdentifier")
    secret_space_path: str | None = Field(default=None, alias="secretSpacePath")

    def body(self) -> dict[str, Any]:
        """The JSON body, by the spec's names, without the optional fields left unset."""
        return self.model_dump(by_alias=True, exclude_none=True)


class Webhook(_Model):
    """`data` of a webhook answer (`Webhook`); `createdAt`/`modifiedAt` are epoch milliseconds as text."""

    identifier: str
    name: _Text = ""
    url: _Text = ""
    enabled: bool | None = None
    insecure: bool | None = None
    internal: bool | None = None
    description: _Text = ""
    triggers: Annotated[list[str], BeforeValidator(_none_to_empty)] = Field(default_factory=list)
    extra_headers: Annotated[list[ExtraHeader], BeforeValidator(_none_to_empty)] = Field(
        default_factory=list, alias="extraHeaders"
    )
    latest_execution_result: _Text = Field(default="", alias="latestExecutionResult")
    secret_identifier: _Text = Field(default="", alias="secretIdentifier")
    secret_space_path: _Text = Field(default="", alias="secretSpacePath")
    created_at: _Text = Field(default="", alias="createdAt")
    modified_at: _Text = Field(default="", alias="modifiedAt")
    version: int | None = None


class ExecRequest(_Model):
    """What Harness sent: `headers` is the HTTP header block as text (masked values as `******`)."""

    url: _Text = ""
    headers: _Text = ""
    body: _Text = ""


class ExecResponse(_Model):
    """What the receiver answered, as Harness kept it (body and headers cut to 1 KB)."""

    status: _Text = ""
    status_code: int | None = Field(default=None, alias="statusCode")
    headers: _Text = ""
    body: _Text = ""


class WebhookExecution(_Model):
    """One delivery (`WebhookExecution`): `created` is epoch milliseconds; a retrigger names its original
    in `retriggerOf` and carries the same body."""

    id: int
    webhook_id: int | None = Field(default=None, alias="webhookId")
    created: int | None = None
    duration: int | None = None
    result: _Text = ""
    error: _Text = ""
    trigger_type: _Text = Field(default="", alias="triggerType")
    retrigger_of: int | None = Field(default=None, alias="retriggerOf")
    retriggerable: bool | None = None
    request: ExecRequest = Field(default_factory=ExecRequest)
    response: ExecResponse = Field(default_factory=ExecResponse)

    @property
    def original(self) -> int:
        """The execution this one repeats (itself when it is not a retrigger): one event, one id."""
        return self.retrigger_of or self.id

    @property
    def delivered(self) -> bool:
        """Whether the receiver answered 2xx: the bot then has it (it acknowledges only what it stored)."""
        return self.result == SUCCESS


class ExecutionPage(_Model):
    """`data` of `GET …/executions` (`ListWebhooksExecutions`): newest first (by id)."""

    executions: Annotated[list[WebhookExecution], BeforeValidator(_none_to_empty)] = Field(
        default_factory=list
    )
    item_count: int | None = Field(default=None, alias="itemCount")
    page_count: int | None = Field(default=None, alias="pageCount")
    page_index: int | None = Field(default=None, alias="pageIndex")
    page_size: int | None = Field(default=None, alias="pageSize")


class CannotManageWebhooks(Forbidden):
    """403 on a webhook call: the bot's key lacks edit permission on the registry."""

    @property
    def sentence(self) -> str:
        """One sentence for the user and the operator, naming what is missing."""
        return (
            f"my Harness key can't manage webhooks in {self.ref.short}: "
            "it needs edit permission on the registry"
        )


class WebhookMissing(NotFound):
    """404 on a webhook call: the webhook (or its execution) is gone from Harness."""


def webhook_error(exc: HarnessStatusError) -> HarnessStatusError:
    """The webhook flavour of a status error: 403 and 404 name what they mean for a webhook."""
    if isinstance(exc, Forbidden) and not isinstance(exc, CannotManageWebhooks):
        kind: type[HarnessStatusError] = CannotManageWebhooks
    elif isinstance(exc, NotFound) and not isinstance(exc, WebhookMissing):
        kind = WebhookMissing
    else:
        return exc
    return kind(str(exc), ref=exc.ref, host=exc.host, status=exc.status, detail=exc.detail)


def new_identifier() -> str:
    """A fresh webhook identifier for a registry: `harbot_` and 16 random hex digits."""
    return IDENTIFIER_PREFIX + secrets.token_hex(8)


def webhook_request(
    *,
    identifier: str,
    registry: str,
    url: str,
    token: str,
    triggers: Sequence[str] = TRIGGERS,
    secret_identifier: str | None = None,
    secret_space_path: str | None = None,
) -> WebhookRequest:
    """What the bot asks Harness for: one enabled, verified-TLS webhook per registry, named for harbot."""
    if not IDENTIFIER_PATTERN.match(identifier):
        raise ValueError(f"not a webhook identifier: {identifier!r}")
    return WebhookRequest(
        identifier=identifier,
        name=f"harbot: {registry}"[:100],
        description="Slack notifications by harbot (managed by the bot: /har unsubscribe removes it)",
        url=url,
        triggers=list(triggers),
        extra_headers=[ExtraHeader(key=TOKEN_HEADER, value=token, masked=True)],
        secret_identifier=secret_identifier or None,
        secret_space_path=secret_space_path or None,
    )
