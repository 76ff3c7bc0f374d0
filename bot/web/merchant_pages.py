"""The merchant pages: staff sign in, see their terminals, download posters, replace or revoke a
terminal's printed code, and make a counter code for one failed payment.

Server-rendered HTML, Chinese first with English beside it; every value goes through `e()`. The
gateway's page policy allows no inline script or style, so the look is in static/merchant.css.
"""

from __future__ import annotations

import asyncio
import html
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, redirect
from sanic.response import html as html_response

from bot.case_store import CaseDatabase
from bot.case_store.merchants import CodeJustReplaced, MerchantDirectory, MerchantError, normalize_token
from bot.case_store.qr_models import Merchant, QrCode, Terminal
from bot.config import settings as bot_settings
from bot.qr.codes import landing_url, png, svg
from bot.qr.counter_codes import counter_code_hours, parse_local_time
from bot.qr.poster import NoChineseFont, poster_png, poster_svg
from bot.web.settings import GatewaySettings
from bot.web.shared_state import SharedState
from bot.web.staff_auth import (
    COOKIE_PATH,
    MAX_LOGIN_CHARS,
    MAX_PASSWORD_CHARS,
    NO_STORE,
    SESSION_COOKIE,
    MerchantSessions,
    SignInGuard,
    StaffDoor,
    clear_session_cookie,
    same_origin,
    secure,
)

LOGIN_PATH = "/merchant/login"
HOME_PATH = "/merchant"
MAX_COUNTER_HOURS = 168.0
CODE_IMAGE_SCALE = 10
_AMOUNT = re.compile(r"\d{1,10}(?:\.\d{1,2})?")
_TOO_PRECISE = re.compile(r"\d+\.\d{3,}")
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")

Handler = Callable[..., Awaitable[HTTPResponse]]


def e(value: object) -> str:
    """A value as HTML text or attribute."""
    return html.escape(str(value), quote=True)


def bi(zh: str, en: str) -> str:
    """Chinese first, English beside it."""
    return f'{e(zh)}<span class="en" lang="en"> · {e(en)}</span>'


# --- counter codes: the form and what it means -------------------------------------------------


@dataclass(frozen=True)
class CounterForm:
    """What staff typed, as typed (the form is shown again with it when something is wrong)."""

    terminal_id: str = ""
    amount: str = ""
    time: str = ""
    hours: str = ""


@dataclass(frozen=True)
class CounterRequest:
    terminal_id: str
    amount: Decimal
    transaction_time: datetime
    valid_for: timedelta


def parse_counter_form(
    form: CounterForm, terminal_ids: set[str], now: datetime
) -> tuple[CounterRequest | None, list[tuple[str, str]]]:
    """The counter code asked for, or the problems with the form (each in Chinese and English)."""
    policy = bot_settings().policy
    problems: list[tuple[str, str]] = []
    terminal_id = form.terminal_id.strip().upper()
    if terminal_id not in terminal_ids:
        problems.append(("请选择您的一台终端。", "Choose one of your terminals."))

    amount = None
    typed = form.amount.strip().lstrip("¥￥").strip()
    if not typed:
        problems.append(("请填写金额，如 128.50。", "Enter the amount, e.g. 128.50."))
    elif typed.startswith("-"):
        problems.append(("金额必须大于零。", "The amount must be above zero."))
    elif _TOO_PRECISE.fullmatch(typed):
        problems.append(("金额最多两位小数（分）。", "The amount can have at most 2 decimal places."))
    elif not _AMOUNT.fullmatch(typed):
        problems.append(("金额应为数字，如 128.50。", "The amount must be a number in yuan, e.g. 128.50."))
    elif Decimal(typed) <= 0:
        problems.append(("金额必须大于零。", "The amount must be above zero."))
    elif Decimal(typed) > policy.max_amount:
        problems.append(
            (
                f"金额超过 ¥{policy.max_amount:,.2f}，助手无法受理，请联系银行。",
                f"Above ¥{policy.max_amount:,.2f} the assistant cannot take the case; call the bank.",
            )
        )
    else:
        amount = Decimal(typed)

    moment = None
    if not form.time.strip():
        problems.append(("请填写付款时间。", "Enter the time of the payment."))
    else:
        try:
            moment = parse_local_time(form.time)
        except (ValueError, OverflowError):
            problems.append(("付款时间格式不对。", "The payment time is not a date and time."))
        else:
            if moment > now + timedelta(minutes=1):
                problems.append(("付款时间不能晚于现在。", "The payment time cannot be in the future."))
                moment = None
            elif moment < now - timedelta(days=policy.max_transaction_age_days):
                days = policy.max_transaction_age_days
                problems.append(
                    (
                        f"付款时间早于 {days} 天前，助手无法受理。",
                        f"More than {days} days ago: the assistant cannot take the case.",
                    )
                )
                moment = None

    hours = None
    try:
        hours = float(form.hours) if form.hours.strip() else counter_code_hours()
    except ValueError:
        hours = None
    limit = max(MAX_COUNTER_HOURS, counter_code_hours())
    if hours is None or not math.isfinite(hours) or not 0 < hours <= limit:
        problems.append(
            (
                f"有效期应大于 0、不超过 {limit:g} 小时。",
                f"Valid for: more than 0 and at most {limit:g} hours.",
            )
        )
        hours = None

    if problems or amount is None or moment is None or hours is None:
        return None, problems
    return CounterRequest(terminal_id, amount, moment, timedelta(hours=hours)), []


