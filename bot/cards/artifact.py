"""The artifact card, its versions page, a registry's artifacts page, their compact unfurls, and not found.

Buttons carry the artifact or version as its API path (`artifact_value`, read back by `read_value`), so a
click needs no state: the path was built from validated refs and is read back through them again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Final, Literal
from urllib.parse import unquote

from bot.cards.blocks import Block, Reply, actions, button, context, field, fields, header, section
from bot.cards.text import (
    BUTTON_VALUE_LIMIT,
    DAY_AND_TIME,
    FALLBACK_LIMIT,
    HEADER_LIMIT,
    MAX_FIELDS,
    NAME_LIMIT,
    SEP,
    URL_LIMIT,
    WARNING,
    code,
    cut,
    date,
    describe_scope,
    fit,
    flat,
    inline,
    link,
    listing,
    mention,
    plural,
    present,
    units,
)
from bot.cards.vocabulary import PACKAGE_TYPES, emoji, human
from bot.harness.artifacts import ArtifactList, ArtifactSummary, VersionList, VersionMetadata
from bot.harness.models import epoch_seconds
from bot.refs import DIGEST_RE, ArtifactRef, InvalidScope, RegistryRef, VersionRef, ref_from_path

ACTION_VERSIONS: Final = "artifact_versions"
"""Versions of an artifact, paged in place; the value is `page|artifact path`."""
ACTION_OPEN_VERSION: Final = "open_version"
ACTION_OPEN_ARTIFACT: Final = "open_artifact"
ACTION_ARTIFACTS: Final = "registry_artifacts"
"""A registry's artifacts, paged in place; the value is `page|registry path`."""
ACTION_ARTIFACT_OPEN: Final = "artifact_open_in_harness"
ACTION_ARTIFACT_REFRESH: Final = "artifact_refresh"
ACTION_ARTIFACT_SHARE: Final = "artifact_share"
ACTION_ARTIFACT_PULL: Final = "artifact_how_to_pull"
ACTION_BACK: Final = "artifact_back"

MAX_LABELS: Final = 10
MAX_ROWS: Final = 10
"""Rows on one page of versions or artifacts: a section each, inside Slack's 50 blocks with room to spare."""
MAX_CHOICES: Final = 5

Missing = Literal["registry", "artifact", "version"]


# --- Button values ------------------------------------------------------------------------------------


def artifact_value(ref: ArtifactRef | VersionRef, page: int | None = None) -> str:
    """What a button carries: the API path (`acc/reg/+/artifact/name/+[/version/v][?digest=d]`), after
    `page|` for a paging button."""
    value = ref.path
    if isinstance(ref, VersionRef) and ref.digest is not None and ref.version is not None:
        value += f"?digest={ref.digest}"
    return value if page is None else f"{max(page, 0)}|{value}"


_VALUE: Final = re.compile(
    r"(?:(?P<page>\d{1,6})\|)?(?P<registry>[^?|]+?)/\+/artifact/(?P<name>[^/?|]+)/\+"
    r"(?:/version/(?P<version>[^/?|]+))?(?:\?digest=(?P<digest>[^?|]+))?"
)


def read_value(value: str) -> tuple[ArtifactRef | VersionRef, int] | None:
    """The ref and page a button carried, or None for anything `artifact_value` did not write."""
    found = _VALUE.fullmatch(value) if len(value) <= BUTTON_VALUE_LIMIT else None
    registry = ref_from_path(found["registry"]) if found else None
    if found is None or registry is None:
        return None
    page = int(found["page"] or 0)
    try:
        artifact = ArtifactRef(registry, unquote(found["name"]))
        if found["version"] is None:
            return artifact, page
        version = unquote(found["version"])
        if found["digest"] is None and DIGEST_RE.fullmatch(version):
            return VersionRef(artifact, digest=version), page
        return VersionRef(artifact, version, found["digest"]), page
    except InvalidScope:
        return None


def registry_value(ref: RegistryRef, page: int) -> str:
    return f"{max(page, 0)}|{ref.path}"


