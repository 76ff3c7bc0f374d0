"""When people answer escalations: support hours in the support team's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import config

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class SupportHours:
    opens: time
    closes: time
    days: frozenset[int]  # 0 = Monday
    zone: ZoneInfo

    @classmethod
    def parse(cls, hours: str, days: str, zone: str) -> SupportHours:
        """From "09:00-21:00", "mon-fri" or "mon,wed,sat" or "mon-sun", and an IANA zone."""
        opens, closes = (time.fromisoformat(part.strip()) for part in hours.split("-"))
        if opens >= closes:
            raise ValueError(f"support hours must open before they close: {hours!r}")
        chosen: set[int] = set()
        for part in days.lower().replace(" ", "").split(","):
            first, _, last = part.partition("-")
            start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
            chosen.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)])
        return cls(opens, closes, frozenset(chosen), ZoneInfo(zone))

    @classmethod
    def configured(cls, env: config.Env | None = None) -> SupportHours:
        """SUPPORT_HOURS and SUPPORT_DAYS, in SUPPORT_TIMEZONE (DEFAULT_TIMEZONE when unset)."""
        return cls.parse(
            config.text("SUPPORT_HOURS", env),
            config.text("SUPPORT_DAYS", env),
            config.text("SUPPORT_TIMEZONE", env) or config.text("DEFAULT_TIMEZONE", env),
        )

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.zone)
        return local.weekday() in self.days and self.opens <= local.time() < self.closes

    def next_opening(self, now: datetime) -> datetime:
        """`now` when open, else the next time support opens (in the support team's zone)."""
        local = now.astimezone(self.zone)
        if self.is_open(local):
            return local
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            opening = datetime.combine(day, self.opens, tzinfo=self.zone)
            if day.weekday() in self.days and opening > local:
                return opening
        raise ValueError("support is never open")
