"""The pages' Content-Security-Policy: made from the configuration, whatever Host a request names.
The policy on its own, then the headers of a real gateway process asked with a forged Host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.web.app import page_policy
from tests.bot.case_store.support import migrated_sqlite
from tests.bot.web.gateway import Gateway, start_gateway, stop_gateway

FORGED_HOSTS = ("evil.example", "evil.example; script-src *", "x.example connect-src *", "[::1]:1; a")


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        assert name not in parsed, f"{name} twice in {policy}"
        parsed[name] = sources
    return parsed


def test_without_a_public_url_the_socket_is_the_pages_own() -> None:
    policy = directives(page_policy("", ["'self'"]))
    assert policy["connect-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["frame-ancestors"] == ["'self'"]


def test_the_public_url_names_its_socket_and_nothing_else_does() -> None:
    shops = ["'self'", "https://shop.example"]
    assert directives(page_policy("https://chat.example", shops))["connect-src"] == [
        "'self'",
        "wss://chat.example",
    ]
    assert directives(page_policy("http://192.168.1.5:8000", shops))["connect-src"] == [
        "'self'",
        "ws://192.168.1.5:8000",
    ]
    assert directives(page_policy("https://chat.example", shops))["frame-ancestors"] == [
        "'self'",
        "https://shop.example",
    ]
    for odd in ("https://chat.example; script-src *", "ftp://chat.example", "https://u:p@chat.example"):
        assert directives(page_policy(odd, shops))["connect-src"] == ["'self'"], odd


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    workdir = tmp_path_factory.mktemp("page-policy")
    started = start_gateway(
        workdir, migrated_sqlite(Path(workdir)), "gateway", GATEWAY_PUBLIC_URL="https://chat.example"
    )
    yield started
    stop_gateway(started)


@pytest.mark.slow
def test_a_forged_host_does_not_write_the_policy(gateway: Gateway) -> None:
    expected = page_policy("https://chat.example", ["'none'"])  # no page but /embed is framed
    with gateway.client() as client:
        for path in ("/", "/demo", "/Q/ABCDEFGHIJKLMNOPQRSTUVWXYZ", "/support/login", "/merchant/login"):
            for host in FORGED_HOSTS:
                page = client.get(path, headers={"Host": host})
                assert page.status_code == 200, (path, host)
                assert page.headers["content-security-policy"] == expected, (path, host)
