"""The icon browsers ask every page for (/favicon.ico), from a real gateway process: an icon instead
of a 404 for every page opened, kept in the browser's cache and revalidated by its ETag."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.bot.case_store.support import migrated_sqlite
from tests.bot.web.gateway import Gateway, start_gateway, stop_gateway

pytestmark = pytest.mark.slow  # a gateway process


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    workdir = tmp_path_factory.mktemp("favicon")
    started = start_gateway(workdir, migrated_sqlite(Path(workdir)), "gateway")
    yield started
    stop_gateway(started)


def test_the_gateway_serves_an_icon_that_browsers_keep(gateway: Gateway) -> None:
    with gateway.client() as client:
        icon = client.get("/favicon.ico", headers={"Accept-Encoding": "identity"})
        assert icon.status_code == 200
        assert icon.headers["content-type"] in ("image/vnd.microsoft.icon", "image/x-icon")
        image = Image.open(io.BytesIO(icon.content))
        assert image.format == "ICO" and (32, 32) in image.info["sizes"]
        assert "max-age=604800" in icon.headers["cache-control"]
        assert icon.headers["x-content-type-options"] == "nosniff"

        again = client.get("/favicon.ico", headers={"If-None-Match": icon.headers["etag"]})
        assert again.status_code == 304 and not again.content
        # The widget's files are still revalidated on every use: only the icon is kept.
        assert client.get("/widget.js").headers["cache-control"] == "no-cache"
