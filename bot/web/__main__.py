"""`python -m bot.web`: the gateway on GATEWAY_HOST:GATEWAY_PORT."""

from __future__ import annotations

import os

from bot.profile import exit_if_unsafe
from bot.web.app import create_app
from bot.web.settings import GatewaySettings


def main() -> None:
    exit_if_unsafe()
    app = create_app(GatewaySettings.from_environment())
    app.run(
        host=os.environ.get("GATEWAY_HOST", "127.0.0.1"),
        port=int(os.environ.get("GATEWAY_PORT", "8000")),
        access_log=False,
        motd=False,
    )


if __name__ == "__main__":
    main()
