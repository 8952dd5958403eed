"""What a user typed -> a registry, an artifact or a version (``parse_target``), or both readings.

The text forms, relative to the configured account (the registry part is any of today's name forms,
``<registry>``, ``<org>/<registry>`` or ``<org>/<project>/<registry>``):

- ``<registry…>/<artifact>``, ``<registry…>/<artifact>:<tag>``, ``…@sha256:<digest>``, ``…:<tag>@sha256:…``
- ``<registry…>/+/<artifact>[:<tag>][@<digest>]``: the ``+`` (as in Harness's own ``registry/+/artifact``
  paths) says where the registry ends, so this form is never ambiguous;
- everything ``parse_scope`` reads (registry names, registry_refs ending in ``/+``, links), and links to
  artifact and version pages.

The ambiguity rule. Artifact names may contain slashes (``library/nginx``), so ``a/b/c`` may be the
registry ``c`` in project ``a/b``, the artifact ``c`` in registry ``b`` of org ``a``, or the artifact
``b/c`` in registry ``a``. Each reading is checked against the identifier rules (org and project
identifiers have no hyphens or dots, registry names are lowercase, …); the readings that survive are
the answer. A tag or digest (``:tag``, ``@sha256:…``) marks an artifact, so the registry reading is
not considered then. One reading is returned as it is; several come back as ``Ambiguous``, in a
fixed order: the registry reading first (what ``parse_scope`` answers, so today's meaning), then the
artifact readings with the shortest registry part first. The caller asks Harness which registries
exist (``Ambiguous.registries``) and, when that does not settle it, asks the user, offering
``spelled(reading)`` for each (the ``+`` form, which parses back to exactly that reading).

Text always names refs in ``ctx.account_id``: a registry_ref or link into another account is refused.
The last ``:`` of the final path segment starts the version, so a Maven ``group:artifact`` is typed
with its version (``maven-prod/com.example:app:1.0``) or reached by link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.parsing.context import Rejected, ScopeContext
from bot.parsing.links import link_target
from bot.parsing.text import clean, invalid, link_text, name_ref
from bot.refs import ArtifactRef, Part, RegistryRef, Target, VersionRef, problem, shown

SEPARATOR: Final = "/+/"
"""Where the registry ends and the artifact begins, in the unambiguous text form."""

_PART_ORDER: Final[tuple[Part, ...]] = (
    "account",
    "org",
    "project",
    "registry",
    "artifact",
    "version",
    "digest",
)


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """Text that reads as more than one ref: ``readings`` holds each (at least two), in the order the
    module docstring gives; ``text`` is the user's input made printable and short (escape it to show)."""

    text: str
    readings: tuple[Target, ...]

    def __post_init__(self) -> None:
        if len(self.readings) < 2:
            raise ValueError("Ambiguous needs at least two readings.")

    @property
    def registries(self) -> tuple[RegistryRef, ...]:
        """The distinct registries the readings live in, in reading order (what to ask Harness about)."""
        seen: dict[RegistryRef, None] = {}
        for reading in self.readings:
            seen.setdefault(registry_of(reading), None)
        return tuple(seen)


def registry_of(target: Target) -> RegistryRef:
    """The registry a ref lives in (the ref itself for a registry)."""
    return target if isinstance(target, RegistryRef) else target.registry


def spelled(target: Target) -> str:
    """Text that ``parse_target`` reads back as exactly ``target``: the registry_ref (``acc/org/reg/+``) for
    a registry, the ``+`` form (``org/reg/+/nginx:1.27``) for an artifact or a version."""
    if isinstance(target, RegistryRef):
        return target.path
    artifact = target if isinstance(target, ArtifactRef) else target.artifact
    text = f"{artifact.registry.short}{SEPARATOR}{artifact.name}"
    if isinstance(target, VersionRef):
        text += target.short.removeprefix(artifact.short)
    return text


def _split_digest(text: str) -> tuple[str, str | None]:
    # The digest's `@` follows a name, never a slash (that `@` starts an npm scope: `reg/@scope/pkg`).
    at = text.rfind("@")
    if at <= 0 or text[at - 1] == "/" or "/" in text[at:]:
        return text, None
    rest, digest = text[:at], text[at + 1 :]
    reason = problem("digest", digest)
    if reason is not None:
        fix = None
        if digest.lower() != digest:
            fix = f"{rest}@{digest.lower()}"
        elif problem("version", digest) is None and ":" not in rest.rsplit("/", 1)[-1]:
            fix = f"{rest}:{digest}"  # `nginx@1.27`: a tag after the wrong sign
        raise Rejected(reason, part="digest", fix=fix)
    return rest, digest


