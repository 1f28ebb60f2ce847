"""Playwright driving the machine's Chromium (Debian's `chromium`; Playwright's own browser
download cannot work here) against the web application at /app/, and the checks every
browser test shares: signing in, a photo to upload, axe-core and screenshots."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, FilePayload, Page, ViewportSize, sync_playwright

__all__ = [
    "DESKTOP",
    "PHONE",
    "accessibility_problems",
    "chromium",
    "open_app",
    "photo",
    "screenshot",
]

CHROMIUM = Path("/usr/bin/chromium")
WEB = Path(__file__).resolve().parents[2] / "web"
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
PHONE = ViewportSize(width=360, height=740)
DESKTOP = ViewportSize(width=1280, height=800)
#: Where `make screenshots` wants the screens kept; unset, none are taken.
SCREENSHOTS = os.environ.get("WEB_SCREENSHOTS", "")
_LOCALES = {"zh": "zh-CN", "en": "en-GB"}


@contextmanager
def chromium() -> Iterator[Browser]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium (.ci/browser.sh)"
    assert AXE.exists(), f"{AXE} is missing: cd web && npm ci (make web)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


def open_app(browser: Browser, base_url: str, username: str, lang: str, size: ViewportSize) -> Page:
    """A new window of `size` whose browser speaks `lang`, signed in as `username`; the
    language is also picked with lang-switch, as a person would."""
    context = browser.new_context(viewport=size, locale=_LOCALES[lang], base_url=base_url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/app/")
    page.get_by_test_id("lang-switch").select_option(lang)
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill("demo")
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("nav-inbox").wait_for()
    assert not errors, errors
    return page


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("axe.run(document, { resultTypes: ['violations'] })")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page: Page, name: str) -> None:
    """Keep the screen as docs/screenshots/NAME.png when `make screenshots` asks."""
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def photo() -> FilePayload:
    """A small valid PNG, as a phone's camera picture is uploaded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x2a\x6f\xb8" * 16 for _ in range(12))
    header = struct.pack(">IIBBBBB", 16, 12, 8, 2, 0, 0, 0)
    png = b"".join((b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", header),
                    chunk(b"IDAT", zlib.compress(rows)), chunk(b"IEND", b"")))  # fmt: skip
    return FilePayload(name="leak.png", mimeType="image/png", buffer=png)
