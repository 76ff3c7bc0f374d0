"""The staff door on its own: sign-in and its limit, sign-out, and the one signed-in check, with
requests made here (only what the door reads of a Sanic request), the in-process shared state and
the sessions on record in a SQLite case store.
The merchant pages' and the console's tests drive the same door through a real gateway."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from sanic.response import HTTPResponse, text

from bot.case_store import CaseDatabase
from bot.case_store.staff_sessions import StaffSessions
from bot.web.shared_state import in_process_state
from bot.web.staff.door import SignedIn, SignInGuard, StaffDoor, same_origin
from bot.web.staff.html import message_page
from bot.web.staff.signed_sessions import SignedSessions
from tests.bot.case_store.support import migrated_sqlite

COOKIE = "test_session"
PASSWORD = "the right password"
FAILURES = 2
STAFF = {"m1": "Merchant One", "m2": "Merchant Two"}


def request(
    method: str = "GET",
    *,
    form: dict[str, str] | None = None,
    cookie: str | None = None,
    headers: dict[str, str] | None = None,
    address: str = "10.0.0.1",
) -> Any:
    """What the door reads of a Sanic request; header names in lower case, as Sanic matches them."""
    return SimpleNamespace(
        method=method,
        form=form or {},
        cookies={COOKIE: cookie} if cookie is not None else {},
        headers=headers or {},
        args={},
        host="gateway.example",
        scheme="http",
        remote_addr=address,
        ip=address,
    )


def login_page(*, login: str = "", problem: tuple[str, str] | None = None, signed_out: bool = False) -> str:
    return f"login={login} problem={problem} signed_out={signed_out}"


async def check_password(_request: Any, login: str, password: str) -> str | None:
    return {"staff": "m1", "other": "m2"}.get(login) if password == PASSWORD else None


async def find(_request: Any, subject: str) -> str | None:
    return STAFF.get(subject)


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffSessions]:
    """The sessions on record, in a SQLite case store of the module's own."""
    with CaseDatabase(migrated_sqlite(tmp_path_factory.mktemp("door"))) as database:
        yield StaffSessions(database)


@pytest.fixture
def door(records: StaffSessions) -> StaffDoor[str]:
    return make_door(records, secure_cookies=False)


def make_door(records: StaffSessions, *, secure_cookies: bool) -> StaffDoor[str]:
    shared = in_process_state()
    return StaffDoor(
        login_path="/staff/login",
        home_path="/staff",
        cookie_name=COOKIE,
        sessions=SignedSessions("door-test-secret", 8, kind="merchant", records=records),
        guard=SignInGuard(shared, "test", FAILURES, 600),
        check_password=check_password,
        find=find,
        login_page=login_page,
        form_expired=("表单已失效。", "This form has expired."),
        refusals_say_sign_in=True,
        secure_cookies=secure_cookies,
    )


def set_cookie(response: HTTPResponse) -> str:
    return str(response.cookies[COOKIE])


async def signed_in_cookie(door: StaffDoor[str]) -> str:
    response = await door.sign_in(request("POST", form={"login": "staff", "password": PASSWORD}))
    return response.cookies[COOKIE].value


async def test_the_right_password_sets_a_session_cookie_for_the_doors_pages(door: StaffDoor[str]) -> None:
    response = await door.sign_in(request("POST", form={"login": " staff ", "password": PASSWORD}))
    assert response.status == 303 and response.headers["location"] == "/staff"
    assert response.headers["cache-control"] == "no-store"
    cookie = set_cookie(response).lower()
    for part in ("path=/staff", "max-age=28800", "httponly", "samesite=strict"):
        assert part in cookie
    assert "secure" not in cookie  # plain http
    assert await door.sessions.subject_of(response.cookies[COOKIE].value) == "m1"


async def test_in_production_the_cookie_is_secure_even_on_plain_http(records: StaffSessions) -> None:
    """TLS ends at the load balancer: the gateway sees plain http, the browser used https."""
    production = make_door(records, secure_cookies=True)
    signed_in = await production.sign_in(request("POST", form={"login": "staff", "password": PASSWORD}))
    cookie = set_cookie(signed_in).lower()
    for part in ("secure", "httponly", "samesite=strict", "path=/staff"):
        assert part in cookie, cookie
    value = signed_in.cookies[COOKIE].value
    signed_out = await production.sign_out(request("POST", cookie=value), SignedIn("Merchant One", "csrf"))
    assert "secure" in set_cookie(signed_out).lower() and "max-age=0" in set_cookie(signed_out).lower()


