"""A ticket's status goes to its owner only, end to end (trained model, action server, case store
over REST): a second conversation naming someone else's ticket number learns nothing until it
gives the payment's amount and the card's last 4 digits, is told the same for a number no ticket
has, and asking for a person there never binds that ticket to its hand-over."""

from __future__ import annotations

import pytest

from benchmarks.conversation import case_result
from bot.case_store import CaseDatabase, CaseStore, parse_number
from bot.case_store.escalations import EscalationStore
from bot.case_store.ticket_numbers import TicketNumber
from tests.e2e.conftest import Client, sandbox_transaction
from tests.e2e.test_lookup_outcomes import complain, texts

pytestmark = pytest.mark.slow

# An open ticket's status, as the bot tells it.
STATUS = {"en": "open, our team is on it", "zh": "已受理，正在处理"}
ASK = {"en": "status of {}", "zh": "我的工单 {} 怎么样了"}


def _ticket_of_a_stranger(assistant: Client, language: str) -> tuple[str, dict]:
    """A conversation complains and is given a refund ticket: its number, and the amount and card
    ending its owner gave. A payment has one active ticket, and the owner is whoever opened it, so
    these tests take a payment no other end-to-end test complains about (another test's customer
    gives TXN0005's card number instead of its last 4, which leaves that ticket nothing to prove)."""
    transaction = sandbox_transaction(assistant, "TXN0007")
    replies = complain(assistant, assistant.new_sender(), transaction, language)
    payload = case_result(replies)
    assert payload is not None and payload["outcome"] == "refund_ticket", texts(replies)
    database = CaseDatabase(assistant.processes.case_store_url)
    try:
        ticket = CaseStore(database).get(payload["ticket_id"])
    finally:
        database.close()
    assert ticket is not None and ticket.amount is not None and ticket.card_last4 is not None
    assert ticket.transaction_id == transaction["transaction_id"]
    return payload["ticket_id"], {"amount": f"{ticket.amount:.2f}", "card_last4": ticket.card_last4}


def _no_one_has(number: str) -> str:
    """A number of the same day, written as the bot writes them (its check letter right), that no
    ticket has."""
    parsed = parse_number(number)
    assert parsed is not None
    return str(TicketNumber(parsed.prefix, parsed.day, parsed.sequence + 700))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_someone_elses_number_and_a_number_no_one_has_get_the_same_answer(
    assistant: Client, language: str
) -> None:
    number, _ = _ticket_of_a_stranger(assistant, language)
    unknown = _no_one_has(number)
    theirs = texts(assistant.say(assistant.new_sender(), ASK[language].format(number)))
    nobodys = texts(assistant.say(assistant.new_sender(), ASK[language].format(unknown)))
    assert theirs == nobodys.replace(unknown, number)
    assert STATUS[language] not in theirs and ("后4位" in theirs or "last 4 digits" in theirs), theirs


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_payments_amount_and_card_ending_tell_the_status_from_another_conversation(
    assistant: Client, language: str
) -> None:
    number, transaction = _ticket_of_a_stranger(assistant, language)
    other = assistant.new_sender()
    asked = texts(assistant.say(other, ASK[language].format(number.lower())))
    assert STATUS[language] not in asked, asked
    told = texts(assistant.say(other, f"{transaction['amount']} {transaction['card_last4']}"))
    assert number in told and STATUS[language] in told, told


def test_wrong_answers_tell_nothing_and_end_with_a_person_offered(assistant: Client) -> None:
    number, transaction = _ticket_of_a_stranger(assistant, "en")
    other = assistant.new_sender()
    said = [assistant.say(other, f"status of {number}")]
    said.append(assistant.say(other, f"{transaction['amount']} 0000"))
    said.append(assistant.say(other, "99.99 " + transaction["card_last4"]))
    # The right answer now comes too late: the conversation checks no more numbers.
    said.append(assistant.say(other, f"{transaction['amount']} {transaction['card_last4']}"))
    said.append(assistant.say(other, f"status of {number}"))
    assert not any(STATUS["en"] in texts(replies) for replies in said), [texts(r) for r in said]
    assert "match" in texts(said[1]) and "match" in texts(said[2])
    assert "/request_human" in [b["payload"] for r in said[2] + said[4] for b in r.get("buttons", [])]


def test_asking_for_a_person_never_binds_the_ticket_asked_about(assistant: Client) -> None:
    number, transaction = _ticket_of_a_stranger(assistant, "en")
    store = CaseStore(CaseDatabase(assistant.processes.case_store_url))
    history = store.get(number).history  # type: ignore[union-attr]
    other = assistant.new_sender()
    asked = texts(assistant.say(other, f"status of {number}"))
    assert STATUS["en"] not in asked, asked
    # Proving it answers the question, and still makes it no case of this conversation.
    assert STATUS["en"] in texts(assistant.say(other, f"{transaction['amount']} {transaction['card_last4']}"))
    replies = assistant.say(other, "I want to talk to a real person")
    handed = case_result(replies)
    assert handed is not None and handed["outcome"] == "escalated", texts(replies)
    assert handed["ticket_id"] != number and handed["ticket_id"].startswith("ES-")
    escalation = EscalationStore(CaseDatabase(assistant.processes.case_store_url)).open_for(other)
    assert escalation is not None and escalation.ticket_number == handed["ticket_id"]
    assert number not in escalation.summary_agent and number not in escalation.summary_customer
    assert assistant.tracker(other)["slots"]["ticket_number"] == handed["ticket_id"]
    assert store.get(number).history == history  # type: ignore[union-attr]
