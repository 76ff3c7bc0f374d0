"""The support console's server-rendered pages: the sign-in form and the console's frame.

Everything live (the queue, a conversation) is drawn by static/console.js from the console's JSON
API and socket; the page policy allows no inline script or style, so data for the script travels
in data- attributes and the look is in static/merchant.css (shared base) and static/console.css.
"""

from __future__ import annotations

from bot.web.staff.html import csrf_field, e, problems_box, say, sign_in_form, signed_out_notice

LOGIN_PATH = "/support/login"
HOME_PATH = "/support"


def document(
    title: str, main: str, *, header: str = "", body_attributes: str = "", script: bool = False
) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        f"<title>{e(title)}</title>\n"
        '<link rel="stylesheet" href="/merchant.css">\n<link rel="stylesheet" href="/console.css">\n'
        + ('<script src="/console.js" defer></script>\n' if script else "")
        + f'</head>\n<body{body_attributes}>\n{header}<main class="wrap console-wrap">\n{main}\n</main>\n'
        "</body>\n</html>\n"
    )


def login_page(*, login: str = "", problem: tuple[str, str] | None = None, signed_out: bool = False) -> str:
    alert = problems_box([problem] if problem else [])
    main = f"""<section class="card narrow login">
<h1>{say("support_sign_in")}</h1>
{signed_out_notice(signed_out)}{alert}
{sign_in_form(LOGIN_PATH, login)}
</section>"""  # fmt: skip
    return document("客服登录 · Support sign-in", main)


def console_page(display_name: str, login: str, csrf: str) -> str:
    sign_out = (
        f'<form method="post" action="/support/logout" class="inline">{csrf_field(csrf)}'
        f'<button type="submit" class="button ghost">{say("sign_out")}</button></form>'
    )
    header = (
        '<header class="bar"><div class="bar-in">'
        f'<a class="brand" href="{HOME_PATH}">{say("support_console")}</a>'
        f'<span class="who agent-name">{e(display_name)}</span>{sign_out}</div></header>\n'
    )
    # Two live regions: what went well is a polite status, what went wrong an alert, each styled so.
    main = f"""<p class="console-line done" id="console-status" role="status"></p>
<p class="console-line problem" id="console-alert" role="alert"></p>
<div class="console">
<section class="card queue" aria-labelledby="queue-title">
<h2 id="queue-title">{say("waiting_conversations")}</h2>
<p class="hint empty" id="queue-empty">{say("nobody_waiting")}</p>
<ol class="queue-list" id="queue"></ol>
<h2>{say("mine")}</h2>
<ol class="queue-list" id="mine"></ol>
</section>
<section class="card conversation" id="conversation" hidden aria-labelledby="conversation-title">
<h2 id="conversation-title"></h2>
<div class="summary" id="summary"></div>
<ol class="transcript" id="transcript" aria-live="polite"></ol>
<form class="reply" id="reply-form">
<label for="reply">{say("reply_to_customer")}</label>
<textarea id="reply" rows="3" maxlength="2000" required></textarea>
<button type="submit" class="button primary">{say("send")}</button>
</form>
<form class="ticket-form" id="ticket-form">
<h3>{say("ticket")} <span id="ticket-number"></span></h3>
<label for="ticket-status">{say("status")}</label>
<select id="ticket-status">
<option value="">{say("unchanged")}</option>
<option value="in_progress">in_progress · 处理中</option>
<option value="open">open · 待处理</option>
<option value="resolved">resolved · 已解决</option>
<option value="closed">closed · 已关闭</option>
</select>
<label for="ticket-note">{say("note")}</label>
<input id="ticket-note" maxlength="1000">
<button type="submit" class="button">{say("update_ticket")}</button>
</form>
<form class="finish-form" id="finish-form">
<label for="finish-note">{say("resolution_note")}</label>
<input id="finish-note" maxlength="1000">
<div class="actions">
<button type="submit" class="button primary" id="resolve" value="resolve">
{say("resolve")}</button>
<button type="submit" class="button" id="hand-back" value="hand_back">
{say("hand_back")}</button>
</div>
</form>
</section>
</div>"""  # fmt: skip
    body = f' class="page support" data-csrf="{e(csrf)}" data-agent="{e(login)}"'
    return document(
        f"{display_name} · 客服工作台 Support", main, header=header, body_attributes=body, script=True
    )
