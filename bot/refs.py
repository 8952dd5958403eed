"""The domain types everyone imports: validated Harness registry, artifact and version references.

Every identifier is checked with an anchored ASCII regex against the Harness identifier rules before a
``RegistryRef`` exists, so no value can change the host, add a path segment, or put ``..``, ``?``, ``#``,
``%``, ``/``, whitespace or control characters into the request path built from ``RegistryRef.path``.
Artifact names may contain ``/`` (``library/nginx``), so ``ArtifactRef`` and ``VersionRef`` percent-encode
every value into one path segment (``library%2Fnginx``) as well as checking it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import quote

Part = Literal["account", "org", "project", "registry", "artifact", "version", "digest"]
Scope = Literal["account", "org", "project"]

SHOWN_TEXT_CHARS: Final = 200
"""How much of the user's input an InvalidScope keeps to show back to them."""


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
        self.text = shown(text)
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


# What Harness allows in artifact names, by package type (read in harness/harness registry/app/api/handler):
# Docker and Helm `[a-z0-9._-]` path components joined by `/` (`library/nginx`), npm an optional
# `@scope/` prefix, Maven `group:artifact`, Python, NuGet, Cargo and generic `[A-Za-z0-9._-]`, Go module
# paths with dots and slashes. Our rule is their union, ASCII only: segments of letters, digits and
# `._:-` starting with a letter, digit or underscore (so never `.`, `..` or empty), joined by single
# slashes, with an optional leading `@`, at most 255 characters. `@` anywhere else is refused, so the
# `@sha256:` of a digest can never be part of a name.
_ARTIFACT_SEGMENT: Final = r"[A-Za-z0-9_][A-Za-z0-9._:-]*"
_ARTIFACT_RULE: Final = _Rule(
    pattern=re.compile(
        rf"(?=.{{1,255}}\Z)(?:@{_ARTIFACT_SEGMENT}/)?{_ARTIFACT_SEGMENT}(?:/{_ARTIFACT_SEGMENT})*", re.DOTALL
    ),
    noun="artifact name",
    alphabet=re.compile(r"[A-Za-z0-9._:@/-]+"),
    alphabet_reason=(
        "Artifact names use only letters, digits, dots, hyphens, underscores, colons and slashes."
    ),
    start=re.compile(r"[A-Za-z0-9_@]"),
    start_reason="Artifact names start with a letter, a digit or an underscore (or @ for an npm scope).",
    max_len=255,
)
# Versions: Docker tags are `[\w][\w.-]{0,127}` (the distribution spec, ASCII); semver adds `+build`,
# Maven `-SNAPSHOT`, Python `.post1`, all inside this. No `:` and no `@`, so `name:tag@digest` splits
# at the last colon and the at sign without doubt.
_VERSION_RULE: Final = _Rule(
    pattern=re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}"),
    noun="version",
    alphabet=re.compile(r"[A-Za-z0-9_.+-]+"),
    alphabet_reason="Versions and tags use only letters, digits, dots, hyphens, underscores and plus signs.",
    start=re.compile(r"[A-Za-z0-9_]"),
    start_reason="Versions and tags start with a letter, a digit or an underscore.",
    max_len=128,
)
DIGEST_RE: Final = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")
"""A content digest as registries write it (OCI image spec: the algorithm, a colon, lowercase hex)."""

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
    "artifact": _ARTIFACT_RULE,
    "version": _VERSION_RULE,
}


def _digest_problem(value: str) -> str | None:
    if DIGEST_RE.fullmatch(value):
        return None
    if not value:
        return "The digest is empty."
    if DIGEST_RE.fullmatch(value.lower()):
        return "Digests are written in lowercase."
    if not value.startswith(("sha256:", "sha512:")):
        return "A digest starts with sha256: (for example sha256: and 64 hex digits)."
    return "A sha256 digest is 64 hex digits after sha256: (sha512: takes 128)."


