#!/usr/bin/env bash
# Runs the assistant: venv, install, train if stale, start every process, print where to talk to it.
source "$(dirname "$0")/common.sh"
ensure_venv
ensure_chinese_font
ensure_model

# No profile starts with a public secret, the production one with an unset one either (bot/profile.py).
export_secrets

log "applying case store migrations (${CASE_STORE_URL%%://*})"
python -m bot.case_store upgrade

if [ "$ASSISTANT_PROFILE" = production ]; then
  PROCFILE=Procfile.production
  PROCESSES=(gateway1 gateway2 rasa1 rasa2 actions1 actions2 webhooks retry retention)
  # The sandbox is never part of a real deployment; RUN_SANDBOX=1 adds it for a demo on one machine.
  [ "${RUN_SANDBOX:-0}" = 1 ] && PROCESSES+=(sandbox)
  HEALTH=("http://127.0.0.1:$ACTION_PORT/health" "http://127.0.0.1:$((ACTION_PORT + 1))/health"
          "http://127.0.0.1:$RASA_PORT/status?token=$RASA_TOKEN" "http://127.0.0.1:$((RASA_PORT + 1))/status?token=$RASA_TOKEN")
  GATEWAY_PORTS=("$GATEWAY_PORT" "$((GATEWAY_PORT + 1))")
  log "production profile: gateways :${GATEWAY_PORTS[*]}, rasa servers :$RASA_PORT,$((RASA_PORT + 1)), action servers :$ACTION_PORT,$((ACTION_PORT + 1)); PostgreSQL and Redis"
else
  PROCFILE=Procfile
  case "$RASA_SERVERS" in
    1|2|3|4) ;;
    *) echo "RASA_SERVERS must be 1 to 4 (the Procfile's rasa, rasa2, rasa3, rasa4), not '$RASA_SERVERS'" >&2; exit 2 ;;
  esac
  PROCESSES=(actions sandbox retry gateway webhooks retention)
  HEALTH=("http://127.0.0.1:$ACTION_PORT/health" "http://127.0.0.1:$SANDBOX_PORT/health")
  RASA_PORTS=()
  for ((i = 0; i < RASA_SERVERS; i++)); do
    if [ "$i" = 0 ]; then PROCESSES+=(rasa); else PROCESSES+=("rasa$((i + 1))"); fi
    RASA_PORTS+=("$((RASA_PORT + i))")
    HEALTH+=("http://127.0.0.1:$((RASA_PORT + i))/status?token=$RASA_TOKEN")
  done
  GATEWAY_PORTS=("$GATEWAY_PORT")
  log "starting gateway (:$GATEWAY_PORT), $RASA_SERVERS rasa server(s) (:${RASA_PORTS[*]}), action server (:$ACTION_PORT), sandbox merchant API (:$SANDBOX_PORT)"
fi
# Where a browser reaches the gateway: a wildcard bind is reached on loopback here, and on the LAN address from a phone.
case "$GATEWAY_HOST" in
  0.0.0.0|::) OPEN_HOST=127.0.0.1; LAN_URL="http://$(hostname -I 2>/dev/null | awk '{print $1}'):$GATEWAY_PORT/" ;;
  *) OPEN_HOST=$GATEWAY_HOST; LAN_URL="" ;;
esac

honcho start -f "$PROCFILE" "${PROCESSES[@]}" &
HONCHO=$!
trap 'kill $HONCHO 2>/dev/null; wait $HONCHO 2>/dev/null' INT TERM EXIT

for _ in $(seq 1 180); do
  ready=1
  for url in "${HEALTH[@]}"; do curl -sf "$url" >/dev/null 2>&1 || { ready=0; break; }; done
  for port in "${GATEWAY_PORTS[@]}"; do curl -sf "http://$OPEN_HOST:$port/health" >/dev/null 2>&1 || ready=0; done
  if [ "$ready" = 1 ]; then
    cat <<MSG

  The assistant is running.

    Open the chat:          http://$OPEN_HOST:$GATEWAY_PORT/${LAN_URL:+   (from a phone on this network: $LAN_URL)}
    Widget on a demo shop:  http://$OPEN_HOST:$GATEWAY_PORT/demo
    Profile:                $ASSISTANT_PROFILE$([ ${#GATEWAY_PORTS[@]} -gt 1 ] && echo " (gateways on ports ${GATEWAY_PORTS[*]}: put a load balancer in front)")

    Chat in this terminal:  .venv/bin/python -m devtools.chat_cli        (another terminal)
    REST (contract):        POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook?token=\$RASA_TOKEN  {"sender": "...", "message": "..."}
    Rasa HTTP API:          http://127.0.0.1:$RASA_PORT/conversations/<id>/tracker?token=\$RASA_TOKEN
    Sandbox merchant API:   http://127.0.0.1:$SANDBOX_PORT  (X-API-Key: \$MERCHANT_API_KEY)
    Secrets:                $([ "$ASSISTANT_PROFILE" = local ] && echo "$SECRETS_FILE, for those not set in the environment (delete it to rotate them)" || echo "from the environment")
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
