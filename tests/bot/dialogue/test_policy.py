"""The dialogue policy's guarantees, over any sequence of messages a customer could send."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from bot.dialogue.policy import Known, Plan, Step, Turn, after_lookup, next_steps
from bot.dialogue.signals import Signals
from bot.dialogue.state import MAX_ASKS, MAX_MESSAGES, CaseState

FACTS = ("transaction_time", "amount", "terminal_id", "merchant_name", "card_last4")
INTENTS = (
    "report_failed_payment",
    "give_details",
    "affirm",
    "deny",
    "ask_terminal_id_location",
    "ask_why_needed",
    "no_terminal_id",
    "request_human",
    "ask_ticket_status",
    "cancel",
    "greet",
    "thank",
    "goodbye",
    "bot_challenge",
    "out_of_scope",
    "nlu_fallback",
)
QUIET = Signals(False, False, False, None, False, False, False, False)
NUMBERS = ("RF-20261205-0003-G", "ES-20261205-0004-H")

signals = st.builds(
    Signals,
    wants_person=st.booleans(),
    reports_fraud=st.booleans(),
    says_unknown=st.booleans(),
    got_goods=st.sampled_from([None, True, False]),
    asks_timing=st.booleans(),
    upset=st.booleans(),
    corrects=st.booleans(),
    another_payment=st.booleans(),
    says_yes=st.booleans(),
    says_no=st.booleans(),
    withdraws=st.booleans(),
)
turns = st.builds(
    Turn,
    intent=st.sampled_from(INTENTS),
    signals=signals,
    gave=st.frozensets(st.sampled_from(FACTS), max_size=3),
    rejected=st.frozensets(st.sampled_from(FACTS[:3]), max_size=1),
    ticket_number=st.sampled_from([None, None, None, None, *NUMBERS]),
    ticket_claim=st.sampled_from(["own", "unproven", "malformed"]),
    owner_proof=st.sampled_from([None, None, "match", "mismatch"]),
    payload=st.sampled_from([None, None, None, "/affirm", "/deny", "/no_terminal_id"]),
)
# Unhelpful customers: they never ask for a person and never give a usable fact.
unhelpful_turns = st.builds(
    Turn,
    intent=st.sampled_from([i for i in INTENTS if i != "request_human"]),
    signals=signals.map(lambda s: replace(s, wants_person=False, reports_fraud=False)),
    gave=st.just(frozenset()),
    rejected=st.frozensets(st.sampled_from(FACTS[:3]), max_size=1),
)
lookup_kinds = st.sampled_from(["concluded", "choose", "not_found", "goods", "unavailable"])


class Conversation:
    """The policy driven the way actions/turn.py drives it, with the lookup's answers drawn at random."""

    def __init__(self, draw_lookup) -> None:  # type: ignore[no-untyped-def]
        self.state = CaseState()
        self.known = Known()
        self.draw_lookup = draw_lookup
        self.questions: list[str] = []
        self.ended_at: int | None = None
        self.sent = 0
        self.owner_questions = 0  # in the whole conversation, whatever its cases
        self.statuses: list[str] = []

    def send(self, turn: Turn) -> None:
        self.sent += 1
        known = self.known
        if self.state.stage not in ("done", "handed_off"):
            known = Known(**{fact: getattr(known, fact) or fact in turn.gave for fact in FACTS})
        self.known = known
        plan = next_steps(self.state, known, turn)
        self.run(plan)

    def run(self, plan: Plan) -> None:
        self.state = plan.state
        for step in plan.steps:
            self.step(step)

    def step(self, step: Step) -> None:
        if step.kind == "ask":
            assert step.detail is not None
            self.questions.append(step.detail)
        elif step.kind == "ask_owner":
            self.questions.append("ticket_owner")
            self.owner_questions += 1
        elif step.kind == "ticket_status":
            # The status of a ticket is the answer a status question came for: an outcome.
            assert step.detail is not None
            self.statuses.append(step.detail)
            self.end()
        elif step.kind == "hand_off" or step.kind in ("conclude", "not_found"):
            self.end()
            if step.kind != "hand_off":
                self.state = replace(self.state, stage="done")
        elif step.kind == "cancel":
            self.end()  # the customer withdrew: that ends the case too
        elif step.kind == "start_over":
            self.known = Known()
            self.questions = []
            self.ended_at = None
        elif step.kind == "look_up":
            kind = self.draw_lookup()
            if kind in ("concluded", "unavailable"):
                self.end()
            self.run(after_lookup(self.state, self.known, kind))

    def end(self) -> None:
        if self.ended_at is None:
            self.ended_at = self.sent


@given(st.lists(turns, min_size=1, max_size=14), st.data())
def test_no_question_is_asked_a_third_time(messages: list[Turn], data: st.DataObject) -> None:
    conversation = Conversation(lambda: data.draw(lookup_kinds))
    for turn in messages:
        conversation.send(turn)
        for question in set(conversation.questions):
            assert conversation.questions.count(question) <= MAX_ASKS, conversation.questions


