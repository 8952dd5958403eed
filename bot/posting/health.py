"""What `doctor` asks about subscriptions: can Harness reach the bot, and is each webhook there and well.

Each answer is a `Finding` (ok, what was found, the fix), built from names, hosts and statuses only.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

import httpx

from bot.harness.errors import HarnessError
from bot.harness.webhooks import SUCCESS, CannotManageWebhooks, WebhookMissing
from bot.posting.fanout import registry_of

if TYPE_CHECKING:
    from bot.harness.client import HarnessClient
    from bot.store import Store

HEALTH_PATH: Final = "/healthz"
REACH_TIMEOUT: Final = 5.0


@dataclass(frozen=True, slots=True)
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def is_private(public_url: str) -> bool:
    """Whether PUBLIC_URL names a loopback, private or link-local host (Harness SaaS will not deliver
    there: fine for the playground, tests and a self-managed Harness beside the bot)."""
    host = (urlsplit(public_url).hostname or "").lower()
    if host in {"localhost", ""} or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


async def reach_public_url(public_url: str | None, *, http: httpx.AsyncClient | None = None) -> Finding:
    """GET the bot's own /healthz through PUBLIC_URL: what Harness will do, from where the bot stands."""
    name = "PUBLIC_URL"
    if not public_url:
        return Finding(
            name, False, "not set", "set PUBLIC_URL to the https address Harness reaches this bot at"
        )
    url = public_url.rstrip("/") + HEALTH_PATH
    host = urlsplit(public_url).hostname or public_url
    client = http or httpx.AsyncClient(timeout=REACH_TIMEOUT, follow_redirects=False)
    try:
        response = await client.get(url)
    except httpx.HTTPError as exc:
        return Finding(
            name,
            False,
            f"{host} did not answer ({type(exc).__name__})",
            "check PUBLIC_URL and the tunnel or proxy",
        )
    finally:
        if http is None:
            await client.aclose()
    if response.status_code != 200:
        return Finding(name, False, f"{url} answered {response.status_code}", "point PUBLIC_URL at this bot")
    warning = " (a private address: Harness SaaS will not deliver there)" if is_private(public_url) else ""
    return Finding(name, True, f"{host} reaches this bot{warning}")


async def webhook_findings(store: Store, harness: HarnessClient) -> list[Finding]:
    """One finding per stored webhook: it exists in Harness, and how its last delivery went."""
    async with store.transaction() as tx:
        hooks = await tx.webhooks.all()
    findings: list[Finding] = []
    for hook in hooks:
        ref = registry_of(hook.registry)
        name = f"webhook {ref.short if ref else hook.registry}"
        if ref is None:
            findings.append(
                Finding(name, False, "its registry does not read", "unsubscribe and subscribe again")
            )
            continue
        try:
            found = await harness.get_webhook(ref, hook.identifier)
        except WebhookMissing:
            findings.append(
                Finding(
                    name, False, "gone from Harness", f"run /har subscribe {ref.short} again in a channel"
                )
            )
            continue
        except CannotManageWebhooks as exc:
            findings.append(Finding(name, False, exc.sentence, "give the bot's key edit permission on it"))
            continue
        except HarnessError as exc:
            findings.append(
                Finding(name, False, f"could not be read ({type(exc).__name__})", "try again later")
            )
            continue
        last = found.latest_execution_result or "no delivery yet"
        ok = found.latest_execution_result in {"", SUCCESS} and found.enabled is not False
        detail = f"{'enabled' if found.enabled is not False else 'disabled'}, last delivery: {last}"
        fix = "" if ok else "see the webhook's executions in Harness; is PUBLIC_URL reachable from Harness?"
        findings.append(Finding(name, ok, detail, fix))
    return findings