# --- HTML --------------------------------------------------------------------------------------


def business_timezone() -> ZoneInfo:
    return bot_settings().default_timezone


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(business_timezone()).strftime("%Y-%m-%d %H:%M")


def terminal_name(terminal: Terminal) -> str:
    return terminal.label or f"终端 {terminal.terminal_id}"


def document(title: str, main: str, *, header: str = "", body_class: str = "page") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">\n'
        '<meta name="theme-color" content="#0a58ca">\n<meta name="format-detection" content="telephone=no">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        f"<title>{e(title)}</title>\n"
        '<link rel="stylesheet" href="/merchant.css">\n</head>\n'
        f'<body class="{e(body_class)}">\n{header}<main class="wrap">\n{main}\n</main>\n</body>\n</html>\n'
    )


def csrf_field(csrf: str) -> str:
    return f'<input type="hidden" name="csrf" value="{e(csrf)}">'


def post_button(action: str, csrf: str, label: str, css: str = "button") -> str:
    return (
        f'<form method="post" action="{e(action)}" class="inline">{csrf_field(csrf)}'
        f'<button type="submit" class="{e(css)}">{label}</button></form>'
    )


def top_bar(merchant: Merchant, csrf: str) -> str:
    sign_out = post_button("/merchant/logout", csrf, bi("退出", "Sign out"), "button ghost")
    return (
        '<header class="bar"><div class="bar-in">'
        f'<a class="brand" href="{HOME_PATH}">{bi("商户服务", "Merchant")}</a>'
        f'<span class="who">{e(merchant.name)}</span>{sign_out}</div></header>\n'
    )


def problems_box(problems: list[tuple[str, str]]) -> str:
    if not problems:
        return ""
    items = "".join(f"<li>{e(zh)} <span lang='en'>{e(en)}</span></li>" for zh, en in problems)
    return f'<div class="alert" role="alert"><ul>{items}</ul></div>'


def message_page(status: int, zh: str, en: str, *, link: str = HOME_PATH) -> HTTPResponse:
    back = bi("返回", "Back") if link != LOGIN_PATH else bi("登录", "Sign in")
    main = (
        f'<section class="card narrow"><h1>{e(zh)}</h1><p lang="en">{e(en)}</p>'
        f'<p><a class="button" href="{e(link)}">{back}</a></p></section>'
    )
    return html_response(document(f"{zh} · {en}", main), status=status, headers=NO_STORE)


