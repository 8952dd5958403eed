"""How to pull from a registry: Harness's client set-up steps as code blocks, as plain Block Kit dicts.

Shown only to the asker. Harness's placeholders (such as `<TOKEN>`) stay placeholders: the steps are
shown as they came, escaped. Any body, however large or deeply nested, stays inside Block Kit's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from bot.cards import blocks as kit
from bot.cards.blocks import Reply
from bot.cards.text import (
    HEADER_LIMIT,
    NAME_LIMIT,
    SECTION_LIMIT,
    cut,
    describe_scope,
    escape,
    flat,
    inline,
    link,
    units,
)
from bot.cards.vocabulary import DEFAULT_EMOJI, PACKAGE_EMOJI
from bot.harness.models import ClientSetupDetails, SetupSection, SetupStep
from bot.refs import RegistryRef

MAX_BLOCKS: Final = 45
"""Blocks for the steps; the rest of Slack's 50 is for the header, the intro and the closing line."""
MAX_DEPTH: Final = 3
"""Tabs nest sections; deeper than this is not shown."""
COMMAND_LIMIT: Final = 1200
"""A single command longer than this is cut (a step's section holds several)."""
STEP_BUDGET: Final = SECTION_LIMIT - 100
PLACEHOLDER_HINT: Final = (
    "🔑 Where a step says `&lt;TOKEN&gt;` (or similar), use a Harness token of your own: "
    "Profile › API keys in Harness."
)


def _code_block(value: str) -> str:
    """A multi-line code block. Slack has no escape for ``` inside one, so lookalikes stand in."""
    text = cut(value.strip("\n").replace("`", "ˋ"), COMMAND_LIMIT, measure=units)
    return f"```{escape(text)}```"


def _step(step: SetupStep) -> str | None:
    lines: list[str] = []
    if step.header.strip():
        lines.append(f"*{inline(step.header, 300)}*")
    used = sum(units(line) + 1 for line in lines)
    commands = [c for c in step.commands if c.value.strip() or c.label.strip()]
    for index, command in enumerate(commands):
        part = ""
        if command.label.strip():
            part += inline(command.label, 300) + "\n"
        if command.value.strip():
            part += _code_block(command.value)
        reserve = units(f"\n+{len(commands) - index} more") if index + 1 < len(commands) else 0
        if used + units(part) + 1 + reserve > STEP_BUDGET:
            lines.append(f"+{len(commands) - index} more (see Harness)")
            break
        lines.append(part)
        used += units(part) + 1
    return "\n".join(lines) if lines else None


def _sections(sections: Sequence[SetupSection], depth: int, blocks: list[dict[str, Any]]) -> bool:
    """Append the sections' blocks; False once the block budget is spent."""
    for section in sections:
        heading = [f"*{inline(section.header, 300)}*"] if section.header.strip() else []
        if section.sec_header.strip():
            heading.append(inline(section.sec_header, 600))
        if heading:
            if len(blocks) >= MAX_BLOCKS:
                return False
            blocks.append(kit.section("\n".join(heading)))
        for step in section.steps:
            text = _step(step)
            if text is None:
                continue
            if len(blocks) >= MAX_BLOCKS:
                return False
            blocks.append(kit.section(text))
        for tab in section.tabs:
            if depth >= MAX_DEPTH:
                break
            if tab.header.strip():
                if len(blocks) >= MAX_BLOCKS:
                    return False
                blocks.append(kit.section(f"*▸ {inline(tab.header, 300)}*"))
            if not _sections(tab.sections, depth + 1, blocks):
                return False
    return True


def pull_steps(
    details: ClientSetupDetails, ref: RegistryRef, *, ui_base: str, package_type: str = ""
) -> Reply:
    """The client set-up steps for a registry, for the asker only."""
    emoji = PACKAGE_EMOJI.get(package_type, DEFAULT_EMOJI)
    title = cut(f"{emoji} How to pull from {flat(ref.registry)}", HEADER_LIMIT, measure=units)
    blocks: list[dict[str, Any]] = [kit.header(title)]
    intro = [inline(text, 600) for text in (details.main_header, details.sec_header) if text.strip()]
    intro.append(describe_scope(ref))
    blocks.append(kit.context(" · ".join(intro)))
    steps: list[dict[str, Any]] = []
    complete = _sections(details.sections, 0, steps)
    if not steps:
        steps.append(kit.section("Harness has no set-up steps for this registry's package type."))
    blocks.extend(steps)
    harness = link(ref.ui_url(ui_base), "Harness")
    closing = PLACEHOLDER_HINT if complete else f"More steps in {harness}. {PLACEHOLDER_HINT}"
    blocks.append(kit.context(closing))
    text = f"How to pull from {inline(ref.registry, NAME_LIMIT)} ({describe_scope(ref)})"
    return Reply(text=text, blocks=blocks)
