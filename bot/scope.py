"""Turn what a user typed, or a Harness link they pasted, into a validated registry reference.

``parse_scope`` is the one way user text becomes a :class:`RegistryRef`; ``ref_from_url`` and
``find_registry_links`` read Harness UI links for unfurls and messages. Every identifier is checked
with an anchored regex against the Harness identifier rules before a ``RegistryRef`` exists, so no
input can change the host, add a path segment, or put ``..``, ``?``, ``#``, ``%``, ``/``, whitespace
or control characters into the request path built from :attr:`RegistryRef.path`.

Errors::

    ValueError
    └── InvalidScope    what the user typed is not a registry reference we understand

``ScopeContext`` raises a plain ``ValueError`` for bad configuration: that is the operator's
mistake, not the user's, and must not be answered like a typo.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "SCOPE_FORMS",
    "InvalidScope",
    "RegistryRef",
    "ScopeContext",
    "ScopeForm",
    "find_registry_links",
    "parse_scope",
    "ref_from_url",
]

logger = logging.getLogger(__name__)

# Longer input is not a reference, and the cap keeps the layer-peeling in _unwrap cheap.
MAX_TEXT_CHARS: Final = 4096
# How much of the user's input an InvalidScope keeps to show back to them.
SHOWN_TEXT_CHARS: Final = 200
DEFAULT_UI_HOST: Final = "app.harness.io"

Part = Literal["account", "org", "project", "registry"]
Scope = Literal["account", "org", "project"]
FormKind = Literal["name", "registry_ref", "link"]


class InvalidScope(ValueError):
    """What the user typed is not a registry reference we understand.

    ``reason`` and ``hint`` are written for the user and never contain ``<``, ``>`` or ``&``, so
    they can go into Slack mrkdwn as they are (``hint`` uses backticks). ``text`` is the user's own
    input, made printable and cut short; escape it before putting it in a message.
    """

    reason: str
    text: str
    hint: str | None

    def __init__(self, reason: str, *, text: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.text = _shown(text)
        self.hint = hint


@dataclass(frozen=True, slots=True)
class _Rule:
    """The Harness rule for one kind of identifier, with a friendly reason for each way to break it."""

    pattern: re.Pattern[str]
    noun: str
    alphabet: re.Pattern[str]
    alphabet_reason: str
    start: re.Pattern[str]
    start_reason: str
    max_len: int

    @property
    def length_reason(self) -> str:
        return f"{self.noun.capitalize()}s are at most {self.max_len} characters long."


# Explicit ASCII classes (never \w or \d, which match other scripts' letters and digits) and
# fullmatch everywhere: `$` would accept a trailing newline.
_REGISTRY_RULE: Final = _Rule(
    pattern=re.compile(r"[a-z][a-z0-9_-]{0,62}"),
    noun="registry name",
    alphabet=re.compile(r"[A-Za-z0-9_-]+"),
    alphabet_reason="Registry names use only lowercase letters, digits, hyphens and underscores.",
    start=re.compile(r"[a-z]"),
    start_reason="Registry names start with a letter.",
    max_len=63,
)


def _identifier_rule(noun: str) -> _Rule:
    return _Rule(
        pattern=re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}"),
        noun=f"{noun} identifier",
        alphabet=re.compile(r"[A-Za-z0-9_]+"),
        # People paste the display name ("Payments Team") where the identifier belongs.
        alphabet_reason=(
            f"{noun.capitalize()} identifiers use only letters, digits and underscores "
            "(the identifier, not the display name)."
        ),
        start=re.compile(r"[A-Za-z_]"),
        start_reason=f"{noun.capitalize()} identifiers start with a letter or an underscore.",
        max_len=128,
    )


_RULES: Final[dict[Part, _Rule]] = {
    "account": _Rule(
        pattern=re.compile(r"[A-Za-z0-9_-]{1,64}"),
        noun="account id",
        alphabet=re.compile(r"[A-Za-z0-9_-]+"),
        alphabet_reason="Account ids use only letters, digits, hyphens and underscores.",
        start=re.compile(r"[A-Za-z0-9_-]"),
        start_reason="Account ids use only letters, digits, hyphens and underscores.",
        max_len=64,
    ),
    "org": _identifier_rule("org"),
    "project": _identifier_rule("project"),
    "registry": _REGISTRY_RULE,
}


def _problem(part: Part, value: object) -> str | None:
    """Why ``value`` is not a valid ``part`` identifier, or None when it is."""
    rule = _RULES[part]
    if not isinstance(value, str):
        return f"The {rule.noun} must be text."
    if rule.pattern.fullmatch(value):
        return None
    if not value:
        return f"The {rule.noun} is empty."
    if not rule.alphabet.fullmatch(value):
        return rule.alphabet_reason
    if part == "registry" and value != value.lower():
        return "Registry names are lowercase."
    if not rule.start.fullmatch(value[0]):
        return rule.start_reason
    if len(value) > rule.max_len:
        return rule.length_reason
    return f"That isn't a valid {rule.noun}."  # unreachable while the rules above cover the pattern


class _Rejected(Exception):
    """Internal: why parsing failed, which part failed, and a corrected input worth suggesting."""

    def __init__(self, reason: str, *, part: Part | None = None, fix: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.part = part
        self.fix = fix


def _ref_problem(account: object, registry: object, org: object, project: object) -> tuple[str, Part] | None:
    """The first problem with a set of parts (reason and part), or None when they make a valid ref."""
    checks: tuple[tuple[Part, object], ...] = (
        ("account", account),
        ("org", org),
        ("project", project),
        ("registry", registry),
    )
    for part, value in checks:
        if value is None and part in ("org", "project"):
            continue
        reason = _problem(part, value)
        if reason is not None:
            return reason, part
    if project is not None and org is None:
        return "A project lives in an org: give the org too.", "project"
    return None


@dataclass(frozen=True, slots=True)
class RegistryRef:
    """A validated Harness registry reference: a registry and the scope it lives in.

    Hashable, so it can key a cache. Constructing one with invalid parts raises InvalidScope.
    """

    account: str
    registry: str
    org: str | None = None
    project: str | None = None

    def __post_init__(self) -> None:
        problem = _ref_problem(self.account, self.registry, self.org, self.project)
        if problem is not None:
            parts = (self.account, self.org, self.project, self.registry)
            raise InvalidScope(problem[0], text="/".join(str(p) for p in parts if p is not None))

    @property
    def _parts(self) -> tuple[str, ...]:
        return tuple(p for p in (self.org, self.project, self.registry) if p is not None)

    @property
    def path(self) -> str:
        """The API's registry_ref: ``acc/reg/+``, ``acc/org/reg/+`` or ``acc/org/proj/reg/+``."""
        return "/".join((self.account, *self._parts, "+"))

    @property
    def scope(self) -> Scope:
        """Where the registry lives: the account, an org, or a project."""
        if self.project is not None:
            return "project"
        if self.org is not None:
            return "org"
        return "account"

    @property
    def short(self) -> str:
        """What a user types in /har for this registry, relative to the account: ``org/proj/reg``."""
        return "/".join(self._parts)

    def ui_url(self, ui_base: str) -> str:
        """The registry's page in the Harness UI under ``ui_base`` (e.g. ``https://app.harness.io``)."""
        url = f"{ui_base.rstrip('/')}/ng/account/{self.account}/all"
        if self.org is not None:
            url += f"/orgs/{self.org}"
        if self.project is not None:
            url += f"/projects/{self.project}"
        return f"{url}/registries/{self.registry}"


