"""`python -m bot doctor [registry]`: is the set-up right? One line per check, ✓ or ✗, and for each ✗
the fix. Exit code 0 only when every check passes. No line ever holds a secret: each is built from
what the checks learn (names, hosts, status codes), never from a credential or an exception's text.

The checks: the settings (all of them, as start-up reads them); the Slack tokens' shapes; `auth.test`
(the bot's name and workspace, and the scopes granted against REQUIRED_SCOPES); in Socket Mode the app
token through `apps.connections.open` (the socket is not opened); the Harness key, by looking up the
registry given, or else by listing one registry of the account; and that the Harness UI host answers.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from typing import Final, TextIO

import httpx

from bot import startup
from bot.harness.client import USER_AGENT, HarnessClient
from bot.harness.errors import Forbidden, HarnessError, HarnessUnavailable, NotFound, Unauthorized
from bot.parsing import InvalidScope, ScopeContext, parse_scope
from bot.posting.health import reach_public_url, webhook_findings
from bot.settings import Mode, Settings, SettingsError, load_settings, mask_url
from bot.store import Store

REQUIRED_SCOPES: Final = frozenset(
    {
        "commands",
        "chat:write",
        "app_mentions:read",
        "im:history",
        "links:read",
        "links:write",
        "channels:read",
        "groups:read",
    }
)
"""The bot scopes manifest.yml asks for (tests/test_doctor.py keeps the two in step)."""
KEY_FIX: Final = (
    "create a new Harness API key (a service account token with Artifact Registry view permission) "
    "and put it in HARNESS_API_KEY"
)
SCOPE_FIX: Final = (
    "add them under OAuth & Permissions → Scopes (or create the app again from manifest.yml), "
    "then reinstall the app and copy the new SLACK_BOT_TOKEN"
)


@dataclass(frozen=True)
class Check:
    """One line of the checklist."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        """`✓ name: detail`, or `✗ name: detail` with the fix on the next line."""
        if self.ok:
            return f"✓ {self.name}: {self.detail}"
        return f"✗ {self.name}: {self.detail}\n    fix: {self.fix}"


async def run_checks(settings: Settings, registry: str | None = None) -> list[Check]:
    """Every check after the settings have been read, in order."""
    checks = [_settings_check(settings)]
    try:
        startup.check_token_shapes(settings)
    except SettingsError as exc:
        checks.append(Check("Slack tokens", False, "a token is of the wrong kind", _plain(exc)))
        return checks
    checks.append(Check("Slack tokens", True, "SLACK_BOT_TOKEN is xoxb-…" + _app_shape(settings)))
    checks.extend(await _slack_checks(settings))
    checks.append(await _harness_check(settings, registry))
    checks.append(await _ui_check(settings))
    checks.extend(await _subscription_checks(settings))
    return checks


async def _subscription_checks(settings: Settings) -> list[Check]:
    """The database (reached, schema current), PUBLIC_URL reached from here, and each stored webhook as
    Harness has it (exists, enabled, its last delivery)."""
    where = mask_url(settings.database_url.get_secret_value())
    store = Store.from_url(settings.database_url.get_secret_value())
    try:
        try:
            problem = await store.ping()
        except Exception as exc:  # the driver's own error: its text may hold the URL, so only its type
            fix = "check DATABASE_URL and that the database server is up"
            return [Check("database", False, f"{where} unreachable ({type(exc).__name__})", fix)]
        # The bot migrates at start, so a schema behind ours is news, not a failure.
        state = f"{problem} (or start the bot: it migrates first)" if problem else "schema current"
        checks = [Check("database", True, f"{store.backend} at {where}, {state}")]
        if not settings.public_url:
            checks.append(Check("PUBLIC_URL", True, "not set: /har subscribe says so (no subscriptions)"))
            return checks
        reach = await reach_public_url(settings.public_url)
        checks.append(Check(reach.name, reach.ok, reach.detail, reach.fix))
        if problem:
            return checks  # no webhooks to read before the schema is there
        key = settings.harness_api_key.get_secret_value() if settings.harness_api_key else ""
        harness = HarnessClient(
            base_url=settings.harness_base_url, api_key=key, timeout=settings.harness_timeout
        )
        try:
            findings = await webhook_findings(store, harness)
        finally:
            await harness.aclose()
        checks.extend(Check(f.name, f.ok, f.detail, f.fix) for f in findings)
        return checks
    finally:
        await store.aclose()


def _settings_check(settings: Settings) -> Check:
    mode = "Socket Mode (SLACK_APP_TOKEN set)" if settings.socket_mode else "HTTP mode"
    return Check("settings", True, f"every variable valid; {mode}, Harness account {settings.account_id}")


def _app_shape(settings: Settings) -> str:
    return ", SLACK_APP_TOKEN is xapp-…" if settings.socket_mode else ""


def _plain(exc: SettingsError) -> str:
    return str(exc).removeprefix("harbot can't start: ")


async def _slack_checks(settings: Settings) -> list[Check]:
    checks = []
    try:
        identity = await startup.auth_test(settings)
    except startup.CredentialError as exc:
        return [Check("Slack bot token", False, "Slack refused it", _plain(exc))]
    except startup.SlackUnreachable as exc:
        fix = f"check the network and SLACK_API_URL ({mask_url(settings.slack_api_url)})"
        return [Check("Slack bot token", False, str(exc), fix)]
    checks.append(
        Check("Slack bot token", True, f"@{identity.bot} in workspace {identity.team} ({identity.team_id})")
    )
    if identity.scopes is None:
        checks.append(Check("Slack scopes", True, "not reported by Slack (no x-oauth-scopes header)"))
    else:
        missing = sorted(REQUIRED_SCOPES - identity.scopes)
        if missing:
            checks.append(Check("Slack scopes", False, "missing " + ", ".join(missing), SCOPE_FIX))
        else:
            checks.append(Check("Slack scopes", True, "every scope manifest.yml asks for is granted"))
    if settings.socket_mode:
        try:
            await startup.open_connection(settings)
        except startup.CredentialError as exc:
            checks.append(Check("Slack app token", False, "Slack refused it", _plain(exc)))
        except startup.SlackUnreachable as exc:
            checks.append(Check("Slack app token", False, str(exc), "check the network and SLACK_API_URL"))
        else:
            checks.append(Check("Slack app token", True, "apps.connections.open gave a Socket Mode URL"))
    else:
        detail = "set; Slack proves it on each request (a wrong one shows as 401s: see Troubleshooting)"
        checks.append(Check("Slack signing secret", True, detail))
    return checks


async def _harness_check(settings: Settings, registry: str | None) -> Check:
    key = settings.harness_api_key.get_secret_value() if settings.harness_api_key else ""
    if registry is not None:
        return await _lookup_check(settings, key, registry)
    url = f"{settings.harness_base_url.rstrip('/')}/har/api/v1/spaces/{settings.account_id}/+/registries"
    headers = {"x-api-key": key, "user-agent": USER_AGENT, "accept": "application/json"}
    try:
        async with httpx.AsyncClient(timeout=settings.harness_timeout, follow_redirects=False) as http:
            response = await http.get(url, params={"size": "1"}, headers=headers)
    except httpx.HTTPError as exc:
        return _unreachable(settings, type(exc).__name__)
    where = f"account {settings.account_id} at {settings.harness_host}"
    if response.status_code == 200:
        return Check("Harness key", True, f"lists the registries of {where}")
    if response.status_code == 401:
        return Check("Harness key", False, f"{where} answered 401: the key is invalid or expired", KEY_FIX)
    if response.status_code == 403:
        fix = "give the key's service account the Artifact Registry view permission in that account"
        return Check("Harness key", False, f"{where} answered 403: the key may not list registries", fix)
    if response.status_code == 404:
        fix = "check HARNESS_BASE_URL (Harness SaaS: https://app.harness.io/gateway) and HARNESS_ACCOUNT_ID"
        return Check("Harness key", False, f"{where} answered 404 for the registry list", fix)
    fix = "try again shortly; if it lasts, check Harness's status page"
    return Check("Harness key", False, f"{where} answered HTTP {response.status_code}", fix)


async def _lookup_check(settings: Settings, key: str, registry: str) -> Check:
    context = ScopeContext(
        account_id=settings.account_id,
        default_org=settings.harness_default_org,
        default_project=settings.harness_default_project,
        ui_hosts=settings.ui_hosts,
    )
    try:
        ref = parse_scope(registry, context)
    except InvalidScope:
        return Check(
            "Harness key", False, f"{registry!r} is not a registry", "name one as org/project/registry"
        )
    client = HarnessClient(
        base_url=settings.harness_base_url, api_key=key, timeout=settings.harness_timeout, max_retries=0
    )
    try:
        found = await client.get_registry(ref)
    except Unauthorized:
        return Check(
            "Harness key", False, f"Harness answered 401 for {ref.path}: invalid or expired", KEY_FIX
        )
    except Forbidden:
        fix = "give the key's service account the Artifact Registry view permission in that scope"
        return Check("Harness key", False, f"Harness answered 403 for {ref.path}", fix)
    except NotFound:
        fix = "check the registry's name and scope (the key itself was accepted)"
        return Check("Harness key", False, f"no registry {ref.path}", fix)
    except HarnessUnavailable as exc:
        return _unreachable(settings, type(exc).__name__)
    except HarnessError as exc:
        return Check("Harness key", False, f"{type(exc).__name__} for {ref.path}", "try again shortly")
    finally:
        await client.aclose()
    return Check("Harness key", True, f"looked up {ref.path} ({found.package_type})")


def _unreachable(settings: Settings, reason: str) -> Check:
    fix = f"check the network and HARNESS_BASE_URL (now {mask_url(settings.harness_base_url)})"
    return Check("Harness key", False, f"could not reach Harness at {settings.harness_host} ({reason})", fix)


async def _ui_check(settings: Settings) -> Check:
    try:
        async with httpx.AsyncClient(timeout=settings.harness_timeout, follow_redirects=False) as http:
            response = await http.get(settings.harness_ui_url, headers={"user-agent": USER_AGENT})
    except httpx.HTTPError as exc:
        now = mask_url(settings.harness_ui_url)
        fix = f"check HARNESS_UI_URL (now {now}): it is the address you open Harness at"
        return Check("Harness UI", False, f"no answer ({type(exc).__name__})", fix)
    host = mask_url(settings.harness_ui_url)
    if response.status_code >= 500:
        return Check(
            "Harness UI", False, f"{host} answered HTTP {response.status_code}", "check HARNESS_UI_URL"
        )
    return Check("Harness UI", True, f"{host} answers (HTTP {response.status_code})")


def main(registry: str | None = None, *, mode: Mode = "auto", out: TextIO = sys.stdout) -> int:
    """Read the settings, run every check, print the checklist; 0 when every check passed, else 1."""
    try:
        settings = load_settings(mode)
    except SettingsError as exc:
        print(Check("settings", False, "start-up would stop here", _plain(exc)).line(), file=out)
        return 1
    checks = asyncio.run(run_checks(settings, registry))
    for check in checks:
        print(check.line(), file=out, flush=True)
    failed = sum(not check.ok for check in checks)
    print(f"{len(checks) - failed} of {len(checks)} checks passed", file=out)
    return 0 if failed == 0 else 1
