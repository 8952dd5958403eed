"""The version card: which tag and digest, how big, who pushed it and when, how to pull exactly this one.

Built from whatever the lookup could get: `details` (the only body with `createdBy`), Docker's details for
one digest (size, `pullCommandByDigest`) and its per-platform manifests, or a package's files. Any of them
may be missing; the card shows what is known and leaves the rest out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from bot.cards.artifact import (
    ACTION_ARTIFACT_PULL,
    ACTION_ARTIFACT_REFRESH,
    ACTION_ARTIFACT_SHARE,
    ACTION_BACK,
    artifact_value,
    footer,
    where,
)
from bot.cards.blocks import Block, Reply, actions, button, context, field, fields, header, section
from bot.cards.rendered import RenderedCards
from bot.cards.text import (
    BUTTON_VALUE_LIMIT,
    DAY_AND_TIME,
    FALLBACK_LIMIT,
    HEADER_LIMIT,
    MAX_FIELDS,
    NAME_LIMIT,
    SECTION_LIMIT,
    SEP,
    URL_LIMIT,
    WARNING,
    code,
    cut,
    date,
    escape,
    fit,
    flat,
    inline,
    link,
    listing,
    present,
    units,
)
from bot.cards.vocabulary import PACKAGE_TYPES, emoji, human
from bot.harness.artifacts import FileList, Manifests, VersionFacts
from bot.refs import DIGEST_RE, VersionRef

ACTION_VERSION_OPEN: Final = "version_open_in_harness"
ACTION_FULL_DIGEST: Final = "version_full_digest"
SHORT_DIGEST_HEX: Final = 12
MAX_PLATFORMS: Final = 10
MAX_FILES: Final = 10
COMMAND_LIMIT: Final = 600
"""A pull command longer than this is not one anybody copies from chat."""


def short_digest(digest: str) -> str:
    """`sha256:0123456789ab…`: enough to tell two images apart at a glance."""
    algorithm, _, hexdigits = digest.partition(":")
    if not hexdigits:
        return cut(digest, SHORT_DIGEST_HEX + 8, measure=units)
    return f"{algorithm}:{hexdigits[:SHORT_DIGEST_HEX]}…" if len(hexdigits) > SHORT_DIGEST_HEX else digest


def version_card(
    ref: VersionRef,
    facts: VersionFacts,
    *,
    ui_base: str,
    requested_by: str | None = None,
    shared_by: str | None = None,
    looked_up_at: int | None = None,
    shareable: bool = False,
) -> Reply:
    """The full card. `ref.digest`, when known, is the image it is about (one platform, or the index)."""
    text, body = _bodies.get(facts, (ref, ui_base, shareable), lambda: _body(ref, facts, ui_base, shareable))
    end = footer(requested_by, shared_by, looked_up_at)
    return Reply(text=text, blocks=[*body, end] if end is not None else body)


def _body(ref: VersionRef, facts: VersionFacts, ui_base: str, shareable: bool) -> tuple[str, list[Block]]:
    """The fallback text and the blocks above the footer: rendered once per looked-up version."""
    package = facts.package_type
    quarantined, reason = facts.quarantine
    by_tag, by_digest = facts.pull_commands(ref)
    rows = [
        ("Digest", code(short_digest(ref.digest), NAME_LIMIT) if ref.digest else None),
        ("Size", inline(facts.size, NAME_LIMIT) if facts.size else None),
        ("Pushed by", inline(facts.created_by, NAME_LIMIT) if facts.created_by else None),
        ("Pushed", date(facts.created_at, DAY_AND_TIME)),
        ("Downloads", str(facts.downloads) if facts.downloads is not None else None),
    ]
    shown = [field(title, body) for title, body in rows if body][:MAX_FIELDS]
    blocks: list[Block | None] = [
        header(cut(f"{emoji(package)} {flat(_title(ref))}", HEADER_LIMIT, measure=units)),
        context(*present([_package(package), f"registry {where(ref.registry)}"])),
        _quarantine(reason) if quarantined else None,
        fields(shown) if shown else None,
        _pulls(by_tag, by_digest),
        _platforms(facts.manifests, ref.digest),
        _files(facts.files),
        _buttons(ref, ui_base, shareable=shareable),
    ]
    summary = present(
        [
            short_digest(ref.digest) if ref.digest else "",
            inline(facts.size, NAME_LIMIT),
            f"pushed by {inline(facts.created_by, NAME_LIMIT)}" if facts.created_by else "",
            "QUARANTINED" if quarantined else "",
        ]
    )
    text = fit(f"{flat(_title(ref))} — {SEP.join(summary)}" if summary else flat(_title(ref)), FALLBACK_LIMIT)
    return text, [b for b in blocks if b is not None]


_bodies: RenderedCards[tuple[str, list[Block]]] = RenderedCards()


def _title(ref: VersionRef) -> str:
    name = cut(ref.artifact.name, NAME_LIMIT, measure=units)
    return f"{name}:{ref.version}" if ref.version else f"{name}@{short_digest(ref.digest or '')}"


def _package(package_type: str) -> str:
    return inline(human(PACKAGE_TYPES, package_type), NAME_LIMIT) if package_type.strip() else ""


def _quarantine(reason: str) -> Block:
    why = f": {inline(reason, 400)}" if reason.strip() else ""
    return section(
        f"{WARNING} *Quarantined*{why}\nHarness blocks downloads of this version until it is released."
    )


def command_block(command: str) -> str:
    """A command as a mrkdwn code block, on one line, cut to a copyable length."""
    return f"```{inline(command, COMMAND_LIMIT)}```"


def _pulls(by_tag: str, by_digest: str) -> Block | None:
    lines = []
    if by_tag:
        lines.append(f"*Pull by tag*\n{command_block(by_tag)}")
    if by_digest:
        lines.append(f"*Pull by digest* (exactly this image)\n{command_block(by_digest)}")
    return section("\n".join(lines)) if lines else None


def _platforms(manifests: Manifests | None, current: str | None) -> Block | None:
    entries = manifests.manifests if manifests is not None else []
    if len(entries) < 2 and not (entries and entries[0].digest != current):
        return None  # one platform, the one this card is about: nothing to add
    lines = []
    for entry in entries[:MAX_PLATFORMS]:
        parts = present(
            [
                code(entry.os_arch or "unknown platform", NAME_LIMIT),
                code(short_digest(entry.digest), NAME_LIMIT) if entry.digest else "",
                inline(entry.size, NAME_LIMIT),
                f"{WARNING} quarantined" if entry.is_quarantined else "",
                "(this one)" if current and entry.digest == current else "",
            ]
        )
        lines.append("• " + " ".join(parts))
    lines += [""] * (len(entries) - MAX_PLATFORMS)
    title = f"*Platforms* ({len(entries)})\n"
    return section(
        title + listing(lines, sep="\n", max_items=MAX_PLATFORMS, budget=SECTION_LIMIT - units(title))
    )


def _files(files: FileList | None) -> Block | None:
    entries = files.files if files is not None else []
    if not entries:
        return None
    lines = []
    for entry in entries[:MAX_FILES]:
        checksum = next((c for c in entry.checksums if c.strip()), "")
        parts = present(
            [code(entry.name or "(unnamed)", NAME_LIMIT), inline(entry.size, NAME_LIMIT), _checksum(checksum)]
        )
        lines.append("• " + SEP.join(parts))
    lines += [""] * (len(entries) - len(lines))  # counted by `listing` as "+N more"
    total = files.item_count if files is not None and files.item_count else 0
    title = f"*Files* ({max(total, len(entries))})\n"
    return section(title + listing(lines, sep="\n", max_items=MAX_FILES, budget=SECTION_LIMIT - units(title)))


def _checksum(text: str) -> str:
    """`SHA-256 0123456789ab…`, from Harness's "SHA-256: <hex>"."""
    if not text.strip():
        return ""
    kind, _, value = text.partition(":")
    value = value.strip() if value else kind.strip()
    label = kind.strip() if value != kind.strip() else ""
    shown = value[:SHORT_DIGEST_HEX] + "…" if len(value) > SHORT_DIGEST_HEX else value
    return f"{inline(label, 20)} {code(shown, 40)}".strip()


