"""The merchant pages of a real gateway process, driven over loopback with httpx: sign-in and its
limits, sessions and CSRF, one merchant fenced off from another, posters and counter codes that a
real decoder (zxing-cpp) reads back to the right token."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import zxingcpp
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from PIL import Image
from sqlalchemy import create_engine, text

from bot.case_store import CaseDatabase
from bot.case_store.merchants import MerchantDirectory
from bot.web.staff.merchant_pages import SESSION_COOKIE
from tests.bot.case_store.support import migrated_sqlite
from tests.bot.web.gateway import SECRET, Gateway, start_gateway, stop_gateway

SHANGHAI = ZoneInfo("Asia/Shanghai")
MID, OTHER_MID = "898290054990001", "898290055410005"
SHOP_NAME = "全家便利店 <script>alert(1)</script>"
PASSWORD, OTHER_PASSWORD = "correct horse battery", "another long secret"
# Ours: one terminal that starts without a code, one whose code tests replace and revoke.
FRESH, PRINTED, SPARE = "10293847", "10293848", "10293849"
THEIRS = "60218877"
LOGIN_FAILURES = 4

pytestmark = pytest.mark.slow  # two gateway processes and many argon2 checks: about 8 s
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("merchant-pages")


@pytest.fixture(scope="module")
def case_store_url(workdir: Path) -> str:
    return migrated_sqlite(workdir)


@pytest.fixture(scope="module")
def directory(case_store_url: str) -> Iterator[MerchantDirectory]:
    merchants = MerchantDirectory(CaseDatabase(case_store_url))
    merchants.add_merchant(MID, SHOP_NAME, "familymart", PASSWORD)
    merchants.add_terminal(MID, FRESH, "收银台 <b>1</b>")
    merchants.add_terminal(MID, PRINTED, "收银台 2")
    merchants.add_terminal(MID, SPARE)
    merchants.issue_terminal_code(PRINTED)
    merchants.add_merchant(OTHER_MID, "中国石化加油站", "sinopec", OTHER_PASSWORD)
    merchants.add_terminal(OTHER_MID, THEIRS)
    merchants.issue_terminal_code(THEIRS)
    yield merchants
    merchants.database.close()


@pytest.fixture(scope="module")
def gateway(workdir: Path, case_store_url: str, directory: MerchantDirectory) -> Iterator[Gateway]:
    started = start_gateway(
        workdir, case_store_url, "gateway", GATEWAY_MERCHANT_LOGIN_FAILURES=str(LOGIN_FAILURES)
    )
    yield started
    stop_gateway(started)


@pytest.fixture(scope="module")
def public_gateway(workdir: Path, case_store_url: str, directory: MerchantDirectory) -> Iterator[Gateway]:
    """A second gateway with a public URL and one-hour sessions."""
    started = start_gateway(
        workdir,
        case_store_url,
        "public-gateway",
        GATEWAY_PUBLIC_URL="https://help.example.cn",
        GATEWAY_MERCHANT_SESSION_HOURS="1",
    )
    yield started
    stop_gateway(started)


def sign_in(gateway: Gateway, login: str = "familymart", password: str = PASSWORD) -> httpx.Client:
    client = gateway.client()
    response = client.post("/merchant/login", data={"login": login, "password": password})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/merchant"
    return client


@pytest.fixture(scope="module")
def ours(gateway: Gateway) -> Iterator[httpx.Client]:
    client = sign_in(gateway)
    yield client
    client.close()


@pytest.fixture(scope="module")
def theirs(gateway: Gateway) -> Iterator[httpx.Client]:
    client = sign_in(gateway, "sinopec", OTHER_PASSWORD)
    yield client
    client.close()


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


def session_cookie(merchant_id: str, *, secret: str = SECRET, age_seconds: int = 0) -> str:
    """A session cookie made the way the gateway makes them, signed `age_seconds` ago."""

    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_seconds

    serializer = URLSafeTimedSerializer(secret, salt="merchant-session", signer=Signer)
    return serializer.dumps({"m": merchant_id, "n": "test-nonce"})


# --- signed out ---------------------------------------------------------------------------------


def test_signed_out_pages_redirect_to_sign_in_and_posts_are_refused(
    gateway: Gateway, directory: MerchantDirectory
) -> None:
    token = current_code(directory, MID, PRINTED)
    client = gateway.client()
    for path in (
        "/merchant",
        f"/merchant/terminals/{PRINTED}/poster.png",
        f"/merchant/terminals/{PRINTED}/poster.svg",
        f"/merchant/counter/{token}",
        f"/merchant/codes/{token}.svg",
        f"/merchant/codes/{token}.png",
    ):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/merchant/login"
    for path in (
        f"/merchant/terminals/{PRINTED}/code",
        f"/merchant/codes/{token}/revoke",
        "/merchant/counter-codes",
        "/merchant/logout",
    ):
        response = client.post(path, data={"csrf": "x", "amount": "1", "terminal_id": PRINTED})
        assert response.status_code == 403, path
        assert "请先登录" in response.text and "Please sign in first" in response.text
    assert current_code(directory, MID, PRINTED) == token
    assert directory.scan(token).status == "ok"


def test_the_sign_in_page_and_the_session_cookie(gateway: Gateway) -> None:
    client = gateway.client()
    page = client.get("/merchant/login")
    assert page.status_code == 200
    assert "商户登录" in page.text and "Merchant sign-in" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    response = client.post("/merchant/login", data={"login": "familymart", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/merchant"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "max-age", "samesite"} <= attributes.keys()
    assert attributes["path"].strip() == "Path=/merchant"
    assert attributes["samesite"].strip() == "SameSite=Strict"
    assert attributes["max-age"].strip() == f"Max-Age={8 * 3600}"
    assert "secure" not in attributes  # plain http on loopback
    assert client.get("/merchant").status_code == 200
    # Signed in, the sign-in page sends staff on to their terminals.
    assert client.get("/merchant/login").headers["location"] == "/merchant"


def test_a_wrong_password_fails_politely(gateway: Gateway) -> None:
    client = gateway.client("127.0.0.3")
    for login, password in (
        ("familymart", "not the password"),
        ("nobody", PASSWORD),
        ("", ""),
        ("x" * 500, "y"),
    ):
        response = client.post("/merchant/login", data={"login": login, "password": password})
        assert response.status_code == 403
        assert "登录名或密码不对" in response.text and "password is wrong" in response.text
        assert "set-cookie" not in response.headers
        assert 'name="password"' in response.text
    assert client.get("/merchant").status_code == 303
    # The typed name comes back in the form, escaped.
    response = client.post("/merchant/login", data={"login": '"><script>x</script>', "password": "p"})
    assert "&quot;&gt;&lt;script&gt;" in response.text and "<script>x" not in response.text


def test_repeated_failures_from_one_address_are_limited(gateway: Gateway) -> None:
    guesser = gateway.client("127.0.0.2")
    for _ in range(LOGIN_FAILURES):
        response = guesser.post("/merchant/login", data={"login": "familymart", "password": "guess guess"})
        assert response.status_code == 403
    limited = guesser.post("/merchant/login", data={"login": "familymart", "password": "guess again"})
    assert limited.status_code == 429
    assert "登录失败次数过多" in limited.text and "Too many failed sign-ins" in limited.text
    assert int(limited.headers["retry-after"]) == 15 * 60
    # Even the right password waits now: otherwise guessing would go on.
    right = guesser.post("/merchant/login", data={"login": "familymart", "password": PASSWORD})
    assert right.status_code == 429 and "set-cookie" not in right.headers
    # Another address is not held up.
    sign_in(gateway).close()


def test_tampered_forged_and_expired_cookies_count_as_none(gateway: Gateway) -> None:
    def status_with(cookie: str) -> int:
        client = gateway.client()
        client.cookies.set(SESSION_COOKIE, cookie, domain="127.0.0.1", path="/merchant")
        return client.get("/merchant").status_code

    # The way the test makes cookies is the gateway's: a fresh one opens the page...
    assert status_with(session_cookie(MID)) == 200
    # ...an altered, a foreign, an old one, or one for no merchant, does not.
    signed_in = sign_in(gateway)
    good = signed_in.cookies[SESSION_COOKIE]
    signed_in.close()
    assert status_with(good) == 200
    signed, signature = good.rsplit(".", 1)
    assert status_with(signed + "." + ("B" if signature[0] == "A" else "A") + signature[1:]) == 303
    # Another merchant's id under this cookie's signature.
    assert status_with(session_cookie(OTHER_MID).split(".", 1)[0] + "." + good.split(".", 1)[1]) == 303
    assert status_with(session_cookie(MID, secret="some other secret")) == 303
    assert status_with(session_cookie(MID, age_seconds=8 * 3600 + 60)) == 303
    assert status_with(session_cookie("898290000000009")) == 303
    assert status_with("") == 303
    assert status_with("x" * 3000) == 303


def test_sign_out_clears_the_cookie(gateway: Gateway) -> None:
    client = sign_in(gateway)  # a session of its own: the others stay signed in
    response = client.post("/merchant/logout", data={"csrf": csrf_of(client)})
    assert response.status_code == 303 and response.headers["location"] == "/merchant/login?done=out"
    cookie = response.headers["set-cookie"]
    assert "Max-Age=0" in cookie and "Path=/merchant" in cookie
    assert client.get("/merchant").status_code == 303
    assert "已退出" in client.get("/merchant/login?done=out").text
    client.close()


# --- CSRF ---------------------------------------------------------------------------------------


def test_a_post_without_the_sessions_csrf_token_is_refused(
    gateway: Gateway, ours: httpx.Client, theirs: httpx.Client, directory: MerchantDirectory
) -> None:
    token = current_code(directory, MID, PRINTED)
    own_csrf = csrf_of(ours)
    second_session = sign_in(gateway)
    another_sessions_csrf = csrf_of(second_session)
    second_session.close()
    assert another_sessions_csrf != own_csrf
    for data in (
        {},
        {"csrf": ""},
        {"csrf": "0" * 64},
        {"csrf": csrf_of(theirs)},
        {"csrf": another_sessions_csrf},
    ):
        for path in (f"/merchant/terminals/{PRINTED}/code", f"/merchant/codes/{token}/revoke"):
            response = ours.post(path, data=data)
            assert response.status_code == 403, (path, data)
            assert "表单已失效" in response.text and "This form has expired" in response.text
        form = {k: v for k, v in counter_form("").items() if k != "csrf"}
        assert ours.post("/merchant/counter-codes", data={**form, **data}).status_code == 403
        assert ours.post("/merchant/logout", data=data).status_code == 403
    # The right token, but posted by another site's page.
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site", "Origin": "null"}):
        response = ours.post(f"/merchant/terminals/{PRINTED}/code", data={"csrf": own_csrf}, headers=headers)
        assert response.status_code == 403
    assert current_code(directory, MID, PRINTED) == token
    assert directory.scan(token).status == "ok"
    assert ours.get("/merchant").status_code == 200  # still signed in


def test_the_sites_own_forms_pass_as_browsers_send_them(
    gateway: Gateway, directory: MerchantDirectory
) -> None:
    """The gateway's Referrer-Policy (no-referrer) makes browsers send `Origin: null` on every form
    post, even the gateway's own; Sec-Fetch-Site says where it came from."""
    own_page = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    client = gateway.client()
    response = client.post(
        "/merchant/login", data={"login": "familymart", "password": PASSWORD}, headers=own_page
    )
    assert response.status_code == 303
    before = current_code(directory, MID, SPARE)
    made = client.post(f"/merchant/terminals/{SPARE}/code", data={"csrf": csrf_of(client)}, headers=own_page)
    assert made.status_code == 303 and current_code(directory, MID, SPARE) not in (None, before)
    directory.revoke(current_code(directory, MID, SPARE))
    cross_site = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    refused = gateway.client().post(
        "/merchant/login", data={"login": "familymart", "password": PASSWORD}, headers=cross_site
    )
    assert refused.status_code == 403 and "set-cookie" not in refused.headers
    client.close()


