"""How staff (merchants, support agents) get in and out: the sign-in form's answer, sign-out, and
the one check that a request comes from someone signed in, with the session's CSRF token on
anything that changes something.

A session is a signed cookie naming a session on record in the case store (`SignedSessions`), sent
only to the door's own pages (its path is the door's home path); signing out ends the session on
record, so a copy of the cookie opens nothing either. Failed sign-ins are limited per address and
per sign-in name (`SignInGuard`).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import urlsplit

from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import html as html_response

from bot.web.shared_state import SharedState
from bot.web.staff.html import MAX_LOGIN_CHARS, MAX_PASSWORD_CHARS, NO_STORE, message_page, see_other
from bot.web.staff.signed_sessions import SignedSessions
from bot.web.staff.texts import pair

Who = TypeVar("Who")
Handler = Callable[..., Awaitable[HTTPResponse]]


def route(bound: Handler) -> Handler:
    """A bound method as a route handler: Sanic marks its handlers, which a method cannot take."""

    @wraps(bound)
    async def handler(request: Request, **params: Any) -> HTTPResponse:
        return await bound(request, **params)

    return handler


@dataclass(frozen=True)
class SignedIn(Generic[Who]):
    """Who is signed in on this request (a merchant, an agent), and the CSRF token of their session."""

    who: Who
    csrf: str


@dataclass(frozen=True)
class Refusals:
    """How one family of routes (pages, a JSON API) turns away a request that fails the check."""

    # (request, the cookie it came with) -> the answer to someone not signed in
    signed_out: Callable[[Request, object], HTTPResponse]
    # the answer to a change without the session's CSRF token, or posted from another site
    forged: Callable[[], HTTPResponse]
    # where this family's requests carry the CSRF token
    csrf_of: Callable[[Request], object]


def client_address(request: Request) -> str:
    return request.remote_addr or request.ip


def same_origin(request: Request) -> bool:
    """False for a form that another site's page posted.

    Browsers say so in Sec-Fetch-Site. Without it (older browsers) Origin tells, except that the
    gateway's `Referrer-Policy: no-referrer` makes browsers send `Origin: null` even for the
    gateway's own forms, so "null" (and no Origin: not a browser being misled) passes here and
    only the CSRF token stands guard."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.strip().lower() == "same-origin"
    origin = (request.headers.get("origin") or "null").strip()
    if origin == "null":
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


HeldBack = Literal["address", "account"]


class SignInGuard:
    """At most `limit` failed sign-ins in a window per address, and as many per sign-in name whatever
    the addresses they come from: an address that cannot be trusted (a forged X-Forwarded-For
    behind a proxy, a botnet) resets the first count, never the second. A name counts whether or not
    an account has it, so a lock says nothing about which accounts exist. One check at a time per
    address and per name, so a burst of parallel guesses cannot slip past the counts while the
    password hashes are computed. The counts and the turns are in the shared state: guesses spread
    over several gateway processes are counted, and take turns, together. `name` sets one door's
    counts apart."""

    def __init__(self, shared: SharedState, name: str, limit: int, window_seconds: float) -> None:
        self.failures = shared.limiter(f"{name}-sign-in-failures", limit, window_seconds)
        self.account_failures = shared.limiter(f"{name}-account-sign-in-failures", limit, window_seconds)
        self.window_seconds = window_seconds
        self._turns = shared.locks(f"{name}-sign-in")
        self._account_turns = shared.locks(f"{name}-account-sign-in")

    @asynccontextmanager
    async def turn(self, address: str, login: str) -> AsyncIterator[HeldBack | None]:
        """Wait for this address's turn, then this name's (always in that order, so that two
        sign-ins never each hold what the other waits for); yields which count holds the sign-in
        back, or None: it may try a password now."""
        async with self._turns.hold(address), self._account_turns.hold(login):
            if await self.failures.exhausted(address):
                yield "address"
            elif await self.account_failures.exhausted(login):
                yield "account"
            else:
                yield None

    async def failed(self, address: str, login: str) -> None:
        await self.failures.allow(address)
        await self.account_failures.allow(login)


