"""Widget benchmark: what the widget weighs, and how long a phone waits from page load to an input it
can type in, measured in headless Chromium (Debian's, through Playwright).

    .venv/bin/python -m benchmarks.widget               # starts its own servers; 20 loads per case
    .venv/bin/python -m benchmarks.widget --smoke       # 3 loads per case (the tests run this)
    .venv/bin/python -m benchmarks.widget --url http://127.0.0.1:8000   # against a running gateway

"Ready" is the widget's own `cb-chat-ready` performance mark: the page, script and stylesheet are
loaded, the chat socket is open and the gateway's welcome (with the conversation so far) has been
rendered, so the input takes a message. Cases: a first visit, a returning visit (a reload that
replays a conversation of a few messages), and both again on a slow phone (CPU 4x slower, and a
mobile network of 150 ms latency and 1.6 Mbit/s).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from benchmarks.chromium import launch
from benchmarks.stats import percentile
from devtools.processes import AssistantProcesses

ASSETS = ("widget.js", "widget.css")
SLOW_PHONE = {"cpu": 4, "latency_ms": 150, "bytes_per_second": 1_600_000 // 8}
FIRST_MESSAGES = ("你好，刷卡显示失败但是扣钱了", "昨天晚上8点", "128.5")


@dataclass
class Case:
    name: str
    slow: bool
    returning: bool


CASES = (
    Case("first visit", slow=False, returning=False),
    Case("returning visit", slow=False, returning=True),
    Case("first visit, slow phone", slow=True, returning=False),
    Case("returning visit, slow phone", slow=True, returning=True),
)


def asset_sizes(gateway_url: str) -> dict[str, dict[str, int]]:
    sizes = {}
    for name in ASSETS:
        body = httpx.get(f"{gateway_url}/{name}", headers={"Accept-Encoding": "identity"}).content
        sizes[name] = {"raw": len(body), "gzip": len(gzip.compress(body, 9))}
    return sizes


def _ready_ms(page: Page) -> float:
    page.wait_for_function("() => performance.getEntriesByName('cb-chat-ready').length > 0", timeout=60_000)
    return page.evaluate("() => performance.getEntriesByName('cb-chat-ready')[0].startTime")


def _slow_down(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": SLOW_PHONE["cpu"]})
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": SLOW_PHONE["latency_ms"],
            "downloadThroughput": SLOW_PHONE["bytes_per_second"],
            "uploadThroughput": SLOW_PHONE["bytes_per_second"],
        },
    )


def _phone(browser: Browser) -> BrowserContext:
    return browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, locale="zh-CN")


def _converse(page: Page, gateway_url: str) -> None:
    """A few messages, so that a reload has a conversation to replay."""
    page.goto(gateway_url + "/")
    _ready_ms(page)
    for text in FIRST_MESSAGES:
        replies = page.locator("#cb-chat .msg-bot").count()
        page.locator("#cb-chat textarea").fill(text)
        page.locator("#cb-chat textarea").press("Enter")
        page.locator("#cb-chat .msg-bot").nth(replies).wait_for(timeout=60_000)


def _load(page: Page, gateway_url: str) -> float:
    page.goto(gateway_url + "/", wait_until="commit")
    return _ready_ms(page)


def measure(browser: Browser, gateway_url: str, case: Case, loads: int) -> list[float]:
    """Milliseconds from navigation to a usable input, once per load."""
    if case.returning:
        context = _phone(browser)
        page = context.new_page()
        _converse(page, gateway_url)
        if case.slow:
            _slow_down(page)
        timings = [_load(page, gateway_url) for _ in range(loads)]
        context.close()
        return timings
    timings = []
    for _ in range(loads):  # a fresh browser profile each time: nothing cached, nothing stored
        context = _phone(browser)
        page = context.new_page()
        if case.slow:
            _slow_down(page)
        timings.append(_load(page, gateway_url))
        context.close()
    return timings


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="3 loads per case (default 20)")
    parser.add_argument("--url", help="a running gateway (default: start every server)")
    parser.add_argument("--loads", type=int, help="page loads per case")
    args = parser.parse_args(argv)
    loads = args.loads or (3 if args.smoke else 20)

    processes = None
    try:
        if args.url is None:
            processes = AssistantProcesses(workdir=Path(tempfile.mkdtemp(prefix="widget-bench-")))
            processes.start()
            args.url = processes.gateway_url
        sizes = asset_sizes(args.url)
        with sync_playwright() as playwright:
            browser = launch(playwright)
            results = {case.name: measure(browser, args.url, case, loads) for case in CASES}
            browser.close()
    finally:
        if processes is not None:
            processes.stop()

    print("\nWidget size")
    print(f"{'file':<12}{'bytes':>10}{'gzip -9':>10}")
    for name, size in sizes.items():
        print(f"{name:<12}{size['raw']:>10}{size['gzip']:>10}")
    total_raw = sum(s["raw"] for s in sizes.values())
    total_gzip = sum(s["gzip"] for s in sizes.values())
    print(f"{'total':<12}{total_raw:>10}{total_gzip:>10}")
    print(f"\nPage load to usable input, 360x740 phone, headless Chromium, {loads} loads each")
    print(f"{'case':<30}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    summary: dict[str, Any] = {"sizes": sizes, "total_gzip": total_gzip, "ready_ms": {}}
    for name, timings in results.items():
        figures = {
            "p50": statistics.median(timings),
            "p95": percentile(timings, 0.95),
            "max": max(timings),
            "loads": len(timings),
        }
        summary["ready_ms"][name] = figures
        print(f"{name:<30}{figures['p50']:>10.0f}{figures['p95']:>10.0f}{figures['max']:>10.0f}")
    return summary


if __name__ == "__main__":
    main()
