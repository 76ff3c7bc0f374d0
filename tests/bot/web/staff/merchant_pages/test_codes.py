"""The merchant pages of a real gateway process, driven over loopback with httpx: terminals and their
printed codes, one merchant fenced off from another, counter codes and their checks; posters and
codes read back to the right token by a real decoder (zxing-cpp)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from bot.case_store.merchants import MerchantDirectory
from tests.bot.web.gateway import Gateway
from tests.bot.web.staff.merchant_pages.support import (
    FRESH,
    MID,
    OTHER_MID,
    PRINTED,
    SHANGHAI,
    SPARE,
    THEIRS,
    counter_codes,
    counter_form,
    csrf_of,
    current_code,
    decode,
    shanghai_minutes_ago,
)

pytestmark = pytest.mark.slow  # a gateway process (one for the package, see conftest.py) and argon2 checks


# --- terminals and printed codes ----------------------------------------------------------------


def test_the_terminals_page_lists_only_the_merchants_own_terminals(
    ours: httpx.Client, directory: MerchantDirectory
) -> None:
    page = ours.get("/merchant")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "我的终端" in page.text and "My terminals" in page.text
    for terminal_id in (FRESH, PRINTED, SPARE):
        assert terminal_id in page.text
    assert THEIRS not in page.text and "中国石化" not in page.text
    printed = directory.code(current_code(directory, MID, PRINTED))
    assert f"/merchant/terminals/{PRINTED}/poster.png" in page.text
    assert f"/merchant/terminals/{PRINTED}/poster.svg" in page.text
    assert printed.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in page.text
    assert f"/merchant/terminals/{SPARE}/code" in page.text and "No printed code yet" in page.text


def test_a_first_code_then_a_new_one_that_revokes_it(
    gateway: Gateway, ours: httpx.Client, directory: MerchantDirectory
) -> None:
    assert current_code(directory, MID, FRESH) is None
    assert ours.get(f"/merchant/terminals/{FRESH}/poster.png").status_code == 404
    csrf = csrf_of(ours)
    made = ours.post(f"/merchant/terminals/{FRESH}/code", data={"csrf": csrf})
    assert made.status_code == 303
    first = current_code(directory, MID, FRESH)
    assert first is not None
    assert "已为终端" in ours.get(made.headers["location"]).text

    replaced = ours.post(f"/merchant/terminals/{FRESH.lower()}/code", data={"csrf": csrf})
    assert replaced.status_code == 303 and "done=replaced" in replaced.headers["location"]
    second = current_code(directory, MID, FRESH)
    assert second not in (None, first)
    assert directory.scan(first).status == "revoked"
    assert directory.scan(second).status == "ok"
    card = next(c for c in ours.get("/merchant").text.split('<li class="card terminal">') if FRESH in c)
    assert "Scans" in card and "<strong>1</strong>" in card  # the scan just counted

    poster = ours.get(f"/merchant/terminals/{FRESH}/poster.png")
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/png"
    assert poster.headers["content-disposition"] == f'attachment; filename="poster-{FRESH}.png"'
    assert decode(poster.content) == [f"HTTP://127.0.0.1:{gateway.port}/Q/{second}"]
    # Without GATEWAY_PUBLIC_URL, codes point to the address the page was asked on.
    elsewhere = ours.get(
        f"/merchant/terminals/{FRESH}/poster.png", headers={"Host": f"localhost:{gateway.port}"}
    )
    assert decode(elsewhere.content) == [f"HTTP://LOCALHOST:{gateway.port}/Q/{second}"]
    vector = ours.get(f"/merchant/terminals/{FRESH}/poster.svg")
    assert vector.status_code == 200 and vector.headers["content-type"].startswith("image/svg+xml")
    assert vector.headers["content-disposition"] == f'attachment; filename="poster-{FRESH}.svg"'
    assert vector.content.startswith(b"<svg") and "全家便利店 &lt;script&gt;".encode() in vector.content


def test_revoking_a_printed_code(ours: httpx.Client, directory: MerchantDirectory) -> None:
    token = directory.issue_terminal_code(SPARE)
    response = ours.post(f"/merchant/codes/{token.token.lower()}/revoke", data={"csrf": csrf_of(ours)})
    assert response.status_code == 303 and "done=revoked" in response.headers["location"]
    assert directory.scan(token.token).status == "revoked"
    assert current_code(directory, MID, SPARE) is None
    assert ours.get(f"/merchant/terminals/{SPARE}/poster.svg").status_code == 404
    assert ours.get(f"/merchant/codes/{token.token}.svg").status_code == 404
    assert "No printed code yet" in ours.get(response.headers["location"]).text


def test_a_merchant_cannot_touch_another_merchants_terminals_or_codes(
    ours: httpx.Client, directory: MerchantDirectory, case_store_url: str
) -> None:
    theirs = current_code(directory, OTHER_MID, THEIRS)
    their_counter = directory.issue_counter_code(
        THEIRS, Decimal("88.00"), datetime.now(timezone.utc) - timedelta(minutes=5), timedelta(hours=1)
    ).token
    csrf = csrf_of(ours)
    for path in (
        f"/merchant/terminals/{THEIRS}/poster.png",
        f"/merchant/terminals/{THEIRS}/poster.svg",
        f"/merchant/codes/{theirs}.svg",
        f"/merchant/codes/{theirs}.png",
        f"/merchant/codes/{their_counter}.svg",
        f"/merchant/counter/{their_counter}",
        "/merchant/terminals/NOSUCH/poster.png",
        "/merchant/codes/not-a-token.svg",
        f"/merchant/codes/{theirs}.gif",
    ):
        response = ours.get(path)
        assert response.status_code == 404, path
        assert "没有找到" in response.text
    for path in (
        f"/merchant/terminals/{THEIRS}/code",
        f"/merchant/codes/{theirs}/revoke",
        f"/merchant/codes/{their_counter}/revoke",
        "/merchant/codes/not-a-token/revoke",
    ):
        assert ours.post(path, data={"csrf": csrf}).status_code == 404, path
    before = counter_codes(case_store_url)
    response = ours.post("/merchant/counter-codes", data=counter_form(csrf, terminal_id=THEIRS))
    assert response.status_code == 400 and "请选择您的一台终端" in response.text
    assert counter_codes(case_store_url) == before
    assert current_code(directory, OTHER_MID, THEIRS) == theirs
    assert directory.scan(theirs).status == "ok" and directory.scan(their_counter).status == "ok"


# --- counter codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "zh", "en"),
    [
        ("amount", "abc", "金额应为数字", "must be a number"),
        ("amount", "1e3", "金额应为数字", "must be a number"),
        ("amount", "128,50", "金额应为数字", "must be a number"),
        ("amount", "", "请填写金额", "Enter the amount"),
        ("amount", "0", "金额必须大于零", "above zero"),
        ("amount", "0.00", "金额必须大于零", "above zero"),
        ("amount", "-5", "金额必须大于零", "above zero"),
        ("amount", "12.345", "最多两位小数", "at most 2 decimal places"),
        ("amount", "50000.01", "助手无法受理", "cannot take the case"),
        ("time", "yesterday", "付款时间格式不对", "not a date and time"),
        ("time", "", "请填写付款时间", "Enter the time"),
        ("time", "FUTURE", "不能晚于现在", "cannot be in the future"),
        ("time", "0001-01-01T00:00", "天前", "days ago"),
        ("hours", "0", "有效期", "Valid for"),
        ("hours", "abc", "有效期", "Valid for"),
        ("hours", "nan", "有效期", "Valid for"),
        ("hours", "100000", "有效期", "Valid for"),
        ("terminal_id", "NOSUCH", "请选择您的一台终端", "Choose one of your terminals"),
    ],
)
def test_the_counter_form_says_what_is_wrong(
    ours: httpx.Client, case_store_url: str, field: str, value: str, zh: str, en: str
) -> None:
    if value == "FUTURE":
        value = (datetime.now(SHANGHAI) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    before = counter_codes(case_store_url)
    response = ours.post("/merchant/counter-codes", data=counter_form(csrf_of(ours), **{field: value}))
    assert response.status_code == 400
    assert zh in response.text and en in response.text
    assert 'role="alert"' in response.text and 'action="/merchant/counter-codes"' in response.text
    if value and field != "terminal_id":
        assert f'value="{value}"' in response.text  # typed values come back
    assert counter_codes(case_store_url) == before


def test_a_counter_code_and_its_full_screen_page(
    gateway: Gateway, ours: httpx.Client, theirs: httpx.Client, directory: MerchantDirectory
) -> None:
    paid = shanghai_minutes_ago(15)
    response = ours.post(
        "/merchant/counter-codes",
        data=counter_form(
            csrf_of(ours), terminal_id=PRINTED.lower(), amount=" ¥1280.5 ", time=paid, hours="2"
        ),
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/merchant/counter/")
    token = location.rsplit("/", 1)[1]
    code = directory.code(token, merchant_id=MID)
    assert code.kind == "counter" and code.terminal_id == PRINTED and code.amount == Decimal("1280.50")
    assert code.transaction_time == datetime.fromisoformat(paid).replace(tzinfo=SHANGHAI)
    expected_expiry = datetime.now(timezone.utc) + timedelta(hours=2)
    assert abs((code.expires_at - expected_expiry).total_seconds()) < 60

    page = ours.get(location)
    assert page.status_code == 200
    assert "¥1,280.50" in page.text and paid.replace("T", " ") in page.text
    assert "请用手机扫码" in page.text and "Scan with your phone" in page.text
    assert code.expires_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in page.text
    assert f'src="/merchant/codes/{token}.svg"' in page.text

    image = ours.get(f"/merchant/codes/{token}.svg")
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg+xml")
    assert image.content.startswith(b"<svg") and b"viewBox=" in image.content
    raster = ours.get(f"/merchant/codes/{token}.png")
    assert raster.status_code == 200 and raster.headers["content-type"] == "image/png"
    assert decode(raster.content) == [f"HTTP://127.0.0.1:{gateway.port}/Q/{token}"]
    assert directory.scan(token).context()["amount"] == "1280.50"

    # Only its owner sees it.
    assert theirs.get(location).status_code == 404
    assert theirs.get(f"/merchant/codes/{token}.svg").status_code == 404

    # Revoked from its own page, it says so and the image is gone.
    revoked = ours.post(f"/merchant/codes/{token}/revoke", data={"csrf": csrf_of(ours)})
    assert revoked.status_code == 303 and revoked.headers["location"] == location
    page = ours.get(location)
    assert "此码已停用" in page.text and f"/merchant/codes/{token}.svg" not in page.text
    assert ours.get(f"/merchant/codes/{token}.svg").status_code == 404
    assert directory.scan(token).status == "revoked"


def test_an_expired_counter_code_says_so(ours: httpx.Client, directory: MerchantDirectory) -> None:
    code = directory.issue_counter_code(
        PRINTED, Decimal("9.90"), datetime.now(timezone.utc) - timedelta(hours=1), timedelta(seconds=-1)
    )
    page = ours.get(f"/merchant/counter/{code.token}")
    assert page.status_code == 200 and "此码已过期" in page.text and ".svg" not in page.text
    # A printed code has posters, not a counter page.
    assert ours.get(f"/merchant/counter/{current_code(directory, MID, PRINTED)}").status_code == 404


SCANS = '扫码次数<span class="en" lang="en"> · Scans</span> '


def recent_rows(page: str) -> list[str]:
    """The rows of the home page's recent counter codes, in the order shown."""
    section = page.split('<section id="counter-codes">', 1)[1].split("</section>", 1)[0]
    return section.split('<li class="card code-row">')[1:]


