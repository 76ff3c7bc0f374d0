"""`python -m bot.action_server`: rasa-sdk's action server for `actions/`, on SANIC_HOST:ACTION_PORT
(loopback unless told otherwise), answering only the rasa servers.

rasa-sdk's own entry point (`python -m rasa_sdk`) binds every address when SANIC_HOST is unset and
answers anyone: whoever reached its port could run any action with a made-up tracker. Here every
request but `/health` must carry RASA_TOKEN as `Authorization: Bearer <token>`, which the rasa
servers send (`action_endpoint.headers` in endpoints.yml and endpoints.production.yml).
"""

from __future__ import annotations

import logging

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app as create_sdk_app
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import config, rasa_token
from bot.profile import exit_if_unsafe

OPEN_PATHS = frozenset({"/health"})  # the scripts' and the harness's readiness check


def create_app(token: str, actions: str = "actions") -> Sanic:
    """rasa-sdk's app for the `actions` package, refusing every request without `token`."""
    if not token:
        raise ValueError("the action server needs RASA_TOKEN")
    app = create_sdk_app(actions, cors_origins=None)  # no browser has business here

    @app.middleware("request")
    async def only_the_rasa_servers(request: Request) -> HTTPResponse | None:
        presented = rasa_token.bearer(request.headers.get("authorization"))
        if request.path in OPEN_PATHS or rasa_token.matches(token, presented):
            return None
        return rasa_token.refusal("Authorization: Bearer <RASA_TOKEN>")

    return app


def main() -> None:
    exit_if_unsafe()
    utils.configure_colored_logging(logging.INFO)
    utils.update_sanic_log_level()
    app = create_app(config.text("RASA_TOKEN"))
    app.run(
        host=config.text("SANIC_HOST"),
        port=config.integer("ACTION_PORT"),
        workers=1,
        access_log=False,
        motd=False,
    )


if __name__ == "__main__":
    main()
