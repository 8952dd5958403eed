"""Harness UI links -> RegistryRef, ArtifactRef or VersionRef: one named-group regex per page shape (as
Sentry does), the most specific page first."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote

from bot.parsing.context import Rejected, make_ref, normal_host
from bot.refs import DIGEST_RE, ArtifactRef, RegistryRef, Target, VersionRef, problem

# A URL, split strictly: no userinfo (so "app.harness.io@evil.example" is refused, not misread),
# an ASCII hostname, an optional numeric port, then path, query and fragment.
_URL_RE: Final = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>[A-Za-z0-9.-]+)(?::[0-9]{1,5})?"
    r"(?P<path>/[^?#]*)?(?:\?(?P<query>[^#]*))?(?:\#(?P<fragment>.*))?",
    re.DOTALL,
)
# Registry pages in the Harness UI (Sentry-style table: one named-group regex per page shape).
# After the registry may come an artifact page, its versions tab, a version page and that page's tab;
# anything else after the registry (another tab, a deeper page) is ignored. Groups are validated after.
_PREFIXES: Final = (
    r"/ng/account/(?P<account>[^/]+)/(?:all|module/har)(?:/orgs/(?P<org>[^/]+)(?:/projects/(?P<project>[^/]+))?)?",
    # Harness Open Source: a space plays the part of the account.
    r"/spaces/(?P<account>[^/]+)",
)
_ARTIFACT_PAGE: Final = (
    r"/(?:artifacts|packages)/(?P<artifact>[^/]+)(?:/versions(?:/(?P<version>[^/]+)(?:/[^/]+)?)?)?/?"
)
_LINK_ROUTES: Final[tuple[re.Pattern[str], ...]] = tuple(
    re.compile(f"{prefix}/registries/(?P<registry>[^/]+){tail}", re.DOTALL)
    for prefix in _PREFIXES
    for tail in (_ARTIFACT_PAGE, "(?:/.*)?")
)

_NOT_A_REGISTRY_PAGE: Final = "That link isn't a Harness registry page."


def _hosts_text(hosts: frozenset[str]) -> str:
    names = sorted(hosts)
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def link_ref(url: str, ui_hosts: frozenset[str]) -> RegistryRef:
    """The registry a Harness UI link points at; raises Rejected saying why when it points at none."""
    target = link_target(url, ui_hosts)
    return target if isinstance(target, RegistryRef) else target.registry


def _decoded(segment: str | None) -> str | None:
    # Only the artifact and version are decoded (the UI percent-encodes `library%2Fnginx`); the decoded
    # value is then checked with the same anchored rule as typed text, so `%2e%2e` or `%00` never pass.
    return None if segment is None else unquote(segment, errors="strict")


def _digest_in(query: str | None) -> str | None:
    for pair in (query or "").split("&"):
        name, _, value = pair.partition("=")
        if name == "digest" and DIGEST_RE.fullmatch(unquote(value)):
            return unquote(value)
    return None


def _page_target(
    registry: RegistryRef, artifact: str | None, version: str | None, query: str | None
) -> Target:
    """The most specific valid ref on a page: an invalid artifact or version falls back to the level above."""
    try:
        name = _decoded(artifact)
        shown = _decoded(version)
    except UnicodeDecodeError:
        return registry
    if name is None or problem("artifact", name) is not None:
        return registry
    art = ArtifactRef(registry=registry, name=name)
    if shown is None:
        return art
    digest = _digest_in(query)
    if DIGEST_RE.fullmatch(shown):
        return VersionRef(artifact=art, digest=shown)
    if problem("version", shown) is not None:
        return art
    return VersionRef(artifact=art, version=shown, digest=digest)


def link_target(url: str, ui_hosts: frozenset[str]) -> Target:
    """The most specific ref a Harness UI link points at (a version, an artifact or a registry); raises
    Rejected saying why when it points at none."""
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
    query = match["query"]
    fragment = match["fragment"]
    # The older hash-routed UI keeps the whole page route, with its own query, in the fragment.
    if route in ("/ng", "/ng/") and fragment is not None and fragment.startswith("/account/"):
        hashed, _, hashed_query = fragment.partition("?")
        route, query = "/ng" + hashed, hashed_query
    for pattern in _LINK_ROUTES:
        page = pattern.fullmatch(route)
        if page is not None:
            groups = page.groupdict()
            registry = make_ref(page["account"], page["registry"], groups.get("org"), groups.get("project"))
            return _page_target(registry, groups.get("artifact"), groups.get("version"), query)
    raise Rejected(_NOT_A_REGISTRY_PAGE)


def target_from_url(url: str, ui_hosts: frozenset[str]) -> Target | None:
    """The most specific ref a Harness UI link points at, or None when it is no registry page on a UI host."""
    try:
        return link_target(url.strip(), ui_hosts)
    except Rejected:
        return None


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


def _links(text: str) -> list[str]:
    return [m["marked"] or m["bare"].rstrip(_TRAILING_PUNCTUATION) for m in _TEXT_LINK_RE.finditer(text)]


def find_registry_links(text: str, ui_hosts: frozenset[str]) -> list[tuple[str, RegistryRef]]:
    """Every Harness registry link in free text, as (url as written, ref), in order of appearance.

    Each registry appears once, with the first link that pointed at it; other links are skipped.
    """
    found: list[tuple[str, RegistryRef]] = []
    seen: set[RegistryRef] = set()
    for url in _links(text):
        ref = ref_from_url(url, ui_hosts)
        if ref is not None and ref not in seen:
            seen.add(ref)
            found.append((url, ref))
    return found


def find_links(text: str, ui_hosts: frozenset[str]) -> list[tuple[str, Target]]:
    """Every Harness registry, artifact or version link in free text, as (url as written, most specific
    ref), in order of appearance; each ref appears once, with the first link that pointed at it."""
    found: list[tuple[str, Target]] = []
    seen: set[Target] = set()
    for url in _links(text):
        target = target_from_url(url, ui_hosts)
        if target is not None and target not in seen:
            seen.add(target)
            found.append((url, target))
    return found
