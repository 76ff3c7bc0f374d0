"""What a shop's page and the phone's storage can see of the chat, in headless Chromium.

The widget's script on a shop's page is only a launcher and an iframe of the gateway's /embed page:
the shop's own scripts (its analytics, an ad network's) can read neither the conversation's token
nor what the customer wrote. Unsent text waits in storage with card numbers and PINs masked.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, WebSocketRoute, expect, sync_playwright

from benchmarks.chromium import launch
from tests.e2e.browser import Widget, phone
from tests.e2e.conftest import Client
from tests.e2e.extra_gateway import extra_gateway

pytestmark = pytest.mark.slow

# Playwright starts Chromium with third-party storage partitioning off (its --disable-features
# list); this Chromium then gives an iframe of another site no storage at all, where browsers as
# shipped give it storage of its own for that site. A second --disable-features replaces
# Playwright's list: this one keeps what of it matters to these tests.
AS_SHIPPED = (
    "--disable-features=AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,"
    "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,MediaRouter,PaintHolding"
)

# The shop's own script: everything of the chat it can reach from its page.
SPY = """
<script>
window.spy = () => {
  const found = {storage: JSON.stringify(Object.assign({}, localStorage)),
                 session: JSON.stringify(Object.assign({}, sessionStorage)), cookie: document.cookie};
  const host = document.getElementById('cb-chat');
  const shadow = host && host.shadowRoot;
  found.shadow = shadow ? shadow.innerHTML + shadow.textContent : '';
  const frame = shadow && shadow.querySelector('iframe');
  try { found.frame = frame.contentDocument.documentElement.outerHTML; }
  catch (e) { found.frame = 'refused'; }
  try { found.frameStorage = JSON.stringify(Object.assign({}, frame.contentWindow.localStorage)); }
  catch (e) { found.frameStorage = 'refused'; }
  return found;
};
</script>
"""


class ShopSite:
    """A shop's web site on an origin of its own (http://localhost:<port>; the gateway is on 127.0.0.1)."""

    def __init__(self) -> None:
        self.html = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.server.server_address[1]}"

    def embeds(self, gateway: str) -> str:
        """The shop's page with the widget's one script tag (and the shop's spy); its address."""
        self.html = (
            '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title></head>'
            f'<body><h1>Example shop</h1>{SPY}<script src="{gateway}/widget.js" defer></script></body></html>'
        )
        return self.origin + "/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch(playwright, [AS_SHIPPED])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shop() -> Iterator[ShopSite]:
    site = ShopSite()
    yield site
    site.close()


