"""Headless Chromium driven over the Chrome DevTools Protocol, with aiohttp (already a dependency).

Why CDP and not Selenium + chromedriver: no new dependency to lock, and it is async like the rest of the
suite, so the playground under test runs in-process on the test's own event loop (no thread, no
subprocess) while the browser talks to it. Input goes through `Input.insertText`, `Input.dispatchKeyEvent`
and `Input.dispatchMouseEvent`, the same events a person's keyboard and mouse make. Every wait is bounded.

Chromium listens for DevTools on a loopback port it picks (`--remote-debugging-port=0`) and writes it to
`DevToolsActivePort` in its profile directory; nothing but 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

CANDIDATES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
START_SECONDS = 30.0
WAIT_SECONDS = 15.0
POLL_SECONDS = 0.05


def find_chromium() -> str | None:
    """The Chromium executable on PATH, if there is one."""
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


class BrowserError(AssertionError):
    """The browser did not do what the test waited for."""


@dataclass
class Page:
    """One tab, over its DevTools WebSocket."""

    socket: aiohttp.ClientWebSocketResponse
    errors: list[str] = field(default_factory=list)
    _next_id: int = 0
    _pending: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _reader: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start reading the socket: answers go to their callers, errors are collected."""
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            if "id" in data:
                future = self._pending.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
            elif data.get("method") == "Runtime.exceptionThrown":
                details = data["params"]["exceptionDetails"]
                self.errors.append(str(details.get("exception", {}).get("description") or details))
            elif data.get("method") == "Runtime.consoleAPICalled" and data["params"].get("type") == "error":
                self.errors.append(" ".join(str(a.get("value", a)) for a in data["params"].get("args", [])))
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BrowserError("the browser closed its DevTools connection"))

    async def close(self) -> None:
        """Stop reading and close the socket."""
        await self.socket.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools command; its `result`, or BrowserError with the protocol's error."""
        self._next_id += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        await self.socket.send_json({"id": self._next_id, "method": method, "params": params})
        async with asyncio.timeout(WAIT_SECONDS):
            answer = await future
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    async def wait_for(self, expression: str, *, seconds: float = WAIT_SECONDS, what: str = "") -> Any:
        """Poll `expression` until it is truthy; its value. BrowserError after `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"waited {seconds:.0f}s for {what or expression}")
            await asyncio.sleep(POLL_SECONDS)

    async def goto(self, url: str) -> None:
        """Open `url` and wait until the document has loaded."""
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'", what="the page to load")

    async def type(self, selector: str, text: str) -> None:
        """Focus the element and type `text` into it, as a keyboard would insert it."""
        await self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        await self.send("Input.insertText", text=text)

    async def press_enter(self) -> None:
        """Press and release Enter."""
        for kind in ("keyDown", "keyUp"):
            await self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                nativeVirtualKeyCode=13,
                **({"text": "\r"} if kind == "keyDown" else {}),
            )

    async def center_of(self, element_js: str) -> tuple[float, float]:
        """The middle of an element (a JS expression yielding it), scrolled into view first."""
        box = await self.evaluate(
            f"(() => {{ const e = {element_js}; if (!e) return null; e.scrollIntoView({{block: 'center'}});"
            " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        if not box:
            raise BrowserError(f"no element for {element_js}")
        return float(box[0]), float(box[1])

    async def click(self, element_js: str) -> None:
        """Move the mouse to the element and click it with the left button."""
        x, y = await self.center_of(element_js)
        await self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    async def screenshot(self, path: Path, *, element_js: str | None = None, padding: int = 0) -> Path:
        """Save a PNG of the viewport, or of one element (with a little margin)."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": False}
        if element_js is not None:
            rect = await self.evaluate(
                f"(() => {{ const e = {element_js}; e.scrollIntoView({{block: 'center'}});"
                " const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()"
            )
            x, y, width, height = (float(v) for v in rect)
            params["clip"] = {
                "x": max(x - padding, 0),
                "y": max(y - padding, 0),
                "width": width + 2 * padding,
                "height": height + 2 * padding,
                "scale": 1,
            }
        shot = await self.send("Page.captureScreenshot", **params)
        await asyncio.to_thread(_write, path, base64.b64decode(shot["data"]))
        return path


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def _devtools_port(profile: Path, process: asyncio.subprocess.Process) -> int:
    deadline = time.monotonic() + START_SECONDS
    marker = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise BrowserError(f"Chromium exited at start with status {process.returncode}")
        if marker.exists():
            first = marker.read_text().splitlines()[:1]
            if first and first[0].isdigit():
                return int(first[0])
        await asyncio.sleep(POLL_SECONDS)
    raise BrowserError(f"Chromium did not open DevTools within {START_SECONDS:.0f}s")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    # The whole group we started (Chromium and its helpers), by its id, then the same forcefully.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            async with asyncio.timeout(5):
                await process.wait()
            return
        except TimeoutError:
            continue


@contextlib.asynccontextmanager
async def chromium(
    executable: str, workdir: Path, *, width: int = 1280, height: int = 860
) -> AsyncIterator[Page]:
    """A fresh headless Chromium (new empty profile under `workdir`) and its first tab."""
    profile = workdir / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    log = (workdir / "chromium.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        executable,
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "about:blank",
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    session = aiohttp.ClientSession()
    page: Page | None = None
    try:
        port = await _devtools_port(profile, process)
        async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
            targets = await response.json()
        target = next(t for t in targets if t.get("type") == "page")
        socket = await session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        page = Page(socket)
        page.start()
        for domain in ("Page", "Runtime"):
            await page.send(f"{domain}.enable")
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        yield page
    finally:
        if page is not None:
            await page.close()
        await session.close()
        await _stop(process)
        log.close()