@given(st.lists(unhelpful_turns, min_size=MAX_MESSAGES, max_size=12), st.data())
def test_an_unhelpful_customer_reaches_an_outcome_or_a_person_by_the_eighth_message(
    messages: list[Turn], data: st.DataObject
) -> None:
    conversation = Conversation(lambda: data.draw(lookup_kinds))
    for turn in messages:
        conversation.send(turn)
    assert conversation.ended_at is not None and conversation.ended_at <= MAX_MESSAGES


@given(st.lists(turns, min_size=MAX_MESSAGES, max_size=12), st.data())
def test_any_customer_reaches_an_outcome_or_a_person_by_the_eighth_message(
    messages: list[Turn], data: st.DataObject
) -> None:
    conversation = Conversation(lambda: data.draw(lookup_kinds))
    for turn in messages[:MAX_MESSAGES]:
        conversation.send(turn)
    assert conversation.ended_at is not None and conversation.ended_at <= MAX_MESSAGES


def _turn(intent: str = "give_details", **changes: object) -> Turn:
    return replace(Turn(intent=intent, signals=QUIET), **changes)  # type: ignore[arg-type]


def _no() -> Turn:
    """A "no" as people write it: the intent and a word that says it."""
    return _turn("deny", signals=replace(QUIET, negates=True))


def test_i_dont_know_is_an_answer_and_the_next_question_follows() -> None:
    state = CaseState().asking("terminal_id")
    known = Known(transaction_time=True, amount=True)
    plan = next_steps(state, known, _turn("nlu_fallback", signals=replace(QUIET, says_unknown=True)))
    assert "terminal_id" in plan.state.unknown
    assert Step("ask", "merchant_name") in plan.steps


def test_the_shop_unknown_too_means_searching_without_a_place() -> None:
    state = CaseState(unknown=("terminal_id",)).asking("merchant_name")
    known = Known(transaction_time=True, amount=True, card_last4=True)
    plan = next_steps(state, known, _turn("nlu_fallback", signals=replace(QUIET, says_unknown=True)))
    assert plan.steps[-1] == Step("look_up")


def test_a_person_is_heard_at_every_stage_and_only_once() -> None:
    asking = _turn("give_details", signals=replace(QUIET, wants_person=True))
    for stage in ("collecting", "choose", "card_last4", "goods", "done"):
        plan = next_steps(CaseState(stage=stage), Known(), asking)  # type: ignore[arg-type]
        assert plan.steps[-1] == Step("hand_off", "customer_asked")
        assert plan.state.stage == "handed_off"
    again = next_steps(CaseState(stage="handed_off"), Known(), asking)
    assert Step("hand_off", "customer_asked") not in again.steps


def test_a_debit_the_customer_does_not_recognise_gets_advice_and_a_person_not_a_terminal_question() -> None:
    plan = next_steps(CaseState(), Known(amount=True), _turn(signals=replace(QUIET, reports_fraud=True)))
    assert plan.steps == (Step("say", "utter_fraud_advice"), Step("hand_off", "policy"))


def test_after_the_outcome_numbers_in_a_complaint_change_nothing() -> None:
    done = CaseState(stage="done")
    known = Known(transaction_time=True, amount=True, merchant_name=True)
    plan = next_steps(
        done, known, _turn("nlu_fallback", signals=replace(QUIET, asks_timing=True, upset=True))
    )
    assert plan.steps == (Step("follow_up", "upset"),)
    assert plan.state.stage == "done"


def test_a_clear_correction_after_the_outcome_looks_the_payment_up_again() -> None:
    done = CaseState(stage="done")
    known = Known(transaction_time=True, amount=True, merchant_name=True, card_last4=True)
    plan = next_steps(done, known, _turn(gave=frozenset({"amount"}), signals=replace(QUIET, corrects=True)))
    assert plan.steps == (Step("start_over", "keep_facts"), Step("look_up"))


def test_another_payment_after_the_outcome_is_a_new_case_with_only_its_own_facts() -> None:
    done = CaseState(stage="done")
    known = Known(transaction_time=True, amount=True, merchant_name=True)
    turn = _turn(gave=frozenset({"amount"}), signals=replace(QUIET, another_payment=True))
    plan = next_steps(done, known, turn)
    assert plan.steps == (Step("start_over"), Step("ask", "transaction_time"))


def test_a_payment_that_went_through_asks_about_the_goods_before_concluding() -> None:
    plan = after_lookup(CaseState(), Known(), "goods")
    assert plan.steps == (Step("ask", "goods"),)
    said = next_steps(plan.state, Known(), _no())
    assert said.steps == (Step("conclude"),)
    assert said.state.got_goods is False


def test_a_denial_read_from_the_intent_alone_is_no_answer() -> None:
    # Fragments such as "just that one" can come out of the classifier as a confident "deny".
    asked = after_lookup(CaseState(), Known(), "goods").state
    plan = next_steps(asked, Known(), _turn("deny"))
    assert plan.steps[-1] == Step("ask", "goods")
    assert plan.state.got_goods is None


