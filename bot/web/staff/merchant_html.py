"""The merchant pages' HTML: sign-in, the terminals and their printed codes, the counter-code form,
the recent counter codes, and a counter code's full-screen page."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.case_store.merchants import RECENT_COUNTER_CODE_DAYS, RECENT_COUNTER_CODE_ROWS
from bot.case_store.qr_models import Merchant, QrCode, Terminal
from bot.config import settings as bot_settings
from bot.qr.counter_codes import counter_code_hours
from bot.web.staff.counter_form import CounterForm
from bot.web.staff.html import (
    csrf_field,
    document,
    e,
    post_button,
    problems_box,
    say,
    sign_in_form,
    signed_out_notice,
)
from bot.web.staff.texts import ZH

LOGIN_PATH = "/merchant/login"
HOME_PATH = "/merchant"
COUNTER_CODES_ANCHOR = "counter-codes"
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def business_timezone() -> ZoneInfo:
    return bot_settings().default_timezone


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(business_timezone()).strftime("%Y-%m-%d %H:%M")


def terminal_name(terminal: Terminal) -> str:
    return terminal.label or ZH["terminal_named"].format(terminal_id=terminal.terminal_id)


def download_name(stem: str, terminal_id: str, extension: str) -> str:
    return f"{stem}-{_FILENAME_UNSAFE.sub('_', terminal_id)}.{extension}"


def login_page(*, login: str = "", problem: tuple[str, str] | None = None, signed_out: bool = False) -> str:
    alert = problems_box([problem] if problem else [])
    main = f"""<section class="card narrow login">
<h1>{say("merchant_sign_in")}</h1>
<p class="hint">{say("merchant_sign_in_hint")}</p>
{signed_out_notice(signed_out)}{alert}
{sign_in_form(LOGIN_PATH, login)}
</section>"""  # fmt: skip
    return document("商户登录 · Merchant sign-in", main)


def top_bar(merchant: Merchant, csrf: str) -> str:
    sign_out = post_button("/merchant/logout", csrf, say("sign_out"), "button ghost")
    return (
        '<header class="bar"><div class="bar-in">'
        f'<a class="brand" href="{HOME_PATH}">{say("merchant")}</a>'
        f'<span class="who">{e(merchant.name)}</span>{sign_out}</div></header>\n'
    )


def terminal_card(terminal: Terminal, code: QrCode | None, csrf: str) -> str:
    tid = terminal.terminal_id
    base = f"/merchant/terminals/{quote(tid, safe='')}"
    title = f'<h3>{e(terminal_name(terminal))} <span class="tid">{say("terminal")} {e(tid)}</span></h3>'
    if code is None:
        state = f'<p class="state none">{say("no_code_yet")}</p>'
        actions = post_button(f"{base}/code", csrf, say("make_code"), "button primary")
        return f'<li class="card terminal">{title}{state}<div class="actions">{actions}</div></li>'
    state = (
        f'<p class="state">{say("printed_code")}<br>'
        f'<span class="fact">{say("created")} <time>{e(local_time(code.created_at))}</time></span> '
        f'<span class="fact">{say("scans")} <strong>{e(code.scans)}</strong></span></p>'
    )
    downloads = (
        f'<a class="button" href="{base}/poster.png" download>{say("poster")} PNG</a>'
        f'<a class="button" href="{base}/poster.svg" download>{say("poster")} SVG</a>'
    )
    replace = (
        f'<details class="confirm"><summary class="button">{say("replace_code")}</summary>'
        f"<p>{say('replace_warning')}</p>"
        + post_button(f"{base}/code", csrf, say("replace_confirm"), "button primary")
        + "</details>"
    )
    revoke_action = f"/merchant/codes/{quote(code.token, safe='')}/revoke"
    revoke = (
        f'<details class="confirm"><summary class="button danger">{say("revoke")}</summary>'
        f"<p>{say('revoke_warning')}</p>"
        + post_button(revoke_action, csrf, say("revoke_confirm"), "button danger")
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
<h2>{say("counter_code")}</h2>
<p class="hint">{say("counter_hint")}</p>
{problems_box(problems)}
<form method="post" action="/merchant/counter-codes" class="stack">
{csrf_field(csrf)}
<label for="terminal_id">{say("terminal")}</label>
<select id="terminal_id" name="terminal_id" required>{options}</select>
<label for="amount">{say("amount_yuan")}</label>
<input id="amount" name="amount" value="{e(form.amount)}" inputmode="decimal" autocomplete="off"
 placeholder="128.50" maxlength="20" required>
<label for="time">{say("payment_time")} <span class="muted">({e(zone)})</span></label>
<input id="time" name="time" type="datetime-local" value="{e(form.time or now)}" required>
<label for="hours">{say("valid_for_hours")}</label>
<input id="hours" name="hours" value="{e(hours)}" inputmode="decimal" autocomplete="off" maxlength="10">
<button type="submit" class="button primary wide">{say("make_counter_code")}</button>
</form>
</section>"""  # fmt: skip


def expired(code: QrCode, now: datetime) -> bool:
    return code.expires_at is not None and code.expires_at <= now


def code_state(code: QrCode, now: datetime) -> str:
    """Whether a code still works, as a badge."""
    if code.revoked_at is not None:
        return f'<span class="badge gone">{say("code_state_revoked")}</span>'
    if expired(code, now):
        return f'<span class="badge gone">{say("code_state_expired")}</span>'
    return f'<span class="badge live">{say("code_active")}</span>'