# --- terminals and printed codes ----------------------------------------------------------------


def test_the_terminals_page_lists_only_the_merchants_own_terminals(
    ours: httpx.Client, directory: MerchantDirectory
) -> None:
    page = ours.get("/merchant")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "我的终端" in page.text and "My terminals" in page.text
    for terminal_id in (FRESH, PRINTED, SPARE):
        assert terminal_id in page.text
    assert THEIRS not in page.text and "中国石化" not in page.text
    printed = directory.code(current_code(directory, MID, PRINTED))
    assert f"/merchant/terminals/{PRINTED}/poster.png" in page.text
    assert f"/merchant/terminals/{PRINTED}/poster.svg" in page.text
    assert printed.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in page.text
    assert f"/merchant/terminals/{SPARE}/code" in page.text and "No printed code yet" in page.text


def test_a_first_code_then_a_new_one_that_revokes_it(
    gateway: Gateway, ours: httpx.Client, directory: MerchantDirectory
) -> None:
    assert current_code(directory, MID, FRESH) is None
    assert ours.get(f"/merchant/terminals/{FRESH}/poster.png").status_code == 404
    csrf = csrf_of(ours)
    made = ours.post(f"/merchant/terminals/{FRESH}/code", data={"csrf": csrf})
    assert made.status_code == 303
    first = current_code(directory, MID, FRESH)
    assert first is not None
    assert "已为终端" in ours.get(made.headers["location"]).text

    replaced = ours.post(f"/merchant/terminals/{FRESH.lower()}/code", data={"csrf": csrf})
    assert replaced.status_code == 303 and "done=replaced" in replaced.headers["location"]
    second = current_code(directory, MID, FRESH)
    assert second not in (None, first)
    assert directory.scan(first).status == "revoked"
    assert directory.scan(second).status == "ok"
    card = next(c for c in ours.get("/merchant").text.split('<li class="card terminal">') if FRESH in c)
    assert "Scans" in card and "<strong>1</strong>" in card  # the scan just counted

    poster = ours.get(f"/merchant/terminals/{FRESH}/poster.png")
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/png"
    assert poster.headers["content-disposition"] == f'attachment; filename="poster-{FRESH}.png"'
    assert decode(poster.content) == [f"HTTP://127.0.0.1:{gateway.port}/Q/{second}"]
    # Without GATEWAY_PUBLIC_URL, codes point to the address the page was asked on.
    elsewhere = ours.get(
        f"/merchant/terminals/{FRESH}/poster.png", headers={"Host": f"localhost:{gateway.port}"}
    )
    assert decode(elsewhere.content) == [f"HTTP://LOCALHOST:{gateway.port}/Q/{second}"]
    vector = ours.get(f"/merchant/terminals/{FRESH}/poster.svg")
    assert vector.status_code == 200 and vector.headers["content-type"].startswith("image/svg+xml")
    assert vector.headers["content-disposition"] == f'attachment; filename="poster-{FRESH}.svg"'
    assert vector.content.startswith(b"<svg") and "全家便利店 &lt;script&gt;".encode() in vector.content