def read_registry_value(value: str) -> tuple[RegistryRef, int] | None:
    page, _, path = value.partition("|")
    registry = ref_from_path(path.removesuffix("/+")) if page.isdigit() and len(page) <= 6 else None
    return (registry, int(page)) if registry is not None and registry.path == path else None


# --- The artifact card --------------------------------------------------------------------------------


def where(ref: RegistryRef) -> str:
    """The registry and its scope, in mrkdwn: "`docker-prod` in payments › checkout"."""
    return f"{code(ref.registry, NAME_LIMIT)} in {describe_scope(ref)}"


def artifact_card(
    ref: ArtifactRef,
    summary: ArtifactSummary,
    versions: VersionList | None,
    *,
    ui_base: str,
    requested_by: str | None = None,
    shared_by: str | None = None,
    looked_up_at: int | None = None,
    shareable: bool = False,
) -> Reply:
    """The full card. `versions` is the first page, newest first (latest version and count), if known."""
    package = summary.package_type
    latest = versions.versions[0] if versions is not None and versions.versions else None
    count = versions.item_count if versions is not None else None
    quarantined = summary.is_quarantined or (latest is not None and latest.is_quarantined)
    rows: list[tuple[str, str | None]] = [
        ("Latest version", code(latest.name, NAME_LIMIT) if latest is not None and latest.name else None),
        ("Versions", str(count) if count is not None and count >= 0 else None),
        ("Downloads", str(summary.downloads_count) if summary.downloads_count is not None else None),
        ("Last modified", date(epoch_seconds(summary.modified_at), DAY_AND_TIME)),
        ("Created", date(epoch_seconds(summary.created_at))),
        ("Labels", _labels(summary.labels)),
    ]
    blocks: list[Block | None] = [
        header(cut(f"{emoji(package)} {_name(summary, ref)}", HEADER_LIMIT, measure=units)),
        context(*present([_package(package), f"registry {where(ref.registry)}"])),
        section(f"{WARNING} *Quarantined*: some versions of this artifact are blocked from download.")
        if quarantined
        else None,
        _facts(rows),
        _artifact_buttons(ref, ui_base, shareable=shareable),
        footer(requested_by, shared_by, looked_up_at),
    ]
    name = inline(_name(summary, ref), NAME_LIMIT)
    facts = present(
        [_package(package), f"latest {inline(latest.name, NAME_LIMIT)}" if latest is not None else ""]
    )
    text = fit(f"{name} — {SEP.join(facts)}" if facts else name, FALLBACK_LIMIT)
    return Reply(text=text, blocks=[b for b in blocks if b is not None])


def _name(summary: ArtifactSummary, ref: ArtifactRef) -> str:
    """The artifact's name as Harness sent it, else the one asked for: one line, never blank."""
    return flat(summary.image_name) or ref.name


def _package(package_type: str) -> str:
    return inline(human(PACKAGE_TYPES, package_type), NAME_LIMIT) if package_type.strip() else ""


def _labels(labels: Sequence[str]) -> str | None:
    shown = present(labels)
    if not shown:
        return None
    rendered = [code(label, NAME_LIMIT) for label in shown[:MAX_LABELS]] + [""] * (len(shown) - MAX_LABELS)
    return listing(rendered, sep=" ", max_items=MAX_LABELS, budget=1500)


def _facts(rows: Sequence[tuple[str, str | None]]) -> Block | None:
    shown = [field(title, body) for title, body in rows if body][:MAX_FIELDS]
    return fields(shown) if shown else None


def _artifact_buttons(ref: ArtifactRef, ui_base: str, *, shareable: bool) -> Block | None:
    elements: list[Block] = []
    value = artifact_value(ref)
    if len(value) + 8 <= BUTTON_VALUE_LIMIT:
        elements.append(button("Versions", ACTION_VERSIONS, value=artifact_value(ref, 0), style="primary"))
    url = ref.ui_url(ui_base)
    if len(url) <= URL_LIMIT:
        elements.append(button("Open in Harness", ACTION_ARTIFACT_OPEN, url=url))
    if len(value) <= BUTTON_VALUE_LIMIT:
        elements.append(button("Refresh", ACTION_ARTIFACT_REFRESH, value=value))
        if shareable:
            elements.append(button("Share in channel", ACTION_ARTIFACT_SHARE, value=value))
        elements.append(button("How to pull", ACTION_ARTIFACT_PULL, value=value))
    return actions(elements) if elements else None


