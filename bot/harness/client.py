"""The Harness endpoints the bot calls, all `GET` under `{base}/har/api/v1/`:

- `registry/{registry_ref}`: one registry (`get_registry`);
- `spaces/{space_ref}/+/registries`: the registries of a space and the scopes below it (`list_registries`);
- `registry/{registry_ref}/+/client-setup-details`: how to set a client up (`client_setup`).

One pooled `httpx.AsyncClient` for the life of the process, bounded retries (429 and 5xx, timeouts and
connection failures) with jittered exponential backoff that honours `Retry-After`, and a total deadline so
a user always hears back within about 15 seconds whatever Harness does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Final, TypeVar, overload

import httpx
from pydantic import BaseModel, ValidationError

from bot.harness.artifacts import (
    ArtifactList,
    ArtifactSummary,
    DockerDetail,
    Enveloped,
    FileList,
    Manifests,
    VersionDetail,
    VersionList,
)
from bot.harness.errors import (
    HarnessConnectionError,
    HarnessError,
    HarnessStatusError,
    HarnessTimeout,
    InvalidResponse,
    Subject,
    error_for_status,
)
from bot.harness.models import (
    ClientSetupDetails,
    ClientSetupResponse,
    ErrorBody,
    ListRegistry,
    ListRegistryResponse,
    Registry,
    RegistryResponse,
)
from bot.harness.transport import StackTransport
from bot.harness.webhooks import (
    ExecutionPage,
    Webhook,
    WebhookExecution,
    WebhookMissing,
    WebhookRequest,
    webhook_error,
)
from bot.metrics import record_harness_request
from bot.refs import ArtifactRef, RegistryRef, SpaceRef, VersionRef
from bot.retrying import Backoff, retry_after

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 5.0
"""Seconds one attempt may take (connect, and each read)."""
DEFAULT_DEADLINE: Final = 12.0
"""Seconds a whole lookup may take, retries included: Slack users hear back within about 15 s."""
DEFAULT_MAX_RETRIES: Final = 2
"""Retries after the first attempt, for 429, 5xx, timeouts and connection failures."""
DEFAULT_BACKOFF: Final = 0.5
"""The first retry's base delay in seconds; doubles each time, with full jitter."""
MAX_RETRY_AFTER: Final = 5.0  # longer than that and the 12 s deadline could not be kept
"""The longest `Retry-After` honoured; a longer one ends the retries."""
PROXIED_LIMITS: Final = httpx.Limits(max_connections=100, max_keepalive_connections=20)
"""Connection limits when the environment sends Harness calls through a proxy (httpx's own transport)."""
MAX_BODY_BYTES: Final = 2 * 1024 * 1024
"""A registry is a few KB; a body larger than this is treated as broken, not parsed."""
API_PATH: Final = "/har/api/v1/registry/"
SPACES_PATH: Final = "/har/api/v1/spaces/"
LIST_SUFFIX: Final = "/registries"
SETUP_SUFFIX: Final = "/client-setup-details"
USER_AGENT: Final = "harbot/0.1"
MAX_PAGE_SIZE: Final = 100
"""The most registries asked for in one list call."""
ARTIFACTS_SUFFIX: Final = "/artifacts"
SUMMARY_SUFFIX: Final = "/summary"
VERSIONS_SUFFIX: Final = "/versions"
DETAILS_SUFFIX: Final = "/details"
DOCKER_DETAILS_SUFFIX: Final = "/docker/details"
HELM_DETAILS_SUFFIX: Final = "/helm/details"
MANIFESTS_SUFFIX: Final = "/docker/manifests"
FILES_SUFFIX: Final = "/files"
TOKEN_PLACEHOLDER: Final = "<TOKEN>"  # noqa: S105 (a placeholder, not a secret)
"""What stands where the bot's own key would appear in a client set-up body (Harness uses the same)."""

Data = TypeVar("Data")
Model = TypeVar("Model", bound=BaseModel)


