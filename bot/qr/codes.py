"""The URL a code carries and the code itself, as PNG or SVG (segno)."""

from __future__ import annotations

import io
from urllib.parse import urlsplit, urlunsplit

import segno

from bot import config

ERROR_LEVEL = "m"  # 15 % of the code may be smudged or torn and it still reads
BORDER_MODULES = 4  # the quiet zone the standard asks for


# A gateway bound to every address answers on loopback here too (as scripts/run.sh prints it).
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::"})


def public_url() -> str:
    """Where phones reach the gateway (what printed codes point to): GATEWAY_PUBLIC_URL, else the
    gateway on this machine, at the address and port it listens on (the merchant pages use the
    address they were asked on instead)."""
    configured = config.text("GATEWAY_PUBLIC_URL").rstrip("/")
    if configured:
        return configured
    host = config.text("GATEWAY_HOST")
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{config.integer('GATEWAY_PORT')}"


def landing_url(token: str, base_url: str | None = None) -> str:
    """The code's URL. Scheme and host in upper case (they are case-blind) let the whole URL use
    the QR alphanumeric mode, which keeps the code at version 3 instead of 4."""
    parts = urlsplit(base_url or public_url())
    path = parts.path.rstrip("/") + f"/Q/{token}"
    return urlunsplit((parts.scheme.upper(), parts.netloc.upper(), path, "", ""))


def make_code(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR_LEVEL, micro=False, boost_error=False)


def png(url: str, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    make_code(url).save(buffer, kind="png", scale=scale, border=BORDER_MODULES)
    return buffer.getvalue()


def svg(url: str, scale: int = 8) -> bytes:
    """The code as SVG with a size and a viewBox, so it also scales with a page (as an <img>)."""
    code = make_code(url)
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", scale=scale, border=BORDER_MODULES, xmldecl=False)
    width, height = code.symbol_size(scale=scale, border=BORDER_MODULES)
    return buffer.getvalue().replace(b"<svg ", f'<svg viewBox="0 0 {width} {height}" '.encode(), 1)