def sign_in_form(action: str, login: str) -> str:
    """The staff sign-in form (merchants, support agents); the password field has focus after a
    failed try, when the login is already filled in."""
    return f"""<form method="post" action="{e(action)}" class="stack">
<label for="login">{bi("登录名", "Sign-in name")}</label>
<input id="login" name="login" value="{e(login)}" maxlength="{MAX_LOGIN_CHARS}" autocomplete="username"
 autocapitalize="none" spellcheck="false" required{" autofocus" if not login else ""}>
<label for="password">{bi("密码", "Password")}</label>
<input id="password" name="password" type="password" maxlength="{MAX_PASSWORD_CHARS}"
 autocomplete="current-password" required{" autofocus" if login else ""}>
<button type="submit" class="button primary wide">{bi("登录", "Sign in")}</button>
</form>"""  # fmt: skip


def login_page(*, login: str = "", problem: tuple[str, str] | None = None, notice_html: str = "") -> str:
    alert = problems_box([problem] if problem else [])
    done = f'<p class="notice" role="status">{notice_html}</p>' if notice_html else ""
    main = f"""<section class="card narrow login">
<h1>{bi("商户登录", "Merchant sign-in")}</h1>
<p class="hint">{bi("管理收银台二维码，为付款失败的顾客生成现场求助码。",
                    "Manage your terminals' QR codes and make counter codes for failed payments.")}</p>
{done}{alert}
{sign_in_form(LOGIN_PATH, login)}
</section>"""  # fmt: skip
    return document("商户登录 · Merchant sign-in", main)


REPLACE_WARNING = (
    "旧海报会立即失效，需要打印新海报。",
    "The old poster stops working at once; print the new one.",
)
REVOKE_WARNING = (
    "停用后顾客扫这张海报将无法打开助手。",
    "Customers scanning this poster will no longer reach the assistant.",
)
NO_TERMINALS = ("还没有终端，请联系银行添加。", "No terminals yet: ask the bank to add them.")
COUNTER_HINT = (
    "顾客付款显示失败、钱却被扣了：填写这笔付款，让顾客用手机扫码，助手已知道金额和时间。",
    "A payment failed but the money was taken: enter it and let the customer scan; "
    "the assistant then already knows the amount and time.",
)
NOTICES = {
    "made": (
        "已为终端 {t} 生成二维码，请下载并打印海报。",
        "Terminal {t} has a code now: download and print its poster.",
    ),
    "replaced": (
        "已为终端 {t} 换新码：旧海报已失效，请打印新海报。",
        "Terminal {t} has a new code: the old poster no longer works; print the new one.",
    ),
    "revoked": ("终端 {t} 的二维码已停用。", "The code of terminal {t} no longer works."),
}


def terminal_card(terminal: Terminal, code: QrCode | None, csrf: str) -> str:
    tid = terminal.terminal_id
    base = f"/merchant/terminals/{quote(tid, safe='')}"
    title = (
        f'<h3>{e(terminal_name(terminal))} <span class="tid">{bi("终端", "Terminal")} {e(tid)}</span></h3>'
    )
    if code is None:
        state = f'<p class="state none">{bi("还没有二维码", "No printed code yet")}</p>'
        actions = post_button(f"{base}/code", csrf, bi("生成二维码", "Make a code"), "button primary")
        return f'<li class="card terminal">{title}{state}<div class="actions">{actions}</div></li>'
    state = (
        f'<p class="state">{bi("已有二维码", "Printed code")}<br>'
        f'<span class="fact">{bi("创建于", "Created")} <time>{e(local_time(code.created_at))}</time></span> '
        f'<span class="fact">{bi("扫码次数", "Scans")} <strong>{e(code.scans)}</strong></span></p>'
    )
    downloads = (
        f'<a class="button" href="{base}/poster.png" download>{bi("下载海报", "Poster")} PNG</a>'
        f'<a class="button" href="{base}/poster.svg" download>{bi("下载海报", "Poster")} SVG</a>'
    )
    replace = (
        f'<details class="confirm"><summary class="button">{bi("换新码", "Replace code")}</summary>'
        f"<p>{bi(*REPLACE_WARNING)}</p>"
        + post_button(f"{base}/code", csrf, bi("确认换新码", "Yes, replace"), "button primary")
        + "</details>"
    )
    revoke = (
        f'<details class="confirm"><summary class="button danger">{bi("停用", "Revoke")}</summary>'
        f"<p>{bi(*REVOKE_WARNING)}</p>"
        + post_button(
            f"/merchant/codes/{quote(code.token, safe='')}/revoke",
            csrf,
            bi("确认停用", "Yes, revoke"),
            "button danger",
        )
        + "</details>"
    )
    return (
        f'<li class="card terminal">{title}{state}<div class="actions">{downloads}</div>'
        f'<div class="actions">{replace}{revoke}</div></li>'
    )


