"""Staff sign-in (merchants, support agents): a signed session cookie, CSRF tokens derived from it,
and a limit on failed sign-ins per address."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from itsdangerous import BadData, URLSafeTimedSerializer
from sanic.request import Request
from sanic.response import HTTPResponse, redirect
from sanic.response import html as html_response

from bot.web.shared_state import SharedState

SESSION_COOKIE = "merchant_session"
COOKIE_PATH = "/merchant"
MAX_COOKIE_CHARS = 400
MAX_LOGIN_CHARS = 64
MAX_PASSWORD_CHARS = 256  # argon2 hashes whatever it is given: no megabyte passwords
NO_STORE = {"Cache-Control": "no-store"}


class SignedSessions:
    """Stateless sessions: the cookie is a subject (a merchant id, an agent's login), a random nonce
    and the time it was made, signed with the gateway's secret, so every gateway process that shares
    the secret can check it. Each sign-in gets a new nonce, and so its own CSRF token. `purpose`
    keeps one kind of session from being taken for another."""

    def __init__(self, secret: str, max_age_hours: float, *, purpose: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=f"{purpose}-session")
        self._csrf_key = hashlib.sha256(f"{purpose}-csrf\0".encode() + secret.encode("utf-8")).digest()
        self.max_age_seconds = max(1, round(max_age_hours * 3600))

    def issue(self, subject: str) -> str:
        """A new session's cookie value."""
        return self._serializer.dumps({"m": subject, "n": secrets.token_urlsafe(12)})

    def subject_of(self, value: object) -> str | None:
        """Whom a cookie value names, or None when it is missing, altered or too old."""
        if not isinstance(value, str) or not value or len(value) > MAX_COOKIE_CHARS:
            return None
        try:
            payload = self._serializer.loads(value, max_age=self.max_age_seconds)
        except BadData:  # a bad signature, an expired one, or a payload that is not ours
            return None
        subject = payload.get("m") if isinstance(payload, dict) else None
        return subject if isinstance(subject, str) and subject else None

    def csrf_token(self, value: str) -> str:
        """The token every form of this session carries: only a page of the session can know it."""
        return hmac.new(self._csrf_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_ok(self, value: str, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(self.csrf_token(value), token)


class MerchantSessions(SignedSessions):
    """The merchant pages' sessions: the subject is the merchant id."""

    def __init__(self, secret: str, max_age_hours: float) -> None:
        super().__init__(secret, max_age_hours, purpose="merchant")

    def merchant_of(self, value: object) -> str | None:
        """The merchant a cookie value names, or None when it is missing, altered or too old."""
        return self.subject_of(value)


def set_session_cookie(
    response: HTTPResponse,
    value: str,
    *,
    secure: bool,
    max_age_seconds: int,
    name: str = SESSION_COOKIE,
    path: str = COOKIE_PATH,
) -> None:
    """The session cookie: only for its own pages (`path`), never for scripts or other sites."""
    response.cookies[name] = value
    cookie = response.cookies[name]
    cookie["path"] = path
    cookie["max-age"] = max_age_seconds
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["secure"] = secure


def clear_session_cookie(
    response: HTTPResponse, *, secure: bool, name: str = SESSION_COOKIE, path: str = COOKIE_PATH
) -> None:
    set_session_cookie(response, "", secure=secure, max_age_seconds=0, name=name, path=path)


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


class SignInGuard:
    """At most `limit` failed sign-ins per address in a window; one check at a time per address, so
    a burst of parallel guesses cannot slip past the count while the password hashes are computed.
    Both the count and the turns are in the shared state: guesses spread over several gateway
    processes are counted, and take turns, together. `name` sets one door's count apart."""

    def __init__(self, shared: SharedState, name: str, limit: int, window_seconds: float) -> None:
        self.failures = shared.limiter(f"{name}-sign-in-failures", limit, window_seconds)
        self.window_seconds = window_seconds
        self._turns = shared.locks(f"{name}-sign-in")

    @asynccontextmanager
    async def turn(self, address: str) -> AsyncIterator[bool]:
        """Wait for this address's turn; yields whether it may try a password now."""
        async with self._turns.hold(address):
            yield not await self.failures.exhausted(address)

    async def failed(self, address: str) -> None:
        await self.failures.allow(address)


def secure(request: Request) -> bool:
    return request.scheme == "https"


@dataclass(frozen=True)
class StaffDoor:
    """How one kind of staff (merchants, support agents) signs in: pages, cookie, checks."""

    home_path: str
    cookie_name: str
    cookie_path: str
    sessions: SignedSessions
    guard: SignInGuard
    # (login, password) -> the session's subject (merchant id, agent login), or None
    check: Callable[[str, str], Awaitable[str | None]]
    # (login typed, problem as (zh, en) or None) -> the sign-in page
    login_page: Callable[..., str]
    # the answer to a sign-in form posted from another site's page
    refuse: Callable[[], HTTPResponse]

    async def sign_in(self, request: Request) -> HTTPResponse:
        """Check a posted sign-in form: a session cookie and the home page, or the form again."""
        if not same_origin(request):
            return self.refuse()
        login = (request.form.get("login") or "").strip()
        password = request.form.get("password") or ""
        address = client_address(request)
        async with self.guard.turn(address) as may_try:
            if not may_try:
                minutes = math.ceil(self.guard.window_seconds / 60)
                problem = (
                    f"登录失败次数过多，请 {minutes} 分钟后再试。",
                    f"Too many failed sign-ins: please try again in {minutes} minutes.",
                )
                page = self.login_page(login=login[:MAX_LOGIN_CHARS], problem=problem)
                headers = {**NO_STORE, "Retry-After": str(math.ceil(self.guard.window_seconds))}
                return html_response(page, status=429, headers=headers)
            subject = None
            if 0 < len(login) <= MAX_LOGIN_CHARS and 0 < len(password) <= MAX_PASSWORD_CHARS:
                subject = await self.check(login, password)
            if subject is None:
                await self.guard.failed(address)
                problem = ("登录名或密码不对。", "The sign-in name or password is wrong.")
                page = self.login_page(login=login[:MAX_LOGIN_CHARS], problem=problem)
                return html_response(page, status=403, headers=NO_STORE)
        response = redirect(self.home_path, status=303, headers=NO_STORE)
        set_session_cookie(
            response,
            self.sessions.issue(subject),
            secure=secure(request),
            max_age_seconds=self.sessions.max_age_seconds,
            name=self.cookie_name,
            path=self.cookie_path,
        )
        return response