@dataclass(frozen=True)
class StaffDoor(Generic[Who]):
    """How one kind of staff signs in and out, and who is signed in on a request."""

    login_path: str
    home_path: str  # also the cookie's path: the session goes to its own pages only
    cookie_name: str
    sessions: SignedSessions
    guard: SignInGuard
    # (request, login, password) -> the session's subject (merchant id, agent login), or None
    check_password: Callable[[Request, str, str], Awaitable[str | None]]
    # (request, subject) -> whom the subject names now, or None when no longer known
    find: Callable[[Request, str], Awaitable[Who | None]]
    # (login typed, problem as (zh, en) or None, signed_out) -> the sign-in page
    login_page: Callable[..., str]
    # what a form posted without the session's CSRF token is told
    form_expired: tuple[str, str]
    # whether a refusal page's one link says "Sign in" (the merchant pages) or "Back" (the console)
    refusals_say_sign_in: bool
    # whether the cookie is `Secure` whatever the request's scheme (the production profile)
    secure_cookies: bool

    async def who(self, request: Request) -> Who | None:
        """Who is signed in on the request: a live session, of someone still known and not disabled."""
        subject = await self.sessions.subject_of(request.cookies.get(self.cookie_name))
        return None if subject is None else await self.find(request, subject)

    def signed_in(self, refusals: Refusals) -> Callable[[Handler], Handler]:
        """Only for someone signed in; a change must carry the session's CSRF token and come from
        this site. The handler is called with a `SignedIn` after the request."""

        def decorate(handler: Handler) -> Handler:
            @wraps(handler)
            async def checked(request: Request, **params: Any) -> HTTPResponse:
                value = request.cookies.get(self.cookie_name)
                who = await self.who(request)
                if who is None or not isinstance(value, str):
                    return refusals.signed_out(request, value)
                if request.method != "GET" and (
                    not same_origin(request) or not self.sessions.csrf_ok(value, refusals.csrf_of(request))
                ):
                    return refusals.forged()
                return await handler(request, SignedIn(who, self.sessions.csrf_token(value)), **params)

            return checked

        return decorate

    def page_refusals(self) -> Refusals:
        """For pages: to the sign-in form (a GET) or a page that says why (a form)."""
        return Refusals(
            signed_out=self._page_signed_out,
            forged=lambda: message_page(403, self.form_expired, link=self.home_path),
            csrf_of=lambda request: request.form.get("csrf"),
        )

    async def login_form(self, request: Request) -> HTTPResponse:
        """The sign-in form; someone signed in goes on to the home page."""
        if await self.who(request) is not None:
            return see_other(self.home_path)
        page = self.login_page(signed_out=request.args.get("done") == "out")
        return html_response(page, headers=NO_STORE)

    async def sign_in(self, request: Request) -> HTTPResponse:
        """Check a posted sign-in form: a session cookie and the home page, or the form again."""
        if not same_origin(request):
            return self._refusal(pair("sign_in_here"))
        login = (request.form.get("login") or "").strip()
        password = request.form.get("password") or ""
        address = client_address(request)
        # A name no account can have (too long) is counted under one key: it cannot lock anyone out.
        counted_as = login if len(login) <= MAX_LOGIN_CHARS else ""
        async with self.guard.turn(address, counted_as) as held_back:
            if held_back is not None:
                return self._too_many_failures(login, held_back)
            subject = None
            if 0 < len(login) <= MAX_LOGIN_CHARS and 0 < len(password) <= MAX_PASSWORD_CHARS:
                subject = await self.check_password(request, login, password)
            if subject is None:
                await self.guard.failed(address, counted_as)
                page = self.login_page(login=login[:MAX_LOGIN_CHARS], problem=pair("wrong_password"))
                return html_response(page, status=403, headers=NO_STORE)
        response = see_other(self.home_path)
        self._set_cookie(response, request, await self.sessions.open(subject), self.sessions.max_age_seconds)
        return response

    async def sign_out(self, request: Request, _staff: SignedIn[Who]) -> HTTPResponse:
        """After the signed-in check: the session ended on record, the cookie cleared, and the
        sign-in form that says so."""
        await self.sessions.close(request.cookies.get(self.cookie_name))
        response = see_other(f"{self.login_path}?done=out")
        self._set_cookie(response, request, "", 0)
        return response

    def _too_many_failures(self, login: str, held_back: HeldBack) -> HTTPResponse:
        text = "too_many_failures" if held_back == "address" else "sign_in_name_locked"
        problem = pair(text, minutes=math.ceil(self.guard.window_seconds / 60))
        page = self.login_page(login=login[:MAX_LOGIN_CHARS], problem=problem)
        headers = {**NO_STORE, "Retry-After": str(math.ceil(self.guard.window_seconds))}
        return html_response(page, status=429, headers=headers)

    def _page_signed_out(self, request: Request, value: object) -> HTTPResponse:
        if request.method == "GET":
            response = see_other(self.login_path)
            if value:  # a cookie that opens nothing any more: the browser may forget it
                self._set_cookie(response, request, "", 0)
            return response
        return self._refusal(pair("sign_in_first"))

    def _refusal(self, text: tuple[str, str]) -> HTTPResponse:
        return message_page(403, text, link=self.login_path, sign_in=self.refusals_say_sign_in)

    def _set_cookie(self, response: HTTPResponse, request: Request, value: str, max_age_seconds: int) -> None:
        """The session cookie: only for the door's own pages, never for scripts or other sites, and
        over https only in production or once the request came that way."""
        response.cookies[self.cookie_name] = value
        cookie = response.cookies[self.cookie_name]
        cookie["path"] = self.home_path
        cookie["max-age"] = max_age_seconds
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["secure"] = self.secure_cookies or request.scheme == "https"
