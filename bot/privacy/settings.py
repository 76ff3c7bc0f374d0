"""The privacy jobs' settings, read through bot.config: the retention periods and where the stores are."""

from __future__ import annotations

from dataclasses import dataclass

from bot import config
from bot.privacy.rules import RetentionPeriods


def retention_periods(env: config.Env | None = None) -> RetentionPeriods:
    """RETENTION_TRANSCRIPT_DAYS, RETENTION_ESCALATION_DAYS, RETENTION_TICKET_DAYS and
    RETENTION_TICKET_FACTS_DAYS (the process's variables unless given)."""
    return RetentionPeriods(
        transcript_days=config.integer("RETENTION_TRANSCRIPT_DAYS", env),
        escalation_days=config.integer("RETENTION_ESCALATION_DAYS", env),
        ticket_days=config.integer("RETENTION_TICKET_DAYS", env),
        ticket_facts_days=config.integer("RETENTION_TICKET_FACTS_DAYS", env),
    )


def tracker_store_url(env: config.Env | None = None) -> str:
    """The database Rasa's tracker store is in, as the endpoints files tell Rasa: TRACKER_STORE_URL
    (production), else TRACKER_STORE_DIALECT and TRACKER_STORE_DB (a SQLite file, relative to the
    project's directory, where the rasa servers run)."""
    url = config.text("TRACKER_STORE_URL", env)
    if url:
        return url
    dialect = config.text("TRACKER_STORE_DIALECT", env)
    if dialect != "sqlite":
        raise config.ConfigError(f"TRACKER_STORE_URL is needed for a {dialect} tracker store")
    return f"sqlite:///{config.path('TRACKER_STORE_DB', env)}"


@dataclass(frozen=True)
class PrivacySettings:
    periods: RetentionPeriods
    case_store_url: str
    tracker_store_url: str

    @classmethod
    def configured(cls, env: config.Env | None = None) -> PrivacySettings:
        return cls(
            periods=retention_periods(env),
            case_store_url=config.case_store_url(env),
            tracker_store_url=tracker_store_url(env),
        )
