"""Headless Debian Chromium driven by Playwright, and the widget as a person uses it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, FrameLocator, Locator, Page, expect

from bot.config import PROJECT_ROOT

SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
# WeChat's in-app browser on an Android phone: where most customers meet the widget.
WECHAT_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/130.0.6723.103 Mobile Safari/537.36 XWEB/1300289 MicroMessenger/8.0.54.2760(0x28003635) "
    "WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)


def phone(browser: Browser, locale: str = "zh-CN") -> BrowserContext:
    """A 360 px wide phone, touch screen, in WeChat's browser."""
    return browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=locale,
        timezone_id="Asia/Shanghai",
        user_agent=WECHAT_ANDROID,
    )


@dataclass
class Widget:
    """The chat as a customer sees it: messages, buttons, the input box."""

    page: Page
    # On a shop's page the chat runs in the launcher's iframe: `Widget.embedded(page)`.
    frame: FrameLocator | None = None

    @classmethod
    def embedded(cls, page: Page) -> Widget:
        return cls(page, page.frame_locator("#cb-chat iframe"))

    @property
    def chat(self) -> Page | FrameLocator:
        """Where the chat's own elements are: the page, or the iframe on a shop's page."""
        return self.frame or self.page

    def open(self, url: str) -> Widget:
        self.page.goto(url)
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        expect(self.chat.locator("#cb-chat")).to_have_attribute("data-ready", "true", timeout=20_000)

    @property
    def input(self) -> Locator:
        return self.chat.locator("#cb-chat textarea")

    @property
    def bot_messages(self) -> Locator:
        return self.chat.locator("#cb-chat .msg-bot")

    @property
    def user_messages(self) -> Locator:
        return self.chat.locator("#cb-chat .msg-user")

    @property
    def notices(self) -> Locator:
        return self.chat.locator("#cb-chat .msg-notice")

    def say(self, text: str, expect_reply: bool = True) -> str:
        """Type and send a message; the text of the bot's last reply to it."""
        before = self.bot_messages.count()
        self.input.fill(text)
        self.input.press("Enter")
        if not expect_reply:
            return ""
        return self.wait_for_reply(before)

    def tap(self, title: str) -> str:
        """Tap one of the bot's buttons; the text of the bot's last reply."""
        before = self.bot_messages.count()
        self.chat.locator("#cb-chat .msg-bot button:enabled", has_text=title).last.tap()
        return self.wait_for_reply(before)

    def wait_for_reply(self, before: int) -> str:
        # At least one message more than `before`: "not `before` messages" would also hold while
        # there are fewer (none yet), and the greeting would be taken for the question after it.
        expect(self.bot_messages.nth(before)).to_be_attached(timeout=60_000)
        # The typing indicator goes when the last reply of the turn has arrived.
        expect(self.chat.locator("#cb-chat .typing")).to_be_hidden(timeout=60_000)
        return self.bot_messages.last.inner_text()

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path
