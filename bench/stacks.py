"""`python -m bench.stacks FILE [--top N] [--match TEXT]`: where the CPU went, from a py-spy raw profile.

By package (self time), by function (self and inclusive), and by what the event loop was running (the
frame just under `Handle._run`). `python -m bench --profile DIR` writes such files (collapsed stacks).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^:()]+)(?::\d+)?\)$")


def _parse(line: str) -> tuple[list[tuple[str, str]], int]:
    stack, _, count = line.rstrip().rpartition(" ")
    frames = []
    for raw in stack.split(";"):
        match = _FRAME.match(raw)
        frames.append((match["name"], match["file"]) if match else (raw, ""))
    return frames, int(count)


def _package(file: str) -> str:
    if file.startswith("bot/"):
        return "bot/" + file.split("/")[1]
    head = file.split("/")[0]
    return head if head.endswith(".py") is False else f"stdlib:{head}"


def summarise(path: Path, *, top: int = 15, match: str | None = None) -> str:
    """The report for one profile file."""
    self_by_package: Counter[str] = Counter()
    self_by_function: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    loop_entry: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        frames, count = _parse(line)
        if match and not any(match in f"{name} ({file})" for name, file in frames):
            continue
        total += count
        name, file = frames[-1]
        self_by_package[_package(file)] += count
        self_by_function[f"{name} ({file})"] += count
        for seen in {f"{n} ({f})" for n, f in frames}:
            inclusive[seen] += count
        runs = [i for i, (n, _) in enumerate(frames) if n == "Handle._run"]
        # A stack cut short (py-spy could not walk past a coroutine) starts at the coroutine itself.
        entry = frames[runs[0] + 1] if runs and runs[0] + 1 < len(frames) else frames[0]
        loop_entry[f"{entry[0]} ({entry[1]})"] += count

    def block(title: str, counter: Counter[str]) -> str:
        rows = [f"  {100 * n / total:5.1f}%  {what}" for what, n in counter.most_common(top)]
        return f"{title}\n" + "\n".join(rows)

    if not total:
        return f"{path}: no samples"
    return "\n\n".join(
        [
            f"{path}: {total} samples",
            block("self time by package", self_by_package),
            block("what the event loop was running (frame under Handle._run)", loop_entry),
            block("inclusive time by function", inclusive),
            block("self time by function", self_by_function),
        ]
    )


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.stacks", description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--match", help="only stacks with a frame containing this text")
    args = parser.parse_args()
    for path in args.files:
        print(summarise(path, top=args.top, match=args.match))
        print()


if __name__ == "__main__":
    main()
