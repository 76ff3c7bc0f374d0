"""The one screen an agent reads in ten seconds when a conversation is handed to a person."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from bot.parsing.time import TimeWindow
from bot.text.formatting import format_amount, format_time_window

Reason = Literal["customer_asked", "repeated_failures", "policy"]

_LABELS = {
    "zh": {
        "reason": "转人工原因",
        "time": "交易时间",
        "amount": "金额",
        "terminal": "终端",
        "shop": "商户",
        "found": "查到的交易",
        "card": "卡尾号",
        "outcome": "机器人的结论",
        "ticket": "工单",
        "language": "客户语言",
        "unknown": "未提供",
    },
    "en": {
        "reason": "Why a person",
        "time": "Payment time",
        "amount": "Amount",
        "terminal": "Terminal",
        "shop": "Shop",
        "found": "Payment found",
        "card": "Card ending",
        "outcome": "Bot's conclusion",
        "ticket": "Ticket",
        "language": "Customer writes",
        "unknown": "not given",
    },
}
_REASONS = {
    "customer_asked": {"zh": "客户要求人工", "en": "The customer asked for a person"},
    "repeated_failures": {
        "zh": "机器人连续两次没能理解客户",
        "en": "The bot failed to understand twice in a row",
    },
    "policy": {
        "zh": "超出机器人可处理的范围（金额或规则）",
        "en": "Beyond what the bot may decide",
    },
}
_OUTCOMES = {
    "refund_ticket": {"zh": "已申请退款", "en": "refund requested"},
    "dispute_ticket": {"zh": "已提交调查", "en": "dispute opened"},
    "reversal_in_progress": {"zh": "冲正中，钱在退回路上", "en": "reversal in progress"},
    "no_charge": {"zh": "没有扣款", "en": "no charge"},
    "charge_succeeded": {"zh": "付款其实成功了", "en": "the payment went through"},
    "escalated": {"zh": "需人工处理", "en": "needs a person"},
}
_LANGUAGE_NAMES = {"zh": {"zh": "中文", "en": "Chinese"}, "en": {"zh": "英文", "en": "English"}}


@dataclass(frozen=True)
class HandoffFacts:
    """What the conversation knows when it is handed to a person."""

    reason: Reason
    customer_language: str
    window: TimeWindow | None = None
    amount: Decimal | None = None
    terminal_id: str | None = None
    merchant_name: str | None = None
    transaction_id: str | None = None
    card_last4: str | None = None
    outcome: str | None = None
    ticket_number: str | None = None


def summarize(facts: HandoffFacts, language: str) -> str:
    """Short labelled lines in `language` ("zh" or "en"); facts not known say so."""
    labels = _LABELS[language]
    unknown = labels["unknown"]
    lines = [
        (labels["reason"], _REASONS[facts.reason][language]),
        (labels["language"], _LANGUAGE_NAMES.get(facts.customer_language, _LANGUAGE_NAMES["zh"])[language]),
        (labels["time"], format_time_window(facts.window, language) if facts.window else unknown),
        (labels["amount"], format_amount(facts.amount) if facts.amount is not None else unknown),
        (labels["terminal"], facts.terminal_id or unknown),
    ]
    if facts.merchant_name:
        lines.append((labels["shop"], facts.merchant_name))
    if facts.transaction_id:
        lines.append((labels["found"], facts.transaction_id))
    if facts.card_last4:
        lines.append((labels["card"], facts.card_last4))
    if facts.outcome in _OUTCOMES:
        lines.append((labels["outcome"], _OUTCOMES[facts.outcome][language]))
    if facts.ticket_number:
        lines.append((labels["ticket"], facts.ticket_number))
    separator = "：" if language == "zh" else ": "
    return "\n".join(f"{label}{separator}{value}" for label, value in lines)