def footer(requested_by: str | None, shared_by: str | None, looked_up_at: int | None) -> Block | None:
    """Who the card is for and when it was looked up; a sharer wins over a requester."""
    when = date(looked_up_at, DAY_AND_TIME)
    sharer, requester = mention(shared_by), mention(requested_by)
    who = f"Shared by {sharer}" if sharer else f"Looked up for {requester}" if requester else "Looked up"
    if not (sharer or requester or when):
        return None
    return context(f"{who}{SEP}{when}" if when else who)


# --- Pages of versions and of artifacts ---------------------------------------------------------------


def versions_page(ref: ArtifactRef, versions: VersionList, *, page: int) -> Reply:
    """One page of versions, newest first, each with a button to its version card."""
    title = f"*Versions of {code(ref.name, NAME_LIMIT)}* in {where(ref.registry)}"
    rows = [_version_row(ref, v, i) for i, v in enumerate(versions.versions[:MAX_ROWS])]
    total = versions.item_count
    return _page(
        title,
        [r for r in rows if r is not None],
        page=page,
        total=total,
        more=len(versions.versions) >= MAX_ROWS,
        paging=lambda p: (ACTION_VERSIONS, artifact_value(ref, p)),
        back=button("◀ Artifact", ACTION_BACK, value=artifact_value(ref)),
        empty="This artifact has no versions yet.",
        text=f"Versions of {ref.name}",
    )


def _version_row(ref: ArtifactRef, version: VersionMetadata, index: int) -> Block | None:
    try:
        target = VersionRef(ref, version.name)
    except InvalidScope:
        target = None  # a name the bot could not look up again: shown, without a button
    facts = present(
        [
            inline(version.size, NAME_LIMIT),
            plural(version.digest_count, "platform")
            if version.digest_count and version.digest_count > 1
            else "",
            plural(version.downloads_count, "download") if version.downloads_count is not None else "",
            date(epoch_seconds(version.last_modified)) or "",
            f"{WARNING} quarantined" if version.is_quarantined else "",
        ]
    )
    text = code(version.name or "(unnamed)", NAME_LIMIT) + (f"\n{SEP.join(facts)}" if facts else "")
    value = artifact_value(target) if target is not None else ""
    accessory = (
        button("Open", f"{ACTION_OPEN_VERSION}_{index}", value=value)
        if target is not None and len(value) <= BUTTON_VALUE_LIMIT
        else None
    )
    return section(text, accessory)


def artifacts_page(ref: RegistryRef, artifacts: ArtifactList, *, page: int) -> Reply:
    """One page of a registry's artifacts, the latest version beside each, each opening its card."""
    rows: list[Block] = []
    for index, item in enumerate(artifacts.artifacts[:MAX_ROWS]):
        try:
            target: ArtifactRef | None = ArtifactRef(ref, item.name)
        except InvalidScope:
            target = None
        facts = present(
            [
                f"latest {code(item.latest_version, NAME_LIMIT)}" if item.latest_version.strip() else "",
                plural(item.downloads_count, "download") if item.downloads_count is not None else "",
                date(epoch_seconds(item.last_modified)) or "",
                f"{WARNING} quarantined" if item.is_quarantined else "",
            ]
        )
        text = f"{emoji(item.package_type)} {code(item.name or '(unnamed)', NAME_LIMIT)}"
        value = artifact_value(target) if target is not None else ""
        accessory = (
            button("Open", f"{ACTION_OPEN_ARTIFACT}_{index}", value=value)
            if target is not None and len(value) <= BUTTON_VALUE_LIMIT
            else None
        )
        rows.append(section(text + (f"\n{SEP.join(facts)}" if facts else ""), accessory))
    return _page(
        f"*Artifacts in {where(ref)}*",
        rows,
        page=page,
        total=artifacts.item_count,
        more=len(artifacts.artifacts) >= MAX_ROWS,
        paging=lambda p: (ACTION_ARTIFACTS, registry_value(ref, p)),
        back=None,
        empty="This registry holds no artifacts yet.",
        text=f"Artifacts in {ref.registry}",
    )


