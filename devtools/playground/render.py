"""Block Kit drawn as HTML, the way Slack draws it, for the playground page: messages' blocks, and the
views (App Home, modals) with the input elements they hold. Text objects are drawn by `mrkdwn`.

Pure functions from JSON-shaped blocks (what the app sent) to HTML strings; nothing here does I/O.
Rendering happens here, on the server, rather than in the page's JavaScript so that every block and
element type, and every escaping rule, is unit-tested in Python under `mypy --strict`; the page only
swaps in the HTML it is given and moves `<!date>` times into the reader's zone.

Safety: every piece of text and every attribute is HTML-escaped, only `http(s)` and `mailto` URLs ever
become links, and images are drawn as labelled placeholders instead of being fetched, so the page loads
nothing from outside this machine whatever a message holds. Input elements are drawn for the page to
drive: they carry their ids and what the user entered, and the page never needs to parse them back.
"""

from __future__ import annotations

import itertools
import json
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from devtools.playground.mrkdwn import (
    Names,
    esc,
    format_date,
    mrkdwn,
    plain_text,
    render_text_object,
    safe_url,
    unslack,
)

__all__ = [
    "BLOCK_KIT_BUILDER",
    "Conversation",
    "Names",
    "Values",
    "builder_url",
    "format_date",
    "mrkdwn",
    "option_label",
    "options_of",
    "plain_text",
    "render_blocks",
    "render_text_object",
    "render_view",
]

BLOCK_KIT_BUILDER: Final = "https://app.slack.com/block-kit-builder/#"

MAX_OPTIONS: Final = 100
"""Slack shows at most 100 options in one menu."""
DEFAULT_MIN_QUERY: Final = 3
"""Slack's `min_query_length` when an external select gives none."""

Values = Mapping[str, Mapping[str, Any]]
"""What the user has entered in a view so far, by block_id then action_id ("raw values"): an external
select `{"value": str, "label": str}`, a conversations select a conversation id, checkboxes the ticked
options' values, a text input its text."""
Conversation = tuple[str, str, bool]
"""A conversation a conversations select offers: `(id, name, is_im)`."""


def builder_url(blocks: Sequence[Mapping[str, Any]]) -> str:
    """The same blocks opened in Slack's Block Kit Builder."""
    payload = json.dumps({"blocks": list(blocks)}, separators=(",", ":"), ensure_ascii=False)
    return BLOCK_KIT_BUILDER + urllib.parse.quote(payload, safe="")


# ---------------------------------------------------------------------------------------------------------
# Elements and blocks.


