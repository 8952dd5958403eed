"""Harness UI links -> RegistryRef: one named-group regex per registry page shape (as Sentry does)."""

from __future__ import annotations

import re
from typing import Final

from bot.parsing.context import Rejected, make_ref, normal_host
from bot.refs import RegistryRef

# A URL, split strictly: no userinfo (so "app.harness.io@evil.example" is refused, not misread),
# an ASCII hostname, an optional numeric port, then path, query and fragment.
_URL_RE: Final = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>[A-Za-z0-9.-]+)(?::[0-9]{1,5})?"
    r"(?P<path>/[^?#]*)?(?:\?[^#]*)?(?:\#(?P<fragment>.*))?",
    re.DOTALL,
)
# Registry pages in the Harness UI (Sentry-style table: one named-group regex per page shape).
# Anything after the registry (a tab, a deeper page) is ignored; the groups are validated afterwards.
_LINK_ROUTES: Final[tuple[re.Pattern[str], ...]] = (
    re.compile(
        r"/ng/account/(?P<account>[^/]+)/(?:all|module/har)"
        r"(?:/orgs/(?P<org>[^/]+)(?:/projects/(?P<project>[^/]+))?)?"
        r"/registries/(?P<registry>[^/]+)(?:/.*)?",
        re.DOTALL,
    ),
    # Harness Open Source: a space plays the part of the account.
    re.compile(r"/spaces/(?P<account>[^/]+)/registries/(?P<registry>[^/]+)(?:/.*)?", re.DOTALL),
)

_NOT_A_REGISTRY_PAGE: Final = "That link isn't a Harness registry page."


def _hosts_text(hosts: frozenset[str]) -> str:
    names = sorted(hosts)
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def link_ref(url: str, ui_hosts: frozenset[str]) -> RegistryRef:
    """The registry a Harness UI link points at; raises Rejected saying why when it points at none."""
    if any(c.isspace() or not c.isprintable() for c in url):
        raise Rejected("Links don't contain spaces or invisible characters.")
    match = _URL_RE.fullmatch(url)
    if match is None:
        raise Rejected("I can't read that link.")
    if match["scheme"].lower() not in ("http", "https"):
        raise Rejected("I only read http and https links.")
    hosts = frozenset(normal_host(h) for h in ui_hosts)
    if normal_host(match["host"]) not in hosts:
        if not hosts:
            raise Rejected("I'm not set up to read links; type the registry name instead.")
        raise Rejected(f"I only read links from {_hosts_text(hosts)}.")
    route = match["path"] or ""
    fragment = match["fragment"]
    # The older hash-routed UI keeps the whole page route, with its own query, in the fragment.
    if route in ("/ng", "/ng/") and fragment is not None and fragment.startswith("/account/"):
        route = "/ng" + fragment.split("?", 1)[0]
    for pattern in _LINK_ROUTES:
        page = pattern.fullmatch(route)
        if page is not None:
            return make_ref(
                page["account"],
                page["registry"],
                page.groupdict().get("org"),
                page.groupdict().get("project"),
            )
    raise Rejected(_NOT_A_REGISTRY_PAGE)


def ref_from_url(url: str, ui_hosts: frozenset[str]) -> RegistryRef | None:
    """The registry a Harness UI link points at, or None when it is not a registry page on ``ui_hosts``."""
    try:
        return link_ref(url.strip(), ui_hosts)
    except Rejected:
        return None


# A link in Slack markup (<url> or <url|label>, whose label is ignored) or, failing that, a bare URL.
_TEXT_LINK_RE: Final = re.compile(
    r"<(?P<marked>https?://[^\s|<>]+)(?:\|[^<>]*)?>|(?P<bare>https?://[^\s<>|`\"']+)",
    re.IGNORECASE,
)
# Sentence punctuation and mrkdwn emphasis that end up glued to a bare link.
_TRAILING_PUNCTUATION: Final = ".,;:!?)]}*~"


def find_registry_links(text: str, ui_hosts: frozenset[str]) -> list[tuple[str, RegistryRef]]:
    """Every Harness registry link in free text, as (url as written, ref), in order of appearance.

    Each registry appears once, with the first link that pointed at it; other links are skipped.
    """
    found: list[tuple[str, RegistryRef]] = []
    seen: set[RegistryRef] = set()
    for match in _TEXT_LINK_RE.finditer(text):
        url = match["marked"] or match["bare"].rstrip(_TRAILING_PUNCTUATION)
        ref = ref_from_url(url, ui_hosts)
        if ref is not None and ref not in seen:
            seen.add(ref)
            found.append((url, ref))
    return found
