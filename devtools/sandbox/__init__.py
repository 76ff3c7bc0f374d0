"""A sandbox of the merchant API: a real HTTP server with its own database, for development and tests.

Start it with `python -m devtools.sandbox`; `create_app` builds the Sanic app. Never part of a production
deployment.
"""

from __future__ import annotations

from devtools.sandbox.app import create_app
from devtools.sandbox.faults import Faults

__all__ = ["Faults", "create_app"]
