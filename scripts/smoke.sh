#!/usr/bin/env bash
# The README's first command on the embedded defaults, from nothing: a throwaway var/ folder,
# no DATABASE_URL, no REDIS_URL. Starts `make run`, waits for the app and a worker-run task,
# then stops it. Used by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export ARREARS_VAR_DIR
ARREARS_VAR_DIR=$(mktemp -d)
unset DATABASE_URL REDIS_URL CELERY_BROKER_URL
export PORT=${SMOKE_PORT:-8765}
make run >"$ARREARS_VAR_DIR/run.log" 2>&1 &
RUN=$!
cleanup() { pkill -P "$RUN" 2>/dev/null || true; kill "$RUN" 2>/dev/null || true;
            pkill -f "celery -A config worker" 2>/dev/null || true; pkill -f "runserver 127.0.0.1:$PORT" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/healthz"
echo
curl -fsS "http://127.0.0.1:$PORT/accounts/login/" | grep -q "根治欠薪案件管理系统"
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/static/vendor/bootstrap/css/bootstrap.min.css"
# The worker consumed the recompute tasks that seeding queued on the filesystem broker.
for _ in $(seq 1 60); do
  if grep -q "recompute_deadlines.*succeeded" "$ARREARS_VAR_DIR/run.log"; then break; fi
  sleep 1
done
grep -q "recompute_deadlines.*succeeded" "$ARREARS_VAR_DIR/run.log" || { cat "$ARREARS_VAR_DIR/run.log"; exit 1; }
test -f "$ARREARS_VAR_DIR/arrears.sqlite3"
# The same background jobs run through the embedded worker: an export as a job, downloaded.
"${VENV:-.venv}/bin/python" scripts/smoke_prod_export.py full --base-url "http://127.0.0.1:$PORT" --background
echo "smoke: make run served the app on SQLite with a worker on the filesystem broker"
