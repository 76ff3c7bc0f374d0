"""The REST channel answers only holders of the Rasa token, and redacts and neutralises input before
Rasa sees it."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from bot.channels.rest import MAX_MESSAGE_CHARS, RedactingRestInput
from bot.text.payloads import BUTTON_PAYLOADS

ROOT = Path(__file__).resolve().parents[3]


TOKEN = "rest-channel-test-token"


def request(body: dict, token: str | None = TOKEN) -> SimpleNamespace:
    return SimpleNamespace(json=body, args={} if token is None else {"token": token})


@pytest.fixture
def channel() -> RedactingRestInput:
    return RedactingRestInput(TOKEN)


def test_a_post_with_the_rasa_token_goes_through(channel) -> None:
    assert channel.refusal(request({"sender": "a", "message": "hi"})) is None


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x", "local-dev-token"])
def test_a_post_without_the_rasa_token_is_refused_with_a_json_reason(channel, token) -> None:
    refused = channel.refusal(request({"sender": "a", "message": "/qr_scanned"}, token))
    assert refused is not None and refused.status == 401
    assert json.loads(refused.body) == {
        "error": "unauthorized",
        "message": "this server answers only holders of the Rasa token (?token=<RASA_TOKEN>)",
    }


def test_the_channel_takes_the_token_of_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_TOKEN", "token-from-the-environment")
    channel = RedactingRestInput.from_credentials(None)
    assert channel.refusal(request({}, "token-from-the-environment")) is None
    assert channel.refusal(request({}, TOKEN)) is not None


def test_the_channel_cannot_be_made_without_a_token() -> None:
    with pytest.raises(ValueError, match="RASA_TOKEN"):
        RedactingRestInput("")


def test_card_number_and_pin_are_gone_and_flagged(channel) -> None:
    body = {"sender": "a", "message": "卡号4111 1111 1111 1111 密码123456", "metadata": {"timezone": "UTC"}}
    text = channel._extract_message(request(body))
    assert "4111" not in text and "123456" not in text
    assert channel.get_metadata(request(body)) == {
        "timezone": "UTC",
        "redacted": ["card_number", "secret_code"],
    }


def test_a_client_cannot_claim_redaction_itself(channel) -> None:
    assert channel.get_metadata(request({"message": "hi", "metadata": {"redacted": ["x"]}})) == {}


@pytest.mark.parametrize("typed", ["/restart", "/session_start", '/give_details{"amount": "1"}', " /stop"])
def test_typed_intent_commands_become_plain_text(channel, typed: str) -> None:
    text = channel._extract_message(request({"message": typed}))
    assert not text.strip().startswith("/")


def test_every_button_of_the_domain_still_works(channel) -> None:
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    payloads = {
        b["payload"] for variations in responses.values() for v in variations for b in v.get("buttons", [])
    }
    assert payloads <= BUTTON_PAYLOADS
    for payload in payloads:
        assert channel._extract_message(request({"message": payload})) == payload


@pytest.mark.parametrize("message", [None, 12345, "", "\x00\x07 hi \u202e", "长" * 10_000])
def test_odd_messages_become_bounded_printable_text(channel, message) -> None:
    text = channel._extract_message(request({"message": message}))
    assert isinstance(text, str) and len(text) <= MAX_MESSAGE_CHARS
    assert all(ch.isprintable() or ch in "\n\t" for ch in text)


def test_every_string_of_the_metadata_is_redacted_and_flagged(channel) -> None:
    body = {
        "sender": "a",
        "message": "/affirm",
        "metadata": {
            "display": "卡号 6222_0212_3456_7890_128",
            "client_id": "m1",
            "timezone": "Asia/Shanghai",
            "extra": {"notes": ["7306 is my pin", 128]},
        },
    }
    metadata = channel.get_metadata(request(body))
    assert "6222" not in json.dumps(metadata) and "7306" not in json.dumps(metadata)
    assert metadata["client_id"] == "m1" and metadata["timezone"] == "Asia/Shanghai"
    assert metadata["extra"]["notes"][1] == 128
    assert metadata["redacted"] == ["card_number", "secret_code"]
    assert channel._extract_message(request(body)) == "/affirm"


def test_metadata_nested_past_any_real_depth_is_cut_not_crashed(channel) -> None:
    deep: dict = {"leaf": "6222021234567890128"}
    for _ in range(200):
        deep = {"x": deep}
    metadata = channel.get_metadata(request({"message": "hi", "metadata": deep}))
    assert "6222021234567890128" not in json.dumps(metadata)


@pytest.mark.parametrize(
    "typed, secret",
    [
        ("6222_0212_3456_7890_128", "6222"),
        ("7306 is my pin", "7306"),
        ("卡号六二二二零二一二三四五六七八九零一二八", "六"),
    ],
)
def test_the_new_spellings_are_redacted_in_the_message(channel, typed: str, secret: str) -> None:
    body = {"sender": "a", "message": typed}
    assert secret not in channel._extract_message(request(body))
    assert channel.get_metadata(request(body))["redacted"]
