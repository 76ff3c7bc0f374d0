"""The databases that hold customers' data, opened together: the case store and Rasa's tracker store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.case_store.db import CaseDatabase, utc_now
from bot.case_store.outbox import Outbox
from bot.case_store.personal_data import PersonalData
from bot.privacy.tracker import TrackerEvents


@dataclass
class Stores:
    database: CaseDatabase
    records: PersonalData
    outbox: Outbox
    tracker: TrackerEvents

    @classmethod
    def open(
        cls, case_store_url: str, tracker_store_url: str, *, clock: Callable[[], datetime] = utc_now
    ) -> Stores:
        database = CaseDatabase(case_store_url)
        try:
            tracker = TrackerEvents(tracker_store_url)
        except Exception:
            database.close()
            raise
        return cls(database, PersonalData(database, clock=clock), Outbox(database), tracker)

    def close(self) -> None:
        self.tracker.close()
        self.database.close()

    def __enter__(self) -> Stores:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
