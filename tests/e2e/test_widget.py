"""The widget in headless Chromium on a phone, against the gateway, rasa, actions and the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect

from bot.text.redaction import redact
from tests.e2e.browser import Widget, phone
from tests.e2e.conftest import Client, sandbox_transaction

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def chinese_phone(browser: Browser) -> Iterator[Page]:
    context = phone(browser, "zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def english_phone(browser: Browser) -> Iterator[Page]:
    context = phone(browser, "en-GB")
    yield context.new_page()
    context.close()


def _when(transaction: dict) -> datetime:
    return datetime.fromisoformat(transaction["created_at"]).astimezone(SHANGHAI)


def _case_card_of(widget: Widget) -> dict[str, str]:
    card = widget.page.locator("#cb-chat .case-card").last
    expect(card).to_be_visible()
    return {"text": card.inner_text(), "ticket": card.locator(".case-ticket").inner_text().strip()}


def _conversation_id(page: Page) -> str:
    session = page.evaluate("() => Object.entries(localStorage).find(([k]) => k.endsWith(':session'))[1]")
    return session.split(".")[0]


def _tracker_texts(assistant: Client, page: Page) -> list[str]:
    return [e["text"] for e in assistant.tracker(_conversation_id(page))["events"] if e["event"] == "user"]


def _tracker_slots(assistant: Client, page: Page) -> dict:
    return assistant.tracker(_conversation_id(page))["slots"]


def test_a_complete_complaint_in_chinese_on_a_phone(assistant: Client, chinese_phone: Page) -> None:
    transaction = sandbox_transaction(assistant, "TXN0005")
    when = _when(transaction)
    widget = Widget(chinese_phone).open(assistant.processes.gateway_url + "/")
    assert chinese_phone.locator("#cb-chat textarea").get_attribute("aria-label") == "输入消息"

    assert "时间" in widget.say("你好，刷卡显示交易失败，但是钱被扣了")
    assert "多少钱" in widget.say(f"{when.month}月{when.day}日 {when:%H:%M}")
    assert "终端" in widget.say(f"扣了{transaction['amount']}块")
    assert "后4位" in widget.say(transaction["terminal_id"])
    widget.say(f"尾号{transaction['card_last4']}")
    assert transaction["merchant_name"] in " ".join(widget.bot_messages.all_inner_texts())
    card = _case_card_of(widget)
    assert card["ticket"].startswith("RF-") and "退款" in card["text"]
    widget.screenshot("zh-complaint-phone")
    box = chinese_phone.locator("#cb-chat .case-card").last.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, "the card fits the screen"


def test_a_complete_complaint_in_english_on_a_phone(assistant: Client, english_phone: Page) -> None:
    transaction = sandbox_transaction(assistant, "TXN0007")
    when = _when(transaction)
    widget = Widget(english_phone).open(assistant.processes.gateway_url + "/")
    assert english_phone.locator("#cb-chat textarea").get_attribute("aria-label") == "Type a message"

    assert "when" in widget.say("Hi, the card machine said the payment failed but I was charged").lower()
    assert "how much" in widget.say(f"on {when:%b} {when.day} at {when:%H:%M}").lower()
    assert "terminal" in widget.say(f"{transaction['amount']} yuan").lower()
    assert "last 4 digits" in widget.say(f"TID {transaction['terminal_id']}")
    widget.say(f"card ending {transaction['card_last4']}")
    assert transaction["merchant_name"] in " ".join(widget.bot_messages.all_inner_texts())
    card = _case_card_of(widget)
    assert card["ticket"].startswith("RF-") and "Refund" in card["text"]
    widget.screenshot("en-complaint-phone")


def test_a_reload_in_the_middle_of_the_form_continues_where_it_was(
    assistant: Client, chinese_phone: Page
) -> None:
    widget = Widget(chinese_phone).open(assistant.processes.gateway_url + "/")
    widget.say("昨天晚上8点左右在超市刷卡失败，扣了钱")
    asked = widget.say("56.80元")
    assert "终端" in asked
    widget.input.fill("终端号好像是")  # a draft, not sent yet
    shown_before = widget.page.locator("#cb-chat .msg").all_inner_texts()

    chinese_phone.reload()
    widget.wait_ready()
    assert widget.page.locator("#cb-chat .msg").all_inner_texts() == shown_before
    expect(widget.input).to_have_value("终端号好像是")
    widget.input.fill("")
    assert "后4位" in widget.say("终端号 73311001"), "time and amount were kept: the card comes next"
    slots = _tracker_slots(assistant, chinese_phone)
    assert (slots["amount"], slots["terminal_id"]) == ("56.80", "73311001")


def test_a_message_typed_while_the_connection_is_down_is_sent_once_when_back(
    assistant: Client, chinese_phone: Page
) -> None:
    widget = Widget(chinese_phone).open(assistant.processes.gateway_url + "/")
    widget.say("刷卡失败了但是扣钱了")
    assistant.processes.stop_gateway()
    try:
        expect(widget.page.locator("#cb-chat .status")).to_contain_text("重连", timeout=20_000)
        widget.say("昨天下午三点", expect_reply=False)
        expect(widget.user_messages.last).to_contain_text("昨天下午三点")
        expect(widget.page.locator("#cb-chat .msg-user.pending")).to_have_count(1)
        before = widget.bot_messages.count()
    finally:
        assistant.processes.start_gateway()
    reply = widget.wait_for_reply(before)
    assert "多少钱" in reply
    assert _tracker_texts(assistant, chinese_phone).count("昨天下午三点") == 1
    expect(widget.user_messages.filter(has_text="昨天下午三点")).to_have_count(1)


def test_every_message_is_stored_under_the_id_the_widget_gave_it(
    assistant: Client, english_phone: Page
) -> None:
    # The id is how a resend is recognised; the gateway masks digits that could be a card number
    # wherever they enter, so an id that redaction changes could no longer be matched.
    sent_ids: list[str] = []

    def watch(socket: WebSocket) -> None:
        def sent(payload: str | bytes) -> None:
            frame = json.loads(payload)
            if frame.get("type") == "message":
                sent_ids.append(frame["id"])

        socket.on("framesent", sent)

    english_phone.on("websocket", watch)
    widget = Widget(english_phone).open(assistant.processes.gateway_url + "/")
    widget.say("the card machine said failed but I was charged")
    widget.say("yesterday at 3pm")
    widget.say("88.50 yuan")
    assert len(sent_ids) == 3 and len(set(sent_ids)) == 3
    # Without a digit no id can be read as card data: not just these three, none the widget makes.
    assert not any(char.isdigit() for client_id in sent_ids for char in client_id)
    assert all(redact(client_id).text == client_id for client_id in sent_ids)
    stored = [
        e["metadata"]["client_id"]
        for e in assistant.tracker(_conversation_id(english_phone))["events"]
        if e["event"] == "user"
    ]
    assert stored == sent_ids


def test_html_and_script_are_shown_as_inert_text(assistant: Client, chinese_phone: Page) -> None:
    dialogs: list[str] = []
    chinese_phone.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    widget = Widget(chinese_phone).open(assistant.processes.gateway_url + "/")
    payload = '<img src=x onerror="alert(1)"> javascript:alert(2) <script>alert(3)</script>'
    widget.say(payload)
    message = widget.user_messages.last
    expect(message).to_have_text(payload)
    assert message.locator("img, script, a").count() == 0
    widget.say("看看 https://example.com/help 和 javascript:alert(4)")
    links = widget.user_messages.last.locator("a")
    expect(links).to_have_count(1)
    assert links.first.get_attribute("href") == "https://example.com/help"
    chinese_phone.reload()
    widget.wait_ready()
    expect(widget.user_messages.first).to_have_text(payload)
    assert dialogs == []
    assert widget.page.locator("#cb-chat img").count() == 0


def test_too_many_messages_get_a_polite_answer(assistant: Client, chinese_phone: Page) -> None:
    widget = Widget(chinese_phone).open(assistant.processes.gateway_url + "/")
    for n in range(21):
        widget.say(f"第{n + 1}次问：在吗", expect_reply=False)
    notice = widget.notices.last
    expect(notice).to_contain_text("稍等", timeout=90_000)
    expect(widget.input).to_have_value("第21次问：在吗")  # the refused message is not lost
    assert widget.page.locator("#cb-chat .status").inner_text() in ("", "已重新连接")


def test_language_follows_the_browser_and_the_toggle(assistant: Client, english_phone: Page) -> None:
    widget = Widget(english_phone).open(assistant.processes.gateway_url + "/")
    toggle = english_phone.locator("#cb-chat .lang-toggle")
    expect(toggle).to_have_text("中文")
    toggle.click()
    expect(widget.input).to_have_attribute("aria-label", "输入消息")
    reply = widget.say("88")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reply), reply


def test_the_widget_and_the_case_card_follow_the_language_the_customer_writes(
    assistant: Client, english_phone: Page
) -> None:
    transaction = sandbox_transaction(assistant, "TXN0005")
    when = _when(transaction)
    widget = Widget(english_phone).open(assistant.processes.gateway_url + "/")
    expect(widget.input).to_have_attribute("aria-label", "Type a message")
    facts = f"{when.month}月{when.day}日 {when:%H:%M} 扣了{transaction['amount']}元"
    widget.say(f"{facts} 刷卡失败 终端号{transaction['terminal_id']}")
    expect(widget.input).to_have_attribute("aria-label", "输入消息")
    widget.say(f"尾号{transaction['card_last4']}")
    card = _case_card_of(widget)
    assert "退款" in card["text"], card


# Run inside the chat's iframe: counts the bot's messages that arrive while the chat is closed.
COUNT_MESSAGES_WHILE_CLOSED = """host => {
    window.cbWhileClosed = 0;
    const root = host.shadowRoot.querySelector('.root');
    new MutationObserver((records) => {
        for (const record of records) {
            for (const node of record.addedNodes) {
                const closed = !root.classList.contains('is-open');
                if (node.nodeType === 1 && node.classList.contains('msg-bot') && closed) {
                    window.cbWhileClosed += 1;
                }
            }
        }
    }).observe(host.shadowRoot, {childList: true, subtree: true});
}"""

SEND_WITH_ENTER_THEN_ESCAPE = """(host, text) => {
    const input = host.shadowRoot.querySelector('textarea');
    input.value = text;
    input.dispatchEvent(new Event('input', {bubbles: true}));
    for (const key of ['Enter', 'Escape']) {
        const options = {key, bubbles: true, composed: true, cancelable: true};
        input.dispatchEvent(new KeyboardEvent('keydown', options));
    }
}"""

LAUNCHER_SAYS = """host => [host.shadowRoot.querySelector('.badge').textContent,
                  host.shadowRoot.querySelector('.launcher').getAttribute('aria-label')]"""


def test_the_floating_widget_on_a_shop_page_counts_unread(assistant: Client, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(assistant.processes.gateway_url + "/demo")
    launcher = page.locator("#cb-chat .launcher")
    launcher.click()
    widget = Widget.embedded(page)
    widget.wait_ready()
    expect(widget.input).to_be_focused()
    # Count, in the chat, the bot's messages that appear while it is closed. The message is sent
    # and the chat closed in one script run, so no reply can land before it closes.
    chat = widget.chat.locator("#cb-chat")
    chat.evaluate(COUNT_MESSAGES_WHILE_CLOSED)
    chat.evaluate(SEND_WITH_ENTER_THEN_ESCAPE, "刷卡失败 扣了钱")
    expect(launcher).to_be_focused()
    expect(page.locator("#cb-chat iframe")).to_be_hidden()
    expect(page.locator("#cb-chat .badge")).to_be_visible(timeout=60_000)
    expect(widget.chat.locator("#cb-chat .typing")).to_be_hidden(timeout=60_000)

    # The rest of the reply may still be landing: whenever the count and the launcher hold still
    # for a moment (the frame tells the page by postMessage), the two agree.
    def look() -> tuple[int, list[str]]:
        return chat.evaluate("() => window.cbWhileClosed"), page.locator("#cb-chat").evaluate(LAUNCHER_SAYS)

    agreed = 0
    for _ in range(20):
        first = look()
        page.wait_for_timeout(150)
        if look() != first:
            continue
        while_closed, (badge_text, label) = first
        assert while_closed >= 1
        assert badge_text == str(while_closed)
        assert label == f"打开在线客服（{while_closed} 条新消息）"  # what a screen reader says
        agreed += 1
    assert agreed >= 5
    launcher.click()
    expect(page.locator("#cb-chat .badge")).to_be_hidden()
    expect(widget.input).to_be_focused()
    box = page.locator("#cb-chat iframe").bounding_box()
    assert box is not None and box["width"] < 500, "a floating panel on a desktop, not the whole page"
    context.close()
