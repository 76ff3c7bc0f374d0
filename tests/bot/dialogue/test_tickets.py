"""A ticket's status goes only to its owner, whatever a conversation sends; the owner question keeps
the dialogue's guarantees (asked at most twice, a person at the end of every dead end)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from bot.dialogue.policy import Known, Turn, next_steps
from bot.dialogue.state import MAX_ASKS, MAX_MESSAGES, CaseState, TicketChecks
from bot.dialogue.steps import Step
from bot.dialogue.tickets import MAX_OWNER_FAILURES
from tests.bot.dialogue.test_policy import NUMBERS, QUIET, Conversation, lookup_kinds, turns

NUMBER = NUMBERS[0]
PERSON = Step("say", "utter_ticket_check_person")
MISMATCH = Step("say", "utter_ticket_owner_mismatch")


def _turn(intent: str = "nlu_fallback", **changes: object) -> Turn:
    return replace(Turn(intent=intent, signals=QUIET), **changes)  # type: ignore[arg-type]


def _naming(number: str = NUMBER, claim: str = "unproven") -> Turn:
    return _turn("ask_ticket_status", ticket_number=number, ticket_claim=claim)


def _answer(proof: str | None) -> Turn:
    return _turn("give_details", owner_proof=proof)


# --- what is said -----------------------------------------------------------------------------------


def test_a_number_not_the_conversations_own_gets_the_owner_question_and_no_status() -> None:
    plan = next_steps(CaseState(), Known(), _naming())
    assert plan.steps == (Step("ask_owner", NUMBER),)
    assert plan.state.tickets.pending == NUMBER


def test_the_right_amount_and_card_ending_get_the_status_and_the_number_stays_proven() -> None:
    asked = next_steps(CaseState(), Known(), _naming()).state
    plan = next_steps(asked, Known(), _answer("match"))
    assert plan.steps == (Step("ticket_status", NUMBER),)
    assert plan.state.tickets.proven == (NUMBER,) and plan.state.tickets.pending is None


def test_a_wrong_answer_is_said_and_asked_once_more_with_a_person_offered() -> None:
    asked = next_steps(CaseState(), Known(), _naming()).state
    plan = next_steps(asked, Known(), _answer("mismatch"))
    assert plan.steps == (MISMATCH, Step("ask_owner", NUMBER))
    assert plan.state.tickets.failures == 1 and plan.state.tickets.asked == 2


def test_two_wrong_answers_end_the_checks_of_the_conversation() -> None:
    state = next_steps(CaseState(), Known(), _naming()).state
    state = next_steps(state, Known(), _answer("mismatch")).state
    stopped = next_steps(state, Known(), _answer("mismatch"))
    assert stopped.steps == (MISMATCH, PERSON)
    assert stopped.state.tickets.failures == MAX_OWNER_FAILURES
    # Another number, even in a new case, is not checked any more.
    fresh = stopped.state.new_case(messages=0)
    assert next_steps(fresh, Known(), _naming(NUMBERS[1])).steps == (PERSON,)


def test_a_mistyped_number_is_refused_twice_then_a_person_is_offered() -> None:
    state = CaseState()
    said = []
    for _ in range(3):
        plan = next_steps(state, Known(), _naming(claim="malformed"))
        said.append(plan.steps)
        state = plan.state
    assert said == [(Step("say", "utter_ticket_number_invalid"),)] * 2 + [(PERSON,)]


def test_i_dont_know_ends_the_owner_question_with_a_person_offered() -> None:
    asked = next_steps(CaseState(), Known(), _naming()).state
    plan = next_steps(asked, Known(), _turn(signals=replace(QUIET, says_unknown=True)))
    assert plan.steps == (PERSON,) and plan.state.tickets.pending is None


def test_a_complaint_after_the_owner_question_drops_it() -> None:
    asked = next_steps(CaseState(), Known(), _naming()).state
    plan = next_steps(asked, Known(amount=True), _turn("report_failed_payment", gave=frozenset({"amount"})))
    assert plan.state.tickets.pending is None
    assert all(step.kind not in ("ask_owner", "ticket_status") for step in plan.steps)


def test_a_person_asked_for_drops_the_owner_question() -> None:
    asked = next_steps(CaseState(), Known(), _naming()).state
    plan = next_steps(asked, Known(), _turn(signals=replace(QUIET, wants_person=True)))
    assert plan.steps[-1] == Step("hand_off", "customer_asked") and plan.state.tickets.pending is None


def test_the_eighth_message_of_an_open_case_brings_a_person_even_among_ticket_questions() -> None:
    state = CaseState(messages=MAX_MESSAGES - 1)
    plan = next_steps(state, Known(), _naming(claim="malformed"))
    assert plan.steps == (Step("say", "utter_ticket_number_invalid"), Step("hand_off", "repeated_failures"))


def test_the_checks_survive_the_slot() -> None:
    checks = TicketChecks(pending=NUMBER, asked=1, failures=1, malformed=2, proven=(NUMBERS[1],))
    assert CaseState.from_slot(CaseState(tickets=checks).to_slot()).tickets == checks
    assert CaseState.from_slot({"tickets": {"asked": -3, "proven": "x"}}).tickets == TicketChecks()


# --- guarantees over any conversation -------------------------------------------------------------


class Watched(Conversation):
    """The harness of test_policy, also keeping which statuses the customer had a right to."""

    def __init__(self, draw_lookup) -> None:  # type: ignore[no-untyped-def]
        super().__init__(draw_lookup)
        self.unearned: list[str] = []

    def send(self, turn: Turn) -> None:
        allowed: set[str] = set()
        if turn.ticket_number and turn.ticket_claim == "own":
            allowed.add(turn.ticket_number)
        elif not turn.ticket_number and turn.owner_proof == "match" and self.state.tickets.pending:
            allowed.add(self.state.tickets.pending)
        before = len(self.statuses)
        super().send(turn)
        self.unearned += [number for number in self.statuses[before:] if number not in allowed]


@given(st.lists(turns, min_size=1, max_size=16), st.data())
def test_a_status_is_told_only_for_the_conversations_own_number_or_a_matching_answer(
    messages: list[Turn], data: st.DataObject
) -> None:
    conversation = Watched(lambda: data.draw(lookup_kinds))
    for turn in messages:
        conversation.send(turn)
    assert conversation.unearned == []


@given(st.lists(turns, min_size=1, max_size=16), st.data())
def test_the_owner_question_is_asked_at_most_twice_in_a_conversation(
    messages: list[Turn], data: st.DataObject
) -> None:
    conversation = Conversation(lambda: data.draw(lookup_kinds))
    for turn in messages:
        conversation.send(turn)
        assert conversation.owner_questions <= MAX_ASKS


@given(st.lists(turns, min_size=1, max_size=16), st.data())
def test_after_two_wrong_answers_no_number_is_checked_again(
    messages: list[Turn], data: st.DataObject
) -> None:
    conversation = Conversation(lambda: data.draw(lookup_kinds))
    for turn in messages:
        stopped = conversation.state.tickets.failures >= MAX_OWNER_FAILURES
        questions = conversation.owner_questions
        conversation.send(turn)
        assert conversation.state.tickets.failures <= MAX_OWNER_FAILURES
        if stopped:
            assert conversation.owner_questions == questions
