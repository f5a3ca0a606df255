#!/usr/bin/env bash
# Back up everything the system cannot recreate: the PostgreSQL database (pg_dump custom format)
# and the evidence files (MEDIA_ROOT). Everything else (code, static files, the Redis cache and
# queue) is rebuilt by a deploy; the periodic sweeps re-send whatever a lost queue held.
#
#   DATABASE_URL=postgres://arrears:…@127.0.0.1:5432/arrears MEDIA_ROOT=/var/lib/arrears/media \
#     scripts/backup.sh [BACKUP_DIR]
#
# Writes BACKUP_DIR/arrears-<YYYYmmdd-HHMMSS>/ with db.dump, media.tar.gz and SHA256SUMS, prints
# that folder's path on the last line, and with BACKUP_KEEP_DAYS=N deletes backups in BACKUP_DIR
# older than N days. Safe while the application runs: pg_dump reads one consistent snapshot,
# and the database is dumped before the files are archived, so every evidence row in the dump
# has its file in the archive (an upload in between only adds a file no row names yet).
# Restore with scripts/restore.sh. Needs pg_dump of the server's major version or newer.
set -euo pipefail

BACKUP_DIR=${1:-${BACKUP_DIR:-/var/backups/arrears}}
: "${DATABASE_URL:?set DATABASE_URL (postgres://user:password@host:5432/name)}"
: "${MEDIA_ROOT:?set MEDIA_ROOT (the evidence files folder, e.g. /var/lib/arrears/media)}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL must be a PostgreSQL URL" >&2; exit 2 ;;
esac

umask 077  # the backup holds personal data (names, phone and ID numbers): owner only
stamp=$(date +%Y%m%d-%H%M%S)
dest=$BACKUP_DIR/arrears-$stamp
partial=$dest.partial
mkdir -p "$partial"
trap 'rm -rf "$partial"' EXIT

# Custom format: compressed, and pg_restore can restore it into a database of another name or
# owner, or list and pick single tables from it.
pg_dump --format=custom --compress=6 --no-owner --no-privileges \
  --file="$partial/db.dump" "$DATABASE_URL"

if [ -d "$MEDIA_ROOT" ]; then
  tar -C "$MEDIA_ROOT" -czf "$partial/media.tar.gz" .
else
  echo "backup.sh: $MEDIA_ROOT does not exist; archiving no evidence files" >&2
  tar -czf "$partial/media.tar.gz" -T /dev/null
fi

(cd "$partial" && sha256sum db.dump media.tar.gz >SHA256SUMS)
# Only a complete backup gets its final name.
mv "$partial" "$dest"
trap - EXIT

if [ -n "${BACKUP_KEEP_DAYS:-}" ]; then
  find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name 'arrears-*' ! -name '*.partial' \
    -mtime +"$BACKUP_KEEP_DAYS" -exec rm -rf {} +
fi

echo "backup.sh: wrote $dest ($(du -sh "$dest" | cut -f1))" >&2
echo "$dest"