def test_revoking_a_printed_code(ours: httpx.Client, directory: MerchantDirectory) -> None:
    token = directory.issue_terminal_code(SPARE)
    response = ours.post(f"/merchant/codes/{token.token.lower()}/revoke", data={"csrf": csrf_of(ours)})
    assert response.status_code == 303 and "done=revoked" in response.headers["location"]
    assert directory.scan(token.token).status == "revoked"
    assert current_code(directory, MID, SPARE) is None
    assert ours.get(f"/merchant/terminals/{SPARE}/poster.svg").status_code == 404
    assert ours.get(f"/merchant/codes/{token.token}.svg").status_code == 404
    assert "No printed code yet" in ours.get(response.headers["location"]).text


def test_a_merchant_cannot_touch_another_merchants_terminals_or_codes(
    ours: httpx.Client, directory: MerchantDirectory, case_store_url: str
) -> None:
    theirs = current_code(directory, OTHER_MID, THEIRS)
    their_counter = directory.issue_counter_code(
        THEIRS, Decimal("88.00"), datetime.now(timezone.utc) - timedelta(minutes=5), timedelta(hours=1)
    ).token
    csrf = csrf_of(ours)
    for path in (
        f"/merchant/terminals/{THEIRS}/poster.png",
        f"/merchant/terminals/{THEIRS}/poster.svg",
        f"/merchant/codes/{theirs}.svg",
        f"/merchant/codes/{theirs}.png",
        f"/merchant/codes/{their_counter}.svg",
        f"/merchant/counter/{their_counter}",
        "/merchant/terminals/NOSUCH/poster.png",
        "/merchant/codes/not-a-token.svg",
        f"/merchant/codes/{theirs}.gif",
    ):
        response = ours.get(path)
        assert response.status_code == 404, path
        assert "没有找到" in response.text
    for path in (
        f"/merchant/terminals/{THEIRS}/code",
        f"/merchant/codes/{theirs}/revoke",
        f"/merchant/codes/{their_counter}/revoke",
        "/merchant/codes/not-a-token/revoke",
    ):
        assert ours.post(path, data={"csrf": csrf}).status_code == 404, path
    before = counter_codes(case_store_url)
    response = ours.post("/merchant/counter-codes", data=counter_form(csrf, terminal_id=THEIRS))
    assert response.status_code == 400 and "请选择您的一台终端" in response.text
    assert counter_codes(case_store_url) == before
    assert current_code(directory, OTHER_MID, THEIRS) == theirs
    assert directory.scan(theirs).status == "ok" and directory.scan(their_counter).status == "ok"


