from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.handoff.summary import HandoffFacts, summarize
from bot.parsing.time import TimeWindow
from bot.text.language import detect_language

PAID = datetime(2026, 11, 24, 15, 32, tzinfo=ZoneInfo("Asia/Shanghai"))
WINDOW = TimeWindow(PAID - timedelta(minutes=5), PAID + timedelta(minutes=5), exact=True)


def test_a_full_case_fits_on_one_screen_in_both_languages() -> None:
    facts = HandoffFacts(
        reason="policy",
        customer_language="zh",
        window=WINDOW,
        amount=Decimal("6999.00"),
        terminal_id="10293847",
        merchant_name="全家便利店(徐汇店)",
        transaction_id="TXN0015",
        card_last4="3821",
        outcome="escalated",
        ticket_number="ES-20261126-0001-J",
    )
    chinese, english = summarize(facts, "zh"), summarize(facts, "en")
    for text in (chinese, english):
        assert len(text.splitlines()) <= 12 and max(map(len, text.splitlines())) <= 60
        for fact in ("¥6,999.00", "10293847", "TXN0015", "3821", "ES-20261126-0001-J", "15:32"):
            assert fact in text
    assert "超出" in chinese and "Chinese" in english and "Beyond" in english
    assert detect_language(english.replace("全家便利店(徐汇店)", "")) == "en"


def test_what_is_not_known_is_said_plainly() -> None:
    english = summarize(HandoffFacts(reason="customer_asked", customer_language="en"), "en")
    assert english.count("not given") == 3 and "asked for a person" in english
    chinese = summarize(HandoffFacts(reason="repeated_failures", customer_language="en"), "zh")
    assert chinese.count("未提供") == 3 and "英文" in chinese