def counter_form(
    terminals: list[Terminal], form: CounterForm, csrf: str, problems: list[tuple[str, str]]
) -> str:
    if not terminals:
        return ""
    now = datetime.now(business_timezone()).strftime("%Y-%m-%dT%H:%M")
    chosen = form.terminal_id.strip().upper()
    options = "".join(
        f'<option value="{e(t.terminal_id)}"{" selected" if t.terminal_id == chosen else ""}>'
        f"{e(terminal_name(t))} ({e(t.terminal_id)})</option>"
        for t in terminals
    )
    zone = business_timezone().key
    hours = form.hours or f"{counter_code_hours():g}"
    return f"""<section class="card" id="counter">
<h2>{bi("现场求助码", "Counter code")}</h2>
<p class="hint">{bi(*COUNTER_HINT)}</p>
{problems_box(problems)}
<form method="post" action="/merchant/counter-codes" class="stack">
{csrf_field(csrf)}
<label for="terminal_id">{bi("终端", "Terminal")}</label>
<select id="terminal_id" name="terminal_id" required>{options}</select>
<label for="amount">{bi("金额（元）", "Amount (yuan)")}</label>
<input id="amount" name="amount" value="{e(form.amount)}" inputmode="decimal" autocomplete="off"
 placeholder="128.50" maxlength="20" required>
<label for="time">{bi("付款时间", "Payment time")} <span class="muted">({e(zone)})</span></label>
<input id="time" name="time" type="datetime-local" value="{e(form.time or now)}" required>
<label for="hours">{bi("有效期（小时）", "Valid for (hours)")}</label>
<input id="hours" name="hours" value="{e(hours)}" inputmode="decimal" autocomplete="off" maxlength="10">
<button type="submit" class="button primary wide">{bi("生成求助码", "Make counter code")}</button>
</form>
</section>"""  # fmt: skip


def dashboard(
    merchant: Merchant,
    csrf: str,
    terminals: list[tuple[Terminal, QrCode | None]],
    *,
    form: CounterForm | None = None,
    problems: list[tuple[str, str]] | None = None,
    notice: tuple[str, str] | None = None,
) -> str:
    done = f'<p class="notice" role="status">{bi(*notice)}</p>' if notice else ""
    if terminals:
        cards = "".join(terminal_card(t, code, csrf) for t, code in terminals)
        listing = f'<ul class="terminals">{cards}</ul>'
    else:
        listing = f'<p class="card">{bi(*NO_TERMINALS)}</p>'
    main = (
        f"<h1>{e(merchant.name)}</h1>{done}"
        f"<section><h2>{bi('我的终端', 'My terminals')}</h2>{listing}</section>"
        + counter_form([t for t, _ in terminals], form or CounterForm(), csrf, problems or [])
    )
    return document(f"{merchant.name} · 商户服务 Merchant", main, header=top_bar(merchant, csrf))


