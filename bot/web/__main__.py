"""`python -m bot.web`: the gateway on GATEWAY_HOST:GATEWAY_PORT."""

from __future__ import annotations

from bot import config
from bot.profile import exit_if_unsafe
from bot.web.app import create_app
from bot.web.settings import GatewaySettings


def main() -> None:
    exit_if_unsafe()
    app = create_app(GatewaySettings.configured())
    app.run(
        host=config.text("GATEWAY_HOST"),
        port=config.integer("GATEWAY_PORT"),
        access_log=False,
        motd=False,
    )


if __name__ == "__main__":
    main()
