"""The gateway's Sanic application: pages, widget files and the chat socket."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json, text

from bot.case_store import CaseDatabase
from bot.web.assets import Asset, asset_response, load_assets
from bot.web.chat import ChatService
from bot.web.origins import origin_allowed
from bot.web.settings import GatewaySettings
from bot.web.shared_state import SharedStateUnavailable, create_shared_state
from bot.web.staff.merchant_pages import merchant_blueprint
from bot.web.staff.support_console import support_blueprint

# The chat inside a shop's iframe (the widget's script puts it there): the one page that may be framed.
EMBED_PAGE = "/embed"
PAGES = {"/": "page.html", "/demo": "demo.html", EMBED_PAGE: "embed.html"}
FILES = ("widget.js", "widget.css", "merchant.css", "console.js", "console.css")
# Browsers ask for /favicon.ico on every page they open; a week in their cache keeps them from
# asking again each time (the icon rarely changes, and its ETag tells them when it did).
ICON = "favicon.ico"
ICON_CACHE_CONTROL = "public, max-age=604800"
MAX_SOCKET_FRAME_BYTES = 64 * 1024
HOST_AND_PORT = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def create_app(settings: GatewaySettings, name: str = "gateway") -> Sanic:
    app = Sanic(name)
    app.config.WEBSOCKET_MAX_SIZE = MAX_SOCKET_FRAME_BYTES
    app.config.WEBSOCKET_PING_INTERVAL = 20
    app.config.WEBSOCKET_PING_TIMEOUT = 20
    app.config.FALLBACK_ERROR_FORMAT = "text"
    assets = load_assets(transcript_days=settings.transcript_retention_days)
    try:
        # What the gateway processes share; in Redis, checked now: no gateway starts without it.
        shared = create_shared_state(settings)
    except SharedStateUnavailable as error:
        raise SystemExit(str(error)) from None
    database = CaseDatabase(settings.case_store_url)  # the process's one engine on the case store

    @app.before_server_start
    async def start_chat(app: Sanic, _loop: object) -> None:
        await shared.open()  # its Redis client belongs to the server's event loop
        app.ctx.chat = ChatService(settings, shared, database)

    @app.after_server_stop
    async def stop_chat(app: Sanic, _loop: object) -> None:
        await app.ctx.chat.close()
        await shared.close()
        database.close()

    @app.on_request
    async def refuse_foreign_origins(request: Request) -> HTTPResponse | None:
        if request.path == "/ws" and not origin_allowed(
            request.headers.get("origin"), request.host, settings.allowed_origins
        ):
            return text("This site may not embed the chat.", status=403)
        return None

    @app.on_response
    async def security_headers(request: Request, response: HTTPResponse) -> None:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if response.content_type and response.content_type.startswith("text/html"):
            # Only the embedded chat may be framed, by the gateway's pages and the sites allowed to
            # embed it (the same list as the socket's); no other page is, by anyone.
            embed = request.path == EMBED_PAGE
            framers = ["'self'", *sorted(settings.allowed_origins)] if embed else ["'none'"]
            response.headers["Content-Security-Policy"] = page_policy(settings.public_url, framers)
            if not embed:
                response.headers["X-Frame-Options"] = "DENY"  # for browsers without frame-ancestors

    for route, filename in PAGES.items():
        app.add_route(_serve(assets[filename]), route, name=filename.replace(".", "_"))
    # A merchant's QR code: the chat page, which hands the token to the gateway over the socket.
    app.add_route(_serve(assets["page.html"]), "/Q/<token:str>", name="qr_landing")
    app.add_route(_serve(assets["page.html"]), "/q/<token:str>", name="qr_landing_lower")
    for filename in FILES:
        app.add_route(_serve(assets[filename]), f"/{filename}", name=filename.replace(".", "_"))
    app.add_route(_serve(assets[ICON], ICON_CACHE_CONTROL), f"/{ICON}", name="favicon")

    @app.get("/health")
    async def health(_request: Request) -> HTTPResponse:
        return json({"status": "ok"})

    app.blueprint(merchant_blueprint(settings, shared, database))
    app.blueprint(support_blueprint(settings, shared, database))

    @app.websocket("/ws")
    async def chat_socket(request: Request, ws: object) -> None:
        await request.app.ctx.chat.serve(ws, request.remote_addr or request.ip)

    return app


def _serve(asset: Asset, cache_control: str = "no-cache") -> Callable[[Request], Awaitable[HTTPResponse]]:
    async def handler(request: Request, **_path: str) -> HTTPResponse:
        return asset_response(request, asset, cache_control=cache_control)

    return handler


def page_policy(public_url: str, framers: list[str]) -> str:
    """Only the gateway's own scripts, styles and socket; framed only by `framers`.

    Made from the configuration alone: a request's Host header is the client's to write, and once
    it wrote the policy (`Host: x; script-src *`) it could loosen it. 'self' covers the socket on the
    page's own host; the public URL's socket is named too, for browsers whose 'self' leaves out
    ws:// and wss://."""
    connect = " ".join(["'self'", *_socket_origin(public_url)])
    ancestors = " ".join(framers)
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; base-uri 'none'; form-action 'self'; "
        f"object-src 'none'; frame-ancestors {ancestors}"
    )


def _socket_origin(public_url: str) -> list[str]:
    """The chat socket's origin at the public URL (wss:// for https://), or nothing without one."""
    parts = urlsplit(public_url)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme)
    if scheme is None or not HOST_AND_PORT.fullmatch(parts.netloc):
        return []
    return [f"{scheme}://{parts.netloc}"]