def counter_code_row(code: QrCode, names: dict[str, str], now: datetime) -> str:
    terminal = names.get(code.terminal_id, code.terminal_id)
    amount = f"¥{code.amount:,.2f}" if code.amount is not None else ""
    until = (
        f'<span class="fact">{say("valid_until")} <time>{e(local_time(code.expires_at))}</time></span>'
        if code.revoked_at is None and not expired(code, now)
        else ""
    )
    return (
        f'<li class="card code-row"><p class="code-head"><strong class="code-amount">{e(amount)}</strong> '
        f"{code_state(code, now)}</p>"
        f'<p class="state"><span class="fact">{say("terminal")} <strong>{e(terminal)}</strong></span> '
        f'<span class="fact">{say("paid_at")} <time>{e(local_time(code.transaction_time))}</time></span> '
        f'<span class="fact">{say("created")} <time>{e(local_time(code.created_at))}</time></span> '
        f'<span class="fact">{say("scans")} <strong>{e(code.scans)}</strong></span> {until}</p>'
        f'<div class="actions"><a class="button" href="/merchant/counter/{quote(code.token, safe="")}">'
        f"{say('open_code')}</a></div></li>"
    )


def recent_counter_codes(codes: list[QrCode], terminals: list[Terminal], now: datetime) -> str:
    """The merchant's recent counter codes, newest first, each with a way back to its page."""
    days = RECENT_COUNTER_CODE_DAYS
    names = {t.terminal_id: f"{t.label} ({t.terminal_id})" if t.label else t.terminal_id for t in terminals}
    if codes:
        rows = "".join(counter_code_row(code, names, now) for code in codes)
        listing = f'<ul class="codes">{rows}</ul>'
    else:
        listing = f'<p class="state none">{say("no_recent_counter_codes", days=days)}</p>'
    return (
        f'<section id="{COUNTER_CODES_ANCHOR}"><h2>{say("recent_counter_codes")}</h2>'
        f'<p class="hint">{say("recent_counter_hint", days=days, limit=RECENT_COUNTER_CODE_ROWS)}</p>'
        f"{listing}</section>"
    )


def dashboard(
    merchant: Merchant,
    csrf: str,
    terminals: list[tuple[Terminal, QrCode | None]],
    *,
    counter_codes: list[QrCode] | None = None,
    now: datetime | None = None,
    form: CounterForm | None = None,
    problems: list[tuple[str, str]] | None = None,
    notice: str = "",
) -> str:
    """The home page; `notice` is what was just done, as HTML."""
    done = f'<p class="notice" role="status">{notice}</p>' if notice else ""
    if terminals:
        cards = "".join(terminal_card(t, code, csrf) for t, code in terminals)
        listing = f'<ul class="terminals">{cards}</ul>'
    else:
        listing = f'<p class="card">{say("no_terminals")}</p>'
    own = [t for t, _ in terminals]
    recent = recent_counter_codes(counter_codes or [], own, now or datetime.now(timezone.utc)) if own else ""
    main = (
        f"<h1>{e(merchant.name)}</h1>{done}"
        f"<section><h2>{say('my_terminals')}</h2>{listing}</section>"
        + counter_form(own, form or CounterForm(), csrf, problems or [])
        + recent
    )
    return document(f"{merchant.name} · 商户服务 Merchant", main, header=top_bar(merchant, csrf))


def counter_page(code: QrCode, csrf: str, now: datetime) -> str:
    token = quote(code.token, safe="")
    filename = download_name("counter", code.terminal_id, "png")
    amount = f"¥{code.amount:,.2f}" if code.amount is not None else ""
    if code.revoked_at is not None:
        center = f'<p class="gone" role="alert">{say("code_revoked")}</p>'
    elif expired(code, now):
        center = f'<p class="gone" role="alert">{say("code_expired")}</p>'
    else:
        center = (
            f'<img class="qr" src="/merchant/codes/{token}.svg" alt="二维码 · QR code" width="370">'
            f'<p class="scan">{say("scan_with_phone")}</p>'
        )
    download = revoke = ""
    if code.revoked_at is None:
        download = f'<a class="button" href="/merchant/codes/{token}.png" download="{e(filename)}">PNG</a>'
        revoke = (
            f'<details class="confirm"><summary class="button danger">{say("revoke")}</summary>'
            + post_button(f"/merchant/codes/{token}/revoke", csrf, say("revoke_confirm"), "button danger")
            + "</details>"
        )
    main = f"""<section class="counter-code">
<p class="shop">{e(code.merchant_name)}</p>
{center}
<p class="amount">{e(amount)}</p>
<p class="paid">{say("paid_at")} <time>{e(local_time(code.transaction_time))}</time></p>
<p class="expiry">{say("valid_until")} <time>{e(local_time(code.expires_at))}</time>
 · {say("terminal")} {e(code.terminal_id)}</p>
</section>
<nav class="actions below">
<a class="button" href="{HOME_PATH}#{COUNTER_CODES_ANCHOR}">{say("back")}</a>
{download}{revoke}
</nav>"""  # fmt: skip
    return document(f"{amount} · 现场求助码 Counter code", main, body_class="page full")