_HOSTNAME_RE: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


def _normal_host(host: str) -> str:
    # Hostnames are case-insensitive and "app.harness.io." is the same host as "app.harness.io".
    return host.lower().removesuffix(".")


@dataclass(frozen=True, slots=True)
class ScopeContext:
    """What parse_scope needs besides the text: the account, optional defaults and trusted UI hosts.

    A bare registry name means ``default_org``/``default_project`` when set, else the account.
    ``ui_hosts`` are hostnames (no scheme, no port) whose links are read; they are lowercased here.
    Invalid values raise ValueError naming the field.
    """

    account_id: str
    default_org: str | None = None
    default_project: str | None = None
    ui_hosts: frozenset[str] = frozenset({DEFAULT_UI_HOST})

    def __post_init__(self) -> None:
        fields: tuple[tuple[str, Part, str | None], ...] = (
            ("account_id", "account", self.account_id),
            ("default_org", "org", self.default_org),
            ("default_project", "project", self.default_project),
        )
        for name, part, value in fields:
            if value is None and part != "account":
                continue
            reason = _problem(part, value)
            if reason is not None:
                raise ValueError(f"{name} {value!r} is not valid: {reason}")
        if self.default_project is not None and self.default_org is None:
            raise ValueError("default_project needs default_org: a project lives in an org.")
        # A str is iterable too, and frozenset("app.harness.io") would quietly trust single letters.
        if isinstance(self.ui_hosts, str):
            raise TypeError("ui_hosts must be a set of hostnames, not a string.")
        hosts = frozenset(_normal_host(h) for h in self.ui_hosts)
        for host in sorted(hosts):
            if not _HOSTNAME_RE.fullmatch(host):
                raise ValueError(f"ui_hosts entry {host!r} is not a hostname (no scheme, port or path).")
        object.__setattr__(self, "ui_hosts", hosts)


