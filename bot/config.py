"""Settings from the environment, read once, with safe defaults for local use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ComplaintPolicy:
    max_transaction_age_days: int
    max_amount: Decimal


@dataclass(frozen=True)
class Settings:
    default_timezone: ZoneInfo
    default_language: str
    policy: ComplaintPolicy


def load_policy(path: Path) -> ComplaintPolicy:
    """Read the operator's policy file."""
    complaint = yaml.safe_load(path.read_text(encoding="utf-8"))["complaint"]
    return ComplaintPolicy(
        max_transaction_age_days=int(complaint["max_transaction_age_days"]),
        max_amount=Decimal(str(complaint["max_amount"])),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process's settings."""
    return Settings(
        default_timezone=ZoneInfo(os.environ.get("DEFAULT_TIMEZONE", "Asia/Shanghai")),
        default_language=os.environ.get("DEFAULT_LANGUAGE", "zh"),
        policy=load_policy(Path(os.environ.get("POLICY_FILE", PROJECT_ROOT / "policy.yml"))),
    )
