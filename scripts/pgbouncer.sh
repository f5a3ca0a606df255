#!/usr/bin/env bash
# The setup docs/deployment.md recommends for many web nodes and workers, tested: PgBouncer in
# transaction mode in front of PostgreSQL at 127.0.0.1:5432, on a free port of its own, with its
# configuration in a temporary folder (trust, as the server is here), and the tests that stream
# exports, run jobs end to end and probe the database run through it (DATABASE_URL pointing at
# PgBouncer); then PgBouncer is stopped. `make test-pgbouncer`, and CI. Under a minute.
#
#   scripts/pgbouncer.sh [pytest arguments]   the default tests, or the ones named
#
# Needs the pgbouncer binary (Debian: apt-get install pgbouncer; .ci/run installs it) and
# PostgreSQL at 127.0.0.1:5432 (user postgres, trust). Uses the database arrears_pgbouncer (and
# the test database test_arrears_pgbouncer, created through PgBouncer and dropped afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
PY=$BIN/python
PGBOUNCER=${PGBOUNCER:-$(command -v pgbouncer || echo /usr/sbin/pgbouncer)}
[ -x "$PGBOUNCER" ] || { echo "pgbouncer not found (apt-get install pgbouncer)" >&2; exit 1; }
DB_NAME=arrears_pgbouncer
TESTS=(tests/test_pgbouncer.py tests/reporting/test_export_jobs.py tests/arrears/test_jobs.py
  tests/projects/test_import.py tests/complaints/test_no_plain_identifiers.py
  tests/arrears/test_celery_worker.py tests/arrears/test_health.py)
[ $# -gt 0 ] && TESTS=("$@")

WORK=$(mktemp -d -t arrears-pgbouncer.XXXXXX)
chmod 755 "$WORK"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The database "*" falls back to the server for any name: the test database is created (from
# the "postgres" database) and then used through PgBouncer like any other. auth_type trust
# still wants the user in the auth file. No unix socket: only the TCP port, as a server would.
cat >"$WORK/users.txt" <<EOF
"postgres" ""
EOF
cat >"$WORK/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $WORK/users.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = 20
max_client_conn = 200
logfile = $WORK/pgbouncer.log
pidfile = $WORK/pgbouncer.pid
EOF
chmod 644 "$WORK"/*
# PgBouncer refuses to run as root: as the postgres user then, like the Debian service, which
# must be able to write its log and pid file here.
AS=()
if [ "$(id -u)" = 0 ]; then
  chown -R postgres "$WORK"
  AS=(runuser -u postgres --)
fi

stop() {
  if [ -f "$WORK/pgbouncer.pid" ]; then
    kill -INT "$(cat "$WORK/pgbouncer.pid")" 2>/dev/null || true
    for _ in $(seq 1 20); do [ -f "$WORK/pgbouncer.pid" ] || break; sleep 0.5; done
  fi
  # PgBouncer kept server connections to the test database open until it stopped, so the
  # test database is dropped here, directly, not by pytest through PgBouncer.
  dropdb -h 127.0.0.1 -U postgres --if-exists --force "test_$DB_NAME" || true
  rm -rf "$WORK"
}
trap stop EXIT

"${AS[@]}" "$PGBOUNCER" -d "$WORK/pgbouncer.ini"
for _ in $(seq 1 20); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.5
done
pg_isready -h 127.0.0.1 -p "$PORT"
echo "pgbouncer $("$PGBOUNCER" --version | head -1 | awk '{print $2}') in transaction mode on 127.0.0.1:$PORT"

psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" \
  | grep -q 1 || createdb -h 127.0.0.1 -U postgres "$DB_NAME"
# A test database left by an interrupted run would be reused: start from none, so its creation
# through PgBouncer is part of every run.
dropdb -h 127.0.0.1 -U postgres --if-exists --force "test_$DB_NAME"

export DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/$DB_NAME
# tests/test_pgbouncer.py asks PgBouncer's console for its pool mode on this port.
export ARREARS_PGBOUNCER_PORT=$PORT
# --reuse-db: pytest must not drop the test database through PgBouncer (see stop above).
"$PY" -m pytest -q -p no:cacheprovider --reuse-db "${TESTS[@]}"
