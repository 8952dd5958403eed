"""Check Block Kit payloads with Slack's own SDK models, the way Slack will check them.

`assert_valid_blocks(blocks)` parses every block dict with `Block.parse`, requires the round trip to give
the same dict back (so no key was silently dropped as unknown), runs `validate_json()` on the block and on
every object inside it (the SDK only validates the object it is called on), and adds the documented limits
the SDK does not check: at most 50 blocks, section fields at most 2000 characters, no empty text, unique
action ids. Lengths are counted in UTF-16 code units, as Slack counts them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import ActionsBlock, Block, SectionBlock, TextObject

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_FIELD_TEXT = 2000


def utf16_len(text: str) -> int:
    """Length as Slack counts it."""
    return len(text.encode("utf-16-le")) // 2


def _children(obj: JsonObject) -> Iterator[JsonObject]:
    """Every SDK object nested in `obj` (text objects, fields, elements, accessories, confirms...)."""
    for value in vars(obj).values():
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if isinstance(item, JsonObject):
                yield item
                yield from _children(item)


def _check_documented_limits(block: Block, where: str) -> None:
    for obj in _children(block):
        if isinstance(obj, TextObject):
            assert obj.text, f"{where}: empty text object"
            assert utf16_len(obj.text) <= MAX_TEXT, f"{where}: text longer than {MAX_TEXT}"
    if isinstance(block, SectionBlock):
        for field in block.fields or []:
            assert utf16_len(field.text) <= MAX_FIELD_TEXT, f"{where}: field longer than {MAX_FIELD_TEXT}"
    if isinstance(block, ActionsBlock):
        ids = [getattr(element, "action_id", None) for element in block.elements]
        assert len(ids) == len(set(ids)), f"{where}: action_ids repeat: {ids}"


def assert_valid_blocks(blocks: Sequence[Mapping[str, Any] | Block]) -> None:
    """Fail unless `blocks` is a payload Slack would accept (see the module docstring)."""
    dicts = [block.to_dict() if isinstance(block, Block) else dict(block) for block in blocks]
    assert dicts, "a message needs at least one block"
    assert len(dicts) <= MAX_BLOCKS, f"{len(dicts)} blocks, Slack allows {MAX_BLOCKS}"
    for index, data in enumerate(dicts):
        where = f"block {index} ({data.get('type')})"
        parsed = Block.parse(dict(data))
        assert parsed is not None, f"{where}: not a block type the SDK knows"
        assert parsed.to_dict() == data, f"{where}: the SDK dropped or changed keys"
        parsed.validate_json()
        for child in _children(parsed):
            child.validate_json()
        _check_documented_limits(parsed, where)
