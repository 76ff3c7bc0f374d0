"""A token, cookie or session forged with a public value opens nothing: a gateway of the local profile
left without GATEWAY_SECRET signs with the secret made for its checkout, so a browser's conversation
token, a merchant's cookie or an agent's cookie signed with the former public default
`local-dev-gateway-secret` (or another public value) is refused, while one signed with the gateway's
real secret works (the same request, so the refusal is the secret's doing). The production profile
does not start with a public value at all (tests/bot/test_profile.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from bot import config
from bot.case_store import CaseDatabase
from bot.case_store.agents import AgentDirectory
from bot.case_store.merchants import MerchantDirectory
from bot.case_store.staff_sessions import StaffSessions
from bot.profile import PUBLIC_VALUES
from bot.web.sessions import ConversationSessions
from bot.web.staff.merchant_pages import SESSION_COOKIE as MERCHANT_COOKIE
from bot.web.staff.support_console import SESSION_COOKIE as AGENT_COOKIE
from devtools.chat_socket import ChatSocket
from tests.bot.case_store.support import migrated_sqlite
from tests.bot.web.gateway import Gateway, start_gateway, stop_gateway

pytestmark = pytest.mark.slow  # a gateway process
VICTIM = "web-victim-conversation"
VICTIM_SAID = "我的卡尾号1234，昨天在全家扣了56元"
MERCHANT = "M-FORGED-TEST"
AGENT = "li.na"


class TrackerOfTheVictim(ThreadingHTTPServer):
    """A rasa server whose only conversation is the victim's."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        said = [{"event": "user", "text": VICTIM_SAID, "metadata": {}}]
        events = said if self.path.startswith(f"/conversations/{VICTIM}/tracker") else []
        body = json.dumps({"sender_id": VICTIM, "events": events}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("forged-sessions")


@pytest.fixture(scope="module")
def rasa() -> Iterator[TrackerOfTheVictim]:
    server = TrackerOfTheVictim()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def local_environment(workdir: Path) -> dict[str, str]:
    """No secret set: the local profile's default situation."""
    return {"ASSISTANT_PROFILE": "local", "GATEWAY_SECRET": "", "SECRETS_FILE": str(workdir / "secrets.env")}


@pytest.fixture(scope="module")
def case_store_url(workdir: Path) -> str:
    return migrated_sqlite(workdir)


@pytest.fixture(scope="module")
def gateway(
    workdir: Path, rasa: TrackerOfTheVictim, local_environment: dict[str, str], case_store_url: str
) -> Iterator[Gateway]:
    database = CaseDatabase(case_store_url)
    MerchantDirectory(database).add_merchant(MERCHANT, "全家便利店", "familymart", "a long merchant password")
    AgentDirectory(database).add_agent(AGENT, "李娜", "a long agent password")
    database.close()
    started = start_gateway(workdir, case_store_url, "gateway", RASA_URL=rasa.url, **local_environment)
    yield started
    stop_gateway(started)


@pytest.fixture(scope="module")
def real_secret(local_environment: dict[str, str]) -> str:
    """The secret the gateway signs with: the one made for its checkout."""
    return config.text("GATEWAY_SECRET", local_environment)


def test_the_gateway_signs_with_a_secret_of_its_own(real_secret: str) -> None:
    assert real_secret not in PUBLIC_VALUES and len(real_secret) >= 32


def _conversation_token(secret: str, conversation_id: str) -> str:
    """A conversation token as anyone holding `secret` could sign it (the gateway's own format)."""
    return TimestampSigner(secret, salt="chat-conversation").sign(conversation_id).decode("ascii")


async def _first_frame(gateway: Gateway, session: str) -> dict:
    chat, first = await ChatSocket.open(gateway.url, session=session)
    await chat.close()
    return first


@pytest.mark.parametrize("public", sorted(PUBLIC_VALUES))
async def test_a_conversation_token_signed_with_a_public_value_resumes_nothing(
    gateway: Gateway, real_secret: str, public: str
) -> None:
    forged = _conversation_token(public, VICTIM)
    first = await _first_frame(gateway, forged)
    assert first["type"] == "welcome" and first["history"] == []
    resumed = ConversationSessions(real_secret, 30).opened(first["session"])
    assert resumed is not None and resumed.id != VICTIM
    # The same request, signed with the gateway's secret, opens the victim's conversation.
    genuine = await _first_frame(gateway, _conversation_token(real_secret, VICTIM))
    assert [item["text"] for item in genuine["history"]] == [VICTIM_SAID]


@pytest.mark.parametrize(
    ("purpose", "cookie", "page", "subject", "login_page"),
    [
        ("merchant", MERCHANT_COOKIE, "/merchant", MERCHANT, "/merchant/login"),
        ("agent", AGENT_COOKIE, "/support", AGENT, "/support/login"),
    ],
)
@pytest.mark.parametrize("public", sorted(PUBLIC_VALUES))
def test_a_staff_cookie_signed_with_a_public_value_signs_nobody_in(
    gateway: Gateway,
    case_store_url: str,
    real_secret: str,
    public: str,
    purpose: str,
    cookie: str,
    page: str,
    subject: str,
    login_page: str,
) -> None:
    # A session that is on record, so only the signature decides: the cookie names it as the
    # gateway's own cookie would, signed with the public value, then with the real secret.
    database = CaseDatabase(case_store_url)
    try:
        session_id = StaffSessions(database).open(purpose, subject, timedelta(hours=8))
    finally:
        database.close()

    def visit(secret: str) -> httpx.Response:
        serializer = URLSafeTimedSerializer(secret, salt=f"{purpose}-session")
        value = serializer.dumps({"m": subject, "n": session_id})
        with gateway.client() as client:
            client.cookies.set(cookie, value)
            return client.get(page)

    refused = visit(public)
    assert refused.status_code == 303 and refused.headers["location"] == login_page
    assert visit(real_secret).status_code == 200
