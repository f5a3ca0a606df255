#!/usr/bin/env bash
# Serve the app with a Celery worker and beat beside it; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

# One worker process with beat embedded (-B), consuming every queue (settings.WORKER_QUEUES):
# enough for one machine and the embedded broker. A server runs a worker per queue instead
# (docs/deployment.md), so that an export never holds up the sweeps. --schedule is for the
# embedded broker's file scheduler; with REDIS_URL beat keeps its schedule in Redis.
"$BIN/celery" -A config worker -B --loglevel=INFO --concurrency=1 \
  --queues=deadlines,outbox,jobs,reporting,celery \
  --schedule="${ARREARS_VAR_DIR:-var}/celerybeat-schedule" &
WORKER=$!
trap 'kill "$WORKER" 2>/dev/null || true; wait "$WORKER" 2>/dev/null || true' EXIT INT TERM

echo "arrears: http://$HOST:$PORT/  (worker pid $WORKER)"
"$BIN/python" manage.py runserver "$HOST:$PORT" --noreload
