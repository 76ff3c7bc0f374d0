"""Merchant QR codes end to end: codes made, decoded by a real decoder (zxing-cpp), opened in headless
Chromium on a phone, and a complaint completed in which the bot never asks for what the code told;
a counter code made on the merchant page, found again in its list and opened again."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import yaml
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from bot.case_store.merchants import MerchantDirectory
from bot.config import PROJECT_ROOT
from bot.qr.codes import landing_url, png
from bot.qr.poster import poster_png
from tests.e2e.browser import SCREENSHOTS, Widget, phone
from tests.e2e.conftest import Client, sandbox_transaction

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def asked(response: str) -> list[str]:
    """Both languages' texts of a question the bot may ask."""
    return [variation["text"] for variation in DOMAIN["responses"][response]]


NEVER_ASKED_BY_TERMINAL_CODE = asked("utter_ask_terminal_id") + asked("utter_help_terminal_id")
NEVER_ASKED_BY_COUNTER_CODE = [
    *NEVER_ASKED_BY_TERMINAL_CODE,
    *asked("utter_ask_amount"),
    *asked("utter_ask_transaction_time"),
]


def decoded(image: bytes) -> str:
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image)))
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    return barcode.text


def bot_said(widget: Widget) -> str:
    return "\n".join(widget.bot_messages.all_inner_texts())


def conversation_id(page: Page) -> str:
    session = page.evaluate("() => Object.entries(localStorage).find(([k]) => k.endsWith(':session'))[1]")
    return session.split(".")[0]


def test_a_printed_terminal_code_opens_a_chat_that_never_asks_for_the_terminal(
    assistant: Client, merchants: MerchantDirectory, browser: Browser
) -> None:
    transaction = sandbox_transaction(assistant, "TXN0005")
    code = merchants.issue_terminal_code(transaction["terminal_id"])
    poster = poster_png(
        landing_url(code.token, assistant.processes.gateway_url), code.merchant_name, code.terminal_id
    )
    url = decoded(poster)
    assert url.endswith(f"/Q/{code.token}")

    context = phone(browser, "zh-CN")
    widget = Widget(context.new_page()).open(url)
    greeting = widget.wait_for_reply(0)
    assert transaction["merchant_name"] in greeting and "终端号" in greeting
    # The widget's own welcome asks for the terminal ID: a scanned code's chat opens with the shop's.
    expect(widget.page.locator("#cb-chat .intro")).to_be_hidden()
    widget.screenshot("zh-terminal-code-greeting")
    when = datetime.fromisoformat(transaction["created_at"]).astimezone(SHANGHAI)
    assert "什么时候" in widget.say("刷卡的时候机器显示交易失败，但是钱被扣了")
    assert "多少钱" in widget.say(f"{when.month}月{when.day}日 {when:%H:%M}")
    assert "后4位" in widget.say(f"{transaction['amount']}元")
    widget.say(f"尾号{transaction['card_last4']}")
    widget.page.locator("#cb-chat .case-card").last.wait_for()
    said = bot_said(widget)
    assert not [question for question in NEVER_ASKED_BY_TERMINAL_CODE if question in said]
    widget.screenshot("zh-terminal-code-phone")

    events = assistant.tracker(conversation_id(widget.page))["events"]
    scanned = next(e for e in events if e["event"] == "user")
    assert scanned["metadata"]["qr"]["merchant_id"] == transaction["merchant_id"]
    assert scanned["metadata"]["qr"]["terminal_id"] == transaction["terminal_id"]
    assert merchants.code(code.token).scans == 1
    # A reload goes on with the same conversation; the scan is not counted again.
    shown = widget.page.locator("#cb-chat .msg").all_inner_texts()
    widget.page.reload()
    widget.wait_ready()
    assert widget.page.locator("#cb-chat .msg").all_inner_texts() == shown
    assert merchants.code(code.token).scans == 1
    context.close()


