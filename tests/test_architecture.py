"""The shape ARCHITECTURE.md draws: no import cycle in bot/ (imports under TYPE_CHECKING count too),
nothing imports back up the flow, and the runtime package never imports the development tools."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"

# What each part may import from bot/ (besides itself): the flow runs from the entry down to the domain.
MAY_IMPORT: dict[str, set[str]] = {
    "refs": set(),
    "settings": set(),
    "modes": {"settings"},
    "metrics": set(),
    "state": {"settings", "refs", "harness"},
    "workers": {"settings", "background", "logs", "services", "slack"},
    "startup": {"settings"},
    "doctor": {"settings", "startup", "harness", "parsing", "refs"},
    "logs": {"settings"},
    "parsing": {"refs"},
    "harness": {"refs", "metrics", "state"},
    "access": {"refs", "settings"},
    "cards": {"refs", "parsing", "harness"},
    "answers": {"refs", "access", "cards", "harness", "metrics", "services"},
    "finding": {"refs", "parsing", "cards", "answers", "access", "harness", "services"},
    "commands": {"refs", "parsing", "cards", "answers", "access", "finding", "harness", "services"},
    "watching": {"refs", "parsing", "cards", "answers", "access", "harness", "services", "posting", "store"},
    "background": {"slack"},
    "services": {
        "settings",
        "logs",
        "parsing",
        "harness",
        "access",
        "background",
        "slack",
        "state",
        "posting",
    },
    "listeners": {
        "finding",
        "refs",
        "parsing",
        "cards",
        "answers",
        "commands",
        "access",
        "harness",
        "services",
        "slack",
    },
    "slack": {"cards", "listeners", "metrics", "services"},
    "posting": {"refs", "parsing", "cards", "harness", "store", "metrics"},
}


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


def test_bot_has_no_import_cycle() -> None:
    edges = graph()
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> None:
        if node in trail:
            raise AssertionError("import cycle: " + " -> ".join([*trail[trail.index(node) :], node]))
        if node in done:
            return
        for target in sorted(edges.get(node, ())):
            visit(target, [*trail, node])
        done.add(node)

    for node in sorted(edges):
        visit(node, [])


def test_each_part_imports_only_what_the_flow_allows() -> None:
    wrong = []
    for module, targets in graph().items():
        source = part(module)
        if source in ("bot", "__main__"):
            continue
        for target in targets:
            if part(target) not in {source, "bot"} and part(target) not in MAY_IMPORT[source]:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_the_runtime_package_never_imports_the_development_tools_at_top_level() -> None:
    for path in BOT.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:  # top level only: __main__ imports the playground lazily, when asked for
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(name.startswith(("devtools", "tests", "bench")) for name in names), path
