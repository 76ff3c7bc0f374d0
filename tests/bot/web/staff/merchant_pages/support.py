"""The merchants, terminals and passwords of the merchant pages' tests, and helpers: signing in, the
CSRF token of a page, a terminal's current code, counter codes counted and filled in, QR codes
decoded by zxing-cpp, sessions opened and their cookies made the way the gateway makes them."""

from __future__ import annotations

import io
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import zxingcpp
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from PIL import Image
from sqlalchemy import create_engine, text

from bot.case_store.merchants import MerchantDirectory
from bot.case_store.staff_sessions import StaffSessions
from tests.bot.case_store.support import store_at
from tests.bot.web.gateway import SECRET, Gateway

SHANGHAI = ZoneInfo("Asia/Shanghai")
MID, OTHER_MID = "898290054990001", "898290055410005"
SHOP_NAME = "全家便利店 <script>alert(1)</script>"
PASSWORD, OTHER_PASSWORD = "correct horse battery", "another long secret"
# Ours: one terminal that starts without a code, one whose code tests replace and revoke.
FRESH, PRINTED, SPARE = "10293847", "10293848", "10293849"
THEIRS = "60218877"
LOGIN_FAILURES = 4


CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def sign_in(gateway: Gateway, login: str = "familymart", password: str = PASSWORD) -> httpx.Client:
    client = gateway.client()
    response = client.post("/merchant/login", data={"login": login, "password": password})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/merchant"
    return client


def csrf_of(client: httpx.Client) -> str:
    page = client.get("/merchant")
    assert page.status_code == 200
    return CSRF_FIELD.search(page.text).group(1)


def current_code(directory: MerchantDirectory, merchant_id: str, terminal_id: str) -> str | None:
    code = dict((t.terminal_id, c) for t, c in directory.terminals(merchant_id))[terminal_id]
    return None if code is None else code.token


def counter_codes(case_store_url: str) -> int:
    engine = create_engine(case_store_url)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT COUNT(*) FROM qr_codes WHERE kind = 'counter'")).scalar()
    engine.dispose()
    return count


def decode(image: bytes) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(image)))]


def shanghai_minutes_ago(minutes: int) -> str:
    return (datetime.now(SHANGHAI) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")


def counter_form(csrf: str, **overrides: str) -> dict[str, str]:
    form = {
        "csrf": csrf,
        "terminal_id": FRESH,
        "amount": "128.50",
        "time": shanghai_minutes_ago(10),
        "hours": "2",
    }
    form.update(overrides)
    return form


def open_session(case_store_url: str, merchant_id: str) -> str:
    """A session of the merchant's on record, as signing in opens one; its id."""
    with store_at(StaffSessions, case_store_url) as records:
        return records.open("merchant", merchant_id, timedelta(hours=8))


def session_cookie(merchant_id: str, session_id: str, *, secret: str = SECRET, age_seconds: int = 0) -> str:
    """A session cookie made the way the gateway makes them, signed `age_seconds` ago."""

    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_seconds

    serializer = URLSafeTimedSerializer(secret, salt="merchant-session", signer=Signer)
    return serializer.dumps({"m": merchant_id, "n": session_id})
