"""When the case store cannot be written (a dropped connection, a database restart): the customer is
told so politely, nothing is claimed that was not stored, and every fact stays in the slots so the
same step can be taken again. The store's own transactions leave no half-written ticket behind."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.rendering import utter
from bot.case_store import CaseStoreError

logger = logging.getLogger(__name__)

Run = Callable[[Any, CollectingDispatcher, Tracker, DomainDict], Awaitable[list[EventType]]]


def answers_when_the_case_store_fails(then: str | None = None) -> Callable[[Run], Run]:
    """Wrap an action's run: on a case store failure, apologise and change no slot; `then` names an
    action to run next (e.g. the read-back again, so that the customer's next "yes" retries)."""

    def wrap(run: Run) -> Run:
        @functools.wraps(run)
        async def guarded(
            action: Action, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
        ) -> list[EventType]:
            try:
                return await run(action, dispatcher, tracker, domain)
            except CaseStoreError:
                logger.exception(
                    "%s: the case store failed; the complaint stays in the conversation", action.name()
                )
                utter(dispatcher, tracker, domain, "utter_case_store_unavailable")
                return [FollowupAction(then)] if then else []

        return guarded

    return wrap
