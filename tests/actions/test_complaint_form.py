from actions.complaint_form import AskTerminalId, NoTerminalId, NotUnderstood, ValidateComplaintForm
from tests.actions.conftest import make_tracker


async def test_ask_plainly_first(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "x", slots={"language": "en", "requested_slot": "terminal_id"})
    await AskTerminalId().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"].startswith("What is the terminal ID?")
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        "/ask_terminal_id_location",
        "/no_terminal_id",
    ]


async def test_after_two_failures_offer_help_and_a_person_instead_of_asking_again(domain, dispatcher) -> None:
    tracker = make_tracker(
        domain, "x", slots={"slot_failures": {"terminal_id": 2}, "requested_slot": "terminal_id"}
    )
    await AskTerminalId().run(dispatcher, tracker, domain)
    message = dispatcher.messages[0]
    assert "签购单" in message["text"] and "商户编号" in message["text"]
    assert "/request_human" in [b["payload"] for b in message["buttons"]]
    assert "请提供终端号" not in message["text"]


async def test_unreadable_answer_counts_against_the_requested_slot(domain, dispatcher) -> None:
    tracker = make_tracker(
        domain,
        "嗯嗯",
        slots={"slot_failures": {"amount": 1}, "requested_slot": "amount"},
        active_loop="complaint_form",
    )
    events = await NotUnderstood().run(dispatcher, tracker, domain)
    assert events == [{"event": "slot", "timestamp": None, "name": "slot_failures", "value": {"amount": 2}}]


async def test_no_terminal_id_switches_the_form_to_the_shop_name(domain, dispatcher) -> None:
    tracker = make_tracker(
        domain, "找不到", slots={"requested_slot": "terminal_id"}, active_loop="complaint_form"
    )
    events = await NoTerminalId().run(dispatcher, tracker, domain)
    assert {"event": "slot", "timestamp": None, "name": "terminal_id_unknown", "value": True} in events
    assert "没关系" in dispatcher.messages[0]["text"]
    unknown = make_tracker(
        domain, "找不到", slots={"terminal_id_unknown": True}, active_loop="complaint_form"
    )
    required = await ValidateComplaintForm().required_slots(
        ["transaction_time", "amount", "terminal_id"], dispatcher, unknown, domain
    )
    assert required == ["transaction_time", "amount", "merchant_name"]


async def test_shop_name_is_taken_only_when_asked_for(domain, dispatcher) -> None:
    form = ValidateComplaintForm()
    asked = make_tracker(
        domain, " 华润万家 ", slots={"requested_slot": "merchant_name"}, intent="give_details"
    )
    assert await form.extract_merchant_name(dispatcher, asked, domain) == {"merchant_name": "华润万家"}
    question = make_tracker(
        domain, "为什么要这个", slots={"requested_slot": "merchant_name"}, intent="ask_why_needed"
    )
    assert await form.extract_merchant_name(dispatcher, question, domain) == {}
    not_asked = make_tracker(domain, "华润万家", slots={"requested_slot": "amount"})
    assert await form.extract_merchant_name(dispatcher, not_asked, domain) == {}
