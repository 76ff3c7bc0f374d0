"""QR benchmark: the QR version of each kind of code, and the smallest poster image (pixels per
module) that a real decoder (zxing-cpp) still reads, as rendered and as a phone camera might see it.

    .venv/bin/python -m benchmarks.qr                            # public URL from GATEWAY_PUBLIC_URL
    .venv/bin/python -m benchmarks.qr --base https://chat.example.cn
    .venv/bin/python -m benchmarks.qr --smoke                    # fewer trials (the tests run this)

"As a camera sees it": the poster turned by 4 degrees, blurred by a third of a module, and saved
as a JPEG of quality 60. Each scale is tried with several random tokens and counts only if every
one of them decodes.
"""

from __future__ import annotations

import argparse
import io
from typing import Any

import zxingcpp
from PIL import Image, ImageFilter

from bot.case_store.merchants import new_token
from bot.qr.codes import landing_url, make_code, public_url
from bot.qr.poster import poster_png

SCALES = range(1, 9)


def decodes(image: Image.Image, url: str) -> bool:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)] == [url]


def as_camera_sees_it(image: Image.Image, scale: int) -> Image.Image:
    turned = image.convert("RGB").rotate(4, expand=True, fillcolor="white", resample=Image.BICUBIC)
    blurred = turned.filter(ImageFilter.GaussianBlur(radius=max(0.3, scale / 3)))
    buffer = io.BytesIO()
    blurred.save(buffer, format="JPEG", quality=60)
    return Image.open(io.BytesIO(buffer.getvalue()))


def smallest_scale(base: str, trials: int, camera: bool) -> int | None:
    for scale in SCALES:
        ok = True
        for _ in range(trials):
            url = landing_url(new_token(), base)
            image = Image.open(io.BytesIO(poster_png(url, "全家便利店(徐汇店)", "10293847", scale=scale)))
            if not decodes(as_camera_sees_it(image, scale) if camera else image, url):
                ok = False
                break
        if ok:
            return scale
    return None


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", help="the gateway's public URL (default GATEWAY_PUBLIC_URL or local)")
    parser.add_argument("--smoke", action="store_true", help="2 tokens per scale (default 10)")
    args = parser.parse_args(argv)
    base = args.base or public_url()
    trials = 2 if args.smoke else 10

    url = landing_url(new_token(), base)
    code = make_code(url)
    summary: dict[str, Any] = {
        "base": base,
        "example_url": url,
        # A counter code carries a token of the same shape (its amount and time stay server-side).
        "versions": {
            "terminal": code.designator,
            "counter": make_code(landing_url(new_token(), base)).designator,
        },
        "modules": code.symbol_size(border=0)[0],
        "mode": code.mode,
        "smallest_scale": {
            "as rendered": smallest_scale(base, trials, camera=False),
            "as a camera sees it": smallest_scale(base, trials, camera=True),
        },
    }
    print(f"\nQR codes for {base}  (e.g. {url})")
    print(f"{'kind':<12}{'version':>10}{'modules':>10}  mode")
    for kind, version in summary["versions"].items():
        print(f"{kind:<12}{version:>10}{summary['modules']:>10}  {summary['mode']}")
    print(f"\nSmallest poster scale zxing-cpp decodes ({trials} tokens each)")
    for case, scale in summary["smallest_scale"].items():
        shown = f"{scale} px/module" if scale else f"none up to {SCALES[-1]}"
        print(f"{case:<22}{shown:>16}")
    return summary


if __name__ == "__main__":
    main()
