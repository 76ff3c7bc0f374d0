"""A helpdesk stand-in on loopback for the webhook tests (answers scripted statuses, records every
request), an escalation opened with typical facts, and the deliverer's client and settings."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from bot.case_store.escalation_models import Escalation
from bot.case_store.escalations import EscalationStore
from bot.webhooks import WebhookSettings, verify_signature

SECRET = "test-webhook-secret"
SUMMARY_ZH = "顾客在全家 FamilyMart 徐汇店付款 128.50 元，终端显示失败但已扣款。"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body.decode("utf-8"))

    def signed(self, secret: str = SECRET) -> bool:
        return verify_signature(
            secret,
            self.headers["X-Webhook-Timestamp"],
            self.body,
            self.headers["X-Webhook-Signature"],
            tolerance_seconds=300,
        )


class Receiver:
    """A helpdesk stand-in: answers the scripted statuses in turn (then `then`), records every request."""

    def __init__(
        self, statuses: list[int] | None = None, *, then: int = 200, delay: float = 0.0, port: int = 0
    ):
        self.requests: list[Received] = []
        self._statuses = list(statuses or [])
        self._then = then
        self.delay = delay
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.record(Received(self.path, dict(self.headers.items()), body))
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/cases"

    def record(self, request: Received) -> int:
        with self._lock:
            self.requests.append(request)
            return self._statuses.pop(0) if self._statuses else self._then

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _open(store: EscalationStore, conversation_id: str = "conv-1", **overrides: Any) -> Escalation:
    values: dict[str, Any] = {
        "conversation_id": conversation_id,
        "reason": "repeated_failures",
        "language": "zh",
        "facts": {"amount": "128.50", "terminal_id": "10293847", "merchant_name": "全家 FamilyMart 徐汇店"},
        "lookup": None,
        "ticket_number": None,
        "summary_customer": SUMMARY_ZH,
        "summary_agent": "Paid CNY 128.50 at FamilyMart Xuhui; terminal said failed, card charged.",
    }
    values.update(overrides)
    return store.open(**values)


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(trust_env=False)  # loopback: no proxy from the environment


def _settings(url: str, **overrides: Any) -> WebhookSettings:
    return WebhookSettings(**{"url": url, "secret": SECRET, "timeout_seconds": 5.0, **overrides})