def _artifact_structure_problem(value: str) -> str | None:
    if value.startswith("/") or value.endswith("/") or "//" in value:
        return "Artifact names have no empty part between slashes."
    if value.startswith("@") and "/" not in value:
        return "An npm scope is followed by the package name: @scope/name."
    if "@" in value[1:]:
        return "An at sign only starts an npm scope (@scope/name); a digest goes after the name as @sha256:…"
    if any(seg.startswith((".", ":", "-")) for seg in value.removeprefix("@").split("/")):
        return "Each part of an artifact name starts with a letter, a digit or an underscore."
    return None


def problem(part: Part, value: object) -> str | None:
    """Why ``value`` is not a valid ``part`` identifier, or None when it is."""
    if part == "digest":
        return _digest_problem(value) if isinstance(value, str) else "The digest must be text."
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
    if part == "artifact" and (reason := _artifact_structure_problem(value)) is not None:
        return reason
    return f"That isn't a valid {rule.noun}."  # unreachable while the rules above cover the pattern


def ref_problem(account: object, registry: object, org: object, project: object) -> tuple[str, Part] | None:
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
        reason = problem(part, value)
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
        found = ref_problem(self.account, self.registry, self.org, self.project)
        if found is not None:
            parts = (self.account, self.org, self.project, self.registry)
            raise InvalidScope(found[0], text="/".join(str(p) for p in parts if p is not None))

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


def _segment(value: str) -> str:
    """One path segment: every character but letters, digits and ``-._~`` percent-encoded (``/`` too)."""
    return quote(value, safe="")


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    """A validated artifact (an image, a chart, a package) in a registry.

    ``name`` follows the artifact rule above: Docker names may contain slashes (``library/nginx``), npm
    names an ``@scope/`` prefix, Maven names a colon (``com.example:app``). Hashable, so it can key a
    cache. Constructing one with an invalid name raises InvalidScope.
    """

    registry: RegistryRef
    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.registry, RegistryRef):
            raise TypeError("ArtifactRef.registry must be a RegistryRef.")
        reason = problem("artifact", self.name)
        if reason is not None:
            raise InvalidScope(reason, text=f"{self.registry.short}/{self.name}")

    @property
    def name_segment(self) -> str:
        """The name as one percent-encoded path segment: ``library%2Fnginx``."""
        return _segment(self.name)

    @property
    def path(self) -> str:
        """The API's artifact path under the registry, ending in the routing ``+``:
        ``acc/reg/+/artifact/library%2Fnginx/+`` (then ``/summary``, ``/versions``...)."""
        return f"{self.registry.path}/artifact/{self.name_segment}/+"

    @property
    def short(self) -> str:
        """What a user types in /har for this artifact, relative to the account: ``org/reg/library/nginx``."""
        return f"{self.registry.short}/{self.name}"

    def ui_url(self, ui_base: str) -> str:
        """The artifact's page in the Harness UI: ``…/registries/<reg>/artifacts/<name>``."""
        return f"{self.registry.ui_url(ui_base)}/artifacts/{self.name_segment}"


