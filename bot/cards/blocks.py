"""Block Kit as plain dicts, and `Reply`, the message every builder returns.

Each builder returns the dict Slack's API takes, ready for `json.dumps`; the tests check them with
slack_sdk's Block Kit models, which are too slow to build per answer. Text given here is already
mrkdwn (escaped where it came from Harness or a user); `fit` is a last guard on length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.cards.text import FIELD_LIMIT, HEADER_LIMIT, SECTION_LIMIT, SEP, fit, units

Block = dict[str, Any]
"""One Block Kit block (or element, or text object) as Slack's API takes it."""


@dataclass(frozen=True)
class Reply:
    """A message: plain `text` for notifications and screen readers, and the blocks that draw it.

    Blocks may be shared with the render caches, so they are never modified after building.
    """

    text: str
    blocks: Sequence[Block]

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a Reply needs fallback text")

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `respond()`, `say()` or `chat_postMessage`: `text` and `blocks`."""
        return {"text": self.text, "blocks": list(self.blocks)}


def mrkdwn(text: str) -> Block:
    """A mrkdwn text object."""
    # verbatim: Slack must not turn bare URLs, #channels or @here in Harness text into links or mentions.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain(text: str, *, emoji: bool | None = None) -> Block:
    """A plain_text object: Slack shows it literally and never reads mentions or links in it."""
    obj: Block = {"type": "plain_text", "text": text}
    if emoji is not None:
        obj["emoji"] = emoji
    return obj


def section(text: str, accessory: Block | None = None) -> Block:
    """A section of mrkdwn text, with an element (a button) beside it if given."""
    block: Block = {"type": "section", "text": mrkdwn(fit(text, SECTION_LIMIT))}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def context(*parts: str) -> Block:
    """One context line: the parts joined by " · "."""
    return {"type": "context", "elements": [mrkdwn(fit(SEP.join(parts), SECTION_LIMIT))]}


def header(text: str) -> Block:
    """A header: plain text, which Slack shows literally, with emoji codes read."""
    return {"type": "header", "text": plain(fit(text, HEADER_LIMIT), emoji=True)}


def field(title: str, body: str) -> Block:
    """One section field: a bold title over its value."""
    return mrkdwn(fit(f"*{title}*\n{body}", FIELD_LIMIT))


def field_budget(title: str) -> int:
    """Room left for a field's value under `title`."""
    return FIELD_LIMIT - units(f"*{title}*\n")


def fields(items: Sequence[Block]) -> Block:
    """A section of fields, which Slack lays out in two columns, left to right."""
    return {"type": "section", "fields": list(items)}


def button(
    text: str,
    action_id: str,
    *,
    url: str | None = None,
    value: str | None = None,
    style: str | None = None,
    emoji: bool | None = None,
) -> Block:
    """A button: a link (`url`), or an action the bot answers (`action_id`, with `value` back)."""
    element: Block = {"type": "button", "text": plain(text, emoji=emoji), "action_id": action_id}
    if url is not None:
        element["url"] = url
    if value is not None:
        element["value"] = value
    if style is not None:
        element["style"] = style
    return element


def actions(elements: Sequence[Block]) -> Block:
    """A row of buttons."""
    return {"type": "actions", "elements": list(elements)}


def message(what: str, next_step: str) -> Reply:
    """One sentence on what happened, one line on what to try: the shape of every error."""
    return Reply(text=f"{what} {next_step}", blocks=[section(f"{what}\n{next_step}")])


# --- Views and their inputs (App Home, modals) --------------------------------------------------------

OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
VIEW_TITLE_LIMIT = 24
VIEW_BLOCK_LIMIT = 100
PLACEHOLDER_LIMIT = 150
LABEL_LIMIT = 2000


def option(text: str, value: str) -> Block:
    """One option of a select menu (text cut to Slack's 75, value at most 150: the caller checks)."""
    return {"text": plain(fit(text, OPTION_TEXT_LIMIT)), "value": value}


def _element(kind: str, action_id: str, placeholder: str) -> Block:
    """What every input element of a view starts with: its type, action id and placeholder."""
    return {"type": kind, "action_id": action_id, "placeholder": plain(fit(placeholder, PLACEHOLDER_LIMIT))}


def external_select(
    action_id: str, placeholder: str, *, min_query_length: int = 1, initial: Block | None = None
) -> Block:
    """A select menu whose options the bot loads as the user types (an `options` request); `initial`
    (an `option`) is chosen already."""
    element = _element("external_select", action_id, placeholder) | {"min_query_length": min_query_length}
    if initial is not None:
        element["initial_option"] = initial
    return element


def conversations_select(
    action_id: str, placeholder: str, *, channels_only: bool = False, initial: str | None = None
) -> Block:
    """A menu of the user's conversations (public and private channels, DMs); `channels_only` leaves DMs
    out, `initial` (a conversation id) is chosen already, else the conversation the view was opened in."""
    element = _element("conversations_select", action_id, placeholder)
    if channels_only:
        element["filter"] = {"include": ["public", "private"], "exclude_bot_users": True}
        element["default_to_current_conversation"] = True
    if initial is not None:
        element["initial_conversation"] = initial
    return element


def text_input(action_id: str, placeholder: str, *, max_length: int | None = None) -> Block:
    """A one-line text box."""
    element = _element("plain_text_input", action_id, placeholder)
    if max_length is not None:
        element["max_length"] = max_length
    return element


def checkboxes(action_id: str, choices: Sequence[Block], *, checked: Sequence[Block] = ()) -> Block:
    """Checkboxes of `choices` (options), those in `checked` ticked."""
    element: Block = {"type": "checkboxes", "action_id": action_id, "options": list(choices)}
    if checked:
        element["initial_options"] = list(checked)
    return element


def input_block(
    label: str, element: Block, *, block_id: str, hint: str | None = None, optional: bool = False
) -> Block:
    """A labelled input of a modal: its value arrives with the view_submission, and `block_id` names it
    in `response_action: errors`."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(fit(label, LABEL_LIMIT)),
        "element": element,
    }
    if hint is not None:
        block["hint"] = plain(fit(hint, LABEL_LIMIT))
    if optional:
        block["optional"] = True
    return block


def divider() -> Block:
    """A horizontal rule."""
    return {"type": "divider"}


def home_view(blocks: Sequence[Block]) -> Block:
    """An App Home tab (views.publish): at most 100 blocks, cut if more are given."""
    return {"type": "home", "blocks": list(blocks)[:VIEW_BLOCK_LIMIT]}


def modal_view(
    title: str,
    blocks: Sequence[Block],
    *,
    callback_id: str,
    submit: str | None = None,
    private_metadata: str | None = None,
) -> Block:
    """A modal (views.open, views.update, response_action=update): at most 100 blocks."""
    view: Block = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(fit(title, VIEW_TITLE_LIMIT)),
        "close": plain("Close"),
        "blocks": list(blocks)[:VIEW_BLOCK_LIMIT],
    }
    if submit is not None:
        view["submit"] = plain(fit(submit, VIEW_TITLE_LIMIT))
    if private_metadata is not None:
        view["private_metadata"] = private_metadata[:3000]
    return view
