"""A customer asks for a person; an agent takes over in the support console (the customer is told a
person has joined), they talk both ways, and the agent resolves with a note (which the customer sees)
and gives the conversation back to the bot: two headless Chromium pages on the session's servers, and
the tracker and the hand-over's ticket checked at the end."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from benchmarks.chromium import chromium_path, launch
from bot.case_store import CaseDatabase, CaseStore
from bot.case_store.agents import AgentDirectory
from bot.case_store.escalations import EscalationStore
from tests.bot.case_store.support import store_at
from tests.e2e.browser import SCREENSHOTS, Widget, phone
from tests.e2e.conftest import Client

pytestmark = pytest.mark.slow

PASSWORD = "a long agent password"
AGENT_NAME = "李娜"
AGENT_SAYS = "您好，我是李娜，正在为您查询这笔56元的扣款。"
CUSTOMER_SAYS = "好的，谢谢，我等你消息"
CLOSING = "人工客服已结束本次服务"
JOINED = f"您好，人工客服{AGENT_NAME}已接入，接下来由{AGENT_NAME}为您服务。"
NOTE = "已安排退款"
TOLD_NOTE = f"处理结果：{NOTE}"
SUCCESS_GREEN, ERROR_RED = "rgb(17, 99, 41)", "rgb(130, 7, 30)"  # console.css: .done, .problem
BUSY = "系统刚才有点忙"  # the gateway's notice when the bot could not answer


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(chromium_path()).exists():
        pytest.fail(f"Debian's chromium is missing at {chromium_path()}: scripts/test.sh installs it as root")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def customer(browser: Browser) -> Iterator[Page]:
    context = phone(browser, "zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def agent(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def agent_login(assistant: Client) -> str:
    login = f"agent-{uuid.uuid4().hex[:8]}"
    directory = AgentDirectory(CaseDatabase(assistant.processes.case_store_url))
    directory.add_agent(login, AGENT_NAME, PASSWORD)
    directory.database.close()
    return login


def _conversation_id(page: Page) -> str:
    session = page.evaluate("() => Object.entries(localStorage).find(([k]) => k.endsWith(':session'))[1]")
    return session.split(".")[0]


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_an_agent_takes_over_talks_and_hands_back(
    assistant: Client, customer: Page, agent: Page, agent_login: str
) -> None:
    gateway = assistant.processes.gateway_url
    widget = Widget(customer).open(gateway + "/")
    widget.say("昨天晚上8点刷卡失败，扣了我56块")
    widget.say("我要找人工客服")
    conversation_id = _conversation_id(customer)
    with store_at(EscalationStore, assistant.processes.case_store_url) as store:
        escalation = store.open_for(conversation_id)
    assert escalation is not None and escalation.status == "waiting"

    # The agent signs in and finds the conversation in the live queue.
    agent.goto(gateway + "/support")
    expect(agent).to_have_url(gateway + "/support/login")
    agent.fill("#login", agent_login)
    agent.fill("#password", PASSWORD)
    agent.click("button[type=submit]")
    expect(agent).to_have_url(gateway + "/support")
    queued = agent.locator(f'#queue li.queue-item[data-id="{escalation.id}"]')
    expect(queued).to_be_visible(timeout=10_000)
    expect(queued.locator(".queue-ticket")).to_have_text(escalation.ticket_number)
    expect(queued.locator(".queue-waited")).not_to_be_empty()

    queued.locator("button.claim").click()
    expect(agent.locator("#summary")).to_have_text(escalation.summary_agent)
    # The customer is told, in Chinese, that a person by that name has joined.
    expect(widget.bot_messages.last).to_have_text(JOINED, timeout=10_000)
    transcript = agent.locator("#transcript")
    expect(transcript.locator(".t-user").first).to_contain_text("昨天晚上8点刷卡失败")
    expect(transcript.locator(".t-user").last).to_contain_text("我要找人工客服")
    expect(agent.locator("body[data-live=true]")).to_have_count(1)

    # Agent → customer, marked as a person.
    agent.fill("#reply", AGENT_SAYS)
    agent.click("#reply-form button[type=submit]")
    from_agent = customer.locator("#cb-chat .msg-agent").last
    expect(from_agent).to_contain_text(AGENT_SAYS, timeout=10_000)
    expect(from_agent.locator(".agent-label")).to_have_text(f"人工客服 · Support agent {AGENT_NAME}")

    # Customer → agent, and the paused bot stays quiet.
    bot_messages_before = widget.bot_messages.count()
    widget.say(CUSTOMER_SAYS, expect_reply=False)
    expect(transcript.locator(".t-user").last).to_have_text(f"客户 · Customer{CUSTOMER_SAYS}", timeout=10_000)
    expect(widget.bot_messages).to_have_count(bot_messages_before)  # no bot reply while paused

    # A refusal is an alert, in red; nothing is said to be done.
    success, alert = agent.locator("#console-status"), agent.locator("#console-alert")
    agent.click("#ticket-form button[type=submit]")  # neither a status nor a note
    expect(alert).to_contain_text("请填写状态或备注")
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_have_css("color", ERROR_RED)
    expect(success).to_be_empty()

    # Resolved with a note: the customer sees the note from the agent, then the bot closes politely.
    # The hand-over's ticket is settled, so the bot no longer says it stays open.
    agent.fill("#finish-note", NOTE)
    agent.click("#resolve")
    expect(widget.bot_messages.last).to_contain_text(CLOSING, timeout=10_000)
    expect(widget.bot_messages.last).not_to_contain_text("继续跟进")
    note_seen = customer.locator("#cb-chat .msg-agent").last
    expect(note_seen).to_contain_text(TOLD_NOTE)
    expect(note_seen.locator(".agent-label")).to_have_text(f"人工客服 · Support agent {AGENT_NAME}")
    # The console says so as a success (a polite status, in green), with the ticket's new status.
    expect(success).to_contain_text("已解决")
    expect(success).to_contain_text(f"工单 {escalation.ticket_number} 已标为已解决")
    expect(success).to_have_attribute("role", "status")
    expect(success).to_have_css("color", SUCCESS_GREEN)
    expect(alert).to_be_empty()
    expect(agent.locator("#ticket-number")).to_have_text(f"{escalation.ticket_number} (resolved)")
    expect(transcript.locator(".t-agent").last).to_contain_text(TOLD_NOTE)
    _shot(agent, "support-console")
    _shot(customer, "support-customer")

    events = assistant.tracker(conversation_id)["events"]
    user_texts = [e["text"] for e in events if e["event"] == "user"]
    assert "我要找人工客服" in user_texts and CUSTOMER_SAYS in user_texts
    kinds = [e["event"] for e in events]
    assert "pause" in kinds and "resume" in kinds and kinds.index("pause") < kinds.index("resume")
    agent_events = [
        e for e in events if e["event"] == "bot" and (e.get("metadata") or {}).get("from") == "agent"
    ]
    assert [e["text"] for e in agent_events] == [AGENT_SAYS, TOLD_NOTE]
    assert {e["metadata"]["agent"] for e in agent_events} == {AGENT_NAME}
    joined = [i for i, e in enumerate(events) if e["event"] == "bot" and e.get("text") == JOINED]
    assert len(joined) == 1 and kinds.index("pause") < joined[0] < kinds.index("resume")
    assert events.index(agent_events[-1]) < kinds.index("resume")  # the note, then the bot
    assert any(e["event"] == "bot" and CLOSING in (e.get("text") or "") for e in events)
    with store_at(EscalationStore, assistant.processes.case_store_url) as store:
        assert store.get(escalation.id).status == "resolved"
    with store_at(CaseStore, assistant.processes.case_store_url) as cases:
        ticket = cases.get(escalation.ticket_number)
    assert ticket.kind == "escalation" and ticket.status == "resolved"
    closing_event = ticket.history[-1]
    assert (closing_event.from_status, closing_event.to_status) == ("open", "resolved")
    assert closing_event.note == f"hand-over resolved: {NOTE}"
    assert closing_event.actor == f"agent:{agent_login}"

    # A reload shows the whole hand-over again, from the tracker.
    customer.reload()
    widget.wait_ready()
    expect(widget.bot_messages.filter(has_text=JOINED)).to_have_count(1)
    expect(customer.locator("#cb-chat .msg-agent").filter(has_text=TOLD_NOTE)).to_have_count(1)

    # Back with the bot, the customer carries on: each message gets the bot's one answer.
    for text in ("那钱什么时候到账？", "好的，谢谢"):
        said = widget.say(text)
        assert BUSY not in said
        if text.endswith("？"):  # what the person left: the ticket as it stands, resolved now
            assert escalation.ticket_number in said and "如上所述" not in said
            assert "已处理完成" in said
        events = assistant.tracker(conversation_id)["events"]
        last_user = max(i for i, e in enumerate(events) if e["event"] == "user")
        assert events[last_user]["text"] == text
        assert [e["name"] for e in events[last_user:] if e["event"] == "action"] == [
            "action_turn",
            "action_listen",
        ]