@dataclass(frozen=True, slots=True)
class VersionRef:
    """A validated version of an artifact: a version or tag, a digest, or both (``nginx:1.27@sha256:…``).

    For Docker the version is the tag and the digest picks one image (one platform's manifest, or the
    index). Hashable, so it can key a cache (by digest alone when the digest is known: it never
    changes). Constructing one with invalid parts, or with neither a version nor a digest, raises
    InvalidScope.
    """

    artifact: ArtifactRef
    version: str | None = None
    digest: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.artifact, ArtifactRef):
            raise TypeError("VersionRef.artifact must be an ArtifactRef.")
        if self.version is None and self.digest is None:
            raise InvalidScope("Give a version or tag, a digest, or both.", text=self.artifact.short)
        checks: tuple[tuple[Part, str | None], ...] = (("version", self.version), ("digest", self.digest))
        for part, value in checks:
            reason = None if value is None else problem(part, value)
            if reason is not None:
                raise InvalidScope(reason, text=f"{self.artifact.short}:{value}")

    @property
    def registry(self) -> RegistryRef:
        return self.artifact.registry

    @property
    def label(self) -> str:
        """The version as people say it: ``1.27``, ``1.27@sha256:…`` or the digest alone."""
        parts = [p for p in (self.version, self.digest) if p is not None]
        return "@".join(parts)

    @property
    def version_segment(self) -> str:
        """The API's ``{version}`` path segment: the version, or the digest when there is none."""
        # __post_init__ makes sure of one of them.
        return _segment(self.version if self.version is not None else self.digest or "")

    @property
    def path(self) -> str:
        """The API's version path, ``acc/reg/+/artifact/nginx/+/version/1.27`` (then ``/summary``...);
        the digest, when both are known, goes in the ``digest`` query parameter, not here."""
        return f"{self.artifact.path}/version/{self.version_segment}"

    @property
    def short(self) -> str:
        """What a user types in /har: ``org/reg/library/nginx:1.27@sha256:…`` (``@`` only for a digest)."""
        text = self.artifact.short
        if self.version is not None:
            text += f":{self.version}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    def ui_url(self, ui_base: str) -> str:
        """The version's page in the Harness UI, with ``?digest=`` when the digest is known."""
        url = f"{self.artifact.ui_url(ui_base)}/versions/{self.version_segment}"
        if self.digest is not None and self.version is not None:
            url += f"?digest={self.digest}"
        return url


@dataclass(frozen=True, slots=True)
class SpaceRef:
    """A validated Harness space: the account, an org in it, or a project in an org.

    Hashable, so it can key a cache. Constructing one with invalid parts raises InvalidScope.
    """

    account: str
    org: str | None = None
    project: str | None = None

    def __post_init__(self) -> None:
        checks: tuple[tuple[Part, str | None], ...] = (
            ("account", self.account),
            ("org", self.org),
            ("project", self.project),
        )
        for part, value in checks:
            reason = None if value is None and part != "account" else problem(part, value)
            if reason is not None:
                raise InvalidScope(reason, text="/".join(p for p in (self.org, self.project) if p))
        if self.project is not None and self.org is None:
            raise InvalidScope("A project lives in an org: give the org too.", text=self.project)

    @property
    def path(self) -> str:
        """The API's space_ref with Harness's routing suffix: ``acc/+``, ``acc/org/+``, ``acc/org/proj/+``."""
        return "/".join(p for p in (self.account, self.org, self.project, "+") if p is not None)

    @property
    def short(self) -> str:
        """What a user types for this space, relative to the account: ``org/proj``, or "" for the account."""
        return "/".join(p for p in (self.org, self.project) if p is not None)


def space_of(ref: RegistryRef) -> SpaceRef:
    """The space a registry lives in."""
    return SpaceRef(account=ref.account, org=ref.org, project=ref.project)


def ref_from_path(path: str) -> RegistryRef | None:
    """The registry a list result's ``path`` names (``acc[/org[/proj]]/reg``), or None when it is empty,
    deeper than a project, or not made of valid identifiers."""
    parts = path.strip("/").split("/") if path else []
    if not 2 <= len(parts) <= 4:
        return None
    account, *scope, registry = parts
    org = scope[0] if scope else None
    project = scope[1] if len(scope) > 1 else None
    if ref_problem(account, registry, org, project) is not None:
        return None
    return RegistryRef(account=account, registry=registry, org=org, project=project)


def shown(text: str) -> str:
    """The user's text made safe to show back: trimmed, printable, and at most SHOWN_TEXT_CHARS long."""
    text = text.strip()
    cut = len(text) > SHOWN_TEXT_CHARS
    text = text[: SHOWN_TEXT_CHARS - 1] if cut else text
    shown = "".join(
        " " if c.isspace() else c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text
    )
    return shown + "…" if cut else shown