_PLACEHOLDERS: Final[dict[str, Part]] = {
    "<account>": "account",
    "<org>": "org",
    "<project>": "project",
    "<registry>": "registry",
}


@dataclass(frozen=True, slots=True)
class ScopeForm:
    """One way of naming a registry that parse_scope understands; the help card lists these.

    For ``name`` and ``registry_ref`` forms the placeholders of ``syntax`` drive parsing: the text's
    slash-separated parts are matched to them in order.
    """

    syntax: str
    example: str
    meaning: str
    kind: FormKind

    @property
    def fields(self) -> tuple[Part, ...]:
        """The placeholders of the syntax, in order; empty for the link form."""
        if self.kind == "link":
            return ()
        names = self.syntax.removesuffix("/+").split("/")
        unknown = [name for name in names if name not in _PLACEHOLDERS]
        if unknown:
            raise ValueError(f"unknown placeholder {unknown[0]!r} in scope syntax {self.syntax!r}")
        return tuple(_PLACEHOLDERS[name] for name in names)


SCOPE_FORMS: Final[tuple[ScopeForm, ...]] = (
    ScopeForm(
        "<registry>",
        "docker-prod",
        "a registry in your default org or project if one is set, else in the account",
        "name",
    ),
    ScopeForm("<org>/<registry>", "payments/docker-prod", "a registry in an org", "name"),
    ScopeForm(
        "<org>/<project>/<registry>", "payments/checkout/docker-prod", "a registry in a project", "name"
    ),
    ScopeForm(
        "<account>/<registry>/+",
        "px7xd_BFRCi-pfWPYXVjvw/docker-prod/+",
        "an API registry_ref for a registry in an account",
        "registry_ref",
    ),
    ScopeForm(
        "<account>/<org>/<registry>/+",
        "px7xd_BFRCi-pfWPYXVjvw/payments/docker-prod/+",
        "an API registry_ref for a registry in an org",
        "registry_ref",
    ),
    ScopeForm(
        "<account>/<org>/<project>/<registry>/+",
        "px7xd_BFRCi-pfWPYXVjvw/payments/checkout/docker-prod/+",
        "an API registry_ref for a registry in a project",
        "registry_ref",
    ),
    ScopeForm(
        "<link to a registry page in Harness>",
        "https://app.harness.io/ng/account/px7xd_BFRCi-pfWPYXVjvw/all/orgs/payments/projects/checkout"
        "/registries/docker-prod",
        "a registry page copied from your browser",
        "link",
    ),
)


