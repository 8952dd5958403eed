"""Every way a Harness lookup can fail, as one exception tree.

```
HarnessError                      anything that stops a lookup
├── HarnessStatusError            Harness answered with an HTTP error status
│   ├── BadReference              400: the registry_ref was rejected
│   ├── Unauthorized              401: the bot's API key is invalid or expired
│   ├── Forbidden                 403: the key may not read that scope
│   ├── NotFound                  404: no registry with that name in that scope
│   ├── RateLimited               429: still rate limited after retrying
│   └── ServerError               5xx: still failing after retrying (and any other status)
├── HarnessUnavailable            no usable HTTP answer
│   ├── HarnessTimeout            the request took too long
│   └── HarnessConnectionError    the host could not be reached
└── InvalidResponse               a 200 that is not JSON, does not match the schema, is not SUCCESS,
                                  is too large or cannot be decoded
```

Messages name the host and the status, never the API key. The status mapping lives in one place:
`error_for_status`. A registry call's error carries its `ref`; a list call's, its `space` (and a
placeholder `ref` naming no registry, so code written for lookups never meets None).
"""

from __future__ import annotations

from bot.refs import RegistryRef, SpaceRef

Subject = RegistryRef | SpaceRef
"""What a call was about: a registry, or a space whose registries were listed."""


class HarnessError(Exception):
    """A Harness call failed."""

    def __init__(self, message: str, *, ref: Subject, host: str) -> None:
        super().__init__(message)
        self.space: SpaceRef | None = ref if isinstance(ref, SpaceRef) else None
        self.ref: RegistryRef = (
            ref if isinstance(ref, RegistryRef) else RegistryRef(account=ref.account, registry="registries")
        )
        self.host = host


class HarnessStatusError(HarnessError):
    """Harness answered with an HTTP error status."""

    def __init__(
        self, message: str, *, ref: Subject, host: str, status: int, detail: str | None = None
    ) -> None:
        super().__init__(message, ref=ref, host=host)
        self.status = status
        self.detail = detail


class BadReference(HarnessStatusError):
    """400: Harness rejected the registry reference."""


class Unauthorized(HarnessStatusError):
    """401: the bot's Harness API key is invalid or expired."""


class Forbidden(HarnessStatusError):
    """403: the bot's Harness API key may not read that scope."""


class NotFound(HarnessStatusError):
    """404: there is no registry with that name in that scope."""


class RateLimited(HarnessStatusError):
    """429: Harness kept rate limiting after the retries."""


class ServerError(HarnessStatusError):
    """5xx (or any unexpected status): Harness kept failing after the retries."""


class HarnessUnavailable(HarnessError):
    """No usable HTTP answer came back."""


class HarnessTimeout(HarnessUnavailable):
    """Harness did not answer in time."""


class HarnessConnectionError(HarnessUnavailable):
    """The Harness host could not be reached (DNS, refused, reset, TLS)."""


class InvalidResponse(HarnessError):
    """A 200 whose body is not JSON, does not fit the schema, is too large or garbled, or is not SUCCESS."""


_BY_STATUS: dict[int, type[HarnessStatusError]] = {
    400: BadReference,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    429: RateLimited,
}


def error_for_status(
    status: int, *, ref: Subject, host: str, detail: str | None = None
) -> HarnessStatusError:
    """The exception for an HTTP error status: 4xx by table, everything else a ServerError."""
    cls = _BY_STATUS.get(status, ServerError)
    message = f"Harness at {host} answered {status} for {ref.path}"
    if detail:
        message += f": {detail}"
    return cls(message, ref=ref, host=host, status=status, detail=detail)
