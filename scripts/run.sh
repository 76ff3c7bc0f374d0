#!/usr/bin/env bash
# Runs the assistant: venv, install, train if stale, start every process, print where to talk to it.
source "$(dirname "$0")/common.sh"
ensure_venv
ensure_chinese_font
ensure_model

log "applying case store migrations ($CASE_STORE_URL)"
python -m bot.case_store upgrade

log "starting gateway (:$GATEWAY_PORT), rasa server (:$RASA_PORT), action server (:$ACTION_PORT), sandbox merchant API (:$SANDBOX_PORT)"
# Where a browser reaches the gateway: a wildcard bind is reached on loopback here, and on the LAN address from a phone.
case "$GATEWAY_HOST" in
  0.0.0.0|::) OPEN_HOST=127.0.0.1; LAN_URL="http://$(hostname -I 2>/dev/null | awk '{print $1}'):$GATEWAY_PORT/" ;;
  *) OPEN_HOST=$GATEWAY_HOST; LAN_URL="" ;;
esac

honcho start -f Procfile &
HONCHO=$!
trap 'kill $HONCHO 2>/dev/null; wait $HONCHO 2>/dev/null' INT TERM EXIT

for _ in $(seq 1 180); do
  if curl -sf "http://127.0.0.1:$RASA_PORT/status?token=$RASA_TOKEN" >/dev/null 2>&1 \
     && curl -sf "http://127.0.0.1:$ACTION_PORT/health" >/dev/null 2>&1 \
     && curl -sf "http://127.0.0.1:$SANDBOX_PORT/health" >/dev/null 2>&1 \
     && curl -sf "http://$OPEN_HOST:$GATEWAY_PORT/health" >/dev/null 2>&1; then
    cat <<MSG

  The assistant is running.

    Open the chat:          http://$OPEN_HOST:$GATEWAY_PORT/${LAN_URL:+   (from a phone on this network: $LAN_URL)}
    Widget on a demo shop:  http://$OPEN_HOST:$GATEWAY_PORT/demo

    Chat in this terminal:  .venv/bin/python -m bot.chat_cli        (another terminal)
    REST (contract):        POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook  {"sender": "...", "message": "..."}
    Rasa HTTP API:          http://127.0.0.1:$RASA_PORT/conversations/<id>/tracker?token=\$RASA_TOKEN
    Sandbox merchant API:   http://127.0.0.1:$SANDBOX_PORT  (X-API-Key: \$SANDBOX_API_KEY)
  Ctrl-C stops everything.

MSG
    wait $HONCHO
    exit $?
  fi
  if ! kill -0 $HONCHO 2>/dev/null; then echo "a process failed to start; see the log above" >&2; exit 1; fi
  sleep 1
done
echo "the assistant did not become ready within 3 minutes" >&2
exit 1