def test_goods_said_in_the_first_message_are_not_asked_again() -> None:
    first = next_steps(CaseState(), Known(), _turn(signals=replace(QUIET, got_goods=False)))
    assert first.state.got_goods is False
    assert after_lookup(first.state, Known(), "goods").steps == (Step("conclude"),)


def test_several_payments_ask_for_the_card_ending_once_then_a_person() -> None:
    plan = after_lookup(CaseState(), Known(transaction_time=True, amount=True), "choose")
    assert plan.steps == (Step("ask", "card_last4"),)
    unknown = next_steps(plan.state, Known(), _no())
    # The customer hears why a person takes over: the bot will not guess between payments.
    assert unknown.steps[-2:] == (Step("say", "utter_several_fit"), Step("hand_off", "policy"))


def test_the_card_ending_is_asked_before_the_lookup_and_i_dont_know_goes_on_without_it() -> None:
    known = Known(transaction_time=True, amount=True, merchant_name=True)
    plan = next_steps(CaseState(), known, _turn(gave=frozenset({"merchant_name"})))
    assert plan.steps[-1] == Step("ask", "card_last4")
    unknown = next_steps(plan.state, known, _no())
    assert unknown.steps == (Step("look_up"),)


def test_nothing_found_and_no_card_ending_is_an_honest_not_found() -> None:
    plan = after_lookup(CaseState(), Known(), "not_found")
    unknown = next_steps(
        plan.state, Known(), _turn("nlu_fallback", signals=replace(QUIET, says_unknown=True))
    )
    assert unknown.steps == (Step("not_found"),)


def test_how_long_before_any_fact_gets_the_usual_timelines_and_the_first_question() -> None:
    plan = next_steps(CaseState(), Known(), _turn("nlu_fallback", signals=replace(QUIET, asks_timing=True)))
    assert plan.steps == (Step("say", "utter_usual_timelines"), Step("ask", "transaction_time"))


def test_the_conversations_own_ticket_number_is_answered_at_any_stage() -> None:
    for stage in ("collecting", "done", "handed_off"):
        own = _turn(ticket_number="ES-20261205-0003-G", ticket_claim="own")
        plan = next_steps(CaseState(stage=stage), Known(), own)  # type: ignore[arg-type]
        assert plan.steps == (Step("ticket_status", "ES-20261205-0003-G"),)


def test_a_payment_of_another_amount_on_the_card_is_offered_once_before_a_dispute() -> None:
    plan = after_lookup(CaseState(), Known(card_last4=True), "confirm_amount")
    assert plan.steps == () and plan.state.stage == "confirm_amount"
    yes = next_steps(plan.state, Known(card_last4=True), _turn("affirm"))
    assert yes.steps == (Step("accept_offered_amount"), Step("look_up"))
    no = next_steps(plan.state, Known(card_last4=True), _no())
    assert no.steps == (Step("not_found"),)
    # Offered once: a second lookup that still finds only another amount opens the dispute.
    assert after_lookup(plan.state, Known(card_last4=True), "confirm_amount").steps == (Step("not_found"),)


def test_two_entries_seen_are_remembered_for_the_lookup() -> None:
    plan = next_steps(CaseState(), Known(), _turn(signals=replace(QUIET, sees_two_debits=True)))
    assert plan.state.two_debits_seen


def test_a_question_after_the_outcome_is_answered_even_when_classified_as_goodbye() -> None:
    done = CaseState(stage="done")
    asked = next_steps(done, Known(), _turn("goodbye", signals=replace(QUIET, asks=True)))
    assert asked.steps == (Step("follow_up", None),)
    closing = next_steps(done, Known(), _turn("goodbye"))
    assert closing.steps == (Step("say", "utter_goodbye"),)


def test_a_status_question_without_a_number_asks_for_it_once() -> None:
    turn = _turn("greet", signals=replace(QUIET, asks_status=True))
    first = next_steps(CaseState(), Known(), turn)
    assert first.steps == (Step("say", "utter_ask_ticket_number"),)
    again = next_steps(first.state, Known(), turn)
    assert Step("say", "utter_ask_ticket_number") not in again.steps


def test_the_status_intent_without_status_words_is_a_complaint() -> None:
    # The classifier puts "I want to file a complaint" under ask_ticket_status.
    plan = next_steps(CaseState(), Known(), _turn("ask_ticket_status"))
    assert Step("say", "utter_ask_ticket_number") not in plan.steps
    assert plan.state.pending_question != "ticket_number"


def test_a_status_question_with_facts_is_a_complaint() -> None:
    turn = _turn("ask_ticket_status", gave=frozenset({"amount"}), signals=replace(QUIET, asks_status=True))
    plan = next_steps(CaseState(), Known(amount=True), turn)
    assert Step("say", "utter_ask_ticket_number") not in plan.steps
