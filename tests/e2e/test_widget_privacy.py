"""The widget's privacy line in headless Chromium on a phone: how long the chat is kept, with the days
the gateway is configured with (RETENTION_TRANSCRIPT_DAYS), and how to ask for a copy or deletion, in
both languages. A gateway of its own (no rasa server needed: the line is there before any message)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from bot.case_store import upgrade
from tests.bot.web.gateway import Gateway, start_gateway, stop_gateway
from tests.e2e.browser import phone

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    workdir = tmp_path_factory.mktemp("privacy-gateway")
    case_store_url = f"sqlite:///{workdir / 'cases.db'}"
    upgrade(case_store_url)
    started = start_gateway(workdir, case_store_url, "privacy-gateway", RETENTION_TRANSCRIPT_DAYS="77")
    yield started
    stop_gateway(started)


@pytest.mark.parametrize(
    ("locale", "says", "toggled"),
    [
        ("zh-CN", ["聊天记录保存77天后自动删除", "转人工"], "We keep this chat for 77 days"),
        ("en-GB", ["We keep this chat for 77 days", "talk to a person"], "聊天记录保存77天"),
    ],
)
def test_the_chat_says_how_long_it_is_kept_and_how_to_have_it_deleted(
    browser: Browser, gateway: Gateway, locale: str, says: list[str], toggled: str
) -> None:
    context = phone(browser, locale)
    try:
        page = context.new_page()
        page.goto(gateway.url + "/")
        line = page.locator("#cb-chat .privacy")
        expect(line).to_be_visible(timeout=20_000)
        for words in says:
            expect(line).to_contain_text(words)
        # Unobtrusive: small print under the greeting, not a message of the conversation.
        assert line.evaluate("e => getComputedStyle(e).fontSize") == "12px"
        assert line.evaluate("e => e.previousElementSibling.className") == "intro"
        assert page.locator("#cb-chat .log .privacy").count() == 0
        page.locator("#cb-chat .lang-toggle").click()
        expect(line).to_contain_text(toggled)
    finally:
        context.close()
