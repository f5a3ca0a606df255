#!/usr/bin/env bash
# A throwaway PostgreSQL 15 primary with one streaming replica, for the replica tests
# (`make test-replica`): `scripts/pg-replica.sh start DIR` makes both in DIR and starts them,
# `scripts/pg-replica.sh stop DIR` stops them and removes DIR.
#
# Made with the installed binaries, no packages or containers: `initdb` a primary
# (wal_level=replica, trust authentication on 127.0.0.1 only), `pg_basebackup -R` a copy of it,
# which writes standby.signal and primary_conninfo so the copy starts as a hot standby
# streaming from the primary. The servers run as the `postgres` user (PostgreSQL refuses to
# run as root) on their own ports, so the machine's main server on 5432 is never touched.
#
# Environment: PG_BIN (/usr/lib/postgresql/15/bin), PG_PRIMARY_PORT (5433),
# PG_REPLICA_PORT (5434), PG_USER (postgres).
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PRIMARY_PORT=${PG_PRIMARY_PORT:-5433}
REPLICA_PORT=${PG_REPLICA_PORT:-5434}
PG_USER=${PG_USER:-postgres}

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
action=$1
dir=$2

# Run a command as the database user (the script itself may run as root, as in CI, or already
# as that user).
as_pg() {
  if [ "$(id -un)" = "$PG_USER" ]; then
    "$@"
  else
    runuser -u "$PG_USER" -- "$@"
  fi
}

start() {
  if [ -e "$dir/primary" ]; then
    echo "$dir/primary exists: stop it first ($0 stop $dir)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  chown "$PG_USER" "$dir"
  chmod 700 "$dir"

  as_pg "$PG_BIN/initdb" -D "$dir/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log"
  # Only what the tests need from a production-like primary: WAL for a streaming standby,
  # no replication slot (wal_keep_size keeps enough), local TCP only. fsync off: a test cluster that is thrown
  # away needs no durability, and CI runs faster without it. synchronous_commit stays on, as
  # in production: a commit is in the WAL sent to the replica once the statement returns.
  as_pg tee -a "$dir/primary/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 4
wal_keep_size = '64MB'
fsync = off
full_page_writes = off
max_connections = 60
EOF
  as_pg tee -a "$dir/primary/pg_hba.conf" >/dev/null <<EOF
host replication all 127.0.0.1/32 trust
EOF
  as_pg "$PG_BIN/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w -t 60 start >/dev/null

  # -R: standby.signal + primary_conninfo; -X stream: the WAL written during the copy too.
  as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
    -D "$dir/replica" -R -X stream -c fast
  as_pg tee -a "$dir/replica/postgresql.conf" >/dev/null <<EOF
port = $REPLICA_PORT
hot_standby = on
# Report back what queries on the standby still read, so the primary's vacuum does not
# cancel them (the exports' long reads); the tests also pause replay.
hot_standby_feedback = on
EOF
  as_pg "$PG_BIN/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w -t 60 start >/dev/null

  # Streaming once the primary lists the standby's sender as streaming.
  for _ in $(seq 1 60); do
    state=$(as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -tAc \
      "SELECT state FROM pg_stat_replication" 2>/dev/null || true)
    [ "$state" = "streaming" ] && break
    sleep 0.5
  done
  if [ "$state" != "streaming" ]; then
    echo "the replica is not streaming (see $dir/replica.log)" >&2
    exit 1
  fi
  echo "primary 127.0.0.1:$PRIMARY_PORT, replica 127.0.0.1:$REPLICA_PORT (streaming), in $dir"
}

stop() {
  for node in replica primary; do
    if [ -f "$dir/$node/postmaster.pid" ]; then
      as_pg "$PG_BIN/pg_ctl" -D "$dir/$node" -m immediate -w stop >/dev/null || true
    fi
  done
  rm -rf "$dir"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
