"""The A6 poster a merchant prints and sticks to a terminal: the code, the shop's name and short
instructions in Chinese and English, as SVG (for print shops) or PNG (for any printer)."""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot import config
from bot.qr.codes import BORDER_MODULES, make_code

A6_MM = (105.0, 148.0)
QR_SHARE_OF_WIDTH = 0.62


@dataclass(frozen=True)
class PosterText:
    headline_zh: str = "付款显示失败，钱却被扣了？"
    action_zh: str = "用手机扫一扫，助手一分钟帮你查清楚"
    headline_en: str = "Payment failed but money taken?"
    action_en: str = "Scan with your phone for help in a minute"
    warning: str = "请勿向任何人透露卡密码 · Never share your PIN"


TEXT = PosterText()


class NoChineseFont(RuntimeError):
    """PNG posters need a font with Chinese glyphs (e.g. Debian's fonts-wqy-microhei)."""


@lru_cache(maxsize=1)
def chinese_font_path() -> Path:
    configured = config.text("POSTER_FONT")
    if configured:
        return Path(configured)
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "-f", "%{file}\n"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        listed = []
    known = [*Path("/usr/share/fonts").glob("*/wqy/*.tt?"), *Path("/usr/share/fonts").glob("*/*/*CJK*.tt?")]
    found = sorted(listed) or sorted(str(path) for path in known)
    if not found:
        raise NoChineseFont("no Chinese font found: apt-get install fonts-wqy-microhei, or set POSTER_FONT")
    return Path(found[0])


def _modules(url: str) -> list[list[bool]]:
    return [[bool(v) for v in row] for row in make_code(url).matrix_iter(border=BORDER_MODULES)]


def _width_mm(text: str, size_mm: float) -> float:
    """About how wide a line sets: a Chinese character is one em, a Latin one a little over half."""
    return sum(1.0 if ord(ch) > 0x2E7F else 0.56 for ch in text) * size_mm


def poster_svg(url: str, merchant_name: str, terminal_id: str) -> bytes:
    """An A6 poster in millimetres; the code is drawn as one path, so it prints sharp at any size."""
    width, height = A6_MM
    modules = _modules(url)
    size = width * QR_SHARE_OF_WIDTH
    module = size / len(modules)
    left, top = (width - size) / 2, 40.0
    path = "".join(
        f"M{left + x * module:.3f} {top + y * module:.3f}h{module:.3f}v{module:.3f}h-{module:.3f}z"
        for y, row in enumerate(modules)
        for x, dark in enumerate(row)
        if dark
    )

    def line(y: float, text: str, size_mm: float, weight: str = "normal", fill: str = "#1f2328") -> str:
        # A long shop name is squeezed into the page rather than cut off at its edges.
        fit = ' textLength="96" lengthAdjust="spacingAndGlyphs"' if _width_mm(text, size_mm) > 96 else ""
        return (
            f'<text x="{width / 2}" y="{y}" font-size="{size_mm}" font-weight="{weight}" fill="{fill}" '
            f'text-anchor="middle"{fit}>{escape(text)}</text>'
        )

    below = top + size
    body = [
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<rect width="{width}" height="9" fill="#0a58ca"/>',
        line(19, merchant_name, 6, "bold"),
        line(28, TEXT.headline_zh, 5, "bold", "#0a58ca"),
        line(35, TEXT.action_zh, 3.8),
        f'<path d="{path}" fill="#000000"/>',
        line(below + 7, TEXT.headline_en, 4.2, "bold", "#0a58ca"),
        line(below + 13, TEXT.action_en, 3.4),
        line(height - 13, f"终端 Terminal {terminal_id}", 3.2, fill="#57606a"),
        line(height - 7, TEXT.warning, 3, fill="#57606a"),
    ]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" '
        f'viewBox="0 0 {width} {height}" font-family="PingFang SC, Noto Sans CJK SC, '
        f'WenQuanYi Micro Hei, Microsoft YaHei, sans-serif">{"".join(body)}</svg>'
    )
    return svg.encode("utf-8")


def poster_png(url: str, merchant_name: str, terminal_id: str, scale: int = 10) -> bytes:
    """The poster as an image, `scale` pixels per QR module (10 prints A6 at about 300 dpi)."""
    modules = _modules(url)
    code_px = len(modules) * scale
    width = round(code_px / QR_SHARE_OF_WIDTH)
    height = round(width * A6_MM[1] / A6_MM[0])
    mm = width / A6_MM[0]
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font_path = chinese_font_path()

    def line(y_mm: float, text: str, size_mm: float, fill: str = "#1f2328") -> None:
        size = max(6, round(size_mm * mm))
        font = ImageFont.truetype(str(font_path), size)
        while size > 6 and draw.textlength(text, font=font) > width * 0.92:  # a long shop name
            size -= 1
            font = ImageFont.truetype(str(font_path), size)
        draw.text((width / 2, y_mm * mm), text, font=font, fill=fill, anchor="ms")

    draw.rectangle((0, 0, width, round(9 * mm)), fill="#0a58ca")
    line(19, merchant_name, 6)
    line(28, TEXT.headline_zh, 5, "#0a58ca")
    line(35, TEXT.action_zh, 3.8)
    left, top = (width - code_px) // 2, round(40 * mm)
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                x0, y0 = left + x * scale, top + y * scale
                draw.rectangle((x0, y0, x0 + scale - 1, y0 + scale - 1), fill="black")
    below = (top + code_px) / mm
    line(below + 7, TEXT.headline_en, 4.2, "#0a58ca")
    line(below + 13, TEXT.action_en, 3.4)
    line(A6_MM[1] - 13, f"终端 Terminal {terminal_id}", 3.2, "#57606a")
    line(A6_MM[1] - 7, TEXT.warning, 3, "#57606a")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True, dpi=(round(mm * 25.4),) * 2)
    return buffer.getvalue()
