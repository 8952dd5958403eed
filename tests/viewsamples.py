"""Every view the bot can build, found rather than listed, with ordinary and hostile arguments.

A view builder is a public function in a bot/cards/ module that calls one of blocks.py's view writers
(`home_view`, `modal_view`, any `*_view` there) or another view builder: found by reading the modules'
source, so a modal added later is checked without editing any test. Each builder is called once with
ordinary arguments and once with hostile ones (names at the longest the refs allow, 500-character text,
hundreds of registries and commands, cards past the 100-block limit), chosen by each parameter's
annotation from `SAMPLES`. A parameter whose annotation has no sample (and no default) is an error that
names the builder: add the annotation to `SAMPLES`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import bot.cards
from bot.cards import CardOptions, registry_card
from bot.cards import blocks as writers
from bot.cards.blocks import Block, section
from bot.cards.home import LastEvent, Watched, card_modal, modal_note
from bot.commands import COMMANDS
from bot.refs import ArtifactRef, RegistryRef, Target, VersionRef
from tests.cardcheck import UI, load

VIEW_WRITERS: Final = frozenset(name for name in vars(writers) if name.endswith("_view"))
LONG: Final = "x" * 64
HOSTILE_TEXT: Final = ("<!channel> *bold* `tick` & <https://evil.example|click> " * 10)[:500]


@dataclass(frozen=True)
class Entry:
    """A command as help shows it (satisfies bot.cards.help.HelpEntry)."""

    word: str
    usage: str
    summary: str
    example: str


def _ref(name: str = "docker-prod") -> RegistryRef:
    return RegistryRef(account="acc_test", org="payments", project="checkout", registry=name)


def _hostile_refs(count: int) -> list[RegistryRef]:
    return [
        RegistryRef(account="acc_test", org=LONG, registry=f"r{index}{LONG}"[:63]) for index in range(count)
    ]


def _card(fixture: str) -> list[Block]:
    return list(registry_card(load(fixture), _ref(), ui_base=UI, options=CardOptions()).blocks)


def _targets(ref: RegistryRef) -> list[Target]:
    artifact = ArtifactRef(ref, "payments-api")
    return [ref, artifact, VersionRef(artifact, version="1.4.2")]


def _watched(ref: RegistryRef, channel: str) -> Watched:
    last = LastEvent("pushed", "payments-api", "1.4.2", datetime(2026, 12, 7, tzinfo=UTC))
    return Watched(channel, ref, "payments-*:1.*", "pushes and deletes", last)


SAMPLES: Final[dict[str, tuple[Callable[[], Any], Callable[[], Any]]]] = {
    # annotation: (ordinary, hostile)
    "str": (lambda: "C07INCIDNT", lambda: HOSTILE_TEXT),
    "str | None": (lambda: "docker-prod", lambda: HOSTILE_TEXT),
    "int": (lambda: 1, lambda: 10_000),
    "bool": (lambda: True, lambda: False),
    "RegistryRef": (_ref, lambda: _hostile_refs(1)[0]),
    "Sequence[RegistryRef]": (lambda: [_ref(), _ref("npm-prod")], lambda: _hostile_refs(300)),
    "Sequence[HelpEntry]": (
        lambda: COMMANDS,
        lambda: [Entry(f"w{i}", HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_TEXT) for i in range(200)],
    ),
    "Sequence[Block]": (
        lambda: _card("virtual"),
        lambda: _card("hostile") + [section(f"{HOSTILE_TEXT} {i}") for i in range(120)],
    ),
    "Sequence[Target]": (
        lambda: _targets(_ref()),
        lambda: [t for r in _hostile_refs(100) for t in _targets(r)],
    ),
    "Sequence[Watched] | None": (
        lambda: [_watched(_ref(), "C07INCIDNT")],
        lambda: [_watched(r, HOSTILE_TEXT) for r in _hostile_refs(300)],
    ),
    "RegistryRef | None": (_ref, lambda: _hostile_refs(1)[0]),
    "Sequence[str]": (lambda: ["docker-prod"], lambda: [HOSTILE_TEXT] * 300),
    "Mapping[str, str]": (lambda: {"registry": "Pick a registry."}, lambda: {HOSTILE_TEXT: HOSTILE_TEXT}),
}


def _calls(function: ast.FunctionDef) -> set[str]:
    return {
        node.func.id
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


def view_builders() -> dict[str, Callable[..., Any]]:
    """`module.function` -> the function, for every view builder in bot/cards/ (see the docstring)."""
    functions: dict[str, tuple[str, ast.FunctionDef]] = {}
    for info in pkgutil.iter_modules(bot.cards.__path__):
        if info.name == "blocks":
            continue
        path = Path(bot.cards.__path__[0]) / f"{info.name}.py"
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef):
                functions[f"{info.name}.{node.name}"] = (info.name, node)
    builders: set[str] = set()
    while True:
        names = {key.rsplit(".", 1)[1] for key in builders} | VIEW_WRITERS
        found = {key for key, (_, node) in functions.items() if _calls(node) & names}
        if found == builders:
            break
        builders = found
    public = sorted(key for key in builders if not key.rsplit(".", 1)[1].startswith("_"))
    return {
        key: getattr(importlib.import_module(f"bot.cards.{functions[key][0]}"), key.rsplit(".", 1)[1])
        for key in public
    }


def arguments(builder: Callable[..., Any], which: int) -> tuple[list[Any], dict[str, Any]]:
    """Arguments for `builder`: SAMPLES' ordinary (0) or hostile (1) value for each parameter."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in inspect.signature(builder).parameters.values():
        annotation = str(parameter.annotation)
        if annotation in SAMPLES:
            value = SAMPLES[annotation][which]()
        elif parameter.default is not inspect.Parameter.empty:
            continue
        else:
            raise AssertionError(
                f"{builder.__module__}.{builder.__name__}: no sample for parameter {parameter.name}: "
                f"{annotation}; add one to tests/viewsamples.py SAMPLES"
            )
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = value
        else:
            args.append(value)
    return args, kwargs


def every_view() -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, view) for each builder with ordinary and with hostile arguments, and the views the
    listeners compose from them (a note under a card)."""
    for key, builder in view_builders().items():
        for which, label in ((0, "ordinary"), (1, "hostile")):
            args, kwargs = arguments(builder, which)
            yield f"{key} ({label})", builder(*args, **kwargs)
    card = card_modal(SAMPLES["Sequence[Block]"][1](), _hostile_refs(1)[0])
    noted = modal_note(card["blocks"], HOSTILE_TEXT)
    yield "home.card_modal + modal_note (hostile)", card | {"blocks": noted}
