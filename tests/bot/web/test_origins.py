import pytest

from bot.web.origins import origin_allowed

ALLOWED = frozenset({"https://shop.example"})


@pytest.mark.parametrize(
    "origin, host",
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000"),
        ("https://chat.example", "chat.example"),
        ("https://shop.example", "chat.example"),
        ("https://shop.example/", "chat.example"),
        (None, "chat.example"),
    ],
)
def test_own_pages_listed_sites_and_scripts_may_connect(origin: str | None, host: str) -> None:
    assert origin_allowed(origin, host, ALLOWED)


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://shop.example.evil.example",
        "http://shop.example",  # the listed site over plain http is another origin
        "https://chat.example:8443",
        "null",
        "file://",
        "",
    ],
)
def test_other_sites_may_not(origin: str) -> None:
    assert not origin_allowed(origin, "chat.example", ALLOWED)
