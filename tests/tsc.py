"""Check views and messages against Slack's own TypeScript types (`@slack/types`) with `tsc --strict`.

`type_errors(views, messages, workdir)` writes one .ts file, `const v0: SlackView = {...};` per view and
`const m0: KnownBlock[] = [...];` per message's blocks (JSON is a TypeScript literal as it is), and runs
`.ci/node_modules/.bin/tsc --noEmit --strict` on it. `SlackView` is `View` with its blocks narrowed to
`KnownBlock[]`: `View` alone also takes `{type: string}` as a block, so a misspelt block type would pass.
The errors come back with the name of the view or message they are in.

Types check shapes, kinds and names, not lengths: Slack's limits are checked by tests/blockkit.py.
`.ci/run` installs both packages (`npm ci --prefix .ci`); `HARBOT_REQUIRE_TSC=1` makes a missing tsc fail.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
TSC: Final = ROOT / ".ci" / "node_modules" / ".bin" / "tsc"
SLACK_TYPES: Final = ROOT / ".ci" / "node_modules" / "@slack" / "types" / "dist" / "index.d.ts"
REQUIRED: Final = bool(os.environ.get("HARBOT_REQUIRE_TSC"))
TSC_SECONDS: Final = 120.0
PRELUDE: Final = (
    'import type { KnownBlock, View } from "@slack/types";\n'
    "type SlackView = View & { blocks: KnownBlock[] };\n"
)
_ERROR_LINE: Final = re.compile(r"^(?:.*/)?views\.ts\((\d+),\d+\): (.*)$")


def tsc_available() -> bool:
    """Whether tsc and @slack/types are installed in .ci/node_modules."""
    return TSC.exists() and SLACK_TYPES.exists()


def _tsconfig() -> dict[str, Any]:
    return {
        "compilerOptions": {
            "strict": True,
            "noEmit": True,
            "module": "preserve",
            "moduleResolution": "bundler",
            "types": [],
            "skipLibCheck": True,
            "paths": {"@slack/types": [str(SLACK_TYPES)]},
        },
        "files": ["views.ts"],
    }


def write_source(
    views: Mapping[str, Mapping[str, Any]], messages: Mapping[str, Sequence[Any]]
) -> tuple[str, dict[int, str]]:
    """The .ts source, and the name of what each of its lines holds."""
    lines = PRELUDE.splitlines()
    names: dict[int, str] = {}
    for prefix, kind, items in (("v", "SlackView", views), ("m", "KnownBlock[]", messages)):
        for index, (name, value) in enumerate(items.items()):
            lines.append(f"// {name}")
            lines.append(f"export const {prefix}{index}: {kind} = {json.dumps(value, ensure_ascii=False)};")
            names[len(lines)] = name
    return "\n".join(lines) + "\n", names


def type_errors(
    views: Mapping[str, Mapping[str, Any]], messages: Mapping[str, Sequence[Any]], workdir: Path
) -> list[str]:
    """tsc's errors for these views and messages, each prefixed with the name it is about; [] when they
    all type."""
    source, names = write_source(views, messages)
    (workdir / "views.ts").write_text(source, encoding="utf-8")
    (workdir / "tsconfig.json").write_text(json.dumps(_tsconfig()), encoding="utf-8")
    done = subprocess.run(  # noqa: S603 (the installed tsc, fixed arguments)
        [str(TSC), "-p", str(workdir), "--noEmit", "--strict", "--pretty", "false"],
        capture_output=True,
        text=True,
        timeout=TSC_SECONDS,
        check=False,
        cwd=workdir,
    )
    errors: list[str] = []
    for line in done.stdout.splitlines():
        found = _ERROR_LINE.match(line)
        if found is not None:
            errors.append(f"{names.get(int(found[1]), 'views.ts')}: {found[2][:2000]}")
        elif errors and line.startswith(" "):
            errors[-1] += "\n" + line[:500]
        elif line.strip():
            errors.append(line[:2000])
    if done.returncode != 0 and not errors:
        errors.append(f"tsc exited {done.returncode}: {done.stderr[:2000]}")
    return errors
