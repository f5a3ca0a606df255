#!/usr/bin/env bash
# Proves scripts/backup.sh and scripts/restore.sh round-trip: creates a database, migrates it,
# seeds a small demo city and stores a few evidence files, backs up, restores into a fresh
# database and media folder, then compares the row count and content checksum of every table
# and every file. Exits non-zero on any difference; drops both databases and removes its files
# on exit. Used by CI (`make check-backup`); about half a minute.
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) or PG_BASE_URL pointing elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
START=$(date +%s)
step() { echo "== check-backup [$(( $(date +%s) - START ))s] $*"; }

PG_BASE_URL=${PG_BASE_URL:-postgres://postgres@127.0.0.1:5432}
SRC_DB=arrears_backup_check_src
DST_DB=arrears_backup_check_dst
WORK=$(mktemp -d -t arrears-check-backup.XXXXXX)
cleanup() {
  psql "$PG_BASE_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $SRC_DB WITH (FORCE)" >/dev/null 2>&1 || true
  psql "$PG_BASE_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $DST_DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export PGOPTIONS="-c client_min_messages=warning"  # no NOTICE for "does not exist, skipping"

# Development settings (no secret needed), no broker: tasks seeding queues go to a throwaway
# filesystem queue under $WORK that nobody consumes.
export DJANGO_SETTINGS_MODULE=config.settings.local
# Keys of this run, not the public development ones: the restore must read the encrypted
# phone and ID numbers with the keys kept apart from the backup (docs/deployment.md).
FIELD_ENCRYPTION_KEYS=$("$PY" -c 'import base64, os; print("k1:" + base64.b64encode(os.urandom(32)).decode())')
FIELD_BLIND_INDEX_KEY=$("$PY" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
export FIELD_ENCRYPTION_KEYS FIELD_BLIND_INDEX_KEY
export ARREARS_VAR_DIR=$WORK/var
unset REDIS_URL CELERY_BROKER_URL CACHE_REDIS_URL

step "source database $SRC_DB: migrate, seed_demo (small), evidence files"
for db in "$SRC_DB" "$DST_DB"; do
  psql "$PG_BASE_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  psql "$PG_BASE_URL/postgres" -qAtc "CREATE DATABASE $db" >/dev/null
done
export DATABASE_URL=$PG_BASE_URL/$SRC_DB MEDIA_ROOT=$WORK/media-src
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py seed_demo --complaints 200 --projects-per-county 2 >"$WORK/seed.log"
# Evidence as the intake stores it (random names under evidence/YYYY/MM/), the original names in
# the rows, one of them Chinese.
"$PY" manage.py shell -v 0 -c '
import hashlib
from django.core.files.base import ContentFile
from complaints.models import Attachment, Complaint
for i, complaint in enumerate(Complaint.objects.order_by("pk")[:3]):
    body = f"evidence {i} for {complaint.pk}\n".encode() * 100
    a = Attachment(complaint=complaint, original_name=f"工资条-{i}.pdf",
                   content_type="application/pdf", size=len(body),
                   sha256=hashlib.sha256(body).hexdigest())
    a.file.save(a.original_name, ContentFile(body), save=True)
'
[ "$(find "$MEDIA_ROOT" -type f | wc -l)" -ge 3 ] || { echo "no evidence files were written" >&2; exit 1; }

step "backup"
backup=$(scripts/backup.sh "$WORK/backups" | tail -n 1)
ls -l "$backup"

step "restore into $DST_DB and a fresh media folder"
DATABASE_URL=$PG_BASE_URL/$DST_DB MEDIA_ROOT=$WORK/media-dst scripts/restore.sh "$backup" --yes

step "compare every table (rows and content) and every file"
# One row per table of the public schema: name, row count, and an md5 of its rows in a stable
# order, computed by the server (query_to_xml runs the per-table query).
TABLES_SQL="
SELECT t.table_name, c.n, c.digest
FROM information_schema.tables t,
LATERAL (
  SELECT (xpath('/row/n/text()', x))[1]::text AS n, (xpath('/row/d/text()', x))[1]::text AS digest
  FROM query_to_xml(format(
    'SELECT count(*) AS n, md5(coalesce(string_agg(r::text, %L ORDER BY r::text), %L)) AS d
     FROM %I.%I r', chr(10), '', t.table_schema, t.table_name), false, true, '') AS x
) c
WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
  -- A partitioned table's rows are its partitions' (listed each): not counted twice.
  AND NOT EXISTS (SELECT 1 FROM pg_class p JOIN pg_namespace s ON s.oid = p.relnamespace
                  WHERE s.nspname = t.table_schema AND p.relname = t.table_name AND p.relkind = 'p')
ORDER BY t.table_name"
# And the partitions' layout (the audit trails' months, arrears/retention.py): each parent,
# partition and bounds, so a restore that attached a month elsewhere is noticed too.
PARTS_SQL="
SELECT i.inhparent::regclass::text, c.relname, pg_get_expr(c.relpartbound, c.oid)
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE c.relispartition AND c.relkind IN ('r', 'p') ORDER BY 1, 2"
for side in src dst; do
  db=$SRC_DB; [ "$side" = dst ] && db=$DST_DB
  psql "$PG_BASE_URL/$db" -qAtF ' ' -c "$TABLES_SQL" >"$WORK/$side.tables"
  psql "$PG_BASE_URL/$db" -qAtF ' ' -c "$PARTS_SQL" >"$WORK/$side.partitions"
done
files() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }
files "$WORK/media-src" >"$WORK/src.files"
files "$WORK/media-dst" >"$WORK/dst.files"

different=0
if ! diff -u "$WORK/src.tables" "$WORK/dst.tables"; then
  echo "check-backup: the restored database differs from the source" >&2; different=1
fi
if ! diff -u "$WORK/src.partitions" "$WORK/dst.partitions"; then
  echo "check-backup: the restored partitions differ from the source" >&2; different=1
fi
[ -s "$WORK/src.partitions" ] || {
  echo "check-backup: the source has no partitions (migration 0015 not applied?)" >&2; different=1; }
if ! diff -u "$WORK/src.files" "$WORK/dst.files"; then
  echo "check-backup: the restored evidence files differ from the source" >&2; different=1
fi
tables=$(wc -l <"$WORK/src.tables")
rows=$(awk '{s += $2} END {print s}' "$WORK/src.tables")
# An empty database restores to an empty one "identically": make sure there was data.
[ "$tables" -ge 20 ] && [ "$rows" -ge 1000 ] || {
  echo "check-backup: only $tables tables / $rows rows were compared" >&2; different=1; }
# The restored database is at the code's migration state.
DATABASE_URL=$PG_BASE_URL/$DST_DB "$PY" manage.py migrate --check --noinput -v 0 \
  || { echo "check-backup: the restored database has unapplied migrations" >&2; different=1; }
[ "$different" = 0 ] || exit 1
step "passed: $tables tables ($(wc -l <"$WORK/src.partitions") of them partitions), $rows rows and $(wc -l <"$WORK/src.files") files identical after restore"