def _forms_text(kind: FormKind) -> str:
    """The syntaxes of one kind of form as plain words (no angle brackets, which Slack would eat)."""
    syntaxes = [f.syntax.replace("<", "").replace(">", "") for f in SCOPE_FORMS if f.kind == kind]
    return ", ".join(syntaxes[:-1]) + " or " + syntaxes[-1] if len(syntaxes) > 1 else syntaxes[0]


# A URL, split strictly: no userinfo (so "app.harness.io@evil.example" is refused, not misread),
# an ASCII hostname, an optional numeric port, then path, query and fragment.
_URL_RE: Final = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>[A-Za-z0-9.-]+)(?::[0-9]{1,5})?"
    r"(?P<path>/[^?#]*)?(?:\?[^#]*)?(?:\#(?P<fragment>.*))?",
    re.DOTALL,
)
_SCHEME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# A link pasted without its scheme: "app.harness.io/ng/...". No identifier contains a dot, so this
# never takes away a reference that would otherwise parse.
_BARE_HOST_RE: Final = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]{1,5})?/")

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


def _make_ref(account: str, registry: str, org: str | None, project: str | None) -> RegistryRef:
    problem = _ref_problem(account, registry, org, project)
    if problem is not None:
        raise _Rejected(problem[0], part=problem[1])
    return RegistryRef(account=account, registry=registry, org=org, project=project)


def _link_ref(url: str, ui_hosts: frozenset[str]) -> RegistryRef:
    """The registry a Harness UI link points at; raises _Rejected saying why when it points at none."""
    if any(c.isspace() or not c.isprintable() for c in url):
        raise _Rejected("Links don't contain spaces or invisible characters.")
    match = _URL_RE.fullmatch(url)
    if match is None:
        raise _Rejected("I can't read that link.")
    if match["scheme"].lower() not in ("http", "https"):
        raise _Rejected("I only read http and https links.")
    hosts = frozenset(_normal_host(h) for h in ui_hosts)
    if _normal_host(match["host"]) not in hosts:
        if not hosts:
            raise _Rejected("I'm not set up to read links; type the registry name instead.")
        raise _Rejected(f"I only read links from {_hosts_text(hosts)}.")
    route = match["path"] or ""
    fragment = match["fragment"]
    # The older hash-routed UI keeps the whole page route, with its own query, in the fragment.
    if route in ("/ng", "/ng/") and fragment is not None and fragment.startswith("/account/"):
        route = "/ng" + fragment.split("?", 1)[0]
    for pattern in _LINK_ROUTES:
        page = pattern.fullmatch(route)
        if page is not None:
            return _make_ref(
                page["account"],
                page["registry"],
                page.groupdict().get("org"),
                page.groupdict().get("project"),
            )
    raise _Rejected(_NOT_A_REGISTRY_PAGE)


_QUOTES: Final = "\"'“”‘’"


def _unwrap(text: str) -> str:
    """Peel whitespace, quotes, backticks and Slack ``<url|label>`` markup off the text, in any nesting."""
    while True:
        before = text
        if len(text) >= 6 and text.startswith("```") and text.endswith("```"):
            text = text[3:-3]
        elif len(text) >= 2 and (text[0] == text[-1] == "`" or (text[0] in _QUOTES and text[-1] in _QUOTES)):
            text = text[1:-1]
        elif len(text) >= 2 and text[0] == "<" and text[-1] == ">":
            # Slack sends links as <url> or <url|label>; the label is only what the user saw.
            text = text[1:-1].split("|", 1)[0]
        text = text.strip()
        if text == before:
            return text


