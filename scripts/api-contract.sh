#!/usr/bin/env bash
# The API contract, checked against a served instance: production settings on PostgreSQL and
# Redis, gunicorn with gunicorn.conf.py, a small seeded demo city; then Schemathesis over the
# whole committed schema (docs/openapi.yaml) with every check, twice: as the city office (a
# session cookie and the CSRF header) and as the 12345 hotline's integration client (its API
# key). Any server error, undocumented status, response outside its schema, valid request
# refused or invalid one accepted fails the run. Used by CI (`make api-contract`); a few
# minutes on 2 cores.
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at 127.0.0.1:6379.
# Drops and recreates the database arrears_contract, flushes Redis databases 11 and 12.
# CONTRACT_MAX_EXAMPLES and CONTRACT_SEED change the size and the draw of the run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
PY=$BIN/python
START=$(date +%s)
MAX_EXAMPLES=${CONTRACT_MAX_EXAMPLES:-15}
SEED=${CONTRACT_SEED:-20261201}

WORK=$(mktemp -d -t arrears-api-contract.XXXXXX)
REPORTS=${CONTRACT_REPORTS:-test-artifacts/api-contract}
PIDS=()
FAILED=1
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "$FAILED" = 1 ]; then
    echo "---- $WORK/web.log (last 60 lines)"; tail -n 60 "$WORK/web.log" 2>/dev/null || true
    echo "api-contract FAILED; logs kept in $WORK, reports in $REPORTS" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
step() { echo "== api-contract [$(( $(date +%s) - START ))s] $*"; }

# --- A production server's environment, on loopback (as scripts/smoke-prod.sh) -------------
DB_NAME=arrears_contract
# shellcheck source=scripts/prod-env.sh
. scripts/prod-env.sh
prod_env "$DB_NAME" 12 11
export ARREARS_VAR_DIR=$WORK/var
export MEDIA_ROOT=$WORK/media
export TRUSTED_PROXY_COUNT=0
export EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend
# Plain HTTP on loopback: no redirect to https. Cookies stay Secure: Schemathesis sends the
# session cookie as a header, which the Secure flag does not concern.
export SECURE_SSL_REDIRECT=false

step "database $DB_NAME (dropped and recreated), Redis db 12 (broker) and 11 (cache) flushed"
dropdb -h 127.0.0.1 -U postgres --if-exists --force "$DB_NAME"
createdb -h 127.0.0.1 -U postgres "$DB_NAME"
redis-cli -h 127.0.0.1 -n 12 flushdb >/dev/null
redis-cli -h 127.0.0.1 -n 11 flushdb >/dev/null

step "collectstatic, migrate, seed_demo"
"$PY" manage.py collectstatic --noinput -v 0
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py seed_demo --complaints 200 --projects-per-county 3 >"$WORK/seed.log"

step "credentials: the city office's session, the hotline's API key"
# A session made on the server side rather than by posting the login form: the login is
# getting more steps (lockout, a second factor for the city office) and this run tests the
# API, not the login. The session is what a full sign-in leaves behind, second factor
# included when django-otp is installed: django_otp.login marks the session verified with
# the device it was checked against.
"$PY" manage.py shell -v 0 -c '
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
from django.test import Client
from arrears.models import User

