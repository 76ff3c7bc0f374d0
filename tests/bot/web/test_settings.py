"""The gateway's settings as the process's variables give them."""

from __future__ import annotations

import pytest

from bot.web.settings import GatewaySettings


@pytest.mark.parametrize(("profile", "secure"), [("production", True), ("local", False), ("", False)])
def test_staff_cookies_are_secure_in_the_production_profile(profile: str, secure: bool) -> None:
    assert GatewaySettings.configured({"ASSISTANT_PROFILE": profile}).staff_cookies_secure is secure