def _split_version(text: str) -> tuple[str, str | None]:
    last = text.rsplit("/", 1)[-1]
    if ":" not in last:
        return text, None
    colon = text.rfind(":")
    rest, version = text[:colon], text[colon + 1 :]
    reason = problem("version", version)
    if reason is not None:
        raise Rejected(reason, part="version")
    return rest, version


def _artifact(registry: RegistryRef, name: str, version: str | None, digest: str | None) -> Target:
    reason = problem("artifact", name)
    if reason is not None:
        raise Rejected(reason, part="artifact")
    artifact = ArtifactRef(registry=registry, name=name)
    if version is None and digest is None:
        return artifact
    return VersionRef(artifact=artifact, version=version, digest=digest)


def _explicit(text: str, ctx: ScopeContext) -> Target:
    left, _, right = text.partition(SEPARATOR)
    if not right:
        raise Rejected(
            "Put the artifact after the /+/, for example docker-prod/+/nginx:1.27.", part="artifact"
        )
    rest, digest = _split_digest(right)
    rest, version = _split_version(rest)
    return _artifact(name_ref(left, ctx), rest, version, digest)


def _readings(text: str, ctx: ScopeContext) -> list[Target]:
    """Every valid reading of slash-separated text; Rejected with the most telling reason when none is."""
    rest, digest = _split_digest(text)
    rest, version = _split_version(rest)
    marked = version is not None or digest is not None
    parts = rest.split("/")
    if "" in parts:
        raise Rejected("There's an empty part between the slashes.", fix=text.replace("//", "/").strip("/"))
    if marked and len(parts) == 1:
        raise Rejected("Name the registry too, for example docker-prod/nginx:1.27.", part="registry")
    found: list[Target] = []
    errors: list[Rejected] = []
    if not marked and len(parts) <= 3:
        try:
            found.append(name_ref(rest, ctx))
        except Rejected as exc:
            errors.append(exc)
    for cut in range(1, min(3, len(parts) - 1) + 1):
        try:
            registry = name_ref("/".join(parts[:cut]), ctx)
            found.append(_artifact(registry, "/".join(parts[cut:]), version, digest))
        except Rejected as exc:
            errors.append(exc)
    if not found:
        # The reason from the reading that got furthest (a bad artifact name says more than a bad org),
        # the first such reading on a tie.
        raise max(reversed(errors), key=lambda e: _PART_ORDER.index(e.part) if e.part else -1)
    return found


def _target(text: str, ctx: ScopeContext) -> Target | Ambiguous:
    text = clean(text)
    url = link_text(text)
    if url is not None:
        found: Target | Ambiguous = link_target(url, ctx.ui_hosts)
    elif SEPARATOR in text:
        found = _explicit(text, ctx)
    elif text.endswith("/+"):
        found = name_ref(text, ctx)
    else:
        readings = _readings(text, ctx)
        found = readings[0] if len(readings) == 1 else Ambiguous(text=shown(text), readings=tuple(readings))
    for reading in found.readings if isinstance(found, Ambiguous) else (found,):
        if registry_of(reading).account != ctx.account_id:
            raise Rejected("That's in another Harness account than the one I'm set up for.", part="account")
    return found


def _parses(text: str, ctx: ScopeContext) -> bool:
    try:
        _target(text, ctx)
    except Rejected:
        return False
    return True


def parse_target(text: str, ctx: ScopeContext) -> Target | Ambiguous:
    """The registry, artifact or version ``text`` names (see the module docstring for the forms and the
    ambiguity rule), or ``Ambiguous`` with every reading; raises InvalidScope on anything else.

    Whatever the text, a ref returned is in ``ctx.account_id`` and its ``path`` is built from checked,
    percent-encoded segments only.
    """
    try:
        return _target(text, ctx)
    except Rejected as exc:
        raise invalid(exc, text, fixed=exc.fix is not None and _parses(exc.fix, ctx)) from None
