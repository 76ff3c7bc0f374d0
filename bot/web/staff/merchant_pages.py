"""The merchant pages under /merchant, a blueprint: staff sign in, see their terminals, download
posters, replace or revoke a terminal's printed code, make a counter code for one failed payment
and open their recent ones again. The stylesheet is /merchant.css, served with the widget's files."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import html as html_response

from bot.case_store import CaseDatabase
from bot.case_store.merchants import CodeJustReplaced, MerchantDirectory, MerchantError, normalize_token
from bot.case_store.qr_models import Merchant, QrCode
from bot.case_store.staff_sessions import StaffSessions
from bot.qr.codes import landing_url, png, svg
from bot.qr.poster import NoChineseFont, poster_png, poster_svg
from bot.web.settings import GatewaySettings
from bot.web.shared_state import SharedState
from bot.web.staff.counter_form import CounterForm, parse_counter_form
from bot.web.staff.door import SignedIn, SignInGuard, StaffDoor, route
from bot.web.staff.html import NO_STORE, message_page, say, see_other
from bot.web.staff.merchant_html import (
    HOME_PATH,
    LOGIN_PATH,
    counter_page,
    dashboard,
    download_name,
    login_page,
)
from bot.web.staff.signed_sessions import SignedSessions
from bot.web.staff.texts import pair

SESSION_COOKIE = "merchant_session"
CODE_IMAGE_SCALE = 10
DONE_NOTICES = ("made", "replaced", "revoked")

Staff = SignedIn[Merchant]


def merchant_blueprint(settings: GatewaySettings, shared: SharedState, database: CaseDatabase) -> Blueprint:
    return MerchantPages(settings, shared, MerchantDirectory(database), StaffSessions(database)).blueprint()


def not_found() -> HTTPResponse:
    return message_page(404, pair("not_found"), link=HOME_PATH)


class MerchantPages:
    def __init__(
        self,
        settings: GatewaySettings,
        shared: SharedState,
        directory: MerchantDirectory,
        records: StaffSessions,
    ) -> None:
        self.settings = settings
        self.directory = directory
        window_seconds = settings.merchant_login_window_minutes * 60
        self.door: StaffDoor[Merchant] = StaffDoor(
            login_path=LOGIN_PATH,
            home_path=HOME_PATH,
            cookie_name=SESSION_COOKIE,
            sessions=SignedSessions(
                settings.secret, settings.merchant_session_hours, kind="merchant", records=records
            ),
            guard=SignInGuard(shared, "merchant", settings.merchant_login_failures, window_seconds),
            check_password=self._merchant_id_of,
            find=lambda _request, merchant_id: self._directory("merchant", merchant_id),
            login_page=login_page,
            form_expired=pair("merchant_form_expired"),
            refusals_say_sign_in=True,
            secure_cookies=settings.staff_cookies_secure,
        )

    def blueprint(self) -> Blueprint:
        bp = Blueprint("merchant_pages")
        signed_in = self.door.signed_in(self.door.page_refusals())
        bp.add_route(route(self.door.login_form), LOGIN_PATH, methods=["GET"], name="login_form")
        bp.add_route(route(self.door.sign_in), LOGIN_PATH, methods=["POST"], name="login")
        bp.add_route(signed_in(self.door.sign_out), "/merchant/logout", methods=["POST"], name="logout")
        bp.add_route(signed_in(self.home), HOME_PATH, methods=["GET"], name="home")
        terminal = "/merchant/terminals/<terminal_id:str>"
        bp.add_route(signed_in(self.replace_code), f"{terminal}/code", methods=["POST"], name="code")
        bp.add_route(signed_in(self.poster_png), f"{terminal}/poster.png", methods=["GET"], name="png")
        bp.add_route(signed_in(self.poster_svg), f"{terminal}/poster.svg", methods=["GET"], name="svg")
        revoke = "/merchant/codes/<token:str>/revoke"
        bp.add_route(signed_in(self.revoke_code), revoke, methods=["POST"], name="revoke")
        counter_codes = "/merchant/counter-codes"
        bp.add_route(signed_in(self.new_counter_code), counter_codes, methods=["POST"], name="counter_new")
        counter = "/merchant/counter/<token:str>"
        bp.add_route(signed_in(self.counter_code), counter, methods=["GET"], name="counter")
        image = "/merchant/codes/<filename:str>"
        bp.add_route(signed_in(self.code_image), image, methods=["GET"], name="code_image")
        return bp

    def _directory(self, method: str, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        """A merchant directory method (synchronous SQL) off the event loop."""
        return asyncio.to_thread(getattr(self.directory, method), *args, **kwargs)

    # --- who signs in

    async def _merchant_id_of(self, request: Request, login: str, password: str) -> str | None:
        merchant = await self._directory("sign_in", login, password)
        return merchant.merchant_id if merchant else None

    # --- terminals and their printed codes

    async def home(self, request: Request, staff: Staff) -> HTTPResponse:
        return await self._dashboard(request, staff)

    async def replace_code(self, request: Request, staff: Staff, terminal_id: str) -> HTTPResponse:
        terminals = await self._directory("terminals", staff.who.merchant_id)
        current = {t.terminal_id: code for t, code in terminals}
        terminal_id = terminal_id.upper()
        if terminal_id not in current:
            return not_found()
        try:
            await self._directory("issue_terminal_code", terminal_id, merchant_id=staff.who.merchant_id)
        except CodeJustReplaced:  # two replacements at once: the other one won
            return message_page(409, pair("just_replaced"), link=HOME_PATH)
        except MerchantError:
            return not_found()
        done = "replaced" if current[terminal_id] is not None else "made"
        return see_other(f"{HOME_PATH}?{urlencode({'done': done, 'terminal': terminal_id})}")

    async def revoke_code(self, request: Request, staff: Staff, token: str) -> HTTPResponse:
        normalized = normalize_token(token)
        if normalized is None:
            return not_found()
        try:
            code = await self._directory("revoke", normalized, merchant_id=staff.who.merchant_id)
        except MerchantError:
            return not_found()
        if code.kind == "counter":
            return see_other(f"/merchant/counter/{quote(code.token, safe='')}")
        done = urlencode({"done": "revoked", "terminal": code.terminal_id})
        return see_other(f"{HOME_PATH}?{done}")

    async def poster_png(self, request: Request, staff: Staff, terminal_id: str) -> HTTPResponse:
        return await self._poster(request, staff, terminal_id, "png")

    async def poster_svg(self, request: Request, staff: Staff, terminal_id: str) -> HTTPResponse:
        return await self._poster(request, staff, terminal_id, "svg")

    async def _poster(self, request: Request, staff: Staff, terminal_id: str, kind: str) -> HTTPResponse:
        terminals = await self._directory("terminals", staff.who.merchant_id)
        code = next((c for t, c in terminals if t.terminal_id == terminal_id.upper()), None)
        if code is None:
            return not_found()
        url = landing_url(code.token, self._base_url(request))
        draw = poster_png if kind == "png" else poster_svg
        try:
            body = await asyncio.to_thread(draw, url, code.merchant_name, code.terminal_id)
        except NoChineseFont:
            return message_page(503, pair("no_chinese_font"), link=HOME_PATH)
        filename = download_name("poster", code.terminal_id, kind)
        headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'}
        content_type = "image/png" if kind == "png" else "image/svg+xml"
        return HTTPResponse(body, headers=headers, content_type=content_type)

    # --- counter codes

    async def new_counter_code(self, request: Request, staff: Staff) -> HTTPResponse:
        form = CounterForm(
            terminal_id=(request.form.get("terminal_id") or "")[:16],
            amount=(request.form.get("amount") or "")[:40],
            time=(request.form.get("time") or "")[:40],
            hours=(request.form.get("hours") or "")[:20],
        )
        terminals = await self._directory("terminals", staff.who.merchant_id)
        own_ids = {t.terminal_id for t, _ in terminals}
        wanted, problems = parse_counter_form(form, own_ids, datetime.now(timezone.utc))
        if wanted is None:
            return await self._dashboard(request, staff, status=400, form=form, problems=problems)
        try:
            code = await self._directory(
                "issue_counter_code",
                wanted.terminal_id,
                wanted.amount,
                wanted.transaction_time,
                wanted.valid_for,
                merchant_id=staff.who.merchant_id,
            )
        except MerchantError as error:
            problems = [pair("no_counter_code", reason=error)]
            return await self._dashboard(request, staff, status=400, form=form, problems=problems)
        return see_other(f"/merchant/counter/{quote(code.token, safe='')}")

    async def counter_code(self, request: Request, staff: Staff, token: str) -> HTTPResponse:
        code = await self._own_code(request, staff, token)
        if code is None or code.kind != "counter":
            return not_found()
        page = counter_page(code, staff.csrf, datetime.now(timezone.utc))
        return html_response(page, headers=NO_STORE)

    async def code_image(self, request: Request, staff: Staff, filename: str) -> HTTPResponse:
        token, _, kind = filename.rpartition(".")
        code = await self._own_code(request, staff, token) if kind in ("svg", "png") else None
        if code is None or code.revoked_at is not None:
            return not_found()
        url = landing_url(code.token, self._base_url(request))
        if kind == "svg":
            image = svg(url, scale=CODE_IMAGE_SCALE)
            return HTTPResponse(image, headers=NO_STORE, content_type="image/svg+xml")
        body = await asyncio.to_thread(png, url, CODE_IMAGE_SCALE)
        filename = download_name(code.kind, code.terminal_id, "png")
        headers = {**NO_STORE, "Content-Disposition": f'inline; filename="{filename}"'}
        return HTTPResponse(body, headers=headers, content_type="image/png")

    # --- helpers

    def _base_url(self, request: Request) -> str:
        return self.settings.public_url or f"{request.scheme}://{request.host}"

    async def _own_code(self, request: Request, staff: Staff, token: str) -> QrCode | None:
        normalized = normalize_token(token)
        if normalized is None:
            return None
        return await self._directory("code", normalized, merchant_id=staff.who.merchant_id)

    async def _dashboard(
        self,
        request: Request,
        staff: Staff,
        *,
        status: int = 200,
        form: CounterForm | None = None,
        problems: list[tuple[str, str]] | None = None,
    ) -> HTTPResponse:
        terminals, counter_codes = await asyncio.gather(
            self._directory("terminals", staff.who.merchant_id),
            self._directory("recent_counter_codes", staff.who.merchant_id),
        )
        notice = ""
        done, named = request.args.get("done"), request.args.get("terminal", "")
        labels = {
            t.terminal_id: f"{t.label} ({t.terminal_id})" if t.label else t.terminal_id for t, _ in terminals
        }
        if done in DONE_NOTICES and named in labels:
            notice = say(f"done_{done}", t=labels[named])
        page = dashboard(
            staff.who,
            staff.csrf,
            terminals,
            counter_codes=counter_codes,
            now=datetime.now(timezone.utc),
            form=form,
            problems=problems,
            notice=notice,
        )
        return html_response(page, status=status, headers=NO_STORE)
