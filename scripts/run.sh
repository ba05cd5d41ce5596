#!/usr/bin/env bash
# Start the action server and the Rasa server on 127.0.0.1, print how to talk to the bot, and stop
# both on one Ctrl-C. Called by `make run` after the model is trained (or found up to date).
set -euo pipefail
cd "$(dirname "$0")/.."
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
GATEWAY_PORT=${GATEWAY_PORT:-8000}
mkdir -p var/logs
export ACTION_ENDPOINT_URL=${ACTION_ENDPOINT_URL:-http://127.0.0.1:${ACTIONS_PORT}/webhook}
export TRACKER_DIALECT=${TRACKER_DIALECT:-sqlite}
export TRACKER_HOST=${TRACKER_HOST:-}
export TRACKER_DB=${TRACKER_DB:-$PWD/var/tracker.db}
export SANIC_HOST=127.0.0.1 SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false
model=$(.venv/bin/python -c 'from bot.train import model_path; print(model_path())')

pids=()
stop() { trap - INT TERM EXIT; echo; echo "stopping…"; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap 'stop; exit 0' INT TERM  # Ctrl-C is the normal way to stop: not an error
trap stop EXIT

.venv/bin/rasa run actions --actions actions --port "$ACTIONS_PORT" > var/logs/actions.log 2>&1 &
pids+=($!)
.venv/bin/rasa run --enable-api --model "$model" --endpoints bot/endpoints.yml \
  --credentials bot/credentials.yml --interface 127.0.0.1 --port "$RASA_PORT" > var/logs/rasa.log 2>&1 &
pids+=($!)
# the gateway (chat page, chat API, WeChat endpoint) under waitress, a production WSGI server
RASA_URL=http://127.0.0.1:$RASA_PORT ACTIONS_URL=http://127.0.0.1:$ACTIONS_PORT \
  .venv/bin/waitress-serve --listen="127.0.0.1:$GATEWAY_PORT" --threads=16 bot.gateway.wsgi:app \
  > var/logs/gateway.log 2>&1 &
pids+=($!)

echo "starting the action server (:$ACTIONS_PORT), Rasa (:$RASA_PORT) and the gateway (:$GATEWAY_PORT); logs in var/logs/"
for _ in $(seq 1 240); do
  if curl -fs "http://127.0.0.1:$GATEWAY_PORT/healthz" >/dev/null 2>&1; then
    cat <<MSG

会泽务工助手 is running.
  Chat page:   http://127.0.0.1:$GATEWAY_PORT/   (open it in a phone-sized window)
  Chat API:    curl -s -XPOST http://127.0.0.1:$GATEWAY_PORT/api/messages \\
                 -H 'Content-Type: application/json' -d '{"sender":"me","message":"老板拖欠工资怎么办"}'
  Rasa REST:   http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook (same JSON)
  Conversations: $TRACKER_DB (Rasa), var/transcripts.db (every turn, personal data masked)
  Ctrl-C stops everything.
MSG
    wait -n "${pids[@]}"
    echo "a service stopped unexpectedly; see var/logs/" >&2
    exit 1
  fi
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "a service failed to start; see var/logs/" >&2; tail -20 var/logs/*.log >&2; exit 1; }; done
  sleep 0.5
done
echo "services did not come up within 2 minutes; see var/logs/" >&2
exit 1