# --- counter codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "zh", "en"),
    [
        ("amount", "abc", "金额应为数字", "must be a number"),
        ("amount", "1e3", "金额应为数字", "must be a number"),
        ("amount", "128,50", "金额应为数字", "must be a number"),
        ("amount", "", "请填写金额", "Enter the amount"),
        ("amount", "0", "金额必须大于零", "above zero"),
        ("amount", "0.00", "金额必须大于零", "above zero"),
        ("amount", "-5", "金额必须大于零", "above zero"),
        ("amount", "12.345", "最多两位小数", "at most 2 decimal places"),
        ("amount", "50000.01", "助手无法受理", "cannot take the case"),
        ("time", "yesterday", "付款时间格式不对", "not a date and time"),
        ("time", "", "请填写付款时间", "Enter the time"),
        ("time", "FUTURE", "不能晚于现在", "cannot be in the future"),
        ("time", "0001-01-01T00:00", "天前", "days ago"),
        ("hours", "0", "有效期", "Valid for"),
        ("hours", "abc", "有效期", "Valid for"),
        ("hours", "nan", "有效期", "Valid for"),
        ("hours", "100000", "有效期", "Valid for"),
        ("terminal_id", "NOSUCH", "请选择您的一台终端", "Choose one of your terminals"),
    ],
)
def test_the_counter_form_says_what_is_wrong(
    ours: httpx.Client, case_store_url: str, field: str, value: str, zh: str, en: str
) -> None:
    if value == "FUTURE":
        value = (datetime.now(SHANGHAI) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    before = counter_codes(case_store_url)
    response = ours.post("/merchant/counter-codes", data=counter_form(csrf_of(ours), **{field: value}))
    assert response.status_code == 400
    assert zh in response.text and en in response.text
    assert 'role="alert"' in response.text and 'action="/merchant/counter-codes"' in response.text
    if value and field != "terminal_id":
        assert f'value="{value}"' in response.text  # typed values come back
    assert counter_codes(case_store_url) == before


def test_a_counter_code_and_its_full_screen_page(
    gateway: Gateway, ours: httpx.Client, theirs: httpx.Client, directory: MerchantDirectory
) -> None:
    paid = shanghai_minutes_ago(15)
    response = ours.post(
        "/merchant/counter-codes",
        data=counter_form(
            csrf_of(ours), terminal_id=PRINTED.lower(), amount=" ¥1280.5 ", time=paid, hours="2"
        ),
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/merchant/counter/")
    token = location.rsplit("/", 1)[1]
    code = directory.code(token, merchant_id=MID)
    assert code.kind == "counter" and code.terminal_id == PRINTED and code.amount == Decimal("1280.50")
    assert code.transaction_time == datetime.fromisoformat(paid).replace(tzinfo=SHANGHAI)
    expected_expiry = datetime.now(timezone.utc) + timedelta(hours=2)
    assert abs((code.expires_at - expected_expiry).total_seconds()) < 60

    page = ours.get(location)
    assert page.status_code == 200
    assert "¥1,280.50" in page.text and paid.replace("T", " ") in page.text
    assert "请用手机扫码" in page.text and "Scan with your phone" in page.text
    assert code.expires_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in page.text
    assert f'src="/merchant/codes/{token}.svg"' in page.text

    image = ours.get(f"/merchant/codes/{token}.svg")
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg+xml")
    assert image.content.startswith(b"<svg") and b"viewBox=" in image.content
    raster = ours.get(f"/merchant/codes/{token}.png")
    assert raster.status_code == 200 and raster.headers["content-type"] == "image/png"
    assert decode(raster.content) == [f"HTTP://127.0.0.1:{gateway.port}/Q/{token}"]
    assert directory.scan(token).context()["amount"] == "1280.50"

    # Only its owner sees it.
    assert theirs.get(location).status_code == 404
    assert theirs.get(f"/merchant/codes/{token}.svg").status_code == 404

    # Revoked from its own page, it says so and the image is gone.
    revoked = ours.post(f"/merchant/codes/{token}/revoke", data={"csrf": csrf_of(ours)})
    assert revoked.status_code == 303 and revoked.headers["location"] == location
    page = ours.get(location)
    assert "此码已停用" in page.text and f"/merchant/codes/{token}.svg" not in page.text
    assert ours.get(f"/merchant/codes/{token}.svg").status_code == 404
    assert directory.scan(token).status == "revoked"


def test_an_expired_counter_code_says_so(ours: httpx.Client, directory: MerchantDirectory) -> None:
    code = directory.issue_counter_code(
        PRINTED, Decimal("9.90"), datetime.now(timezone.utc) - timedelta(hours=1), timedelta(seconds=-1)
    )
    page = ours.get(f"/merchant/counter/{code.token}")
    assert page.status_code == 200 and "此码已过期" in page.text and ".svg" not in page.text
    # A printed code has posters, not a counter page.
    assert ours.get(f"/merchant/counter/{current_code(directory, MID, PRINTED)}").status_code == 404


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
    public_gateway: Gateway, directory: MerchantDirectory
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
    with public_gateway.client() as client:
        client.cookies.set(SESSION_COOKIE, session_cookie(MID, age_seconds=3660), domain="127.0.0.1")
        assert client.get("/merchant").status_code == 303
        client.cookies.set(SESSION_COOKIE, session_cookie(MID, age_seconds=3000), domain="127.0.0.1")
        assert client.get("/merchant").status_code == 200