def counter_page(code: QrCode, csrf: str, now: datetime) -> str:
    token = quote(code.token, safe="")
    filename = download_name("counter", code.terminal_id, "png")
    amount = f"¥{code.amount:,.2f}" if code.amount is not None else ""
    if code.revoked_at is not None:
        center = f'<p class="gone" role="alert">{bi("此码已停用", "This code has been revoked")}</p>'
    elif code.expires_at is not None and code.expires_at <= now:
        center = f'<p class="gone" role="alert">{bi("此码已过期", "This code has expired")}</p>'
    else:
        center = (
            f'<img class="qr" src="/merchant/codes/{token}.svg" alt="二维码 · QR code" width="370">'
            f'<p class="scan">{bi("请用手机扫码", "Scan with your phone")}</p>'
        )
    download = ""
    if code.revoked_at is None:
        download = f'<a class="button" href="/merchant/codes/{token}.png" download="{e(filename)}">PNG</a>'
    revoke = ""
    if code.revoked_at is None:
        revoke = (
            f'<details class="confirm"><summary class="button danger">{bi("停用", "Revoke")}</summary>'
            + post_button(
                f"/merchant/codes/{token}/revoke", csrf, bi("确认停用", "Yes, revoke"), "button danger"
            )
            + "</details>"
        )
    main = f"""<section class="counter-code">
<p class="shop">{e(code.merchant_name)}</p>
{center}
<p class="amount">{e(amount)}</p>
<p class="paid">{bi("付款时间", "Paid at")} <time>{e(local_time(code.transaction_time))}</time></p>
<p class="expiry">{bi("有效至", "Valid until")} <time>{e(local_time(code.expires_at))}</time>
 · {bi("终端", "Terminal")} {e(code.terminal_id)}</p>
</section>
<nav class="actions below">
<a class="button" href="{HOME_PATH}">{bi("返回", "Back")}</a>
{download}{revoke}
</nav>"""  # fmt: skip
    return document(f"{amount} · 现场求助码 Counter code", main, body_class="page full")


def download_name(stem: str, terminal_id: str, extension: str) -> str:
    return f"{stem}-{_FILENAME_UNSAFE.sub('_', terminal_id)}.{extension}"


# --- routes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staff:
    """Who is signed in on this request, and the CSRF token of their session."""

    merchant: Merchant
    csrf: str


