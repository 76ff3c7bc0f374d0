"""The merchant pages of a real gateway process, driven over loopback with httpx: signed out, sign-in
and its limits, sessions (tampered, forged and expired cookies), and CSRF."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from bot.case_store.merchants import MerchantDirectory
from bot.web.staff.merchant_pages import SESSION_COOKIE
from tests.bot.web.gateway import Gateway
from tests.bot.web.staff.merchant_pages.support import (
    LOGIN_FAILURES,
    MID,
    OTHER_MID,
    PASSWORD,
    PRINTED,
    SPARE,
    counter_form,
    csrf_of,
    current_code,
    open_session,
    session_cookie,
    sign_in,
)

pytestmark = pytest.mark.slow  # a gateway process (one for the package, see conftest.py) and argon2 checks


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
    for n in range(LOGIN_FAILURES):  # one name after another: the address's count, not a name's
        response = guesser.post("/merchant/login", data={"login": f"shop-{n}", "password": "guess guess"})
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


def test_a_name_that_failed_too_often_is_locked_from_every_address(
    gateway: Gateway, directory: MerchantDirectory
) -> None:
    directory.add_merchant("898290077770001", "便利蜂", "bianlifeng", PASSWORD)
    for n in range(LOGIN_FAILURES):
        with gateway.client(f"127.0.1.{n + 1}") as guesser:
            wrong = guesser.post("/merchant/login", data={"login": "bianlifeng", "password": "guess guess"})
            assert wrong.status_code == 403
    with gateway.client("127.0.1.100") as owner:
        locked = owner.post("/merchant/login", data={"login": "bianlifeng", "password": PASSWORD})
        assert locked.status_code == 429 and "set-cookie" not in locked.headers
        assert int(locked.headers["retry-after"]) == 15 * 60
        assert (
            "这个登录名最近登录失败次数过多" in locked.text
            and "如果不是您本人在尝试，请联系管理员" in locked.text
        )
        assert "Too many failed sign-ins with this name lately" in locked.text
        assert 'value="bianlifeng"' in locked.text
        # Another merchant signs in from that address as ever.
        assert (
            owner.post("/merchant/login", data={"login": "familymart", "password": PASSWORD}).status_code
            == 303
        )


def test_tampered_forged_and_expired_cookies_count_as_none(gateway: Gateway, case_store_url: str) -> None:
    def status_with(cookie: str) -> int:
        client = gateway.client()
        client.cookies.set(SESSION_COOKIE, cookie, domain="127.0.0.1", path="/merchant")
        return client.get("/merchant").status_code

    # The way the test makes cookies is the gateway's: a fresh one of a session on record opens the page...
    live = open_session(case_store_url, MID)
    assert status_with(session_cookie(MID, live)) == 200
    # ...an altered, a foreign, an old one, or one for no merchant, does not.
    signed_in = sign_in(gateway)
    good = signed_in.cookies[SESSION_COOKIE]
    signed_in.close()
    assert status_with(good) == 200
    signed, signature = good.rsplit(".", 1)
    assert status_with(signed + "." + ("B" if signature[0] == "A" else "A") + signature[1:]) == 303
    # Another merchant's id under this cookie's signature.
    assert status_with(session_cookie(OTHER_MID, live).split(".", 1)[0] + "." + good.split(".", 1)[1]) == 303
    assert status_with(session_cookie(MID, live, secret="some other secret")) == 303
    assert status_with(session_cookie(MID, live, age_seconds=8 * 3600 + 60)) == 303
    unknown = "898290000000009"
    assert status_with(session_cookie(unknown, open_session(case_store_url, unknown))) == 303
    # Well signed (as with a leaked secret), but no session on record, or another merchant's.
    assert status_with(session_cookie(MID, "made-up-session-id")) == 303
    assert status_with(session_cookie(OTHER_MID, live)) == 303
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


def cookie_opens(gateway: Gateway, cookie: str) -> bool:
    with gateway.client() as client:
        client.cookies.set(SESSION_COOKIE, cookie, domain="127.0.0.1", path="/merchant")
        return client.get("/merchant").status_code == 200


def test_a_cookie_kept_after_signing_out_opens_nothing_on_any_gateway(
    gateway: Gateway, public_gateway: Gateway
) -> None:
    client = sign_in(gateway)
    kept = client.cookies[SESSION_COOKIE]
    assert cookie_opens(gateway, kept) and cookie_opens(public_gateway, kept)
    csrf = csrf_of(client)
    assert client.post("/merchant/logout", data={"csrf": csrf}).status_code == 303
    client.close()
    assert not cookie_opens(gateway, kept) and not cookie_opens(public_gateway, kept)
    # Nor does a form posted with it and its CSRF token.
    with gateway.client() as replay:
        replay.cookies.set(SESSION_COOKIE, kept, domain="127.0.0.1", path="/merchant")
        refused = replay.post(f"/merchant/terminals/{SPARE}/code", data={"csrf": csrf})
        assert refused.status_code == 403 and "请先登录" in refused.text


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


# --- odd path parameters -------------------------------------------------------------------------

ODD_SEGMENTS = ("9" * 30, "x" * 5000, "\x00", "1\x00", "\u0661\u0662", "一", "💳", "\u202e1", "%2e%2e%2f")


def test_odd_path_parameters_get_the_not_found_page(ours: httpx.Client, directory: MerchantDirectory) -> None:
    token = current_code(directory, MID, PRINTED)
    for odd in ODD_SEGMENTS:
        segment = quote(odd, safe="%")
        for method, path in (
            ("GET", f"/merchant/terminals/{segment}/poster.png"),
            ("GET", f"/merchant/terminals/{segment}/poster.svg"),
            ("GET", f"/merchant/counter/{segment}"),
            ("GET", f"/merchant/codes/{segment}"),
            ("GET", f"/merchant/codes/{segment}.png"),
            ("POST", f"/merchant/terminals/{segment}/code"),
            ("POST", f"/merchant/codes/{segment}/revoke"),
        ):
            answer = ours.request(method, path, data={"csrf": csrf_of(ours)} if method == "POST" else None)
            assert answer.status_code == 404, (path[:80], answer.status_code)
            assert "没有找到" in answer.text and "location" not in answer.headers
    for path in ("/merchant/terminals/../codes", f"/merchant/codes/{token}/../../terminals"):
        assert ours.get(path).status_code < 500, path
    assert current_code(directory, MID, PRINTED) == token
