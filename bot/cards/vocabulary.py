"""The API's enum values in human words (`DOCKER` -> Docker). Unknown values are shown as they came."""

from __future__ import annotations

from typing import Final

from bot.cards.text import WARNING

PACKAGE_TYPES: Final[dict[str, str]] = {
    "ALPINE": "Alpine",
    "CARGO": "Cargo",
    "COMPOSER": "Composer",
    "CONAN": "Conan",
    "CONDA": "Conda",
    "CRAN": "CRAN",
    "DART": "Dart",
    "DEBIAN": "Debian",
    "DOCKER": "Docker",
    "GENERIC": "Generic",
    "GO": "Go",
    "HELM": "Helm",
    "HELM_HTTP": "Helm (HTTP)",
    "HUGGINGFACE": "Hugging Face",
    "MAVEN": "Maven",
    "NPM": "npm",
    "NUGET": "NuGet",
    "PUPPET": "Puppet",
    "PYTHON": "Python",
    "RAW": "Raw",
    "RPM": "RPM",
    "RUBY": "Ruby",
    "SWIFT": "Swift",
    "TERRAFORM": "Terraform",
    "WOLFI": "Wolfi",
}

PACKAGE_EMOJI: Final[dict[str, str]] = {
    "ALPINE": "🏔️",
    "CARGO": "🦀",
    "COMPOSER": "🐘",
    "CONDA": "🐍",
    "DART": "🎯",
    "DEBIAN": "🌀",
    "DOCKER": "🐳",
    "GENERIC": "🗃️",
    "GO": "🐹",
    "HELM": "☸️",
    "HELM_HTTP": "☸️",
    "HUGGINGFACE": "🤗",
    "MAVEN": "☕",
    "PYTHON": "🐍",
    "RAW": "📄",
    "RPM": "🎩",
    "RUBY": "💎",
    "SWIFT": "🐦",
    "TERRAFORM": "🏗️",
    "WOLFI": "🐺",
}
DEFAULT_EMOJI: Final = "📦"

REGISTRY_TYPES: Final[dict[str, str]] = {"VIRTUAL": "Virtual", "UPSTREAM": "Upstream"}

SOURCES: Final[dict[str, str]] = {
    "ALPINE": "Alpine",
    "Anaconda": "Anaconda",
    "AwsEcr": "AWS ECR",
    "ConanCenter": "ConanCenter",
    "CRAN": "CRAN",
    "Crates": "crates.io",
    "Custom": "Custom",
    "Dockerhub": "Docker Hub",
    "GoProxy": "Go module proxy",
    "HelmChartRepo": "Helm chart repository",
    "HuggingFace": "Hugging Face",
    "MavenCentral": "Maven Central",
    "NpmJs": "npmjs",
    "NugetOrg": "NuGet Gallery",
    "Packagist": "Packagist",
    "Pubdev": "pub.dev",
    "PuppetForge": "Puppet Forge",
    "PyPi": "PyPI",
    "WOLFI": "Wolfi",
}

AUTH_TYPES: Final[dict[str, str]] = {
    "Anonymous": "Anonymous",
    "UserPassword": "Username & password",
    "AccessKeySecretKey": "Access key",
}

# The open-source server sends ALLOW / WARN / BLOCK, SaaS ALLOW / ENABLED / QUARANTINE. Every mode but
# ALLOW can stop or flag a pull, which is what someone debugging a failed pull needs to see first.
FIREWALL_MODES: Final[dict[str, str]] = {
    "ALLOW": "Allow",
    "WARN": f"{WARNING} Warn",
    "BLOCK": f"{WARNING} Block",
    "ENABLED": f"{WARNING} Enabled",
    "QUARANTINE": f"{WARNING} Quarantine",
}

SCANNERS: Final[dict[str, str]] = {"AQUA_TRIVY": "Aqua Trivy", "GRYPE": "Grype"}


def human(table: dict[str, str], value: str) -> str:
    """`value` in human words from `table`; as it came when the table does not know it."""
    return table.get(value, value)


def emoji(package_type: str) -> str:
    """The package type's emoji, or a plain package for one not in the table."""
    return PACKAGE_EMOJI.get(package_type, DEFAULT_EMOJI)