def _page(
    title: str,
    rows: list[Block],
    *,
    page: int,
    total: int | None,
    more: bool,
    paging: Callable[[int], tuple[str, str]],
    back: Block | None,
    empty: str,
    text: str,
) -> Reply:
    shown_from = page * MAX_ROWS + 1
    count = f"{shown_from}–{shown_from + len(rows) - 1} of {total}" if total and rows else ""
    blocks: list[Block] = [section(title), *(rows or [section(empty)])]
    if count:
        blocks.append(context(count))
    nav: list[Block] = [back] if back is not None else []
    if page > 0:
        action, value = paging(page - 1)
        nav.append(button("◀ Previous", f"{action}_previous", value=value))
    has_next = more and (total is None or (page + 1) * MAX_ROWS < total)
    if has_next:
        action, value = paging(page + 1)
        nav.append(button("Next ▶", f"{action}_next", value=value, style="primary"))
    if nav:
        blocks.append(actions(nav))
    return Reply(text=fit(text, FALLBACK_LIMIT), blocks=blocks)


# --- Unfurl and not found -----------------------------------------------------------------------------


def compact_artifact(
    ref: ArtifactRef, summary: ArtifactSummary, latest: str | None, *, ui_base: str
) -> dict[str, list[Block]]:
    """A quiet preview for `chat.unfurl`: the name as a link, one context line."""
    url = ref.ui_url(ui_base)
    name = inline(_name(summary, ref), NAME_LIMIT)
    title = f"{emoji(summary.package_type)} {link(url, name) if len(url) <= URL_LIMIT else name}"
    facts = present(
        [
            _package(summary.package_type),
            f"latest {code(latest, NAME_LIMIT)}" if latest else "",
            where(ref.registry),
            plural(summary.downloads_count, "download") if summary.downloads_count is not None else "",
            f"{WARNING} quarantined" if summary.is_quarantined else "",
        ]
    )
    return {"blocks": [section(title), context(*facts)]}


def not_found(
    missing: Missing,
    ref: RegistryRef | ArtifactRef | VersionRef,
    choices: Sequence[ArtifactRef | VersionRef] = (),
) -> Reply:
    """Which part was not found, in the user's terms, and up to five close names as buttons."""
    registry = ref if isinstance(ref, RegistryRef) else ref.registry
    if missing == "registry":
        name = code(registry.registry, NAME_LIMIT)
        what = f"I couldn't find a registry named {name} in {describe_scope(registry)}."
    elif missing == "artifact" and not isinstance(ref, RegistryRef):
        name = ref.name if isinstance(ref, ArtifactRef) else ref.artifact.name
        what = f"I couldn't find an artifact named {code(name, NAME_LIMIT)} in registry {where(registry)}."
    elif isinstance(ref, VersionRef):
        what = (
            f"I couldn't find version {code(ref.label, NAME_LIMIT)} of {code(ref.artifact.name, NAME_LIMIT)} "
            f"in registry {where(registry)}."
        )
    else:
        what = f"I couldn't find that in registry {where(registry)}."
    buttons = [
        button(_choice_label(choice), f"{_open_action(choice)}_{i}", value=artifact_value(choice))
        for i, choice in enumerate(choices[:MAX_CHOICES])
        if len(artifact_value(choice)) <= BUTTON_VALUE_LIMIT
    ]
    next_step = (
        "Did you mean one of these?" if buttons else "Check the spelling, or paste the link from Harness."
    )
    blocks = [section(f"{what}\n{next_step}"), *([actions(buttons)] if buttons else [])]
    plain = f"{what} {next_step}".replace("`", "")
    return Reply(text=fit(plain, FALLBACK_LIMIT), blocks=blocks)


def _open_action(choice: ArtifactRef | VersionRef) -> str:
    return ACTION_OPEN_ARTIFACT if isinstance(choice, ArtifactRef) else ACTION_OPEN_VERSION


def _choice_label(choice: ArtifactRef | VersionRef) -> str:
    label = choice.name if isinstance(choice, ArtifactRef) else choice.label
    return cut(flat(label), 70, measure=units)
