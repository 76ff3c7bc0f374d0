"""The pieces every staff page is made of. Server-rendered HTML, Chinese first with English beside
it; every value goes through `e()`. The gateway's page policy allows no inline script or style, so
the look is in static/merchant.css (and static/console.css for the console)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from types import MappingProxyType

from sanic.response import HTTPResponse, redirect
from sanic.response import html as html_response

from bot.web.staff.texts import pair

# Read-only: Sanic's redirect() writes Location into the headers it is given, and a shared dict would
# carry that Location into every later response made with it.
NO_STORE: Mapping[str, str] = MappingProxyType({"Cache-Control": "no-store"})
MAX_LOGIN_CHARS = 64
MAX_PASSWORD_CHARS = 256  # argon2 hashes whatever it is given: no megabyte passwords


def e(value: object) -> str:
    """A value as HTML text or attribute."""
    return html.escape(str(value), quote=True)


def bi(zh: str, en: str) -> str:
    """Chinese first, English beside it."""
    return f'{e(zh)}<span class="en" lang="en"> · {e(en)}</span>'


def say(key: str, **values: object) -> str:
    """A text of the catalogue, in both languages, as HTML."""
    return bi(*pair(key, **values))


def document(title: str, main: str, *, header: str = "", body_class: str = "page") -> str:
    """A merchant page (and the pages both doors share: messages, refusals)."""
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


def problems_box(problems: list[tuple[str, str]]) -> str:
    if not problems:
        return ""
    items = "".join(f"<li>{e(zh)} <span lang='en'>{e(en)}</span></li>" for zh, en in problems)
    return f'<div class="alert" role="alert"><ul>{items}</ul></div>'


def signed_out_notice(signed_out: bool) -> str:
    return f'<p class="notice" role="status">{say("signed_out")}</p>' if signed_out else ""


def see_other(location: str) -> HTTPResponse:
    """A 303 to `location`, never stored: the one way staff pages redirect."""
    return redirect(location, status=303, headers=dict(NO_STORE))


def message_page(status: int, text: tuple[str, str], *, link: str, sign_in: bool = False) -> HTTPResponse:
    """A page that says one thing, with one way on: back (`link`), or to the sign-in form."""
    zh, en = text
    back = say("sign_in") if sign_in else say("back")
    main = (
        f'<section class="card narrow"><h1>{e(zh)}</h1><p lang="en">{e(en)}</p>'
        f'<p><a class="button" href="{e(link)}">{back}</a></p></section>'
    )
    return html_response(document(f"{zh} · {en}", main), status=status, headers=NO_STORE)


def sign_in_form(action: str, login: str) -> str:
    """The staff sign-in form (merchants, support agents); the password field has focus after a
    failed try, when the login is already filled in."""
    return f"""<form method="post" action="{e(action)}" class="stack">
<label for="login">{say("sign_in_name")}</label>
<input id="login" name="login" value="{e(login)}" maxlength="{MAX_LOGIN_CHARS}" autocomplete="username"
 autocapitalize="none" spellcheck="false" required{" autofocus" if not login else ""}>
<label for="password">{say("password")}</label>
<input id="password" name="password" type="password" maxlength="{MAX_PASSWORD_CHARS}"
 autocomplete="current-password" required{" autofocus" if login else ""}>
<button type="submit" class="button primary wide">{say("sign_in")}</button>
</form>"""  # fmt: skip
