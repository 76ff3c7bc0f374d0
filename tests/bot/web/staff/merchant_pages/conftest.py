"""One case store and its merchants, and one gateway process (and, when asked for, a second one with a
public URL), shared by every test of the merchant pages: package-scoped, so they start once for the
three modules, which run in the order of the former single module (access, codes, pages)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.case_store import CaseDatabase
from bot.case_store.merchants import MerchantDirectory
from tests.bot.case_store.support import migrated_sqlite
from tests.bot.web.gateway import Gateway, start_gateway, stop_gateway
from tests.bot.web.staff.merchant_pages.support import (
    FRESH,
    LOGIN_FAILURES,
    MID,
    OTHER_MID,
    OTHER_PASSWORD,
    PASSWORD,
    PRINTED,
    SHOP_NAME,
    SPARE,
    THEIRS,
    sign_in,
)


@pytest.fixture(scope="package")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("merchant-pages")


@pytest.fixture(scope="package")
def case_store_url(workdir: Path) -> str:
    return migrated_sqlite(workdir)


@pytest.fixture(scope="package")
def directory(case_store_url: str) -> Iterator[MerchantDirectory]:
    merchants = MerchantDirectory(CaseDatabase(case_store_url))
    merchants.add_merchant(MID, SHOP_NAME, "familymart", PASSWORD)
    merchants.add_terminal(MID, FRESH, "收银台 <b>1</b>")
    merchants.add_terminal(MID, PRINTED, "收银台 2")
    merchants.add_terminal(MID, SPARE)
    merchants.issue_terminal_code(PRINTED)
    merchants.add_merchant(OTHER_MID, "中国石化加油站", "sinopec", OTHER_PASSWORD)
    merchants.add_terminal(OTHER_MID, THEIRS)
    merchants.issue_terminal_code(THEIRS)
    yield merchants
    merchants.database.close()


@pytest.fixture(scope="package")
def gateway(workdir: Path, case_store_url: str, directory: MerchantDirectory) -> Iterator[Gateway]:
    started = start_gateway(
        workdir, case_store_url, "gateway", GATEWAY_MERCHANT_LOGIN_FAILURES=str(LOGIN_FAILURES)
    )
    yield started
    stop_gateway(started)


@pytest.fixture(scope="package")
def public_gateway(workdir: Path, case_store_url: str, directory: MerchantDirectory) -> Iterator[Gateway]:
    """A second gateway with a public URL and one-hour sessions."""
    started = start_gateway(
        workdir,
        case_store_url,
        "public-gateway",
        GATEWAY_PUBLIC_URL="https://help.example.cn",
        GATEWAY_MERCHANT_SESSION_HOURS="1",
    )
    yield started
    stop_gateway(started)


@pytest.fixture(scope="package")
def ours(gateway: Gateway) -> Iterator[httpx.Client]:
    client = sign_in(gateway)
    yield client
    client.close()


@pytest.fixture(scope="package")
def theirs(gateway: Gateway) -> Iterator[httpx.Client]:
    client = sign_in(gateway, "sinopec", OTHER_PASSWORD)
    yield client
    client.close()
