"""Custom Rasa NLU components.

The rasa server imports this package when it loads the pipeline, so what must change inside the
rasa server process is installed here.
"""

from bot.rasa_server.action_connections import install as _install_kept_alive_connections
from bot.rasa_server.action_responses import install as _install_action_response_check
from bot.rasa_server.event_types import install as _install_event_type_table

_install_action_response_check()
_install_kept_alive_connections()
_install_event_type_table()