class _Retry(Exception):
    """Internal: this attempt failed in a way worth another try."""

    def __init__(self, error: HarnessError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class HarnessClient:
    """Looks up registries in Harness. Keyword-only; pass `http` to share or inject a client."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._host = httpx.URL(self._base).host
        self._api_key = api_key
        self._timeout = timeout
        self._deadline = deadline
        self._backoff = Backoff(retries=max_retries, base=backoff, max_retry_after=MAX_RETRY_AFTER)
        # StackTransport: no connection cap, and a pool that stays cheap with hundreds of lookups in
        # flight (see bot.harness.transport). httpx's own transport when a proxy is configured.
        transport = None if http is not None or uses_proxy(self._base) else StackTransport()
        self._http = http or httpx.AsyncClient(
            transport=transport,
            limits=PROXIED_LIMITS,
            headers={"user-agent": USER_AGENT, "accept": "application/json"},
            follow_redirects=False,
        )
        # Requests go to our own transport directly: the client's layers (merging, cookies, auth and
        # redirect steps) were about a sixth of the bot's CPU per answer, for nothing this client uses.
        self._direct = transport
        self._headers = dict(self._http.headers)

    @property
    def host(self) -> str:
        """The Harness API host, for messages (the key is never part of it)."""
        return self._host

    def url_for(self, ref: RegistryRef) -> str:
        """The request URL for a reference; `ref.path` was validated segment by segment."""
        return f"{self._base}{API_PATH}{ref.path}"

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    async def get_registry(self, ref: RegistryRef) -> Registry:
        """The registry `ref` names, or a HarnessError saying why not. Logs one line per lookup."""
        return await self._get(self.url_for(ref), ref, lambda body: _data(body, RegistryResponse))

    async def list_registries(
        self,
        space: SpaceRef,
        *,
        search_term: str | None = None,
        page: int = 0,
        size: int = 20,
        package_types: Sequence[str] = (),
        registry_type: str | None = None,
    ) -> ListRegistry:
        """One page (0-based) of the registries in `space` and every scope below it.

        Sends `scope=descendants`, and `recursive=true` beside it for servers that predate `scope`; always
        sends `size`, without which Harness ignores `page`. `search_term` is a substring of the name.
        """
        params: list[tuple[str, str]] = [
            ("scope", "descendants"),
            ("recursive", "true"),
            ("page", str(max(page, 0))),
            ("size", str(min(max(size, 1), MAX_PAGE_SIZE))),
        ]
        if search_term:
            params.append(("search_term", search_term))
        params.extend(("package_type", package_type) for package_type in package_types)
        if registry_type:
            params.append(("type", registry_type))
        url = f"{self._base}{SPACES_PATH}{space.path}{LIST_SUFFIX}"
        return await self._get(url, space, lambda body: _data(body, ListRegistryResponse), params)

    async def client_setup(self, ref: RegistryRef) -> ClientSetupDetails:
        """How to set a client up for the registry: Harness's steps for its package type.

        The bot's own key never comes back in them: should the body hold it, it becomes `<TOKEN>`.
        """
        key = self._api_key.encode()

        def parse(body: bytes) -> ClientSetupDetails:
            if key and key in body:
                body = body.replace(key, TOKEN_PLACEHOLDER.encode())
            return _data(body, ClientSetupResponse)

        return await self._get(f"{self.url_for(ref)}{SETUP_SUFFIX}", ref, parse)

    async def _get(
        self,
        url: str,
        subject: Subject,
        parse: Callable[[bytes], Data],
        params: Sequence[tuple[str, str]] = (),
    ) -> Data:
        """GET `url` with retries inside the deadline; `parse` turns the 200 body into the answer or
        raises `_Unreadable` with what was wrong. Logs one line per call (DEBUG unless it failed)."""
        started = time.monotonic()
        attempts = 0
        outcome = "ok"
        try:
            while True:
                attempts += 1
                remaining = self._deadline - (time.monotonic() - started)
                try:
                    body = await self._attempt(url, params, subject, min(self._timeout, max(remaining, 0.1)))
                    return self._parse(body, subject, parse)
                except _Retry as retry:
                    remaining = self._deadline - (time.monotonic() - started)
                    delay = self._backoff.delay(attempts, retry.retry_after, remaining=remaining)
                    if delay is None:
                        raise retry.error from retry.__cause__
                    logger.info(
                        "harness retry ref=%s attempt=%d reason=%r delay=%.2fs",
                        subject.path,
                        attempts,
                        type(retry.error).__name__,
                        delay,
                    )
                    await asyncio.sleep(delay)
        except HarnessError as exc:
            outcome = type(exc).__name__
            if isinstance(exc, HarnessStatusError):
                outcome += f"({exc.status})"
            raise
        finally:
            # answers.fetch logs every lookup at INFO; this line adds the attempts, and is worth an
            # operator's attention only when the call failed.
            logger.log(
                logging.DEBUG if outcome == "ok" else logging.WARNING,
                "harness call ref=%s outcome=%s attempts=%d latency_ms=%d",
                subject.path,
                outcome,
                attempts,
                (time.monotonic() - started) * 1000,
            )

    async def _attempt(
        self, url: str, params: Sequence[tuple[str, str]], subject: Subject, attempt_timeout: float
    ) -> bytes:
        answered = False
        try:
            async with self._send(url, params, attempt_timeout) as response:
                record_harness_request(response.status_code)
                answered = True
                try:
                    body = await self._read_capped(response, subject)
                except httpx.DecodingError as exc:
                    if response.status_code == 200:
                        # It did answer, with a body its own Content-Encoding cannot decode: not a
                        # connection problem, and not one a retry is likely to fix.
                        raise InvalidResponse(
                            f"Harness at {self._host} sent a body for {subject.path} it could not decode",
                            ref=subject,
                            host=self._host,
                        ) from exc
                    body = b""  # an error status says what happened; its body is only detail
        except httpx.TimeoutException as exc:
            if not answered:  # one count per attempt: a body cut short after the status counts as that
                record_harness_request("timeout")
            message = f"Harness at {self._host} did not answer within {attempt_timeout:.1f}s"
            error: HarnessError = HarnessTimeout(message, ref=subject, host=self._host)
            raise _Retry(error) from exc
        except httpx.TransportError as exc:
            if not answered:
                record_harness_request("connection")
            error = HarnessConnectionError(
                f"could not reach Harness at {self._host}: {type(exc).__name__}", ref=subject, host=self._host
            )
            raise _Retry(error) from exc

        if response.status_code != 200:
            status_error = error_for_status(
                response.status_code, ref=subject, host=self._host, detail=_error_detail(body)
            )
            if response.status_code == 429 or response.status_code >= 500:
                raise _Retry(status_error, retry_after(response.headers.get("retry-after")))
            raise status_error
        return body

    @contextlib.asynccontextmanager
    async def _send(
        self, url: str, params: Sequence[tuple[str, str]], attempt_timeout: float
    ) -> AsyncIterator[httpx.Response]:
        """A streamed GET with the client's headers and the key: `AsyncClient.stream`, or the same request
        straight to our transport."""
        if self._direct is None:
            async with self._http.stream(
                "GET",
                url,
                params=list(params) or None,
                headers={"x-api-key": self._api_key},
                timeout=httpx.Timeout(attempt_timeout),
            ) as response:
                yield response
            return
        request = httpx.Request(
            "GET",
            url,
            params=list(params) or None,
            headers={**self._headers, "x-api-key": self._api_key},
            extensions={"timeout": httpx.Timeout(attempt_timeout).as_dict()},
        )
        response = await self._direct.handle_async_request(request)
        response.request = request
        try:
            yield response
        finally:
            await response.aclose()

    async def _read_capped(self, response: httpx.Response, subject: Subject) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise InvalidResponse(
                    f"Harness at {self._host} sent more than {MAX_BODY_BYTES} bytes for {subject.path}",
                    ref=subject,
                    host=self._host,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _parse(self, body: bytes, subject: Subject, parse: Callable[[bytes], Data]) -> Data:
        try:
            return parse(body)
        except _Unreadable as exc:
            raise InvalidResponse(
                f"Harness at {self._host} answered 200 for {subject.path} with {exc}",
                ref=subject,
                host=self._host,
            ) from exc.__cause__

    # Webhooks (`registry/{registry_ref}/+/webhooks…`): the bodies are in bot.harness.webhooks. A 403 becomes
    # CannotManageWebhooks (edit permission on the registry is needed), a 404 WebhookMissing. Reads retry as
    # every GET does; writes are sent once (a create repeated after a lost answer would fail as a duplicate).

    def webhooks_url(self, ref: RegistryRef, *parts: str | int) -> str:
        """`…/registry/{ref}/+/webhooks[/{identifier}[/executions[/{id}…]]]`; parts are percent-encoded."""
        tail = "".join(f"/{urllib.parse.quote(str(part), safe='')}" for part in parts)
        return f"{self.url_for(ref)}/webhooks{tail}"

    async def create_webhook(self, ref: RegistryRef, request: WebhookRequest) -> Webhook:
        """Create a webhook on the registry (Harness needs edit permission on it, and a VIRTUAL registry)."""
        body = await self._webhook_write("POST", self.webhooks_url(ref), ref, request.body())
        return self._parse(body, ref, _parser(Enveloped[Webhook]))

    async def get_webhook(self, ref: RegistryRef, identifier: str) -> Webhook:
        """One webhook of the registry, or WebhookMissing."""
        url = self.webhooks_url(ref, identifier)
        return await self._webhook_get(url, ref, _parser(Enveloped[Webhook]))

    async def update_webhook(self, ref: RegistryRef, identifier: str, request: WebhookRequest) -> Webhook:
        """Replace a webhook's settings (`PUT`: every field, as on create)."""
        body = await self._webhook_write("PUT", self.webhooks_url(ref, identifier), ref, request.body())
        return self._parse(body, ref, _parser(Enveloped[Webhook]))

    async def delete_webhook(self, ref: RegistryRef, identifier: str) -> bool:
        """Delete a webhook; False when it was already gone (a 404), so a repeated delete is not an error."""
        try:
            await self._webhook_write("DELETE", self.webhooks_url(ref, identifier), ref, None)
        except WebhookMissing:
            return False
        return True

    async def list_executions(
        self, ref: RegistryRef, identifier: str, *, size: int = MAX_PAGE_SIZE
    ) -> ExecutionPage:
        """The newest `size` deliveries of a webhook, newest first.

        Always page 0: the open-source server's offset for page n is (n-1)·n·size, so only the first page
        is what it says (page 0 and 1 both are); read more by asking for a larger `size`.
        """
        params = [("page", "0"), ("size", str(max(size, 1)))]
        url = self.webhooks_url(ref, identifier, "executions")
        return await self._webhook_get(url, ref, _parser(Enveloped[ExecutionPage]), params)

    async def get_execution(self, ref: RegistryRef, identifier: str, execution: int) -> WebhookExecution:
        """One delivery of a webhook: its request (body included), response and result."""
        url = self.webhooks_url(ref, identifier, "executions", execution)
        return await self._webhook_get(url, ref, _parser(Enveloped[WebhookExecution]))

    async def retrigger_execution(
        self, ref: RegistryRef, identifier: str, execution: int
    ) -> WebhookExecution:
        """Ask Harness to deliver an execution's body again (a `GET` in both specs and the server); the new
        execution names the old one in `retriggerOf`."""
        url = self.webhooks_url(ref, identifier, "executions", execution, "retrigger")
        return await self._webhook_get(url, ref, _parser(Enveloped[WebhookExecution]))

    async def _webhook_get(
        self,
        url: str,
        ref: RegistryRef,
        parse: Callable[[bytes], Data],
        params: Sequence[tuple[str, str]] = (),
    ) -> Data:
        try:
            return await self._get(url, ref, parse, params)
        except HarnessStatusError as exc:
            raise webhook_error(exc) from exc

    async def _webhook_write(
        self, method: str, url: str, ref: RegistryRef, body: dict[str, Any] | None
    ) -> bytes:
        """One attempt of a write; the 2xx body, or the HarnessError for what happened."""
        started = time.monotonic()
        try:
            async with self._http.stream(
                method,
                url,
                json=body,
                headers={"x-api-key": self._api_key},
                timeout=httpx.Timeout(self._timeout),
            ) as response:
                record_harness_request(response.status_code)
                answer = await self._read_capped(response, ref)
        except httpx.TimeoutException as exc:
            record_harness_request("timeout")
            message = f"Harness at {self._host} did not answer within {self._timeout:.1f}s"
            raise HarnessTimeout(message, ref=ref, host=self._host) from exc
        except httpx.HTTPError as exc:
            record_harness_request("connection")
            raise HarnessConnectionError(
                f"could not reach Harness at {self._host}: {type(exc).__name__}", ref=ref, host=self._host
            ) from exc
        finally:
            logger.debug(
                "harness %s ref=%s latency_ms=%d", method, ref.path, (time.monotonic() - started) * 1000
            )
        if not 200 <= response.status_code < 300:
            error = error_for_status(
                response.status_code, ref=ref, host=self._host, detail=_error_detail(answer)
            )
            logger.warning("harness %s ref=%s outcome=%s", method, ref.path, type(error).__name__)
            raise webhook_error(error)
        return answer

    # Artifacts, versions, tags and digests (issue 16). Every path below is built from validated refs
    # whose names, versions and digests are percent-encoded into single segments (bot.refs), so no text
    # can leave the registry's and the artifact's paths of the account.

    async def list_artifacts(
        self, ref: RegistryRef, *, search_term: str | None = None, page: int = 0, size: int = 20
    ) -> ArtifactList:
        """One page (0-based) of the registry's artifacts, by name; `search_term` is a substring of it."""
        params = [*_paging(page, size), ("sort_field", "name"), ("sort_order", "ASC")]
        if search_term:
            params.append(("search_term", search_term))
        url = f"{self.url_for(ref)}{ARTIFACTS_SUFFIX}"
        return await self._get(url, ref, lambda body: _enveloped(body, Enveloped[ArtifactList]), params)

    async def artifact_summary(self, artifact: ArtifactRef) -> ArtifactSummary:
        """What the artifact is: package type, labels, downloads, when created and modified."""
        url = f"{self._base}{API_PATH}{artifact.path}{SUMMARY_SUFFIX}"
        return await self._get(url, artifact.registry, _parser(Enveloped[ArtifactSummary]))

    async def list_versions(
        self, artifact: ArtifactRef, *, search_term: str | None = None, page: int = 0, size: int = 20
    ) -> VersionList:
        """One page (0-based) of the artifact's versions, newest first.

        Always sorted by `lastModified`: with any other sort, servers with untagged images on ignore
        `page` and `size` and send every version (NOTES.md).
        """
        params = [*_paging(page, size), ("sort_field", "lastModified"), ("sort_order", "DESC")]
        if search_term:
            params.append(("search_term", search_term))
        url = f"{self._base}{API_PATH}{artifact.path}{VERSIONS_SUFFIX}"
        return await self._get(url, artifact.registry, _parser(Enveloped[VersionList]), params)

    async def version_detail(self, version: VersionRef) -> VersionDetail:
        """The version's details, the one body that says who pushed it (`createdBy`)."""
        params = [("childVersion", version.digest)] if version.digest and version.version else []
        url = f"{self._base}{API_PATH}{version.path}{DETAILS_SUFFIX}"
        return await self._get(url, version.registry, _parser(Enveloped[VersionDetail]), params)

    async def docker_detail(self, version: VersionRef) -> DockerDetail:
        """One Docker image of the version: `version.digest` (required) picks the manifest."""
        if version.digest is None:
            raise ValueError("docker_detail needs a VersionRef with a digest")
        url = f"{self._base}{API_PATH}{version.path}{DOCKER_DETAILS_SUFFIX}"
        return await self._get(
            url, version.registry, _parser(Enveloped[DockerDetail]), [("digest", version.digest)]
        )

    async def helm_detail(self, version: VersionRef) -> DockerDetail:
        """A Helm chart version: size, dates, downloads, the pull command."""
        url = f"{self._base}{API_PATH}{version.path}{HELM_DETAILS_SUFFIX}"
        return await self._get(url, version.registry, _parser(Enveloped[DockerDetail]))

    async def docker_manifests(self, version: VersionRef) -> Manifests:
        """The version's images: one per platform for a multi-arch tag, one for a plain image."""
        url = f"{self._base}{API_PATH}{version.path}{MANIFESTS_SUFFIX}"
        return await self._get(url, version.registry, _parser(Enveloped[Manifests]))

    async def version_files(self, version: VersionRef, *, page: int = 0, size: int = 20) -> FileList:
        """One page (0-based) of a non-Docker version's files, by name."""
        params = [*_paging(page, size), ("sort_field", "name"), ("sort_order", "ASC")]
        url = f"{self._base}{API_PATH}{version.path}{FILES_SUFFIX}"
        return await self._get(url, version.registry, lambda body: _parsed(body, FileList), params)


class _Unreadable(Exception):
    """Internal: a 200 body that is not the answer; the message says how, for the log."""


@overload
def _data(body: bytes, model: type[RegistryResponse]) -> Registry: ...
@overload
def _data(body: bytes, model: type[ListRegistryResponse]) -> ListRegistry: ...
@overload
def _data(body: bytes, model: type[ClientSetupResponse]) -> ClientSetupDetails: ...
def _data(
    body: bytes, model: type[RegistryResponse | ListRegistryResponse | ClientSetupResponse]
) -> Registry | ListRegistry | ClientSetupDetails:
    """`data` of a `{status, data}` body, or _Unreadable when the body is not JSON, does not fit the
    model, or is not SUCCESS."""
    parsed = _parsed(body, model)
    if parsed.data is None:
        raise _Unreadable(f"status {parsed.status!r}")
    return parsed.data


def uses_proxy(base_url: str) -> bool:
    """Whether the environment (HTTPS_PROXY, ALL_PROXY, NO_PROXY…) sends requests to `base_url` through a
    proxy, which httpx's own transport knows how to use."""
    url = httpx.URL(base_url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(url.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(url.host)


def _is_json_error(exc: ValidationError) -> bool:
    return any(error["type"] == "json_invalid" for error in exc.errors())


def _error_detail(body: bytes) -> str | None:
    """The `message` of an error body, cut short; None for bodies that are not the documented JSON."""
    try:
        parsed = ErrorBody.model_validate_json(body)
    except (ValidationError, json.JSONDecodeError):
        return None
    if not parsed.message:
        return None
    return parsed.message[:200]


def _parsed(body: bytes, model: type[Model]) -> Model:
    """The body as `model` (whose `status` must be SUCCESS), or _Unreadable saying why not."""
    try:
        parsed = model.model_validate_json(body)
    except ValidationError as exc:
        kind = "not JSON" if _is_json_error(exc) else "not the expected shape"
        raise _Unreadable(f"a body that is {kind}") from exc
    except RecursionError as exc:
        raise _Unreadable("a body nested too deeply") from exc
    status = getattr(parsed, "status", None)
    if status != "SUCCESS":
        raise _Unreadable(f"status {status!r}")
    return parsed


def _enveloped(body: bytes, model: type[Enveloped[Data]]) -> Data:
    """`data` of a `{status, data}` artifact body."""
    parsed = _parsed(body, model)
    if parsed.data is None:
        raise _Unreadable("no data")
    return parsed.data


def _parser(model: type[Enveloped[Data]]) -> Callable[[bytes], Data]:
    return lambda body: _enveloped(body, model)


def _paging(page: int, size: int) -> list[tuple[str, str]]:
    """`page` (0-based) and always `size`, without which Harness ignores `page`."""
    return [("page", str(max(page, 0))), ("size", str(min(max(size, 1), MAX_PAGE_SIZE)))]
