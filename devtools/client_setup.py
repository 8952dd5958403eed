"""Client set-up steps per package type, shaped as Harness's `client-setup-details` answers them.

`ClientSetupDetails` is `{mainHeader, secHeader, sections: [ClientSetupSection]}`; an INLINE section holds
`steps: [{header, type: Static | GenerateToken, commands: [{label, value}]}]`. Secrets stay placeholders
(`<TOKEN>`, `<USERNAME>`), as Harness sends them: the caller's key never appears in an answer.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

Step = tuple[str, list[str]]
"""A step's header and its commands; `{host}`, `{url}`, `{account}` and `{registry}` are filled in."""

_TOKEN_STEP: Final[Step] = ("For the password, generate an identity token", [])
_STEPS: Final[dict[str, list[tuple[str, list[Step]]]]] = {
    "DOCKER": [
        ("Login to Docker", [("Run this command to log in", ["docker login {host}"]), _TOKEN_STEP]),
        (
            "Pull an image",
            [("Run this command to pull", ["docker pull {host}/{account}/{registry}/<IMAGE_NAME>:<TAG>"])],
        ),
    ],
    "HELM": [
        ("Login to Helm", [("Run this command to log in", ["helm registry login {host}"]), _TOKEN_STEP]),
        (
            "Pull a chart",
            [
                (
                    "Run this command to pull",
                    ["helm pull oci://{host}/{account}/{registry}/<CHART_NAME> --version <VERSION>"],
                )
            ],
        ),
    ],
    "NPM": [
        (
            "Configure npm",
            [("Add to your .npmrc", ["registry={url}/", "//{host_path}/:_authToken=<TOKEN>"]), _TOKEN_STEP],
        ),
        ("Install a package", [("Run this command", ["npm install <PACKAGE_NAME>@<VERSION>"])]),
    ],
    "PYTHON": [
        (
            "Configure pip",
            [
                (
                    "Add to pip.conf",
                    ["[global]", "index-url = https://<USERNAME>:<TOKEN>@{host_path}/simple"],
                ),
                _TOKEN_STEP,
            ],
        ),
        ("Install a package", [("Run this command", ["pip install <PACKAGE_NAME>==<VERSION>"])]),
    ],
    "MAVEN": [
        (
            "Configure Maven",
            [
                (
                    "Add to settings.xml",
                    [
                        "<server><id>{registry}</id><username><USERNAME></username><password><TOKEN></password></server>"
                    ],
                ),
                _TOKEN_STEP,
            ],
        ),
        (
            "Add the repository",
            [("Add to pom.xml", ["<repository><id>{registry}</id><url>{url}</url></repository>"])],
        ),
    ],
}
_GENERIC: Final[list[tuple[str, list[Step]]]] = [
    (
        "Download a file",
        [
            (
                "Run this command",
                ["curl -H 'x-api-key: <TOKEN>' -O {url}/<PACKAGE_NAME>/<VERSION>/<FILE_NAME>"],
            ),
            _TOKEN_STEP,
        ],
    ),
]


def client_setup(package_type: str, *, url: str, account: str, registry: str) -> dict[str, Any]:
    """The `data` of a client-setup-details answer for a registry of this package type."""
    parts = urlsplit(url)
    fill = {
        "host": parts.hostname or "pkg.harness.io",
        "host_path": f"{parts.netloc}{parts.path}".rstrip("/"),
        "url": url.rstrip("/"),
        "account": account,
        "registry": registry,
    }
    sections = [
        {
            "header": header,
            "type": "INLINE",
            "steps": [
                {
                    "header": step_header,
                    "type": "GenerateToken" if (step_header, commands) == _TOKEN_STEP else "Static",
                    "commands": [{"value": command.format(**fill)} for command in commands],
                }
                for step_header, commands in steps
            ],
        }
        for header, steps in _STEPS.get(package_type, _GENERIC)
    ]
    return {
        "mainHeader": f"{package_type.title()} Client Setup",
        "secHeader": f"Follow these instructions to set up your {package_type.lower()} client",
        "sections": sections,
    }