async def test_a_request_over_https_gets_a_secure_cookie_anyway(door: StaffDoor[str]) -> None:
    over_https = request("POST", form={"login": "staff", "password": PASSWORD})
    over_https.scheme = "https"
    assert "secure" in set_cookie(await door.sign_in(over_https)).lower()


async def test_a_wrong_password_shows_the_form_again_until_the_limit(door: StaffDoor[str]) -> None:
    for login in ("staff", "nobody")[:FAILURES]:
        wrong = await door.sign_in(request("POST", form={"login": login, "password": "guess"}))
        assert wrong.status == 403 and COOKIE not in wrong.cookies
        assert (
            f"login={login}" in wrong.body.decode()
            and "The sign-in name or password is wrong." in wrong.body.decode()
        )
    limited = await door.sign_in(request("POST", form={"login": "staff", "password": PASSWORD}))
    assert limited.status == 429 and limited.headers["retry-after"] == "600"
    assert "please try again in 10 minutes" in limited.body.decode()
    # Another address is not held up: the name failed once only.
    other_address = request("POST", form={"login": "staff", "password": PASSWORD}, address="10.0.0.2")
    assert (await door.sign_in(other_address)).status == 303


async def test_a_name_that_failed_too_often_is_locked_whatever_the_address(door: StaffDoor[str]) -> None:
    """As when every guess comes with a new forged X-Forwarded-For, or from another machine."""
    for n in range(FAILURES):
        wrong = request("POST", form={"login": "staff", "password": "guess"}, address=f"10.0.2.{n}")
        assert (await door.sign_in(wrong)).status == 403
    right = request("POST", form={"login": "staff", "password": PASSWORD}, address="10.0.3.1")
    locked = await door.sign_in(right)
    assert locked.status == 429 and COOKIE not in locked.cookies and locked.headers["retry-after"] == "600"
    page = locked.body.decode()
    assert "这个登录名最近登录失败次数过多" in page and "请 10 分钟后再试" in page
    assert "Too many failed sign-ins with this name lately" in page and "try again in 10 minutes" in page
    assert "login=staff" in page
    # Another name from the same addresses is not held up.
    other = request("POST", form={"login": "other", "password": PASSWORD}, address="10.0.2.0")
    assert (await door.sign_in(other)).status == 303


async def test_a_name_that_no_account_has_is_counted_too(door: StaffDoor[str]) -> None:
    """So that a lock says nothing about which accounts exist."""
    for n in range(FAILURES):
        guess = request("POST", form={"login": "nobody", "password": "guess"}, address=f"10.0.4.{n}")
        assert (await door.sign_in(guess)).status == 403
    again = request("POST", form={"login": "nobody", "password": "guess"}, address="10.0.5.1")
    assert (await door.sign_in(again)).status == 429


async def test_an_empty_or_overlong_login_or_password_fails(door: StaffDoor[str]) -> None:
    forms = (
        {"login": "staff" + " " * 60 + "x", "password": PASSWORD},
        {"login": "staff", "password": "p" * 257},
        {},
    )
    for n, form in enumerate(forms):
        assert (await door.sign_in(request("POST", form=form, address=f"10.0.1.{n}"))).status == 403


async def test_a_sign_in_from_another_sites_page_is_refused(door: StaffDoor[str]) -> None:
    cross_site = request(
        "POST", form={"login": "staff", "password": PASSWORD}, headers={"sec-fetch-site": "cross-site"}
    )
    refused = await door.sign_in(cross_site)
    assert refused.status == 403 and COOKIE not in refused.cookies
    assert "请从本站登录" in refused.body.decode() and 'href="/staff/login"' in refused.body.decode()