def add_merchant_routes(
    app: Sanic, settings: GatewaySettings, shared: SharedState, database: CaseDatabase
) -> None:
    """The merchant pages under /merchant (the stylesheet is /merchant.css, served with the widget's)."""
    sessions = MerchantSessions(settings.secret, settings.merchant_session_hours)
    guard = SignInGuard(
        shared, "merchant", settings.merchant_login_failures, settings.merchant_login_window_minutes * 60
    )

    directory = MerchantDirectory(database)

    def call(request: Request, method: str, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        """A directory method (synchronous SQL) off the event loop."""
        return asyncio.to_thread(getattr(directory, method), *args, **kwargs)

    def base_url(request: Request) -> str:
        return settings.public_url or f"{request.scheme}://{request.host}"

    def signed_in(handler: Handler) -> Handler:
        """Only for a signed-in merchant; a form posted to it must carry the session's CSRF token."""

        @wraps(handler)
        async def checked(request: Request, **params: str) -> HTTPResponse:
            value = request.cookies.get(SESSION_COOKIE)
            merchant_id = sessions.merchant_of(value)
            merchant = await call(request, "merchant", merchant_id) if merchant_id else None
            if merchant is None or not isinstance(value, str):
                if request.method == "GET":
                    response = redirect(LOGIN_PATH, status=303, headers=NO_STORE)
                    if value:
                        clear_session_cookie(response, secure=secure(request))
                    return response
                return message_page(403, "请先登录。", "Please sign in first.", link=LOGIN_PATH)
            if request.method != "GET" and (
                not same_origin(request) or not sessions.csrf_ok(value, request.form.get("csrf"))
            ):
                return message_page(
                    403,
                    "表单已失效，请返回、刷新页面后再试。",
                    "This form has expired or did not come from this site: go back, reload and try again.",
                )
            return await handler(request, Staff(merchant, sessions.csrf_token(value)), **params)

        return checked

    async def show_dashboard(
        request: Request,
        staff: Staff,
        *,
        status: int = 200,
        form: CounterForm | None = None,
        problems: list[tuple[str, str]] | None = None,
    ) -> HTTPResponse:
        terminals = await call(request, "terminals", staff.merchant.merchant_id)
        notice = None
        done, named = request.args.get("done"), request.args.get("terminal", "")
        labels = {
            t.terminal_id: f"{t.label} ({t.terminal_id})" if t.label else t.terminal_id for t, _ in terminals
        }
        if done in NOTICES and named in labels:
            zh, en = NOTICES[done]
            notice = (zh.format(t=labels[named]), en.format(t=labels[named]))
        page = dashboard(staff.merchant, staff.csrf, terminals, form=form, problems=problems, notice=notice)
        return html_response(page, status=status, headers=NO_STORE)

    def not_found() -> HTTPResponse:
        return message_page(404, "没有找到。", "Not found: not one of your terminals or codes.")

    # --- sign-in ---

    @app.get(LOGIN_PATH)
    async def merchant_login_form(request: Request) -> HTTPResponse:
        if sessions.merchant_of(request.cookies.get(SESSION_COOKIE)):
            return redirect(HOME_PATH, status=303, headers=NO_STORE)
        notice = bi("已退出。", "You have signed out.") if request.args.get("done") == "out" else ""
        return html_response(login_page(notice_html=notice), headers=NO_STORE)

    async def merchant_id_of(login: str, password: str) -> str | None:
        merchant = await asyncio.to_thread(directory.sign_in, login, password)
        return merchant.merchant_id if merchant else None

    door = StaffDoor(
        home_path=HOME_PATH,
        cookie_name=SESSION_COOKIE,
        cookie_path=COOKIE_PATH,
        sessions=sessions,
        guard=guard,
        check=merchant_id_of,
        login_page=login_page,
        refuse=lambda: message_page(
            403, "请从本站登录。", "Please sign in on this site's own page.", link=LOGIN_PATH
        ),
    )

    @app.post(LOGIN_PATH)
    async def merchant_login(request: Request) -> HTTPResponse:
        return await door.sign_in(request)

    @app.post("/merchant/logout")
    @signed_in
    async def merchant_logout(request: Request, _staff: Staff) -> HTTPResponse:
        response = redirect(f"{LOGIN_PATH}?done=out", status=303, headers=NO_STORE)
        clear_session_cookie(response, secure=secure(request))
        return response

    # --- terminals and their printed codes ---

    @app.get(HOME_PATH)
    @signed_in
    async def merchant_home(request: Request, staff: Staff) -> HTTPResponse:
        return await show_dashboard(request, staff)

    @app.post("/merchant/terminals/<terminal_id:str>/code")
    @signed_in
    async def merchant_replace_code(request: Request, staff: Staff, terminal_id: str) -> HTTPResponse:
        terminals = await call(request, "terminals", staff.merchant.merchant_id)
        current = {t.terminal_id: code for t, code in terminals}
        terminal_id = terminal_id.upper()
        if terminal_id not in current:
            return not_found()
        try:
            await call(request, "issue_terminal_code", terminal_id, merchant_id=staff.merchant.merchant_id)
        except CodeJustReplaced:
            return message_page(
                409, "刚刚已换过码，请刷新页面。", "The code was just replaced: reload the page."
            )
        except MerchantError:
            return not_found()
        done = "replaced" if current[terminal_id] is not None else "made"
        return redirect(f"{HOME_PATH}?{urlencode({'done': done, 'terminal': terminal_id})}", status=303)

    @app.post("/merchant/codes/<token:str>/revoke")
    @signed_in
    async def merchant_revoke_code(request: Request, staff: Staff, token: str) -> HTTPResponse:
        normalized = normalize_token(token)
        if normalized is None:
            return not_found()
        try:
            code = await call(request, "revoke", normalized, merchant_id=staff.merchant.merchant_id)
        except MerchantError:
            return not_found()
        if code.kind == "counter":
            return redirect(f"/merchant/counter/{quote(code.token, safe='')}", status=303)
        return redirect(
            f"{HOME_PATH}?{urlencode({'done': 'revoked', 'terminal': code.terminal_id})}", status=303
        )

    @app.get("/merchant/terminals/<terminal_id:str>/poster.png")
    @signed_in
    async def merchant_poster_png(request: Request, staff: Staff, terminal_id: str) -> HTTPResponse:
        return await poster(request, staff, terminal_id, "png")

    @app.get("/merchant/terminals/<terminal_id:str>/poster.svg")
    @signed_in
    async def merchant_poster_svg(request: Request, staff: Staff, terminal_id: str) -> HTTPResponse:
        return await poster(request, staff, terminal_id, "svg")

    async def poster(request: Request, staff: Staff, terminal_id: str, kind: str) -> HTTPResponse:
        terminals = await call(request, "terminals", staff.merchant.merchant_id)
        code = next((c for t, c in terminals if t.terminal_id == terminal_id.upper()), None)
        if code is None:
            return not_found()
        url = landing_url(code.token, base_url(request))
        try:
            if kind == "png":
                body = await asyncio.to_thread(poster_png, url, code.merchant_name, code.terminal_id)
            else:
                body = await asyncio.to_thread(poster_svg, url, code.merchant_name, code.terminal_id)
        except NoChineseFont:
            return message_page(
                503,
                "服务器缺少中文字体，暂时无法生成 PNG 海报，请下载 SVG。",
                "The server has no Chinese font for PNG posters yet: download the SVG one.",
            )
        filename = download_name("poster", code.terminal_id, kind)
        headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'}
        content_type = "image/png" if kind == "png" else "image/svg+xml"
        return HTTPResponse(body, headers=headers, content_type=content_type)

    # --- counter codes ---

    @app.post("/merchant/counter-codes")
    @signed_in
    async def merchant_new_counter_code(request: Request, staff: Staff) -> HTTPResponse:
        form = CounterForm(
            terminal_id=(request.form.get("terminal_id") or "")[:16],
            amount=(request.form.get("amount") or "")[:40],
            time=(request.form.get("time") or "")[:40],
            hours=(request.form.get("hours") or "")[:20],
        )
        terminals = await call(request, "terminals", staff.merchant.merchant_id)
        wanted, problems = parse_counter_form(
            form, {t.terminal_id for t, _ in terminals}, datetime.now(timezone.utc)
        )
        if wanted is None:
            return await show_dashboard(request, staff, status=400, form=form, problems=problems)
        try:
            code = await call(
                request,
                "issue_counter_code",
                wanted.terminal_id,
                wanted.amount,
                wanted.transaction_time,
                wanted.valid_for,
                merchant_id=staff.merchant.merchant_id,
            )
        except MerchantError as error:
            problems = [("无法生成求助码。", f"No counter code: {error}.")]
            return await show_dashboard(request, staff, status=400, form=form, problems=problems)
        return redirect(f"/merchant/counter/{quote(code.token, safe='')}", status=303)

    @app.get("/merchant/counter/<token:str>")
    @signed_in
    async def merchant_counter_code(request: Request, staff: Staff, token: str) -> HTTPResponse:
        code = await own_code(request, staff, token)
        if code is None or code.kind != "counter":
            return not_found()
        page = counter_page(code, staff.csrf, datetime.now(timezone.utc))
        return html_response(page, headers=NO_STORE)

    @app.get("/merchant/codes/<filename:str>")
    @signed_in
    async def merchant_code_image(request: Request, staff: Staff, filename: str) -> HTTPResponse:
        token, _, kind = filename.rpartition(".")
        code = await own_code(request, staff, token) if kind in ("svg", "png") else None
        if code is None or code.revoked_at is not None:
            return not_found()
        url = landing_url(code.token, base_url(request))
        if kind == "svg":
            return HTTPResponse(
                svg(url, scale=CODE_IMAGE_SCALE), headers=NO_STORE, content_type="image/svg+xml"
            )
        body = await asyncio.to_thread(png, url, CODE_IMAGE_SCALE)
        headers = {
            **NO_STORE,
            "Content-Disposition": f'inline; filename="{download_name(code.kind, code.terminal_id, "png")}"',
        }
        return HTTPResponse(body, headers=headers, content_type="image/png")

    async def own_code(request: Request, staff: Staff, token: str) -> QrCode | None:
        normalized = normalize_token(token)
        if normalized is None:
            return None
        return await call(request, "code", normalized, merchant_id=staff.merchant.merchant_id)
