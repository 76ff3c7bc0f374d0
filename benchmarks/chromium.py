"""Debian's Chromium, launched headless through Playwright (never `playwright install`)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from playwright.sync_api import Browser, Playwright

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    return os.environ.get("CHROMIUM", "/usr/bin/chromium")


def launch(playwright: Playwright, extra_args: Sequence[str] = ()) -> Browser:
    # Chromium never finishes loading a page under libfaketime (tests run at faked moments, see
    # devtools/clock.py), so it keeps the real clock; cookies carry Max-Age, so the two clocks need not agree.
    real_clock = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
    return playwright.chromium.launch(
        executable_path=chromium_path(), args=[*CHROMIUM_FLAGS, *extra_args], env=real_clock
    )
