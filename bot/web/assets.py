"""The widget's files, read once, served compressed and revalidated by ETag."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.text.catalogue import widget_script

STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str
    etag: str


def load_asset(path: Path, *, transcript_days: int) -> Asset:
    body = path.read_bytes()
    if path.name == "widget.js":
        body = widget_script(body, transcript_days=transcript_days)
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type.endswith("javascript"):
        content_type += "; charset=utf-8"
    return Asset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        content_type=content_type,
        etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"',
    )


def load_assets(*, transcript_days: int, directory: Path = STATIC_DIR) -> dict[str, Asset]:
    """Every file of the static folder by name; the widget tells how many days a chat is kept."""
    return {
        path.name: load_asset(path, transcript_days=transcript_days)
        for path in sorted(directory.iterdir())
        if path.is_file()
    }


def asset_response(request: Request, asset: Asset, *, cache_control: str = "no-cache") -> HTTPResponse:
    """The file, gzipped when the browser takes it; by default revalidated on every use (the widget
    must never run an old script beside a new page)."""
    headers = {"ETag": asset.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == asset.etag:
        return HTTPResponse(status=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return HTTPResponse(asset.gzipped, headers=headers, content_type=asset.content_type)
    return HTTPResponse(asset.body, headers=headers, content_type=asset.content_type)
