"""QR codes and posters decode, with a real decoder (zxing-cpp), to the URL they were made for."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree

import pytest
import zxingcpp
from PIL import Image

from bot.case_store.merchants import new_token
from bot.qr.codes import landing_url, make_code, png, svg
from bot.qr.poster import poster_png, poster_svg


def decode(image_bytes: bytes) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(image_bytes)))]


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:8000", "https://chat.example.cn", "https://help.paymentbank.com.cn"]
)
def test_a_code_url_stays_at_version_3(base: str) -> None:
    url = landing_url(new_token(), base)
    assert url.startswith(base.upper()) and "/Q/" in url
    code = make_code(url)
    assert code.designator == "3-M" and code.mode == "alphanumeric"


def test_a_base_url_with_a_path_keeps_its_case() -> None:
    url = landing_url("A" * 26, "https://bank.example/Chat")
    assert url == "HTTPS://BANK.EXAMPLE/Chat/Q/" + "A" * 26


def test_png_decodes_to_the_url() -> None:
    url = landing_url(new_token(), "https://chat.example.cn")
    assert decode(png(url, scale=4)) == [url]


def test_svg_is_a_code() -> None:
    root = ElementTree.fromstring(svg(landing_url(new_token()), scale=4))
    assert root.tag.endswith("svg") and root.find("{http://www.w3.org/2000/svg}path") is not None
    assert root.get("viewBox") == "0 0 148 148" and root.get("width") == "148"  # (29 + 2 * 4) * 4


def test_poster_png_decodes_and_is_a6_shaped() -> None:
    url = landing_url(new_token(), "https://chat.example.cn")
    image = poster_png(url, "全家便利店(徐汇店)", "10293847", scale=10)
    assert decode(image) == [url]
    width, height = Image.open(io.BytesIO(image)).size
    assert abs(height / width - 148 / 105) < 0.01


def test_a_very_long_shop_name_still_leaves_a_readable_code() -> None:
    url = landing_url(new_token())
    assert decode(
        poster_png(url, "上海市徐汇区漕溪北路某某某大型综合购物中心地下一层美食广场第十二号档口", "10293847")
    ) == [url]


def test_poster_svg_names_the_shop_as_text_never_as_markup() -> None:
    svg_bytes = poster_svg(landing_url(new_token()), '<script>alert(1)</script> & "Café"', "10293847")
    root = ElementTree.fromstring(svg_bytes)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert '<script>alert(1)</script> & "Café"' in texts
    assert root.find(".//{http://www.w3.org/2000/svg}script") is None
    assert any("Terminal 10293847" in t for t in texts)
    assert any("扫" in t for t in texts) and any("Scan" in t for t in texts)
    assert root.get("width") == "105.0mm" and root.get("height") == "148.0mm"
