"""The merchant pages of a real gateway process themselves: names with HTML escaped, no inline script
or style, and with a public URL, codes pointing there and sessions following its settings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from bot.case_store.merchants import MerchantDirectory
from bot.web.staff.merchant_pages import SESSION_COOKIE
from tests.bot.web.gateway import Gateway
from tests.bot.web.staff.merchant_pages.support import (
    MID,
    PASSWORD,
    PRINTED,
    counter_form,
    csrf_of,
    current_code,
    decode,
    open_session,
    session_cookie,
)

pytestmark = pytest.mark.slow  # a second gateway process, with a public URL


# --- the pages themselves -----------------------------------------------------------------------


def test_names_with_html_are_escaped_and_pages_have_no_inline_script_or_style(
    gateway: Gateway, ours: httpx.Client, directory: MerchantDirectory
) -> None:
    csrf = csrf_of(ours)
    pages = [
        ours.get("/merchant").text,
        ours.post(
            "/merchant/counter-codes", data=counter_form(csrf, amount='"><script>alert(2)</script>')
        ).text,
        gateway.client().get("/merchant/login").text,
        ours.get("/merchant/terminals/NOSUCH/poster.png").text,
    ]
    code = directory.issue_counter_code(
        PRINTED, Decimal("5"), datetime.now(timezone.utc), timedelta(hours=1), merchant_id=MID
    )
    pages.append(ours.get(f"/merchant/counter/{code.token}").text)
    assert "全家便利店 &lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]
    assert "收银台 &lt;b&gt;1&lt;/b&gt;" in pages[0]
    assert "&quot;&gt;&lt;script&gt;alert(2)" in pages[1]
    for page in pages:
        assert "<script" not in page and "<style" not in page and " style=" not in page
        assert '<link rel="stylesheet" href="/merchant.css">' in page
    assert "全家便利店 &lt;script&gt;" in pages[4]
    stylesheet = ours.get("/merchant.css")
    assert stylesheet.status_code == 200 and stylesheet.headers["content-type"].startswith("text/css")


def test_with_a_public_url_codes_point_there_and_sessions_follow_its_settings(
    public_gateway: Gateway, directory: MerchantDirectory, case_store_url: str
) -> None:
    with public_gateway.client() as client:
        signed_in = client.post("/merchant/login", data={"login": "familymart", "password": PASSWORD})
        assert f"Max-Age={3600}" in signed_in.headers["set-cookie"]
        token = current_code(directory, MID, PRINTED)
        poster = client.get(f"/merchant/terminals/{PRINTED}/poster.png")
        assert decode(poster.content) == [f"HTTPS://HELP.EXAMPLE.CN/Q/{token}"]
        assert decode(client.get(f"/merchant/codes/{token}.png").content) == [
            f"HTTPS://HELP.EXAMPLE.CN/Q/{token}"
        ]
    # A session lasts as long as that gateway says: an hour and a minute is too old there.
    live = open_session(case_store_url, MID)
    with public_gateway.client() as client:
        client.cookies.set(SESSION_COOKIE, session_cookie(MID, live, age_seconds=3660), domain="127.0.0.1")
        assert client.get("/merchant").status_code == 303
        client.cookies.set(SESSION_COOKIE, session_cookie(MID, live, age_seconds=3000), domain="127.0.0.1")
        assert client.get("/merchant").status_code == 200
