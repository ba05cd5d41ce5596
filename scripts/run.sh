#!/usr/bin/env bash
# `make run`, after the model is trained (or found up to date): the action server, Rasa and the gateway
# on 127.0.0.1, started and stopped together by bot/tools/stack.py (one Ctrl-C stops all three).
set -euo pipefail
cd "$(dirname "$0")/.."
export SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false
exec .venv/bin/python -m bot.tools.stack "$@"