class _Draw:
    """Draws one message's or view's blocks; what it is given is the same for every block in it."""

    def __init__(
        self,
        *,
        names: Names,
        now: datetime | None,
        interactive: bool,
        values: Values | None = None,
        errors: Mapping[str, str] | None = None,
        conversations: Sequence[Conversation] = (),
    ) -> None:
        self.names = names
        self.now = now
        self.interactive = interactive
        self.values: Mapping[Any, Any] = values if isinstance(values, Mapping) else {}
        self.errors: Mapping[Any, Any] = errors if isinstance(errors, Mapping) else {}
        self.conversations = tuple(conversations)
        self.disabled = "" if interactive else " disabled"

    def text(self, obj: Any) -> str:
        return render_text_object(obj, names=self.names, now=self.now)

    def element(self, element: Any, block_id: str, *, dispatch: bool = True) -> str:
        """One element; an input element sends block_actions at once (`dispatch`) unless it sits in an
        input block without `dispatch_action`, whose value waits for the view_submission."""
        if not isinstance(element, Mapping):
            return ""
        kind = element.get("type")
        if kind == "button":
            return self.button(element, block_id)
        if kind == "image":
            return _image_placeholder(element, "bk-image-element")
        if kind in ("plain_text", "mrkdwn"):
            return f'<span class="bk-context-text">{self.text(element)}</span>'
        draw = self._INPUTS.get(str(kind))
        if draw is None:
            return _unsupported(f"{kind} element", inline=True)
        action_id = str(element.get("action_id", ""))
        attrs = (
            f'data-kind="{esc(str(kind))}" data-block-id="{esc(block_id)}" '
            f'data-action-id="{esc(action_id)}"' + (' data-dispatch="1"' if dispatch else "")
        )
        return draw(self, element, attrs, self.entered(block_id, action_id))

    def entered(self, block_id: str, action_id: str) -> Any:
        """What the user entered in this element so far, unchecked; None when nothing."""
        by_action = self.values.get(block_id)
        return by_action.get(action_id) if isinstance(by_action, Mapping) else None

    def external_select(self, element: Mapping[str, Any], attrs: str, entered: Any) -> str:
        chosen = _entered_option(entered) or _option_pair(element.get("initial_option"))
        value, label = chosen or ("", "")
        hint = esc(_placeholder(element))
        least = element.get("min_query_length")
        least = least if _is_count(least) else DEFAULT_MIN_QUERY
        return (
            f'<div class="bk-input-element bk-external-select" {attrs} data-min-query="{least}" '
            f'data-value="{esc(value)}" data-label="{esc(label)}">'
            f'<input type="search" class="bk-select-search" placeholder="{hint}" value="{esc(label)}" '
            f'aria-label="{hint}" autocomplete="off"{self.disabled}>'
            '<ul class="bk-select-options" role="listbox" hidden></ul></div>'
        )

    def conversations_select(self, element: Mapping[str, Any], attrs: str, entered: Any) -> str:
        chosen = entered if isinstance(entered, str) else element.get("initial_conversation")
        where = element.get("filter")
        include = where.get("include") if isinstance(where, Mapping) else None
        with_dms = not isinstance(include, list) or "im" in include
        shown = [
            (conversation_id, f"@{name}" if is_im else f"#{name}")
            for conversation_id, name, is_im in self.conversations
            if with_dms or not is_im
        ]
        return self.select("bk-conversations-select", element, attrs, shown, chosen)

    def static_select(self, element: Mapping[str, Any], attrs: str, entered: Any) -> str:
        chosen = entered if isinstance(entered, str) else (_entered_option(entered) or ("", ""))[0]
        if not chosen:
            chosen = (_option_pair(element.get("initial_option")) or ("", ""))[0]
        shown = [(option["value"], option["label"]) for option in options_of(element)]
        return self.select("bk-static-select", element, attrs, shown, chosen)

    def select(
        self, css: str, element: Mapping[str, Any], attrs: str, shown: list[tuple[str, str]], chosen: Any
    ) -> str:
        """A native menu: the placeholder first, then `shown` (value, text); the first `chosen` selected."""
        items = [f'<option value="">{esc(_placeholder(element))}</option>']
        for value, text in shown:
            picked = bool(chosen) and value == chosen
            chosen = None if picked else chosen
            items.append(f'<option value="{esc(value)}"{" selected" if picked else ""}>{esc(text)}</option>')
        return f'<select class="bk-input-element {css}" {attrs}{self.disabled}>{"".join(items)}</select>'

    def checkboxes(self, element: Mapping[str, Any], attrs: str, entered: Any) -> str:
        if isinstance(entered, list) and all(isinstance(value, str) for value in entered):
            ticked = set(entered)
        else:
            initial = element.get("initial_options")
            ticked = {_value(option) for option in initial} if isinstance(initial, list) else set()
        choices = element.get("options")
        boxes = [
            f'<label class="bk-checkbox"><input type="checkbox" value="{esc(value)}"'
            f"{' checked' if value in ticked else ''}{self.disabled}> {self.text(option.get('text'))}</label>"
            for option in (choices if isinstance(choices, list) else [])
            if (value := _value(option)) is not None
        ]
        return f'<div class="bk-input-element bk-checkboxes" {attrs}>{"".join(boxes)}</div>'

    def plain_text_input(self, element: Mapping[str, Any], attrs: str, entered: Any) -> str:
        value = entered if isinstance(entered, str) else element.get("initial_value")
        value = value if isinstance(value, str) else ""
        limit = element.get("max_length")
        common = (
            f'class="bk-input-element bk-text-input" {attrs} placeholder="{esc(_placeholder(element))}"'
            + (f' maxlength="{limit}"' if _is_count(limit) else "")
            + self.disabled
        )
        if element.get("multiline") is True:
            # A newline right after <textarea> is dropped by the HTML parser: this one, not the text's own.
            return f"<textarea {common}>\n{esc(value)}</textarea>"
        return f'<input type="text" {common} value="{esc(value)}">'

    _INPUTS: Final[dict[str, Callable[[_Draw, Mapping[str, Any], str, Any], str]]] = {
        "external_select": external_select,
        "conversations_select": conversations_select,
        "static_select": static_select,
        "checkboxes": checkboxes,
        "plain_text_input": plain_text_input,
    }

    def button(self, element: Mapping[str, Any], block_id: str) -> str:
        style = element.get("style")
        classes = "bk-button" + (f" bk-{style}" if style in ("primary", "danger") else "")
        attrs = (
            f'class="{classes}" data-block-id="{esc(block_id)}" '
            f'data-action-id="{esc(str(element.get("action_id", "")))}"'
        )
        confirm = element.get("confirm")
        if isinstance(confirm, Mapping):
            question = " ".join(
                unslack(str(confirm[key].get("text", "")))
                for key in ("title", "text")
                if isinstance(confirm.get(key), Mapping)
            )
            attrs += f' data-confirm="{esc(question)}"'
        if not self.interactive:
            attrs += " disabled"
        label = self.text(element.get("text"))
        url = safe_url(str(element["url"])) if isinstance(element.get("url"), str) else None
        if url is not None:
            return f'<a {attrs} href="{esc(url)}" target="_blank" rel="noopener noreferrer">{label}</a>'
        return f'<button type="button" {attrs}>{label}</button>'

    def block(self, block: Any, index: int) -> str:
        if not isinstance(block, Mapping):
            return _unsupported("block")
        kind = block.get("type")
        block_id = str(block.get("block_id") or f"b{index}")
        draw = self._BLOCKS.get(str(kind))
        if draw is None:
            return _unsupported(f"{kind} block")
        inner = draw(self, block, block_id)
        return f'<div class="bk-block bk-{esc(str(kind))}" data-block-id="{esc(block_id)}">{inner}</div>'

    def header(self, block: Mapping[str, Any], _: str) -> str:
        return f'<h3 class="bk-header-text">{self.text(block.get("text"))}</h3>'

    def section(self, block: Mapping[str, Any], block_id: str) -> str:
        body = ""
        if block.get("text") is not None:
            body += f'<div class="bk-section-text">{self.text(block.get("text"))}</div>'
        fields = block.get("fields")
        if isinstance(fields, list) and fields:
            cells = "".join(f'<div class="bk-field">{self.text(field)}</div>' for field in fields)
            body += f'<div class="bk-fields">{cells}</div>'
        accessory = block.get("accessory")
        if accessory is not None:
            body = (
                f'<div class="bk-section-body">{body}</div>'
                f'<div class="bk-accessory">{self.element(accessory, block_id)}</div>'
            )
        return body

    def context(self, block: Mapping[str, Any], block_id: str) -> str:
        elements = block.get("elements")
        items = elements if isinstance(elements, list) else []
        return "".join(self.element(element, block_id) for element in items)

    def actions(self, block: Mapping[str, Any], block_id: str) -> str:
        return self.context(block, block_id)

    def divider(self, _block: Mapping[str, Any], _: str) -> str:
        return '<hr class="bk-divider-line">'

    def image(self, block: Mapping[str, Any], _: str) -> str:
        title = self.text(block.get("title"))
        caption = f'<div class="bk-image-title">{title}</div>' if title else ""
        return caption + _image_placeholder(block, "bk-image-block")

    def input_block(self, block: Mapping[str, Any], block_id: str) -> str:
        label = self.text(block.get("label"))
        if block.get("optional") is True:
            label += ' <span class="bk-optional">(optional)</span>'
        body = f'<label class="bk-input-label">{label}</label>'
        body += self.element(block.get("element"), block_id, dispatch=block.get("dispatch_action") is True)
        hint = self.text(block.get("hint"))
        if hint:
            body += f'<div class="bk-hint">{hint}</div>'
        error = self.errors.get(block_id)
        if isinstance(error, str) and error:
            body += f'<div class="bk-error" role="alert">{plain_text(error)}</div>'
        return body

    _BLOCKS: Final[dict[str, Callable[[_Draw, Mapping[str, Any], str], str]]] = {
        "header": header,
        "section": section,
        "context": context,
        "actions": actions,
        "divider": divider,
        "image": image,
        "input": input_block,
    }


