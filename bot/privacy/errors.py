"""The privacy subsystem's errors (the case store's own are bot.case_store.errors)."""

from __future__ import annotations


class PrivacyError(Exception):
    """Base of the privacy subsystem's errors."""


class TrackerStoreUnavailable(PrivacyError):
    """Rasa's tracker store could not be read or changed."""