async def test_the_signed_in_check_passes_the_staff_member_and_the_csrf_token(door: StaffDoor[str]) -> None:
    seen: list[SignedIn[str]] = []

    async def page(_request: Any, staff: SignedIn[str]) -> HTTPResponse:
        seen.append(staff)
        return text("ok")

    guarded = door.signed_in(door.page_refusals())(page)
    cookie = await signed_in_cookie(door)
    assert (await guarded(request(cookie=cookie))).status == 200
    csrf = seen[0].csrf
    assert seen[0].who == "Merchant One" and door.sessions.csrf_ok(cookie, csrf)
    assert (await guarded(request("POST", cookie=cookie, form={"csrf": csrf}))).status == 200
    assert len(seen) == 2


async def test_the_signed_in_check_turns_away_everyone_else(door: StaffDoor[str]) -> None:
    async def page(_request: Any, _staff: SignedIn[str]) -> HTTPResponse:
        raise AssertionError("the check let it through")

    guarded = door.signed_in(door.page_refusals())(page)
    nobody = await guarded(request())
    assert nobody.status == 303 and nobody.headers["location"] == "/staff/login"
    assert COOKIE not in nobody.cookies
    stale = await guarded(request(cookie="not a session"))
    assert stale.status == 303 and "max-age=0" in set_cookie(stale).lower()
    gone = await door.sessions.open("someone gone")
    assert (await guarded(request(cookie=gone))).status == 303
    posted = await guarded(request("POST", form={"csrf": "x"}))
    assert posted.status == 403 and "请先登录" in posted.body.decode()

    cookie = await signed_in_cookie(door)
    forged = await guarded(request("POST", cookie=cookie, form={"csrf": "0" * 64}))
    assert forged.status == 403 and "This form has expired." in forged.body.decode()
    right_token_wrong_site = request(
        "POST",
        cookie=cookie,
        form={"csrf": door.sessions.csrf_token(cookie)},
        headers={"origin": "https://evil.example"},
    )
    assert (await guarded(right_token_wrong_site)).status == 403


async def test_signing_out_clears_the_cookie_and_ends_the_session_for_good(door: StaffDoor[str]) -> None:
    cookie = await signed_in_cookie(door)
    other_session = await signed_in_cookie(door)
    response = await door.sign_out(request("POST", cookie=cookie), SignedIn("Merchant One", "csrf"))
    assert response.status == 303 and response.headers["location"] == "/staff/login?done=out"
    assert "max-age=0" in set_cookie(response).lower() and "path=/staff" in set_cookie(response).lower()
    # The cookie, kept or copied, opens nothing any more; the same person's other session still does.
    assert await door.who(request(cookie=cookie)) is None
    assert await door.who(request(cookie=other_session)) == "Merchant One"


async def test_a_cookie_names_its_own_session_only(door: StaffDoor[str], records: StaffSessions) -> None:
    """The signature binds the subject to the session: a session of one person, re-signed with
    another's name (as someone holding the secret could), opens nothing."""
    session_id = await asyncio.to_thread(records.open, "merchant", "m2", timedelta(hours=1))
    serializer = URLSafeTimedSerializer("door-test-secret", salt="merchant-session")
    assert await door.who(request(cookie=serializer.dumps({"m": "m1", "n": session_id}))) is None
    assert await door.who(request(cookie=serializer.dumps({"m": "m1", "n": "made-up"}))) is None
    assert await door.who(request(cookie=serializer.dumps({"m": "m1"}))) is None


def test_a_refusal_page_names_its_way_on() -> None:
    sign_in = message_page(403, ("请先登录。", "Please sign in first."), link="/staff/login", sign_in=True)
    back = message_page(403, ("请先登录。", "Please sign in first."), link="/staff/login")
    assert "登录" in sign_in.body.decode() and "返回" not in sign_in.body.decode()
    assert "返回" in back.body.decode() and sign_in.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("headers", "same"),
    [
        ({"sec-fetch-site": "same-origin", "origin": "null"}, True),
        ({"sec-fetch-site": "cross-site"}, False),
        ({"sec-fetch-site": "same-site"}, False),
        ({}, True),  # not a browser being misled: the CSRF token stands guard
        ({"origin": "null"}, True),  # what no-referrer makes browsers send for the gateway's own forms
        ({"origin": "http://gateway.example"}, True),
        ({"origin": "https://evil.example"}, False),
        ({"origin": "file://gateway.example"}, False),
    ],
)
def test_same_origin(headers: dict[str, str], same: bool) -> None:
    assert same_origin(request("POST", headers=headers)) is same
