"""Proposed changes to bot/, patched in at start-up so their effect can be measured before bot/ is edited.

`python bench/variants.py aiohttp --mode http` applies the named changes and runs
`bot.__main__.main`. The bench starts it for an app named `harbot+aiohttp` (any subset, any
order), e.g. `python -m bench --apps harbot,harbot+aiohttp,ceiling`. Each patch is the smallest code that
behaves like the proposed change; bench/README.md says what each proposal is in bot/ terms.

- `aiohttp`: HarnessClient on one pooled `aiohttp.ClientSession` (no connection cap) instead of httpx.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import aiohttp
import httpx


def patch_aiohttp_harness() -> None:
    """HarnessClient._attempt over aiohttp, same timeouts, retries, body cap and error mapping."""
    from bot.harness import client as hc

    original_init = hc.HarnessClient.__init__

    def __init__(self: Any, **kwargs: Any) -> None:
        kwargs.setdefault("http", httpx.AsyncClient())  # never used: requests go through aiohttp
        original_init(self, **kwargs)
        self._aio = None

    def session(self: Any) -> aiohttp.ClientSession:
        if self._aio is None:
            self._aio = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                headers={"user-agent": hc.USER_AGENT, "accept": "application/json"},
            )
        return self._aio  # type: ignore[no-any-return]

    async def read_capped(self: Any, response: aiohttp.ClientResponse, subject: Any) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > hc.MAX_BODY_BYTES:
                raise hc.InvalidResponse(
                    f"Harness at {self._host} sent more than {hc.MAX_BODY_BYTES} bytes for {subject.path}",
                    ref=subject,
                    host=self._host,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def _attempt(self: Any, url: str, params: Any, subject: Any, attempt_timeout: float) -> bytes:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=attempt_timeout, sock_read=attempt_timeout)
        try:
            async with session(self).get(
                url,
                params=list(params) or None,
                headers={"x-api-key": self._api_key},
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                hc.record_harness_request(response.status)
                body = await read_capped(self, response, subject)
                status, retry_after = response.status, response.headers.get("retry-after")
        except TimeoutError as exc:
            message = f"Harness at {self._host} did not answer within {attempt_timeout:.1f}s"
            raise hc._Retry(hc.HarnessTimeout(message, ref=subject, host=self._host)) from exc
        except aiohttp.ClientError as exc:
            error = hc.HarnessConnectionError(
                f"could not reach Harness at {self._host}: {type(exc).__name__}", ref=subject, host=self._host
            )
            raise hc._Retry(error) from exc
        if status != 200:
            status_error = hc.error_for_status(
                status, ref=subject, host=self._host, detail=hc._error_detail(body)
            )
            if status == 429 or status >= 500:
                raise hc._Retry(status_error, hc._retry_after(retry_after))
            raise status_error
        return body

    async def aclose(self: Any) -> None:
        if self._aio is not None:
            await self._aio.close()

    hc.HarnessClient.__init__ = __init__  # type: ignore[method-assign]
    hc.HarnessClient._attempt = _attempt  # type: ignore[method-assign]
    hc.HarnessClient.aclose = aclose  # type: ignore[method-assign]


PATCHES: dict[str, Callable[[], None]] = {
    "aiohttp": patch_aiohttp_harness,
}


def main() -> None:
    """`variants.py NAMES [bot args...]`: apply the patches, then run the bot."""
    names = [n for n in sys.argv[1].split(",") if n]
    for name in names:
        PATCHES[name]()
    from bot.__main__ import main as bot_main

    bot_main(sys.argv[2:])


if __name__ == "__main__":
    main()