def _name_ref(text: str, ctx: ScopeContext) -> RegistryRef:
    """A reference typed as slash-separated parts, matched against the SCOPE_FORMS syntaxes."""
    is_ref = text.endswith("/+")
    kind: FormKind = "registry_ref" if is_ref else "name"
    suffix = "/+" if is_ref else ""
    parts = text.removesuffix("/+").split("/")
    if "" in parts:
        raise _Rejected(
            "There's an empty part between the slashes.", fix="/".join(p for p in parts if p) + suffix
        )
    form = next((f for f in SCOPE_FORMS if f.kind == kind and len(f.fields) == len(parts)), None)
    if form is None:
        if is_ref:
            raise _Rejected(
                f"A registry_ref ending in /+ reads {_forms_text('registry_ref')}.",
                fix=f"{ctx.account_id}/{text}" if len(parts) == 1 else None,
            )
        raise _Rejected(
            f"That has too many parts: I read {_forms_text('name')}.",
            # Four parts is most likely a registry_ref missing its /+.
            fix=f"{text}/+" if len(parts) == 4 else None,
        )
    values: dict[Part, str] = dict(zip(form.fields, parts, strict=True))
    account = values.get("account", ctx.account_id)
    org = values.get("org")
    project = values.get("project")
    if form.fields == ("registry",) and ctx.default_org is not None:
        org, project = ctx.default_org, ctx.default_project
    try:
        return _make_ref(account, values["registry"], org, project)
    except _Rejected as exc:
        if exc.part == "registry" and exc.reason == "Registry names are lowercase.":
            exc.fix = "/".join([*parts[:-1], parts[-1].lower()]) + suffix
        raise


def _parse(text: str, ctx: ScopeContext) -> RegistryRef:
    empty = _Rejected("Tell me which registry, for example docker-prod.")
    text = text.strip()
    if not text:
        raise empty
    if len(text) > MAX_TEXT_CHARS:
        raise _Rejected("That's too long to be a registry reference.")
    text = _unwrap(text)
    if not text:
        raise empty
    if any(c.isspace() for c in text):
        raise _Rejected("A registry reference has no spaces in it: send one registry at a time.")
    if not text.isprintable():
        raise _Rejected("That has invisible or control characters in it.")
    if text[0] in "@#!":
        raise _Rejected("That's a Slack mention or channel, not a registry.")
    if _SCHEME_RE.match(text):
        return _link_ref(text, ctx.ui_hosts)
    if _BARE_HOST_RE.match(text):
        return _link_ref(f"https://{text}", ctx.ui_hosts)
    return _name_ref(text, ctx)


def _parses(text: str, ctx: ScopeContext) -> bool:
    try:
        _parse(text, ctx)
    except _Rejected:
        return False
    return True


def parse_scope(text: str, ctx: ScopeContext) -> RegistryRef:
    """The registry that ``text`` names, in any of the SCOPE_FORMS; raises InvalidScope otherwise.

    Surrounding whitespace, quotes, backticks and Slack link markup are ignored. Links are read only
    from ``ctx.ui_hosts``; their path segments are validated as they are, never percent-decoded.
    """
    try:
        return _parse(text, ctx)
    except _Rejected as exc:
        # A suggestion is only made when it would itself parse, so it is never a guess that fails too.
        hint = f"Did you mean `{exc.fix}`?" if exc.fix is not None and _parses(exc.fix, ctx) else None
        logger.debug("could not read a registry from %r: %s", text[:SHOWN_TEXT_CHARS], exc.reason)
        raise InvalidScope(exc.reason, text=text, hint=hint) from None


def ref_from_url(url: str, ui_hosts: frozenset[str]) -> RegistryRef | None:
    """The registry a Harness UI link points at, or None when it is not a registry page on ``ui_hosts``."""
    try:
        return _link_ref(url.strip(), ui_hosts)
    except _Rejected:
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


def _shown(text: str) -> str:
    """The user's text made safe to show back: trimmed, printable, and at most SHOWN_TEXT_CHARS long."""
    text = text.strip()
    cut = len(text) > SHOWN_TEXT_CHARS
    text = text[: SHOWN_TEXT_CHARS - 1] if cut else text
    shown = "".join(
        " " if c.isspace() else c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text
    )
    return shown + "…" if cut else shown
