"""`python -m bench.cards`: CPU per message built, in µs per call, with the render cache missed or hit.

Each "cache missed" call gets its own copy of the registry (a new object, as a new lookup gives), more
copies than the render cache keeps, so the card is built in full every time; the footer varies per call
as it does per request. Only public names of bot.cards are used, so the same script runs on older
commits too. Figures vary by some tens of percent on a busy machine: compare runs made side by side.
"""

from __future__ import annotations

import argparse
import itertools
import json
import timeit
from collections.abc import Callable
from pathlib import Path

from bot.cards import CardOptions, error_reply, registry_card
from bot.harness.errors import NotFound
from bot.harness.models import Registry, RegistryResponse
from bot.refs import RegistryRef

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "harness"
REF = RegistryRef(
    account="px7xd_BFRCi-pfWPYXVjvw", org="payments", project="checkout", registry="docker-prod"
)
UI = "https://app.harness.io"
COPIES = 1024
"""Distinct registry objects cycled through: four times what the render cache keeps."""


def fixture(name: str) -> Registry:
    body = RegistryResponse.model_validate_json((FIXTURES / f"{name}.json").read_bytes())
    assert body.data is not None
    return body.data


def card_builder(name: str, *, cached: bool, dumps: bool = False) -> Callable[[], object]:
    """One registry_card call per call, as a request gets it: a new footer every time."""
    registry = fixture(name)
    copies = itertools.cycle([registry] if cached else [registry.model_copy() for _ in range(COPIES)])
    moments = itertools.count(1718812345)

    def build() -> object:
        moment = next(moments)
        card = registry_card(
            next(copies),
            REF,
            ui_base=UI,
            options=CardOptions(requested_by=f"U{moment}", looked_up_at=moment, shareable=True),
        )
        return json.dumps(card.as_kwargs()) if dumps else card.as_kwargs()

    return build


def error_builder() -> Callable[[], object]:
    exc = NotFound("not found", ref=REF, host="app.harness.io", status=404)
    return lambda: error_reply(exc).as_kwargs()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=2000, help="calls per timing (default 2000)")
    parser.add_argument("--repeat", type=int, default=7, help="timings, the best one reported (default 7)")
    args = parser.parse_args()
    cases: list[tuple[str, Callable[[], object]]] = [
        ("registry_card virtual, cache missed", card_builder("virtual", cached=False)),
        ("registry_card upstream, cache missed", card_builder("upstream", cached=False)),
        ("registry_card huge, cache missed", card_builder("huge", cached=False)),
        (
            "registry_card virtual, cache missed, json.dumps",
            card_builder("virtual", cached=False, dumps=True),
        ),
        ("registry_card virtual, cache hit", card_builder("virtual", cached=True)),
        ("error_reply(NotFound)", error_builder()),
    ]
    for name, build in cases:
        build()
        best = min(timeit.repeat(build, number=args.number, repeat=args.repeat)) / args.number
        print(f"{name:50s} {best * 1e6:8.1f} µs/call")


if __name__ == "__main__":
    main()