def _image_placeholder(element: Mapping[str, Any], css: str) -> str:
    """An image as its alt text and link: the playground never fetches anything from outside."""
    alt = esc(str(element.get("alt_text", "image")))
    url = element.get("image_url")
    link = safe_url(url) if isinstance(url, str) else None
    label = f"🖼 {alt}"
    if link:
        label = f'<a href="{esc(link)}" target="_blank" rel="noopener noreferrer">{label}</a>'
    return f'<span class="bk-image {css}" title="{alt}">{label}</span>'


def _unsupported(what: str, *, inline: bool = False) -> str:
    tag = "span" if inline else "div"
    return (
        f'<{tag} class="bk-unsupported">Slack would draw a <code>{esc(what)}</code> here; '
        f"the playground doesn't draw that yet.</{tag}>"
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _placeholder(element: Mapping[str, Any]) -> str:
    """An element's placeholder as a plain string (for an attribute), "" when it has none."""
    placeholder = element.get("placeholder")
    text = placeholder.get("text") if isinstance(placeholder, Mapping) else None
    return text if isinstance(text, str) else ""


def _value(option: Any) -> str | None:
    value = option.get("value") if isinstance(option, Mapping) else None
    return value if isinstance(value, str) else None


def _option_pair(option: Any) -> tuple[str, str] | None:
    """A select option as (value, label); None when it is not one Slack would take."""
    value, label = _value(option), option_label(option)
    return None if value is None or label is None else (value, label)


def _entered_option(entered: Any) -> tuple[str, str] | None:
    """A select's raw value `{"value": …, "label": …}` as (value, label); None when it is not one."""
    if not isinstance(entered, Mapping):
        return None
    value, label = entered.get("value"), entered.get("label")
    return (value, label) if isinstance(value, str) and isinstance(label, str) else None


def render_blocks(
    blocks: Sequence[Any],
    *,
    names: Names | None = None,
    now: datetime | None = None,
    interactive: bool = True,
    values: Values | None = None,
    errors: Mapping[str, str] | None = None,
    conversations: Sequence[Conversation] = (),
) -> str:
    """A message's or view's blocks as HTML, in order. Buttons and input elements carry `data-block-id`
    and `data-action-id`, which the page sends back; with `interactive` False they are drawn disabled.
    Input elements show `values` (what the user entered, by block and action id; else their initial
    value), input blocks the `errors` by block id, conversations selects `conversations`.
    """
    draw = _Draw(
        names=names or {},
        now=now,
        interactive=interactive,
        values=values,
        errors=errors,
        conversations=conversations,
    )
    return "".join(draw.block(block, index) for index, block in enumerate(blocks))


def render_view(
    view: Mapping[str, Any],
    *,
    view_id: str,
    values: Values | None = None,
    errors: Mapping[str, str] | None = None,
    names: Names | None = None,
    conversations: Sequence[Conversation] = (),
    now: datetime | None = None,
) -> str:
    """A Home tab or a modal as HTML, its blocks drawn by `render_blocks`; the modal's buttons carry
    `data-view-action` (close, submit). Any other view is a note that Slack would refuse it."""
    kind = view.get("type") if isinstance(view, Mapping) else None
    if kind not in ("home", "modal"):
        shown = f"a view of type {kind}" if isinstance(kind, str) else "a view without a type"
        return f'<div class="bk-unsupported">Slack would refuse this view: {esc(shown[:100])}.</div>'
    blocks = view.get("blocks")
    drawn = render_blocks(
        blocks if isinstance(blocks, list) else [],
        names=names,
        now=now,
        values=values,
        errors=errors,
        conversations=conversations,
    )
    vid = esc(view_id)
    if kind == "home":
        return f'<div class="home-view" data-view-id="{vid}">{drawn}</div>'
    close = render_text_object(view.get("close")) or "Cancel"
    submit = ""
    if view.get("submit") is not None:
        label = render_text_object(view.get("submit")) or "Submit"
        submit = f'<button type="button" class="modal-submit" data-view-action="submit">{label}</button>'
    return (
        f'<div class="modal" role="dialog" aria-modal="true" aria-labelledby="modal-title-{vid}" '
        f'data-view-id="{vid}"><header class="modal-head">'
        f'<h2 class="modal-title" id="modal-title-{vid}">{render_text_object(view.get("title"))}</h2>'
        '<button type="button" class="modal-x" data-view-action="close" aria-label="Close">×</button>'
        f'</header><div class="modal-body">{drawn}</div><footer class="modal-foot">'
        f'<button type="button" class="modal-cancel" data-view-action="close">{close}</button>{submit}'
        "</footer></div>"
    )


def option_label(option: Any) -> str | None:
    """A select option's text as a plain string (unescaped: the page sets it as text), or None when the
    option has no plain_text text, which Slack requires in a menu."""
    text = option.get("text") if isinstance(option, Mapping) else None
    if not isinstance(text, Mapping) or text.get("type") != "plain_text":
        return None
    label = text.get("text")
    return label if isinstance(label, str) else None


def options_of(answer: Any) -> list[dict[str, str]]:
    """The options of an app's answer to a block_suggestion (`options`, or `option_groups` flattened) as
    `{"value": …, "label": …}`, at most 100; malformed options are skipped, junk gives none."""
    if not isinstance(answer, Mapping):
        return []
    options = answer.get("options")
    groups = answer.get("option_groups")
    if isinstance(options, list):
        candidates: Iterable[Any] = options
    elif isinstance(groups, list):
        candidates = itertools.chain.from_iterable(
            group["options"]
            for group in groups
            if isinstance(group, Mapping) and isinstance(group.get("options"), list)
        )
    else:
        return []
    found: list[dict[str, str]] = []
    for option in candidates:
        pair = _option_pair(option)
        if pair is not None:
            found.append({"value": pair[0], "label": pair[1]})
            if len(found) >= MAX_OPTIONS:
                break
    return found
