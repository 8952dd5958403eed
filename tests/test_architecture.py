"""The shape ARCHITECTURE.md draws: no import cycle in bot/ (imports under TYPE_CHECKING count too),
nothing imports back up the flow, and the runtime package never imports the development tools."""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
ARCHITECTURE = ROOT / "ARCHITECTURE.md"
TABLE_HEADING = "## What may import what"
NAME = re.compile(r"`([a-z_]+)`")

# Package pairs that still import each other while a change is under way: each names where it is fixed.
KNOWN_CYCLES: set[frozenset[str]] = set()


def may_import() -> dict[str, set[str]]:
    """ARCHITECTURE.md's table: part -> the parts it may import (the third column; "—" for none)."""
    text = ARCHITECTURE.read_text()
    section = text[text.index(TABLE_HEADING) :].split("\n## ", 1)[0]
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        (name,) = NAME.findall(cells[0])
        table[name] = set(NAME.findall(cells[2]))
    return table


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> Iterator[str]:
    """Every bot.* name `path` imports, wherever the import statement is (TYPE_CHECKING included).

    `from bot.x import y` yields `bot.x.y`, which `graph` shortens to `bot.x` unless `y` is a module.
    """
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("bot"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in BOT.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges[name] = set()
        for target in imports(path):
            # `from bot.slack import x` may name a module or a package's attribute: keep the deepest module.
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != name:
                edges[name].add(target)
    return edges


def part(module: str) -> str:
    return module.split(".")[1] if module.count(".") else module


def part_graph() -> dict[str, set[str]]:
    """The import graph with every module collapsed to its part (its package, or a top-level module)."""
    parts: dict[str, set[str]] = {}
    for module, targets in graph().items():
        source = part(module)
        parts.setdefault(source, set()).update(part(t) for t in targets if part(t) != source)
    return parts


def cycle(edges: dict[str, set[str]], *, ignore: Collection[frozenset[str]] = ()) -> list[str] | None:
    """An import cycle in `edges` as a trail of names, or None."""
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> list[str] | None:
        if node in trail:
            return [*trail[trail.index(node) :], node]
        if node in done:
            return None
        for target in sorted(edges.get(node, ())):
            if frozenset({node, target}) in ignore:
                continue
            found = visit(target, [*trail, node])
            if found:
                return found
        done.add(node)
        return None

    for node in sorted(edges):
        found = visit(node, [])
        if found:
            return found
    return None


def test_bot_has_no_import_cycle_between_modules() -> None:
    found = cycle(graph())
    assert found is None, "import cycle: " + " -> ".join(found or [])


def test_no_two_parts_import_each_other() -> None:
    found = cycle(part_graph(), ignore=KNOWN_CYCLES)
    assert found is None, "parts importing each other: " + " -> ".join(found or [])


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_every_part_has_a_row_and_every_row_a_part() -> None:
    parts = set(part_graph()) - {"bot", "__main__"}
    assert parts == set(may_import())


def test_each_part_imports_only_what_architecture_md_allows() -> None:
    table = may_import()
    wrong = []
    for source, targets in part_graph().items():
        if source in ("bot", "__main__"):
            continue
        for target in sorted(targets - {"bot"} - table[source]):
            if frozenset({source, target}) not in KNOWN_CYCLES:
                wrong.append(f"{source} imports {target}")
    assert wrong == []


def test_the_runtime_package_never_imports_the_development_tools_at_top_level() -> None:
    for path in BOT.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:  # top level only: __main__ imports the playground lazily, when asked for
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(name.startswith(("devtools", "tests", "bench")) for name in names), path


BLOCK_KIT_TYPES = (
    "section|context|header|actions|divider|image|input|button|mrkdwn|plain_text|plain_text_input"
    "|static_select|external_select|conversations_select|channels_select|users_select|checkboxes"
    "|radio_buttons|overflow|datepicker|option|modal|home|rich_text"
)
BLOCK_KIT_LITERAL = re.compile(rf"""["']type["']\s*:\s*["']({BLOCK_KIT_TYPES})["']""")


def test_cards_blocks_is_the_only_writer_of_block_kit_dicts() -> None:
    writers = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in sorted(BOT.rglob("*.py"))
        if path != BOT / "cards" / "blocks.py"
        for match in BLOCK_KIT_LITERAL.finditer(path.read_text())
    ]
    assert writers == []
    assert BLOCK_KIT_LITERAL.search((BOT / "cards" / "blocks.py").read_text())  # the pattern finds them