def test_a_counter_code_confirms_amount_and_time_instead_of_asking(
    assistant: Client, merchants: MerchantDirectory, browser: Browser
) -> None:
    transaction = sandbox_transaction(assistant, "TXN0006")
    paid = datetime.fromisoformat(transaction["created_at"])
    code = merchants.issue_counter_code(
        transaction["terminal_id"], Decimal(transaction["amount"]), paid, timedelta(hours=24)
    )
    url = decoded(png(landing_url(code.token, assistant.processes.gateway_url), scale=6))

    context = phone(browser, "en-GB")
    widget = Widget(context.new_page()).open(url)
    asked = widget.wait_for_reply(1)  # the shop's greeting, then the one question left
    said = bot_said(widget)
    assert transaction["merchant_name"] in said and "staff" in said
    assert "¥300.00" in said and f"{paid.astimezone(SHANGHAI):%H:%M}" in said
    assert "last 4 digits" in asked
    widget.say(f"card ending {transaction['card_last4']}")
    card = widget.page.locator("#cb-chat .case-card").last
    card.wait_for()
    assert card.locator(".case-ticket").inner_text().startswith("RF-")
    assert not [question for question in NEVER_ASKED_BY_COUNTER_CODE if question in bot_said(widget)]
    widget.screenshot("en-counter-code-phone")
    context.close()


def test_scanning_a_second_code_starts_a_new_conversation(
    assistant: Client, merchants: MerchantDirectory, browser: Browser
) -> None:
    first = sandbox_transaction(assistant, "TXN0005")
    second = sandbox_transaction(assistant, "TXN0006")
    gateway = assistant.processes.gateway_url
    context = phone(browser, "zh-CN")
    page = context.new_page()
    widget = Widget(page).open(
        landing_url(merchants.issue_terminal_code(first["terminal_id"]).token, gateway)
    )
    widget.wait_for_reply(0)
    widget.say("昨天晚上扣了我35块")
    old = conversation_id(page)

    widget.open(landing_url(merchants.issue_terminal_code(second["terminal_id"]).token, gateway))
    greeting = widget.wait_for_reply(0)
    assert second["merchant_name"] in greeting and first["merchant_name"] not in bot_said(widget)
    assert widget.user_messages.count() == 0
    new = conversation_id(page)
    assert new != old
    slots = assistant.tracker(new)["slots"]
    assert slots["terminal_id"] == second["terminal_id"] and slots["amount"] is None
    context.close()


def test_a_counter_code_made_on_the_merchant_page_is_listed_and_opens_again(
    assistant: Client, merchants: MerchantDirectory, browser: Browser
) -> None:
    transaction = sandbox_transaction(assistant, "TXN0005")
    gateway = assistant.processes.gateway_url
    context = phone(browser, "zh-CN")
    page = context.new_page()
    page.goto(f"{gateway}/merchant/login")
    page.locator("#login").fill("familymart")
    page.locator("#password").fill("a long test password")
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{gateway}/merchant")

    # Made at the counter: the payment's time is the form's own (now), the amount typed.
    page.locator("#terminal_id").select_option(transaction["terminal_id"])
    page.locator("#amount").fill("73.20")
    page.locator("#counter button[type=submit]").click()
    expect(page.locator(".counter-code img.qr")).to_be_visible()
    token = page.url.rsplit("/", 1)[1]
    assert merchants.code(token).amount == Decimal("73.20")

    # The merchant leaves the code's page, and finds it again in the list on the home page.
    page.locator("nav.below a", has_text="返回").click()
    expect(page).to_have_url(f"{gateway}/merchant#counter-codes")
    row = page.locator("#counter-codes li.code-row").first
    expect(row).to_contain_text("¥73.20")
    expect(row).to_contain_text(transaction["terminal_id"])
    expect(row.locator(".badge")).to_contain_text("有效")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "zh-merchant-counter-codes.png"), full_page=True)
    row.get_by_role("link").click()
    expect(page).to_have_url(f"{gateway}/merchant/counter/{token}")
    qr = page.locator(".counter-code img.qr")
    expect(qr).to_be_visible()
    assert decoded(qr.screenshot()).endswith(f"/Q/{token}")
    expect(page.locator(".counter-code .amount")).to_have_text("¥73.20")
    context.close()