def _buttons(ref: VersionRef, ui_base: str, *, shareable: bool) -> Block | None:
    elements: list[Block] = []
    url = ref.ui_url(ui_base)
    if len(url) <= URL_LIMIT:
        elements.append(button("Open in Harness", ACTION_VERSION_OPEN, url=url, style="primary"))
    value = artifact_value(ref)
    if len(value) <= BUTTON_VALUE_LIMIT:
        if ref.digest:
            elements.append(button("Full digest", ACTION_FULL_DIGEST, value=value))
        elements.append(button("Refresh", ACTION_ARTIFACT_REFRESH, value=value))
        if shareable:
            elements.append(button("Share in channel", ACTION_ARTIFACT_SHARE, value=value))
        elements.append(button("How to pull", ACTION_ARTIFACT_PULL, value=value))
    back = artifact_value(ref.artifact)
    if len(back) <= BUTTON_VALUE_LIMIT:
        elements.append(button("◀ Artifact", ACTION_BACK, value=back))
    return actions(elements) if elements else None


def full_digest(ref: VersionRef) -> Reply:
    """The whole digest, for the "Full digest" button: ephemeral, copyable."""
    digest = ref.digest if ref.digest and DIGEST_RE.fullmatch(ref.digest) else None
    if digest is None:
        return Reply(
            text="This version has no digest I know of.",
            blocks=[section("This version has no digest I know of.")],
        )
    return Reply(text=digest, blocks=[section(f"*{escape(flat(_title(ref)))}*\n```{digest}```")])


def compact_version(ref: VersionRef, facts: VersionFacts, *, ui_base: str) -> dict[str, list[Block]]:
    """The unfurl: the version as a link, its digest, size, who pushed it and when, the pull-by-digest."""
    url = ref.ui_url(ui_base)
    name = inline(_title(ref), NAME_LIMIT + 40)
    title = f"{emoji(facts.package_type)} {link(url, name) if len(url) <= URL_LIMIT else name}"
    quarantined, _ = facts.quarantine
    who = f"pushed by {inline(facts.created_by, NAME_LIMIT)}" if facts.created_by else ""
    when = date(facts.created_at, DAY_AND_TIME) or ""
    line = present(
        [
            f"{WARNING} quarantined" if quarantined else "",
            code(short_digest(ref.digest), NAME_LIMIT) if ref.digest else "",
            inline(facts.size, NAME_LIMIT) if facts.size else "",
            " ".join(present([who, when])),
            where(ref.registry),
        ]
    )
    blocks: list[Block] = [section(title), context(*line)]
    _, by_digest = facts.pull_commands(ref)
    if by_digest:
        blocks.append(section(command_block(by_digest)))
    return {"blocks": blocks}


def pull_lines(ref: VersionRef, facts: VersionFacts) -> Sequence[str]:
    """The pull commands as plain text lines, for "How to pull" on a version."""
    return [c for c in facts.pull_commands(ref) if c]