@pytest.fixture
def desktop(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    yield context
    context.close()


@pytest.fixture
def chinese_phone(browser: Browser) -> Iterator[BrowserContext]:
    context = phone(browser, "zh-CN")
    yield context
    context.close()


def frame_storage(widget: Widget) -> dict[str, str]:
    """The chat's own localStorage, on the gateway's origin (Playwright may look; the shop may not)."""
    return widget.chat.locator("body").evaluate("() => Object.assign({}, localStorage)")


def no_socket(context: BrowserContext) -> None:
    """From now on the chat's socket closes as soon as it opens: the phone is offline."""

    def refuse(socket: WebSocketRoute) -> None:
        socket.close()

    context.route_web_socket(re.compile(r"/ws$"), refuse)


def test_a_shop_page_of_another_origin_reads_nothing_of_the_conversation(
    assistant: Client, shop: ShopSite, desktop: BrowserContext, tmp_path: Path
) -> None:
    with extra_gateway(assistant.processes, tmp_path, GATEWAY_ALLOWED_ORIGINS=shop.origin) as gateway:
        page = desktop.new_page()
        page.goto(shop.embeds(gateway))
        # What the widget kept on the shop's origin before it ran in an iframe goes on the next visit.
        page.evaluate(f"localStorage.setItem('cbchat:{gateway}:outbox', '[{{\"text\": \"old\"}}]')")
        page.reload()
        page.locator("#cb-chat .launcher").click()
        widget = Widget.embedded(page)
        widget.wait_ready()
        assert widget.say("刷卡失败了但是扣钱了"), "the chat in the iframe talks to the bot"
        token = frame_storage(widget)[f"cbchat:{gateway}:session"]

        # Offline, a message with a card number waits in the chat's outbox.
        no_socket(desktop)
        page.reload()
        expect(widget.chat.locator("#cb-chat .status")).to_contain_text("连接")
        widget.say("卡号 6222 0212 3456 7890 128 是那张卡被扣的", expect_reply=False)
        expect(widget.chat.locator("#cb-chat .msg-user.pending")).to_have_count(1)
        outbox = frame_storage(widget)[f"cbchat:{gateway}:outbox"]
        assert "是那张卡被扣的" in outbox and "[***]" in outbox

        found = page.evaluate("window.spy()")
        everything = json.dumps(found, ensure_ascii=False)
        assert token not in everything and token.split(".")[0] not in everything
        assert "刷卡失败了但是扣钱了" not in everything and "是那张卡被扣的" not in everything
        assert "cbchat" not in found["storage"] and found["session"] == "{}"
        assert found["frame"] == "refused" and found["frameStorage"] == "refused"


def test_a_site_not_allowed_to_embed_the_chat_gets_no_launcher(
    assistant: Client, shop: ShopSite, desktop: BrowserContext
) -> None:
    page = desktop.new_page()
    page.goto(shop.embeds(assistant.processes.gateway_url))  # the shared gateway allows no other site
    frame = page.locator("#cb-chat iframe")
    expect(frame).to_be_attached()
    # The gateway's /embed may not be framed there, so the chat never answers the launcher.
    frame.evaluate("f => new Promise((done) => { f.onload = done; setTimeout(done, 5000); })")
    page.wait_for_timeout(500)
    expect(page.locator("#cb-chat .launcher")).to_be_hidden()


def test_on_a_phone_the_embedded_chat_takes_the_screen_and_gives_focus_back(
    assistant: Client, chinese_phone: BrowserContext
) -> None:
    page = chinese_phone.new_page()
    page.goto(assistant.processes.gateway_url + "/demo")
    launcher = page.locator("#cb-chat .launcher")
    expect(launcher).to_have_attribute("aria-label", "打开在线客服")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.tap()
    widget = Widget.embedded(page)
    widget.wait_ready()
    frame = page.locator("#cb-chat iframe")
    expect(frame).to_have_attribute("title", "支付问题助手")
    assert frame.bounding_box() == {"x": 0, "y": 0, "width": 360, "height": 740}
    expect(launcher).to_be_hidden()  # the chat's own close button closes it
    widget.chat.locator("#cb-chat .lang-toggle").tap()
    expect(widget.input).to_have_attribute("aria-label", "Type a message")
    widget.chat.locator("#cb-chat .close").focus()
    widget.chat.locator("#cb-chat .close").press("Enter")
    expect(frame).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-label", "Open chat")  # the language the customer chose
    page.reload()  # the chat remembers it was closed, and its language
    expect(launcher).to_have_attribute("aria-label", "Open chat")
    expect(frame).to_be_hidden()


# Unsent messages with card data in every shape the gateway masks, and the facts the bot needs.
CARD_DATA = {
    "卡号 6222 0212 3456 7890 128": ["6222", "7890"],
    "card 4111-1111-1111-1111 exp 12/27 cvv 123": ["4111", "cvv 123"],
    "4111111111111111 12/27 321": ["4111", "321"],
    "６２２２０２１２３４５６７８９０１２８ 那张卡": ["６２２２", "6222"],
    "Amex 3782 822463 10005": ["3782", "10005"],
    "4111.1111.1111.1111": ["4111"],
    "卡号6222021234567890127（校验位错了也算）": ["62220212"],
    "密码是123456": ["123456"],
    "密码是一二三四五六": ["一二三四五六"],
    "my PIN is 4321 and the security code 987": ["4321", "987"],
    "卡背面的三位数是 456": ["456"],
}
FACTS = "昨天下午3点 扣了128.50元 终端号1029-3847 尾号1234"


def test_unsent_text_rests_in_storage_without_card_numbers_or_pins(
    assistant: Client, chinese_phone: BrowserContext
) -> None:
    no_socket(chinese_phone)
    page = chinese_phone.new_page()
    page.goto(assistant.processes.gateway_url + "/")
    widget = Widget(page)
    for text in [*CARD_DATA, FACTS]:
        widget.say(text, expect_reply=False)
    expect(widget.chat.locator("#cb-chat .msg-user.pending")).to_have_count(len(CARD_DATA) + 1)
    widget.input.fill("我的卡号是 4111 1111 1111 1111")  # a draft, not sent

    stored = page.evaluate("() => Object.assign({}, localStorage)")
    gateway = assistant.processes.gateway_url
    outbox = [item["text"] for item in json.loads(stored[f"cbchat:{gateway}:outbox"])]
    draft = stored[f"cbchat:{gateway}:draft"]
    for text, secrets in CARD_DATA.items():
        for secret in secrets:
            assert secret not in " ".join([*outbox, draft]), (text, secret)
    assert draft == "我的卡号是 [***]"
    assert outbox[-1] == FACTS, "what is not card data is kept as typed"
    assert all("[***]" in text for text in outbox[:-1])

    page.reload()  # what the customer sees after a reload is what was stored
    expect(widget.user_messages).to_have_count(len(CARD_DATA) + 1)
    shown = " ".join(widget.user_messages.all_inner_texts())
    assert "6222" not in shown and "123456" not in shown and FACTS in shown
    expect(widget.input).to_have_value("我的卡号是 [***]")