def test_the_home_page_lists_the_merchants_recent_counter_codes_to_open_again(
    ours: httpx.Client, theirs: httpx.Client, directory: MerchantDirectory
) -> None:
    now = datetime.now(timezone.utc)
    their_code = directory.issue_counter_code(THEIRS, Decimal("88.80"), now, timedelta(hours=1)).token
    expired = directory.issue_counter_code(FRESH, Decimal("12.30"), now, timedelta(seconds=-1)).token
    revoked = directory.issue_counter_code(PRINTED, Decimal("45.60"), now, timedelta(hours=1)).token
    directory.revoke(revoked)
    made = ours.post(
        "/merchant/counter-codes",
        data=counter_form(csrf_of(ours), terminal_id=PRINTED, amount="66.60", time=shanghai_minutes_ago(5)),
    )
    assert made.status_code == 303
    token = made.headers["location"].rsplit("/", 1)[1]
    directory.scan(token)
    code = directory.code(token)

    page = ours.get("/merchant").text
    assert "最近的求助码" in page and "Recent counter codes" in page
    newest, second, third, *_older = recent_rows(page)
    assert f'href="/merchant/counter/{token}"' in newest
    assert "¥66.60" in newest and "收银台 2 (10293848)" in newest
    assert '<span class="badge live">有效<span class="en" lang="en"> · Active</span>' in newest
    assert f"{SCANS}<strong>1</strong>" in newest
    assert code.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in newest
    assert code.expires_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in newest
    assert f"/merchant/counter/{revoked}" in second and "¥45.60" in second
    assert '<span class="badge gone">已停用<span class="en" lang="en"> · Revoked</span>' in second
    assert f"/merchant/counter/{expired}" in third and "¥12.30" in third
    assert '<span class="badge gone">已过期<span class="en" lang="en"> · Expired</span>' in third
    assert "收银台 &lt;b&gt;1&lt;/b&gt; (10293847)" in third and f"{SCANS}<strong>0</strong>" in third
    assert "有效至" not in second + third  # only a working code says until when
    assert their_code not in page and "¥88.80" not in page
    assert their_code in theirs.get("/merchant").text and token not in theirs.get("/merchant").text

    # The link opens the code again, and its page leads back to the list.
    again = ours.get(f"/merchant/counter/{token}")
    assert again.status_code == 200 and f'src="/merchant/codes/{token}.svg"' in again.text
    assert 'href="/merchant#counter-codes"' in again.text


def test_the_recent_counter_codes_are_at_most_twenty(
    ours: httpx.Client, directory: MerchantDirectory
) -> None:
    paid = datetime.now(timezone.utc) - timedelta(minutes=1)
    tokens = [
        directory.issue_counter_code(SPARE, Decimal(f"{n}.00"), paid, timedelta(hours=1)).token
        for n in range(1, 22)
    ]
    rows = recent_rows(ours.get("/merchant").text)
    assert len(rows) == 20
    assert [tokens[-1] in rows[0], tokens[1] in rows[-1]] == [True, True]
    assert tokens[0] not in "".join(rows)
