"""The rasa server's check of each action server response, with its validator built once.

Rasa 3.6 checks every custom action's response with `jsonschema.validate`, which checks the schema
itself against the draft 2020-12 metaschema and builds a new validator on every call: a sampling
profile under load put that at a fifth of the rasa server's time. `install()` replaces the check
with the same schema, the same validator class, the same error (jsonschema's best match) and the
same message, built once. The rasa server imports our NLU components (`bot.nlu`), which install it.

Most of a check's time went to the events' `oneOf`: each event was tried against all 23 kinds of
event, each failed try building an error. Every kind's schema fixes its `event` name (a `const`), so
an event can only match the kind it names: a response is accepted at once when each event is valid
as the kind it names, and the rest of the response as the schema says. Anything else goes through
the whole schema, which rejects it with the error Rasa would give.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def response_validator() -> Validator:
    """The validator `jsonschema.validate` would build for Rasa's response schema, built once."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@dataclass(frozen=True)
class EventsByKind:
    """The response schema without its events' `oneOf`, and a validator for each kind of event."""

    rest: Validator
    kinds: dict[str, Validator]

    def accepts(self, result: Any) -> bool:
        """True only for a response the whole schema accepts (False: let the whole schema judge)."""
        if not self.rest.is_valid(result):
            return False
        events = result.get("events") if isinstance(result, dict) else None
        if not isinstance(events, list):
            return True  # no events, or not a list: the rest of the schema has judged that
        for event in events:
            kind = event.get("event") if isinstance(event, dict) else None
            validator = self.kinds.get(kind) if isinstance(kind, str) else None
            if validator is None or not validator.is_valid(event):
                return False
        return True


@lru_cache(maxsize=1)
def events_by_kind() -> EventsByKind | None:
    """The shortcut, if Rasa's schema still names one kind per `oneOf` branch (else none)."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    items = schema["properties"]["events"]["items"]
    common = {key: value for key, value in items.items() if key != "oneOf"}
    kinds: dict[str, Validator] = {}
    for branch in items.get("oneOf", []):
        kind = branch.get("properties", {}).get("event", {}).get("const")
        if not isinstance(kind, str) or kind in kinds:
            return None
        kinds[kind] = cls({**common, "oneOf": [branch]})
    rest = copy.deepcopy(schema)
    del rest["properties"]["events"]["items"]
    return EventsByKind(cls(rest), kinds)


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's `RemoteAction._validate_action_result`, with the validator built once."""
    shortcut = events_by_kind()
    if shortcut is not None and shortcut.accepts(result):
        return True
    error: ValidationError | None = best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Use the built-once validator in this process's rasa server."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