user = User.objects.get(username="cityoffice")
client = Client()
client.force_login(user)
session = client.session
if "django_otp" in settings.INSTALLED_APPS:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _ = StaticDevice.objects.get_or_create(user=user, name="api-contract")
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
secret = _get_new_csrf_string()
print(session.session_key, secret, _mask_cipher_secret(secret))
' >"$WORK/session"
read -r SESSION_ID CSRF_SECRET CSRF_TOKEN <"$WORK/session"
# seed_demo prints the key once; a fresh one is issued if its wording ever changes.
API_KEY=$(grep -o 'ak_[A-Za-z0-9_-]*' "$WORK/seed.log" | head -1 || true)
if [ -z "$API_KEY" ]; then
  API_KEY=$("$PY" manage.py shell -v 0 -c '
from complaints.integration.api_keys import api_key_issue
from complaints.models import IntegrationClient
print(api_key_issue(client=IntegrationClient.objects.get(user__username="hotline12345"), label="api-contract"))
')
fi
# Schemathesis sends thousands of requests a minute; the client's own rate would answer most
# of them 429 and test nothing else. The 429 itself is covered by the pytest suite.
"$PY" manage.py shell -v 0 -c '
from complaints.models import IntegrationClient
IntegrationClient.objects.filter(user__username="hotline12345").update(rate="100000/min")
'

# --- The server ------------------------------------------------------------------------------
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
step "gunicorn (gunicorn.conf.py) on $BASE"
GUNICORN_BIND=127.0.0.1:$PORT GUNICORN_WORKERS=2 GUNICORN_THREADS=4 \
  "$BIN/gunicorn" --config gunicorn.conf.py config.wsgi:application >"$WORK/web.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break
  sleep 1
done
curl -fsS -o /dev/null "$BASE/healthz"
# The schema the server generates is the committed one (tests/arrears/test_api.py also checks
# this); the run uses the committed file, the contract clients are given.
"$PY" - "$BASE/api/schema/" docs/openapi.yaml <<'EOF'
import sys, urllib.request, yaml
served = yaml.safe_load(urllib.request.urlopen(sys.argv[1]).read())
committed = yaml.safe_load(open(sys.argv[2], encoding="utf-8"))
sys.exit("the served schema differs from docs/openapi.yaml: run make schema" if served != committed else 0)
EOF

# --- Schemathesis ---------------------------------------------------------------------------
mkdir -p "$REPORTS"
# One configuration per identity: the credential goes to the security scheme it belongs to, so
# Schemathesis knows it is authentication (it also tries the operation without it, and with a
# wrong one, expecting 401/403) rather than a header it may leave in a request it means to be
# unauthenticated.
config() {
  cat <<EOF
[generation]
# The API refuses a NUL character anywhere in a request with 400 (NullCharacterMiddleware:
# PostgreSQL text cannot hold one), which no JSON Schema keyword can say of every string.
allow-x00 = false

[checks.positive_data_acceptance]
# 422 is the documented answer to a well-formed request the rules refuse (an unknown record,
# a date before 2000, a period not begun; arrears/api/exceptions.py): a schema cannot say
# which ids exist. 400 stays a failure here: a schema-valid request must never be malformed.
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]

[auth.openapi.$1]
api_key = "$2"
EOF
}
run() {
  local name=$1 scheme=$2 credential=$3; shift 3
  config "$scheme" "$credential" >"$WORK/$name.toml"
  step "schemathesis as $name (--checks all, --max-examples $MAX_EXAMPLES, --seed $SEED)"
  "$BIN/schemathesis" --config-file "$WORK/$name.toml" run docs/openapi.yaml --url "$BASE" \
    --checks all --max-examples "$MAX_EXAMPLES" --seed "$SEED" --workers 1 \
    --request-timeout 30 --no-color \
    --report junit --report-junit-path "$REPORTS/$name.xml" \
    "$@"
}
status=0
# The city office: every operation. The integration-only ones (referrals, their evidence)
# answer 401/403 to a session, which the run checks is documented. Unsafe methods also need
# the CSRF cookie and header. The cookie rides in the session scheme's value (the Cookie
# header Schemathesis writes is "sessionid=<value>"), because a Cookie given with -H is
# replaced by the scheme's; it authenticates nothing by itself.
run cityoffice cookieAuth "$SESSION_ID; csrftoken=$CSRF_SECRET" \
  -H "X-CSRFToken: $CSRF_TOKEN" || status=1
# The integration client: what an API key may call (referrals, their evidence, wage records);
# every other operation refuses a key, which the first run covers.
run hotline12345 apiKeyAuth "Api-Key $API_KEY" \
  --include-path-regex '^/api/v1/(referrals|referral-evidence|wage-records)/' || status=1

# Schemathesis sees every response; the access log is a second witness of server errors.
if grep -q 'HTTP/1.1" 5[0-9][0-9] ' "$WORK/web.log"; then
  echo "the server answered 5xx:" >&2; grep 'HTTP/1.1" 5[0-9][0-9] ' "$WORK/web.log" | head >&2
  status=1
fi
[ "$status" = 0 ] || exit 1
FAILED=0
step "passed"
